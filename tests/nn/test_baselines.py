"""Reference models checked against independent computations."""

from __future__ import annotations

import warnings

import jax
import jax.numpy as jnp
import numpy as np

from cpjax.nn import (
    ARIMAConfig,
    ARIMAModel,
    Drift,
    DriftConfig,
    LSTMConfig,
    LSTMForecaster,
    Persistence,
    PersistenceConfig,
    SVRConfig,
    SVRModel,
    residual,
)


def _ar1(n=150, phi=0.7, seed=1):
    rng = np.random.default_rng(seed)
    y = np.zeros(n)
    for t in range(1, n):
        y[t] = phi * y[t - 1] + rng.normal()
    return y + 5.0


def test_persistence_and_drift_formulas():
    y = np.array([1.0, 2.0, 4.0, 7.0, 11.0])
    origin = np.array([2, 4])
    p = Persistence(PersistenceConfig(), 2).predict(None, origin, y)
    np.testing.assert_array_equal(p, [[4, 4], [11, 11]])
    d = Drift(DriftConfig(), 2).predict(None, origin, y)
    # Hyndman's drift: y_T + h (y_T - y_1)/(T-1)
    np.testing.assert_allclose(d, [[4 + 1.5, 4 + 3.0], [11 + 2.5, 11 + 5.0]])
    dw = Drift(DriftConfig(window=1), 1).predict(None, origin, y)
    np.testing.assert_allclose(dw[:, 0], [4 + 2, 11 + 4])


def test_arima_one_step_matches_statsmodels_refiltering():
    from statsmodels.tsa.arima.model import ARIMA

    y = _ar1()
    origin = np.arange(100, 140)
    m = ARIMAModel(ARIMAConfig(order=(1, 0, 0)), 1).fit(None, None, np.arange(9, 99), y)
    pred = m.predict(None, origin, y)[:, 0]
    # independent: re-filter the history up to each origin and forecast one step
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = [ARIMA(y[:o + 1], order=(1, 0, 0), trend="c").filter(m.params).forecast(1)[0]
               for o in origin]
    np.testing.assert_allclose(pred, ref, rtol=1e-8)
    # and the fitted AR coefficient is near the truth
    assert abs(m.params[1] - 0.7) < 0.2


def test_arima_order_search_finds_ar_structure():
    y = _ar1(n=400, phi=0.8, seed=3)
    m = ARIMAModel(ARIMAConfig(), 1).fit(None, None, np.arange(9, 390), y)
    assert m.order[1] == 0 and m.order[0] >= 1


def test_svr_matches_sklearn():
    from sklearn.svm import SVR

    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 4, 2))
    y = X[:, -1, :1] * 0.5 + 0.1 * rng.normal(size=(80, 1))
    m = SVRModel(SVRConfig(), 1).fit(X[:60], y[:60], None, None)
    ref = SVR(kernel="rbf", C=1.0, epsilon=0.01, gamma="scale").fit(X[:60].reshape(60, -1), y[:60, 0])
    np.testing.assert_allclose(m.predict(X[60:], None, None)[:, 0],
                               ref.predict(X[60:].reshape(20, -1)), rtol=1e-8, atol=1e-10)


def test_lstm_residual_adds_last_target():
    x = jax.random.normal(jax.random.key(0), (4, 6, 3))
    plain = LSTMForecaster(LSTMConfig(hidden_size=4, num_layers=1, dropout=0.0), 2)
    resid = residual(plain, "lstm")
    v = plain.init(jax.random.key(1), x)
    diff = resid.apply(v, x) - plain.apply(v, x)
    np.testing.assert_allclose(np.asarray(diff), np.repeat(np.asarray(x[:, -1, :1]), 2, 1), rtol=1e-6)
    assert jnp.all(jnp.isfinite(diff))
