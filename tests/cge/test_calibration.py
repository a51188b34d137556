"""Calibration: found parameters reproduce their targets when re-solved independently; the
implicit gradient of the loss equals central finite differences; failed equilibria never reach the
parameters; bad inputs are clear errors.

One compiled loss per (path, targets) is shared by the tests that use it (compilation dominates
the run time on a small CPU).
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

from cpjax import CpjaxInputError, cge
from cpjax.cge import CalibrationConfig, Parameter, Target

GDP_2025 = 24300.0 * 1.05 ** 3
TARGETS = (Target("energy_mtce.total", 240.0, year=2025), Target("gdp", GDP_2025, year=2025))
PARAMS = (Parameter("growth.tfp", 0.01, lower=-0.05, upper=0.15),
          Parameter("growth.capital", 0.02, lower=-0.05, upper=0.2))


@pytest.fixture(scope="module")
def trend(demo):
    return cge.trend_path(demo, years=(2022, 2023, 2024, 2025), outputs=("energy_mtce.total", "gdp"))


@pytest.fixture(scope="module")
def fitted(trend):
    return cge.calibrate(trend, TARGETS, PARAMS)


def _resolve(model, theta, k, output):
    """One trend year re-solved from the benchmark with the public solve(): parameters built in
    NumPy through set_params, not by the calibration's scan."""
    p = cge.trend_year_params(model, theta, k)
    sol = cge.solve(model, p)
    return float(cge.scalar_output(model, output, xp=np)(cge.evaluate_solution(model, sol.z, p)))


def test_calibrated_parameters_reproduce_targets_on_resolve(demo, trend, fitted):
    assert fitted.converged, fitted.reason
    assert fitted.loss < 1e-16
    theta = {**trend.defaults, **fitted.params}
    assert _resolve(demo, theta, 3, "energy_mtce.total") == pytest.approx(240.0, rel=1e-8)
    assert _resolve(demo, theta, 3, "gdp") == pytest.approx(GDP_2025, rel=1e-8)
    assert _resolve(demo, theta, 0, "energy_mtce.total") == pytest.approx(219.0, rel=1e-9)
    assert all(r["met"] for r in fitted.fit)
    for name, p in zip(("growth.tfp", "growth.capital"), PARAMS):
        assert p.lower < fitted.params[name] < p.upper


def test_accepted_steps_never_raise_the_loss(fitted):
    losses = [r["loss"] for r in fitted.trace if r["accepted"]]
    assert len(losses) >= 3
    assert all(b <= a for a, b in zip(losses, losses[1:]))
    assert fitted.trace[0]["step"] == 0 and fitted.steps == len(fitted.trace) - 1


def test_loss_gradient_matches_central_differences(trend, fitted):
    # at the start (the optimum has a zero gradient) and at a point off the path's defaults
    for values in (None, {"growth.tfp": 0.03, "growth.capital": -0.01}):
        rows = cge.gradient_check(trend, TARGETS, PARAMS, values=values, forward_only=False)
        assert len(rows) == 2
        for r in rows:
            assert r["implicit"] == pytest.approx(r["finite_difference"], rel=1e-5), r
            assert abs(r["implicit"]) > 1e-6


def test_peak_and_bounds_terms_have_exact_gradients(mpsge_paths):
    m = cge.load_model(*mpsge_paths)
    path = cge.static_path(m, ["endow.RA.L", "endow.RA.K"], ["real_consumption.RA", "price.L"])
    targets = [Target("real_consumption.RA", 160.0, kind="upper"), Target("price.L", 1.05, kind="lower"),
               Target("real_consumption.RA", 150.0, weight=0.5)]
    params = [Parameter("endow.RA.L", 80.0, lower=10.0), Parameter("endow.RA.K", 90.0, transform="exp")]
    for r in cge.gradient_check(path, targets, params, forward_only=False):
        assert r["implicit"] == pytest.approx(r["finite_difference"], rel=1e-5, abs=1e-10), r


def test_transforms_keep_parameters_in_range(mpsge_paths):
    m = cge.load_model(*mpsge_paths)
    path = cge.static_path(m, ["endow.RA.L"], ["real_consumption.RA"])
    # the unconstrained optimum (labour 0) lies below the bound: the fit stops inside the range
    res = cge.calibrate(path, [Target("real_consumption.RA", 1.0)],
                        [Parameter("endow.RA.L", 70.0, lower=50.0, upper=100.0)],
                        CalibrationConfig(max_steps=30))
    assert 50.0 < res.params["endow.RA.L"] < 51.0
    assert all(np.isfinite(r["loss"]) for r in res.trace)


