"""Wilcoxon, paired t and Diebold–Mariano (HLN) against scipy and hand computations."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings, strategies as st
from hypothesis.extra.numpy import arrays
from scipy import stats

from cpjax._errors import CpjaxInputError
from cpjax.evaluate import (
    comparison_tests,
    diebold_mariano,
    paired_t_test,
    wilcoxon_test,
)

RNG = np.random.default_rng(7)
LA = RNG.gamma(2.0, size=50)
LB = LA + RNG.normal(0.3, 1.0, size=50)


def test_wilcoxon_and_t_match_scipy():
    w = wilcoxon_test(LA, LB)
    ref = stats.wilcoxon(LA, LB)
    assert w.statistic == pytest.approx(ref.statistic) and w.pvalue == pytest.approx(ref.pvalue)
    t = paired_t_test(LA, LB)
    ref_t = stats.ttest_rel(LA, LB)
    assert t.statistic == pytest.approx(ref_t.statistic)
    assert t.pvalue == pytest.approx(ref_t.pvalue)
    g = paired_t_test(LA, LB, alternative="less")
    assert g.pvalue == pytest.approx(stats.ttest_rel(LA, LB, alternative="less").pvalue)
    stat, p = w  # unpacks like a tuple
    assert p == w.pvalue


def test_degenerate_differences():
    assert wilcoxon_test(LA, LA).pvalue == 1.0
    t = paired_t_test(LA, LA)
    assert math.isnan(t.statistic) and t.pvalue == 1.0
    t = paired_t_test(LA + 1.0, LA)
    assert t.statistic == math.inf and t.pvalue == 0.0
    d = diebold_mariano(LA, LA)
    assert math.isnan(d.statistic) and d.pvalue == 1.0


def test_dm_hand_h1():
    # power 1: d = |e1| - |e2| = [1, -1, 2, 0, 3]
    e1 = np.array([2.0, 0.0, 3.0, 1.0, 4.0])
    e2 = np.ones(5)
    # d = [1, -1, 2, 0, 3]; dbar = 1; gamma0 = (0+4+1+1+4)/5 = 2
    # DM = 1 / sqrt(2/5); HLN factor sqrt((5+1-2+0)/5) = sqrt(4/5)  =>  DM* = sqrt(2)
    stat, p = diebold_mariano(e1, e2, h=1, power=1)
    assert stat == pytest.approx(math.sqrt(2.0), rel=1e-12)
    assert p == pytest.approx(2 * stats.t.sf(math.sqrt(2.0), 4), rel=1e-12)
    stat0, p0 = diebold_mariano(e1, e2, h=1, loss="mae", hln=False)
    assert stat0 == pytest.approx(1 / math.sqrt(2 / 5), rel=1e-12)
    assert p0 == pytest.approx(2 * stats.norm.sf(1 / math.sqrt(2 / 5)), rel=1e-12)


def test_dm_hand_h2():
    e1 = np.array([2.0, 0.0, 1.0, 3.0, 4.0, 2.0])
    e2 = np.zeros(6)
    # d = e1, dbar = 2, dc = [0,-2,-1,1,2,0]; gamma0 = 10/6, gamma1 = (0+2-1+2+0)/6 = 1/2
    # V = 10/6 + 2*(1/2) = 8/3; DM = 2 / sqrt((8/3)/6) = 3
    # HLN: (6 + 1 - 4 + 2/6) / 6 = 5/9  =>  DM* = 3 * sqrt(5)/3 = sqrt(5), t(5) reference
    stat, p = diebold_mariano(e1, e2, h=2, power=1)
    assert stat == pytest.approx(math.sqrt(5.0), rel=1e-12)
    assert p == pytest.approx(2 * stats.t.sf(math.sqrt(5.0), 5), rel=1e-12)
    stat0, _ = diebold_mariano(e1, e2, h=2, power=1, hln=False)
    assert stat0 == pytest.approx(3.0, rel=1e-12)
    # one-sided: model 1 has the larger loss, so "greater" is half the two-sided p
    assert diebold_mariano(e1, e2, h=2, power=1, alternative="greater").pvalue == pytest.approx(
        p / 2
    )
    assert diebold_mariano(e1, e2, h=2, power=1, alternative="less").pvalue == pytest.approx(
        1 - p / 2
    )


def test_dm_squared_loss_default():
    e1, e2 = RNG.normal(size=30), RNG.normal(size=30)
    d = e1**2 - e2**2
    ref = stats.ttest_1samp(d, 0.0)
    assert diebold_mariano(e1, e2).statistic == pytest.approx(ref.statistic, rel=1e-10)
    assert diebold_mariano(e1, e2, loss="mse").pvalue == pytest.approx(ref.pvalue, rel=1e-10)


def test_dm_nonpositive_long_run_variance_gives_nan():
    # d = [1,-1,2,0,3]: gamma0 = 2, gamma1 = -1, so V = 0 at h = 2
    stat, p = diebold_mariano([2.0, 0.0, 3.0, 1.0, 4.0], np.ones(5), h=2, power=1)
    assert math.isnan(stat) and math.isnan(p)


@settings(max_examples=50, deadline=None)
@given(
    st.integers(4, 60).flatmap(
        lambda n: st.tuples(
            arrays(np.float64, n, elements=st.floats(-50, 50)),
            arrays(np.float64, n, elements=st.floats(-50, 50)),
        )
    )
)
def test_dm_h1_equals_one_sample_t(e):
    """For h = 1 the HLN-corrected DM statistic is the t statistic of mean(d) = 0."""
    e1, e2 = e
    d = e1**2 - e2**2
    assume(np.std(d) > 1e-6 * (1 + np.abs(d).max()))
    ref = stats.ttest_1samp(d, 0.0)
    stat, p = diebold_mariano(e1, e2, h=1)
    assert stat == pytest.approx(ref.statistic, rel=1e-7, abs=1e-9)
    assert p == pytest.approx(ref.pvalue, rel=1e-6, abs=1e-12)


def test_dm_size_under_null_h1():
    """Rejection rate at 5 % with i.i.d. equally accurate errors stays near 5 %."""
    rng = np.random.default_rng(11)
    reps, n = 1500, 60
    rejections = sum(
        diebold_mariano(rng.normal(size=n), rng.normal(size=n)).pvalue < 0.05 for _ in range(reps)
    )
    rate = rejections / reps
    assert 0.03 <= rate <= 0.07, rate


@pytest.mark.slow
def test_dm_size_under_null_h3_ma_errors():
    """h = 3 forecasts: MA(2) errors; HLN keeps the size close to nominal (n = 100)."""
    rng = np.random.default_rng(12)
    reps, n, h = 3000, 100, 3
    theta = np.array([1.0, 0.6, 0.3])
    rej = 0
    for _ in range(reps):
        z = rng.normal(size=(2, n + h - 1))
        e1 = np.convolve(z[0], theta, mode="valid")
        e2 = np.convolve(z[1], theta, mode="valid")
        rej += diebold_mariano(e1, e2, h=h).pvalue < 0.05
    rate = rej / reps
    assert 0.025 <= rate <= 0.085, rate


def test_dm_detects_a_better_model():
    rng = np.random.default_rng(3)
    stat, p = diebold_mariano(2.0 * rng.normal(size=200), rng.normal(size=200))
    assert stat > 0 and p < 1e-6


def test_bad_arguments():
    with pytest.raises(CpjaxInputError, match="h=0"):
        diebold_mariano(LA, LB, h=0)
    with pytest.raises(CpjaxInputError, match="unknown loss 'mape'"):
        diebold_mariano(LA, LB, loss="mape")
    with pytest.raises(CpjaxInputError, match="alternative"):
        wilcoxon_test(LA, LB, alternative="bigger")
    with pytest.raises(CpjaxInputError, match="y_pred has 49"):
        paired_t_test(LA, LB[:-1])


def test_comparison_tests():
    rng = np.random.default_rng(5)
    y = 60 + rng.normal(size=80).cumsum()
    preds = {
        "persistence": np.r_[y[0], y[:-1]],
        "good": y + rng.normal(scale=0.3, size=80),
        "bad": y + rng.normal(scale=2.0, size=80),
    }
    t = comparison_tests(y, preds, "persistence")
    assert list(t.columns) == ["model", "reference", "wilcoxon_p", "ttest_p", "dm_stat", "dm_p"]
    assert list(t["model"]) == ["good", "bad"] and set(t["reference"]) == {"persistence"}
    la = np.abs(y - preds["good"])
    lb = np.abs(y - preds["persistence"])
    row = t.iloc[0]
    assert row["wilcoxon_p"] == pytest.approx(stats.wilcoxon(la, lb).pvalue)
    assert row["ttest_p"] == pytest.approx(stats.ttest_rel(la, lb).pvalue)
    assert row["dm_stat"] == pytest.approx(stats.ttest_1samp(la - lb, 0.0).statistic)
    assert row["dm_stat"] < 0 and t.iloc[1]["dm_stat"] > 0
    t2 = comparison_tests(y, preds, "persistence", loss="mse")
    assert t2.iloc[0]["dm_stat"] == pytest.approx(stats.ttest_1samp(la**2 - lb**2, 0.0).statistic)
    with pytest.raises(CpjaxInputError, match="did you mean 'persistence'"):
        comparison_tests(y, preds, "persistance")
