"""Windows and splits: shapes, alignment, chronology, no overlap, no leakage."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings, strategies as st

from cpjax._errors import CpjaxInputError
from cpjax.data import date_split, make_windows, ratio_split, rolling_origins, window_indices


def test_windows_alignment_against_loop():
    T, F, L, H = 30, 3, 5, 2
    feats = np.arange(T * F, dtype=float).reshape(T, F)
    target = np.arange(T, dtype=float) * 10
    w = make_windows(feats, target, L, H)
    assert w.X.shape == (T - L - H + 1, L, F) and w.X.dtype == np.float32
    assert w.y.shape == (T - L - H + 1, H)
    for i in range(len(w)):
        o = w.origin[i]
        np.testing.assert_array_equal(w.X[i], feats[o - L + 1:o + 1])
        np.testing.assert_array_equal(w.y[i], target[o + 1:o + 1 + H])


def test_windows_errors():
    with pytest.raises(CpjaxInputError, match=r"has 5 rows but lookback 5 \+ horizon 1"):
        make_windows(np.ones((5, 2)), np.ones(5), 5)
    x = np.ones((20, 2))
    x[7, 1] = np.nan
    with pytest.raises(CpjaxInputError, match=r"NaN/Inf \(first at row 7\).*impute"):
        make_windows(x, np.ones(20), 3)


def _check_chronological(*parts):
    parts = [p for p in parts if p.size]
    for p in parts:
        assert np.all(np.diff(p) == 1)  # contiguous, increasing
    for a, b in zip(parts, parts[1:]):
        assert a[-1] < b[0]
    allrows = np.concatenate(parts)
    assert len(np.unique(allrows)) == len(allrows)


@settings(max_examples=50, deadline=None)
@given(n=st.integers(20, 500), train=st.floats(0.3, 0.8), val=st.floats(0.0, 0.15))
def test_ratio_split_property(n, train, val):
    assume(val == 0 or n * val >= 1)  # otherwise the validation part would be empty (an error)
    s = ratio_split(n, train, val)
    _check_chronological(s.train, s.val, s.test)
    assert s.train.size + s.val.size + s.test.size == n
    assert s.train.size == int(np.floor(n * train))


def test_ratio_split_7_3_and_errors():
    s = ratio_split(100)
    assert (s.train.size, s.val.size, s.test.size) == (70, 0, 30)
    with pytest.raises(CpjaxInputError, match=r"sum to less than 1"):
        ratio_split(100, 0.8, 0.3)


def test_date_split():
    d = pd.bdate_range("2021-01-01", "2021-12-31")
    s = date_split(d, "2021-10-01", val_start="2021-07-01")
    _check_chronological(s.train, s.val, s.test)
    assert d[s.train[-1]] < pd.Timestamp("2021-07-01") <= d[s.val[0]]
    assert d[s.val[-1]] < pd.Timestamp("2021-10-01") <= d[s.test[0]]
    with pytest.raises(CpjaxInputError, match=r"inside the data range"):
        date_split(d, "2023-01-01")


@pytest.mark.parametrize("mode", ["expanding", "sliding"])
def test_rolling_monthly_origins(mode):
    d = pd.bdate_range("2020-01-01", "2021-12-31")
    folds = rolling_origins(d, 12, "month", mode)
    assert len(folds) == 12
    months = [d[f.test[0]].to_period("M") for f in folds]
    assert months == list(pd.period_range("2021-01", "2021-12", freq="M"))
    for f in folds:
        _check_chronological(f.train, f.test)
        assert d[f.train[-1]] == f.cutoff < d[f.test[0]]
        assert len({d[i].to_period("M") for i in f.test}) == 1
    sizes = [f.train.size for f in folds]
    if mode == "expanding":
        assert all(f.train[0] == 0 for f in folds) and sizes == sorted(sizes)
    else:
        assert len(set(sizes)) == 1


def test_rolling_integer_step_and_errors():
    d = pd.bdate_range("2020-01-01", periods=300)
    folds = rolling_origins(d, 4, step=20, mode="sliding", train_size=100)
    assert [f.test[-1] for f in folds] == [239, 259, 279, 299]
    assert all(f.train.size == 100 for f in folds)
    with pytest.raises(CpjaxInputError, match=r"cannot hold 30 rolling windows"):
        rolling_origins(d, 30, step=20)
    with pytest.raises(CpjaxInputError, match=r"step must be 'month'"):
        rolling_origins(d, 3, step="week")


def test_window_indices_no_target_leak():
    T, L, H = 100, 10, 3
    w = make_windows(np.random.default_rng(0).standard_normal((T, 2)), np.arange(T, dtype=float),
                     L, H)
    s = ratio_split(T, 0.7)
    tr, te = window_indices(w, s.train), window_indices(w, s.test)
    assert np.all(w.origin[tr] + H <= s.train[-1])  # every training target row is a train row
    assert np.all(w.origin[te] + 1 >= s.test[0])
    assert np.intersect1d(tr, te).size == 0
    assert w.take(te).y.min() >= s.test[0]