def test_failed_equilibrium_is_rejected_and_parameters_stay_clean(mpsge_paths):
    """A path whose equilibrium 'fails' above L = 75: failing trial points are all rejected."""
    m = cge.load_model(*mpsge_paths)
    base = cge.static_path(m, ["endow.RA.L"], ["real_consumption.RA"])

    def fn(theta):
        outs, status = base.fn(theta)
        return outs, jnp.where(theta["endow.RA.L"] > 75.0, 1, status).astype(jnp.int32)

    path = base._replace(fn=fn, description="failing above 75")
    res = cge.calibrate(path, [Target("real_consumption.RA", 200.0)],
                        [Parameter("endow.RA.L", 70.0, lower=10.0, upper=300.0)],
                        CalibrationConfig(max_steps=30, max_step=2.0))
    failed = [r for r in res.trace if r["failed_years"]]
    assert failed and not any(r["accepted"] for r in failed)
    assert res.params["endow.RA.L"] <= 75.0 and res.status == [0]


def test_start_that_does_not_solve_is_an_input_error(mpsge_paths):
    m = cge.load_model(*mpsge_paths)
    base = cge.static_path(m, ["endow.RA.L"], ["real_consumption.RA"])
    path = base._replace(fn=lambda th: (base.fn(th)[0], jnp.ones(1, jnp.int32)))
    with pytest.raises(CpjaxInputError, match="does not solve at the starting"):
        cge.calibrate(path, [Target("real_consumption.RA", 1.0)], [Parameter("endow.RA.L", 70.0)])


@pytest.mark.parametrize(("params", "targets", "match"), [
    ([Parameter("growth.tpf", 0.01)], [Target("gdp", 1.0)], "did you mean 'growth.tfp'"),
    ([Parameter("growth.tfp", 0.5, lower=0.0, upper=0.2)], [Target("gdp", 1.0)], "not strictly inside"),
    ([Parameter("growth.tfp", 0.01)], [Target("gdp", 1.0, year=2040)], "year 2040"),
    ([Parameter("growth.tfp", 0.01)], [Target("gdpp", 1.0)], "unknown target output"),
    ([Parameter("growth.tfp", 0.01)], [Target("gdp", kind="peak")], "peak year"),
    ([Parameter("growth.tfp", 0.01)], [Target("gdp", 1.0, kind="close")], "kind 'close'"),
    ([Parameter("carbon_price", (1.0, 2.0))], [Target("gdp", 1.0)], "one number or 4"),
    ([Parameter("growth.tfp", 0.01, transform="sigmoid")], [Target("gdp", 1.0)], "lower < upper"),
    ([], [Target("gdp", 1.0)], "no parameters"),
])
def test_bad_calibration_inputs(trend, params, targets, match):
    with pytest.raises(CpjaxInputError, match=match):
        cge.calibrate(trend, targets, params)


def test_bad_config():
    with pytest.raises(CpjaxInputError, match="optimizer 'bfgs'"):
        CalibrationConfig(optimizer="bfgs").check()


@pytest.mark.slow
def test_dynamic_s5_gradient_through_nine_year_scan(demo):
    """Through the 9-year recursive-dynamic scan of S5 (trading, capital accumulation)."""
    path = cge.dynamic_path(demo, "S5", outputs=("carbon_price", "emissions_mt", "energy_mtce"))
    targets = [Target("carbon_price", 99.12, year=2025), Target("carbon_price", 183.54, year=2030),
               Target("emissions_mt", kind="peak", year=2028)]
    params = [Parameter("reduction_end", 0.1, lower=0.0, upper=0.6),
              Parameter("reduction_extra", 0.01, lower=-0.1, upper=0.1),
              Parameter("growth.tfp", 0.01, lower=-0.05, upper=0.15)]
    rows = cge.gradient_check(path, targets, params, forward_only=False)
    assert len(rows) == 11
    for r in rows:
        assert r["implicit"] == pytest.approx(r["finite_difference"], rel=1e-4, abs=1e-8), r


@pytest.mark.slow
def test_dynamic_s5_price_calibration_reproduces_targets(demo):
    """The shipped S5 price-path calibration; re-solved through the public scenario runner."""
    from cpjax.cge._calib_dynamic import resolve_dynamic
    from cpjax.cge._calib_run import TARGETS_DIR, build_path

    task = cge.load_targets(TARGETS_DIR / "s5_price_path.toml")
    path = build_path(demo, task)
    res = cge.calibrate(path, task.targets, task.parameters, task.config)
    assert res.converged, res.reason
    again = resolve_dynamic(demo, "S5", {**path.defaults, **res.params}, path)
    assert again["carbon_price"][3] == pytest.approx(99.12, rel=1e-6)
    assert again["carbon_price"][8] == pytest.approx(183.54, rel=1e-6)
