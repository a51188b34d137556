"""``cpjax calibrate``: what the command does once parsed (parser: :mod:`cpjax.cli._cge`)."""

from __future__ import annotations

import argparse
from pathlib import Path

from .._progress import status
from ._cli import check_model_source

__all__ = ["calibrate"]


def calibrate(args: argparse.Namespace) -> int:
    from ._calib_file import load_targets
    from ._calib_run import CalibrateRun, _targets_path, run_calibrate

    check_model_source(args)
    path = _targets_path(args.targets)
    load_targets(path)  # strict check of the file before any work
    args.record_inputs["--targets"] = str(path)
    progress = True if args.progress else (False if args.quiet else None)
    run = CalibrateRun(targets=args.targets, demo=args.demo or not args.sam, sam=args.sam,
                       spec=args.spec, check_gradient=not args.no_gradient_check, seed=args.seed,
                       progress=progress)
    status(f"cpjax calibrate: {Path(path).name}")
    result = run_calibrate(run, args.out)
    args.stages["calibration_s"] = result.wall_s
    if not args.quiet:
        print(f"calibration {'converged' if result.converged else 'did NOT converge'} "
              f"({result.reason}) after {result.steps} steps; loss {result.loss:.4g}")
        for name, value in result.params.items():
            shown = (", ".join(f"{v:.4g}" for v in value) if isinstance(value, list)
                     else f"{value:.4g}")
            print(f"  {name} = {shown}")
    return 0
