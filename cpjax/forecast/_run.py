"""``run_forecast``: the library function behind ``cpjax forecast``.

Fits the chosen model and the reference models on the same table and split, scores them on the
price scale and the training min-max scale, and writes the files of ``cli.md``.
"""

from __future__ import annotations

import dataclasses
import os
import time
from typing import Any

import numpy as np
import pandas as pd

from .._errors import CpjaxInputError
from .._io import atomic_output_dir, write_config
from ..data import granger_filter, pearson_select
from ..evaluate import format_table, mean_std_table, metric_table, plot_forecast
from ._config import ForecasterConfig
from ._forecaster import Forecaster
from ._prepare import load_frame, resolve_features, resolve_target, train_end_row

__all__ = ["ForecastRun", "run_forecast", "select_features", "score_forecasts"]

REFERENCES = ("persistence", "arima")


@dataclasses.dataclass
class ForecastRun:
    """What :func:`run_forecast` produced (also written to ``out``)."""

    forecasts: pd.DataFrame
    metrics: pd.DataFrame
    selection: pd.DataFrame | None
    forecasters: dict[str, Forecaster]
    timings: dict[str, float]


def select_features(df: pd.DataFrame, target: str, n_train: int, how: str) -> tuple[list[str], pd.DataFrame]:
    """``"pcc"``: seed 000's Pearson screen (|r| >= 0.5, plus the OHLCV columns present);
    ``"pcc+granger"``: then keep only factors that Granger-cause the target (lags 2-4, 5%)."""
    if how not in ("pcc", "pcc+granger"):
        raise CpjaxInputError(f"unknown feature selection {how!r}; fix: use 'pcc' or 'pcc+granger'")
    sel = pearson_select(df, target, train_mask=np.arange(len(df)) < n_train)
    features, report = list(sel.selected), sel.report.assign(method="pcc")
    if how == "pcc+granger":
        factors = [f for f in features if f not in ("open", "high", "low", "close", "volume", target)]
        if factors:
            g = granger_filter(df, target, factors, train_mask=np.arange(len(df)) < n_train,
                               difference=True)
            keep = set(g.selected)
            features = [f for f in features if f not in factors or f in keep]
            report = pd.concat([report, g.report.assign(method="granger")], ignore_index=True)
    return features, report


def split_and_select(df: pd.DataFrame, target: str, features: list[str] | None,
                     select: str | None, split: float | None, test_start
                     ) -> tuple[int, list[str] | None, pd.DataFrame | None]:
    """Training rows from ``split``/``test_start`` and the inputs: ``features`` as given or
    chosen by ``select`` on the training rows only.  Returns ``(n_train, features, report)``."""
    n_train = train_end_row(pd.DatetimeIndex(df["ds"]), split, test_start)
    report = None
    if select is not None:
        if features is not None:
            raise CpjaxInputError("give either --features or --select, not both")
        resolve_features(df, target, None)
        features, report = select_features(df, target, n_train, select)
    return n_train, features, report


def score_forecasts(fc: pd.DataFrame, models: list[str], seeds: dict[str, int],
                    y_train: np.ndarray, last: np.ndarray, **metric_options: Any) -> pd.DataFrame:
    """One row per model: metrics of each seed's forecast, mean and std over seeds.

    Columns ``mse, rmse, mae, r2, mape, smape, mase, da`` (price scale, mean over seeds), the same
    with ``_mm`` on the training min-max scale, ``<metric>_std`` and ``n_seeds``.  ``last`` is the
    last observed value at each forecast's cutoff (for directional accuracy).  Each seed's
    forecast is scored separately (``<model>-seed<k>`` columns); ``<metric>_std`` is the sample
    std over seeds (0 with one seed).  ``metric_options`` go to
    :func:`cpjax.evaluate.metric_table` (``metrics=``, ``spike_threshold=``, ``level=``).
    """
    minmax = (float(np.min(y_train)), float(np.max(y_train)))
    rows = []
    for m in models:
        cols = [f"{m}-seed{k}" for k in range(seeds[m])] if seeds[m] > 1 else [m]
        tables = [metric_table(fc["y"], {m: fc[c]}, y_train=y_train, minmax=minmax,
                               last=last, **metric_options) for c in cols]
        ms = mean_std_table(tables)
        row: dict[str, Any] = {"model": m, "n_seeds": seeds[m]}
        for c in tables[0].columns:
            row[c] = float(ms.loc[m, f"{c}_mean"])
        for c in tables[0].columns:
            row[f"{c}_std"] = float(ms.loc[m, f"{c}_std"]) if seeds[m] > 1 else 0.0
        rows.append(row)
    return pd.DataFrame(rows)


