"""The trajectory -> CGE drivers mapping (cpjax.cge): formulas, gradients back to a Neural ODE's
θ and z0, and the plausibility gate of drivers_from_trajectories."""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from cpjax import CpjaxInputError
from cpjax.cge import (
    Drivers,
    DriverSpec,
    annual_means,
    check_trajectories,
    drivers_from_trajectories,
    map_to_drivers,
)
from cpjax.node import NodeConfig, Trajectories, make_field, solve, trend_trajectory

SERIES = ("hydro", "thermal", "wind")


def _exp_path(t):
    return jnp.stack([4.0 * jnp.exp(0.01 * (t - 2021)), 20.0 * jnp.exp(0.02 * (t - 2021)),
                      2.0 * jnp.exp(0.10 * (t - 2021))], axis=1)


def test_formulas_on_exponential_paths():
    t = 2021.0 + jnp.arange(120, dtype=jnp.float32) / 12.0  # monthly 2021-01 .. 2030-12
    x = _exp_path(t)
    spec = DriverSpec()
    d = map_to_drivers(t, x, SERIES, spec)
    assert isinstance(d, Drivers) and d.years.tolist() == list(range(2022, 2031))
    # independent computation with numpy from the closed form
    tn = np.asarray(t, dtype=np.float64)
    xn = np.stack([4 * np.exp(0.01 * (tn - 2021)), 20 * np.exp(0.02 * (tn - 2021)),
                   2 * np.exp(0.10 * (tn - 2021))], axis=1)
    yrs = np.floor(tn + 1e-9)
    means = np.stack([xn[yrs == y].mean(axis=0) for y in range(2021, 2031)])
    A = means.sum(axis=1)
    g = np.diff(np.log(A))
    np.testing.assert_allclose(d.tfp_growth, 0.4 * g, rtol=1e-4)
    np.testing.assert_allclose(d.labour_growth, -0.003 + 0.1 * g, atol=1e-7)
    np.testing.assert_allclose(d.aeei, g - 0.02, atol=2e-6)  # thermal grows exactly 2 %/yr (log)
    np.testing.assert_allclose(d.energy_price_index, np.exp(0.5 * 0.02 * np.arange(1, 10)),
                               rtol=1e-5)
    np.testing.assert_allclose(d.carbon_price, 58 * np.exp((0.05 + 0.02) * np.arange(1, 10)),
                               rtol=1e-5)
    for leaf in d[1:]:
        assert leaf.shape == (9,)


def test_annual_grid_and_price_series():
    t = jnp.arange(2021.0, 2031.0)
    x = jnp.stack([jnp.full(10, 3.0), 10.0 * 1.05 ** (t - 2021), 40 + 5 * (t - 2021)], axis=1)
    d = map_to_drivers(t, x, ("hydro", "thermal", "price"),
                       DriverSpec(activity_series=("thermal",), carbon_price_series="price",
                                  energy_price_series="thermal"))
    np.testing.assert_allclose(d.aeei, 0.0, atol=1e-6)
    np.testing.assert_allclose(d.carbon_price, 40 + 5 * np.arange(1, 10), rtol=1e-6)
    np.testing.assert_allclose(d.energy_price_index, 1.05 ** np.arange(1, 10), rtol=1e-5)


def test_missing_years_and_series_are_input_errors():
    t = 2023.0 + jnp.arange(24, dtype=jnp.float32) / 12.0
    with pytest.raises(CpjaxInputError, match="no points in year"):
        map_to_drivers(t, _exp_path(t), SERIES)
    t = 2021.0 + jnp.arange(120, dtype=jnp.float32) / 12.0
    with pytest.raises(CpjaxInputError, match="coal"):
        map_to_drivers(t, _exp_path(t), SERIES, DriverSpec(energy_series=("coal",)))


def test_annual_means_by_hand():
    t = jnp.array([2021.0, 2021.5, 2022.0, 2022.25, 2022.5])
    x = jnp.array([[1.0], [3.0], [2.0], [4.0], [6.0]])
    np.testing.assert_allclose(annual_means(t, x, np.array([2021, 2022])), [[2.0], [4.0]])


