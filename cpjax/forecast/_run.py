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
from .._io import atomic_output_dir, check_output_dir, write_config, write_json
from .._progress import status
from ..data import data_report
from ..evaluate import format_table, mean_std_table, metric_table, plot_forecast
from ._config import ForecasterConfig
from ._data_spec import DataSpec, as_data_spec
from ._forecaster import Forecaster

__all__ = ["ForecastRun", "flag_undefined", "observed_by_date", "observed_test_targets",
           "run_forecast", "score_forecasts"]

REFERENCES = ("persistence", "arima")  # seed 000's table (the ablation)
#: what `cpjax forecast` / run_forecast fit beside the model: persistence and the strongest cheap
#: statistical peers (statsforecast's AutoETS and AutoTheta; docs/zoo.md has their real-data table)
FORECAST_REFERENCES = ("persistence", "autoets", "autotheta")


@dataclasses.dataclass
class ForecastRun:
    """What :func:`run_forecast` produced (also written to ``out``)."""

    forecasts: pd.DataFrame
    metrics: pd.DataFrame
    selection: pd.DataFrame | None
    forecasters: dict[str, Forecaster]
    timings: dict[str, float]
    data_report: dict[str, Any] = dataclasses.field(default_factory=dict)
    imputation: pd.DataFrame | None = None
    notes: list[str] = dataclasses.field(default_factory=list)


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
    return flag_undefined(pd.DataFrame(rows))


def flag_undefined(metrics: pd.DataFrame) -> pd.DataFrame:
    """Add a ``note`` column naming, per row, the metrics that are undefined (NaN): e.g. ``r2``
    on a constant test part or ``mape`` when every actual value is 0.  Infinite values never
    get here (the metrics raise), so a NaN in the table is always explained by its row."""
    numeric = [c for c in metrics.columns if c not in ("model", "n_seeds", "note")
               and pd.api.types.is_float_dtype(metrics[c])]
    notes = []
    for _, row in metrics.iterrows():
        bad = [c for c in numeric if not np.isfinite(row[c]) and not c.endswith("_std")]
        notes.append(f"undefined: {', '.join(bad)}" if bad else "")
    return metrics.assign(note=notes)


def observed_test_targets(fc: pd.DataFrame, prepared) -> pd.DataFrame:
    """Blank the actual value ``y`` on days whose target was missing in the data (it was imputed
    for the model's inputs) and add ``y_observed``; such days are never scored."""
    observed = getattr(prepared, "target_observed", None)
    if observed is None:
        observed = np.ones(len(prepared.frame), dtype=bool)
    return _flag(fc, pd.Series(observed, index=pd.DatetimeIndex(prepared.frame["ds"])))


def observed_by_date(fc: pd.DataFrame, df: pd.DataFrame, target: str) -> pd.DataFrame:
    """:func:`observed_test_targets` from the table as read (``ds`` and ``target`` columns)."""
    return _flag(fc, pd.Series(df[target].notna().to_numpy(), index=pd.DatetimeIndex(df["ds"])))


def _flag(fc: pd.DataFrame, seen: pd.Series) -> pd.DataFrame:
    ok = seen.reindex(pd.DatetimeIndex(fc["ds"])).fillna(False).to_numpy(dtype=bool)
    ok = ok & fc["y"].notna().to_numpy()
    out = fc.copy()
    out.loc[~ok, "y"] = np.nan
    out.insert(out.columns.get_loc("y") + 1, "y_observed", ok)
    return out


