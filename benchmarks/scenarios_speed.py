"""Speed of the dynamic emissions-trading CGE: scenarios S1–S5 over 2022–2030.

Measures, side by side in one process on the demo model (15 sectors, 84 unknowns per year with
the trading block), trend drivers:

* compile time of the jitted path function (first call minus a compiled call), separately;
* wall time of the five scenarios plus the no-ETS reference path (6 paths x 9 yearly
  equilibria) after compilation: a Python loop of the compiled path (what ``run_scenarios`` and
  ``cpjax scenarios`` do) and one ``vmap`` over S1–S5 (references run first);
* the gradient of S5's 2030 carbon price with respect to its 9 reduction rates: implicit
  (``jax.grad`` through the scan, one linear solve per year and Newton step) vs central finite
  differences (18 path solves), with their largest relative difference.

Median of repeats; device named. Target (issue 8): the five scenarios in under a minute.

    python benchmarks/scenarios_speed.py --quick   # 3 repeats
    python benchmarks/scenarios_speed.py           # 7 repeats
Writes benchmarks/results/scenarios_speed[_quick].json and .md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

# compile times are measured: no persistent compilation cache (cpjax turns one on by default)
os.environ.setdefault("CPJAX_COMPILATION_CACHE", "0")

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
from _common import machine, write  # noqa: E402

from cpjax import cge  # noqa: E402


def block(tree):
    return jax.block_until_ready(tree)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    reps = 3 if args.quick else 7
    model = cge.load_demo()
    scen = cge.demo_scenarios()
    with cge.x64():
        drivers = cge.trend_drivers()
        d = cge.as_float64(cge.Drivers(*drivers)._replace(years=np.zeros(9)))
        params = cge.as_float64(cge.dynamic_params(model))
        fn = cge.compiled_path(model)
        bau = cge.as_float64(cge.no_policy(model, 9))

        def loop():
            ref = block(fn(params, d, bau))
            outs = []
            for s in scen:
                pol = cge.as_float64(cge.scenario_policy(model, s, 9, ref))
                outs.append(block(fn(params, d, pol)))
            return ref, outs

        t0 = time.perf_counter()
        ref, outs = loop()
        first = time.perf_counter() - t0
        times = []
        for _ in range(reps):
            t0 = time.perf_counter()
            loop()
            times.append(time.perf_counter() - t0)
        loop_s = statistics.median(times)
        iters = int(sum(int(np.sum(o["iterations"])) for o in [ref, *outs]))
        converged = all(bool(np.all(np.asarray(o["status"]) == 0)) for o in [ref, *outs])

        # vmap over S1-S5 (their reference is the no-ETS path)
        fb = cge.compiled_path(model, batched=True)
        pols = [cge.as_float64(cge.scenario_policy(model, s, 9, ref)) for s in scen]
        stacked = jax.tree_util.tree_map(lambda *x: jnp.stack(x), *pols)
        t0 = time.perf_counter()
        block(fb(params, d, stacked))
        vfirst = time.perf_counter() - t0
        vt = []
        for _ in range(reps):
            t0 = time.perf_counter()
            block(fn(params, d, bau))
            block(fb(params, d, stacked))
            vt.append(time.perf_counter() - t0)
        vmap_s = statistics.median(vt)

        # gradient of S5's 2030 price w.r.t. its reduction path: implicit vs finite differences
        f = cge.make_path(model)
        p5 = pols[-1]

        def price(r):
            return f(params, d._replace(years=None), p5._replace(reduction=r))["carbon_price"][-1]

        g = jax.jit(jax.grad(price))
        pj = jax.jit(price)
        t0 = time.perf_counter()
        block(g(p5.reduction))
        g_first = time.perf_counter() - t0
        block(pj(p5.reduction))
        gt, ft = [], []
        for _ in range(reps):
            t0 = time.perf_counter()
            grad = np.asarray(block(g(p5.reduction)))
            gt.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            fd = np.zeros(9)
            for i in range(9):
                h = 1e-6
                e = jnp.zeros(9).at[i].set(h)
                fd[i] = (float(pj(p5.reduction + e)) - float(pj(p5.reduction - e))) / (2 * h)
            ft.append(time.perf_counter() - t0)
        rel = float(np.max(np.abs(grad - fd) / np.maximum(np.abs(fd), 1e-8)))

    mach = machine()
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    payload = {
        "when": when, "machine": mach, "repeats": reps, "model": "demo (15 sectors)",
        "paths": 6, "years": 9, "newton_iterations_total": iters, "converged": converged,
        "loop_seconds_median": loop_s, "loop_all_seconds": times,
        "first_call_seconds": first, "compile_seconds_estimate": first - loop_s,
        "vmap_seconds_median": vmap_s, "vmap_first_call_seconds": vfirst,
        "vmap_compile_seconds_estimate": vfirst - vmap_s / 2,
        "gradient": {"implicit_seconds_median": statistics.median(gt),
                     "finite_difference_seconds_median": statistics.median(ft),
                     "first_call_seconds": g_first, "max_relative_difference": rel,
                     "grad": grad.tolist(), "fd": fd.tolist()},
    }
    md = [f"Device: {mach['cpu']}, {mach['cores']} cores (jax {mach['jax']}, backend "
          f"{mach['jax_backend']}); {when}; median of {reps} repeats; demo model (15 sectors, 84 "
          "unknowns per year), trend drivers, 2022–2030.", "",
          "| what | time after compilation | compile (first call − run) |", "|---|---|---|",
          f"| S1–S5 + no-ETS reference, loop of the compiled path (6 x 9 equilibria, "
          f"{iters} Newton steps) | {loop_s:.3f} s | {first - loop_s:.1f} s |",
          f"| same, S1–S5 as one vmap batch | {vmap_s:.3f} s | {vfirst - vmap_s / 2:.1f} s |",
          f"| gradient of S5 2030 price w.r.t. 9 reduction rates, implicit | "
          f"{statistics.median(gt) * 1e3:.1f} ms | {g_first:.1f} s (first call) |",
          f"| same, central finite differences (18 paths) | {statistics.median(ft) * 1e3:.1f} ms | — |",
          "", f"All converged: {converged}. Implicit vs finite-difference gradient: max relative "
          f"difference {rel:.1e}. Target (five scenarios over nine years in under a minute after "
          f"compilation): {'met' if loop_s < 60 else 'NOT met'}."]
    name = "scenarios_speed_quick" if args.quick else "scenarios_speed"
    write(name, payload, "\n".join(md) + "\n")
    print("\n".join(md))


if __name__ == "__main__":
    main()
