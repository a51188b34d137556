"""The two user-facing operations behind ``cpjax node train`` and ``cpjax node generate``."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path

import jax.numpy as jnp
import numpy as np

from .._errors import CpjaxInputError
from .._io import atomic_output_dir, write_config
from ._config import NodeConfig
from ._data import NodeData, demo_data, load_power_generation
from ._evaluate import arima_forecast, error_metrics, persistence, seasonal_naive
from ._field import make_field
from ._generate import Trajectories, generate_trajectories
from ._model import NodeModel, load_model, save_model
from ._preprocess import Prepared, prepare, split_sizes
from ._train import FitResult, fit, forecast_from, steps_per_epoch

__all__ = ["TrainResult", "train_node", "train_to_dir", "generate_to_dir", "BASELINES"]

BASELINES = ("persistence", "seasonal_naive", "arima")


@dataclass(frozen=True)
class TrainResult:
    """Outcome of :func:`train_node`.

    Attributes:
        model: the trained :class:`NodeModel`; prepared: the cleaned data and split.
        fit: the :class:`FitResult` (history, timings).
        metrics: pandas DataFrame, one row per (panel, series, method) on the test period in
            original units (mse, rmse, mae, mape %) plus ``rmse_z`` (RMSE in training standard
            deviations), and rows with panel ``ALL`` averaging ``rmse_z`` and ``mape``.
        forecasts: method -> (P, n_test, S) multi-step test forecasts from the end of validation.
    """

    model: NodeModel
    prepared: Prepared
    fit: FitResult
    metrics: object
    forecasts: dict


def train_node(data: NodeData, config: NodeConfig | None = None, *, optimizer=None,
               baselines: tuple[str, ...] = BASELINES, progress: bool = False) -> TrainResult:
    """Prepare ``data``, fit a Neural ODE, and score it and the baselines on the test period.

    Every method forecasts the whole test period from the same origin (the last validation
    month) without seeing test data: the Neural ODE integrates from the observed state there;
    persistence repeats it; seasonal-naive repeats the last observed year; (S)ARIMA is fit on
    training + validation data.

    Example:
        >>> from cpjax.node import NodeConfig, demo_data, train_node
        >>> res = train_node(demo_data(), NodeConfig(width=16, steps=20), baselines=())
        >>> sorted(res.forecasts)
        ['neural_ode']
    """
    import pandas as pd

    config = config or NodeConfig()
    unknown = [b for b in baselines if b not in BASELINES]
    if unknown:
        raise CpjaxInputError(f"unknown baseline(s) {unknown}; fix: choose from {list(BASELINES)}")
    prep = prepare(data, config.preprocess)
    clean = prep.data
    P, T, S = prep.z.shape
    times = clean.times
    field = make_field(S, config)
    fr = fit(field, times, prep.z, prep.mask, prep.n_train, prep.n_val, config,
             optimizer=optimizer, progress=progress)
    n_fit, n_test = prep.n_train + prep.n_val, prep.n_test
    z_pred = np.asarray(forecast_from(fr.field, jnp.asarray(prep.z, dtype=jnp.float32),
                                      jnp.asarray(np.broadcast_to(times, (P, T)),
                                                  dtype=jnp.float32),
                                      n_fit - 1, n_test, config), dtype=np.float64)
    forecasts = {"neural_ode": prep.scaler.inverse(z_pred)}
    hist, truth = clean.values[:, :n_fit], clean.values[:, n_fit:]
    for b in baselines:
        out = np.full_like(truth, np.nan)
        for p in range(P):
            for s in range(S):
                if not prep.mask[p, s]:
                    continue
                h = hist[p, :, s]
                if b == "persistence":
                    out[p, :, s] = persistence(h, n_test)
                elif b == "seasonal_naive":
                    out[p, :, s] = seasonal_naive(h, n_test)
                else:
                    out[p, :, s] = arima_forecast(h, n_test)
        forecasts[b] = out
    rows = []
    for method, pred in forecasts.items():
        for p in range(P):
            for s in range(S):
                if not prep.mask[p, s]:
                    continue
                m = error_metrics(truth[p, :, s], pred[p, :, s])
                m["rmse_z"] = m["rmse"] / prep.scaler.std[p, s]
                rows.append({"panel": clean.panels[p], "series": clean.series[s],
                             "method": method, **m})
    metrics = pd.DataFrame(rows)
    summary = (metrics.groupby("method", sort=False)[["rmse_z", "mape"]].mean().reset_index()
               .assign(panel="ALL", series="ALL"))
    metrics = pd.concat([metrics, summary], ignore_index=True)
    model = NodeModel(fr.field, config, clean.series, clean.panels, clean.units, prep.scaler,
                      str(clean.dates[0]), str(clean.dates[-1]), clean.values[:, -1].copy(),
                      clean.source)
    return TrainResult(model, prep, fr, metrics, forecasts)


def _plot_fit(res: TrainResult, path: Path, panel: int = 0) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    prep = res.prepared
    d = prep.data
    n_fit = prep.n_train + prep.n_val
    S = len(d.series)
    fig, axes = plt.subplots(S, 1, figsize=(9, 2.4 * S), sharex=True, squeeze=False)
    dates = d.dates.astype("datetime64[D]")
    for s, ax in enumerate(axes[:, 0]):
        ax.plot(dates, d.values[panel, :, s], color="0.3", lw=1, label="observed (cleaned)")
        for name, style in (("neural_ode", "C0"), ("seasonal_naive", "C1"), ("arima", "C2")):
            if name in res.forecasts:
                ax.plot(dates[n_fit:], res.forecasts[name][panel, :, s], color=style, lw=1.2,
                        label=name)
        ax.axvline(dates[prep.n_train], color="0.6", ls=":")
        ax.axvline(dates[n_fit], color="0.6", ls="--")
        ax.set_ylabel(f"{d.series[s]}\n[{d.units}]")
    axes[0, 0].set_title(f"{d.panels[panel]}: test forecasts from {d.dates[n_fit - 1]} "
                         "(dotted: end of training, dashed: end of validation)")
    axes[0, 0].legend(fontsize=7, ncol=4)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def load_training_data(data: str | os.PathLike | None, demo: bool, series: list[str] | None,
                       provinces: list[str] | None, start: str | None, seed: int) -> NodeData:
    """The data behind ``cpjax node train``: the demo set or the provincial YTD file."""
    nd = demo_data(seed=seed) if demo else load_power_generation(data, provinces=None,
                                                                  sources=None)
    where = "the demo data" if demo else str(data)
    nd = nd.select(provinces, series, where)
    if start is not None:
        try:
            s = np.datetime64(start, "M")
        except ValueError as err:
            raise CpjaxInputError(f"--start {start!r} is not a YYYY-MM month; fix: e.g. 2010-01") from err
        keep = nd.dates >= s
        if not keep.any():
            raise CpjaxInputError(f"--start {start} is after the last month {nd.dates[-1]} of "
                                  f"{where}; fix: pick an earlier start")
        nd = dataclasses.replace(nd, dates=nd.dates[keep], values=nd.values[:, keep])
    return nd


def train_to_dir(out: str | os.PathLike, *, data: str | None = None, demo: bool = False,
                 series: list[str] | None = None, provinces: list[str] | None = None,
                 start: str | None = None, config: NodeConfig | None = None,
                 baselines: tuple[str, ...] = BASELINES, progress: bool = False,
                 epochs: int | None = None) -> TrainResult:
    """Train and write ``out/model/``, ``metrics.csv``, ``forecasts.csv``, ``history.csv``,
    ``fit.png`` and ``config.json`` (atomically: nothing is written if anything fails).

    ``epochs`` (optional) overrides ``config.steps``: that many passes over the training windows
    of the data actually used (after ``series``/``provinces``/``start`` selection).
    """
    import pandas as pd

    config = config or NodeConfig()
    nd = load_training_data(data, demo, series, provinces, start, config.seed)
    if epochs is not None:
        n_train, _ = split_sizes(len(nd.dates), config.preprocess.train_frac,
                                 config.preprocess.val_frac)
        config = dataclasses.replace(
            config, steps=epochs * steps_per_epoch(len(nd.panels), n_train, config))
    res = train_node(nd, config, baselines=baselines, progress=progress)
    with atomic_output_dir(out) as tmp:
        save_model(res.model, tmp / "model")
        res.metrics.to_csv(tmp / "metrics.csv", index=False)
        pd.DataFrame(res.fit.history).to_csv(tmp / "history.csv", index=False)
        prep = res.prepared
        n_fit = prep.n_train + prep.n_val
        rows = []
        for method, pred in res.forecasts.items():
            for p, panel in enumerate(prep.data.panels):
                df = pd.DataFrame(pred[p], columns=list(prep.data.series))
                df.insert(0, "date", [str(d) for d in prep.data.dates[n_fit:]])
                df.insert(0, "method", method)
                df.insert(0, "panel", panel)
                rows.append(df)
        pd.concat(rows, ignore_index=True).to_csv(tmp / "forecasts.csv", index=False)
        _plot_fit(res, tmp / "fit.png")
        write_config(tmp, config, command="node train", data=nd.source, units=nd.units,
                     panels=list(prep.data.panels), series=list(prep.data.series),
                     date_range=[str(nd.dates[0]), str(nd.dates[-1])], baselines=list(baselines),
                     preprocessing=prep.report,
                     fit={"best_step": res.fit.best_step, "best_val_mse_z": res.fit.best_val,
                          "stopped_early": res.fit.stopped_early,
                          "compile_seconds": res.fit.compile_seconds,
                          "train_seconds": res.fit.train_seconds})
    return res


def generate_to_dir(model_dir: str | os.PathLike, out: str | os.PathLike, *,
                    initial: dict[str, float] | None = None, until: str = "2030-12",
                    start: str | None = None, panels: list[str] | None = None,
                    grid: str = "monthly") -> Trajectories:
    """Load a model, generate paths and write ``out/trajectories.csv`` and ``out/config.json``."""
    model = load_model(model_dir)
    traj = generate_trajectories(model, until, start=start, initial=initial, panels=panels,
                                 grid=grid)
    with atomic_output_dir(out) as tmp:
        frame = traj.to_frame()
        frame.insert(2, "unit", traj.units)  # the units of every series column
        frame.to_csv(tmp / "trajectories.csv", index=False)
        write_config(tmp, {"model": str(model_dir), "initial": initial, "until": until,
                           "start": start or model.last_date, "panels": list(traj.panels),
                           "grid": grid}, command="node generate", units=traj.units,
                     timing={"compile_seconds": traj.compile_seconds,
                             "run_seconds": traj.run_seconds,
                             "n_paths": len(traj.panels), "n_points": len(traj.dates)})
    return traj
