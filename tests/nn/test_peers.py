"""Statistical peers and ensembles checked against independent computations (statsmodels'
own forecasting paths, closed forms, brute force, simulated coverage)."""

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


def test_arima_and_ets_rolling_forecasts_equal_statsmodels_refiltering():
    from statsmodels.tsa.arima.model import ARIMA
    from statsmodels.tsa.statespace.exponential_smoothing import ExponentialSmoothing

    y = _seasonal_series()
    origin = np.array([200, 221, 259])
    sarima = _fit("arima", y, 200, 4, order=(1, 1, 1), seasonal_order=(0, 1, 1), season_length=12)
    ets = _fit("autoets", y, 200, 4, model="AAdN")
    for model, build in (
            (sarima, lambda x: ARIMA(x, order=(1, 1, 1), seasonal_order=(0, 1, 1, 12))),
            (ets, lambda x: ExponentialSmoothing(x, trend=True, damped_trend=True,
                                                 concentrate_scale=False))):
        mean, sd = _moments(model, origin, y)
        np.testing.assert_allclose(model.predict(None, origin, y), mean, rtol=1e-12)
        for i, o in enumerate(origin):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ref = build(y[:o + 1]).filter(model.params).get_forecast(4)
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


def test_theta_equals_statsmodels_and_rolls_with_fixed_parameters():
    from statsmodels.tsa.arima_process import arma2ma
    from statsmodels.tsa.forecasting.theta import ThetaModel
    from statsmodels.tsa.holtwinters import SimpleExpSmoothing

    rng = np.random.default_rng(7)
    y = 50.0 + np.cumsum(0.05 + rng.normal(size=300))
    H = 5
    m = _fit("autotheta", y, 240, H, theta=2.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = ThetaModel(y[:240], period=1, deseasonalize=False).fit()
    np.testing.assert_allclose(m.predict(None, np.array([239]), y)[0],
                               res.forecast(H, theta=2.0), rtol=1e-9)
    # later origin, parameters fixed: SES level with the training alpha + the theta trend term
    alpha, b0 = res.params["alpha"], res.params["b0"]
    o = 280
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ses = SimpleExpSmoothing(y[:o + 1], initialization_method="known",
                                 initial_level=y[0]).fit(smoothing_level=alpha, optimized=False)
    h = np.arange(1, H + 1)
    ref = ses.forecast(H) + 0.5 * b0 * (h - 1 + 1 / alpha - (1 - alpha) ** (o + 1) / alpha)
    mean, sd = _moments(m, np.array([o]), y)
    np.testing.assert_allclose(mean[0], ref, rtol=1e-9)
    psi = arma2ma([1.0, -1.0], [1.0, alpha - 1.0], lags=H)  # ARIMA(0,1,1) psi weights
    np.testing.assert_allclose(sd[0], np.sqrt(res.sigma2 * np.cumsum(psi ** 2)), rtol=1e-9)


def test_autotheta_and_autoets_choose_by_their_criteria():
    rng = np.random.default_rng(8)
    trend = 20.0 + 0.3 * np.arange(200) + rng.normal(scale=0.5, size=200)
    ets = _fit("autoets", trend, 200, 1)
    assert ets.code in ("AAN", "AAdN")  # a strong trend needs a trend component
    th = _fit("autotheta", trend, 200, 3)
    assert th.state["theta"] > 1.0  # theta = 1 (SES, no drift) lags a trend


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
    np.testing.assert_array_equal(sn.predict(None, origin[:1], season)[0],
                                  np.resize(season[origin[0] - 4:origin[0] + 1], H))
    cover = np.mean((y >= q[..., 0]) & (y <= q[..., 1]), axis=0)
    assert np.all(np.abs(cover - 0.8) < 0.04), cover


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
    f = Forecaster("autotheta", lookback=5, horizon=3).fit(df, target="close")
    fc = f.predict_quantiles([0.1, 0.5, 0.9])
    assert {"autotheta-q10", "autotheta-q50", "autotheta-q90"} <= set(fc.columns)
    assert np.all(fc["autotheta-q10"] < fc["autotheta-q50"])
    assert np.all(fc["autotheta-q50"] < fc["autotheta-q90"])
    np.testing.assert_allclose(fc["autotheta-q50"], fc["autotheta"], rtol=1e-9)  # Gaussian median
    with pytest.raises(CpjaxInputError, match="no quantiles"):
        Forecaster("svr", lookback=5).fit(df, target="close").predict_quantiles([0.5])
