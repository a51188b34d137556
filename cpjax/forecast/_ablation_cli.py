"""``cpjax ablation``: what the command does once parsed (parser: :mod:`cpjax.cli._forecast`)."""

from __future__ import annotations

import argparse

from ._cli import base_config, data_spec, diverged_message

__all__ = ["ablation"]


def ablation(args: argparse.Namespace) -> int:
    from ..train import TrainingDivergedError
    from ._ablation import ablation_table, run_ablation

    spec = data_spec(args)
    cfg = base_config(args)  # each row sets its model, optimizer and refiner on top
    try:
        run = run_ablation(spec, args.out, config=cfg, naive_stacking=args.naive_stacking,
                           settings={"demo": bool(args.demo)})
    except TrainingDivergedError as err:
        raise diverged_message(err, args) from None
    args.stages.update({f"{k}_s": v for k, v in run.timings.items()})
    if not args.quiet:
        print(ablation_table(run.table))
    return 0
