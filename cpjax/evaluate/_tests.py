"""Tests of equal forecast accuracy: Wilcoxon signed-rank, paired t and Diebold–Mariano (HLN).

All tests compare per-day losses of two forecasts of the same days.  Sign convention: a positive
statistic means the *first* forecast has the larger loss (the second one is more accurate).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, NamedTuple

import numpy as np
import pandas as pd
from scipy import stats

from cpjax._errors import CpjaxInputError, unknown_name_message

from ._metrics import _aligned, _pair, as_vector
from ._types import Vector

__all__ = [
    "TestResult",
    "comparison_tests",
    "diebold_mariano",
    "paired_t_test",
    "wilcoxon_test",
]

Alternative = Literal["two-sided", "less", "greater"]
_ALTERNATIVES = ("two-sided", "less", "greater")


class TestResult(NamedTuple):
    """``(statistic, pvalue)``; unpacks like a tuple."""

    statistic: float
    pvalue: float


TestResult.__test__ = False  # not a pytest test class despite the name


def _check_alt(alternative: str) -> None:
    if alternative not in _ALTERNATIVES:
        raise CpjaxInputError(unknown_name_message("alternative", alternative, _ALTERNATIVES))


def _degenerate(d: np.ndarray) -> TestResult | None:
    """Constant differences (up to rounding): no variance to test against.

    Handled here, before scipy, which would warn about catastrophic cancellation.
    """
    scale = float(np.max(np.abs(d)))
    if float(np.ptp(d)) <= 1e-12 * scale:
        if scale == 0.0:
            return TestResult(float("nan"), 1.0)
        return TestResult(float(np.copysign(np.inf, d.mean())), 0.0)
    return None


def _p_from_stat(stat: float, dist, alternative: str) -> float:
    if alternative == "two-sided":
        return float(2.0 * dist.sf(abs(stat)))
    if alternative == "greater":
        return float(dist.sf(stat))
    return float(dist.cdf(stat))


def wilcoxon_test(
    loss_a: Vector,
    loss_b: Vector,
    *,
    alternative: Alternative = "two-sided",
    method: Literal["auto", "exact", "approx"] = "auto",
    correction: bool = False,
) -> TestResult:
    """Wilcoxon signed-rank test on ``loss_a - loss_b`` (``scipy.stats.wilcoxon``).

    Zero differences are dropped (``zero_method="wilcox"``); if every difference is zero the
    result is ``(nan, 1.0)``.  ``alternative="greater"`` tests whether ``loss_a`` tends to be
    larger.  ``method="auto"`` uses the exact null distribution for small samples and the normal
    approximation (with the tie correction of the variance) for large ones; ``method="approx",
    correction=True`` adds the continuity correction and reproduces R's ``wilcox.test``.
    Returns ``TestResult(statistic, pvalue)``.
    """
    _check_alt(alternative)
    if method not in ("auto", "exact", "approx"):
        raise CpjaxInputError(unknown_name_message("method", method, ("auto", "exact", "approx")))
    a, b = _pair(loss_a, loss_b)
    d = a - b
    if np.all(d == 0.0):
        return TestResult(float("nan"), 1.0)
    res = stats.wilcoxon(
        d, zero_method="wilcox", alternative=alternative, method=method, correction=correction
    )
    return TestResult(float(res.statistic), float(res.pvalue))


def paired_t_test(
    loss_a: Vector, loss_b: Vector, *, alternative: Alternative = "two-sided"
) -> TestResult:
    """Paired t-test of ``mean(loss_a - loss_b) == 0`` (``scipy.stats.ttest_rel``).

    Constant differences give ``(nan, 1.0)`` when they are all zero and ``(±inf, 0.0)`` otherwise.
    """
    _check_alt(alternative)
    a, b = _pair(loss_a, loss_b)
    if a.size < 2:
        raise CpjaxInputError("paired_t_test needs at least 2 days; fix: pass longer series")
    deg = _degenerate(a - b)
    if deg is not None:
        return deg
    res = stats.ttest_rel(a, b, alternative=alternative)
    return TestResult(float(res.statistic), float(res.pvalue))


def _loss_power(power: float | None, loss: str | None) -> float:
    if loss is not None:
        table = {"mse": 2.0, "mae": 1.0}
        if loss not in table:
            raise CpjaxInputError(unknown_name_message("loss", loss, table))
        return table[loss]
    p = 2.0 if power is None else float(power)
    if not p > 0:
        raise CpjaxInputError(
            f"power={power} must be positive; fix: use 2 (squared) or 1 (absolute)"
        )
    return p


def diebold_mariano(
    e1: Vector,
    e2: Vector,
    h: int = 1,
    power: float | None = None,
    *,
    loss: Literal["mse", "mae"] | None = None,
    hln: bool = True,
    alternative: Alternative = "two-sided",
) -> TestResult:
    """Diebold–Mariano (1995) test of equal accuracy of two ``h``-step forecasts.

    With ``d_t = |e1_t|**p - |e2_t|**p`` (``p = power``, or 2 for ``loss="mse"`` and 1 for
    ``loss="mae"``), ``n`` days and autocovariances ``g_k = (1/n) sum_{t>k} (d_t - dbar)(d_{t-k} -
    dbar)``::

        DM  = dbar / sqrt((g_0 + 2 * sum_{k=1}^{h-1} g_k) / n)
        DM* = DM * sqrt((n + 1 - 2h + h(h - 1)/n) / n)        (Harvey, Leybourne & Newbold 1997)

    With ``hln=True`` (default) the statistic is ``DM*`` with a Student-t(n-1) reference; with
    ``hln=False`` it is ``DM`` with a standard normal reference.  For ``h=1`` and ``hln=True``
    the statistic equals the one-sample t statistic of ``d`` (``scipy.stats.ttest_1samp``).

    Arguments:
        e1, e2: forecast errors (actual - forecast) of the two models on the same days.
        h: forecast horizon in steps (the long-run variance uses lags ``1 .. h-1``).
        alternative: ``"greater"`` tests whether model 1 is *less* accurate (larger loss).

    Returns:
        ``TestResult(statistic, pvalue)``.  Positive statistic = model 2 more accurate.  If the
        long-run variance estimate is not positive (possible for ``h > 1``) both are ``nan``;
        constant ``d`` gives ``(nan, 1.0)`` when zero and ``(±inf, 0.0)`` otherwise.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> stat, p = diebold_mariano(rng.normal(size=100), 2 * rng.normal(size=100))
        >>> stat < 0   # model 1 (smaller errors) is more accurate
        True
    """
    _check_alt(alternative)
    p = _loss_power(power, loss)
    a, b = _pair(e1, e2)
    n = a.size
    if int(h) != h or h < 1 or h >= n:
        raise CpjaxInputError(
            f"diebold_mariano: h={h} must be an integer with 1 <= h < n={n}; fix: pass the "
            "forecast horizon in steps"
        )
    h = int(h)
    d = np.abs(a) ** p - np.abs(b) ** p
    deg = _degenerate(d)
    if deg is not None:
        return deg
    dbar = float(d.mean())
    dc = d - dbar
    gamma = [float(dc[k:] @ dc[: n - k]) / n for k in range(h)]
    lrv = gamma[0] + 2.0 * sum(gamma[1:])
    if not lrv > 0.0:
        return TestResult(float("nan"), float("nan"))
    stat = dbar / np.sqrt(lrv / n)
    if hln:
        stat *= np.sqrt((n + 1 - 2 * h + h * (h - 1) / n) / n)
        pvalue = _p_from_stat(stat, stats.t(df=n - 1), alternative)
    else:
        pvalue = _p_from_stat(stat, stats.norm(), alternative)
    return TestResult(float(stat), pvalue)


def comparison_tests(
    y_true: Vector,
    preds: Mapping[str, Vector],
    reference: str,
    *,
    loss: Literal["mse", "mae"] = "mae",
    h: int = 1,
) -> pd.DataFrame:
    """Test every model against ``reference`` on per-day losses (seed 003 Table 2 plus DM).

    Per-day loss is ``|y - yhat|`` (``loss="mae"``, default, as in seed 003's MAE differences) or
    ``(y - yhat)**2`` (``loss="mse"``).  Wilcoxon and paired t are two-sided on
    ``loss_model - loss_reference``; Diebold–Mariano uses the HLN correction with horizon ``h``.

    Returns:
        DataFrame with columns ``model, reference, wilcoxon_p, ttest_p, dm_stat, dm_p``, one row
        per model other than the reference (``dm_stat > 0``: the reference is more accurate).
    """
    if reference not in preds:
        raise CpjaxInputError(unknown_name_message("reference model", reference, list(preds)))
    p = _loss_power(None, loss)
    yt = as_vector(y_true, "y_true")
    e_ref = yt - _aligned(preds[reference], yt.size, f"forecasts of {reference!r}")
    rows = []
    for model, pred in preds.items():
        if model == reference:
            continue
        e = yt - _aligned(pred, yt.size, f"forecasts of {model!r}")
        la, lb = np.abs(e) ** p, np.abs(e_ref) ** p
        dm = diebold_mariano(e, e_ref, h=h, power=p)
        rows.append(
            {
                "model": str(model),
                "reference": str(reference),
                "wilcoxon_p": wilcoxon_test(la, lb).pvalue,
                "ttest_p": paired_t_test(la, lb).pvalue,
                "dm_stat": dm.statistic,
                "dm_p": dm.pvalue,
            }
        )
    cols = ["model", "reference", "wilcoxon_p", "ttest_p", "dm_stat", "dm_p"]
    return pd.DataFrame(rows, columns=cols)
