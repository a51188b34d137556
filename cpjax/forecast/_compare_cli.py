"""``cpjax compare`` and ``cpjax backtest``: what the commands do once parsed (parsers:
:mod:`cpjax.cli._forecast`)."""

from __future__ import annotations

import argparse

from ._cli import base_config, data_spec, diverged_message, print_table

__all__ = ["backtest", "compare"]


def _common(args) -> dict:
    return dict(models=args.models, reference=args.reference, levels=args.level,
                spike_threshold=args.spike_threshold, price_level=args.price_level)


def compare(args: argparse.Namespace) -> int:
    from ..train import TrainingDivergedError
    from ._compare import compare_models

    cfg = base_config(args)
    try:
        run = compare_models(data_spec(args), args.out, config=cfg,
                             settings={"demo": bool(args.demo)}, **_common(args))
    except TrainingDivergedError as err:
        raise diverged_message(err, args) from None
    if not args.quiet:
        i = run.info
        print(f"test part {i['test_first']} .. {i['test_last']} ({i['n_test']} days scored); "
              f"reference {run.reference}")
        print_table(run.table, ["model", "n_seeds", "rmse", "mae", "mase", "spike_f1", "train_s",
                                "latency_ms", "coverage_95"])
    return 0


def backtest(args: argparse.Namespace) -> int:
    from ..train import TrainingDivergedError
    from ._backtest import backtest as run_backtest

    cfg = base_config(args)
    try:
        run = run_backtest(data_spec(args), args.out, config=cfg, n_windows=args.windows,
                           step=args.step, refit=args.refit, mode=args.mode,
                           settings={"demo": bool(args.demo)}, **_common(args))
    except TrainingDivergedError as err:
        raise diverged_message(err, args) from None
    if not args.quiet:
        i = run.info
        print(f"{i['n_windows']} origins {i['cutoffs'][0]} .. {i['cutoffs'][-1]}, "
              f"{i['n_forecasts']} forecasts")
        print_table(run.overall, ["model", "rmse", "mae", "mae_cutoff_std", "coverage_95",
                                  "fit_s_mean"])
    return 0
