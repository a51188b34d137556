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
from ._generate import decode, generate_trajectories
from ._model import NodeModel, load_model, save_model
from ._preprocess import Prepared, prepare
from ._train import FitResult, fit, forecast_from
from ._trajectories import Trajectories, write_trajectories

__all__ = ["TrainResult", "train_node", "train_to_dir", "generate_to_dir", "BASELINES"]

BASELINES = ("persistence", "seasonal_naive", "arima")


@dataclass(frozen=True)
class TrainResult:
    """Outcome of :func:`train_node`.

    Attributes:
        model: the :class:`NodeModel` to generate paths with (its history is the whole cleaned
            data): with ``config.refit`` the field refit on every month, else ``eval_model``.
        eval_model: the model fit on the training part and early-stopped on the validation
            part: the one scored in ``metrics`` and ``forecasts``.
        prepared: the cleaned data and split.
        fit: the :class:`FitResult` of ``eval_model`` (history, timings); refit: the
            :class:`FitResult` of the refit (``None`` without ``config.refit``).
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
    eval_model: NodeModel | None = None
    refit: FitResult | None = None


def train_node(data: NodeData, config: NodeConfig | None = None, *, optimizer=None,
               baselines: tuple[str, ...] = BASELINES, progress: bool = False) -> TrainResult:
    """Prepare ``data``, fit a Neural ODE, and score it and the baselines on the test period.

    Every method forecasts the whole test period from the same origin (the last validation
    month) without seeing test data (the Neural ODE scored is ``eval_model``; with
    ``config.refit`` the returned ``model`` is then refit on every month, test included, for
    generating paths): the Neural ODE integrates from the observed state there;
    persistence repeats it; seasonal-naive repeats the last observed year; (S)ARIMA is fit on
    training + validation data.

    Example:
        >>> from cpjax.node import NodeConfig, demo_data, train_node
        >>> res = train_node(demo_data(), NodeConfig(width=16, epochs=2), baselines=())
        >>> sorted(res.forecasts)
        ['neural_ode']
    """
    import pandas as pd

    config = config or NodeConfig()
    unknown = [b for b in baselines if b not in BASELINES]
    if unknown:
        raise CpjaxInputError(f"unknown baseline(s) {unknown}; fix: choose from {list(BASELINES)}")
    prep = prepare(data, config)
    clean, off = prep.data, prep.offset
    P, T, S = clean.values.shape
    n_fit, n_test = prep.n_train + prep.n_val, prep.n_test

    def as_model(f, history):
        return NodeModel(f, config, clean.series, clean.panels, clean.units, prep.scalers,
                         prep.floor, prep.mask, str(clean.dates[0]), history, clean.source)

    accept = None
    if config.plausible_years:
        accept = _plausible_rollout(as_model, clean.values[:, :n_fit].copy(),
                                    config.plausible_years)
    # the refit (every month, no validation) shares the evaluation fit's compiled program
    shared = (prep.n_train - off, prep.n_val)
    fr = fit(prep.times, prep.z, prep.mask, *shared, config, optimizer=optimizer,
             progress=progress, accept=accept,
             share_shapes_with=(prep.z.shape[1], 0) if config.refit else None)
    eval_model = dataclasses.replace(
        as_model(fr.field, clean.values.copy()),
        fit_info={"fit_on": [str(clean.dates[0]), prep.report["train_end"]],
                  "early_stopping_on": [str(clean.dates[prep.n_train]), prep.report["val_end"]],
                  "best_epoch": fr.best_epoch, "plausible_selection": fr.accepted
                  if config.plausible_years else None})
    model, fr_all = eval_model, None
    if config.refit:
        # every month, as many epochs as the evaluation fit chose, no validation (the last
        # epoch is kept)
        cfg_all = dataclasses.replace(config, epochs=max(fr.best_epoch, 1), patience=0)
        fr_all = fit(prep.times, prep.z, prep.mask, prep.z.shape[1], 0, cfg_all,
                     optimizer=optimizer, progress=progress, share_shapes_with=shared)
        model = dataclasses.replace(
            as_model(fr_all.field, clean.values.copy()),
            fit_info={"fit_on": [str(clean.dates[0]), str(clean.dates[-1])],
                      "epochs": cfg_all.epochs, "refit": True,
                      "evaluation_fit_on": eval_model.fit_info["fit_on"],
                      "evaluation_best_epoch": fr.best_epoch})
    forecasts = {"neural_ode": forecast_levels(eval_model, prep, n_fit - 1, n_test)}
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
    level_std = np.std(clean.values[:, :prep.n_train], axis=1)
    level_std = np.where(level_std > 0, level_std, 1.0)
    rows = []
    for method, pred in forecasts.items():
        for p in range(P):
            for s in range(S):
                if not prep.mask[p, s]:
                    continue
                m = error_metrics(truth[p, :, s], pred[p, :, s])
                m["rmse_z"] = m["rmse"] / level_std[p, s]
                rows.append({"panel": clean.panels[p], "series": clean.series[s],
                             "method": method, **m})
    metrics = pd.DataFrame(rows)
    summary = (metrics.groupby("method", sort=False)[["rmse_z", "mape"]].mean().reset_index()
               .assign(panel="ALL", series="ALL"))
    metrics = pd.concat([metrics, summary], ignore_index=True)
    return TrainResult(model, prep, fr, metrics, forecasts, eval_model, fr_all)


def _plausible_rollout(as_model, history: np.ndarray, years: int):
    """``accept(field)``: is the ``years``-year rollout from the last month of ``history``
    plausible by :func:`check_plausibility` against ``history`` (the training + validation
    months)? Capacity bounds are read once."""
    from ._generate import encode, generate, time_grid
    from ._plausibility import capacity_bounds, check_plausibility

    base = as_model(None, history)
    last = base.dates[-1]
    dates = time_grid(str(last), str(last + np.timedelta64(12 * years, "M")), "monthly")
    cap, _ = capacity_bounds(base.panels, base.series, base.units, base.dates, history,
                             {int(str(d)[:4]) for d in dates})
    before = [history[p, :-1] for p in range(history.shape[0])]
    z0 = jnp.asarray(np.stack([encode(base, p, history[p, -1], before[p])
                               for p in range(history.shape[0])]), dtype=jnp.float32)
    ts = jnp.asarray(base.years(dates), dtype=jnp.float32)

    def accept(field) -> bool:
        m = dataclasses.replace(base, field=field)
        z = np.asarray(generate(field, z0, ts, m.config), dtype=np.float64)
        if not np.all(np.isfinite(z)):
            return False
        with np.errstate(over="ignore"):
            vals = np.stack([decode(m, p, z[p], before[p]) for p in range(z.shape[0])])
        if not np.all(np.isfinite(vals)):
            return False
        rec = check_plausibility(dates, vals, m.panels, m.series, m.units, m.dates, history,
                                 m.mask, capacity=cap)
        return rec["status"] == "plausible"

    return accept


def forecast_levels(model: NodeModel, prep: Prepared, origin: int, horizon: int) -> np.ndarray:
    """(P, horizon, S) multi-step forecasts in original units from the observed state of month
    ``origin`` (an index of ``prep.data``), for every panel."""
    off = prep.offset
    P = prep.z.shape[0]
    z = forecast_from(model.field, jnp.asarray(prep.z, dtype=jnp.float32),
                      jnp.asarray(np.broadcast_to(prep.times, (P, prep.z.shape[1])),
                                  dtype=jnp.float32), origin - off, horizon, model.config)
    z = np.asarray(z, dtype=np.float64)
    with np.errstate(over="ignore"):
        return np.stack([decode(model, p, z[p], prep.data.values[p, :origin + 1])
                         for p in range(P)])


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

    ``epochs`` (optional) overrides ``config.epochs`` (maximum passes over the training
    windows; early stopping after ``config.patience`` epochs without improvement).
    """
    import pandas as pd

    config = config or NodeConfig()
    nd = load_training_data(data, demo, series, provinces, start, config.seed)
    if epochs is not None:
        config = dataclasses.replace(config, epochs=epochs)
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
                     refit=None if res.refit is None else {
                         "epochs": res.refit.epochs_run, "steps_per_epoch":
                         res.refit.steps_per_epoch,
                         "compile_seconds": res.refit.compile_seconds,
                         "train_seconds": res.refit.train_seconds},
                     fit={"best_epoch": res.fit.best_epoch, "best_step": res.fit.best_step,
                          "best_val_mse_z": res.fit.best_val, "epochs_run": res.fit.epochs_run,
                          "accepted": res.fit.accepted,
                          "steps_per_epoch": res.fit.steps_per_epoch,
                          "stopped_early": res.fit.stopped_early,
                          "compile_seconds": res.fit.compile_seconds,
                          "train_seconds": res.fit.train_seconds})
    return res


def generate_to_dir(model_dir: str | os.PathLike, out: str | os.PathLike, *,
                    initial: dict[str, float] | None = None, until: str = "2030-12",
                    start: str | None = None, panels: list[str] | None = None,
                    grid: str = "monthly") -> Trajectories:
    """Load a model, generate paths and write ``out/trajectories.csv``, ``out/plausibility.json``
    (the check of :func:`cpjax.node.check_plausibility`) and ``out/config.json``."""
    model = load_model(model_dir)
    traj = generate_trajectories(model, until, start=start, initial=initial, panels=panels,
                                 grid=grid)
    with atomic_output_dir(out) as tmp:
        write_trajectories(traj, tmp)
        write_config(tmp, {"model": str(model_dir), "initial": initial, "until": until,
                           "start": start or model.last_date, "panels": list(traj.panels),
                           "grid": grid}, command="node generate", units=traj.units,
                     plausibility={"status": traj.status,
                                   "violations": len(traj.plausibility["violations"])},
                     timing={"compile_seconds": traj.compile_seconds,
                             "run_seconds": traj.run_seconds,
                             "n_paths": len(traj.panels), "n_points": len(traj.dates)})
    return traj
