"""From a user's table to scaled windows: validation, imputation, split, scaling, windows.

The scaler is fitted on the training rows only; the same fitted state is reused when a saved
forecaster predicts on new data, so the numbers do not depend on the test part.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from .._errors import CpjaxInputError
from ..data import (
    CategoryScaler,
    Windows,
    check_length,
    check_no_future_copy,
    check_plausible,
    handle_outliers,
    imputation_table,
    impute,
    make_windows,
    read_table,
    to_wide,
    validate_columns,
    window_indices,
)

__all__ = ["Prepared", "check_split", "load_frame", "prepare", "resolve_features", "resolve_target",
           "train_end_row"]


@dataclasses.dataclass(frozen=True)
class Prepared:
    """A table ready for a model.

    Attributes:
        frame: the imputed table in original units (``ds`` + used columns).
        target, features: the target and the input columns (target first).
        scaler: fitted on the training rows.
        values: ``(T, F)`` scaled inputs; ``series``: ``(T,)`` scaled target.
        windows: every window of the table.
        n_train: rows in the training part (rows ``0 .. n_train-1``).
        impute_report: what imputation did (one row per column).
        imputation: one row per filled gap (what, where, method, KS check), see
            :func:`cpjax.data.imputation_table`; empty when nothing was filled.
        target_observed: ``(T,)`` whether each row's target was observed (``False``: imputed;
            such rows are never scored).
    """

    frame: pd.DataFrame
    target: str
    features: list[str]
    scaler: CategoryScaler
    values: np.ndarray
    series: np.ndarray
    windows: Windows
    n_train: int
    impute_report: pd.DataFrame | None
    imputation: pd.DataFrame | None = None
    target_observed: np.ndarray | None = None

    @property
    def dates(self) -> pd.DatetimeIndex:
        return pd.DatetimeIndex(self.frame["ds"])

    def train_windows(self) -> np.ndarray:
        return window_indices(self.windows, np.arange(self.n_train))

    def test_windows(self) -> np.ndarray:
        """Windows whose first target row is after the training part (inputs may overlap it)."""
        return np.flatnonzero(self.windows.origin >= self.n_train - 1)


def load_frame(data, unique_id=None, date_format: str | None = None
               ) -> tuple[pd.DataFrame, str]:
    """Read ``data`` (DataFrame or path); pick one series of a long table.  ``date_format``:
    the ``strftime`` format of the dates (detected over the whole column when omitted)."""
    df = read_table(data, date_format=date_format)
    source = df.attrs.get("source", "the table")
    if "unique_id" in df.columns:
        fmt = df.attrs.get("date_format")
        df = to_wide(df, unique_id)
        df.attrs["source"] = source
        df.attrs["date_format"] = fmt
    return df, source


def resolve_target(df: pd.DataFrame, target: str | None, source: str) -> str:
    """``target``, else ``y``, else ``close``; a clear error naming the columns when none is there."""
    if target is not None:
        return target
    for name in ("y", "close"):
        if name in df.columns:
            return name
    cols = ", ".join(c for c in df.columns if c != "ds")
    raise CpjaxInputError(f"no target given and {source} has no 'y' or 'close' column; "
                          f"fix: pass the target (target= or --target), one of {cols}")


def resolve_features(df: pd.DataFrame, target: str, features) -> list[str]:
    """Target first, then the requested features (default: every other numeric column)."""
    if features is None:
        features = [c for c in df.columns if c not in ("ds", target)
                    and pd.api.types.is_numeric_dtype(df[c])]
    features = [f for f in features if f != target]
    return [target, *features]


def train_end_row(dates: pd.DatetimeIndex, split: float | None, test_start) -> int:
    """Number of training rows from a ratio (``split``) or the first test date."""
    n = len(dates)
    if test_start is not None:
        try:
            ts = pd.Timestamp(test_start)
            if pd.isna(ts):
                raise ValueError
        except (ValueError, TypeError, OverflowError):
            raise CpjaxInputError(f"test start {test_start!r} is not a date; fix: write it as "
                                  "YYYY-MM-DD, e.g. 2021-06-01") from None
        n_train = int(np.searchsorted(dates.values, ts.to_datetime64(), side="left"))
        if n_train == 0 or n_train >= n:
            raise CpjaxInputError(
                f"test start {ts.date()} leaves no {'training' if n_train == 0 else 'test'} rows "
                f"(data run from {dates[0].date()} to {dates[-1].date()}); "
                "fix: choose a date inside that range")
        return n_train
    split = 0.7 if split is None else split
    if not 0 < split < 1:
        raise CpjaxInputError(f"split must be a fraction in (0, 1), got {split}; fix: e.g. 0.7")
    return int(np.floor(n * split))


def prepare(df: pd.DataFrame, target: str, features: list[str], *, lookback: int, horizon: int,
            n_train: int | None, scaling: dict[str, str], max_linear_gap: int,
            outliers: str | None, min_test: int, scaler: CategoryScaler | None = None,
            source: str = "the table") -> Prepared:
    """Validate, impute, scale (fit on the first ``n_train`` rows unless ``scaler`` is given)."""
    features = validate_columns(df, target, features, source=source)
    check_no_future_copy(df, target, features, source=source)
    check_plausible(df, features, source=source)
    frame = df[["ds", *features]].copy().reset_index(drop=True)
    observed = frame[target].notna().to_numpy()
    report, table = None, None
    if frame[features].isna().to_numpy().any():
        dates = frame["ds"]
        frame, report = impute(frame, max_linear_gap=max_linear_gap, columns=features)
        frame = frame.reset_index(drop=True)
        dropped = int(report.attrs.get("rows_dropped", 0))
        observed = observed[dropped:]
        table = imputation_table(report, dates, n_train)
        if n_train is not None:
            n_train = max(n_train - dropped, 0)
    if outliers is not None:
        frame, _ = handle_outliers(frame, features, method=outliers)
    if n_train is not None and scaler is None:
        check_split(pd.DatetimeIndex(frame["ds"]), n_train, lookback, horizon, min_test,
                    source=source)
    check_length(len(frame), lookback, horizon, min_test, source=source)
    if scaler is None:
        if n_train is None:
            raise CpjaxInputError("prepare needs n_train or a fitted scaler")
        cats = {target: "minmax", **scaling}
        unknown = sorted(set(scaling) - set(features))
        if unknown:
            raise CpjaxInputError(f"scaling given for {unknown[0]!r}, which is not an input "
                                  f"column ({', '.join(features)}); fix: remove it")
        scaler = CategoryScaler(cats).fit(frame, train_mask=np.arange(len(frame)) < n_train,
                                          columns=features)
    scaled = scaler.transform(frame)
    values = scaled[features].to_numpy(dtype=np.float64)
    series = values[:, 0].copy()
    windows = make_windows(values, series, lookback, horizon, source=source)
    if n_train is None:
        n_train = 0
    return Prepared(frame, target, features, scaler, values, series, windows, n_train, report,
                    table, observed)


def check_split(dates: pd.DatetimeIndex, n_train: int, lookback: int, horizon: int,
                min_test: int, *, source: str = "the table") -> None:
    """Refuse a split that leaves fewer than ``min_test`` test forecasts or fewer than two
    training windows, suggesting a split, test start or lookback that works.

    With ``T`` rows, ``n_train`` training rows, lookback ``L`` and horizon ``H`` there are
    ``T - n_train - H + 1`` test forecasts (windows whose first target is after the training
    part) and ``n_train - L - H + 1`` training windows (all targets inside it).
    """
    n = len(dates)
    n_test = n - n_train - horizon + 1
    if min_test > 0 and n_test < min_test:  # 0: all may be training (then forecast())
        most = n - horizon - min_test + 1
        if most < lookback + horizon + 1:
            raise CpjaxInputError(
                f"{source} has {n} rows: too few for lookback {lookback}, horizon {horizon}, "
                f"two training windows and {min_test} test forecasts; fix: use a longer series "
                "or a smaller --lookback")
        raise CpjaxInputError(
            f"the test part of {source} gives {max(n_test, 0)} forecast(s) but at least "
            f"{min_test} are needed to score the models; fix: --split {most / n:.3f} or less, "
            f"or --test-start {dates[most].date()} or earlier")
    n_windows = n_train - lookback - horizon + 1
    if n_windows < 2:
        most = n_train - horizon - 1
        fix = (f"--lookback {most} or less" if most >= 1 else "a smaller --lookback")
        raise CpjaxInputError(
            f"lookback {lookback} and horizon {horizon} leave {max(n_windows, 0)} training "
            f"window(s) in the {n_train} training rows of {source} (at least 2 are needed); "
            f"fix: {fix}, or more training rows (a larger --split or a later --test-start)")
