"""``cpjax forecast`` and ``cpjax models``: what the commands do once parsed.

The parsers are in :mod:`cpjax.cli._forecast` (light, so ``cpjax --help`` is quick); the command
line passes the parsed options here.  Shared helpers for ``ablation``, ``compare`` and
``backtest`` live here too.
"""

from __future__ import annotations

import argparse
import json
import sys

from .._errors import CpjaxInputError
from .._progress import status

__all__ = ["base_config", "data_and_target", "data_spec", "diverged_message", "forecast", "models", "print_table",
           "progress_flag", "tune", "units"]


def progress_flag(args: argparse.Namespace) -> bool | None:
    """``--progress``: always; ``--quiet``: never; else when standard error is a terminal."""
    if getattr(args, "progress", False):
        return True
    return False if getattr(args, "quiet", False) else None


def data_and_target(args: argparse.Namespace):
    """``(data, target)`` of the data options: the synthetic demo market (target ``close``
    unless given) or the table of ``--data`` read with ``--date-format``."""
    from ..data import demo_market, read_table

    if args.demo:
        data = demo_market()
        data.attrs["source"] = "cpjax demo market (synthetic, demo_market seed 0)"
        return data, args.target or "close"
    status(f"reading {args.data}")
    return read_table(args.data, date_format=args.date_format), args.target


def data_spec(args: argparse.Namespace, read=None):
    """The :class:`~cpjax.forecast.DataSpec` of the data options (``--demo``/``--data``,
    ``--target``, ``--features``, ``--select``, ``--split``, ``--test-start``,
    ``--unique-id``); ``read``: ``(data, target)`` of :func:`data_and_target` when the caller
    has read the table already."""
    from ._data_spec import DataSpec

    data, target = read or data_and_target(args)
    return DataSpec(data, target=target, features=getattr(args, "features", None),
                    select=getattr(args, "select", None), split=getattr(args, "split", None),
                    test_start=getattr(args, "test_start", None),
                    unique_id=getattr(args, "unique_id", None))


def units(args: argparse.Namespace) -> str | None:
    """``--units``, else CNY/t for the demo market (a synthetic carbon price)."""
    return args.units or ("CNY/t" if args.demo else None)


def diverged_message(err, args: argparse.Namespace) -> CpjaxInputError:
    """A training that went to NaN/Inf, phrased for the command line."""
    return CpjaxInputError(
        f"training diverged: the loss became NaN or infinite at epoch {err.epoch} (seed "
        f"{err.seed}) with --learning-rate {args.learning_rate:g}; fix: lower --learning-rate "
        "(e.g. by 10x), or check the data for extreme values (see data_report.json of a "
        "persistence run: --model persistence)")


def print_table(table, cols: list[str]) -> None:
    """Print the chosen columns of a results table (4 significant digits)."""
    cols = [c for c in cols if c in table.columns]
    print(table[cols].to_string(index=False, float_format=lambda v: f"{v:.4g}"))


def _references(names: list[str]) -> tuple[str, ...]:
    if [n.lower() for n in names] in (["none"], []):
        return ()
    return tuple(names)


def forecast(args: argparse.Namespace) -> int:
    from ..train import TrainingDivergedError
    from ._run import run_forecast

    data, target = data_and_target(args)
    if not args.demo and "unique_id" in data.columns and args.unique_id is None:
        return _forecast_global(args, data)
    global_only = [o for o, v in (("--quantiles", args.quantiles), ("--static", args.static),
                                  ("--futr-features", args.futr_features)) if v]
    if global_only:
        raise CpjaxInputError(f"{global_only[0]} is for the global model of a long table "
                              "(unique_id, ds, y) without --unique-id; fix: drop it, or pass "
                              "such a table")
    cfg = base_config(args)
    status(f"cpjax forecast: {cfg.model} and references "
           f"{', '.join(_references(args.references)) or 'none'} on "
           f"{'the demo market' if args.demo else args.data}")
    try:
        run = run_forecast(data_spec(args, (data, target)), args.out, config=cfg,
                           references=_references(args.references),
                           settings={"demo": bool(args.demo)}, levels=tuple(args.level),
                           units=units(args))
    except TrainingDivergedError as err:
        raise diverged_message(err, args) from None
    args.stages.update(run.timings)
    if not args.quiet:
        fc = run.forecasts
        print(f"test part {fc['ds'].min().date()} .. {fc['ds'].max().date()}: "
              f"{int(run.metrics['n_scored'].iloc[0])} of {len(fc)} forecasts scored"
              if "n_scored" in run.metrics else "")
        print_table(run.metrics, ["model", "n_seeds", "rmse", "mae", "r2", "mase", "rmse_mm"])
        for line in run.notes:
            print(f"note: {line}")
    return 0


