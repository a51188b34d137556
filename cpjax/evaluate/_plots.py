"""Matplotlib plots of forecasts, error distributions and backtest metrics.

Every function draws on ``ax`` (or a new figure), returns the :class:`matplotlib.axes.Axes`, and
saves a PNG when ``path`` is given.  Nothing here needs a display: use the Agg backend on servers
(``MPLBACKEND=Agg``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from cpjax._errors import CpjaxInputError

from ._metrics import _aligned, as_vector
from ._types import Vector

__all__ = [
    "plot_error_distribution",
    "plot_forecast",
    "plot_metrics_by_cutoff",
    "save_figure",
]


def _axes(ax: Axes | None, figsize: tuple[float, float]) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt  # lazy: importing the package must not pick a backend

    _, new = plt.subplots(figsize=figsize, layout="constrained")
    return new


def _bound(b: Vector, n: int, name: str) -> np.ndarray:
    """Interval bound for plotting: infinite values (too few calibration points) are not drawn."""
    arr = np.asarray(b, dtype=np.float64).reshape(-1)
    if arr.size != n:
        raise CpjaxInputError(f"{name} has {arr.size} values but y has {n}; fix: one per day")
    return np.where(np.isfinite(arr), arr, np.nan)


def save_figure(ax_or_fig: Axes | Figure, path: str | os.PathLike, *, dpi: int = 120) -> Path:
    """Save the figure holding ``ax_or_fig`` as an image (format from the suffix, e.g. ``.png``).

    Creates the parent folder if needed and returns the path written.
    """
    fig = ax_or_fig if isinstance(ax_or_fig, Figure) else ax_or_fig.get_figure()
    if fig is None:
        raise CpjaxInputError("save_figure: these Axes belong to no figure; fix: pass a Figure")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi)
    return path


def plot_forecast(
    ds: Sequence[Any] | np.ndarray | pd.Series | pd.DatetimeIndex,
    y: Vector,
    preds: Mapping[str, Vector],
    intervals: Mapping[str, Mapping[float, tuple[Vector, Vector]]] | None = None,
    ax: Axes | None = None,
    title: str | None = None,
    *,
    path: str | os.PathLike | None = None,
    ylabel: str = "price",
) -> Axes:
    """Actual series and forecasts, with shaded prediction intervals.

    Arguments:
        ds: dates (or any x values), one per day.
        y: actual values (drawn black).
        preds: model -> forecasts for the same days (one line each).
        intervals: model -> ``{level: (lo, hi)}`` (e.g. from ``conformal_intervals``); each
            interval is one shaded band in the model's colour, wider levels lighter.
        path: also save the figure there.

    Returns:
        The Axes: ``1 + len(preds)`` lines and one filled band per (model, level).
    """
    x = np.asarray(ds)
    yv = _aligned(y, x.size, "y")
    unknown = set(intervals or {}) - set(preds)
    if unknown:
        raise CpjaxInputError(
            f"intervals given for {sorted(map(str, unknown))} but no forecasts; fix: use the model names "
            f"of preds ({', '.join(map(str, preds))})"
        )
    ax = _axes(ax, (10.0, 4.0))
    ax.plot(x, yv, color="black", linewidth=1.4, label="actual")
    for model, p in preds.items():
        (line,) = ax.plot(
            x, _aligned(p, x.size, f"forecasts of {model!r}"), linewidth=1.1, label=str(model)
        )
        bands = (intervals or {}).get(model, {})
        for level in sorted(bands, reverse=True):
            lo, hi = bands[level]
            ax.fill_between(
                x,
                _bound(lo, x.size, f"lower bound {level} of {model!r}"),
                _bound(hi, x.size, f"upper bound {level} of {model!r}"),
                color=line.get_color(),
                alpha=0.12 if float(level) >= 90 else 0.22,
                linewidth=0,
                label=f"{model} {level:g}%",
            )
    ax.set_ylabel(ylabel)
    ax.set_title(title if title is not None else "Forecast vs actual")
    ax.legend(loc="best", fontsize="small")
    if path is not None:
        save_figure(ax, path)
    return ax


def _runs(errors_by_run: Mapping[str, Any] | pd.DataFrame) -> list[tuple[str, np.ndarray]]:
    """Flatten the accepted inputs into ``[(label, errors), ...]``."""
    if isinstance(errors_by_run, pd.DataFrame):
        df = errors_by_run
        if {"run", "error"} <= set(df.columns):  # long format, optional model column
            keys = ["model", "run"] if "model" in df.columns else ["run"]
            return [
                (" ".join(map(str, k if isinstance(k, tuple) else (k,))), as_vector(g["error"]))
                for k, g in df.groupby(keys, sort=False)
            ]
        return [(str(c), as_vector(df[c].dropna(), f"column {c!r}")) for c in df.columns]
    out = []
    for model, runs in errors_by_run.items():
        if isinstance(runs, np.ndarray | pd.Series) and np.ndim(runs) == 1:
            runs = [runs]
        for i, e in enumerate(runs, start=1):
            out.append((f"{model} run {i}", as_vector(e, f"errors of {model!r} run {i}")))
    return out


def plot_error_distribution(
    errors_by_run: Mapping[str, Sequence[Vector]] | pd.DataFrame,
    ax: Axes | None = None,
    *,
    kind: str = "hist",
    bins: int = 30,
    title: str | None = None,
    path: str | os.PathLike | None = None,
) -> Axes:
    """Per-run distributions of forecast errors (seed 000, Fig. 9), overlaid on one Axes.

    Arguments:
        errors_by_run: ``{model: [errors of run 1, run 2, ...]}``, or a DataFrame with one
            column per run, or a long DataFrame with columns ``run``, ``error`` (and ``model``).
        kind: ``"hist"`` (step histograms, density-normalised, one patch per run) or ``"kde"``
            (Gaussian kernel density, one line per run).
        bins: histogram bins, shared by all runs.

    Returns:
        The Axes, with a dashed vertical line at zero error (one extra line).
    """
    runs = _runs(errors_by_run)
    if not runs:
        raise CpjaxInputError("plot_error_distribution got no runs; fix: pass at least one")
    if kind not in ("hist", "kde"):
        raise CpjaxInputError(f"kind={kind!r} is unknown; fix: use 'hist' or 'kde'")
    ax = _axes(ax, (7.0, 4.0))
    allv = np.concatenate([e for _, e in runs])
    lo, hi = float(allv.min()), float(allv.max())
    if hi == lo:
        lo, hi = lo - 0.5, hi + 0.5
    if kind == "hist":
        edges = np.linspace(lo, hi, bins + 1)
        for label, e in runs:
            ax.hist(e, bins=edges, density=True, histtype="step", linewidth=1.3, label=label)
    else:
        from scipy.stats import gaussian_kde

        grid = np.linspace(lo - 0.1 * (hi - lo), hi + 0.1 * (hi - lo), 256)
        for label, e in runs:
            if e.size < 2 or np.all(e == e[0]):
                raise CpjaxInputError(
                    f"{label}: a density needs at least two distinct errors; fix: use kind='hist'"
                )
            ax.plot(grid, gaussian_kde(e)(grid), linewidth=1.3, label=label)
    ax.axvline(0.0, color="grey", linestyle="--", linewidth=0.8)
    ax.set_xlabel("error (actual - forecast)")
    ax.set_ylabel("density")
    ax.set_title(title if title is not None else "Error distribution per run")
    ax.legend(loc="best", fontsize="small")
    if path is not None:
        save_figure(ax, path)
    return ax


def plot_metrics_by_cutoff(
    df: pd.DataFrame,
    metric: str = "rmse",
    ax: Axes | None = None,
    *,
    model_col: str = "model",
    title: str | None = None,
    path: str | os.PathLike | None = None,
) -> Axes:
    """A metric per backtest cutoff: one line per model (long table with a ``model`` column) or
    a single line (table with ``cutoff`` and the metric only).

    Returns:
        The Axes, one line with markers per model.
    """
    for col in ("cutoff", metric):
        if col not in df.columns:
            raise CpjaxInputError(
                f"metrics table has no column {col!r} (columns: {', '.join(map(str, df.columns))});"
                " fix: pass the output of the backtest's metrics_by_cutoff"
            )
    ax = _axes(ax, (8.0, 4.0))
    groups = df.groupby(model_col, sort=False) if model_col in df.columns else [(metric, df)]
    for name, g in groups:
        g = g.sort_values("cutoff")
        ax.plot(
            g["cutoff"].to_numpy(),
            g[metric].to_numpy(dtype=np.float64),
            marker="o",
            linewidth=1.2,
            label=str(name),
        )
    ax.set_xlabel("cutoff")
    ax.set_ylabel(metric)
    ax.set_title(title if title is not None else f"{metric} by cutoff")
    ax.legend(loc="best", fontsize="small")
    if path is not None:
        save_figure(ax, path)
    return ax
