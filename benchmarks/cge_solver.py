"""CGE solver benchmark: JAX solvers vs scipy.optimize.root, implicit vs finite-difference gradients,
vmap vs a Python loop over scenarios.

Every comparison runs side by side in one process on the same equations (the NumPy version of
``cpjax.cge._equations`` for SciPy), same tolerance (max-norm 1e-10 on the scaled residual),
compile time reported separately, median of repeats.

    python benchmarks/cge_solver.py --quick     # CI-sized: 15 and 45 sectors, 1 and 64 scenarios
    python benchmarks/cge_solver.py             # full: 15, 45, 135 sectors; 1, 64, 1024 scenarios

Writes benchmarks/results/cge_solver[_quick].json and .md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import scipy.optimize  # noqa: E402

from cpjax import cge  # noqa: E402
from cpjax.cge._equations import backend, residual  # noqa: E402
from cpjax.cge._generate import split_sectors  # noqa: E402
from cpjax.cge._solve import _compiled, as_jax_params  # noqa: E402

TOL = 1e-10
SHOCK = {"supply.LAB": 1.05, "supply.CAP": 0.97}


def median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def numpy_residual(m, p):
    """The same equations in NumPy (``cpjax.cge._equations`` with the NumPy backend)."""
    st, be = m.structure, backend("numpy")
    prm = {k: np.asarray(v, dtype=np.float64) for k, v in p.items()}
    return lambda z: residual(st, z, prm, be)


def models(quick: bool):
    sam, spec = cge.load_sam(cge.demo_paths()[0]), cge.load_spec(cge.demo_paths()[1])
    out = [("demo x1", cge.load_demo())]
    for k in (3,) if quick else (3, 9):
        s2, sp2 = split_sectors(sam, spec, k, seed=0)
        out.append((f"demo x{k}", cge.build_model(s2, sp2)))
    return out


def bench_solvers(quick: bool) -> list[dict]:
    rows = []
    repeats = 3 if quick else 5
    for label, m in models(quick):
        p = cge.set_params(m, values=SHOCK)
        row = {"model": label, "sectors": len(m.sectors), "unknowns": m.structure.n_unknowns}
        for method in ("newton", "optimistix", "fixed_point"):
            cfg = cge.SolverConfig(method=method, tol=TOL)
            t0 = time.perf_counter()
            sol = cge.solve(m, p, cfg)
            first = time.perf_counter() - t0
            with cge.x64():
                fn = _compiled(m, cfg, batched=False)
                prm = as_jax_params(p)
                z0 = jnp.asarray(cge.benchmark_guess(m))
                run = median_time(lambda fn=fn, prm=prm, z0=z0: jax.block_until_ready(fn(prm, z0)),
                                  repeats)
            row[method] = {"time_s": run, "compile_s": max(first - run, 0.0),
                           "iterations": int(sol.iterations), "residual": float(sol.residual)}
        F = numpy_residual(m, p)
        z0 = cge.benchmark_guess(m)
        res: dict = {}
        run = median_time(lambda F=F, z0=z0, res=res: res.update(r=scipy.optimize.root(
            F, z0, method="hybr", options={"xtol": 1e-13})), 1 if len(m.sectors) > 100 else repeats)
        r = res["r"]
        row["scipy_hybr"] = {"time_s": run, "iterations": int(r.nfev),
                             "residual": float(np.max(np.abs(F(r.x)))), "success": bool(r.success)}
        ref = np.asarray(cge.solve(m, p, cge.SolverConfig(tol=TOL)).z)
        row["max_abs_diff_scipy_vs_newton"] = float(np.max(np.abs(r.x - ref)))
        rows.append(row)
        print(json.dumps(row), flush=True)
    return rows


def bench_gradient(quick: bool) -> dict:
    m = cge.load_demo()
    names = [f"tax.{s}" for s in m.sectors] + sorted(n for n in m.param_index if n.startswith("tariff."))
    output = "emissions_mt.total"
    cge.implicit_gradient(m, output, names)  # compile
    imp = median_time(lambda: cge.implicit_gradient(m, output, names), 3)
    _, g = cge.implicit_gradient(m, output, names)
    cge.finite_difference_gradient(m, output, names[:1])  # compile the solve
    t = time.perf_counter()
    fd = cge.finite_difference_gradient(m, output, names)
    fd_time = time.perf_counter() - t
    rel = max(abs(g[n] - fd[n]) / max(abs(fd[n]), 1e-8) for n in names)
    out = {"output": output, "parameters": len(names), "implicit_s": imp, "finite_diff_s": fd_time,
           "ratio_fd_over_implicit": fd_time / imp, "max_rel_diff": rel}
    print(json.dumps(out), flush=True)
    return out


def bench_vmap(quick: bool) -> list[dict]:
    m = cge.load_demo()
    rng = np.random.default_rng(0)
    rows = []
    for n in (1, 64) if quick else (1, 64, 1024):
        draws = [cge.set_params(m, values={"supply.LAB": float(a), "tax.COAL": float(b)})
                 for a, b in zip(rng.uniform(0.95, 1.05, n), rng.uniform(0.0, 0.1, n))]
        batch = cge.stack_params(draws)
        sols = cge.solve_batch(m, batch)  # compile
        vm = median_time(lambda batch=batch: jax.block_until_ready(cge.solve_batch(m, batch).z), 3)
        cge.solve(m, draws[0])
        k = min(n, 64)  # the loop is timed on up to 64 scenarios and scaled
        t = time.perf_counter()
        for d in draws[:k]:
            cge.solve(m, d)
        loop = (time.perf_counter() - t) * n / k
        row = {"scenarios": n, "vmap_s": vm, "loop_s": loop, "loop_timed_on": k,
               "vmap_per_s": n / vm, "loop_per_s": n / loop, "speedup": loop / vm,
               "converged": int(np.sum(np.asarray(sols.status) == 0))}
        rows.append(row)
        print(json.dumps(row), flush=True)
    return rows


def markdown(res: dict) -> str:
    lines = [f"# CGE solver benchmark ({'quick' if res['quick'] else 'full'})", "",
             f"Device: {res['device']}; {res['date']}; tolerance max-norm {TOL:g}; "
             f"shock {SHOCK}.", "",
             "| model | sectors | unknowns | Newton (JAX) | optimistix Newton | fixed point (chord) "
             "| scipy hybr (NumPy) | scipy time / Newton, / fixed point | compile Newton / optx / fp |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in res["solvers"]:
        f = lambda d: f"{d['time_s'] * 1e3:.2f} ms ({d['iterations']} it)"  # noqa: E731
        lines.append(
            f"| {r['model']} | {r['sectors']} | {r['unknowns']} | {f(r['newton'])} | {f(r['optimistix'])} "
            f"| {f(r['fixed_point'])} | {r['scipy_hybr']['time_s'] * 1e3:.1f} ms "
            f"({r['scipy_hybr']['iterations']} F evals) | {r['scipy_hybr']['time_s'] / r['newton']['time_s']:.2f}x / {r['scipy_hybr']['time_s'] / r['fixed_point']['time_s']:.2f}x "
            f"| {r['newton']['compile_s']:.1f} / {r['optimistix']['compile_s']:.1f} / "
            f"{r['fixed_point']['compile_s']:.1f} s |")
    g = res["gradient"]
    lines += ["", f"Gradient of {g['output']} w.r.t. {g['parameters']} tax and tariff rates (demo): "
              f"implicit {g['implicit_s'] * 1e3:.1f} ms, central finite differences "
              f"{g['finite_diff_s'] * 1e3:.0f} ms ({g['ratio_fd_over_implicit']:.0f}x), "
              f"max relative difference {g['max_rel_diff']:.1e}.", "",
              "| scenarios | vmap (s) | loop (s) | vmap scen/s | loop scen/s | speedup | converged |",
              "|---|---|---|---|---|---|---|"]
    for r in res["vmap"]:
        lines.append(f"| {r['scenarios']} | {r['vmap_s']:.3f} | {r['loop_s']:.3f} | "
                     f"{r['vmap_per_s']:.0f} | {r['loop_per_s']:.0f} | {r['speedup']:.1f}x | "
                     f"{r['converged']}/{r['scenarios']} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    res = {"quick": args.quick, "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
           "device": f"{platform.processor() or platform.machine()} CPU, {os.cpu_count()} cores "
                     f"(jax {jax.__version__}, backend {jax.default_backend()})"}
    res["solvers"] = bench_solvers(args.quick)
    res["gradient"] = bench_gradient(args.quick)
    res["vmap"] = bench_vmap(args.quick)
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    stem = "cge_solver_quick" if args.quick else "cge_solver"
    (out / f"{stem}.json").write_text(json.dumps(res, indent=2) + "\n")
    (out / f"{stem}.md").write_text(markdown(res))
    print(markdown(res))


if __name__ == "__main__":
    main()
