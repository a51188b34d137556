"""Test-period scoring of the Neural ODE against persistence, seasonal-naive and (S)ARIMA.

The baselines are the model registry's estimators (``cpjax.nn``): ``persistence``,
``seasonal_naive`` and ``arima``, fitted on each history column through
:func:`cpjax.nn.forecast_series`.
"""

from __future__ import annotations

import numpy as np

from ..nn import forecast_series

__all__ = ["persistence", "seasonal_naive", "arima_forecast", "error_metrics"]


def _per_column(model: str, history: np.ndarray, horizon: int, **hyper) -> np.ndarray:
    h = np.asarray(history, dtype=np.float64)
    if h.ndim == 1:
        return forecast_series(model, h, horizon, **hyper)
    return np.stack([forecast_series(model, h[:, j], horizon, **hyper)
                     for j in range(h.shape[1])], axis=1)


def persistence(history: np.ndarray, horizon: int) -> np.ndarray:
    """The last observed value repeated ``horizon`` times (history: (T,) or (T, S))."""
    return _per_column("persistence", history, horizon)


def seasonal_naive(history: np.ndarray, horizon: int, period: int = 12) -> np.ndarray:
    """Same month last year: ``ŷ(T + h) = y(T + h - period·ceil(h/period))``, i.e. the last
    observed year repeated (multi-step, no test data used; registry ``seasonal_naive``)."""
    if np.asarray(history).shape[0] < period:
        raise ValueError(f"seasonal-naive needs at least {period} points of history")
    return _per_column("seasonal_naive", history, horizon, season_length=period)


def arima_forecast(history: np.ndarray, horizon: int, seasonal: bool = True,
                   period: int = 12) -> np.ndarray:
    """Multi-step forecast of a 1-d series with the registry's ``arima`` (statsmodels).

    ``seasonal=True``: SARIMA(1,1,1)(0,1,1)_12 (the "airline"-type model standard for monthly
    data); ``False``: ARIMA(2,1,1). Fit by maximum likelihood on the whole ``history`` without
    enforcing stationarity or invertibility (as statsmodels' SARIMAX did here before).
    """
    if seasonal:
        spec = {"order": (1, 1, 1), "seasonal_order": (0, 1, 1), "season_length": period}
    else:
        spec = {"order": (2, 1, 1)}
    return _per_column("arima", history, horizon, enforce=False, max_train=0, **spec)


def error_metrics(y: np.ndarray, yhat: np.ndarray) -> dict[str, float]:
    """MSE, RMSE, MAE and MAPE (%) over all entries (NaNs in ``y`` ignored)."""
    y = np.asarray(y, dtype=np.float64).ravel()
    yhat = np.asarray(yhat, dtype=np.float64).ravel()
    ok = ~np.isnan(y)
    e = yhat[ok] - y[ok]
    nz = ok & (np.abs(y) > 1e-12)
    mape = float(np.mean(np.abs((yhat[nz] - y[nz]) / y[nz])) * 100) if nz.any() else float("nan")
    mse = float(np.mean(e**2))
    return {"mse": mse, "rmse": float(np.sqrt(mse)), "mae": float(np.mean(np.abs(e))),
            "mape": mape}
