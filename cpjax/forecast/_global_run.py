"""``run_global_forecast``: the library function behind ``cpjax forecast --data long.csv``
without ``--unique-id`` (one global network across every series of the table).

Fits a :class:`GlobalForecaster` on the training part of every series, fits each reference
model (registry estimators) per series on the same rows, scores all of them per series, per
step ``h`` and pooled (:func:`cpjax.evaluate.probabilistic_table`: CRPS from the quantiles,
pinball, coverage and Winkler of the central intervals, MASE, RMSE, scaled CRPS and
Diebold-Mariano against persistence), and writes ``forecasts.csv``, ``metrics.csv``,
``metrics.md``, ``config.json`` and ``model/``.
"""

from __future__ import annotations

import dataclasses
import os
import time
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from .._errors import CpjaxInputError
from .._io import atomic_output_dir, write_config
from .._progress import status
from ..evaluate import format_table, probabilistic_table, quantile_column
from ._forecaster import Forecaster
from ._global import GlobalConfig, GlobalForecaster
from ._panel import read_panel

__all__ = ["GlobalRun", "run_global_forecast"]

_SCORING_LEVELS = (0.1, 0.5, 0.9)


@dataclasses.dataclass
class GlobalRun:
    """What :func:`run_global_forecast` produced (also written to ``out``)."""

    forecasts: pd.DataFrame
    metrics: pd.DataFrame
    forecaster: GlobalForecaster
    timings: dict[str, float]


def _reference(df: pd.DataFrame, name: str, uid: str, cutoff, lookback: int, horizon: int,
               levels: Sequence[float]) -> pd.DataFrame:
    g = df[df["unique_id"] == uid][["ds", "y"]].reset_index(drop=True)
    n_train = int(np.searchsorted(g["ds"].values, pd.Timestamp(cutoff).to_datetime64(),
                                  side="right"))
    f = Forecaster(name, lookback=lookback, horizon=horizon, min_test=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # statsmodels' convergence chatter
        f.fit(g, target="y", features=[], train_rows=n_train)
        est = getattr(f, "estimator_", None)
        fc = (f.predict_quantiles(levels) if hasattr(est, "predict_quantiles")
              else f.predict())
    fc["unique_id"] = uid
    return fc.drop(columns=[c for c in fc.columns if "-seed" in c])


def run_global_forecast(data, out: str | os.PathLike | None, *, config: GlobalConfig,
                        static_df=None, hist_exog: Sequence[str] | None = None,
                        futr_exog: Sequence[str] = (), split: float | None = None,
                        test_start=None, quantiles: Sequence[float] = (),
                        levels: Sequence[float] = (), references: Sequence[str] = ("persistence",),
                        date_format: str | None = None, overwrite: bool | None = None,
                        settings: dict | None = None) -> GlobalRun:
    """Fit one global model on every series of a long table, score it against ``references``.

    Arguments:
        data: long table (``unique_id, ds, y`` + covariates) or its path.
        config: :class:`GlobalConfig`; with ``quantiles`` and the quantile head, the head is
            trained on exactly those levels.
        static_df: DataFrame or CSV path, one row per ``unique_id``.
        quantiles: levels written as ``<model>-q<100 q>`` columns.
        levels: conformal interval levels (percent) for the global model.
        references: registry estimators fitted per series on the same training rows.

    Returns:
        :class:`GlobalRun`; nothing is written to ``out`` unless everything succeeded.
    """
    t_start = time.perf_counter()
    df = read_panel(data, date_format=date_format)
    if isinstance(static_df, str | os.PathLike):
        if not os.path.isfile(static_df):
            raise CpjaxInputError(f"static file not found: {static_df}; fix: check the path")
        static_df = pd.read_csv(static_df)
    q = tuple(sorted(float(v) for v in quantiles))
    if q and config.head == "quantile":
        config = dataclasses.replace(config, quantiles=q)
    gf = GlobalForecaster(config)
    status(f"training {config.name} ({config.mode}) on {df['unique_id'].nunique()} series")
    t0 = time.perf_counter()
    gf.fit(df, static_df, hist_exog=hist_exog, futr_exog=futr_exog, split=split,
           test_start=test_start)
    fit_s = time.perf_counter() - t0
    score_q = q or (_SCORING_LEVELS if config.head != "point" else ())
    fc = gf.predict(quantiles=score_q, levels=tuple(levels))
    keys = ["unique_id", "cutoff", "h"]
    for ref in references:
        status(f"fitting reference {ref} per series")
        parts = [_reference(df, ref, uid, gf.cutoffs_[uid], config.lookback, config.horizon,
                            score_q or _SCORING_LEVELS) for uid in gf.series_]
        r = pd.concat(parts, ignore_index=True).drop(columns=["ds", "y"])
        fc = fc.merge(r, on=keys, how="left")
    models = [config.name, *references]
    rows = []
    for uid, g in fc.groupby("unique_id", sort=False):
        y_train = gf.series_[uid].data.y[:gf.series_[uid].data.n_train]
        scorable = [m for m in models if all(quantile_column(m, v) in g.columns
                                             for v in score_q)]
        if score_q:
            ref = "persistence" if "persistence" in scorable else None
            t = probabilistic_table(g, scorable, score_q, y_train=y_train, reference=ref)
        else:
            t = _point_table(g, models, y_train)
        rows.append(t.assign(unique_id=uid))
    metrics = pd.concat(rows, ignore_index=True)
    pooled = (metrics.drop(columns=["unique_id"]).groupby(["model", "h"], sort=False)
              .mean(numeric_only=True).reset_index().assign(unique_id="all series (mean)"))
    metrics = pd.concat([metrics, pooled], ignore_index=True)
    metrics = metrics[["unique_id", *[c for c in metrics.columns if c != "unique_id"]]]
    drop = [quantile_column(config.name, v) for v in score_q if v not in q]
    for ref in references:
        drop += [quantile_column(ref, v) for v in score_q if v not in q]
    forecasts = fc.drop(columns=[c for c in drop if c in fc.columns])
    timings = {"fit_s": fit_s, "total_s": time.perf_counter() - t_start}
    if out is not None:
        with atomic_output_dir(out, overwrite) as tmp:
            forecasts.to_csv(tmp / "forecasts.csv", index=False)
            metrics.to_csv(tmp / "metrics.csv", index=False)
            (tmp / "metrics.md").write_text(format_table(
                metrics[metrics["unique_id"] == "all series (mean)"].drop(columns="unique_id"))
                + "\n")
            write_config(tmp, config.to_dict(), mode="global", **(settings or {}),
                         quantiles=list(q), levels=list(levels), references=list(references),
                         layout=gf.layout_.to_dict(),
                         cutoffs={k: str(v.date()) for k, v in gf.cutoffs_.items()})
            gf.save(tmp / "model")
    return GlobalRun(forecasts, metrics, gf, timings)


def _point_table(g: pd.DataFrame, models: Sequence[str], y_train: np.ndarray) -> pd.DataFrame:
    from ..evaluate import mase

    rows = []
    for h, part in [*((int(h), p) for h, p in g.groupby("h")), ("all", g)]:
        part = part.dropna(subset=["y"])
        y = part["y"].to_numpy(np.float64)
        for m in models:
            p = part[m].to_numpy(np.float64)
            rows.append({"model": m, "h": h, "n": len(y),
                         "rmse": float(np.sqrt(np.mean((y - p) ** 2))),
                         "mae": float(np.mean(np.abs(y - p))),
                         "mase": mase(y, p, y_train=y_train)})
    return pd.DataFrame(rows)