def test_trend_trajectory_recovers_log_linear_growth():
    t = 2010.0 + np.arange(144) / 12.0
    x = np.asarray(_exp_path(jnp.asarray(t)), dtype=np.float64)
    out = trend_trajectory(t, x, np.arange(2022.0, 2031.0))
    mid = np.stack([x[np.floor(t + 1e-9) == y].mean(axis=0) for y in range(2014, 2022)])
    slope = np.polyfit(np.arange(2014, 2022), np.log(mid[:, 1]), 1)[0]
    assert slope == pytest.approx(0.02, rel=1e-6)
    np.testing.assert_allclose(np.diff(np.log(out[:, 1])), 0.02, rtol=1e-6)


def _drivers_of(field, z0, cfg, scale, offset):
    """Scalar function of the drivers of an annual path 2021..2030 generated from 2021."""
    ts = jnp.arange(0, 10, dtype=z0.dtype)  # annual grid 2021 .. 2030
    z = solve(field, z0, ts, cfg)
    x = jax.nn.softplus(z * scale[None, :] + offset[None, :])  # positive levels, "original units"
    d = map_to_drivers(2021.0 + ts, x, SERIES)
    return (jnp.sum(d.tfp_growth) + jnp.sum(d.aeei) + 0.01 * jnp.sum(d.carbon_price)
            + jnp.sum(d.energy_price_index) + jnp.sum(d.labour_growth))


def test_gradient_reaches_node_parameters_and_initial_state():
    cfg = NodeConfig(width=8, depth=1, activation="tanh", solver="rk4", dt0_years=0.25)
    scale, offset = jnp.array([1.0, 2.0, 0.5]), jnp.array([3.0, 10.0, 1.0])
    with jax.enable_x64(True):
        f = jax.tree.map(lambda a: jnp.asarray(a, jnp.float64) if eqx.is_array(a) else a,
                         make_field(3, cfg, seed=2))
        z0 = jnp.array([0.1, -0.2, 0.3])
        sc, of = scale.astype(jnp.float64), offset.astype(jnp.float64)
        fn = eqx.filter_jit(lambda fz: _drivers_of(fz[0], fz[1], cfg, sc, of))
        gf, gz = eqx.filter_jit(eqx.filter_grad(fn))((f, z0))  # one compile for both
        leaves = jax.tree.leaves(eqx.filter(gf, eqx.is_array))
        assert all(bool(jnp.all(jnp.isfinite(leaf))) for leaf in leaves)
        assert sum(float(jnp.sum(jnp.abs(leaf))) for leaf in leaves) > 0
        assert bool(jnp.all(jnp.isfinite(gz))) and float(jnp.abs(gz).sum()) > 0
        # central finite differences on one initial-state component and one weight
        h = 1e-6
        e = jnp.array([0.0, 1.0, 0.0]) * h
        fd = (fn((f, z0 + e)) - fn((f, z0 - e))) / (2 * h)
        assert float(gz[1]) == pytest.approx(float(fd), rel=1e-5, abs=1e-9)
        bump = lambda d: eqx.tree_at(lambda m: m.mlp.layers[-1].bias,  # noqa: E731
                                     f, f.mlp.layers[-1].bias.at[0].add(d))
        fd = (fn((bump(h), z0)) - fn((bump(-h), z0))) / (2 * h)
        assert float(gf.mlp.layers[-1].bias[0]) == pytest.approx(float(fd), rel=1e-5, abs=1e-9)


def _traj(record):
    dates = np.arange(np.datetime64("2021-01", "M"), np.datetime64("2031-01", "M"))
    t = 2021.0 + np.arange(dates.size) / 12.0
    x = np.asarray(_exp_path(jnp.asarray(t)), dtype=np.float64)[None]
    return Trajectories(dates, ("P",), SERIES, x, "TWh/month", plausibility=record)


def test_gate_refuses_implausible_and_unchecked_paths_unless_allowed():
    bad = {"status": "implausible", "violations": [
        {"message": "P thermal 2030: 3596 TWh above capacity x hours 802 TWh"}]}
    with pytest.raises(CpjaxInputError, match="3596 TWh.*--allow-implausible-drivers"):
        drivers_from_trajectories(_traj(bad), 2022, 2030)
    with pytest.raises(CpjaxInputError, match="no plausibility record"):
        drivers_from_trajectories(_traj(None), 2022, 2030)
    ok = drivers_from_trajectories(_traj({"status": "plausible", "violations": []}), 2022, 2030)
    forced = drivers_from_trajectories(_traj(bad), 2022, 2030, allow_implausible=True)
    np.testing.assert_allclose(ok.tfp_growth, forced.tfp_growth)
    check_trajectories(_traj(None), allow_implausible=True)  # no error
