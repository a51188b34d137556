"""Statistical peers and ensembles checked against independent computations.

The peers persistence, seasonal_naive, autoets, autotheta and autoarima are statsforecast's
models; these tests check what the adapter could get wrong (which history each origin sees, the
fixed parameters, the level -> quantile mapping, saving) against closed forms computed here from
the fitted parameters, and the intervals against simulated coverage.  ``arima`` (statsmodels) is
checked against statsmodels' own forecasting paths."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy import stats

from cpjax import CpjaxInputError
from cpjax.nn import forecast_series, get_model, make_config, simplex_weights

Z1 = float(stats.norm.cdf(1.0))  # the quantile at mean + 1 sd


def _fit(name, y, n_train, horizon, **hyper):
    origin = np.arange(0, n_train - horizon)
    return get_model(name).build(make_config(name, hyper), horizon).fit(None, None, origin, y)


def _moments(model, origin, y):
    q = model.predict_quantiles(None, origin, y, [0.5, Z1])
    return q[..., 0], q[..., 1] - q[..., 0]


def _seasonal_series(n=260, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return 10.0 + 0.02 * t + np.sin(2 * np.pi * t / 12) + np.cumsum(rng.normal(scale=0.2, size=n))


def test_arima_rolling_forecasts_equal_statsmodels_refiltering():
    from statsmodels.tsa.arima.model import ARIMA

    y = _seasonal_series()
    origin = np.array([200, 221, 259])
    model = _fit("arima", y, 200, 4, order=(1, 1, 1), seasonal_order=(0, 1, 1), season_length=12)
    mean, sd = _moments(model, origin, y)
    np.testing.assert_allclose(model.predict(None, origin, y), mean, rtol=1e-12)
    for i, o in enumerate(origin):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref = ARIMA(y[:o + 1], order=(1, 1, 1), seasonal_order=(0, 1, 1, 12)).filter(
                model.params).get_forecast(4)
        np.testing.assert_allclose(mean[i], ref.predicted_mean, rtol=1e-9)
        np.testing.assert_allclose(sd[i], np.sqrt(ref.var_pred_mean), rtol=1e-6)


def test_node_sarima_equals_statsmodels_sarimax():
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    y = _seasonal_series(120, seed=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = SARIMAX(y, order=(1, 1, 1), seasonal_order=(0, 1, 1, 12), enforce_stationarity=False,
                      enforce_invertibility=False).fit(disp=False).forecast(18)
    got = forecast_series("arima", y, 18, order=(1, 1, 1), seasonal_order=(0, 1, 1),
                          season_length=12, enforce=False, max_train=0)
    np.testing.assert_allclose(got, ref, rtol=1e-7)


def test_arima_drift_is_the_mean_change():
    rng = np.random.default_rng(5)
    walk = np.cumsum(0.5 + rng.normal(size=300))
    d = _fit("arima", walk, 300, 2, order=(0, 1, 0), constant=True)
    assert d.drift == pytest.approx(np.mean(np.diff(walk[:300])))
    # random walk with drift: the h-step forecast is y_o + h b
    np.testing.assert_allclose(d.predict(None, np.array([299]), walk)[0],
                               walk[299] + d.drift * np.arange(1, 3), rtol=1e-9)
    with pytest.raises(CpjaxInputError, match="not identified"):
        _fit("arima", walk, 300, 1, order=(0, 2, 0), constant=True)


PEERS = ("persistence", "seasonal_naive", "autoets", "autotheta", "autoarima")
QS = (0.025, 0.1, 0.25, 0.5, 0.75, 0.9, 0.975)


@pytest.mark.parametrize("name", PEERS)
def test_peer_intervals_nest_and_quantiles_do_not_cross(name):
    y = _seasonal_series(300, seed=1)
    m = _fit(name, y, 220, 5)
    origin = np.arange(220, 300, 9)
    q = m.predict_quantiles(None, origin, y, QS)
    assert q.shape == (origin.size, 5, len(QS)) and np.all(np.isfinite(q))
    assert np.all(np.diff(q, axis=-1) >= 0)  # non-crossing
    # the 50% interval lies strictly inside the 80% one, which lies inside the 95% one
    assert np.all(q[..., 0] < q[..., 1]) and np.all(q[..., 1] < q[..., 2])
    assert np.all(q[..., 4] < q[..., 5]) and np.all(q[..., 5] < q[..., 6])
    # the same quantiles whatever the order they are asked in
    np.testing.assert_array_equal(m.predict_quantiles(None, origin, y, [0.975, 0.5, 0.025]),
                                  q[..., [6, 3, 0]])
    mean = m.predict(None, origin, y)
    if name == "autotheta":  # the median of simulated paths, near the analytic mean
        assert np.all(np.abs(q[..., 3] - mean) < 0.2 * (q[..., 5] - q[..., 1]))
    else:  # Gaussian intervals: the median is the point forecast
        np.testing.assert_allclose(q[..., 3], mean, rtol=1e-12)


def test_persistence_is_the_last_value_with_the_random_walk_interval():
    rng = np.random.default_rng(21)
    walk = 100.0 + np.cumsum(rng.normal(size=500))
    m = _fit("persistence", walk, 300, 4)
    origin = np.array([299, 350, 499])  # 499: the last row of the series
    mean, sd = _moments(m, origin, walk)
    np.testing.assert_array_equal(mean, np.repeat(walk[origin][:, None], 4, axis=1))
    for i, o in enumerate(origin):  # sigma: RMS of the one-step changes up to the origin
        sigma = np.sqrt(np.mean(np.diff(walk[:o + 1]) ** 2))
        np.testing.assert_allclose(sd[i], sigma * np.sqrt(np.arange(1, 5)), rtol=1e-8)


def test_seasonal_naive_repeats_the_last_season():
    rng = np.random.default_rng(22)
    t = np.arange(400)
    y = rng.normal(size=7)[t % 7] + 0.01 * t + rng.normal(scale=0.1, size=400)
    H = 10
    m = _fit("seasonal_naive", y, 300, H, season_length=7)
    origin = np.array([300, 333, 399])
    mean, sd = _moments(m, origin, y)
    for i, o in enumerate(origin):
        np.testing.assert_array_equal(mean[i], np.resize(y[o - 6:o + 1], H))
        sigma = np.sqrt(np.mean((y[7:o + 1] - y[:o - 6]) ** 2))
        k = (np.arange(1, H + 1) - 1) // 7
        np.testing.assert_allclose(sd[i], sigma * np.sqrt(k + 1.0), rtol=1e-8)


def test_autoarima_finds_an_ar1_and_rolls_with_fixed_coefficients():
    rng = np.random.default_rng(3)
    y = np.full(600, 5.0)
    for t in range(1, 600):
        y[t] = 5.0 + 0.7 * (y[t - 1] - 5.0) + rng.normal()
    H = 4
    m = _fit("autoarima", y, 400, H)
    p, q, P, Q, _, d, D = m.order
    assert (p, q, P, Q, d, D) == (1, 0, 0, 0, 0, 0)
    coef = m.model.model_["coef"]
    phi, mu, s2 = coef["ar1"], coef["intercept"], m.model.model_["sigma2"]
    assert abs(phi - 0.7) < 0.1 and abs(mu - 5.0) < 0.3
    origin = np.array([450, 599])
    mean, sd = _moments(m, origin, y)
    h = np.arange(1, H + 1)
    for i, o in enumerate(origin):  # the AR(1) forecast and its variance in closed form
        np.testing.assert_allclose(mean[i], mu + phi ** h * (y[o] - mu), rtol=1e-9)
        np.testing.assert_allclose(sd[i], np.sqrt(s2 * np.cumsum(phi ** (2 * (h - 1)))),
                                   rtol=1e-8)


def test_autoets_rolls_the_fitted_level_forward():
    rng = np.random.default_rng(4)
    y, level = np.empty(500), 10.0
    for t in range(500):  # ETS(A,N,N) with alpha = 0.3
        y[t] = level + rng.normal(scale=0.5)
        level += 0.3 * (y[t] - level)
    H = 3
    m = _fit("autoets", y, 300, H, model="ANN")
    fitted = m.model.model_
    assert m.components == "ANNN"
    alpha, level = fitted["par"][0], fitted["par"][4]
    assert abs(alpha - 0.3) < 0.15
    origin = np.array([320, 499])
    mean, sd = _moments(m, origin, y)
    errors = np.empty(500)
    levels = np.empty(500)
    for t in range(500):  # simple exponential smoothing with the fitted alpha and start
        errors[t] = y[t] - level
        level += alpha * errors[t]
        levels[t] = level
    for i, o in enumerate(origin):
        np.testing.assert_allclose(mean[i], np.full(H, levels[o]), rtol=1e-9)
        # innovation variance of the history up to the origin, n - (parameters + 1) dof
        s2 = np.sum(errors[:o + 1] ** 2) / (o + 1 - fitted["n_params"] - 1)
        np.testing.assert_allclose(sd[i], np.sqrt(s2 * (1 + np.arange(H) * alpha ** 2)),
                                   rtol=1e-7)


def test_autoets_and_autotheta_follow_a_trend():
    rng = np.random.default_rng(8)
    trend = 20.0 + 0.3 * np.arange(200) + rng.normal(scale=0.5, size=200)
    ets = _fit("autoets", trend, 200, 5)
    assert ets.components[1] == "A"  # a trend component is chosen
    theta = _fit("autotheta", trend, 200, 5)
    assert theta.theta_model in ("STM", "OTM", "DSTM", "DOTM")
    for m in (ets, theta):
        step = np.diff(m.predict(None, np.array([199]), trend)[0])
        assert np.all(np.abs(step - 0.3) < 0.1), step  # about the true slope per row


def test_naive_intervals_cover_at_their_nominal_level():
    rng = np.random.default_rng(11)
    walk = np.cumsum(rng.normal(size=4000))
    H = 3
    m = _fit("persistence", walk, 1000, H)
    origin = np.arange(1000, 4000 - H)
    q = m.predict_quantiles(None, origin, walk, [0.1, 0.9])
    y = np.stack([walk[origin + k] for k in range(1, H + 1)], axis=1)
    cover = np.mean((y >= q[..., 0]) & (y <= q[..., 1]), axis=0)
    assert np.all(np.abs(cover - 0.8) < 0.03), cover
    season = np.zeros(3000)
    e = rng.normal(size=3000)
    for t in range(3000):
        season[t] = (season[t - 5] if t >= 5 else 0.0) + e[t]
    H = 10
    sn = _fit("seasonal_naive", season, 1000, H, season_length=5)
    origin = np.arange(1000, 3000 - H)
    q = sn.predict_quantiles(None, origin, season, [0.1, 0.9])
    y = np.stack([season[origin + k] for k in range(1, H + 1)], axis=1)
    cover = np.mean((y >= q[..., 0]) & (y <= q[..., 1]), axis=0)
    assert np.all(np.abs(cover - 0.8) < 0.04), cover


@pytest.mark.slow
@pytest.mark.parametrize("name", ["autoets", "autotheta", "autoarima"])
def test_auto_peer_intervals_cover_a_random_walk(name):
    # a walk through 0, as the Forecaster's min-max scaled targets are: additive models only (on
    # a positive walk AutoETS picks multiplicative errors, whose width follows the level)
    rng = np.random.default_rng(12)
    walk = np.cumsum(rng.normal(size=2500))
    H = 3
    m = _fit(name, walk, 500, H)
    origin = np.arange(500, 2500 - H)
    q = m.predict_quantiles(None, origin, walk, [0.1, 0.9])
    y = np.stack([walk[origin + k] for k in range(1, H + 1)], axis=1)
    cover = np.mean((y >= q[..., 0]) & (y <= q[..., 1]), axis=0)
    # AutoTheta's quantiles come from 200 paths simulated with one fixed seed, the same draws at
    # every origin, so their sampling error does not average out over origins (0.745 at h = 2)
    tol = 0.06 if name == "autotheta" else 0.04
    assert np.all(np.abs(cover - 0.8) < tol), cover


def test_peer_state_is_plain_json_and_survives_nan_and_dtypes():
    import json

    y = _seasonal_series(200, seed=5)
    for name in ("autoets", "autotheta", "autoarima"):
        m = _fit(name, y, 150, 3)
        text = json.dumps(m.state_dict(), allow_nan=False)  # strict JSON: no NaN literals
        again = get_model(name).load(make_config(name), 3, json.loads(text))
        origin = np.array([160, 199])
        np.testing.assert_array_equal(again.predict_quantiles(None, origin, y, QS),
                                      m.predict_quantiles(None, origin, y, QS))


def test_simplex_weights_against_closed_form_and_grid():
    rng = np.random.default_rng(2)
    f1, f2, f3 = rng.normal(size=(3, 200))
    y = 0.3 * f1 + 0.7 * f2 + 0.1 * rng.normal(size=200)
    w = simplex_weights(np.stack([f1, f2], 1), y)
    d = f1 - f2
    w1 = np.clip(d @ (y - f2) / (d @ d), 0, 1)  # 1-D projection onto the segment
    np.testing.assert_allclose(w, [w1, 1 - w1], atol=1e-6)
    P = np.stack([f1, f2, f3], 1)
    w3 = simplex_weights(P, y)
    grid = [(a, b, 1 - a - b) for a in np.linspace(0, 1, 201) for b in np.linspace(0, 1, 201)
            if a + b <= 1 + 1e-12]
    best = min(grid, key=lambda g: np.sum((y - P @ np.asarray(g)) ** 2))
    assert np.sum((y - P @ w3) ** 2) <= np.sum((y - P @ np.asarray(best)) ** 2) + 1e-9


def test_stacked_weights_use_training_rows_only_and_favour_the_better_member():
    rng = np.random.default_rng(4)
    t = np.arange(600)
    y = 5.0 * np.sin(2 * np.pi * t / 7) + rng.normal(scale=0.3, size=600)
    cfg = {"members": ("persistence", "seasonal_naive"),
           "member_params": {"seasonal_naive": {"season_length": 7}}}
    m = _fit("stacked", y, 400, 2, **cfg)
    assert m.weights.shape == (2, 2) and np.all(m.weights[:, 1] > 0.8)
    y2 = y.copy()
    y2[400:] += 50.0
    m2 = _fit("stacked", y2, 400, 2, **cfg)
    np.testing.assert_array_equal(m.weights, m2.weights)
    with pytest.raises(CpjaxInputError, match="network"):
        make_config("ensemble", {"members": ("persistence", "lstm")})


def test_forecast_series_checks_its_input():
    with pytest.raises(CpjaxInputError, match="network"):
        forecast_series("lstm", np.arange(30.0), 3)
    with pytest.raises(CpjaxInputError, match="too short"):
        forecast_series("persistence", np.arange(3.0), 5)
    with pytest.raises(CpjaxInputError, match="positive"):
        forecast_series("arima", np.linspace(-1, 1, 50), 2, log=True, order=(0, 1, 0))


def test_forecaster_gives_peer_quantiles_in_price_units():
    from cpjax.data import demo_market
    from cpjax.forecast import Forecaster

    df = demo_market(n_days=260)
    for name in ("autoets", "autotheta"):
        f = Forecaster(name, lookback=5, horizon=3).fit(df, target="close")
        fc = f.predict_quantiles([0.1, 0.5, 0.9])
        assert {f"{name}-q10", f"{name}-q50", f"{name}-q90"} <= set(fc.columns)
        assert np.all(fc[f"{name}-q10"] < fc[f"{name}-q50"])
        assert np.all(fc[f"{name}-q50"] < fc[f"{name}-q90"])
        if name == "autoets":  # Gaussian intervals: the median is the point forecast
            np.testing.assert_allclose(fc[f"{name}-q50"], fc[name], rtol=1e-9)
        # price units: the forecasts lie in the range of the closes, not of the scaled [0, 1]
        lo, hi = df["close"].min(), df["close"].max()
        assert fc[name].between(lo - 0.2 * (hi - lo), hi + 0.2 * (hi - lo)).all()
    with pytest.raises(CpjaxInputError, match="no quantiles"):
        Forecaster("svr", lookback=5).fit(df, target="close").predict_quantiles([0.5])


def test_peer_fit_and_load_failures_are_input_errors():
    y = np.linspace(-1.0, 1.0, 60)  # non-positive values: no multiplicative ETS
    with pytest.raises(CpjaxInputError, match="could not fit"):
        _fit("autoets", y, 60, 2, model="MNN")
    with pytest.raises(CpjaxInputError, match="needs 7 observations"):
        _fit("seasonal_naive", y, 60, 2, season_length=7).predict(None, np.array([3]), y)
    with pytest.raises(CpjaxInputError, match="NaN"):
        _fit("autotheta", np.r_[y[:30], np.nan, y[31:]], 60, 2)
    old = {"model": "AAN", "params": [0.5, 0.1], "start": 0}  # the statsmodels-era autoets state
    with pytest.raises(CpjaxInputError, match="refit"):
        get_model("autoets").load(make_config("autoets"), 2, old)
    with pytest.raises(CpjaxInputError, match="refit"):
        get_model("autotheta").load(make_config("autotheta"), 2, {"alpha": 0.5, "theta": 2.0})
