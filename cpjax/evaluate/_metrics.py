"""Point-forecast accuracy metrics on host arrays (NumPy, float64).

Every metric has the form ``metric(y_true, y_pred, **kw) -> float``.  Inputs may be lists, NumPy
arrays, pandas Series or JAX arrays of the same length; they are flattened and cast to float64.
Length mismatches, empty inputs, non-finite values and values too large to square (above 1e150)
raise :class:`cpjax._errors.CpjaxInputError`: a metric is finite, NaN where it is undefined (r2 of
a constant series, mape when every actual value is 0), or an error.
The exact formulas are in ``docs/evaluate.md``.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from cpjax._errors import CpjaxInputError

from ._types import Vector

__all__ = [
    "as_vector",
    "directional_accuracy",
    "mae",
    "mape",
    "mase",
    "mse",
    "persistence_scale",
    "r2",
    "rmse",
    "smape",
]


def as_vector(x: ArrayLike, name: str = "values") -> np.ndarray:
    """Return ``x`` as a finite, non-empty, 1-D float64 NumPy array (or raise CpjaxInputError)."""
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise CpjaxInputError(
            f"{name} must be numeric ({exc}); fix: pass a numeric array, list or Series"
        ) from None
    if arr.ndim > 1 and sum(s > 1 for s in arr.shape) > 1:
        raise CpjaxInputError(
            f"{name} has shape {arr.shape}; fix: pass one series at a time (a 1-D array)"
        )
    arr = arr.reshape(-1)
    if arr.size == 0:
        raise CpjaxInputError(f"{name} is empty; fix: pass at least one value")
    if not np.all(np.isfinite(arr)):
        bad = int(np.sum(~np.isfinite(arr)))
        raise CpjaxInputError(
            f"{name} contains {bad} NaN or infinite value(s); fix: drop or impute them first"
        )
    return arr


# Largest magnitude scored: squared errors of values up to this size, summed over any realistic
# number of days, stay finite in float64 (so no metric silently comes out inf or NaN).
_LARGEST = 1e150


def _pair(y_true: ArrayLike, y_pred: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    yt = as_vector(y_true, "y_true")
    yp = as_vector(y_pred, "y_pred")
    for name, v in (("y_true", yt), ("y_pred", yp)):
        big = float(np.max(np.abs(v)))
        if big > _LARGEST:
            raise CpjaxInputError(
                f"{name} holds a value of magnitude {big:.3g}, too large to score (squared "
                "errors would overflow to infinity); fix: check the data for a placeholder or "
                "unit error (data_report.json lists extreme values)")
    if yt.shape != yp.shape:
        raise CpjaxInputError(
            f"y_true has {yt.size} values but y_pred has {yp.size}; fix: align the forecasts "
            "with the actual values (same days, same length)"
        )
    return yt, yp


def _aligned(x: ArrayLike, n: int, name: str) -> np.ndarray:
    arr = as_vector(x, name)
    if arr.size != n:
        raise CpjaxInputError(
            f"{name} has {arr.size} values but y_true has {n}; fix: pass one value per forecast day"
        )
    return arr


def mse(y_true: Vector, y_pred: Vector) -> float:
    """Mean squared error ``mean((y - yhat)**2)``.

    Example:
        >>> mse([1.0, 2.0], [1.0, 4.0])
        2.0
    """
    yt, yp = _pair(y_true, y_pred)
    return float(np.mean((yt - yp) ** 2))


def rmse(y_true: Vector, y_pred: Vector) -> float:
    """Root mean squared error ``sqrt(mse)``, in the units of ``y``."""
    return float(np.sqrt(mse(y_true, y_pred)))


def mae(y_true: Vector, y_pred: Vector) -> float:
    """Mean absolute error ``mean(|y - yhat|)``, in the units of ``y``."""
    yt, yp = _pair(y_true, y_pred)
    return float(np.mean(np.abs(yt - yp)))


def r2(y_true: Vector, y_pred: Vector) -> float:
    """Coefficient of determination ``1 - SS_res / SS_tot`` (can be negative).

    Returns ``nan`` when ``y_true`` is constant (``SS_tot == 0``): R² is undefined there.
    (scikit-learn returns 1.0 or 0.0 in that case; we prefer an honest ``nan``.)
    """
    yt, yp = _pair(y_true, y_pred)
    ss_tot = float(np.sum((yt - yt.mean()) ** 2))
    if ss_tot == 0.0:
        return float("nan")
    return float(1.0 - np.sum((yt - yp) ** 2) / ss_tot)


def mape(y_true: Vector, y_pred: Vector, *, zeros: Literal["skip", "eps"] = "skip") -> float:
    """Mean absolute percentage error in percent: ``100 * mean(|y - yhat| / |y|)``.

    Arguments:
        zeros: what to do with days where ``y == 0``.  ``"skip"`` (default) leaves them out of
            the mean (``nan`` if every day is zero); ``"eps"`` divides by
            ``max(|y|, machine epsilon)`` like ``sklearn.metrics.mean_absolute_percentage_error``
            (which returns a fraction, not percent).
    """
    yt, yp = _pair(y_true, y_pred)
    if zeros == "eps":
        denom = np.maximum(np.abs(yt), np.finfo(np.float64).eps)
        return float(100.0 * np.mean(np.abs(yt - yp) / denom))
    if zeros != "skip":
        raise CpjaxInputError(f"mape: zeros={zeros!r} is not allowed; fix: use 'skip' or 'eps'")
    keep = yt != 0.0
    if not np.any(keep):
        return float("nan")
    return float(100.0 * np.mean(np.abs(yt[keep] - yp[keep]) / np.abs(yt[keep])))


def smape(y_true: Vector, y_pred: Vector) -> float:
    """Symmetric MAPE in percent, in [0, 200]: ``100 * mean(2|y - yhat| / (|y| + |yhat|))``.

    Days where ``y == yhat == 0`` count as zero error.
    """
    yt, yp = _pair(y_true, y_pred)
    num = 2.0 * np.abs(yt - yp)
    den = np.abs(yt) + np.abs(yp)
    terms = np.divide(num, den, out=np.zeros_like(num), where=den > 0)
    return float(100.0 * np.mean(terms))


def persistence_scale(y_train: Vector, m: int = 1) -> float:
    """In-sample MAE of the (seasonal) persistence forecast: ``mean(|y_t - y_{t-m}|)``.

    This is the MASE denominator of Hyndman & Koehler (2006); ``m=1`` is the one-step naive
    (random-walk) forecast on the training data.
    """
    yt = as_vector(y_train, "y_train")
    if m < 1 or yt.size <= m:
        raise CpjaxInputError(
            f"y_train has {yt.size} values, too few for a lag-{m} persistence scale; "
            f"fix: pass at least {m + 1} training values (and m >= 1)"
        )
    return float(np.mean(np.abs(yt[m:] - yt[:-m])))


def mase(
    y_true: Vector,
    y_pred: Vector,
    *,
    y_train: Vector | None = None,
    scale: float | None = None,
    m: int = 1,
) -> float:
    """Mean absolute scaled error ``mae(y, yhat) / scale``.

    ``scale`` is the in-sample MAE of the lag-``m`` persistence forecast on ``y_train``
    (:func:`persistence_scale`); pass either ``y_train`` or an explicit ``scale``.  MASE < 1 means
    the forecast beats the in-sample naive forecast.

    Example:
        >>> y = [1.0, 2.0, 4.0, 7.0]
        >>> mase(y[1:], y[:-1], y_train=y)   # persistence on its own training data
        1.0
    """
    if (y_train is None) == (scale is None):
        raise CpjaxInputError(
            "mase needs exactly one of y_train or scale; fix: pass the training series "
            "(y_train=...) or a precomputed persistence MAE (scale=...)"
        )
    s = persistence_scale(y_train, m) if scale is None else float(scale)
    if not np.isfinite(s) or s <= 0.0:
        raise CpjaxInputError(
            f"mase scale is {s}; it must be positive (a constant training series has scale 0); "
            "fix: use a non-constant y_train or another metric"
        )
    value = mae(y_true, y_pred) / s
    if not np.isfinite(value):
        raise CpjaxInputError(f"mase is not finite (scale {s:.3g} is too small); fix: use "
                              "another metric for this series")
    return value


def directional_accuracy(y_true: Vector, y_pred: Vector, *, last: Vector | None = None) -> float:
    """Share of days where the forecast moves in the same direction as the actual value.

    A day counts as a hit when ``sign(yhat - last) == sign(y - last)``, where ``last`` is the last
    value observed before that forecast was made (so "no change" matches "no change").  Without
    ``last`` the previous actual value is used (``last = y_true[:-1]``, scored on days 2..n),
    which is right for one-step-ahead forecasts only.

    Returns a fraction in [0, 1].
    """
    yt, yp = _pair(y_true, y_pred)
    if last is None:
        if yt.size < 2:
            raise CpjaxInputError(
                "directional_accuracy without `last` needs at least 2 days; fix: pass last=..."
            )
        lt, yt, yp = yt[:-1], yt[1:], yp[1:]
    else:
        lt = _aligned(last, yt.size, "last")
    return float(np.mean(np.sign(yp - lt) == np.sign(yt - lt)))
