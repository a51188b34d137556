"""Scenario-sweep throughput: a Python loop vs one ``vmap`` vs sharded over devices, 1 to 8,192
scenarios.

Sweep ``year``: one equilibrium of the demo province (2022) per scenario, a carbon price (0-200
CNY/t) on power and the six energy-intensive industries x the energy-nest elasticity of steel
(0.2-0.9), drawn at random (seed 0); ``trend_path`` with one year.  Sweep ``dynamic`` (``--dynamic``):
the 2022-2030 path of scenario S5 per scenario, final reduction rate x the steel elasticity.

Modes: ``loop`` (one compiled call per scenario; timed on at most 64 scenarios and scaled),
``vmap`` (one device), ``shard`` (``cpjax._distributed.map_batch`` over every device, each device
working through its slice one scenario at a time: ``chunk="auto"`` on CPU) and ``shard-vmap`` (each
device's whole slice in one ``vmap``; skipped on XLA:CPU with jaxlib < 0.12, where it deadlocks, see
docs/calibration.md).  On a CPU the script asks XLA for ``--host-devices`` host devices (default 4)
before JAX starts; on a GPU it uses the visible GPUs.  Compile time (first call minus a timed call)
and compile counts (jax.monitoring) are separate from the run time.

Usage: python benchmarks/cge_sweep.py [--quick] [--dynamic]
(writes benchmarks/results/cge_sweep[_quick].json/.md; ``--quick`` times 1, 64, 1,024 and 8,192
scenarios once each, in a few minutes on a 2-core CPU)
"""

from __future__ import annotations

import argparse
import os
import sys

# compile times are measured: no persistent compilation cache (cpjax turns one on by default)
os.environ.setdefault("CPJAX_COMPILATION_CACHE", "0")

if __name__ == "__main__":  # host devices must be requested before JAX starts
    _ap = argparse.ArgumentParser(add_help=False)
    _ap.add_argument("--host-devices", type=int, default=4)
    _n = _ap.parse_known_args()[0].host_devices
    if "xla_force_host_platform_device_count" not in os.environ.get("XLA_FLAGS", ""):
        os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "")
                                   + f" --xla_force_host_platform_device_count={_n}").strip()

import datetime  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import jax  # noqa: E402
from _common import machine, write  # noqa: E402

from cpjax import cge  # noqa: E402
from cpjax._cache import CompileCount  # noqa: E402

COVERED = ("TPOW", "STEEL", "NFM", "BMAT", "CHEM", "PAPER", "AVIA")


def batch_of(n: int, kind: str, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    sigma = rng.uniform(0.2, 0.9, n)
    if kind == "year":
        return {"carbon_price": rng.uniform(0.0, 200.0, (n, 1)), "sigma.Y.STEEL.E": sigma}
    return {"reduction_end": rng.uniform(0.05, 0.2, n), "sigma.Y.STEEL.E": sigma}


def _take(theta: dict, k: int) -> dict:
    return {key: v[:k] for key, v in theta.items()}


def time_mode(path, theta, mode: str, chunk, repeats: int) -> tuple[dict, dict]:
    n = len(next(iter(theta.values())))
    loop_n = min(n, 64) if mode == "loop" else n
    th = _take(theta, loop_n)
    with CompileCount() as cc:
        t0 = time.perf_counter()
        cge.path_sweep(path, th, mode=mode, chunk=chunk)  # compile + first run
        first = time.perf_counter() - t0
    compiles = cc.compiles
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        out, status = cge.path_sweep(path, th, mode=mode, chunk=chunk)
        times.append(time.perf_counter() - t0)
    med = statistics.median(times) * n / loop_n
    return {"median_s": med, "timed_on": loop_n, "compile_s": max(first - med * loop_n / n, 0.0),
            "compiles": compiles, "converged": int(np.sum(np.all(np.asarray(status) == 0, axis=-1))),
            "scen_per_s": n / med}, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="one timed run per size")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--dynamic", action="store_true", help="also the 9-year S5 path (1, 4, 64 scenarios)")
    ap.add_argument("--host-devices", type=int, default=4, help="CPU host devices (set before JAX starts)")
    ap.add_argument("--sizes", default="1,64,1024,8192")
    args = ap.parse_args()
    model = cge.load_demo()
    on_cpu = jax.devices()[0].platform == "cpu"
    ver = tuple(int(x) for x in jax.__version__.split(".")[:2])
    modes = [("loop", None), ("vmap", None), ("shard", "auto")]
    if not on_cpu or ver >= (0, 12):
        modes.append(("shard-vmap", None))
    cases = [("year", int(n)) for n in args.sizes.split(",")]
    if args.dynamic:
        cases += [("dynamic", n) for n in (1, 4, 64)]
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
        reps = 1 if (args.quick or n >= 1024 or kind == "dynamic") else args.repeats
        row: dict = {"sweep": kind, "scenarios": n}
        outs = {}
        for mode, chunk in modes:
            m = "shard" if mode.startswith("shard") else mode
            res, out = time_mode(path, theta, m, chunk, reps)
            row[mode] = res
            outs[mode] = np.asarray(out[key])[:res["timed_on"]]
            print(kind, n, mode, res, flush=True)
        k = min(len(v) for v in outs.values())
        row["max_abs_diff_vs_loop"] = max(float(np.max(np.abs(outs[m][:k] - outs["loop"][:k])))
                                          for m in outs if m != "loop")
        rows.append(row)
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    mach = machine()
    names = [m for m, _ in modes]
    lines = [f"Device: {mach['cpu']}, {mach['cores']} cores, {len(jax.devices())} "
             f"{jax.devices()[0].platform} devices (jax {mach['jax']}, backend {mach['jax_backend']}); "
             f"{stamp}; {'one timed run' if args.quick else f'median of {args.repeats} runs (1 from 1,024 on)'}; "
             "the loop is timed on at most 64 scenarios and scaled; compile excluded.", "",
             "| sweep | scenarios | " + " | ".join(f"{m} s (scen/s)" for m in names)
             + " | best vs loop | compile " + " / ".join(names) + " s (count) | converged | max diff |",
             "|---|---|" + "---|" * len(names) + "---|---|---|---|"]
    for r in rows:
        best = min(names[1:], key=lambda m: r[m]["median_s"])
        cells = " | ".join(f"{r[m]['median_s']:.3f} ({r[m]['scen_per_s']:.0f})" for m in names)
        comp = " / ".join(f"{r[m]['compile_s']:.1f} ({r[m]['compiles']})" for m in names)
        conv = min(r[m]["converged"] * r["scenarios"] // max(r[m]["timed_on"], 1) for m in names[1:])
        lines.append(f"| {r['sweep']} | {r['scenarios']} | {cells} | {best} "
                     f"{r['loop']['median_s'] / r[best]['median_s']:.1f}x | {comp} | {conv}/{r['scenarios']} "
                     f"| {r['max_abs_diff_vs_loop']:.1e} |")
    md = "\n".join(lines) + "\n"
    print(md)
    write("cge_sweep_quick" if args.quick else "cge_sweep",
          {"machine": mach, "date": stamp, "repeats": 1 if args.quick else args.repeats,
           "modes": names, "rows": rows}, md)


if __name__ == "__main__":
    main()
