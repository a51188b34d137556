"""Outlier detection and replacement (seed 001): box-plot (IQR), k-sigma and seasonal-spike rules.

Off by default in the forecaster; when on, every replaced value is reported. Bounds and the
replacement value are computed on the ``fit_rows`` (default: all rows; pass the training rows to
keep test data out of the statistics). The mean replacement is the mean of the non-outlying
values. Note: on a trending price level, a global bound flags whole regimes; apply it to returns
or use a narrow ``fit_rows`` when that matters.

The ``"spike"`` rule (:func:`seasonal_spikes`, for seasonal series such as monthly generation)
replaces a value only when it disagrees, in the same direction, with BOTH what its neighbours
and what the seasonal pattern say it should be. A value consistent with either is kept: a level
shift, a spike in the month a year earlier (which distorts a year-on-year comparison), or a
value at the end of the series with only one side to compare with are not replaced. Rule, on
``y = ln x`` (levels when the series has negative values; zeros are raised to 1e-3 times the
median of the positive values before the logarithm, so that a reported zero in a positive
series is judged like any other value):

* neighbour expectation ``n_t``: the mean of ``y_{t-1} + c_{m(t)}`` and ``y_{t+1} - c_{m(t+1)}``
  (the sides that exist), with ``c_m`` the median change into calendar position ``m`` over the
  fit rows (the typical month-to-month seasonal step);
* seasonal expectation ``s_t``: the mean of ``y_{t-p} + g`` and ``y_{t+p} - g`` (the sides that
  exist), with ``g`` the median change over one period ``p`` in the fit rows (typical growth);
* deviations ``y_t - n_t`` and ``y_t - s_t`` are each compared with the box-plot fence
  ``[Q1 - k IQR, Q3 + k IQR]`` of that deviation over the fit rows; ``y_t`` is an outlier when
  both deviations are outside their fences on the same side (the IQR is floored at 0.1 %, of
  the median level on levels, so rounding noise of a smooth series is never an outlier);
* an outlier is replaced by ``exp((n_t + s_t) / 2)`` (``(n_t + s_t) / 2`` on levels).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from cpjax._errors import CpjaxInputError, unknown_name_message

__all__ = ["handle_outliers", "outlier_bounds", "seasonal_spikes", "OUTLIER_METHODS"]

OUTLIER_METHODS = ("iqr", "ksigma", "spike")


def outlier_bounds(values: np.ndarray, method: str = "iqr", k: float | None = None
                   ) -> tuple[float, float]:
    """Lower and upper bounds: ``[Q1 - k IQR, Q3 + k IQR]`` (k=1.5) or ``mean ± k std`` (k=3)."""
    x = np.asarray(values, dtype=np.float64)
    x = x[np.isfinite(x)]
    if method == "iqr":
        k = 1.5 if k is None else k
        q1, q3 = np.percentile(x, [25.0, 75.0])
        return float(q1 - k * (q3 - q1)), float(q3 + k * (q3 - q1))
    if method == "ksigma":
        k = 3.0 if k is None else k
        m, s = float(np.mean(x)), float(np.std(x, ddof=1)) if x.size > 1 else 0.0
        return m - k * s, m + k * s
    raise CpjaxInputError(f"unknown outlier method {method!r} for bounds; fix: use 'iqr' or "
                          "'ksigma' (the 'spike' rule has no level bounds: seasonal_spikes)")


def _fit_index(n: int, fit_rows) -> np.ndarray:
    idx = np.arange(n)
    if fit_rows is None:
        return idx
    return idx[fit_rows] if isinstance(fit_rows, slice) else idx[np.asarray(fit_rows)]


def _fence(e: np.ndarray, k: float, min_iqr: float) -> tuple[float, float]:
    e = e[np.isfinite(e)]
    if e.size < 4:
        return -np.inf, np.inf
    q1, q3 = np.percentile(e, [25.0, 75.0])
    iqr = max(float(q3 - q1), min_iqr)
    return float(q1 - k * iqr), float(q3 + k * iqr)


def _mean_of_sides(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.where(np.isnan(a), b, np.where(np.isnan(b), a, 0.5 * (a + b)))


def seasonal_spikes(values, period: int = 12, k: float = 3.0, fit_rows=None
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Values that disagree with both their neighbours and the seasonal pattern (module notes).

    Arguments:
        values: 1-D series on a regular grid (NaN = missing; never flagged, and a missing
            neighbour leaves only the other side).
        period: season length in points (12 for monthly data).
        k: box-plot multiplier of the two deviation fences (3 = "far out").
        fit_rows: rows whose deviations define the typical steps and the fences (boolean mask,
            indices or slice; default all rows). Pass the training rows to keep later data out.

    Returns:
        ``(mask, replacement)``: boolean outlier mask and, for every row, the value the rule
        would put there (``exp((n_t + s_t) / 2)``; NaN where it cannot be formed).

    Example:
        >>> t = np.arange(48)
        >>> x = 40 * (1 + 0.1 * np.sin(2 * np.pi * t / 12)); x[30] *= 1.5
        >>> mask, rep = seasonal_spikes(x)
        >>> np.flatnonzero(mask).tolist()
        [30]
    """
    x = np.asarray(values, dtype=np.float64)
    if x.ndim != 1:
        raise CpjaxInputError(f"seasonal_spikes takes one series (1-D), got shape {x.shape}; "
                              "fix: call it per column")
    if period < 2:
        raise CpjaxInputError(f"period must be >= 2 points, got {period}; fix: 12 for monthly data")
    n = x.size
    fin = np.isfinite(x)
    log = bool(fin.any() and np.all(x[fin] >= 0))
    if log:
        pos = x[fin & (x > 0)]
        floor = 1e-3 * float(np.median(pos)) if pos.size else 1.0
        y = np.where(fin, np.log(np.maximum(np.where(fin, x, 1.0), floor)), np.nan)
    else:
        y = np.where(fin, x, np.nan)
    fit = np.zeros(n, dtype=bool)
    fit[_fit_index(n, fit_rows)] = True
    step = np.full(n, np.nan)
    step[1:] = y[1:] - y[:-1]
    season = np.arange(n) % period
    with np.errstate(all="ignore"):
        c = np.array([np.nanmedian(step[fit & (season == m)]) if np.isfinite(
            step[fit & (season == m)]).any() else 0.0 for m in range(period)])
        lag = np.full(n, np.nan)
        lag[period:] = y[period:] - y[:-period]
        g = float(np.nanmedian(lag[fit])) if np.isfinite(lag[fit]).any() else 0.0
    before, after = np.full(n, np.nan), np.full(n, np.nan)
    before[1:] = y[:-1] + c[season[1:]]
    after[:-1] = y[1:] - c[season[1:]]
    neighbours = _mean_of_sides(before, after)
    before, after = np.full(n, np.nan), np.full(n, np.nan)
    before[period:] = y[:-period] + g
    after[:-period] = y[period:] - g
    seasonal = _mean_of_sides(before, after)
    e_n, e_s = y - neighbours, y - seasonal
    # IQR floored at 0.1 % (of the median level on levels): rounding noise is never an outlier
    min_iqr = 1e-3 if log else 1e-3 * max(float(np.nanmedian(np.abs(y[fit]))), 1e-300)
    lo_n, hi_n = _fence(e_n[fit], k, min_iqr)
    lo_s, hi_s = _fence(e_s[fit], k, min_iqr)
    with np.errstate(invalid="ignore"):
        mask = ((e_n > hi_n) & (e_s > hi_s)) | ((e_n < lo_n) & (e_s < lo_s))
    rep = 0.5 * (neighbours + seasonal)
    return mask & fin, (np.exp(rep) if log else rep)