def run_forecast(data: DataSpec | Any, out: str | os.PathLike | None, *,
                 config: ForecasterConfig,
                 references: tuple[str, ...] = FORECAST_REFERENCES,
                 settings: dict[str, Any] | None = None,
                 levels: tuple[float, ...] = (), overwrite: bool | None = None,
                 units: str | None = None) -> ForecastRun:
    """Fit ``config.model`` and the reference models on ``data``; score them; write ``out``.

    ``data`` is a :class:`~cpjax.forecast.DataSpec` (table, target, features or selection,
    split, series), or a DataFrame / path with the spec's defaults.

    Writes ``forecasts.csv`` (ds, y, y_observed, one column per model), ``metrics.csv`` and
    ``metrics.md`` (one row per model, ``n_scored`` days, ``note`` naming undefined metrics),
    ``forecast.png``, ``data_report.json`` (missing, extreme and jumping values of the data as
    read), ``imputation.csv`` (every filled gap: column, dates, method, KS check; only when
    values were filled), ``config.json`` and ``model/`` (the saved forecaster of
    ``config.model``).  Test days whose target is missing in the data are never scored: ``y``
    is left blank there and ``y_observed`` is false.  Nothing is written when anything fails;
    ``out`` is checked first (:func:`cpjax._io.check_output_dir` with ``overwrite``).  With
    ``levels`` (percent, e.g. ``(80, 95)``) every model gets split-conformal ``MODEL-lo-L`` /
    ``MODEL-hi-L`` columns calibrated on the last training windows
    (:mod:`cpjax.forecast._intervals`) and ``coverage_L`` / ``width_L`` in the metrics.
    ``units`` (e.g. ``"CNY/t"``) labels the plot and ``metrics.md``.
    """
    from ._intervals import add_conformal_intervals, calibration_residuals, check_levels

    if out is not None:
        check_output_dir(out, overwrite=overwrite, option="out")
    levels = check_levels(levels)
    models = [config.model] + [r for r in references if r != config.model]
    configs = {m: config if m == config.model else config.with_settings(
        {"model": m, "model_params": {}, "seeds": 1, "residual": None, "refiner": None})
        for m in models}
    forecasters = {m: Forecaster(config=configs[m]) for m in models}  # checks every name first
    spec = as_data_spec(data)
    loaded = spec.load()
    df, source, target = loaded.frame, loaded.source, loaded.target
    features, report = loaded.features, loaded.selection
    fitted, timings, frames = {}, {}, []
    for k, m in enumerate(models):
        status(f"fitting {m} ({k + 1}/{len(models)})")
        t0 = time.perf_counter()
        f = forecasters[m].fit(df, target, features, train_rows=loaded.n_train)
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
    fc = observed_test_targets(fc, p)
    scored = fc[fc["y_observed"]]
    if scored.empty:
        raise CpjaxInputError(f"every target value in the test part of {source} is missing, so "
                              "no forecast can be scored; fix: an earlier --test-start or "
                              "--split, or data with observed test values")
    y_train = p.frame[target].to_numpy(dtype=np.float64)[: p.n_train]
    level = p.frame.set_index("ds")[target]
    last = level.reindex(pd.DatetimeIndex(scored["cutoff"])).to_numpy(dtype=np.float64)
    metrics = score_forecasts(scored, models, {m: fitted[m].n_seeds_ for m in models}, y_train,
                              last)
    metrics.insert(2, "n_scored", len(scored))
    if levels:
        from ._intervals import coverage_table

        cov = coverage_table(scored, models, levels)
        metrics = metrics.join(cov[[c for c in cov.columns if not c.startswith("interval_")]],
                               on="model")
    n_train_rows = int(np.searchsorted(df["ds"].values, main.train_end_.to_datetime64(),
                                       side="right"))
    drep = data_report(df, main.features_, target=target, source=str(source),
                       n_train=n_train_rows)
    imputation = p.imputation
    notes = _notes(fc, drep, imputation)
    if out is not None:
        with atomic_output_dir(out, overwrite) as tmp:
            fc.to_csv(tmp / "forecasts.csv", index=False)
            metrics.to_csv(tmp / "metrics.csv", index=False)
            write_json(tmp / "data_report.json", drep)
            if imputation is not None and len(imputation):
                imputation.to_csv(tmp / "imputation.csv", index=False)
            show = metrics.set_index("model")[["mse", "rmse", "mae", "r2", "mape", "mase",
                                               "mse_mm", "rmse_mm", "mae_mm", "r2_mm"]]
            (tmp / "metrics.md").write_text(
                f"Test part of {source}: {fc['ds'].min().date()} .. {fc['ds'].max().date()} "
                f"({len(fc)} forecasts, {len(scored)} scored), target {target}"
                f"{f' in {units}' if units else ''}, lookback "
                f"{config.data.lookback}, horizon {config.data.horizon}\n\n" + format_table(show) + "\n"
                + "".join(f"\nNote: {n}\n" for n in notes))
            _plot(fc, models, levels, target, source, tmp / "forecast.png", units)
            main.save(tmp / "model")
            if report is not None:
                report.to_csv(tmp / "selection.csv", index=False)
            write_config(tmp, config, run={
                **spec.describe(), "data": str(source), "target": target,
                "features": main.features_, "date_format": df.attrs.get("date_format"),
                "train_end": main.train_end_.isoformat(), "references": list(references),
                "levels": list(levels), "units": units,
                **(settings or {})}, timings_s=timings)
    return ForecastRun(fc, metrics, report, fitted, timings, drep, imputation, notes)


def _notes(fc: pd.DataFrame, drep: dict[str, Any], imputation: pd.DataFrame | None) -> list[str]:
    """One line per thing a user should know about the data behind the scores."""
    notes = []
    missing = int((~fc["y_observed"]).sum())
    if missing:
        notes.append(f"{missing} test day(s) have no observed target: left blank in "
                     "forecasts.csv (y_observed = false) and not scored")
    if imputation is not None and len(imputation):
        n = int(imputation["rows"].sum())
        changed = imputation.loc[imputation["ks_check"].str.startswith("distribution changed"),
                                 "column"].unique()
        notes.append(f"{n} missing value(s) in {imputation['column'].nunique()} column(s) were "
                     "filled (imputation.csv)"
                     + (f"; the KS test flags {', '.join(changed)}" if len(changed) else ""))
    ext = {c: (v["n_extreme"], v["n_jumps"]) for c, v in drep["columns"].items()
           if v["n_extreme"] or v["n_jumps"]}
    if ext:
        parts = [f"{c}: {e} extreme, {j} jump(s)" for c, (e, j) in ext.items()]
        notes.append("unusual values in the data (data_report.json): " + "; ".join(parts[:4])
                     + (" ..." if len(parts) > 4 else ""))
    return notes


def _plot(fc: pd.DataFrame, models: list[str], levels, target: str, source: str, path,
          units: str | None = None) -> None:
    """forecast.png: one-step forecasts of the test part (the title names the file, not its
    folder)."""
    import matplotlib.pyplot as plt

    one = fc[fc["h"] == 1]
    iv = {m: {lv: (one[f"{m}-lo-{lv}"], one[f"{m}-hi-{lv}"]) for lv in levels}
          for m in models[:1]} if levels else None
    name = os.path.basename(str(source)) or str(source)
    ax = plot_forecast(one["ds"], one["y"].to_numpy(dtype=np.float64),
                       {m: one[m] for m in models}, intervals=iv,
                       title=f"{target}: one-step forecasts of the test part ({name})",
                       ylabel=target, units=units)
    ax.figure.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(ax.figure)
