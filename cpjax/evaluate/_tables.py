"""Metric tables: one row per model, mean ± std over seeds, and a dependency-free Markdown writer."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from cpjax._errors import CpjaxInputError, unknown_name_message

from ._metrics import (
    _aligned,
    as_vector,
    directional_accuracy,
    mae,
    mape,
    mase,
    mse,
    persistence_scale,
    r2,
    rmse,
    smape,
)
from ._spikes import hit_rate_above, spike_scores
from ._types import Vector

__all__ = ["DEFAULT_METRICS", "METRICS", "format_table", "mean_std_table", "metric_table"]

#: Columns of :func:`metric_table` when ``metrics`` is not given.
DEFAULT_METRICS: tuple[str, ...] = ("mse", "rmse", "mae", "r2", "mape", "smape", "mase", "da")
#: Metrics that change under a min-max rescaling and are repeated with the suffix ``_mm``.
MINMAX_METRICS: tuple[str, ...] = ("mse", "rmse", "mae", "r2", "mape", "smape")


def _spike(key: str) -> Callable[..., float]:
    def f(yt, yp, c):
        return float(spike_scores(yt, yp, c["last"], c["spike_threshold"])[key])

    return f


# name -> (function of (y_true, y_pred, context), context keys it needs)
METRICS: dict[str, tuple[Callable[..., float], tuple[str, ...]]] = {
    "mse": (lambda yt, yp, c: mse(yt, yp), ()),
    "rmse": (lambda yt, yp, c: rmse(yt, yp), ()),
    "mae": (lambda yt, yp, c: mae(yt, yp), ()),
    "r2": (lambda yt, yp, c: r2(yt, yp), ()),
    "mape": (lambda yt, yp, c: mape(yt, yp), ()),
    "smape": (lambda yt, yp, c: smape(yt, yp), ()),
    "mase": (lambda yt, yp, c: mase(yt, yp, scale=c["scale"]), ("y_train",)),
    "da": (lambda yt, yp, c: directional_accuracy(yt, yp, last=c["last"]), ("last",)),
    "spike_precision": (_spike("precision"), ("last",)),
    "spike_recall": (_spike("recall"), ("last",)),
    "spike_f1": (_spike("f1"), ("last",)),
    "hit_rate": (lambda yt, yp, c: hit_rate_above(yt, yp, c["level"]), ()),
}


def metric_table(
    y_true: Vector,
    preds: Mapping[str, Vector],
    *,
    last: Vector | None = None,
    y_train: Vector | None = None,
    minmax: tuple[float, float] | None = None,
    metrics: Sequence[str] | None = None,
    spike_threshold: float = 0.05,
    level: float = 80.0,
) -> pd.DataFrame:
    """Score several forecasts of the same days; one row per model (index ``model``).

    Arguments:
        y_true: actual values, one per forecast day.
        preds: model name -> forecasts (a dict or a DataFrame with one column per model).
        last: last observed value before each forecast (needed by ``da`` and the spike metrics).
        y_train: training series; its lag-1 persistence MAE scales ``mase``.
        minmax: ``(lo, hi)`` of the min-max scaler fitted on the training data.  When given, the
            scale-dependent metrics (mse, rmse, mae, r2, mape, smape) are repeated on
            ``(v - lo) / (hi - lo)`` with the suffix ``_mm`` (seed 000's Table 3 is on that scale).
        metrics: column names from :data:`METRICS`.  Default :data:`DEFAULT_METRICS`, where
            ``mase`` / ``da`` are ``nan`` when ``y_train`` / ``last`` are missing; a metric named
            explicitly whose input is missing raises :class:`CpjaxInputError`.
        spike_threshold: relative daily rise for ``spike_*`` (0.05 = 5 %).
        level: price level for ``hit_rate`` (same units as ``y``).

    Returns:
        DataFrame indexed by model with one column per metric (then the ``_mm`` columns).

    Example:
        >>> t = metric_table([1.0, 2, 3], {"a": [1.0, 2, 4]}, metrics=["mae", "rmse"])
        >>> round(float(t.loc["a", "mae"]), 4)
        0.3333
    """
    explicit = metrics is not None
    names = list(DEFAULT_METRICS if metrics is None else metrics)
    for n in names:
        if n not in METRICS:
            raise CpjaxInputError(unknown_name_message("metric", n, METRICS))
    yt = as_vector(y_true, "y_true")
    items = list(preds.items())
    if not items:
        raise CpjaxInputError("preds is empty; fix: pass at least one model's forecasts")
    ctx: dict[str, Any] = {
        "last": None if last is None else _aligned(last, yt.size, "last"),
        "y_train": None if y_train is None else as_vector(y_train, "y_train"),
        "spike_threshold": spike_threshold,
        "level": level,
    }
    ctx["scale"] = None if y_train is None else persistence_scale(ctx["y_train"])
    usable = []
    for n in names:
        missing = [k for k in METRICS[n][1] if ctx[k] is None]
        if missing and explicit:
            raise CpjaxInputError(
                f"metric {n!r} needs {missing[0]}=...; fix: pass it to metric_table or drop {n!r}"
            )
        usable.append(not missing)
    mm_names = [n for n in names if n in MINMAX_METRICS]
    if minmax is not None:
        lo, hi = (float(v) for v in minmax)
        if not (math.isfinite(lo) and math.isfinite(hi) and hi > lo):
            raise CpjaxInputError(
                f"minmax=({lo}, {hi}) must satisfy lo < hi; fix: pass the training min and max"
            )
    rows = {}
    for model, p in items:
        yp = _aligned(p, yt.size, f"forecasts of {model!r}")
        row = {
            n: (METRICS[n][0](yt, yp, ctx) if ok else float("nan")) for n, ok in zip(names, usable)
        }
        if minmax is not None:
            s_true, s_pred = (yt - lo) / (hi - lo), (yp - lo) / (hi - lo)
            row.update({f"{n}_mm": METRICS[n][0](s_true, s_pred, ctx) for n in mm_names})
        rows[str(model)] = row
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "model"
    return table


def mean_std_table(tables: Sequence[pd.DataFrame], *, ddof: int = 1) -> pd.DataFrame:
    """Mean and standard deviation over runs (seeds) of per-run :func:`metric_table` outputs.

    Rows are matched by model name (the index, or a ``model`` column).  Output columns are
    ``<metric>_mean`` and ``<metric>_std`` for every numeric column, in the input order; the std
    uses ``ddof`` (default 1, the sample std; it is ``nan`` with a single run).
    """
    if len(tables) == 0:
        raise CpjaxInputError("mean_std_table got no tables; fix: pass one table per seed")
    frames = [t.set_index("model") if "model" in t.columns else t for t in tables]
    stacked = pd.concat(frames)
    cols = [c for c in frames[0].columns if pd.api.types.is_numeric_dtype(stacked[c])]
    grouped = stacked[cols].groupby(level=0, sort=False)
    mean, std = grouped.mean(), grouped.std(ddof=ddof)
    out = pd.DataFrame(index=mean.index)
    for c in cols:
        out[f"{c}_mean"] = mean[c]
        out[f"{c}_std"] = std[c]
    out.index.name = frames[0].index.name or "model"
    return out


def _cell(v: Any, floatfmt: str, missing: str) -> str:
    if v is None or (isinstance(v, float | np.floating) and np.isnan(v)):
        return missing
    if isinstance(v, bool | np.bool_):
        return str(bool(v))
    if isinstance(v, float | np.floating):
        return format(float(v), floatfmt)
    return str(v).replace("|", "\\|").replace("\n", " ")


def format_table(
    df: pd.DataFrame,
    floatfmt: str = ".4f",
    *,
    index: bool = True,
    combine_mean_std: bool = False,
    missing: str = "nan",
) -> str:
    """Render a DataFrame as a GitHub-flavoured Markdown table (no ``tabulate`` needed).

    Arguments:
        floatfmt: format spec for floats (``".4f"``, ``".3g"``, ...); integers print as-is.
        index: include the index as the first column.
        combine_mean_std: merge each ``<m>_mean`` / ``<m>_std`` pair into one ``<m>`` column
            printed as ``mean ± std`` (the layout of seed 000's Table 3).
        missing: text for ``nan`` cells.

    Numeric columns are right-aligned, others left-aligned; ``|`` in text is escaped.
    """
    cols: list[tuple[str, Callable[[Any], str], bool]] = []
    if index:
        name = df.index.name or ""
        right = pd.api.types.is_numeric_dtype(df.index)
        cols.append((str(name), lambda i: _cell(df.index[i], floatfmt, missing), right))
    done: set[str] = set()
    for c in df.columns:
        if c in done:
            continue
        sc = str(c)
        if combine_mean_std and sc.endswith("_mean") and f"{sc[:-5]}_std" in df.columns:
            base, m, s = sc[:-5], df[c].to_numpy(), df[f"{sc[:-5]}_std"].to_numpy()

            def fmt(i, m=m, s=s):
                return f"{_cell(m[i], floatfmt, missing)} ± {_cell(s[i], floatfmt, missing)}"

            cols.append((base, fmt, True))
            done.update({c, f"{base}_std"})
            continue
        vals = df[c].to_numpy()
        numeric = pd.api.types.is_numeric_dtype(df[c])
        cols.append((sc, lambda i, v=vals: _cell(v[i], floatfmt, missing), numeric))
    header = "| " + " | ".join(name.replace("|", "\\|") for name, _, _ in cols) + " |"
    rule = "|" + "|".join("---:" if right else ":---" for _, _, right in cols) + "|"
    body = ["| " + " | ".join(f(i) for _, f, _ in cols) + " |" for i in range(len(df))]
    return "\n".join([header, rule, *body]) + "\n"
