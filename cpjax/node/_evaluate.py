"""Test-period scoring of the Neural ODE against persistence, seasonal-naive and (S)ARIMA."""

from __future__ import annotations

import warnings

import numpy as np

__all__ = ["persistence", "seasonal_naive", "arima_forecast", "error_metrics"]


def persistence(history: np.ndarray, horizon: int) -> np.ndarray:
    """The last observed value repeated ``horizon`` times (history: (T,) or (T, S))."""
    return np.repeat(history[-1:], horizon, axis=0)


def seasonal_naive(history: np.ndarray, horizon: int, period: int = 12) -> np.ndarray:
    """Same month last year: ``ŷ(T + h) = y(T + h - period·ceil(h/period))``, i.e. the last
    observed year repeated (multi-step, no test data used)."""
    if history.shape[0] < period:
        raise ValueError(f"seasonal-naive needs at least {period} points of history")
    h = np.arange(1, horizon + 1)
    idx = history.shape[0] - 1 + h - period * np.ceil(h / period).astype(int)
    return history[idx]


def arima_forecast(history: np.ndarray, horizon: int, seasonal: bool = True,
                   period: int = 12) -> np.ndarray:
    """Multi-step forecast of a 1-d series with statsmodels SARIMAX.

    ``seasonal=True``: SARIMA(1,1,1)(0,1,1)_12 (the "airline"-type model standard for monthly
    data); ``False``: ARIMA(2,1,1). Fit by maximum likelihood on the whole ``history``; on failure
    to converge the estimate is still used (statsmodels' warning is silenced).
    """
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    order = (1, 1, 1) if seasonal else (2, 1, 1)
    sorder = (0, 1, 1, period) if seasonal else (0, 0, 0, 0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = SARIMAX(np.asarray(history, dtype=np.float64), order=order, seasonal_order=sorder,
                      enforce_stationarity=False, enforce_invertibility=False).fit(disp=False)
        return np.asarray(res.forecast(horizon))


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
