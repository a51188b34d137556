"""Fit a registry estimator on one series and forecast from its end: the public interface that
node and quota use for their statistical baselines (seasonal naive, ARIMA, SVR, ...).

``forecast_series("arima", y, 36, order=(1, 0, 1), seasonal_order=(0, 1, 0), season_length=12,
log=True, method="hannan_rissanen")`` fits on all of ``y`` and returns the 36 values after it.
The windows handed to the estimator have ``lookback`` rows of ``y`` (the only feature); their
targets are the next ``horizon`` values, so every target lies inside ``y``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .._errors import CpjaxInputError
from ._registry import get_model, make_config

__all__ = ["forecast_series"]


def forecast_series(model: str, y, horizon: int, *, lookback: int = 1,
                    quantiles: Sequence[float] | None = None, **hyper: Any) -> np.ndarray:
    """The ``horizon`` values after the end of ``y`` forecast by estimator ``model``.

    Arguments:
        model: registry name of an estimator (``cpjax models``).
        y: ``(T,)`` observed values (no NaN).
        horizon: steps ahead (>= 1).
        lookback: rows per input window for estimators that read windows (e.g. ``svr``).
        quantiles: also return the model's quantiles at these levels.
        **hyper: the model's hyperparameters (checked against its config).

    Returns:
        ``(horizon,)`` point forecasts, or with ``quantiles`` a pair
        ``(forecasts, (horizon, Q) quantiles)``.
    """
    spec = get_model(model)
    if spec.kind != "estimator":
        raise CpjaxInputError(f"{model!r} is a network; forecast_series fits estimators only; "
                              "fix: train networks with cpjax.forecast.Forecaster")
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    if isinstance(horizon, bool) or int(horizon) < 1:
        raise CpjaxInputError(f"horizon must be a positive integer, got {horizon!r}")
    if not np.all(np.isfinite(y)):
        raise CpjaxInputError("the series has NaN or infinite values; fix: impute them first")
    H, L = int(horizon), int(lookback)
    origin = np.arange(L - 1, y.size - H)
    if origin.size == 0:
        raise CpjaxInputError(f"a series of {y.size} values is too short for lookback {L} and "
                              f"horizon {H}; fix: give at least {L + H} values")
    X = np.stack([y[o - L + 1:o + 1] for o in origin])[:, :, None]
    Y = np.stack([y[o + 1:o + H + 1] for o in origin])
    est = spec.build(make_config(model, hyper), H).fit(X, Y, origin, y)
    last = np.array([y.size - 1])
    x_last = y[-L:][None, :, None]
    mean = np.asarray(est.predict(x_last, last, y), dtype=np.float64)[0]
    if quantiles is None:
        return mean
    if not hasattr(est, "predict_quantiles"):
        raise CpjaxInputError(f"{model!r} has no quantiles; fix: call without quantiles")
    return mean, np.asarray(est.predict_quantiles(x_last, last, y, quantiles))[0]
