"""Checks on the columns and the length of a table before a model sees it."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from cpjax._errors import CpjaxInputError, unknown_name_message

__all__ = ["check_length", "check_no_future_copy", "validate_columns"]


def validate_columns(df: pd.DataFrame, target: str, features: Iterable[str] = (), *,
                     source: str = "the table") -> list[str]:
    """Check that ``target`` and ``features`` exist, are numeric and that the target varies.

    Arguments:
        df: table from :func:`read_table` (or any DataFrame).
        target: the column to forecast.
        features: input columns (may include the target).
        source: how to name the table in messages (file name).

    Returns:
        The feature list (duplicates removed, order kept).

    Raises:
        CpjaxInputError: unknown name (with close matches), non-numeric or all-NaN column,
        infinite values, fewer than two observed target values, constant target.

    Example:
        >>> validate_columns(df, "close", ["open", "csi300"], source="gd.csv")  # doctest: +SKIP
    """
    cols = [str(c) for c in df.columns]
    choices = [c for c in cols if c not in ("ds", "unique_id")]
    features = list(dict.fromkeys(features))
    for kind, name in [("target column", target)] + [("feature column", f) for f in features]:
        if name not in cols:
            raise CpjaxInputError(unknown_name_message(kind, name, choices, source)
                                  + " Fix: correct the name (names are case-sensitive).")
        if not pd.api.types.is_numeric_dtype(df[name]):
            raise CpjaxInputError(f"{kind} {name!r} of {source} is not numeric "
                                  f"(dtype {df[name].dtype}); fix: load it with read_table, "
                                  "which reports the offending value")
        if df[name].isna().all():
            raise CpjaxInputError(f"{kind} {name!r} of {source} is entirely empty (all NaN); "
                                  "fix: choose another column or fill it")
    for kind, name in [("target column", target)] + [("input column", f) for f in features
                                                      if f != target]:
        v = df[name].to_numpy(dtype=np.float64)
        inf = np.isinf(v)
        if inf.any():
            i = int(np.flatnonzero(inf)[0])
            when = f" ({pd.Timestamp(df['ds'].iloc[i]).date()})" if "ds" in df.columns else ""
            raise CpjaxInputError(
                f"{kind} {name!r} of {source} holds an infinite value at row {i}{when} "
                f"({int(inf.sum())} in all); fix: correct those cells, or blank them (blank "
                "cells are filled by imputation and listed in imputation.csv)")
    y = df[target].to_numpy(dtype=np.float64)
    y = y[np.isfinite(y)]
    if len(df) < 2 or y.size < 2:
        rows = f"{len(df)} data row{'s' if len(df) != 1 else ''}"
        raise CpjaxInputError(
            f"{source} has {rows} with {y.size} observed value(s) of the target {target!r}; a "
            "forecast needs a series (at least lookback + horizon + the test part); fix: pass "
            "the whole history, one row per date")
    if np.all(y == y[0]):
        raise CpjaxInputError(f"target column {target!r} of {source} is constant "
                              f"(every value is {y[0]:g}); nothing to forecast; "
                              "fix: choose a target that varies over time")
    return features


def check_length(n_rows: int, lookback: int, horizon: int = 1, min_test: int = 1, *,
                 n_val: int = 0, source: str = "the table") -> None:
    """Raise unless ``n_rows >= lookback + horizon + min_test (+ n_val)``.

    One training window needs ``lookback + horizon`` rows; the test part needs at least
    ``min_test`` more (and a validation part ``n_val``).

    Example:
        >>> check_length(500, lookback=10, horizon=1, min_test=50)
    """
    for name, v, lo in (("lookback", lookback, 1), ("horizon", horizon, 1),
                        ("min_test", min_test, 0), ("n_val", n_val, 0)):
        if int(v) != v or v < lo:
            raise CpjaxInputError(f"{name} must be an integer >= {lo}, got {v!r}; "
                                  f"fix: pass {name}={max(lo, 1)} or more")
    need = lookback + horizon + min_test + n_val
    if n_rows < need:
        val = f" + validation {n_val}" if n_val else ""
        room = n_rows - horizon - min_test - n_val
        fix = (f"use at most lookback={room}, " if room >= 1 else "") + \
            "use a longer series, or lower min_test/horizon"
        raise CpjaxInputError(
            f"{source} has {n_rows} rows but lookback {lookback} + horizon {horizon} + minimum "
            f"test size {min_test}{val} = {need} rows are needed; fix: {fix}")


def check_no_future_copy(df: pd.DataFrame, target: str, features: Iterable[str], *,
                         threshold: float = 0.5, source: str = "the table") -> None:
    """Refuse an input column that repeats the target one row later.

    A column whose value at row t equals the target at row t + 1 on more than ``threshold`` of
    the rows hands every model the answer (a mislabelled file: e.g. the day's close stored as
    ``open`` next to the previous day's close stored as ``close``).  Equality is ``np.isclose``
    on rows where both values exist.

    Raises:
        CpjaxInputError: naming the column, the share of rows and the fix.
    """
    y = pd.to_numeric(df[target], errors="coerce").to_numpy(dtype=np.float64)
    nxt = y[1:]
    for c in features:
        if c == target:
            continue
        x = pd.to_numeric(df[c], errors="coerce").to_numpy(dtype=np.float64)[:-1]
        ok = np.isfinite(x) & np.isfinite(nxt)
        if ok.sum() < 10:
            continue
        share = float(np.mean(np.isclose(x[ok], nxt[ok], rtol=1e-9, atol=1e-12)))
        if share > threshold:
            raise CpjaxInputError(
                f"input column {c!r} of {source} equals the target {target!r} of the next row on "
                f"{share:.0%} of rows, so a forecast would see the future; fix: drop {c!r} from "
                "the inputs or realign the file (is it the next day's value?)")
