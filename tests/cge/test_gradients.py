"""Implicit gradients agree with central finite differences; vmap batches report per-scenario status."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from cpjax import cge

NAMES = ["tariff.BRD", "tariff.MLK", "tfp.BRD", "sigma.Y.MLK.VA", "cet.BRD", "armington.MLK",
         "share.HOH.GOV", "endow.INV.EXT"]


@pytest.mark.parametrize(("method", "output"), [
    ("newton", "real_consumption.HOH"),
    pytest.param("fixed_point", "gdp", marks=pytest.mark.slow),  # same custom_root path as newton
    pytest.param("optimistix", "price.EXT", marks=pytest.mark.slow),
    pytest.param("fixed_point", "real_consumption.HOH", marks=pytest.mark.slow),
    pytest.param("newton", "gdp", marks=pytest.mark.slow),
])
def test_implicit_gradient_matches_finite_differences(stdcge, method, output):
    cfg = cge.SolverConfig(method=method)
    # away from the benchmark, where elasticity derivatives are not zero
    p = cge.set_params(stdcge, values={"tariff.BRD": 0.02, "tfp.MLK": 1.05})
    val, grad = cge.implicit_gradient(stdcge, output, NAMES, p, cfg)
    fd = cge.finite_difference_gradient(stdcge, output, NAMES, p, cfg)
    for n in NAMES:
        assert grad[n] == pytest.approx(fd[n], rel=1e-4, abs=1e-7), n
    assert np.isfinite(val)


def test_emissions_gradient_on_demo(demo, demo_direct):
    names = ["tfp.STEEL", "aeei.STEEL", "tax.COAL", "surcharge.Y.TPOW.COAL"]
    val, grad = cge.implicit_gradient(demo, "emissions_mt.total", names)
    fd = cge.finite_difference_gradient(demo, "emissions_mt.total", names)
    assert val == pytest.approx(demo_direct.sum(), rel=1e-12)
    for n in names:
        assert grad[n] == pytest.approx(fd[n], rel=1e-4), n
    assert grad["surcharge.Y.TPOW.COAL"] < 0  # a carbon cost on power's coal lowers emissions
    assert grad["aeei.STEEL"] < 0             # more energy-efficient steel emits less


def test_user_level_jax_grad_inside_x64(mpsge_paths):
    """Users can differentiate the solve themselves inside cge.x64() (here: optimistix Newton)."""
    from cpjax.cge._equations import backend, evaluate
    from cpjax.cge._solve import as_jax_params, benchmark_guess, make_core

    m = cge.load_model(*mpsge_paths)
    core = make_core(m, cge.SolverConfig(method="optimistix"))
    fn = cge.scalar_output(m, "real_consumption.RA")
    key, ix = m.param_index["endow.RA.L"]
    with cge.x64():
        prm = as_jax_params(m.params)
        z0 = jnp.asarray(benchmark_guess(m))

        def welfare(labour):
            q = dict(prm)
            q[key] = q[key].at[ix].set(labour)
            sol = core(q, z0)
            return fn(evaluate(m.structure, sol.z, q, backend("jax")))

        g = jax.jit(jax.grad(welfare))(jnp.asarray(77.0))
    assert g.dtype == jnp.float64
    # Cobb-Douglas: U = A L^0.4667 K^0.5333 with alpha_L = (2/3)(1/2) + (1/3)(2/5) = 7/15
    u77 = 150 * 1.0454821
    assert float(g) == pytest.approx(u77 * (7 / 15) / 77, rel=1e-6)


def test_vmap_batch_with_status(stdcge):
    values = [{"tariff.BRD": t} for t in (0.0, 0.02, 0.05, 0.1)]
    batch = cge.stack_params([cge.set_params(stdcge, values=v) for v in values])
    sols = cge.solve_batch(stdcge, batch)
    assert sols.z.shape[0] == 4
    assert np.all(np.asarray(sols.status) == 0)
    for k, v in enumerate(values):
        single = cge.solve(stdcge, cge.set_params(stdcge, values=v))
        np.testing.assert_allclose(np.asarray(sols.z[k]), np.asarray(single.z), atol=1e-10)
    # a scenario that cannot converge in 1 step reports status 1, the others are unaffected
    few = cge.solve_batch(stdcge, batch, cge.SolverConfig(method="fixed_point", max_steps=1))
    st = np.asarray(few.status)
    assert st[0] == 1 and set(st.tolist()) <= {0, 1}
