"""Calibration wall time: implicit gradients vs central finite differences, same optimizer.

Both runs use :func:`cpjax.cge.calibrate` with the same L-BFGS step control, tolerances and start;
only ``CalibrationConfig.gradient`` differs (``implicit``: one reverse pass through every year's
equilibrium; ``finite_difference``: two forward paths per parameter entry).  Problems:

* ``baseline`` (quick and full): S1 (dynamic path 2022–2030) TFP growth so that energy use is
  272 Mtce in 2030 (1 parameter) — the shipped ``baseline_energy.toml``;
* ``s5_price`` (full): S5 reduction path (start, end) through 99.12 CNY/t in 2025 and
  183.54 CNY/t in 2030 (2 parameters) — the shipped ``s5_price_path.toml``;
* ``s5_price_path9`` (full): S5 per-year reduction (linear path + 9 yearly deviations, 11
  parameters) so that the price follows a straight line from 60 (2022) to 184 CNY/t (2030).

Compilation is excluded: each variant's compiled functions are warmed up before timing (one
``calibrate`` call with ``max_steps=1``).  The gradient at the start is checked against central
differences as well.

Usage: python benchmarks/cge_calibration.py [--quick]
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import os
import sys
import time
from pathlib import Path

# compile times are measured: no persistent compilation cache (cpjax turns one on by default)
os.environ.setdefault("CPJAX_COMPILATION_CACHE", "0")

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import machine, write  # noqa: E402

from cpjax import cge  # noqa: E402
from cpjax.cge._calib_run import TARGETS_DIR, build_path  # noqa: E402


def problems(model, quick: bool):
    out = []
    for name in ("baseline_energy",) + (() if quick else ("s5_price_path",)):
        task = cge.load_targets(TARGETS_DIR / f"{name}.toml")
        out.append((name, build_path(model, task), task.targets, task.parameters, task.config))
    if not quick:
        task = cge.load_targets(TARGETS_DIR / "s5_price_path.toml")
        path = build_path(model, task)
        years = path.years
        line = np.linspace(60.0, 184.0, len(years))
        targets = tuple(cge.Target("carbon_price", float(v), year=y) for y, v in zip(years, line))
        params = task.parameters + (cge.Parameter("reduction_extra", 0.0, lower=-0.2, upper=0.2),)
        out.append(("s5_price_path9", path, targets, params, task.config))
    return out


def run(path, targets, params, cfg):
    cge.calibrate(path, targets, params, dataclasses.replace(cfg, max_steps=1))  # warm-up
    t0 = time.perf_counter()
    res = cge.calibrate(path, targets, params, cfg)
    return time.perf_counter() - t0, res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    model = cge.load_demo()
    rows = []
    for name, path, targets, params, cfg in problems(model, args.quick):
        t_imp, r_imp = run(path, targets, params, cfg)
        cfg_fd = dataclasses.replace(cfg, gradient="finite_difference")
        t_fd, r_fd = run(path, targets, params, cfg_fd)
        gc = cge.gradient_check(path, targets, params, forward_only=True)
        n_par = len(gc)
        row = {"problem": name, "parameters": n_par, "implicit_s": t_imp, "fd_s": t_fd,
               "ratio_fd_over_implicit": t_fd / t_imp,
               "implicit_steps": r_imp.steps, "fd_steps": r_fd.steps,
               "implicit_loss": r_imp.loss, "fd_loss": r_fd.loss,
               "implicit_reason": r_imp.reason, "fd_reason": r_fd.reason,
               "grad_implicit_s": gc[0]["implicit_s"], "grad_fd_s": gc[0]["finite_difference_s"],
               "grad_max_rel_error": max(g["rel_error"] for g in gc),
               "max_param_diff": max(float(np.max(np.abs(np.asarray(r_imp.params[k]) - np.asarray(r_fd.params[k]))))
                                     for k in r_imp.params)}
        print(row, flush=True)
        rows.append(row)
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    mach = machine()
    lines = [f"Device: {mach['cpu']}, {mach['cores']} cores (jax {mach['jax']}, backend "
             f"{mach['jax_backend']}); {stamp}; compile excluded (warm-up run first); one timed run each.",
             "", "| problem | parameters | implicit: wall s (steps, final loss) | finite differences: wall s "
             "(steps, final loss) | FD / implicit | one gradient: implicit s / FD s | gradient max rel. error |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['problem']} | {r['parameters']} | {r['implicit_s']:.1f} ({r['implicit_steps']}, "
                     f"{r['implicit_loss']:.1e}) | {r['fd_s']:.1f} ({r['fd_steps']}, {r['fd_loss']:.1e}) | "
                     f"{r['ratio_fd_over_implicit']:.2f}x | {r['grad_implicit_s']:.3f} / {r['grad_fd_s']:.3f} | "
                     f"{r['grad_max_rel_error']:.1e} |")
    md = "\n".join(lines) + "\n"
    print(md)
    write("cge_calibration_quick" if args.quick else "cge_calibration",
          {"machine": mach, "date": stamp, "rows": rows}, md)


if __name__ == "__main__":
    main()
