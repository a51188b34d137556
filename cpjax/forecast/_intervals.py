"""Split-conformal prediction intervals for any fitted forecaster.

Calibration residuals come from data *before* the test period: the last ``cal_fraction`` of the
training windows.  For networks these are the windows held out for early stopping (the weights are
never fitted on them; they only pick the stopping epoch).  Statistical estimators (ARIMA, SVR, ...)
fit on every training window, so for them a copy is refitted on the rows before the calibration
block and the calibration residuals are its out-of-sample forecasts (in-sample residuals of SVR
would make the intervals far too narrow).  The interval for a forecast ``yhat`` at step ``h`` is ``yhat ± q_h`` with ``q_h`` the
finite-sample conformal quantile of the ``|y - yhat|`` of step ``h`` on the calibration windows
(:func:`cpjax.evaluate.conformal_intervals`).  The columns follow Nixtla's convention,
``MODEL-lo-95`` and ``MODEL-hi-95``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .._errors import CpjaxInputError
from ..evaluate import (
    conformal_intervals,
    empirical_coverage,
    interval_column_names,
    interval_score,
)

__all__ = ["add_conformal_intervals", "calibration_residuals", "check_levels", "coverage_table"]


def check_levels(levels: Sequence[float]) -> tuple[float, ...]:
    """Validate interval levels given in percent (e.g. ``(80, 95)``)."""
    out = []
    for lv in levels:
        try:
            v = float(lv)
        except (TypeError, ValueError):
            raise CpjaxInputError(f"interval level {lv!r} is not a number; fix: e.g. 80,95") from None
        if not 1.0 <= v < 100.0:
            hint = f" (use {100 * v:g} for {100 * v:g} %)" if 0 < v < 1 else ""
            raise CpjaxInputError(f"interval level {lv} must be a percentage in [1, 100){hint}; "
                                  "fix: e.g. --level 80,95")
        out.append(int(v) if v.is_integer() else v)
    return tuple(out)


def calibration_residuals(forecaster, cal_fraction: float | None = None, *,
                          refit: bool | None = None) -> pd.DataFrame:
    """``h, cutoff, residual`` (``y - yhat``, original units) on the last training windows.

    Arguments:
        forecaster: a fitted :class:`~cpjax.forecast.Forecaster` (with ``prepared_``).
        cal_fraction: share of the training windows used (default: the forecaster's
            ``val_fraction``, or 0.15 when that is 0).
        refit: forecast the calibration windows from a copy fitted only on the rows before them
            (default: for statistical estimators, which fit on every training window; networks
            never fit on their validation windows).

    Returns:
        One row per (calibration window, step); all target dates are on or before the training
        end, so nothing from the test period is used.
    """
    c = forecaster.config
    frac = cal_fraction if cal_fraction is not None else (c.data.val_fraction or 0.15)
    p = forecaster.prepared_
    n_tr = int(p.train_windows().size)
    n_cal = min(max(int(round(frac * n_tr)), 1), n_tr)
    if refit is None:
        refit = forecaster.kind.refit_for_calibration
    if refit:
        first_origin = int(p.windows.origin[p.train_windows()[-n_cal]])
        from ._forecaster import Forecaster

        copy = Forecaster(config=c).fit(p.frame, forecaster.target_, forecaster.features_[1:],
                                        train_rows=first_origin + 1)
        allp = copy.predict()
    else:
        allp = forecaster.predict(which="all")
    inside = allp[allp["ds"] <= forecaster.train_end_]
    cutoffs = np.sort(inside["cutoff"].unique())[-n_cal:]
    cal = inside[inside["cutoff"].isin(cutoffs)]
    return pd.DataFrame({"h": cal["h"].to_numpy(), "cutoff": cal["cutoff"].to_numpy(),
                         "residual": (cal["y"] - cal[forecaster.name]).to_numpy(np.float64)})


def add_conformal_intervals(fc: pd.DataFrame, column: str, residuals: pd.DataFrame,
                            levels: Sequence[float] = (80, 95)) -> pd.DataFrame:
    """Copy of ``fc`` with ``COLUMN-lo-L`` / ``COLUMN-hi-L`` around ``fc[column]`` per level.

    ``residuals`` is :func:`calibration_residuals` output; the quantile is taken per step ``h``
    (a step without calibration residuals gets infinite bounds).

    Example:
        >>> fc = pd.DataFrame({"h": [1, 1], "m": [10.0, 11.0]})
        >>> res = pd.DataFrame({"h": [1] * 4, "residual": [-1.0, 0.5, 2.0, -0.2]})
        >>> add_conformal_intervals(fc, "m", res, [50])["m-hi-50"].tolist()
        [11.0, 12.0]
    """
    levels = check_levels(levels)
    out = fc.copy()
    for lv in levels:
        lo_c, hi_c = interval_column_names(column, lv)
        out[lo_c], out[hi_c] = -np.inf, np.inf
    for h, rows in out.groupby("h").groups.items():
        r = residuals.loc[residuals["h"] == h, "residual"].to_numpy(np.float64)
        if r.size == 0:
            continue
        iv = conformal_intervals(r, out.loc[rows, column].to_numpy(np.float64), levels)
        for lv, (lo, hi) in iv.items():
            lo_c, hi_c = interval_column_names(column, lv)
            out.loc[rows, lo_c], out.loc[rows, hi_c] = lo, hi
    return out


def coverage_table(fc: pd.DataFrame, columns: Sequence[str], levels: Sequence[float]
                   ) -> pd.DataFrame:
    """Empirical coverage, mean width and interval score per model and level.

    Returns columns ``coverage_L``, ``width_L``, ``interval_score_L`` indexed by model.
    """
    rows = {}
    y = fc["y"].to_numpy(np.float64)
    for col in columns:
        row = {}
        for lv in check_levels(levels):
            lo_c, hi_c = interval_column_names(col, lv)
            lo, hi = fc[lo_c].to_numpy(np.float64), fc[hi_c].to_numpy(np.float64)
            row[f"coverage_{lv}"] = empirical_coverage(y, lo, hi)
            row[f"width_{lv}"] = float(np.mean(hi - lo))
            row[f"interval_score_{lv}"] = interval_score(y, lo, hi, lv)
        rows[col] = row
    t = pd.DataFrame.from_dict(rows, orient="index")
    t.index.name = "model"
    return t
