"""``cpjax cge solve``: what the command does once parsed (parser: :mod:`cpjax.cli._cge`)."""

from __future__ import annotations

import argparse

from .._errors import CpjaxInputError
from .._progress import status

__all__ = ["check_model_source", "solve"]


def check_model_source(args: argparse.Namespace) -> None:
    """``--spec`` goes with ``--sam``."""
    if args.sam and not args.spec:
        raise CpjaxInputError("--sam needs --spec PATH (the model specification); fix: give "
                              "--demo, or both --sam PATH and --spec PATH")
    if args.spec and not args.sam:
        raise CpjaxInputError("--spec goes with --sam PATH; fix: give --demo, or both --sam PATH "
                              "and --spec PATH")


def solve(args: argparse.Namespace) -> int:
    from ._run import SolveRun, parse_sets, run_solve
    from ._solve import SolverConfig

    check_model_source(args)
    run = SolveRun(demo=args.demo, sam=args.sam, spec=args.spec, sets=parse_sets(args.sets),
                   balance=args.balance, seed=args.seed,
                   solver=SolverConfig(method=args.method, tol=args.tol, max_steps=args.max_steps,
                                       damping=args.damping, linear_solver=args.linear_solver,
                                       homotopy=not args.no_homotopy,
                                       homotopy_steps=args.homotopy_steps))
    status(f"cpjax cge solve: {'demo SAM' if args.demo else args.sam}, "
           f"{len(run.sets)} parameter change(s), {args.method}")
    checks = run_solve(run, args.out)
    if not args.quiet:
        print("equilibrium: converged; checks:")
        for k, v in checks.items():
            if isinstance(v, bool | int | float | str):
                print(f"  {k}: {v:.3g}" if isinstance(v, float) else f"  {k}: {v}")
    return 0
