"""Probabilistic scores against independent computations: numerical integration of the CRPS
definition, the quantile-score identity, brute-force pinball losses, and the existing interval
and test functions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats

from cpjax import CpjaxInputError
from cpjax.evaluate import (
    crps_gaussian,
    crps_quantiles,
    crps_student_t,
    diebold_mariano,
    pinball_loss,
    probabilistic_table,
    quantile_column,
    scaled_crps,
)


def _crps_numeric(cdf, y, lo, hi):
    """CRPS(F, y) = int (F(x) - 1[x >= y])^2 dx by adaptive quadrature (the definition)."""
    left = integrate.quad(lambda x: cdf(x) ** 2, lo, y, limit=200)[0]
    right = integrate.quad(lambda x: (1.0 - cdf(x)) ** 2, y, hi, limit=200)[0]
    return left + right


@pytest.mark.parametrize("y", [-3.0, 0.2, 1.7, 6.0])
def test_gaussian_crps_matches_integral(y):
    mu, sigma = 0.5, 1.3
    ref = _crps_numeric(stats.norm(mu, sigma).cdf, y, mu - 40 * sigma, mu + 40 * sigma)
    assert crps_gaussian([y], mu, sigma) == pytest.approx(ref, rel=1e-7)


@pytest.mark.parametrize(("nu", "y"), [(2.5, 0.3), (4.0, -2.0), (30.0, 4.0), (1.5, 1.0)])
def test_student_t_crps_matches_integral(nu, y):
    loc, scale = 0.2, 0.8
    d = stats.t(df=nu, loc=loc, scale=scale)
    ref = _crps_numeric(d.cdf, y, -np.inf, np.inf)
    assert crps_student_t([y], nu, loc, scale) == pytest.approx(ref, rel=1e-6)


def test_student_t_tends_to_gaussian_and_rejects_nu_le_1():
    y = np.linspace(-2, 3, 11)
    np.testing.assert_allclose(crps_student_t(y, 1e6, 0.0, 1.0, mean=False),
                               crps_gaussian(y, 0.0, 1.0, mean=False), rtol=1e-5)
    with pytest.raises(CpjaxInputError, match="df > 1"):
        crps_student_t(y, 1.0, 0.0, 1.0)


def test_pinball_matches_brute_force():
    rng = np.random.default_rng(0)
    y = rng.normal(size=50)
    q = np.array([0.1, 0.5, 0.9])
    yq = rng.normal(size=(50, 3))
    ref = [np.mean([t * (a - b) if a >= b else (1 - t) * (b - a) for a, b in zip(y, yq[:, k])])
           for k, t in enumerate(q)]
    np.testing.assert_allclose(pinball_loss(y, yq, q), ref, rtol=1e-12)
    # the median's pinball loss is half the absolute error
    assert pinball_loss(y, yq[:, 1:2], [0.5])[0] == pytest.approx(0.5 * np.mean(np.abs(y - yq[:, 1])))


def test_quantile_crps_converges_to_exact():
    rng = np.random.default_rng(1)
    y = rng.normal(size=200) * 2.0 + 1.0
    mu, sigma = 0.7, 1.8
    exact = crps_gaussian(y, mu, sigma)
    K = 400
    tau = (np.arange(1, K + 1) - 0.5) / K  # midpoint rule
    yq = mu + sigma * stats.norm.ppf(tau)[None, :].repeat(y.size, 0)
    assert crps_quantiles(y, yq, tau) == pytest.approx(exact, rel=2e-3)
    # three levels: the coarse version is smaller (tails left out) but of the same size
    few = crps_quantiles(y, mu + sigma * stats.norm.ppf([[0.1, 0.5, 0.9]] * y.size),
                         [0.1, 0.5, 0.9])
    assert 0.3 * exact < few < exact


def test_scaled_crps_and_bad_shapes():
    assert scaled_crps([1.0, 3.0], [2.0, 2.0]) == pytest.approx(1.0)
    with pytest.raises(CpjaxInputError, match="shape"):
        crps_quantiles([1.0, 2.0], np.zeros((2, 2)), [0.1, 0.5, 0.9])
    with pytest.raises(CpjaxInputError, match="between 0 and 1"):
        pinball_loss([1.0], [[1.0]], [1.0])
    assert quantile_column("lstm", 0.1) == "lstm-q10"
    assert quantile_column("lstm", 0.025) == "lstm-q2.5"


def _long_table(rng, n_origins=40, H=3):
    rows = []
    level = np.cumsum(rng.normal(size=n_origins + H + 1)) + 50.0
    for o in range(n_origins):
        for h in range(1, H + 1):
            y = level[o + h]
            good, bad = level[o], level[o] + 2.0
            row = {"cutoff": o, "h": h, "y": y, "good": good, "bad": bad}
            for name, c, s in (("good", good, np.sqrt(h)), ("bad", bad, 3.0 * np.sqrt(h))):
                for t in (0.1, 0.5, 0.9):
                    row[quantile_column(name, t)] = c + s * stats.norm.ppf(t)
            rows.append(row)
    return pd.DataFrame(rows), level


def test_probabilistic_table_per_horizon_and_pooled():
    rng = np.random.default_rng(2)
    fc, level = _long_table(rng)
    q = [0.1, 0.5, 0.9]
    t = probabilistic_table(fc, ["good", "bad"], q, y_train=level[:30], reference="good")
    assert list(t["h"]) == [1, 1, 2, 2, 3, 3, "all", "all"]
    one = fc[fc["h"] == 2]
    row = t[(t["model"] == "bad") & (t["h"] == 2)].iloc[0]
    yq = one[[quantile_column("bad", v) for v in q]].to_numpy()
    assert row["crps"] == pytest.approx(crps_quantiles(one["y"], yq, q))
    cover = np.mean((one["y"] >= one["bad-q10"]) & (one["y"] <= one["bad-q90"]))
    assert row["coverage_80"] == pytest.approx(cover)
    mae_naive = np.mean(np.abs(np.diff(level[:30])))
    assert row["mase"] == pytest.approx(np.mean(np.abs(one["y"] - one["bad"])) / mae_naive)
    # DM per step on the per-forecast CRPS, with the step as lag
    c_bad = crps_quantiles(one["y"], yq, q, mean=False)
    c_good = crps_quantiles(one["y"], one[[quantile_column("good", v) for v in q]].to_numpy(), q,
                            mean=False)
    dm = diebold_mariano(c_bad, c_good, h=2, power=1.0)
    assert row["dm_stat"] == pytest.approx(dm.statistic) and row["dm_p"] == pytest.approx(dm.pvalue)
    assert row["scaled_crps"] == pytest.approx(c_bad.mean() / c_good.mean())
    pooled = t[(t["model"] == "bad") & (t["h"] == "all")].iloc[0]
    assert pooled["n"] == len(fc) and pooled["scaled_crps"] > 1.0
    assert np.isnan(t[(t["model"] == "good") & (t["h"] == "all")]["dm_p"].item())
