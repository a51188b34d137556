"""``cpjax calibrate``: a thin wrapper over :func:`cpjax.cge.run_calibrate`."""

from __future__ import annotations

import argparse

from ._calib_run import CalibrateRun, run_calibrate


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "calibrate", help="fit CGE growth drivers or policy paths to targets (implicit gradients)",
        description="Gradient-based calibration of the CGE path to the targets in a TOML/JSON file "
                    "(format: docs/calibration.md). Writes calibrated.json, fit.csv, trace.csv, "
                    "gradient_check.csv and config.json.")
    p.add_argument("--targets", required=True,
                   help="targets file (.toml/.json) or a shipped name: baseline_energy, s5_price_path, trend_emissions")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--demo", action="store_true", help="stylized 2022 coal-province SAM (synthetic)")
    src.add_argument("--sam", help="SAM file (CSV/Excel; rows receive, columns pay)")
    p.add_argument("--spec", help="specification file (TOML/YAML), with --sam")
    p.add_argument("--no-gradient-check", action="store_true",
                   help="skip the implicit vs finite-difference gradient check")
    p.add_argument("--seed", type=int, default=0, help="recorded; the calibration is deterministic")
    p.add_argument("--progress", action="store_true", help="show a progress bar")
    p.add_argument("--out", required=True, help="output folder")
    p.set_defaults(func=_calibrate)


def _calibrate(args: argparse.Namespace) -> int:
    run = CalibrateRun(targets=args.targets, demo=args.demo or not args.sam, sam=args.sam,
                       spec=args.spec, check_gradient=not args.no_gradient_check, seed=args.seed,
                       progress=args.progress)
    run_calibrate(run, args.out)
    return 0
