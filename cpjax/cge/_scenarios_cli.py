"""``cpjax scenarios``: a thin wrapper over :func:`cpjax.cge.run_scenarios_to_dir`."""

from __future__ import annotations

import argparse

from ._scenarios_run import ScenariosRun, parse_years, run_scenarios_to_dir

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "scenarios", help="emissions-trading scenarios S1-S5 along the 2022-2030 dynamic CGE path")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--demo", action="store_true",
                     help="stylized 2022 coal-province SAM (synthetic) and its specification")
    src.add_argument("--sam", help="SAM file (CSV/Excel), with --spec (needs an [energy] table)")
    p.add_argument("--spec", help="specification file (TOML/YAML), with --sam")
    p.add_argument("--years", default="2022-2030", help="FIRST-LAST (the SAM is the first year)")
    p.add_argument("--drivers", choices=["trend", "node"], default="trend",
                   help="exogenous drivers: smooth trends or Neural ODE trajectories")
    p.add_argument("--scenarios", default=None,
                   help="comma-separated shipped scenarios (default S1,S2,S3,S4,S5)")
    p.add_argument("--scenario-file", action="append", default=[], metavar="PATH",
                   help="a scenario TOML of your own (repeatable; see cpjax/cge/data/scenarios)")
    p.add_argument("--node-trajectories", default=None, metavar="PATH",
                   help="trajectories.csv of `cpjax node generate` (for --drivers node)")
    p.add_argument("--panel", default=None, help="panel (province) of the trajectories")
    p.add_argument("--allow-implausible-drivers", action="store_true",
                   help="run --drivers node on paths outside their plausibility bounds "
                        "(or never checked); refused by default")
    p.add_argument("--seed", type=int, default=0, help="accepted for uniformity")
    p.add_argument("--progress", action="store_true", help="accepted for uniformity")
    p.add_argument("--out", required=True, help="output folder")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    first, last = parse_years(args.years)
    names = None
    if args.scenarios:
        names = tuple(s.strip() for s in args.scenarios.split(",") if s.strip())
    run = ScenariosRun(demo=args.demo, sam=args.sam, spec=args.spec, first_year=first,
                       last_year=last, drivers=args.drivers, scenarios=names,
                       scenario_files=tuple(args.scenario_file),
                       node_trajectories=args.node_trajectories, panel=args.panel,
                       allow_implausible_drivers=args.allow_implausible_drivers, seed=args.seed,
                       progress=args.progress)
    run_scenarios_to_dir(run, args.out)
    return 0
