"""CGE solver benchmark: JAX solvers vs ``scipy.optimize.root`` on the same equations, at 15, 45,
135 and 400 sectors; large shocks (globalisation); compile-once gradients vs finite differences.

Every comparison runs side by side in one process on the same equations (the NumPy version of
``cpjax.cge._equations`` for SciPy), same tolerance (max-norm 1e-10 on the scaled residual).
Compile time (first call minus a warm call) and compile counts (``jax.monitoring`` backend-compile
events during the first call) are reported separately from the time per solve (best of repeats,
``block_until_ready``).  Models: the shipped demo (15 sectors) and the demo with every sector split
into perturbed, RAS-balanced copies (``cpjax.cge._generate.generated_model``: 45, 135, 400).

    python benchmarks/cge_solver.py --quick     # 15 and 45 sectors (a few minutes on a CPU)
    python benchmarks/cge_solver.py             # 15, 45, 135, 400 sectors (scipy needs minutes at 400)

``--threads 1`` (default) runs XLA and BLAS single-threaded for both sides: on a shared, loaded CPU
multi-threaded XLA waits on descheduled threads at every synchronisation (a 10 ms solve then
takes 250 ms); ``--threads 0`` leaves the libraries' defaults (use it on an idle machine or GPU).

Writes benchmarks/results/cge_solver[_quick].json and .md.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

# compile times are measured: no persistent compilation cache (cpjax turns one on by default)
os.environ.setdefault("CPJAX_COMPILATION_CACHE", "0")

if __name__ == "__main__":  # thread counts must be set before JAX and NumPy start
    _ap = argparse.ArgumentParser(add_help=False)
    _ap.add_argument("--threads", type=int, default=1)
    THREADS = _ap.parse_known_args()[0].threads
    if THREADS > 0:
        os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " --xla_cpu_multi_thread_eigen=false"
                                   f" intra_op_parallelism_threads={THREADS}").strip()
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[var] = str(THREADS)

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import scipy.optimize  # noqa: E402
from _common import machine, write  # noqa: E402

from cpjax import cge  # noqa: E402
from cpjax._cache import CompileCount  # noqa: E402
from cpjax.cge._equations import backend, residual  # noqa: E402
from cpjax.cge._generate import generated_model  # noqa: E402
from cpjax.cge._solve import _compiled, as_jax_params  # noqa: E402

TOL = 1e-10
SHOCK = {"supply.LAB": 1.05, "supply.CAP": 0.97}


def model(n: int):
    return cge.load_demo() if n == 15 else generated_model(n)


def jax_solve(m, p, cfg: cge.SolverConfig, repeats: int) -> dict:
    with CompileCount() as cc:
        t = time.perf_counter()
        sol = cge.solve(m, p, cfg, throw=False)
        first = time.perf_counter() - t
    compiles = cc.compiles
    with cge.x64():
        fn = _compiled(m, cfg, batched=False)
        prm, z0 = as_jax_params(p), jnp.asarray(cge.benchmark_guess(m))
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            jax.block_until_ready(fn(prm, z0))
            times.append(time.perf_counter() - t)
    run = min(times)
    return {"time_s": run, "compile_s": max(first - run, 0.0), "compiles": compiles,
            "iterations": int(sol.iterations), "residual": float(sol.residual),
            "status": int(sol.status), "path": int(sol.path), "steps": int(sol.steps),
            "z": np.asarray(sol.z)}


def scipy_solve(m, p, repeats: int = 1) -> dict:
    pn = {k: np.asarray(v, dtype=np.float64) for k, v in p.items()}
    F = lambda z: residual(m.structure, z, pn, backend("numpy"))  # noqa: E731
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        r = scipy.optimize.root(F, cge.benchmark_guess(m), method="hybr", options={"xtol": 1e-13})
        times.append(time.perf_counter() - t)
    dt = min(times)
    res = float(np.max(np.abs(F(r.x))))
    return {"time_s": dt, "nfev": int(r.nfev), "residual": res, "success": bool(r.success and res < 1e-8),
            "z": r.x}


def bench_sizes(sizes: list[int], repeats: int, methods: list[str]) -> list[dict]:
    rows = []
    for n in sizes:
        t = time.perf_counter()
        m = model(n)
        build = time.perf_counter() - t
        p = cge.set_params(m, values=SHOCK)
        row = {"sectors": len(m.sectors), "unknowns": m.structure.n_unknowns, "build_s": build}
        z_newton = None
        for method in methods:
            r = jax_solve(m, p, cge.SolverConfig(method=method, tol=TOL), repeats if n < 400 else 2)
            row[method] = {k: v for k, v in r.items() if k != "z"}
            if method == "newton":
                z_newton = r["z"]
        if n >= 400:
            r = jax_solve(m, p, cge.SolverConfig(tol=TOL, linear_solver="gmres"), 2)
            row["newton_gmres"] = {k: v for k, v in r.items() if k != "z"}
        s = scipy_solve(m, p, 1 if n >= 400 else (3 if n >= 135 else repeats))
        row["scipy_hybr"] = {k: v for k, v in s.items() if k != "z"}
        row["max_abs_diff_scipy_vs_newton"] = float(np.max(np.abs(s["z"] - z_newton)))
        row["speedup_newton_vs_scipy"] = s["time_s"] / row["newton"]["time_s"]
        rows.append(row)
        print(json.dumps(row), flush=True)
    return rows


def bench_shocks(repeats: int) -> list[dict]:
    m = cge.load_demo()
    tfp = {f"tfp.{s}": 5.0 for s in m.sectors}
    tax = {f"tax.{s}": 2.0 for s in m.sectors}
    shocks = {"labour x3": {"supply.LAB": 3.0}, "labour x5": {"supply.LAB": 5.0},
              "labour x10": {"supply.LAB": 10.0}, "all TFP x5": tfp, "production taxes 200%": tax}
    rows = []
    for name, vals in shocks.items():
        p = cge.set_params(m, values=vals)
        direct = jax_solve(m, p, cge.SolverConfig(tol=TOL, homotopy=False), 1)
        full = jax_solve(m, p, cge.SolverConfig(tol=TOL), repeats)
        s = scipy_solve(m, p)
        row = {"shock": name, "direct_status": direct["status"], "status": full["status"],
               "path": "homotopy" if full["path"] else "direct", "homotopy_steps": full["steps"],
               "iterations": full["iterations"], "time_s": full["time_s"],
               "scipy_success": s["success"], "scipy_time_s": s["time_s"],
               "max_abs_diff_vs_scipy": float(np.max(np.abs(s["z"] - full["z"]))) if s["success"] else None}
        rows.append(row)
        print(json.dumps(row), flush=True)
    return rows


def bench_gradient() -> dict:
    m = cge.load_demo()
    names = [f"tax.{s}" for s in m.sectors] + sorted(n for n in m.param_index if n.startswith("tariff."))
    output = "emissions_mt.total"
    with CompileCount() as cc:
        t = time.perf_counter()
        cge.implicit_gradient(m, output, names)
        first = time.perf_counter() - t
    first_compiles = cc.compiles
    t = time.perf_counter()
    _, g = cge.implicit_gradient(m, output, names)
    imp = time.perf_counter() - t
    # another output and another parameter list: no compilation
    with CompileCount() as cc:
        t = time.perf_counter()
        cge.implicit_gradient(m, "welfare_ev.HOH", ["tfp.STEEL", "supply.LAB", "sigma.Y.COAL.E"])
        second = time.perf_counter() - t
    second_compiles = cc.compiles + cc.cache_hits
    cge.finite_difference_gradient(m, output, names[:1])  # compile the solve
    t = time.perf_counter()
    fd = cge.finite_difference_gradient(m, output, names)
    fd_time = time.perf_counter() - t
    rel = max(abs(g[n] - fd[n]) / max(abs(fd[n]), 1e-8) for n in names)
    out = {"output": output, "parameters": len(names), "first_call_s": first,
           "first_call_compiles": first_compiles, "implicit_s": imp,
           "other_output_and_parameters_s": second, "other_output_and_parameters_compiles": second_compiles,
           "finite_diff_s": fd_time, "ratio_fd_over_implicit": fd_time / imp, "max_rel_diff": rel}
    print(json.dumps(out), flush=True)
    return out


def markdown(res: dict) -> str:
    mach = res["machine"]
    lines = [f"# CGE solver benchmark ({'quick' if res['quick'] else 'full'})", "",
             f"Device: {mach['cpu']}, {mach['cores']} cores (jax {mach['jax']}, backend "
             f"{mach['jax_backend']}); {res['date']}; CPU threads for XLA and BLAS: "
             f"{res['threads'] or 'library default'}; tolerance max-norm {TOL:g}; shock {SHOCK}; "
             "time per solve = best of repeats (5; 3 for scipy at 135 sectors, 2 and 1 at 400), "
             "compile reported separately.", "",
             "| sectors | unknowns | Newton (JAX) | " + " | ".join(res["methods"][1:])
             + " | scipy hybr (NumPy) | scipy / Newton | compile Newton (count) | max diff |",
             "|---|---|---|" + "---|" * (len(res["methods"]) - 1) + "---|---|---|---|"]
    f = lambda d: f"{d['time_s'] * 1e3:.1f} ms ({d['iterations']} it)"  # noqa: E731
    for r in res["sizes"]:
        extra = " | ".join(f(r[m]) for m in res["methods"][1:])
        lines.append(f"| {r['sectors']} | {r['unknowns']} | {f(r['newton'])} | {extra} | "
                     f"{r['scipy_hybr']['time_s'] * 1e3:.0f} ms ({r['scipy_hybr']['nfev']} F) | "
                     f"**{r['speedup_newton_vs_scipy']:.1f}x** | {r['newton']['compile_s']:.1f} s "
                     f"({r['newton']['compiles']}) | {r['max_abs_diff_scipy_vs_newton']:.1e} |")
    for r in res["sizes"]:
        if "newton_gmres" in r:
            lines.append(f"\nAt {r['sectors']} sectors, Newton with lineax GMRES (matrix-free, "
                         f"preconditioned by the last LU): {f(r['newton_gmres'])}.")
    lines += ["", "Large shocks on the demo (15 sectors, 68 unknowns):", "",
              "| shock | globalised Newton alone | with homotopy | path (steps) | iterations | time | "
              "scipy hybr | max diff vs scipy |", "|---|---|---|---|---|---|---|---|"]
    for r in res["shocks"]:
        d = r["max_abs_diff_vs_scipy"]
        lines.append(f"| {r['shock']} | status {r['direct_status']} | status {r['status']} | "
                     f"{r['path']} ({r['homotopy_steps']}) | {r['iterations']} | {r['time_s'] * 1e3:.1f} ms | "
                     f"{'converged' if r['scipy_success'] else 'failed'} ({r['scipy_time_s'] * 1e3:.0f} ms) | "
                     f"{'' if d is None else f'{d:.1e}'} |")
    g = res["gradient"]
    lines += ["", f"Gradient of {g['output']} w.r.t. {g['parameters']} tax and tariff rates (demo): "
              f"first call {g['first_call_s']:.1f} s ({g['first_call_compiles']} compilations), then "
              f"{g['implicit_s'] * 1e3:.1f} ms; another output (welfare_ev.HOH) and parameter list: "
              f"{g['other_output_and_parameters_s'] * 1e3:.1f} ms with "
              f"{g['other_output_and_parameters_compiles']} compilations; central finite differences "
              f"{g['finite_diff_s'] * 1e3:.0f} ms ({g['ratio_fd_over_implicit']:.0f}x the implicit "
              f"gradient), max relative difference {g['max_rel_diff']:.1e}."]
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="15 and 45 sectors")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1,
                    help="CPU threads for XLA and BLAS (0: library defaults); 1 keeps timings stable "
                         "on a shared, loaded machine")
    args = ap.parse_args()
    sizes = [15, 45] if args.quick else [15, 45, 135, 400]
    methods = ["newton", "dogleg", "fixed_point"]
    res = {"quick": args.quick, "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
           "machine": machine(), "methods": methods, "tolerance": TOL, "shock": SHOCK,
           "threads": args.threads, "xla_flags": os.environ.get("XLA_FLAGS", "")}
    res["sizes"] = bench_sizes(sizes, args.repeats, methods)
    res["shocks"] = bench_shocks(args.repeats)
    res["gradient"] = bench_gradient()
    md = markdown(res)
    write("cge_solver_quick" if args.quick else "cge_solver", res, md)
    print(md)


if __name__ == "__main__":
    main()
