"""Split-conformal prediction intervals from held-out (calibration) residuals.

Given ``n`` calibration residuals ``r_i = y_i - yhat_i`` that are exchangeable with the residual
of a new day, the interval ``yhat ± q`` with ``q`` the ``k``-th smallest ``|r_i|``,
``k = ceil((n + 1)(1 - alpha))``, covers the new value with probability at least ``1 - alpha``
(Vovk, Gammerman & Shafer 2005; Lei, G'Sell, Rinaldo, Tibshirani & Wasserman 2018).  If
``k > n`` the interval is infinite: too few calibration points for that level.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Literal

import numpy as np
import pandas as pd

from cpjax._errors import CpjaxInputError

from ._metrics import as_vector
from ._types import Vector

__all__ = [
    "add_interval_columns",
    "conformal_intervals",
    "conformal_quantile",
    "empirical_coverage",
    "interval_column_names",
    "interval_score",
]


def _alpha(level: float) -> float:
    lv = float(level)
    if not 1.0 <= lv < 100.0:
        hint = (
            f" ({level} looks like a fraction: use {100 * lv:g} for {100 * lv:g} %)"
            if 0 < lv < 1
            else ""
        )
        raise CpjaxInputError(
            f"interval level {level} must be a percentage in [1, 100){hint}; fix: use e.g. 80 or 95"
        )
    return (100.0 - lv) / 100.0  # exact for integer levels: (100 - 80) / 100 == 0.2


def _kth(sorted_scores: np.ndarray, k: int) -> float:
    """The k-th smallest score (1-based); +inf above n, -inf below 1."""
    n = sorted_scores.size
    if k > n:
        return float("inf")
    if k < 1:
        return float("-inf")
    return float(sorted_scores[k - 1])


def conformal_quantile(scores: Vector, level: float) -> float:
    """Finite-sample conformal quantile: the ``ceil((n+1) * level/100)``-th smallest score.

    Example:
        >>> conformal_quantile([5.0, 1.0, 3.0, 2.0, 4.0], 80)   # ceil(6 * 0.8) = 5th smallest
        5.0
    """
    s = np.sort(as_vector(scores, "scores"))
    alpha = _alpha(level)
    # Round before ceil so that e.g. (n+1)*0.9 = 9.000000000000002 does not become 10.
    k = math.ceil(round((s.size + 1) * (1.0 - alpha), 9))
    return _kth(s, k)


def conformal_intervals(
    residuals_calibration: Vector,
    point_forecasts: Vector,
    levels: Iterable[float] = (80, 95),
    *,
    method: Literal["absolute", "signed"] = "absolute",
) -> dict[float, tuple[np.ndarray, np.ndarray]]:
    """Split-conformal intervals around point forecasts.

    Arguments:
        residuals_calibration: ``y - yhat`` on a calibration period the model was not fitted on.
        point_forecasts: forecasts for the days to cover.
        levels: coverage levels in percent.
        method: ``"absolute"`` (default): symmetric ``yhat ± q`` with ``q`` the
            :func:`conformal_quantile` of ``|r|``.  ``"signed"``: asymmetric
            ``[yhat + r_(k_lo), yhat + r_(k_hi)]`` from the sorted signed residuals with
            ``k_hi = ceil((n+1)(1 - alpha/2))`` and ``k_lo = floor((n+1) alpha/2)``; each tail
            misses at most ``alpha/2``, so coverage is still at least ``1 - alpha``.

    Returns:
        ``{level: (lo, hi)}`` with arrays shaped like ``point_forecasts``; bounds are ``±inf``
        when the calibration set is too small for the level.

    Example:
        >>> iv = conformal_intervals([-1.0, 0.5, 2.0, -0.2], [10.0, 11.0], levels=[50])
        >>> iv[50][0].tolist(), iv[50][1].tolist()
        ([9.0, 10.0], [11.0, 12.0])
    """
    r = as_vector(residuals_calibration, "residuals_calibration")
    f = as_vector(point_forecasts, "point_forecasts")
    if method not in ("absolute", "signed"):
        raise CpjaxInputError(f"method={method!r} is unknown; fix: use 'absolute' or 'signed'")
    out: dict[float, tuple[np.ndarray, np.ndarray]] = {}
    rs = np.sort(r)
    n = r.size
    for level in levels:
        alpha = _alpha(level)
        if method == "absolute":
            q = conformal_quantile(np.abs(r), level)
            lo, hi = f - q, f + q
        else:
            k_hi = math.ceil(round((n + 1) * (1.0 - alpha / 2.0), 9))
            k_lo = math.floor(round((n + 1) * (alpha / 2.0), 9))
            lo, hi = f + _kth(rs, k_lo), f + _kth(rs, k_hi)
        out[level] = (lo, hi)
    return out


def _level_name(level: float) -> str:
    lv = float(level)
    return str(int(lv)) if lv.is_integer() else f"{lv:g}"


def interval_column_names(model: str, level: float) -> tuple[str, str]:
    """Column names ``MODEL-lo-LEVEL`` and ``MODEL-hi-LEVEL`` (Nixtla's convention)."""
    name = _level_name(level)
    return f"{model}-lo-{name}", f"{model}-hi-{name}"


def add_interval_columns(
    df: pd.DataFrame, model: str, intervals: dict[float, tuple[Vector, Vector]]
) -> pd.DataFrame:
    """Return a copy of ``df`` with ``MODEL-lo-L`` / ``MODEL-hi-L`` columns for every level ``L``.

    ``intervals`` is the output of :func:`conformal_intervals` for rows aligned with ``df``.
    """
    out = df.copy()
    for level, (lo, hi) in intervals.items():
        lo_a = np.asarray(lo, dtype=np.float64).reshape(-1)
        hi_a = np.asarray(hi, dtype=np.float64).reshape(-1)
        if lo_a.size != len(df) or hi_a.size != len(df):
            raise CpjaxInputError(
                f"interval {level} for {model!r} has {lo_a.size} values but the table has "
                f"{len(df)} rows; fix: compute intervals for exactly the rows of the table"
            )
        c_lo, c_hi = interval_column_names(model, level)
        out[c_lo], out[c_hi] = lo_a, hi_a
    return out


def _bounds(y: Vector, lo: Vector, hi: Vector) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    yv = as_vector(y, "y")
    lo_a = np.asarray(lo, dtype=np.float64).reshape(-1)
    hi_a = np.asarray(hi, dtype=np.float64).reshape(-1)
    if lo_a.size != yv.size or hi_a.size != yv.size:
        raise CpjaxInputError(
            f"y has {yv.size} values but the bounds have {lo_a.size} and {hi_a.size}; fix: pass "
            "one bound per day"
        )
    if np.any(np.isnan(lo_a)) or np.any(np.isnan(hi_a)):
        raise CpjaxInputError("interval bounds contain NaN; fix: drop those days first")
    return yv, lo_a, hi_a


def empirical_coverage(y: Vector, lo: Vector, hi: Vector) -> float:
    """Share of days with ``lo <= y <= hi`` (infinite bounds allowed)."""
    yv, lo_a, hi_a = _bounds(y, lo, hi)
    return float(np.mean((lo_a <= yv) & (yv <= hi_a)))


def interval_score(y: Vector, lo: Vector, hi: Vector, level: float) -> float:
    """Mean interval (Winkler) score of Gneiting & Raftery (2007); lower is better.

    ``(hi - lo) + (2/alpha) (lo - y) 1[y < lo] + (2/alpha) (y - hi) 1[y > hi]`` averaged over days,
    ``alpha = 1 - level/100``: width plus a penalty for each miss.  Infinite for infinite bounds.

    Example:
        >>> interval_score([1.0, 5.0], [0.0, 0.0], [2.0, 2.0], level=80)  # (2 + (2 + 10*3)) / 2
        17.0
    """
    alpha = _alpha(level)
    yv, lo_a, hi_a = _bounds(y, lo, hi)
    below = np.where(yv < lo_a, lo_a - yv, 0.0)
    above = np.where(yv > hi_a, yv - hi_a, 0.0)
    return float(np.mean((hi_a - lo_a) + (2.0 / alpha) * (below + above)))
