"""Scenario-sweep throughput: a Python loop vs one ``vmap`` vs ``vmap`` sharded over 4 host devices.

Sweeps (policies × elasticities):

* ``year``: one equilibrium of the demo province (2022) per scenario, a carbon price on power and
  the six energy-intensive industries × the energy-nest elasticity of steel
  (``trend_path`` with one year), for 1, 64 and 1024 scenarios;
* ``dynamic`` (full mode): the 2022–2030 recursive-dynamic path of scenario S5 per scenario,
  final reduction rate × the energy-nest elasticity of steel, for 1 and 4 scenarios (1 repeat).

Each mode is compiled once per batch size before timing (compile time reported separately);
times are medians of ``--repeats`` runs; the three modes are checked to give the same numbers.
The 4 "devices" are XLA host-platform devices (``--xla_force_host_platform_device_count=4``) on
the same CPU cores, so sharding can only help when the CPU has idle cores.

Usage: python benchmarks/cge_sweep.py [--quick]   (writes benchmarks/results/cge_sweep[_quick].*)
"""

from __future__ import annotations

import os

if "xla_force_host_platform_device_count" not in os.environ.get("XLA_FLAGS", ""):
    os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") +
                               " --xla_force_host_platform_device_count=4").strip()

import argparse  # noqa: E402
import datetime  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import jax  # noqa: E402
from _common import machine, write  # noqa: E402

from cpjax import cge  # noqa: E402

COVERED = ("TPOW", "STEEL", "NFM", "BMAT", "CHEM", "PAPER", "AVIA")


def batch_of(n: int, kind: str, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    sigma = rng.uniform(0.2, 0.9, n)
    if kind == "year":
        return {"carbon_price": rng.uniform(0.0, 200.0, (n, 1)), "sigma.Y.STEEL.E": sigma}
    return {"reduction_end": rng.uniform(0.05, 0.2, n), "sigma.Y.STEEL.E": sigma}


def time_mode(path, theta, mode, repeats):
    t0 = time.perf_counter()
    out, status = cge.path_sweep(path, theta, mode=mode)  # compile + first run
    first = time.perf_counter() - t0
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        out, status = cge.path_sweep(path, theta, mode=mode)
        times.append(time.perf_counter() - t0)
    med = statistics.median(times)
    return {"median_s": med, "compile_and_first_s": first, "compile_s": max(first - med, 0.0),
            "converged": int(np.sum(np.all(np.asarray(status) == 0, axis=-1)))}, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="1 and 64 scenarios, one-year sweep only")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--shard-max", type=int, default=4,
                    help="largest batch run sharded (XLA:CPU host devices hang above one scenario per "
                         "device on the demo model on the development machine)")
    args = ap.parse_args()
    model = cge.load_demo()
    cases = [("year", n) for n in ((1, 4, 64) if args.quick else (1, 4, 64, 1024))]
    if not args.quick:
        cases += [("dynamic", n) for n in (1, 4)]
    rows = []
    for kind, n in cases:
        if kind == "year":
            path = cge.trend_path(model, years=(2022,), outputs=("emissions_mt.total",),
                                  structural=("sigma.Y.STEEL.E",), covered=COVERED)
            key = "emissions_mt.total"
        else:
            path = cge.dynamic_path(model, "S5", outputs=("carbon_price", "emissions_mt"),
                                    structural=("sigma.Y.STEEL.E",))
            key = "carbon_price"
        theta = batch_of(n, kind)
        res, outs = {}, {}
        for mode in ("loop", "vmap", "shard"):
            if mode == "shard" and n > args.shard_max:
                # XLA:CPU with 4 forced host devices hangs (all threads idle) on the demo model when a
                # device gets several scenarios; see docs/calibration.md
                res[mode] = {"median_s": float("nan"), "compile_and_first_s": float("nan"),
                             "compile_s": float("nan"), "converged": -1}
                continue
            reps = args.repeats if n < 1024 and kind == "year" else 1
            res[mode], outs[mode] = time_mode(path, theta, mode, reps)
            print(kind, n, mode, res[mode], flush=True)
        diff = max(float(np.max(np.abs(outs[m][key] - outs["loop"][key]))) for m in outs if m != "loop")
        rows.append({"sweep": kind, "scenarios": n, **{f"{m}_{k}": v for m in res for k, v in res[m].items()},
                     "max_abs_diff_vs_loop": diff})
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    mach = machine()
    lines = [f"Device: {mach['cpu']}, {mach['cores']} cores, {len(jax.devices())} XLA host devices "
             f"(jax {mach['jax']}, backend {mach['jax_backend']}); {stamp}; median of "
             f"{args.repeats} runs (1 at 1024 and for the dynamic sweep); compile excluded.", "",
             "| sweep | scenarios | loop s (scen/s) | vmap s (scen/s) | sharded x4 s (scen/s) | "
             "vmap speed-up vs loop | sharded speed-up vs vmap | compile loop / vmap / shard s | converged | max diff |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        n = r["scenarios"]
        cell = {m: (f"{r[f'{m}_median_s']:.3f} ({n / r[f'{m}_median_s']:.0f})" if r[f"{m}_converged"] >= 0
                    else "not run (hang)") for m in ("loop", "vmap", "shard")}
        lines.append(
            f"| {r['sweep']} | {n} | {cell['loop']} | {cell['vmap']} | {cell['shard']} | "
            f"{r['loop_median_s'] / r['vmap_median_s']:.2f}x | {r['vmap_median_s'] / r['shard_median_s']:.2f}x | "
            f"{r['loop_compile_s']:.1f} / {r['vmap_compile_s']:.1f} / {r['shard_compile_s']:.1f} | "
            f"{r['vmap_converged']}/{n} | {r['max_abs_diff_vs_loop']:.1e} |")
    md = "\n".join(lines) + "\n"
    print(md)
    write("cge_sweep_quick" if args.quick else "cge_sweep",
          {"machine": mach, "date": stamp, "repeats": args.repeats, "rows": rows}, md)


if __name__ == "__main__":
    main()
