"""Year-to-date (YTD) statistics to monthly values.

China's statistics bureau publishes cumulative year-to-date figures; January is often not
published on its own (January and February come out together as the February YTD, and the
January cell holds 0). Rule used here, per group and calendar year:

- a YTD value of 0 or NaN is "not reported", unless every value of that year is 0 (then the
  monthly values are 0: e.g. no nuclear plant in that province);
- the increment between two consecutive reported months (from 0 before January) covers the months
  in between. ``split="days"`` (default) shares it in proportion to the days of those months (a
  combined January+February release gives January 31/59 of it, 31/60 in a leap year);
  ``"equal"`` shares it equally; ``"combined"`` puts it all on the reported month and leaves the
  others NaN. Column ``months_combined`` says how many months shared each increment;
- months after the last reported month of a year are NaN; a negative increment (a downward
  revision) gives NaN for its months and is counted in ``attrs["cpjax_report"]``.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence

import numpy as np
import pandas as pd

from cpjax._errors import CpjaxInputError

__all__ = ["ytd_to_monthly"]

_SPLITS = ("days", "equal", "combined")
_DAYS = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.float64)
_DAYS_LEAP = _DAYS + np.eye(12)[1]


def _year_to_monthly(months: np.ndarray, ytd: np.ndarray, days: np.ndarray, split: str):
    """months 1..12 (all twelve), ytd values; returns monthly values, months_combined, n_neg."""
    out = np.full(12, np.nan)
    comb = np.zeros(12, dtype=np.int64)
    finite = np.isfinite(ytd)
    if finite.any() and np.all(ytd[finite] == 0) and finite.all():
        return np.zeros(12), np.ones(12, dtype=np.int64), 0
    reported = np.flatnonzero(finite & (ytd != 0))
    prev_m, prev_v, negatives = -1, 0.0, 0
    for i in reported:
        inc = ytd[i] - prev_v
        span = np.arange(prev_m + 1, i + 1)
        comb[span] = span.size
        if inc < 0:
            negatives += 1
        elif split == "combined" or span.size == 1:
            out[i] = inc
        else:
            w = days[span] if split == "days" else np.ones(span.size)
            out[span] = inc * w / w.sum()
        prev_m, prev_v = i, ytd[i]
    return out, comb, negatives


def ytd_to_monthly(df: pd.DataFrame, ytd_col: str, out_col: str, *,
                   groups: Sequence[str] = (), split: str = "days") -> pd.DataFrame:
    """Convert a YTD column to monthly values (rules in the module notes).

    Arguments:
        df: long table with ``ds`` (any day of the month), ``groups`` columns and ``ytd_col``.
        ytd_col: the year-to-date column.
        out_col: name of the monthly column.
        groups: columns identifying a series (e.g. ``("province", "source")``).
        split: ``"days"``, ``"equal"`` or ``"combined"``.

    Returns:
        One row per group and calendar month of every year present (``ds`` = first of the
        month): ``ds, *groups, ytd_col, out_col, months_combined``; ``attrs["cpjax_report"]``
        counts negative increments.

    Example:
        >>> t = pd.DataFrame({"ds": pd.to_datetime(["2021-01-01", "2021-02-01", "2021-03-01"]),
        ...                   "v": [0.0, 59.0, 90.0]})
        >>> ytd_to_monthly(t, "v", "m")["m"].tolist()[:3]
        [31.0, 28.0, 31.0]
    """
    if split not in _SPLITS:
        raise CpjaxInputError(f"unknown split rule {split!r}; fix: use one of "
                              f"{', '.join(_SPLITS)}")
    groups = list(groups)
    d = df.copy()
    d["ds"] = pd.to_datetime(d["ds"]).dt.to_period("M").dt.to_timestamp()
    d["_year"] = d["ds"].dt.year
    keys = [*groups, "_year"]
    gid = d.groupby(keys, sort=True).ngroup().to_numpy()
    table = d[keys].drop_duplicates().sort_values(keys).reset_index(drop=True)
    ytd = np.full((len(table), 12), np.nan)
    ytd[gid, d["ds"].dt.month.to_numpy() - 1] = d[ytd_col].to_numpy(dtype=np.float64)
    vals = np.empty_like(ytd)
    comb = np.empty(ytd.shape, dtype=np.int64)
    negatives = 0
    for k, year in enumerate(table["_year"].to_numpy()):
        days = _DAYS_LEAP if calendar.isleap(int(year)) else _DAYS
        vals[k], comb[k], neg = _year_to_monthly(np.arange(12), ytd[k], days, split)
        negatives += neg
    rep = table.loc[table.index.repeat(12)].reset_index(drop=True)
    month = np.tile(np.arange(1, 13), len(table))
    out = pd.DataFrame({"ds": pd.to_datetime({"year": rep["_year"], "month": month, "day": 1})})
    for name in groups:
        out[name] = rep[name].to_numpy()
    out[ytd_col] = ytd.ravel()
    out[out_col] = vals.ravel()
    out["months_combined"] = comb.ravel()
    out.attrs["cpjax_report"] = {"negative_increments": negatives, "split": split}
    return out
