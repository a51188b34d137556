"""A new block follows cge.Block without touching the equations, and make_core validates its input.

The test block makes a tariff cut revenue-neutral: one unknown ``u`` is added to every production
tax rate, and its equation asks government income to stay at a target.  The check is independent
of the block: the plain CGE solved with the found rates (set_params) gives the same equilibrium,
and the implicit derivative of ``u`` equals finite differences of repeated block solves.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from cpjax import CpjaxInputError, cge


@dataclasses.dataclass(frozen=True, eq=False)
class RevenueNeutral:
    """Government income held at ``args["target"]`` by a common production tax surcharge ``u``."""

    layout: dict
    name: str = "revenue_neutral"
    unknowns: int = 1

    @staticmethod
    def build(model):
        st = model.structure
        taxed = np.nonzero(st.act_tax_agent >= 0)[0]
        return RevenueNeutral({"taxed": taxed, "gov": st.agents.index(model.spec["accounts"]["government"][0])})

    def start(self):
        return np.zeros(1)

    def neutral(self, args):
        return {"target": args["target"], "active": jnp.zeros_like(args["active"])}

    def apply(self, params, u, args):
        add = jnp.zeros_like(params["act_tax"]).at[self.layout["taxed"]].set(u[0])
        return {**params, "act_tax": params["act_tax"] + add}

    def residual(self, ev, params, u, args):
        gap = (ev["m"][self.layout["gov"]] - args["target"]) / args["target"]
        return jnp.where(args["active"] > 0, gap, u[0])[None]

    def report(self, ev, params, u, args):
        return {"rate_added": u[0], "government_income": ev["m"][self.layout["gov"]]}


def test_a_new_block_solves_with_the_cge_and_agrees_with_the_plain_model(stdcge):
    block = RevenueNeutral.build(stdcge)
    assert isinstance(block, cge.Block)
    base = cge.solution_dict(stdcge, cge.solve(stdcge))
    target = base["income.GOV"]
    p = cge.set_params(stdcge, values={"tariff.BRD": 0.0, "tariff.MLK": 0.0})
    core = cge.make_core(stdcge, cge.SolverConfig(), blocks=[block])
    n = stdcge.structure.n_unknowns
    with cge.x64():
        args = (cge._solve.as_jax_params(p), {"target": jnp.float64(target), "active": jnp.float64(1.0)})
        x0 = jnp.asarray(np.concatenate([cge.benchmark_guess(stdcge), block.start()]))
        sol = jax.jit(core)(args, x0)
    assert int(sol.status) == 0
    u = float(sol.z[n])
    assert u > 0.0  # tariff revenue lost, production taxes rise
    # the plain CGE with the same production tax rates: same equilibrium, government income on target
    values = {f"tax.{s}": cge.get_param(stdcge, p, f"tax.{s}") + u for s in stdcge.sectors}
    plain = cge.set_params(stdcge, p, values)
    v = cge.solution_dict(stdcge, cge.solve(stdcge, plain), plain)
    assert v["income.GOV"] == pytest.approx(target, rel=1e-10)
    np.testing.assert_allclose(np.asarray(sol.z[:n]), np.asarray(cge.solve(stdcge, plain).z), atol=1e-10)

    # d u / d target by the implicit function theorem = central finite differences of block solves
    def rate(t):
        a = (args[0], {"target": t, "active": jnp.float64(1.0)})
        return core(a, x0).z[n]

    with cge.x64():
        g = float(jax.jit(jax.grad(rate))(jnp.float64(target)))
        h = 1e-4 * target
        fd = (float(jax.jit(rate)(jnp.float64(target + h))) - float(jax.jit(rate)(jnp.float64(target - h)))) / (2 * h)
    assert g == pytest.approx(fd, rel=1e-5)


def test_make_core_validates_its_input(stdcge):
    with pytest.raises(CpjaxInputError, match="solver method"):
        cge.make_core(stdcge, cge.SolverConfig(method="newtn"))
    with pytest.raises(CpjaxInputError, match="Block protocol"):
        cge.make_core(stdcge, blocks=[object()])
    core = cge.make_core(stdcge)
    with cge.x64():
        p = cge._solve.as_jax_params(stdcge.params)
        z0 = jnp.asarray(cge.benchmark_guess(stdcge))
        with pytest.raises(CpjaxInputError, match="missing"):
            core({k: v for k, v in p.items() if k != "tax"}, z0)
        with pytest.raises(CpjaxInputError, match="shape"):
            core({**p, "tax": p["tax"][:-1]}, z0)
        with pytest.raises(CpjaxInputError, match="unknowns"):
            core(p, z0[:-1])
