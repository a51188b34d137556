"""The "traditional CGE" counterpart of a Neural ODE path: a log-linear trend trajectory."""

from __future__ import annotations

import numpy as np

from .._errors import CpjaxInputError

__all__ = ["trend_trajectory"]


def trend_trajectory(years_cal_hist: np.ndarray, x_hist: np.ndarray, years_cal_out: np.ndarray,
                     fit_years: int = 8) -> np.ndarray:
    """Smooth log-linear trends of the annual means, evaluated on any grid (a trajectory).

    Each series' annual means over the last ``fit_years`` complete years of history are fit by
    ``ln x = a + b·year`` (least squares); the trend is evaluated at ``years_cal_out`` (the value
    of each grid point's calendar year, so it has no seasonal cycle). The result has the shape
    of a generated trajectory, so it goes through the same mapping to CGE drivers
    (:func:`cpjax.cge.map_to_drivers`). Not to be confused with :func:`cpjax.cge.trend_path`, a
    comparative-static CGE path.

    Arguments:
        years_cal_hist: (T,) calendar time of the history (2021.0 = 2021-01, monthly 1/12 apart).
        x_hist: (T, S) history in original units (positive).
        years_cal_out: (H,) calendar times of the output grid.
        fit_years: number of last complete years the trend is fit on.

    Returns:
        (H, S) trend values.
    """
    t = np.asarray(years_cal_hist, dtype=np.float64)
    x_hist = np.asarray(x_hist, dtype=np.float64)
    yc = np.floor(t + 1.0 / 24.0)
    annual_grid = t.size > 1 and np.diff(t).min() > 0.5
    full = [y for y in np.unique(yc) if annual_grid or np.sum(yc == y) >= 12]
    if len(full) < 2:
        raise CpjaxInputError(f"a trend needs at least 2 complete years of history, got "
                              f"{len(full)}; fix: pass a longer history")
    yrs = np.asarray(full[-fit_years:])
    means = np.stack([x_hist[yc == y].mean(axis=0) for y in yrs])
    out = np.empty((len(years_cal_out), x_hist.shape[1]))
    yo = np.floor(np.asarray(years_cal_out, dtype=np.float64) + 1.0 / 24.0)
    for s in range(x_hist.shape[1]):
        b, a = np.polyfit(yrs, np.log(np.maximum(means[:, s], 1e-12)), 1)
        out[:, s] = np.exp(a + b * yo)
    return out
