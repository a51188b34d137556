"""Matplotlib plots of forecasts, error distributions and backtest metrics.

Every function draws on ``ax`` (or a new figure), returns the :class:`matplotlib.axes.Axes`, and
saves a PNG when ``path`` is given.  Nothing here needs a display: use the Agg backend on servers
(``MPLBACKEND=Agg``).

Plots a person reads: axes are labelled (with units when given), every model gets its own line
style and marker so that overlapping lines stay visible, and text in Chinese (or another CJK
script) is drawn with a CJK font when one is installed, otherwise transliterated to Latin letters
(:func:`plot_text`, ``anyascii``) instead of drawing empty boxes.
"""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Iterator, Mapping, Sequence
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
    "CJK_FONTS",
    "plot_error_distribution",
    "plot_forecast",
    "plot_metrics_by_cutoff",
    "plot_text",
    "save_figure",
]

#: Font families able to draw Chinese, tried in this order when a label needs one.
CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Source Han Sans CN",
             "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "Microsoft YaHei", "SimHei",
             "PingFang SC", "Heiti SC", "Hiragino Sans GB", "Sarasa Gothic SC",
             "Droid Sans Fallback", "AR PL UMing CN", "Arial Unicode MS")
# line style, marker of the forecasts (the actual series is solid black)
_STYLES = (("--", "o"), ("-.", "s"), (":", "^"), ((0, (5, 1)), "v"), ((0, (3, 1, 1, 1)), "D"),
           ((0, (1, 1)), "x"), ("--", "P"), ("-.", "*"))


@functools.lru_cache(maxsize=1)
def _cjk_family() -> str | None:
    """The first installed font of :data:`CJK_FONTS`, or ``None``."""
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    return next((f for f in CJK_FONTS if f in installed), None)


def _needs_cjk(text: str) -> bool:
    return any(ord(ch) >= 0x2E80 for ch in text)


def plot_text(text: object) -> str:
    """``text`` as it can be drawn here: unchanged when it is plain or a CJK font is installed,
    else transliterated (``收盘价`` -> ``ShouPanJia``) so that no glyph is drawn as an empty box."""
    s = str(text)
    if not _needs_cjk(s) or _cjk_family() is not None:
        return s
    from anyascii import anyascii

    return anyascii(s)


@contextlib.contextmanager
def _fonts() -> Iterator[None]:
    """Draw with the installed CJK font as a fallback after the default sans-serif fonts."""
    family = _cjk_family()
    if family is None:
        yield
        return
    import matplotlib

    fallback = [family] + [f for f in matplotlib.rcParams["font.sans-serif"] if f != family]
    with matplotlib.rc_context({"font.sans-serif": fallback}):
        yield


def _label(name: str, units: str | None) -> str:
    return plot_text(f"{name} ({units})" if units else name)


def _style(i: int, n_points: int, n_lines: int = 1) -> dict[str, Any]:
    """Line style, marker, width and marker phase of line ``i`` of ``n_lines``: earlier lines
    are wider and markers are staggered, so identical forecasts still show both lines."""
    ls, marker = _STYLES[i % len(_STYLES)]
    every = max(1, n_points // 25)
    return {"linestyle": ls, "marker": marker, "markersize": 4.0,
            "markevery": (int(i * every / max(n_lines, 1)) % every, every),
            "linewidth": 1.0 + 0.5 * max(n_lines - 1 - i, 0)}


def _legend(ax: Axes) -> None:
    n = len(ax.get_legend_handles_labels()[0])
    ax.legend(loc="best", fontsize="small", framealpha=0.9, ncol=1 if n <= 6 else 2)


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
    units: str | None = None,
    xlabel: str | None = None,
) -> Axes:
    """Actual series and forecasts, with shaded prediction intervals.

    Arguments:
        ds: dates (or any x values), one per day.
        y: actual values (drawn black; NaN days, e.g. a missing target, are left as gaps).
        preds: model -> forecasts for the same days (one line each, each with its own line
            style and marker, so that a line hidden under another stays visible).
        intervals: model -> ``{level: (lo, hi)}`` (e.g. from ``conformal_intervals``); each
            interval is one shaded band in the model's colour, wider levels lighter.
        ylabel, units: the y-axis label is ``"ylabel (units)"``; xlabel: default ``"date"`` for
            dates, else none.
        path: also save the figure there.

    Returns:
        The Axes: ``1 + len(preds)`` lines and one filled band per (model, level).
    """
    x = np.asarray(ds)
    yv = np.asarray(y, dtype=np.float64).reshape(-1)
    if yv.size != x.size:
        raise CpjaxInputError(f"y has {yv.size} values but ds has {x.size}; fix: one per day")
    unknown = set(intervals or {}) - set(preds)
    if unknown:
        raise CpjaxInputError(
            f"intervals given for {sorted(map(str, unknown))} but no forecasts; fix: use the model names "
            f"of preds ({', '.join(map(str, preds))})"
        )
    with _fonts():
        ax = _axes(ax, (10.0, 4.0))
        ax.plot(x, yv, color="black", linewidth=1.6, label="actual", zorder=3)
        for i, (model, p) in enumerate(preds.items()):
            (line,) = ax.plot(
                x, _aligned(p, x.size, f"forecasts of {model!r}"), label=plot_text(model),
                zorder=4, **_style(i, x.size, len(preds)),
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
                    label=plot_text(f"{model} {level:g}% interval"),
                )
        ax.set_ylabel(_label(ylabel, units))
        dates = np.issubdtype(x.dtype, np.datetime64) or isinstance(ds, pd.DatetimeIndex)
        if xlabel is not None or dates:
            ax.set_xlabel(plot_text(xlabel if xlabel is not None else "date"))
        ax.set_title(plot_text(title if title is not None else "Forecast vs actual"))
        _legend(ax)
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
    units: str | None = None,
) -> Axes:
    """Per-run distributions of forecast errors (seed 000, Fig. 9), overlaid on one Axes.

    Arguments:
        errors_by_run: ``{model: [errors of run 1, run 2, ...]}``, or a DataFrame with one
            column per run, or a long DataFrame with columns ``run``, ``error`` (and ``model``).
        kind: ``"hist"`` (step histograms, density-normalised, one patch per run) or ``"kde"``
            (Gaussian kernel density, one line per run).
        bins: histogram bins, shared by all runs.
        units: units of the errors (the target's), shown on the x axis.

    Returns:
        The Axes, with a dashed vertical line at zero error (one extra line).
    """
    runs = _runs(errors_by_run)
    if not runs:
        raise CpjaxInputError("plot_error_distribution got no runs; fix: pass at least one")
    if kind not in ("hist", "kde"):
        raise CpjaxInputError(f"kind={kind!r} is unknown; fix: use 'hist' or 'kde'")
    with _fonts():
        ax = _draw_errors(runs, ax, kind, bins, title, units)
    if path is not None:
        save_figure(ax, path)
    return ax