def run_forecast(data, out: str | os.PathLike | None, *, config: ForecasterConfig,
                 target: str | None = None, features: list[str] | None = None,
                 select: str | None = None, split: float | None = None, test_start=None,
                 references: tuple[str, ...] = REFERENCES, unique_id=None,
                 settings: dict[str, Any] | None = None,
                 levels: tuple[float, ...] = ()) -> ForecastRun:
    """Fit ``config.model`` and the reference models; score them; write ``out``.

    Writes ``forecasts.csv`` (ds, y, one column per model), ``metrics.csv`` and ``metrics.md``
    (one row per model), ``forecast.png``, ``config.json`` and ``model/`` (the saved forecaster
    of ``config.model``). Nothing is written when anything fails.  With ``levels`` (percent, e.g.
    ``(80, 95)``) every model gets split-conformal ``MODEL-lo-L`` / ``MODEL-hi-L`` columns
    calibrated on the last training windows (:mod:`cpjax.forecast._intervals`) and
    ``coverage_L`` / ``width_L`` in the metrics.
    """
    from ._intervals import add_conformal_intervals, calibration_residuals, check_levels

    levels = check_levels(levels)
    df, source = load_frame(data, unique_id)
    target = resolve_target(df, target, source)
    n_train, features, report = split_and_select(df, target, features, select, split, test_start)
    models = [config.model] + [r for r in references if r != config.model]
    fitted, timings, frames = {}, {}, []
    for m in models:
        cfg = config if m == config.model else ForecasterConfig.from_dict(
            {**config.to_dict(), "model": m, "model_params": {}, "seeds": 1, "residual": None,
             "refiner": None, "refiner_params": {}})
        t0 = time.perf_counter()
        f = Forecaster(config=cfg).fit(df, target, features, test_start=test_start, split=split)
        timings[f"{m}_fit_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        pred = f.predict()
        timings[f"{m}_predict_s"] = time.perf_counter() - t0
        fitted[m] = f
        if levels:
            pred = add_conformal_intervals(pred, m, calibration_residuals(f), levels)
        frames.append(pred)
    fc = frames[0]
    for extra in frames[1:]:
        value_cols = [c for c in extra.columns if c not in ("unique_id", "ds", "cutoff", "h", "y")]
        fc = fc.merge(extra[["ds", "cutoff", "h", *value_cols]], on=["ds", "cutoff", "h"])
    main = fitted[config.model]
    p = main.prepared_
    y_train = p.frame[target].to_numpy(dtype=np.float64)[: p.n_train]
    level = p.frame.set_index("ds")[target]
    last = level.reindex(pd.DatetimeIndex(fc["cutoff"])).to_numpy(dtype=np.float64)
    metrics = score_forecasts(fc, models, {m: fitted[m].n_seeds_ for m in models}, y_train, last)
    if levels:
        from ._intervals import coverage_table

        cov = coverage_table(fc, models, levels)
        metrics = metrics.join(cov[[c for c in cov.columns if not c.startswith("interval_")]],
                               on="model")
    if out is not None:
        with atomic_output_dir(out) as tmp:
            fc.to_csv(tmp / "forecasts.csv", index=False)
            metrics.to_csv(tmp / "metrics.csv", index=False)
            show = metrics.set_index("model")[["mse", "rmse", "mae", "r2", "mape", "mase",
                                               "mse_mm", "rmse_mm", "mae_mm", "r2_mm"]]
            (tmp / "metrics.md").write_text(
                f"Test part of {source}: {fc['ds'].min().date()} .. {fc['ds'].max().date()} "
                f"({len(fc)} forecasts), target {target}, lookback {config.lookback}, "
                f"horizon {config.horizon}\n\n" + format_table(show) + "\n")
            one = fc[fc["h"] == 1]
            iv = {m: {lv: (one[f"{m}-lo-{lv}"], one[f"{m}-hi-{lv}"]) for lv in levels}
                  for m in models[:1]} if levels else None
            ax = plot_forecast(one["ds"], one["y"], {m: one[m] for m in models}, intervals=iv,
                               title=f"{target}: test-part forecasts ({source})", ylabel=target)
            ax.figure.savefig(tmp / "forecast.png", dpi=110, bbox_inches="tight")
            import matplotlib.pyplot as plt

            plt.close(ax.figure)
            main.save(tmp / "model")
            if report is not None:
                report.to_csv(tmp / "selection.csv", index=False)
            write_config(tmp, config, run={
                "data": str(source), "target": target, "features": main.features_,
                "select": select, "split": split, "test_start": test_start,
                "train_end": main.train_end_.isoformat(), "references": list(references),
                "levels": list(levels),
                **(settings or {})}, timings_s=timings)
    return ForecastRun(fc, metrics, report, fitted, timings)