def handle_outliers(df: pd.DataFrame, columns: Sequence[str] | None = None, method: str = "iqr",
                    k: float | None = None, replace: str = "median", *,
                    fit_rows=None, period: int = 12) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Replace outlying values by the median or mean of their column.

    Arguments:
        df: wide table.
        columns: columns to check (default: every numeric column except ``ds``).
        method: ``"iqr"`` (box plot, k=1.5), ``"ksigma"`` (k=3) or ``"spike"`` (k=3,
            :func:`seasonal_spikes`: replaced by its neighbour/seasonal expectation).
        k: multiplier of the IQR or of the standard deviation.
        replace: ``"median"`` or ``"mean"`` (``"iqr"``/``"ksigma"``).
        fit_rows: boolean mask, integer indices or slice of the rows the statistics come from
            (pass the training rows to keep the test period out).
        period: season length in rows for ``"spike"`` (12 for monthly data).

    Returns:
        ``(new_df, report)``; the report has one row per replaced value:
        ``column, row, ds, value, replacement, lower, upper``.

    Example:
        >>> clean, rep = handle_outliers(df, ["close"], method="ksigma", k=3)  # doctest: +SKIP
    """
    if method not in OUTLIER_METHODS:
        raise CpjaxInputError(f"unknown outlier method {method!r}; fix: use one of "
                              f"{', '.join(OUTLIER_METHODS)}")
    if replace not in ("median", "mean"):
        raise CpjaxInputError(f"unknown replacement {replace!r}; fix: use 'median' or 'mean'")
    if columns is None:
        columns = [c for c in df.columns if c != "ds" and pd.api.types.is_numeric_dtype(df[c])]
    out = df.reset_index(drop=True).copy()
    idx = np.arange(len(out))
    if fit_rows is not None:
        idx = idx[fit_rows] if isinstance(fit_rows, slice) else idx[np.asarray(fit_rows)]
    records = []
    for c in columns:
        if c not in out.columns:
            raise CpjaxInputError(unknown_name_message("column", c, map(str, out.columns))
                                  + " Fix: correct the column name.")
        x = out[c].to_numpy(dtype=np.float64).copy()
        if method == "spike":
            bad, rep = seasonal_spikes(x, period, 3.0 if k is None else k, fit_rows=idx)
            bad &= np.isfinite(rep)
            for i in np.flatnonzero(bad):
                records.append({"column": c, "row": int(i),
                                "ds": out["ds"].iloc[i] if "ds" in out.columns else None,
                                "value": float(x[i]), "replacement": float(rep[i]),
                                "lower": np.nan, "upper": np.nan})
            x[bad] = rep[bad]
            out[c] = x
            continue
        fit = x[idx]
        lo, hi = outlier_bounds(fit, method, k)
        bad = np.isfinite(x) & ((x < lo) | (x > hi))
        if not bad.any():
            continue
        keep = fit[np.isfinite(fit) & (fit >= lo) & (fit <= hi)]
        value = float(np.median(keep) if replace == "median" else np.mean(keep))
        for i in np.flatnonzero(bad):
            records.append({"column": c, "row": int(i),
                            "ds": out["ds"].iloc[i] if "ds" in out.columns else None,
                            "value": float(x[i]), "replacement": value, "lower": lo,
                            "upper": hi})
        x[bad] = value
        out[c] = x
    report = pd.DataFrame(records, columns=["column", "row", "ds", "value", "replacement",
                                            "lower", "upper"])
    return out, report
