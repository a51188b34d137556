"""``cpjax scenarios``: what the command does once parsed (parser: :mod:`cpjax.cli._cge`)."""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

from .._progress import status
from ._cli import check_model_source

__all__ = ["scenarios"]


def scenarios(args: argparse.Namespace) -> int:
    from ._scenarios import load_scenario
    from ._scenarios_run import ScenariosRun, parse_years, run_scenarios_to_dir

    check_model_source(args)
    first, last = parse_years(args.years)
    names = None
    if args.scenarios:
        names = tuple(s.strip() for s in args.scenarios.split(",") if s.strip())
    for path in args.scenario_file:  # strict check of every file before any work
        load_scenario(path)
    progress = True if args.progress else (False if args.quiet else None)
    run = ScenariosRun(demo=args.demo, sam=args.sam, spec=args.spec, first_year=first,
                       last_year=last, drivers=args.drivers, scenarios=names,
                       scenario_files=tuple(args.scenario_file),
                       node_trajectories=args.node_trajectories, panel=args.panel,
                       allow_implausible_drivers=args.allow_implausible_drivers, seed=args.seed,
                       progress=progress)
    status(f"cpjax scenarios: {first}-{last}, {args.drivers} drivers")
    summary = run_scenarios_to_dir(run, args.out)
    args.stages["scenarios_s"] = summary["seconds"]
    if not args.quiet:
        print(f"{len(summary['scenarios'])} scenario(s) {', '.join(summary['scenarios'])}, "
              f"{first}-{last}, every year converged ({summary['seconds']:.1f} s)")
        _print_csv(Path(args.out) / "peaks.csv", "peaks")
    return 0


def _print_csv(path: Path, what: str) -> None:
    """Print a small CSV the command wrote, as an aligned table."""
    if not path.is_file():
        return
    with open(path, newline="") as fh:
        rows = list(csv.reader(fh))
    if not rows:
        return
    def cell(v: str) -> str:
        try:
            return f"{float(v):.4g}"
        except ValueError:
            return v
    rows = [rows[0]] + [[cell(v) for v in r] for r in rows[1:]]
    widths = [max(len(r[i]) for r in rows if i < len(r)) for i in range(len(rows[0]))]
    print(f"{what}:")
    for r in rows:
        print("  " + "  ".join(v.rjust(w) for v, w in zip(r, widths)))
