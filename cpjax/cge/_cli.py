"""``cpjax cge solve``: a thin wrapper over :func:`cpjax.cge.run_solve`."""

from __future__ import annotations

import argparse

from ._run import SolveRun, parse_sets, run_solve
from ._solve import LINEAR_SOLVERS, METHODS, SolverConfig


def register(subparsers: argparse._SubParsersAction) -> None:
    cge = subparsers.add_parser("cge", help="computable general equilibrium (SAM-based)")
    sub = cge.add_subparsers(dest="cge_command", metavar="COMMAND")
    sub.required = True
    p = sub.add_parser("solve", help="solve a counterfactual equilibrium and run the model checks")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--demo", action="store_true", help="stylized 2022 coal-province SAM (synthetic)")
    src.add_argument("--sam", help="SAM file (CSV/Excel; rows receive, columns pay)")
    p.add_argument("--spec", help="specification file (TOML/YAML), with --sam")
    p.add_argument("--set", dest="sets", action="append", metavar="NAME=VALUE",
                   help="change a parameter, e.g. tfp.STEEL=1.05, tariff.CHEM=0, supply.LAB=1.1")
    p.add_argument("--method", choices=list(METHODS), default="newton",
                   help="newton (line search), dogleg, levenberg_marquardt, optimistix (plain Newton) "
                        "or fixed_point")
    p.add_argument("--linear-solver", choices=list(LINEAR_SOLVERS), default="auto",
                   help="Newton's linear systems: dense LU, GMRES, or auto (LU up to 3,000 unknowns)")
    p.add_argument("--no-homotopy", action="store_true",
                   help="do not walk from the benchmark when the direct solve fails")
    p.add_argument("--homotopy-steps", type=int, default=100, help="most homotopy steps tried")
    p.add_argument("--tol", type=float, default=1e-11, help="max-norm residual tolerance")
    p.add_argument("--max-steps", type=int, default=None)
    p.add_argument("--damping", type=float, default=1.0, help="fixed-point step length (0, 1]")
    p.add_argument("--balance", choices=["ras"], default=None, help="balance the SAM first")
    p.add_argument("--seed", type=int, default=0, help="recorded; the solve is deterministic")
    p.add_argument("--progress", action="store_true", help="accepted for uniformity (the solve is short)")
    p.add_argument("--out", required=True, help="output folder")
    p.set_defaults(func=_solve)


def _solve(args: argparse.Namespace) -> int:
    run = SolveRun(demo=args.demo, sam=args.sam, spec=args.spec, sets=parse_sets(args.sets),
                   balance=args.balance, seed=args.seed,
                   solver=SolverConfig(method=args.method, tol=args.tol, max_steps=args.max_steps,
                                       damping=args.damping, linear_solver=args.linear_solver,
                                       homotopy=not args.no_homotopy,
                                       homotopy_steps=args.homotopy_steps))
    run_solve(run, args.out)
    return 0
