"""Outlier detection and replacement (seed 001): box-plot (IQR) or k-sigma rules.

Off by default in the forecaster; when on, every replaced value is reported. Bounds and the
replacement value are computed on the ``fit_rows`` (default: all rows; pass the training rows to
keep test data out of the statistics). The mean replacement is the mean of the non-outlying
values. Note: on a trending price level, a global bound flags whole regimes; apply it to returns
or use a narrow ``fit_rows`` when that matters.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from cpjax._errors import CpjaxInputError, unknown_name_message

__all__ = ["handle_outliers", "outlier_bounds"]


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
    raise CpjaxInputError(f"unknown outlier method {method!r}; fix: use 'iqr' or 'ksigma'")


def handle_outliers(df: pd.DataFrame, columns: Sequence[str] | None = None, method: str = "iqr",
                    k: float | None = None, replace: str = "median", *,
                    fit_rows=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Replace outlying values by the median or mean of their column.

    Arguments:
        df: wide table.
        columns: columns to check (default: every numeric column except ``ds``).
        method: ``"iqr"`` (box plot, k=1.5) or ``"ksigma"`` (k=3).
        k: multiplier of the IQR or of the standard deviation.
        replace: ``"median"`` or ``"mean"``.
        fit_rows: boolean mask, integer indices or slice of the rows the statistics come from
            (pass the training rows to keep the test period out).

    Returns:
        ``(new_df, report)``; the report has one row per replaced value:
        ``column, row, ds, value, replacement, lower, upper``.

    Example:
        >>> clean, rep = handle_outliers(df, ["close"], method="ksigma", k=3)  # doctest: +SKIP
    """
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
