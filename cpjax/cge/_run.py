"""``cpjax cge solve`` as a library function: load, set parameters, solve, check, write."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

from .._errors import CpjaxInputError
from .._io import atomic_output_dir, write_config, write_csv_rows, write_json
from ._checks import run_checks
from ._load import demo_paths, load_demo, load_model
from ._params import set_params
from ._report import solution_dict, summary_rows
from ._solve import SolverConfig, solve

__all__ = ["SolveRun", "run_solve", "parse_sets"]


@dataclasses.dataclass(frozen=True)
class SolveRun:
    """Settings of one ``cpjax cge solve`` run.

    Attributes:
        demo: use the shipped stylized provincial SAM and specification.
        sam, spec: SAM (CSV/Excel) and specification (TOML/YAML) paths when not ``demo``.
        sets: parameter changes ``(("tfp.STEEL", 1.05), ...)`` (names: docs/cge.md).
        balance: ``None`` or ``"ras"`` (balance the SAM first).
        solver: solver settings.
        seed: unused by the deterministic solve; recorded for reproducibility of the CLI contract.
    """

    demo: bool = False
    sam: str | None = None
    spec: str | None = None
    sets: tuple[tuple[str, float], ...] = ()
    balance: str | None = None
    solver: SolverConfig = SolverConfig()
    seed: int = 0


def parse_sets(items: list[str] | None) -> tuple[tuple[str, float], ...]:
    """Parse ``NAME=VALUE`` strings (``--set``)."""
    out = []
    for item in items or []:
        if "=" not in item:
            raise CpjaxInputError(f"--set {item!r}: expected NAME=VALUE, e.g. --set tfp.STEEL=1.05")
        name, value = item.split("=", 1)
        try:
            out.append((name.strip(), float(value)))
        except ValueError as err:
            raise CpjaxInputError(f"--set {item!r}: {value!r} is not a number") from err
    return tuple(out)


def run_solve(run: SolveRun, out: str | os.PathLike) -> dict[str, Any]:
    """Solve one counterfactual and write solution.json, summary.csv, checks.json, config.json.

    Returns the checks.  Raises :class:`~cpjax.CpjaxInputError` on bad input or when the
    equilibrium is not reached (nothing is written then).
    """
    if run.demo:
        sam_path, spec_path = demo_paths()
    else:
        if not run.sam or not run.spec:
            raise CpjaxInputError("give --demo, or both --sam PATH and --spec PATH")
        sam_path, spec_path = Path(run.sam), Path(run.spec)
    model = (load_demo() if run.demo and run.balance is None
             else load_model(sam_path, spec_path, balance=run.balance))
    params = set_params(model, values=dict(run.sets))
    sol = solve(model, params, run.solver, throw=True)
    checks = run_checks(model, params, run.solver, sol=sol)
    values = solution_dict(model, sol, params)
    rows = summary_rows(model, values)
    with atomic_output_dir(out) as tmp:
        write_json(tmp / "solution.json", {
            "model": model.name, "status": "converged", "iterations": int(sol.iterations),
            "residual": float(sol.residual), "path": "homotopy" if int(sol.path) else "direct",
            "homotopy_steps": int(sol.steps), "variables": values})
        write_csv_rows(tmp / "summary.csv", rows)
        if "_balance_report" in model.spec:
            checks["balance"] = model.spec["_balance_report"]
        write_json(tmp / "checks.json", checks)
        write_config(tmp, run, sam_file=str(sam_path), spec_file=str(spec_path))
    return checks
