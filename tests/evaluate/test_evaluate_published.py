"""Statistical tests and spike metrics against published worked examples and independent code.

* Student's sleep data (Cushny & Peebles 1905, analysed by "Student" 1908; R's ``sleep`` data):
  the paired t-test gives t = -4.0621, df = 9, p = 0.002833, and R's ``wilcox.test(paired=TRUE)``
  (continuity correction, tie-corrected normal approximation, zero dropped) gives V = 0,
  p = 0.009091 -- the values printed in R's documentation examples.
* The exact Wilcoxon p-value by enumerating all 2^n sign assignments of the ranks.
* Diebold-Mariano's long-run variance against statsmodels' HAC estimator with the truncated
  (uniform) kernel, which is exactly the DM (1995) variance for an h-step forecast.
* Spike precision/recall/F1 against scikit-learn on the 0/1 spike indicators.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import stats

from cpjax.evaluate import diebold_mariano, paired_t_test, spike_scores, wilcoxon_test

# R: sleep$extra for group 1 and group 2 (the same ten patients)
SLEEP_1 = np.array([0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0])
SLEEP_2 = np.array([1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4])


def test_paired_t_student_sleep_published():
    t, p = paired_t_test(SLEEP_1, SLEEP_2)
    assert t == pytest.approx(-4.0621, abs=5e-5)
    assert p == pytest.approx(0.002833, abs=5e-7)


def test_wilcoxon_sleep_published_r_value():
    stat, p = wilcoxon_test(SLEEP_1, SLEEP_2, method="approx", correction=True)
    assert stat == 0.0
    assert p == pytest.approx(0.009091, abs=5e-7)
    # the same number by hand: 9 non-zero differences, one pair of ties (1.3, 1.3)
    n = 9
    var = n * (n + 1) * (2 * n + 1) / 24 - (2**3 - 2) / 48
    z = (0 - n * (n + 1) / 4 + 0.5) / math.sqrt(var)
    assert p == pytest.approx(2 * stats.norm.cdf(z), rel=1e-10)


def _exact_wilcoxon_p(d: np.ndarray) -> float:
    """Two-sided exact p-value of min(T+, T-) by enumerating every sign assignment."""
    d = d[d != 0]
    ranks = stats.rankdata(np.abs(d))
    t_obs = min(ranks[d > 0].sum(), ranks[d < 0].sum())
    total = ranks.sum()
    hits = 0
    for signs in itertools.product((0, 1), repeat=d.size):
        tp = float(np.dot(signs, ranks))
        hits += min(tp, total - tp) <= t_obs + 1e-9
    return hits / 2 ** d.size


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_wilcoxon_exact_by_enumeration(seed):
    rng = np.random.default_rng(seed)
    a = rng.gamma(2.0, size=12)
    b = a + rng.normal(0.4, 1.0, size=12)  # continuous: no ties, no zeros
    stat, p = wilcoxon_test(a, b)
    d = a - b
    ranks = stats.rankdata(np.abs(d))
    assert stat == pytest.approx(min(ranks[d > 0].sum(), ranks[d < 0].sum()))
    assert p == pytest.approx(_exact_wilcoxon_p(d), rel=1e-12)


def test_wilcoxon_textbook_example_rank_sums():
    """Ten paired measurements with one zero and one tie (a common textbook example)."""
    after = np.array([125, 115, 130, 140, 140, 115, 140, 125, 140, 135], dtype=float)
    before = np.array([110, 122, 125, 120, 140, 124, 123, 137, 135, 145], dtype=float)
    # differences 15 -7 5 20 0 -9 17 -12 5 -10: zero dropped, ranks 1.5 1.5 3 4 5 6 7 8 9
    # T+ = 7 + 1.5 + 9 + 8 + 1.5 = 27, T- = 3 + 4 + 6 + 5 = 18
    stat, p = wilcoxon_test(after, before, method="approx")
    assert stat == 18.0
    z = (18 - 9 * 10 / 4) / math.sqrt(9 * 10 * 19 / 24 - (2**3 - 2) / 48)
    assert p == pytest.approx(2 * stats.norm.cdf(z), rel=1e-10)
    assert p > 0.05  # not significant, as in the textbook


@pytest.mark.parametrize("h", [1, 2, 3, 5])
def test_dm_matches_statsmodels_hac_uniform_kernel(h):
    sm = pytest.importorskip("statsmodels.api")
    rng = np.random.default_rng(h)
    n = 120
    theta = np.linspace(1.0, 0.3, h)  # MA(h-1) errors, as for h-step forecasts
    z = rng.normal(size=(2, n + h - 1))
    e1 = np.convolve(z[0], theta, mode="valid")
    e2 = 0.85 * np.convolve(z[1], theta, mode="valid")
    for power in (1, 2):
        d = np.abs(e1) ** power - np.abs(e2) ** power
        fit = sm.OLS(d, np.ones((n, 1))).fit(
            cov_type="HAC",
            cov_kwds={"maxlags": h - 1, "kernel": "uniform", "use_correction": False},
        )
        stat0, p0 = diebold_mariano(e1, e2, h=h, power=power, hln=False)
        assert stat0 == pytest.approx(fit.tvalues[0], rel=1e-9)
        assert p0 == pytest.approx(2 * stats.norm.sf(abs(fit.tvalues[0])), rel=1e-9)
        stat, p = diebold_mariano(e1, e2, h=h, power=power)
        k = math.sqrt((n + 1 - 2 * h + h * (h - 1) / n) / n)
        assert stat == pytest.approx(fit.tvalues[0] * k, rel=1e-9)
        assert p == pytest.approx(2 * stats.t.sf(abs(fit.tvalues[0] * k), n - 1), rel=1e-9)


def test_spike_scores_match_sklearn():
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(4)
    last = 50 + rng.random(300) * 30
    y = last * (1 + rng.normal(0, 0.04, 300))
    yhat = last * (1 + 0.6 * (y / last - 1) + rng.normal(0, 0.02, 300))
    s = spike_scores(y, yhat, last, threshold=0.05)
    actual = (y - last) / last > 0.05
    pred = (yhat - last) / last > 0.05
    assert actual.sum() > 5 and pred.sum() > 5
    p, r, f, _ = metrics.precision_recall_fscore_support(actual, pred, average="binary")
    assert s["precision"] == pytest.approx(p) and s["recall"] == pytest.approx(r)
    assert s["f1"] == pytest.approx(f)
