"""Feature selection: Pearson screening (seed 000) and a Granger-causality filter (seed 003).

Both look only at the training rows (``train_end`` / ``train_mask``), so the test period never
decides which inputs a model gets.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import stats

from cpjax._errors import CpjaxInputError

from ._scale import train_rows
from ._validate import validate_columns

__all__ = ["OHLCV", "Selection", "granger_filter", "pcc_class", "pearson_select"]

#: The target's own market columns kept by :func:`pearson_select` (seed 000's order).
OHLCV = ("open", "close", "high", "low", "volume")


class Selection(NamedTuple):
    """Result of a selection: the per-candidate report and the selected column names."""

    report: pd.DataFrame
    selected: list[str]


def pcc_class(r: float) -> str:
    """Seed 000's classes: ``|r| >= 0.5`` significant, ``0.3 <= |r| < 0.5`` low, else weak."""
    a = abs(r)
    if not np.isfinite(a):
        return "undefined"
    return "significant" if a >= 0.5 else "low" if a >= 0.3 else "weak"


def _candidates(df, target, candidates, exclude=()):
    if candidates is None:
        candidates = [c for c in df.columns if c not in ("ds", "unique_id", target, *exclude)
                      and pd.api.types.is_numeric_dtype(df[c])]
    return validate_columns(df, target, candidates)


def pearson_select(df: pd.DataFrame, target: str, candidates: Sequence[str] | None = None, *,
                   train_end=None, train_mask=None, threshold: float = 0.5,
                   keep: Sequence[str] = OHLCV) -> Selection:
    """Screen candidates by their Pearson correlation with the target on the training rows.

    Arguments:
        df: wide table (``ds`` + numeric columns).
        target: target column (e.g. ``"close"``).
        candidates: factor columns to test (default: every numeric column except the target
            and the ``keep`` columns).
        train_end / train_mask: the training part (inclusive end date or row count / mask).
        threshold: keep factors with ``|r| >= threshold`` (0.5 = seed 000's "significant").
        keep: always-kept columns when present (the target's own OHLCV).

    Returns:
        :class:`Selection` ``(report, selected)``. ``report`` (sorted by ``|r|``) has
        ``feature, r, p_value, n, abs_r, class, selected``; ``selected`` lists the model inputs:
        the present ``keep`` columns (the target first if it is not among them), then the factors
        passing the threshold in decreasing ``|r|``.

    Example:
        >>> from cpjax.data import demo_market
        >>> rep, cols = pearson_select(demo_market(), "close", train_end=630)
        >>> cols
        ['open', 'close', 'high', 'low', 'volume', 'csi300', 'new_energy_index', 'usdcny', 'eua_futures']
    """
    present_keep = [c for c in keep if c in df.columns]
    cands = [c for c in _candidates(df, target, candidates, present_keep)
             if c != target and c not in present_keep]
    mask = train_rows(df, train_mask, train_end)
    y = df[target].to_numpy(dtype=np.float64)[mask]
    rows = []
    for c in cands:
        x = df[c].to_numpy(dtype=np.float64)[mask]
        ok = np.isfinite(x) & np.isfinite(y)
        if ok.sum() < 3 or np.ptp(x[ok]) == 0 or np.ptp(y[ok]) == 0:
            r, p = np.nan, np.nan
        else:
            res = stats.pearsonr(x[ok], y[ok])
            r, p = float(res.statistic), float(res.pvalue)
        rows.append({"feature": c, "r": r, "p_value": p, "n": int(ok.sum()),
                     "abs_r": abs(r), "class": pcc_class(r),
                     "selected": bool(np.isfinite(r) and abs(r) >= threshold)})
    report = pd.DataFrame(rows, columns=["feature", "r", "p_value", "n", "abs_r", "class",
                                         "selected"])
    report = report.sort_values("abs_r", ascending=False, kind="stable").reset_index(drop=True)
    head = present_keep if target in present_keep else [target, *present_keep]
    selected = head + report.loc[report["selected"], "feature"].tolist()
    return Selection(report, selected)


def granger_filter(df: pd.DataFrame, target: str, candidates: Sequence[str] | None = None,
                   lags: Sequence[int] = (2, 3, 4), alpha: float = 0.05, *, train_end=None,
                   train_mask=None, difference: bool = False, test: str = "ssr_ftest"
                   ) -> Selection:
    """Keep candidates that Granger-cause the target at *any* of ``lags`` (level ``alpha``).

    Uses ``statsmodels.tsa.stattools.grangercausalitytests`` on ``[target, candidate]``
    (the null hypothesis: the candidate's past does not help predict the target beyond the
    target's own past). "Any lag" is the permissive reading of seed 003's "lags 2-4 at 5%";
    ``report["min_p"]`` lets a user apply a Bonferroni bound (``alpha / len(lags)``) instead.
    Price levels are usually non-stationary; ``difference=True`` tests first differences.

    Arguments:
        df, target, candidates, train_end, train_mask: as :func:`pearson_select`.
        lags: lag orders tested (each its own F test).
        alpha: significance level.
        difference: test first differences instead of levels.
        test: which statsmodels statistic to read (``"ssr_ftest"``, ``"ssr_chi2test"``,
            ``"lrtest"``, ``"params_ftest"``).

    Returns:
        :class:`Selection` ``(report, selected)``; report columns ``feature``,
        ``p_lag<k>`` per lag, ``min_p``, ``granger`` (bool); ``selected`` keeps the input order.

    Example:
        >>> rep, cols = granger_filter(df, "close", ["csi300", "usdcny"], train_end=630)  # doctest: +SKIP
    """
    from statsmodels.tsa.stattools import grangercausalitytests

    lags = sorted({int(k) for k in lags})
    if not lags or lags[0] < 1:
        raise CpjaxInputError(f"lags must be positive integers, got {lags}; fix: e.g. (2, 3, 4)")
    cands = [c for c in _candidates(df, target, candidates) if c != target]
    mask = train_rows(df, train_mask, train_end)
    rows = []
    for c in cands:
        data = df.loc[mask, [target, c]].to_numpy(dtype=np.float64)
        data = data[np.all(np.isfinite(data), axis=1)]
        if difference:
            data = np.diff(data, axis=0)
        row = {"feature": c}
        if len(data) < 3 * lags[-1] + 5 or np.ptp(data[:, 1]) == 0:
            row.update({f"p_lag{k}": np.nan for k in lags})
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = grangercausalitytests(data, maxlag=lags)
            row.update({f"p_lag{k}": float(res[k][0][test][1]) for k in lags})
        ps = np.array([row[f"p_lag{k}"] for k in lags])
        row["min_p"] = float(np.nanmin(ps)) if np.isfinite(ps).any() else np.nan
        row["granger"] = bool(np.isfinite(row["min_p"]) and row["min_p"] < alpha)
        rows.append(row)
    report = pd.DataFrame(rows, columns=["feature", *[f"p_lag{k}" for k in lags], "min_p",
                                         "granger"])
    return Selection(report, report.loc[report["granger"], "feature"].tolist())
