"""``backtest``: the library function behind ``cpjax backtest`` (seed 003's 12 monthly origins).

For every origin (cutoff) the models see only rows up to the cutoff: with ``refit=True`` each
model is trained again on them (expanding: all earlier rows; sliding: the last rows, as many as
the first origin had), with ``refit=False`` it is trained once at the first origin and its
parameters are rolled forward over later blocks.  Conformal intervals at an origin use the
calibration residuals of the model fitted for it (the last training windows before that cutoff).
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Sequence
from typing import Any

import jax
import numpy as np
import pandas as pd

from .._errors import CpjaxInputError
from .._io import atomic_output_dir, check_output_dir, write_config
from .._progress import progress_bar, status
from ..data import rolling_origins
from ..evaluate import format_table, metric_table, plot_metrics_by_cutoff
from ._batch import FitJob, fit_forecasters
from ._compare import ModelChoice, choices_with_reference, model_config, test_table
from ._config import ForecasterConfig
from ._data_spec import DataSpec, as_data_spec
from ._forecaster import Forecaster
from ._intervals import add_conformal_intervals, calibration_residuals, check_levels, coverage_table
from ._run import observed_by_date

__all__ = ["BacktestRun", "backtest", "backtest_markdown"]

_BY_CUTOFF = ("mse", "rmse", "mae", "mape", "smape", "da")
_OVERALL = ("mse", "rmse", "mae", "mape", "smape", "r2", "da", "spike_precision", "spike_recall",
            "spike_f1", "hit_rate")


@dataclasses.dataclass
class BacktestRun:
    """What :func:`backtest` produced (also written to ``out``).

    Attributes:
        cv: ``unique_id, ds, cutoff, h, y`` and one column per model (seed mean), plus
            ``MODEL-lo-L`` / ``MODEL-hi-L`` interval columns.
        metrics_by_cutoff: one row per (cutoff, model).
        overall: one row per model, pooled over every origin (plus the mean fit time).
        tests: every model against the reference and persistence on the pooled forecasts.
    """

    cv: pd.DataFrame
    metrics_by_cutoff: pd.DataFrame
    overall: pd.DataFrame
    tests: pd.DataFrame
    reference: str
    info: dict[str, Any]


def _fold_forecasts(df, folds, choice: ModelChoice, base: ForecasterConfig, target, features,
                    refit: bool, levels, cal_fraction) -> tuple[pd.DataFrame, list[float]]:
    # the origins fix each test block (rolling_origins checks them): no minimum test size here
    cfg = model_config(base, choice).with_settings({"min_test": 1})
    fitting = folds if refit else folds[:1]
    status(f"backtest: fitting {choice.label} at {len(fitting)} origin(s)"
           f"{' as one batch' if len(fitting) > 1 else ''}")
    t0 = time.perf_counter()
    fitted = fit_forecasters([  # every origin's networks train as one batch
        FitJob(Forecaster(config=cfg), df.iloc[int(f.train[0]): int(f.test[-1]) + 1]
               .reset_index(drop=True), target, features, train_rows=len(f.train))
        for f in fitting])
    fit_s = [(time.perf_counter() - t0) / len(fitting)] * len(fitting)  # batched: the mean
    parts, res = [], None
    for i, fold in enumerate(folds):
        stop = int(fold.test[-1]) + 1
        f = fitted[i] if refit else fitted[0]
        if refit or i == 0:
            pred = f.predict()
            if levels:
                res = calibration_residuals(f, cal_fraction)
        else:
            pred = f.predict(df.iloc[:stop].reset_index(drop=True))
        pred = pred[pred["ds"].isin(df["ds"].iloc[fold.test])].copy()
        pred = pred.rename(columns={"cutoff": "origin"})
        pred = pred.rename(columns={c: choice.label + c[len(f.name):] for c in pred.columns
                                    if c == f.name or c.startswith(f.name + "-seed")})
        if levels:
            pred = add_conformal_intervals(pred, choice.label, res, levels)
        pred.insert(2, "cutoff", fold.cutoff)
        parts.append(pred)
    return pd.concat(parts, ignore_index=True), fit_s


def backtest(data: DataSpec | Any, out: str | os.PathLike | None = None, *,
             models: Sequence[str] | None = None, reference: str | None = None,
             config: ForecasterConfig | None = None,
             n_windows: int = 12, step: str | int = "month",
             refit: bool = True, mode: str = "expanding", levels: Sequence[float] = (80, 95),
             cal_fraction: float | None = None, spike_threshold: float = 0.05,
             price_level: float = 80.0, settings: dict[str, Any] | None = None) -> BacktestRun:
    """Rolling-origin backtest of several models (seed 003's 12-month rolling validation).

    Arguments:
        data, models, reference, config: as in :func:`~cpjax.forecast.compare_models`
            (persistence is always added); the rolling origins replace the spec's ``split`` /
            ``test_start`` (give neither), and ``select`` chooses the inputs on the rows before
            the first origin.
        n_windows: number of origins; ``step``: ``"month"`` (one calendar month per block, the
            last ``n_windows`` months) or a number of rows per block.
        refit: retrain at every origin, or train once at the first and roll forward.
        mode: ``"expanding"`` or ``"sliding"`` training windows.
        levels: conformal interval levels in percent (``()``: none).
        out: folder for ``cv.csv``, ``metrics_by_cutoff.csv``, ``overall.csv``/``.md``,
            ``tests.csv``, ``backtest.png`` and ``config.json`` (``None``: write nothing).

    Returns:
        :class:`BacktestRun`.

    Example:
        >>> from cpjax.data import demo_market
        >>> from cpjax.forecast import DataConfig, DataSpec, ForecasterConfig
        >>> run = backtest(DataSpec(demo_market(n_days=400), target="close"), models=["drift"],
        ...                n_windows=3, step=20, config=ForecasterConfig(data=DataConfig(lookback=10)))
        >>> run.metrics_by_cutoff["cutoff"].nunique()
        3
    """
    if out is not None:  # before any work; a folder an earlier cpjax run wrote is replaced
        check_output_dir(out, overwrite=None, option="out")
    base = config or ForecasterConfig()
    if isinstance(n_windows, bool) or not isinstance(n_windows, int | np.integer) or n_windows < 1:
        raise CpjaxInputError(f"n_windows must be a positive integer, got {n_windows!r}; "
                              "fix: e.g. --windows 12")
    choices, labels, reference = choices_with_reference(models, reference)
    levels = check_levels(levels)
    spec = as_data_spec(data)
    if spec.split is not None or spec.test_start is not None:
        raise CpjaxInputError("backtest splits the data by rolling origins; fix: drop split / "
                              "test_start (--split / --test-start) and use n_windows and step "
                              "(--windows, --step)")
    df, source, target = spec.read()
    folds = rolling_origins(pd.DatetimeIndex(df["ds"]), n_windows, step, mode)
    need = base.data.lookback + base.data.horizon + 2
    if len(folds[0].train) < need:
        raise CpjaxInputError(
            f"{source} has {len(folds[0].train)} rows before the first of {n_windows} origins "
            f"({pd.Timestamp(folds[0].cutoff).date()}), fewer than lookback + horizon + 2 = "
            f"{need}; fix: use fewer --windows, a smaller --step or a shorter --lookback")
    features, _ = spec.inputs(df, target, len(folds[0].train))  # chosen before the 1st origin
    frames, fit_times = [], {}
    for ch in choices:  # every name and setting checked before any training
        Forecaster(config=model_config(base, ch))
    bar = progress_bar(len(choices), "backtest", "model", base.train.progress)
    for ch in choices:
        fr, fit_s = _fold_forecasts(df, folds, ch, base, target, features, refit, levels,
                                    cal_fraction)
        frames.append(fr)
        fit_times[ch.label] = fit_s
        bar.update(1)
    bar.close()
    cv = frames[0]
    for extra in frames[1:]:
        cols = [c for c in extra.columns if c not in ("unique_id", "ds", "cutoff", "origin", "h", "y")]
        cv = cv.merge(extra[["ds", "cutoff", "h", *cols]], on=["ds", "cutoff", "h"])
    cv = cv.sort_values(["cutoff", "ds", "h"], kind="stable").reset_index(drop=True)
    cv_all = observed_by_date(cv, df, target)  # days with a missing target are not scored
    cv = cv_all[cv_all["y_observed"]].drop(columns="y_observed").reset_index(drop=True)
    level = df.set_index("ds")[target]
    last = level.reindex(pd.DatetimeIndex(cv["origin"])).to_numpy(np.float64)
    rows = []
    for cutoff, g in cv.groupby("cutoff", sort=True):
        t = metric_table(g["y"], {m: g[m] for m in labels}, last=last[g.index.to_numpy()],
                         metrics=list(_BY_CUTOFF))
        if levels:
            t = t.join(coverage_table(g, labels, levels)[[f"coverage_{lv}" for lv in levels]])
        t.insert(0, "n", len(g))
        t.insert(0, "cutoff", cutoff)
        rows.append(t.reset_index())
    by_cutoff = pd.concat(rows, ignore_index=True)
    overall = metric_table(cv["y"], {m: cv[m] for m in labels}, last=last,
                           metrics=list(_OVERALL), spike_threshold=spike_threshold,
                           level=price_level)
    overall["mae_cutoff_mean"] = by_cutoff.groupby("model")["mae"].mean()
    overall["mae_cutoff_std"] = by_cutoff.groupby("model")["mae"].std(ddof=1)
    if levels:
        overall = overall.join(coverage_table(cv, labels, levels))
    overall["fit_s_mean"] = pd.Series({m: float(np.mean(v)) for m, v in fit_times.items()})
    overall["n_fits"] = pd.Series({m: len(v) for m, v in fit_times.items()})
    overall = overall.reset_index()
    tests = test_table(cv, labels, [reference, "persistence"])
    cv_out = cv_all.drop(columns=["origin"])
    info = {"data": str(source), "target": target, "rows": len(df),
            "data_spec": spec.describe(),
            "first_date": str(df["ds"].iloc[0].date()), "last_date": str(df["ds"].iloc[-1].date()),
            "n_windows": n_windows, "step": step, "refit": refit, "mode": mode,
            "cutoffs": [str(pd.Timestamp(f.cutoff).date()) for f in folds],
            "first_train_rows": len(folds[0].train), "features": features, "n_forecasts": int(len(cv)),
            "reference": reference, "models": labels, "levels": list(levels),
            "spike_threshold": spike_threshold, "price_level": price_level,
            "n_spikes": int(np.sum((cv["y"].to_numpy(np.float64) - last) / last > spike_threshold)),
            "device": str(jax.devices()[0])}
    run = BacktestRun(cv_out, by_cutoff, overall, tests, reference, info)
    if out is not None:
        with atomic_output_dir(out) as tmp:
            cv_out.to_csv(tmp / "cv.csv", index=False)
            by_cutoff.to_csv(tmp / "metrics_by_cutoff.csv", index=False)
            overall.to_csv(tmp / "overall.csv", index=False)
            tests.to_csv(tmp / "tests.csv", index=False)
            (tmp / "overall.md").write_text(backtest_markdown(run))
            name = os.path.basename(str(source)) or str(source)
            ax = plot_metrics_by_cutoff(by_cutoff, "mae", title=f"MAE by origin ({name})",
                                        ylabel=f"MAE of {target}")
            ax.figure.savefig(tmp / "backtest.png", dpi=110, bbox_inches="tight")
            import matplotlib.pyplot as plt

            plt.close(ax.figure)
            write_config(tmp, base, run=info, fit_s=fit_times, **(settings or {}))
    return run


def backtest_markdown(run: BacktestRun) -> str:
    """Pooled metrics and the test table as Markdown, headed by the origins used."""
    i = run.info
    cols = ["rmse", "mae", "mae_cutoff_mean", "mae_cutoff_std", "mape", "da", "spike_recall",
            "spike_f1", *[c for c in run.overall.columns if c.startswith("coverage_")],
            "fit_s_mean", "n_fits"]
    head = (f"Backtest on {i['data']} ({i['first_date']} .. {i['last_date']}, target "
            f"{i['target']}): {i['n_windows']} origins (step {i['step']}, {i['mode']}, "
            f"{'refit at every origin' if i['refit'] else 'trained once at the first origin'}), "
            f"cutoffs {i['cutoffs'][0]} .. {i['cutoffs'][-1]}, {i['n_forecasts']} forecasts; "
            f"{i['first_train_rows']} training rows at the first origin; {i['n_spikes']} days with a "
            f"rise above {100 * i['spike_threshold']:g} %.\n\n")
    body = format_table(run.overall.set_index("model")[cols], ".4g")
    if len(run.tests):
        body += ("\nTests on pooled per-day absolute errors; dm_stat > 0: the reference is more "
                 "accurate.\n\n" + format_table(run.tests.set_index("model"), ".3g"))
    return head + body