def _draw_errors(runs, ax, kind, bins, title, units) -> Axes:
    ax = _axes(ax, (7.0, 4.0))
    allv = np.concatenate([e for _, e in runs])
    lo, hi = float(allv.min()), float(allv.max())
    if hi == lo:
        lo, hi = lo - 0.5, hi + 0.5
    if kind == "hist":
        edges = np.linspace(lo, hi, bins + 1)
        for i, (label, e) in enumerate(runs):
            ax.hist(e, bins=edges, density=True, histtype="step", linewidth=1.3,
                    linestyle=_STYLES[i % len(_STYLES)][0] if i else "-", label=plot_text(label))
    else:
        from scipy.stats import gaussian_kde

        grid = np.linspace(lo - 0.1 * (hi - lo), hi + 0.1 * (hi - lo), 256)
        for i, (label, e) in enumerate(runs):
            if e.size < 2 or np.all(e == e[0]):
                raise CpjaxInputError(
                    f"{label}: a density needs at least two distinct errors; fix: use kind='hist'"
                )
            ax.plot(grid, gaussian_kde(e)(grid), label=plot_text(label),
                    **_style(i, grid.size, len(runs)))
    ax.axvline(0.0, color="grey", linestyle="--", linewidth=0.8)
    ax.set_xlabel(_label("error (actual - forecast)", units))
    ax.set_ylabel("density")
    ax.set_title(plot_text(title if title is not None else "Error distribution per run"))
    _legend(ax)
    return ax


def plot_metrics_by_cutoff(
    df: pd.DataFrame,
    metric: str = "rmse",
    ax: Axes | None = None,
    *,
    model_col: str = "model",
    title: str | None = None,
    path: str | os.PathLike | None = None,
    ylabel: str | None = None,
) -> Axes:
    """A metric per backtest cutoff: one line per model (long table with a ``model`` column) or
    a single line (table with ``cutoff`` and the metric only).

    ``ylabel`` (default: the metric's name) should carry the units, e.g. ``"MAE (CNY/t)"``.

    Returns:
        The Axes, one line per model, each with its own line style and marker.
    """
    for col in ("cutoff", metric):
        if col not in df.columns:
            raise CpjaxInputError(
                f"metrics table has no column {col!r} (columns: {', '.join(map(str, df.columns))});"
                " fix: pass the output of the backtest's metrics_by_cutoff"
            )
    with _fonts():
        ax = _axes(ax, (8.0, 4.0))
        groups = df.groupby(model_col, sort=False) if model_col in df.columns else [(metric, df)]
        for i, (name, g) in enumerate(groups):
            g = g.sort_values("cutoff")
            style = _style(i, len(g), groups.ngroups if hasattr(groups, "ngroups") else 1)
            style["markevery"] = 1
            ax.plot(
                g["cutoff"].to_numpy(),
                g[metric].to_numpy(dtype=np.float64),
                label=plot_text(name),
                **style,
            )
        ax.set_xlabel("forecast origin (last training date)")
        ax.set_ylabel(plot_text(ylabel if ylabel is not None else metric))
        ax.set_title(plot_text(title if title is not None else f"{metric} by cutoff"))
        _legend(ax)
    if path is not None:
        save_figure(ax, path)
    return ax
