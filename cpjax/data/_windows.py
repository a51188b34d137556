"""Sliding windows and chronological splits (ratio, dates, rolling origins).

Every split returns integer row indices, increasing, with train before validation before test and
no row in two parts. A window belongs to a part when all its *target* rows lie in that part
(:func:`window_indices`); its inputs may reach back into earlier parts, which is known history.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
from jaxtyping import Float, Int

from cpjax._errors import CpjaxInputError

from ._validate import check_length

__all__ = ["Fold", "Split", "Windows", "date_split", "make_windows", "ratio_split",
           "rolling_origins", "window_indices"]


@dataclasses.dataclass(frozen=True)
class Windows:
    """Supervised windows: ``y[i] = target[origin[i] + 1 : origin[i] + 1 + H]``.

    Attributes:
        X: ``(N, L, F)`` float32 inputs, rows ``origin - L + 1 .. origin``.
        y: ``(N, H)`` float32 targets.
        origin: ``(N,)`` index of the last observed row of each window.
    """

    X: Float[np.ndarray, "n lookback features"]  # noqa: F722
    y: Float[np.ndarray, "n horizon"]  # noqa: F722
    origin: Int[np.ndarray, " n"]  # noqa: F722

    def __len__(self) -> int:
        return int(self.origin.shape[0])

    def take(self, index) -> Windows:
        """The windows at ``index`` (integer array or boolean mask)."""
        return Windows(self.X[index], self.y[index], self.origin[index])


@dataclasses.dataclass(frozen=True)
class Split:
    """Row indices of a chronological train / validation / test split."""

    train: np.ndarray
    val: np.ndarray
    test: np.ndarray


@dataclasses.dataclass(frozen=True)
class Fold:
    """One rolling origin: ``cutoff`` is the last training date; train and test row indices."""

    cutoff: pd.Timestamp
    train: np.ndarray
    test: np.ndarray


def make_windows(features: Float[np.ndarray, "time features"],  # noqa: F722
                 target: Float[np.ndarray, " time"],  # noqa: F722
                 lookback: int, horizon: int = 1, *, source: str = "the table") -> Windows:
    """Cut ``(T, F)`` features and a ``(T,)`` target into supervised windows.

    Arguments:
        features: inputs per row (may include the target itself).
        target: the series to predict.
        lookback: L, rows per input window.
        horizon: H, steps ahead predicted from each window.

    Returns:
        :class:`Windows` with ``N = T - L - H + 1`` windows, oldest first.

    Example:
        >>> w = make_windows(np.ones((20, 3)), np.arange(20.0), lookback=5, horizon=2)
        >>> w.X.shape, w.y[0].tolist(), int(w.origin[0])
        ((14, 5, 3), [5.0, 6.0], 4)
    """
    f = np.asarray(features, dtype=np.float64)
    y = np.asarray(target, dtype=np.float64)
    if f.ndim == 1:
        f = f[:, None]
    if f.ndim != 2 or y.ndim != 1 or f.shape[0] != y.shape[0]:
        raise CpjaxInputError(f"features must be (T, F) and target (T,), got {f.shape} and "
                              f"{y.shape}; fix: pass arrays with the same number of rows")
    check_length(f.shape[0], lookback, horizon, 0, source=source)
    for name, a in (("features", f), ("target", y)):
        bad = ~np.isfinite(a)
        if bad.any():
            row = int(np.flatnonzero(bad.reshape(a.shape[0], -1).any(axis=1))[0])
            raise CpjaxInputError(f"{name} of {source} contain NaN/Inf (first at row {row}); "
                                  "fix: run cpjax.data.impute first")
    n = f.shape[0] - lookback - horizon + 1
    X = np.lib.stride_tricks.sliding_window_view(f, lookback, axis=0)[:n]  # (N, F, L)
    X = np.ascontiguousarray(np.swapaxes(X, 1, 2), dtype=np.float32)
    origin = np.arange(lookback - 1, lookback - 1 + n, dtype=np.int64)
    Y = np.lib.stride_tricks.sliding_window_view(y[lookback:], horizon)[:n]
    return Windows(X, np.ascontiguousarray(Y, dtype=np.float32), origin)


def window_indices(windows: Windows | np.ndarray, rows, horizon: int | None = None) -> np.ndarray:
    """Indices of the windows whose target rows all lie in ``rows`` (a split part)."""
    origin = windows.origin if isinstance(windows, Windows) else np.asarray(windows)
    h = windows.y.shape[1] if isinstance(windows, Windows) else (horizon or 1)
    rows = np.asarray(rows, dtype=np.int64)
    if rows.size == 0:
        return np.zeros(0, dtype=np.int64)
    inside = np.zeros(int(max(rows.max(), origin.max() + h)) + 1, dtype=bool)
    inside[rows] = True
    ok = np.ones(origin.shape, dtype=bool)
    for k in range(1, h + 1):
        ok &= inside[origin + k]
    return np.flatnonzero(ok)


def ratio_split(n: int, train: float = 0.7, val: float = 0.0) -> Split:
    """Chronological split by fractions: first ``floor(n*train)`` rows train, then validation.

    Example:
        >>> s = ratio_split(10, 0.7)
        >>> s.train.tolist(), s.test.tolist()
        ([0, 1, 2, 3, 4, 5, 6], [7, 8, 9])
    """
    if not (0 < train < 1 and 0 <= val < 1 and train + val < 1):
        raise CpjaxInputError(f"fractions train={train}, val={val} must be positive and sum "
                              "to less than 1 (the rest is the test part); fix: e.g. 0.7, 0.15")
    n_train, n_val = int(np.floor(n * train)), int(np.floor(n * val))
    if n_train < 1 or n - n_train - n_val < 1 or (val > 0 and n_val < 1):
        raise CpjaxInputError(f"{n} rows are too few for fractions train={train}, val={val}; "
                              "fix: use more data or other fractions")
    idx = np.arange(n)
    return Split(idx[:n_train], idx[n_train:n_train + n_val], idx[n_train + n_val:])


def _dates(dates) -> pd.DatetimeIndex:
    d = pd.DatetimeIndex(pd.to_datetime(np.asarray(dates)))
    if not d.is_monotonic_increasing:
        raise CpjaxInputError("dates must be sorted in increasing order; "
                              "fix: sort the table by date (read_table does)")
    return d


def date_split(dates, test_start, val_start=None, *, test_end=None) -> Split:
    """Split rows by dates: train ``< val_start`` (or ``< test_start``), val, test ``>= test_start``.

    ``test_end`` (inclusive) drops later rows from the test part.
    """
    d = _dates(dates)
    ts = pd.Timestamp(test_start)
    vs = pd.Timestamp(val_start) if val_start is not None else ts
    if vs > ts:
        raise CpjaxInputError(f"val_start {vs.date()} is after test_start {ts.date()}; "
                              "fix: validation must come before the test period")
    idx = np.arange(len(d))
    test_mask = d >= ts
    if test_end is not None:
        test_mask &= d <= pd.Timestamp(test_end)
    s = Split(idx[d < vs], idx[(d >= vs) & (d < ts)], idx[test_mask])
    if s.train.size == 0 or s.test.size == 0:
        raise CpjaxInputError(f"date split gives {s.train.size} training and {s.test.size} test "
                              f"rows (data {d[0].date()} .. {d[-1].date()}); fix: choose "
                              "test_start/val_start inside the data range")
    return s


def rolling_origins(dates, n_windows: int = 12, step: str | int = "month",
                    mode: str = "expanding", *, test_size: int | None = None,
                    train_size: int | None = None) -> list[Fold]:
    """Rolling-origin folds over the end of the data (seed 003's 12 monthly origins).

    Arguments:
        dates: sorted dates of the rows.
        n_windows: number of folds.
        step: ``"month"`` (each test block is one calendar month, the last ``n_windows`` months)
            or an integer number of rows between origins.
        mode: ``"expanding"`` (train on every row up to the cutoff) or ``"sliding"`` (the last
            ``train_size`` rows; default: the first fold's training length).
        test_size: rows per test block for an integer ``step`` (default ``step``).

    Returns:
        Folds in time order; ``fold.train`` ends at ``cutoff``, ``fold.test`` follows it.

    Example:
        >>> d = pd.bdate_range("2020-01-01", periods=400)
        >>> [f.test.size for f in rolling_origins(d, 3, step=20)]
        [20, 20, 20]
    """
    if mode not in ("expanding", "sliding"):
        raise CpjaxInputError(f"unknown mode {mode!r}; fix: use 'expanding' or 'sliding'")
    d = _dates(dates)
    n = len(d)
    idx = np.arange(n)
    if step == "month":
        period = d.to_period("M")
        months = period.unique()[-n_windows:]
        blocks = [idx[period == m] for m in months]
    elif isinstance(step, int | np.integer) and step > 0:
        size = int(test_size or step)
        ends = [n - (n_windows - 1 - k) * int(step) for k in range(n_windows)]
        blocks = [idx[max(e - size, 0):e] for e in ends]
    else:
        raise CpjaxInputError(f"step must be 'month' or a positive row count, got {step!r}; "
                              "fix: e.g. step='month' or step=21")
    if len(blocks) < n_windows or blocks[0].size == 0 or blocks[0][0] < 1:
        raise CpjaxInputError(f"{n} rows ({d[0].date()} .. {d[-1].date()}) cannot hold "
                              f"{n_windows} rolling windows with step {step!r}; fix: use fewer "
                              "windows or a smaller step")
    train_len = int(train_size or blocks[0][0])
    folds = []
    for b in blocks:
        lo = 0 if mode == "expanding" else max(0, b[0] - train_len)
        folds.append(Fold(d[b[0] - 1], idx[lo:b[0]], b))
    return folds
