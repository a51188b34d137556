"""Large feasible shocks converge (line search, then homotopy from the benchmark) and agree with
``scipy.optimize.root`` (MINPACK's hybr on the NumPy version of the same equations, continued
over the shock in 20 warm-started steps where a direct hybr solve does not converge); failures
come back as a status with finite values and a message that does not suggest what was tried."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.optimize

from cpjax import CpjaxInputError, cge
from cpjax.cge._equations import backend, residual
from cpjax.cge._generate import random_sam


def scipy_reference(model, values, pieces=20):
    """hybr from the benchmark; if that fails, hybr over ``pieces`` steps of the shock."""
    bench = cge.set_params(model)
    target = cge.set_params(model, values=values)

    def solve_at(p, z0):
        pn = {k: np.asarray(v) for k, v in p.items()}
        F = lambda z: residual(model.structure, z, pn, backend("numpy"))  # noqa: E731
        r = scipy.optimize.root(F, z0, method="hybr", options={"xtol": 1e-13})
        return r.x, bool(r.success) and np.abs(F(r.x)).max() < 1e-9

    z, ok = solve_at(target, cge.benchmark_guess(model))
    if ok:
        return z
    z = cge.benchmark_guess(model)
    for t in np.linspace(0.0, 1.0, pieces + 1)[1:]:
        p = {k: bench[k] + t * (target[k] - bench[k]) for k in bench}
        z, ok = solve_at(p, z)
        assert ok, f"the scipy reference itself failed at t={t}"
    return z


SHOCKS = {
    "labour x3": {"supply.LAB": 3.0},
    "labour x5": {"supply.LAB": 5.0},
    "labour x10": {"supply.LAB": 10.0},
    "all TFP x2": {f"tfp.{s}": 2.0 for s in cge.load_demo().sectors},
    "production taxes 200%": {f"tax.{s}": 2.0 for s in cge.load_demo().sectors},
}


@pytest.mark.parametrize("name", list(SHOCKS))
def test_large_shocks_on_the_demo_agree_with_scipy(demo, name):
    values = SHOCKS[name]
    p = cge.set_params(demo, values=values)
    sol = cge.solve(demo, p)  # raises if not converged
    assert int(sol.status) == 0 and float(sol.residual) <= 1e-11
    np.testing.assert_allclose(np.asarray(sol.z), scipy_reference(demo, values), atol=1e-8)
    if name in ("labour x10", "production taxes 200%"):
        # the globalised Newton alone does not get there: the homotopy does, and says so
        assert int(sol.path) == 1 and int(sol.steps) >= 2 and float(sol.reached) == 1.0
        direct = cge.solve(demo, p, cge.SolverConfig(homotopy=False), throw=False)
        assert int(direct.status) != 0 and np.all(np.isfinite(np.asarray(direct.z)))
    else:
        assert int(sol.path) == 0


@pytest.mark.slow
@pytest.mark.parametrize("method", ["newton", "dogleg", "levenberg_marquardt"])
def test_twelve_sector_model_every_method(method):
    sam, spec = random_sam(12, 5)
    for nd in spec["production"]["nests"].values():
        nd["sigma"] = 0.6
    spec["closure"]["numeraire"] = "LAB"
    m = cge.build_model(sam, spec)
    cfg = cge.SolverConfig(method=method)
    for values in ({"supply.LAB": 3.0}, {"supply.LAB": 5.0}, {f"tfp.{s}": 2.0 for s in m.sectors},
                   {f"tax.{s}": 0.5 for s in m.sectors}, {"supply.LAB": 30.0}):
        sol = cge.solve(m, cge.set_params(m, values=values), cfg)
        np.testing.assert_allclose(np.asarray(sol.z), scipy_reference(m, values), atol=1e-7)


def test_a_change_without_equilibrium_fails_with_a_status_not_nan():
    # Leontief value added: extra labour cannot be employed, the wage would have to reach zero
    sam, spec = random_sam(6, 3)
    for nd in spec["production"]["nests"].values():
        nd["sigma"] = 0.0
    m = cge.build_model(sam, spec)
    p = cge.set_params(m, values={"supply.LAB": 1.5})
    cfg = cge.SolverConfig(homotopy_steps=12)
    sol = cge.solve(m, p, cfg, throw=False)
    assert int(sol.status) != 0 and float(sol.reached) < 1.0
    assert np.all(np.isfinite(np.asarray(sol.z))) and np.isfinite(float(sol.residual))
    with pytest.raises(CpjaxInputError) as err:
        cge.solve(m, p, cfg)
    msg = str(err.value)
    assert "method newton, then a homotopy" in msg and "method='newton'" not in msg
    assert "method='dogleg'" in msg