def _forecast_global(args: argparse.Namespace, data) -> int:
    """One global network across every series of a long table (docs/global.md)."""
    from ..train import TrainingDivergedError
    from ._global import GlobalConfig
    from ._global_run import run_global_forecast

    model = args.model or "global_mlp"
    if model not in ("global_mlp", "local_mlp"):
        raise CpjaxInputError(f"a long table without --unique-id trains one global network "
                              f"(--model global_mlp, or local_mlp: one per series); {model!r} "
                              "fits one series: fix: pass --unique-id NAME, or drop --model")
    cfg = GlobalConfig(name=model, mode="global" if model == "global_mlp" else "local",
                       lookback=args.lookback, horizon=args.horizon, head=args.head,
                       embed_dim=args.embed_dim, epochs=args.epochs,
                       batch_size=args.batch_size, learning_rate=args.learning_rate,
                       optimizer=args.optimizer, patience=args.patience, seeds=args.seeds,
                       seed=args.seed, progress=progress_flag(args))
    if args.optimizer == "sophia":
        raise CpjaxInputError("the global model trains with adam, adamw, rmsprop or sgd; fix: "
                              "choose one of those with --optimizer")
    if args.quantiles and args.head == "point":
        raise CpjaxInputError("--quantiles needs a probabilistic head; fix: --head quantile or "
                              "--head student_t")
    status(f"cpjax forecast: global model {model} on every series of {args.data}")
    try:
        run = run_global_forecast(
            data, args.out, config=cfg, static_df=args.static, hist_exog=args.features,
            futr_exog=args.futr_features, split=args.split, test_start=args.test_start,
            quantiles=args.quantiles, levels=tuple(args.level),
            references=_references(args.references), settings={"demo": False})
    except TrainingDivergedError as err:
        raise diverged_message(err, args) from None
    args.stages.update(run.timings)
    if not args.quiet:
        t = run.metrics
        pooled = t[(t["unique_id"] == "all series (mean)") & (t["h"].astype(str) == "all")]
        print(f"{run.forecasts['unique_id'].nunique()} series, {len(run.forecasts)} forecasts "
              f"(h = 1..{cfg.horizon}); mean over series, all steps:")
        print_table(pooled, ["model", "mase", "rmse", "crps", "pinball", "scaled_crps"])
    return 0


#: Options of the model and training whose value is the flat setting of the same name.
_SETTING_OPTIONS = ("model", "optimizer", "learning_rate", "loss", "lookback", "horizon", "epochs",
                    "batch_size", "patience", "seeds", "seed", "refiner")


def base_config(args: argparse.Namespace):
    """The :class:`ForecasterConfig` of the model and training options (forecast, tune, compare,
    backtest, ablation; options a command lacks, and forecast's unset ``--model``, keep the
    config's defaults)."""
    from ._config import ForecasterConfig

    settings = {k: getattr(args, k) for k in _SETTING_OPTIONS if hasattr(args, k)}
    if settings.get("model") is None:
        settings.pop("model", None)
    return ForecasterConfig().with_settings({
        **settings, "optimizer_params": dict(getattr(args, "optimizer_option", [])),
        "residual": True if args.residual else None, "progress": progress_flag(args)})


def tune(args: argparse.Namespace) -> int:
    from ..train import TrainingDivergedError
    from ._search import SearchSpace
    from ._tune import tune as run_tune

    space = SearchSpace.from_json(args.space)  # strict, before the data is read
    cfg = base_config(args)
    try:
        res = run_tune(data_spec(args), space, config=cfg, out=args.out)
    except TrainingDivergedError as err:
        raise diverged_message(err, args) from None
    args.stages.update({"fit_s": res.info["fit_seconds"]})
    if not args.quiet:
        print(f"{res.info['trials']} trial(s) in {res.info['shape_groups']} shape group(s), "
              f"{len(res.info['origins'])} validation origin(s) up to "
              f"{res.info['training_end']}; {res.info['compilations']} XLA compilation(s)")
        cols = ["trial", "group", *space.params, "mae", "rmse", "chosen"]
        print_table(res.trials.sort_values(space.metric).head(10), cols)
        print(f"chosen: {res.best}")
    return 0


def models(args: argparse.Namespace) -> int:
    from ..nn import list_models

    rows = list_models()
    if args.json:
        json.dump(rows, sys.stdout, indent=2, default=str)
        print()
        return 0
    width = max(len(r["name"]) for r in rows)
    for r in rows:
        print(f"{r['name']:<{width}}  {r['kind']:<9}  {r['description']}")
    return 0
