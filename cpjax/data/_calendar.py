"""Put series of other frequencies on the target's trading days (seed 003's alignment).

Three kinds:

- ``"daily"``: reindex to the trading days; values on other days are dropped and missing trading
  days become NaN (then :func:`cpjax.data.impute` fills them).
- ``"low_frequency"`` (quarterly GDP, monthly PPI): a cubic spline (``scipy CubicSpline``,
  not-a-knot ends) through the release-date values, evaluated on the trading days, plus a 0/1
  column ``<name>_release`` that is 1 on the first trading day on or after each release.
  Before the first release the value is NaN; after the last it holds the last value (no spline
  extrapolation). **Look-ahead**: between two releases the spline uses the *next* release, as in
  seed 003; use ``"point_in_time"`` when a forecast must only use data published before it.
- ``"point_in_time"`` (monthly capacity): the last value published on or before each trading day
  (forward fill); NaN before the first observation.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy.interpolate import CubicSpline

from cpjax._errors import CpjaxInputError

from ._read import read_table

__all__ = ["ALIGN_KINDS", "align", "align_to_calendar"]

ALIGN_KINDS = ("daily", "low_frequency", "point_in_time")


def _as_frame(series, name: str) -> pd.DataFrame:
    """Accept a Series with a DatetimeIndex or a DataFrame with a date column."""
    if isinstance(series, pd.Series):
        if not isinstance(series.index, pd.DatetimeIndex):
            raise CpjaxInputError(f"series {name!r} needs a DatetimeIndex; "
                                  "fix: pass a DataFrame with a date column instead")
        frame = series.rename(series.name if series.name is not None else name).to_frame()
        frame = frame.rename_axis("ds").reset_index()
    elif isinstance(series, pd.DataFrame):
        frame = series
    else:
        raise CpjaxInputError(f"series {name!r} is a {type(series).__name__}; "
                              "fix: pass a pandas Series or DataFrame")
    return read_table(frame)  # parses dates, rejects duplicates and text, sorts


def align_to_calendar(base_dates, series, kind: str, *, name: str = "series") -> pd.DataFrame:
    """Align one series (or the value columns of one frame) to ``base_dates``.

    Arguments:
        base_dates: the target's trading days (sorted, unique), e.g. ``target_df["ds"]``.
        series: Series with a DatetimeIndex, or DataFrame with a date column + value columns.
        kind: ``"daily"``, ``"low_frequency"`` or ``"point_in_time"`` (see the module notes).
        name: used for the release dummy (``<name>_release``) and in messages.

    Returns:
        DataFrame with one row per base date (column ``ds``) and the aligned value columns
        (plus ``<name>_release`` for ``"low_frequency"``).

    Example:
        >>> gdp_daily = align_to_calendar(prices["ds"], gdp_quarterly, "low_frequency",
        ...                               name="gdp")  # doctest: +SKIP
    """
    if kind not in ALIGN_KINDS:
        raise CpjaxInputError(f"unknown alignment kind {kind!r} for {name!r}; "
                              f"fix: use one of {', '.join(ALIGN_KINDS)}")
    base = pd.DatetimeIndex(pd.to_datetime(base_dates)).astype("datetime64[ns]")
    if not base.is_monotonic_increasing or base.has_duplicates:
        raise CpjaxInputError("base dates must be sorted and unique (the target's trading days); "
                              "fix: pass read_table(...)['ds']")
    frame = _as_frame(series, name)
    values = [c for c in frame.columns if c not in ("ds", "unique_id")]
    out = pd.DataFrame({"ds": base})
    src_days = frame["ds"].to_numpy(dtype="datetime64[ns]")
    if kind == "daily":
        ix = frame.set_index("ds")[values].reindex(base)
        for c in values:
            out[c] = ix[c].to_numpy()
        return out
    t_base = base.to_numpy().astype("datetime64[D]").astype(np.float64)
    for c in values:
        v = frame[c].to_numpy(dtype=np.float64)
        ok = np.isfinite(v)
        t_src = src_days[ok].astype("datetime64[D]").astype(np.float64)
        v = v[ok]
        res = np.full(len(base), np.nan)
        if v.size == 0:
            out[c] = res
            continue
        if kind == "point_in_time":
            pos = np.searchsorted(t_src, t_base, side="right") - 1
            has = pos >= 0
            res[has] = v[pos[has]]
        else:
            inside = (t_base >= t_src[0]) & (t_base <= t_src[-1])
            if v.size >= 2:
                res[inside] = CubicSpline(t_src, v)(t_base[inside])
            else:
                res[inside] = v[0]
            res[t_base > t_src[-1]] = v[-1]
        out[c] = res
    if kind == "low_frequency":
        release = np.zeros(len(base), dtype=np.float64)
        first = np.searchsorted(t_base, src_days.astype("datetime64[D]").astype(np.float64),
                                side="left")
        release[first[first < len(base)]] = 1.0
        out[f"{name}_release"] = release
    return out


def align(target_df: pd.DataFrame, others: Mapping[str, tuple] | None = None) -> pd.DataFrame:
    """Join other series onto the target's trading days.

    Arguments:
        target_df: wide table with ``ds`` (its rows are the calendar) and the target columns.
        others: ``{name: (frame_or_series, kind)}``. A source with one value column becomes the
            column ``name``; with several, ``<name>_<column>``. Low-frequency sources add
            ``<name>_release``.

    Returns:
        ``target_df`` with the aligned columns appended (same rows, same order).

    Example:
        >>> df = align(prices, {"gdp": (gdp, "low_frequency"), "eua": (eua, "daily")})  # doctest: +SKIP
    """
    if "ds" not in target_df.columns:
        target_df = read_table(target_df)
    out = target_df.sort_values("ds").reset_index(drop=True).copy()
    for name, spec in (others or {}).items():
        if not isinstance(spec, tuple) or len(spec) != 2:
            raise CpjaxInputError(f"others[{name!r}] must be a (frame, kind) pair; "
                                  f"fix: e.g. others={{{name!r}: (df, 'daily')}}")
        frame, kind = spec
        aligned = align_to_calendar(out["ds"], frame, kind, name=name)
        values = [c for c in aligned.columns if c != "ds" and c != f"{name}_release"]
        rename = {values[0]: name} if len(values) == 1 else {c: f"{name}_{c}" for c in values}
        aligned = aligned.rename(columns=rename)
        for c in aligned.columns:
            if c == "ds":
                continue
            if c in out.columns:
                raise CpjaxInputError(f"aligned column {c!r} already exists in the target table; "
                                      "fix: choose another name in others=")
            out[c] = aligned[c].to_numpy()
    return out
