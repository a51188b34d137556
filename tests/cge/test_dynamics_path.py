"""The recursive dynamic path (spec cge.md §4): benchmark year, steady state, accumulation,
gradients through the 9-year scan, batches, and Neural ODE drivers."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
import pytest

from cpjax import cge


def _sam():
    return pd.read_csv(cge.demo_paths()[0], index_col=0, comment="#")


def test_first_year_is_the_sam_and_capital_accumulates(demo, demo_burned, demo_direct):
    with cge.x64():
        drivers = cge.trend_drivers()
    out = cge.solve_path(demo, drivers, cge.no_policy(demo, 9))
    assert (out["status"] == 0).all() and out["iterations"][0] == 0
    # the energy table counted once (refining/coking's feedstock at the users of its products)
    assert out["energy_mtce"][0] == pytest.approx(demo_burned.to_numpy().sum(), rel=1e-12)
    assert out["emissions_mt"][0] == pytest.approx(demo_direct.sum(), rel=1e-12)
    # K_2022 = capital income / 0.10, K_2023 = 0.95 K_2022 + investment of the SAM
    sam = _sam()
    cap_income = sam.loc[:, "CAP"].sum()
    invest = sam.loc[list(demo.sectors), "SAV"].sum()
    assert out["capital"][0] == pytest.approx(cap_income / 0.10, rel=1e-12)
    assert out["capital"][1] == pytest.approx(0.95 * cap_income / 0.10 + invest, rel=1e-10)
    # growth moves the economy: energy and GDP rise every year under positive TFP growth
    assert np.all(np.diff(out["energy_mtce"]) > 0) and np.all(np.diff(out["gdp"]) > 0)


def test_zero_growth_steady_state_repeats_the_benchmark(demo):
    """No TFP, labour, AEEI or price growth and investment = depreciation (rent rate chosen so
    that δ K_0 = I): every year is the benchmark year."""
    sam = _sam()
    invest = sam.loc[list(demo.sectors), "SAV"].sum()
    cap_income = sam.loc[:, "CAP"].sum()
    params = cge.dynamic_params(demo, rent_rate=0.05 * cap_income / invest)
    with cge.x64():
        drivers = cge.trend_drivers(tfp_growth=0.0, labour_growth=0.0, aeei=0.0)
    out = cge.solve_path(demo, drivers, cge.no_policy(demo, 9), params)
    for key in ("energy_mtce", "emissions_mt", "gdp", "capital", "real_consumption"):
        np.testing.assert_allclose(out[key], np.full(9, out[key][0]), rtol=1e-9, err_msg=key)
    assert np.all(out["iterations"] == 0)


def _policy(demo, drivers):
    res = cge.run_scenarios(demo, drivers, cge.demo_scenarios(["S4"]))
    sc = cge.demo_scenarios(["S4"])[0]
    return cge.scenario_policy(demo, sc, 9, res["no_ets"])


@pytest.mark.slow
def test_gradient_through_nine_years_matches_finite_differences(demo):
    """d/d(TFP growth, labour growth, r_2025, r_2030, depreciation) of a mix of 2030 outputs."""
    f = cge.make_path(demo)
    with cge.x64():
        pol = cge.as_float64(_policy(demo, cge.trend_drivers()))
        prm = cge.as_float64(cge.dynamic_params(demo))

        def loss(theta):
            d = cge.trend_drivers(tfp_growth=theta[0], labour_growth=theta[1])._replace(years=None)
            red = pol.reduction.at[3].set(theta[2]).at[8].set(theta[3])
            out = f(prm._replace(depreciation=theta[4]), cge.as_float64(d), pol._replace(reduction=red))
            return (out["emissions_mt"][-1] + out["carbon_price"][-1] + out["trading_volume_mt"][5]
                    + 1e-3 * out["gdp"][-1])

        theta = jnp.array([0.005, -0.003, float(pol.reduction[3]), float(pol.reduction[8]), 0.05])
        value, grad = jax.jit(jax.value_and_grad(loss))(theta)
        lf = jax.jit(loss)
        for i in range(5):
            h = 1e-6
            e = jnp.zeros(5).at[i].set(h)
            fd = (lf(theta + e) - lf(theta - e)) / (2 * h)
            assert float(grad[i]) == pytest.approx(float(fd), rel=1e-4), i
        assert np.isfinite(float(value))


@pytest.mark.slow
def test_vmap_over_a_batch_of_policies_matches_single_runs(demo):
    with cge.x64():
        drivers = cge.trend_drivers()
    pol = _policy(demo, drivers)
    batch = jax.tree_util.tree_map(lambda *x: np.stack(x), pol, pol._replace(reduction=pol.reduction * 0.5))
    out = cge.solve_path(demo, drivers, batch)
    one = cge.solve_path(demo, drivers, pol._replace(reduction=pol.reduction * 0.5))
    np.testing.assert_allclose(out["carbon_price"][1], one["carbon_price"], rtol=1e-9)
    assert out["carbon_price"].shape == (2, 9) and np.all(out["carbon_price"][0] > out["carbon_price"][1])


def test_node_drivers_from_trajectories_drive_the_path(demo, tmp_path):
    """A trajectory in the format of `cpjax node generate` (synthetic: 3 %/yr activity growth,
    1 %/yr thermal growth) maps to drivers (cpjax.cge.map_to_drivers) that run the path (a
    hand-made file has no plausibility record: allowed explicitly)."""
    dates = np.arange(np.datetime64("2021-01", "M"), np.datetime64("2030-12", "M") + np.timedelta64(1, "M"))
    t = np.arange(len(dates)) / 12.0
    df = pd.DataFrame({"panel": "Demo", "date": [str(d) for d in dates],
                       "thermal": 40 * 1.01 ** t, "wind": 8 * 1.08 ** t})
    path = tmp_path / "trajectories.csv"
    df.to_csv(path, index=False)
    d = cge.drivers_from_trajectories(path, 2022, 2030, allow_implausible=True)
    g = np.log((40 * 1.01 ** t).reshape(10, 12).mean(1) + (8 * 1.08 ** t).reshape(10, 12).mean(1))
    np.testing.assert_allclose(d.tfp_growth, 0.4 * np.diff(g), rtol=1e-4)  # DriverSpec default share
    out = cge.solve_path(demo, d, cge.no_policy(demo, 9))
    assert (out["status"] == 0).all()
    assert out["energy_mtce"][-1] > out["energy_mtce"][0]


def test_a_year_of_tfp_growth_equals_the_static_model_with_those_parameters(demo):
    """Year 1 of a path with 2 % TFP growth (no other driver) is the static equilibrium with every
    sector's TFP x1.02, capital at the path's K_1/K_0 and the partners' endowments x1.02 (they grow
    with effective labour), built by name with set_params."""
    with cge.x64():  # nine years: the path compiled by the other tests
        d = cge.trend_drivers(tfp_growth=0.02, labour_growth=0.0, aeei=0.0,
                              carbon_price_base=0.0, carbon_price_growth=0.0)
    out = cge.solve_path(demo, d, cge.no_policy(demo, 9))
    k = out["capital"][1] / out["capital"][0]
    values = {f"tfp.{s}": 1.02 for s in demo.sectors} | {"supply.CAP": k}
    p = cge.set_params(demo, values=values)
    for q in demo.partners:
        p = cge.set_params(demo, p, {f"endow.{h}.{q}": 1.02 * cge.get_param(demo, demo.params, f"endow.{h}.{q}")
                                     for h in demo.structure.agents
                                     if f"endow.{h}.{q}" in demo.param_index
                                     and cge.get_param(demo, demo.params, f"endow.{h}.{q}") != 0.0})
    v = cge.solution_dict(demo, cge.solve(demo, p), p)
    assert out["gdp"][1] == pytest.approx(v["gdp"], rel=1e-9)
    assert out["gdp"][1] > out["gdp"][0]
