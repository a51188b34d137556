"""The research harness before and after the one-program training engine (issue 15).

Each workload runs in a fresh process against today's cpjax on one CPU device, against today's
cpjax with one CPU lane per core (``CPJAX_CPU_DEVICES=auto``: independent trainings side by
side, one per host device, bitwise the same results), and against the commit tagged
``engine-v1`` (the engine that compiled a new program for every fit), checked out as a
git worktree beside the repository.  Measured: wall time, number of XLA compilations and their
total time, and accuracy (so that a faster run is not a worse one).

Workloads (``--quick``: the demo market, 3 origins, 2 seeds, 4 epochs):
- ``backtest_lstm``: 12 monthly origins x 5 seeds of the residual LSTM on Guangdong close
  (OHLCV inputs, lookback 10, AdamW, 30 epochs, patience 10), with persistence;
- ``backtest_combined``: the same with the combined model (ASPP-EMA-LSTM, Sophia, XGBoost
  refiner on out-of-fold networks);
- ``ablation``: seed 000's ablation rows on Guangdong (PCC-selected inputs), 5 seeds;
- ``cpjax forecast --demo`` in a cold process (empty persistent compilation cache) and in a
  warm one (the cache filled by the first).

    python benchmarks/harness_speed.py --quick
    python benchmarks/harness_speed.py [--workloads backtest_lstm,ablation] [--skip-old]
        [--no-lanes] [--no-demo] [--name harness_speed_ablation]
Writes benchmarks/results/harness_speed[_quick].{json,md} (or ``--name``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
from _common import describe, machine, write  # noqa: E402

OLD_TAG = "engine-v1"
WORKLOADS = ("backtest_lstm", "backtest_combined", "ablation")


def old_checkout() -> Path:
    path = Path(tempfile.gettempdir()) / f"cpjax-{OLD_TAG}"
    if not (path / "cpjax").is_dir():
        subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(path), OLD_TAG],
                       check=True, capture_output=True)
    _backport_fixes(path)
    return path


def _backport_fixes(path: Path) -> None:
    """Bug fixes made after ``engine-v1`` that the workloads need, applied to the old checkout
    so that both engines run the same job (the engine itself is untouched):
    a statistical peer in a refined comparison runs without the refiner."""
    p = path / "cpjax" / "forecast" / "_compare.py"
    s = p.read_text()
    line = '        d["refiner"] = None\n'
    anchor = '        d["model_params"] = {"residual": True} if choice.residual else {}\n'
    if line not in s and anchor in s:
        p.write_text(s.replace(anchor, anchor + line, 1))


def run_workload(root: Path, workload: str, quick: bool, timeout: int,
                 extra_env: dict | None = None) -> dict:
    env = {**os.environ, "PYTHONPATH": str(root), "CPJAX_COMPILATION_CACHE": "0",
           "PYTHONUNBUFFERED": "1", **(extra_env or {})}
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, str(HERE / "_harness_worker.py"), workload,
                        "quick" if quick else "full"], env=env, capture_output=True, text=True,
                       timeout=timeout, cwd=str(root))
    if p.returncode != 0:
        return {"workload": workload, "error": p.stderr[-2000:],
                "process_s": time.perf_counter() - t0}
    out = json.loads(p.stdout.strip().splitlines()[-1])
    out["process_s"] = time.perf_counter() - t0
    return out


def forecast_demo(root: Path) -> dict:
    """``cpjax forecast --demo`` twice with one fresh compilation cache: cold, then warm."""
    cache = tempfile.mkdtemp(prefix="cpjax-cache-")
    env = {**os.environ, "PYTHONPATH": str(root), "JAX_COMPILATION_CACHE_DIR": cache}
    env.pop("CPJAX_COMPILATION_CACHE", None)
    times = []
    for _ in range(2):
        out = tempfile.mkdtemp(prefix="cpjax-demo-")
        t0 = time.perf_counter()
        p = subprocess.run([sys.executable, "-m", "cpjax", "forecast", "--demo", "--out",
                            os.path.join(out, "run")], env=env, capture_output=True, text=True,
                           cwd=str(root))
        times.append(time.perf_counter() - t0)
        if p.returncode != 0:
            return {"error": p.stderr[-2000:]}
    return {"cold_s": times[0], "warm_s": times[1], "cold_over_warm": times[0] / times[1]}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--workloads", default=",".join(WORKLOADS))
    ap.add_argument("--skip-old", action="store_true", help="time today's engine only")
    ap.add_argument("--timeout", type=int, default=7200)
    ap.add_argument("--no-lanes", action="store_true",
                    help="skip today's engine with one CPU lane per core (CPJAX_CPU_DEVICES=auto)")
    ap.add_argument("--no-demo", action="store_true", help="skip the forecast --demo pair")
    ap.add_argument("--name", help="results file name (default harness_speed[_quick])")
    args = ap.parse_args()
    # today's engine on one CPU device, then with one CPU lane per core (same results)
    engines = {"new": (REPO, {"CPJAX_CPU_DEVICES": "1"})}
    if not args.no_lanes:
        engines["new, CPU lanes"] = (REPO, {"CPJAX_CPU_DEVICES": "auto"})
    if not args.skip_old:
        engines["old"] = (old_checkout(), {})
    rows = []
    for w in args.workloads.split(","):
        for name, (root, extra) in engines.items():
            r = run_workload(root, w, args.quick, args.timeout, extra)
            r["engine"] = name
            rows.append(r)
            print(json.dumps(r), flush=True)
    roots = {"new": REPO, **({"old": engines["old"][0]} if "old" in engines else {})}
    demo = {} if args.no_demo else {name: forecast_demo(root) for name, root in roots.items()}
    print(json.dumps(demo), flush=True)
    m = machine()
    result = {"machine": m, "quick": args.quick, "old_tag": OLD_TAG, "rows": rows, "forecast_demo": demo}
    md = ["# Research harness: one compiled program per architecture vs a program per fit", "",
          f"Device: {describe(m)}. Old engine: git tag `{OLD_TAG}`. Each workload in a fresh "
          "process, persistent compilation cache off (except the forecast --demo cold/warm pair).",
          "", "| workload | engine | wall, s | XLA compilations | compile time, s | accuracy |",
          "|---|---|---:|---:|---:|---|"]
    for r in rows:
        if "error" in r:
            md.append(f"| {r['workload']} | {r['engine']} | failed | | | |")
            continue
        acc = ", ".join(f"{k} {v:.4f}" for k, v in r["accuracy"].items())
        md.append(f"| {r['workload']} | {r['engine']} | {r['wall_s']:.1f} | {r['compiles']} | "
                  f"{r['compile_s']:.1f} | {acc} |")
    md.append("")
    for w in args.workloads.split(","):
        got = {r["engine"]: r for r in rows if r["workload"] == w and "error" not in r}
        for name in [e for e in got if e != "old"]:
            if "old" in got:
                md.append(f"- {w}: old / {name} wall time = "
                          f"{got['old']['wall_s'] / got[name]['wall_s']:.2f}x")
        if "new" in got and "new, CPU lanes" in got:
            same = got["new"]["accuracy"] == got["new, CPU lanes"]["accuracy"]
            md.append(f"- {w}: CPU lanes {got['new']['wall_s'] / got['new, CPU lanes']['wall_s']:.2f}x "
                      f"faster than one device; accuracy {'identical' if same else 'DIFFERENT'}")
    for name, d in demo.items():
        if "error" not in d:
            md.append(f"- `cpjax forecast --demo` ({name}): cold {d['cold_s']:.1f} s, warm "
                      f"{d['warm_s']:.1f} s, cold / warm {d['cold_over_warm']:.2f}x")
    write(args.name or ("harness_speed" + ("_quick" if args.quick else "")), result,
          "\n".join(md) + "\n")
    print("\n".join(md))


if __name__ == "__main__":
    main()
