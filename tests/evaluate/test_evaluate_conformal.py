"""Split-conformal intervals: quantile index by hand, coverage guarantee by Monte Carlo."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from cpjax._errors import CpjaxInputError
from cpjax.evaluate import (
    add_interval_columns,
    conformal_intervals,
    conformal_quantile,
    empirical_coverage,
    interval_score,
)


def test_quantile_index_by_hand():
    scores = np.array([9.0, 2.0, 7.0, 1.0, 5.0, 3.0, 8.0, 4.0, 6.0])  # 1..9 shuffled, n = 9
    assert conformal_quantile(scores, 90) == 9.0  # ceil(10 * 0.9) = 9
    assert conformal_quantile(scores, 80) == 8.0  # ceil(10 * 0.8) = 8
    assert conformal_quantile(scores, 75) == 8.0  # ceil(7.5) = 8
    assert conformal_quantile(scores, 50) == 5.0  # ceil(5) = 5
    assert conformal_quantile(scores, 95) == math.inf  # ceil(9.5) = 10 > n
    s19 = np.arange(1.0, 20.0)  # n = 19: ceil(20 * 0.9) = 18
    assert conformal_quantile(s19, 90) == 18.0
    # the finite-sample quantile is never below the plain empirical quantile
    assert conformal_quantile(s19, 90) >= np.quantile(s19, 0.9)


def test_intervals_by_hand():
    r = np.array([-1.0, 0.5, 2.0, -0.2, 3.0, -4.0, 0.1, 1.5, -2.5])  # n = 9
    f = np.array([10.0, 20.0])
    iv = conformal_intervals(r, f, levels=(80, 50))
    # |r| sorted: .1 .2 .5 1 1.5 2 2.5 3 4 ; k(80) = 8 -> 3.0 ; k(50) = 5 -> 1.5
    np.testing.assert_allclose(iv[80][0], f - 3.0)
    np.testing.assert_allclose(iv[80][1], f + 3.0)
    np.testing.assert_allclose(iv[50][1], f + 1.5)
    sv = conformal_intervals(r, f, levels=(80,), method="signed")
    # signed sorted: -4 -2.5 -1 -.2 .1 .5 1.5 2 3 ; alpha/2 = .1:
    # k_hi = ceil(10 * .9) = 9 -> 3.0 ; k_lo = floor(10 * .1) = 1 -> -4.0
    np.testing.assert_allclose(sv[80][0], f - 4.0)
    np.testing.assert_allclose(sv[80][1], f + 3.0)
    tiny = conformal_intervals([0.5, -0.5], [1.0], levels=(95,), method="signed")
    assert tiny[95][0][0] == -math.inf and tiny[95][1][0] == math.inf


@pytest.mark.parametrize("method", ["absolute", "signed"])
def test_coverage_guarantee_iid(method):
    """Exchangeable data: marginal coverage of a 90 % interval is at least 90 % (in expectation)."""
    rng = np.random.default_rng(42)
    reps, n_cal, n_test = 1000, 30, 20
    cover = np.empty(reps)
    for i in range(reps):
        # heavy-tailed, skewed residuals to make the guarantee distribution-free in the test too
        res = rng.standard_t(3, size=n_cal + n_test) + rng.exponential(size=n_cal + n_test)
        forecast = rng.normal(size=n_test)
        lo, hi = conformal_intervals(res[:n_cal], forecast, levels=(90,), method=method)[90]
        cover[i] = empirical_coverage(forecast + res[n_cal:], lo, hi)
    mean = cover.mean()
    se = cover.std(ddof=1) / math.sqrt(reps)
    assert mean >= 0.9 - 3 * se, (mean, se)
    # and not wildly conservative: for the absolute version <= 0.9 + 1/(n+1) in expectation
    if method == "absolute":
        assert mean <= 0.9 + 1 / (n_cal + 1) + 3 * se, (mean, se)


def test_add_interval_columns_and_coverage():
    df = pd.DataFrame({"ds": pd.date_range("2024-01-01", periods=3), "y": [1.0, 2.0, 3.0]})
    iv = conformal_intervals([0.5, -1.0, 0.2, 0.8], [1.1, 2.2, 2.0], levels=(80, 97.5))
    out = add_interval_columns(df, "lstm", iv)
    assert list(out.columns) == [
        "ds",
        "y",
        "lstm-lo-80",
        "lstm-hi-80",
        "lstm-lo-97.5",
        "lstm-hi-97.5",
    ]
    assert "lstm-lo-80" not in df.columns  # input left alone
    assert empirical_coverage([1.0, 2.0, 3.0], [0.0, 2.5, 2.0], [1.0, 3.0, math.inf]) == 2 / 3
    with pytest.raises(CpjaxInputError, match="2 values but the table has 3"):
        add_interval_columns(df, "m", {80: (np.zeros(2), np.ones(2))})
    with pytest.raises(CpjaxInputError, match="looks like a fraction: use 90 "):
        conformal_intervals([1.0], [1.0], levels=(0.9,))
    with pytest.raises(CpjaxInputError, match="percentage"):
        conformal_intervals([1.0], [1.0], levels=(100,))
    with pytest.raises(CpjaxInputError, match="one bound per day"):
        empirical_coverage([1.0, 2.0], [0.0], [3.0])


def test_interval_score_by_hand():
    # alpha = 0.2: day 1 inside (width 2); day 2 above by 3 -> 2 + (2/0.2)*3 = 32; day 3 below
    # by 1 with width 4 -> 4 + 10 = 14
    y = [1.0, 5.0, -1.0]
    lo, hi = [0.0, 0.0, 0.0], [2.0, 2.0, 4.0]
    assert interval_score(y, lo, hi, 80) == pytest.approx((2 + 32 + 14) / 3)
    assert interval_score([1.0], [-math.inf], [math.inf], 95) == math.inf
