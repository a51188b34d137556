"""``cpjax calibrate`` as a library function: load, build the path, fit, check, re-solve, write."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

import numpy as np

from .._errors import CpjaxInputError
from .._io import atomic_output_dir, write_config, write_csv_rows, write_json
from ._calib_dynamic import dynamic_path, resolve_dynamic
from ._calib_file import CalibrationTask, load_targets
from ._calib_paths import PathFunction, static_path, trend_path, trend_year_params, with_defaults
from ._calibrate import CalibrationResult, calibrate, gradient_check
from ._load import model_from_options
from ._outputs import scalar_output
from ._params import set_params
from ._solve import evaluate_solution, solve
from ._structure import Model

__all__ = ["CalibrateRun", "run_calibrate", "build_path", "resolve_path", "TARGETS_DIR"]

TARGETS_DIR = Path(__file__).parent / "data" / "targets"


@dataclasses.dataclass(frozen=True)
class CalibrateRun:
    """Settings of one ``cpjax calibrate`` run.

    Attributes:
        targets: targets file (``.toml``/``.json``), or the name of a shipped one
            (``baseline_energy``, ``s5_price_path``, ``trend_emissions``: ``cpjax/cge/data/targets/``).
        demo: use the shipped stylized provincial SAM and specification.
        sam, spec: SAM and specification paths when not ``demo``.
        check_gradient: compare the implicit gradient of the loss with central finite differences
            at the starting values (written to ``gradient_check.csv``).
        seed: recorded (the calibration is deterministic).
        progress: show a progress bar.
    """

    targets: str = ""
    demo: bool = False
    sam: str | None = None
    spec: str | None = None
    check_gradient: bool = True
    seed: int = 0
    progress: bool = False


def _targets_path(name: str) -> Path:
    p = Path(name)
    if p.is_file() or p.suffix:
        return p
    for suffix in (".toml", ".json"):
        if (TARGETS_DIR / f"{name}{suffix}").is_file():
            return TARGETS_DIR / f"{name}{suffix}"
    shipped = sorted(q.stem for q in TARGETS_DIR.glob("*.toml"))
    raise CpjaxInputError(f"targets file {name!r} not found; fix: give a .toml/.json path or one of "
                          f"the shipped names: {', '.join(shipped)}")


def build_path(model: Model, task: CalibrationTask) -> PathFunction:
    """The :class:`PathFunction` a targets file describes (fixed values applied)."""
    outputs = tuple(dict.fromkeys(t.output for t in task.targets))
    if task.path_kind == "static":
        names = [p.name for p in task.parameters] + [n for n, _ in task.fixed]
        path = static_path(model, list(dict.fromkeys(names)), outputs)
    elif task.path_kind == "dynamic":
        path = dynamic_path(model, task.scenario, tuple(range(task.years[0], task.years[1] + 1)),
                            outputs, structural=task.structural)
    else:
        path = trend_path(model, tuple(range(task.years[0], task.years[1] + 1)), outputs,
                          structural=task.structural, covered=task.covered, aeei=task.aeei)
    return with_defaults(path, dict(task.fixed))


def resolve_path(model: Model, task: CalibrationTask, theta: dict[str, Any],
                 path: PathFunction) -> dict[str, list[float]]:
    """Outputs re-solved year by year with :func:`~cpjax.cge.solve` at ``theta`` (independent of
    the calibration's scan: parameters built in NumPy, a fresh solve per year from the benchmark)."""
    full = {**{k: np.asarray(v) for k, v in path.defaults.items()}, **theta}
    if task.path_kind == "dynamic":
        return resolve_dynamic(model, task.scenario, full, path)
    fns = {o: scalar_output(model, o, xp=np) for o in path.outputs}
    out: dict[str, list[float]] = {o: [] for o in path.outputs}
    for k in range(len(path.years)):
        if task.path_kind == "static":
            p = set_params(model, values={n: float(np.asarray(full[n])) for n in path.params})
        else:
            p = trend_year_params(model, full, k, covered=task.covered, structural=task.structural)
        sol = solve(model, p)
        ev = evaluate_solution(model, sol.z, p)
        for o, f in fns.items():
            out[o].append(float(f(ev)))
    return out


def run_calibrate(run: CalibrateRun, out: str | os.PathLike) -> CalibrationResult:
    """Calibrate to a targets file and write calibrated.json, fit.csv, trace.csv,
    gradient_check.csv and config.json into ``out``.

    Raises :class:`~cpjax.CpjaxInputError` on bad input (nothing is written then).
    """
    task = load_targets(_targets_path(run.targets))
    model, sam_path, spec_path = model_from_options(run.demo, run.sam, run.spec)
    path = build_path(model, task)
    from .._progress import progress_bar  # progress=None: a bar when stderr is a terminal

    bar = progress_bar(task.config.max_steps, "calibrate", "step", run.progress)
    try:
        result = calibrate(path, task.targets, task.parameters, task.config,
                           callback=lambda row: (bar.update(1),
                                                 bar.set_postfix(loss=f"{row['loss']:.3g}")))
    finally:
        bar.close()
    grad_rows = (gradient_check(path, task.targets, task.parameters, forward_only=False)
                 if run.check_gradient else [])
    again = resolve_path(model, task, result.params, path)
    fit = []
    for row in result.fit:
        r = dict(row)
        if r["kind"] != "peak":
            r["resolved"] = again[r["output"]][path.years.index(r["year"])]
        else:
            r["resolved"] = path.years[int(np.argmax(again[r["output"]]))]
        fit.append(r)
    with atomic_output_dir(out) as tmp:
        write_json(tmp / "calibrated.json", {
            "parameters": result.params, "loss": result.loss, "converged": result.converged,
            "reason": result.reason, "steps": result.steps, "accepted_steps": result.accepted,
            "wall_s": result.wall_s, "years": list(path.years), "path": path.description,
            "outputs": result.outputs, "resolved_outputs": again, "status": result.status,
            "gradient_check_max_rel_error": max((g["rel_error"] for g in grad_rows), default=None)})
        write_csv_rows(tmp / "fit.csv", fit)
        write_csv_rows(tmp / "trace.csv", result.trace)
        if grad_rows:
            write_csv_rows(tmp / "gradient_check.csv", grad_rows)
        write_config(tmp, run, task=task, sam_file=str(sam_path), spec_file=str(spec_path))
    return result
