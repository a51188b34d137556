"""Missing values (seed 003): short gaps linear, long gaps by ARIMA, KS test on the result.

Rules, per numeric column:

- a run of at most ``max_linear_gap`` NaNs between two observations: linear interpolation over
  row positions (trading days), identical to ``pandas.Series.interpolate(method="linear")``;
- a longer run, or a run at the end of the column: an ARIMA forecast (statsmodels) from the
  values before the run, ``len(run)`` steps ahead. Default (``refit=False``): order and
  parameters are estimated once per column (short gaps filled, long gaps left missing, which the
  state-space Kalman filter skips), and each long run gets the filter's multi-step prediction
  from everything before it. ``refit=True`` estimates a model on the data before each run (seed
  003 read literally; about 0.2 s per run). The default lets later data shape the parameters
  (not the forecasts); linear interpolation uses the value after a gap anyway, so imputation
  before a split is not strictly causal. With fewer than ``min_history`` values before a run
  the fallback is linear interpolation (interior runs) or the last value (trailing runs); the
  report says which method filled each gap;
- leading NaNs (before a column's first observation) cannot be filled from the past. Policy
  ``leading="drop"`` (default) removes the rows before the last first-observation of all columns
  (nothing is invented, the report counts the rows); ``"keep"`` leaves them NaN; ``"backfill"``
  copies the first observation backwards (uses a later value: a small look-ahead).

The report has one row per column: counts per method, and two two-sample Kolmogorov-Smirnov
p-values (``scipy.stats.ks_2samp``): ``ks_pvalue`` compares the completed column with the
originally observed values (seed 003's check: p > 0.05 means imputation did not visibly change
the distribution) and ``ks_pvalue_imputed`` compares the imputed values alone with them.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy.stats import ks_2samp

from cpjax._errors import CpjaxInputError

__all__ = ["impute", "nan_runs"]

_ORDERS = ((0, 1, 0), (1, 1, 0), (0, 1, 1), (1, 1, 1))


def nan_runs(values: np.ndarray) -> list[tuple[int, int]]:
    """Return ``[(start, stop), ...]`` of the runs of NaN in a 1-D array (stop exclusive)."""
    isnan = np.isnan(np.asarray(values, dtype=np.float64))
    edges = np.diff(np.concatenate([[0], isnan.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist()))


def _fit_arima(data: np.ndarray, order):
    """Best ARIMA by AIC over ``order`` (or the small default grid); ``(results, order)``."""
    from statsmodels.tsa.arima.model import ARIMA

    orders = [tuple(order)] if order is not None else list(_ORDERS)
    best, best_aic, best_order = None, np.inf, orders[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence and frequency warnings of statsmodels
        for o in orders:
            try:
                res = ARIMA(data, order=o).fit()
            except (ValueError, np.linalg.LinAlgError):
                continue
            if np.isfinite(res.aic) and res.aic < best_aic:
                best, best_aic, best_order = res, res.aic, o
    if best is None:
        raise np.linalg.LinAlgError("no ARIMA order could be fitted")
    return best, best_order


def _arima_forecast(history: np.ndarray, steps: int, order, fixed=None
                    ) -> tuple[np.ndarray, tuple]:
    """Forecast ``steps`` after ``history``: refit, or filter with ``fixed=(order, params)``."""
    from statsmodels.tsa.arima.model import ARIMA

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if fixed is None:
            res, order = _fit_arima(history, order)
        else:
            order, res = fixed[0], ARIMA(history, order=fixed[0]).filter(fixed[1])
        return np.asarray(res.forecast(steps), dtype=np.float64), order


def _fill_plain(v: np.ndarray, start: int, stop: int, method: str) -> None:
    if method.startswith("linear"):
        left, right = v[start - 1], v[stop]
        v[start:stop] = left + np.arange(1, stop - start + 1) / (stop - start + 1) * (right - left)
    else:
        v[start:stop] = v[start - 1]


def _impute_column(v: np.ndarray, max_linear_gap: int, arima_order, min_history: int,
                   max_history: int, refit: bool) -> tuple[np.ndarray, list[dict]]:
    v = v.astype(np.float64).copy()
    n = v.size
    gaps, long_runs = [], []
    obs = np.flatnonzero(np.isfinite(v))
    if obs.size == 0:
        return v, gaps
    # short interior gaps first: they only depend on their two observed neighbours
    for start, stop in nan_runs(v):
        if start == 0:
            gaps.append({"start": start, "stop": stop, "method": "leading"})
        elif stop < n and stop - start <= max_linear_gap:
            _fill_plain(v, start, stop, "linear")
            gaps.append({"start": start, "stop": stop, "method": "linear"})
        else:
            long_runs.append((start, stop))
    kalman = None
    for start, stop in long_runs:
        interior = stop < n
        n_before = int(np.isfinite(v[:start]).sum())
        method = "linear_fallback" if interior else "last_value"
        if n_before >= min_history:
            try:
                if refit:
                    history = v[max(0, start - max_history):start]
                    fc, order = _arima_forecast(history[np.isfinite(history)], stop - start,
                                                arima_order)
                else:
                    if kalman is None:  # one fit per column; NaNs are skipped by the filter
                        res, order = _fit_arima(v[obs[0]:], arima_order)
                        kalman = (np.asarray(res.predict(), dtype=np.float64), order)
                    order = kalman[1]
                    fc = kalman[0][start - obs[0]:stop - obs[0]]
                if np.all(np.isfinite(fc)):
                    v[start:stop] = fc
                    gaps.append({"start": start, "stop": stop, "method": f"arima{order}"})
                    continue
            except np.linalg.LinAlgError:
                pass
        _fill_plain(v, start, stop, method)
        gaps.append({"start": start, "stop": stop, "method": method})
    gaps.sort(key=lambda g: g["start"])
    return v, gaps


def impute(df: pd.DataFrame, max_linear_gap: int = 3, arima_order: tuple | None = None, *,
           columns: list[str] | None = None, leading: str = "drop", min_history: int = 20,
           max_history: int = 500, refit: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fill missing values and report what was filled and whether distributions changed.

    Arguments:
        df: wide table (``ds`` + numeric columns), rows in time order. Long tables
            (with ``unique_id``) are imputed per series.
        max_linear_gap: longest run of NaNs (in rows) filled by linear interpolation.
        arima_order: ``(p, d, q)`` for long gaps; ``None`` picks the lowest AIC of
            (0,1,0), (1,1,0), (0,1,1), (1,1,1) per gap.
        columns: columns to impute (default: every numeric column except ``ds``).
        leading: ``"drop"``, ``"keep"`` or ``"backfill"`` for NaNs before a column's first value.
        min_history: fewest observations before a long gap for an ARIMA fit.
        max_history: at most this many values before a gap feed the ARIMA forecast.
        refit: ``True`` estimates the ARIMA on the (at most ``max_history``) values before
            *each* long gap (seed 003 read literally; slow with many gaps); ``False`` (default)
            estimates order and parameters once per column (short gaps already filled, long
            gaps left missing) and fills each long gap with the Kalman filter's prediction from
            all data before it: the multi-step ARIMA forecast, earlier long gaps treated as
            missing.

    Returns:
        ``(filled_df, report)``; ``report`` has one row per column with ``n_missing``,
        ``n_linear``, ``n_arima``, ``n_fallback``, ``n_leading``, ``ks_stat``, ``ks_pvalue``,
        ``ks_pvalue_imputed``; ``report.attrs["gaps"]`` lists every gap and its method and
        ``report.attrs["rows_dropped"]`` the leading rows removed.

    Example:
        >>> filled, report = impute(df)                      # doctest: +SKIP
        >>> report[["column", "n_missing", "ks_pvalue"]]     # doctest: +SKIP
    """
    if leading not in ("drop", "keep", "backfill"):
        raise CpjaxInputError(f"unknown leading-NaN policy {leading!r}; "
                              "fix: use 'drop', 'keep' or 'backfill'")
    if int(max_linear_gap) != max_linear_gap or max_linear_gap < 0:
        raise CpjaxInputError(f"max_linear_gap must be a non-negative integer, got "
                              f"{max_linear_gap!r}; fix: e.g. max_linear_gap=3")
    if "unique_id" in df.columns:
        parts, reports = [], []
        for uid, part in df.groupby("unique_id", sort=False):
            filled, rep = impute(part.drop(columns="unique_id"), max_linear_gap, arima_order,
                                 columns=columns, leading=leading, min_history=min_history,
                                 max_history=max_history, refit=refit)
            filled.insert(0, "unique_id", uid)
            rep.insert(0, "unique_id", uid)
            parts.append(filled)
            reports.append(rep)
        return pd.concat(parts, ignore_index=True), pd.concat(reports, ignore_index=True)
    if columns is None:
        columns = [c for c in df.columns if c != "ds" and pd.api.types.is_numeric_dtype(df[c])]
    out = df.reset_index(drop=True).copy()
    rows, all_gaps = [], []
    first_obs = 0
    for c in columns:
        if c not in out.columns:
            raise CpjaxInputError(f"impute: unknown column {c!r}; fix: choose among "
                                  f"{', '.join(map(str, out.columns))}")
        orig = out[c].to_numpy(dtype=np.float64)
        filled, gaps = _impute_column(orig, max_linear_gap, arima_order, min_history,
                                      max_history, refit)
        obs = np.flatnonzero(np.isfinite(orig))
        lead = int(obs[0]) if obs.size else len(orig)
        first_obs = max(first_obs, lead)
        if leading == "backfill" and obs.size:
            filled[:lead] = orig[lead]
        imputed_mask = np.isnan(orig) & np.isfinite(filled)
        counts = {"linear": 0, "arima": 0, "fallback": 0}
        for g in gaps:
            g["column"] = c
            k = g["stop"] - g["start"]
            if g["method"] == "linear":
                counts["linear"] += k
            elif g["method"].startswith("arima"):
                counts["arima"] += k
            elif g["method"] != "leading":
                counts["fallback"] += k
        if imputed_mask.any() and obs.size >= 2:
            observed = orig[np.isfinite(orig)]
            ks = ks_2samp(filled[np.isfinite(filled)], observed)
            ks_imp = ks_2samp(filled[imputed_mask], observed)
            stat, p, p_imp = float(ks.statistic), float(ks.pvalue), float(ks_imp.pvalue)
        else:
            stat = p = p_imp = np.nan
        rows.append({"column": c, "n_missing": int(np.isnan(orig).sum()),
                     "n_linear": counts["linear"], "n_arima": counts["arima"],
                     "n_fallback": counts["fallback"], "n_leading": lead,
                     "ks_stat": stat, "ks_pvalue": p, "ks_pvalue_imputed": p_imp})
        out[c] = filled
        all_gaps.extend(gaps)
    dropped = 0
    if leading == "drop" and first_obs > 0:
        dropped = first_obs
        out = out.iloc[first_obs:].reset_index(drop=True)
    report = pd.DataFrame(rows, columns=["column", "n_missing", "n_linear", "n_arima",
                                         "n_fallback", "n_leading", "ks_stat", "ks_pvalue",
                                         "ks_pvalue_imputed"])
    report.attrs["gaps"] = all_gaps
    report.attrs["rows_dropped"] = dropped
    return out, report
