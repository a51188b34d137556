"""``cpjax node train`` before and after the Neural ODE moved onto the one training engine.

Each run is ``cpjax node train`` in a fresh process (persistent compilation cache off,
``JAX_LOG_COMPILES=1``), once against today's cpjax and once against the commit before the move
(``OLD_COMMIT``: the Neural ODE's own loop, checked out as a git worktree beside the repository),
old and new interleaved so that both see the same machine load. Measured per run: wall time,
XLA compilations (the log's "Finished XLA compilation" lines, one per program), the fit's
compile and train seconds from ``config.json``, the selected epoch, and the test accuracy of the
evaluation fit (``metrics.csv`` row ``ALL``: rmse_z and MAPE averaged over series; thermal MAPE)
so that a faster run is not a worse one.

Data: the demo set (``--demo``), and Shandong thermal, hydro and wind from
``../shared/data/power/provincial_generation_monthly_ytd.csv`` from 2008-01 (skipped with a
message when the shared data is absent); default settings, seeds ``--seeds``.

A second part (``--accuracy-seeds``) compares accuracy over many seeds: ``train_node`` (evaluation
fit only, no baselines) on ``demo_data(seed=0)`` and on Shandong, one process per version (the
compiled program reused across seeds where the version allows), test rmse_z / MAPE and the
validation MSE of the selected epoch per seed.

    python benchmarks/node_engine.py --quick          # demo, seed 0, 5 epochs
    python benchmarks/node_engine.py --seeds 0,1,2,3,4,5 --accuracy-seeds 48
Writes benchmarks/results/node_engine[_quick].{json,md}.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
from _common import describe, machine, write  # noqa: E402

OLD_COMMIT = "8821fb08f3725429cc8a78a074c6ed16244aeff2"  # main before the move (own loop)


def old_checkout() -> Path:
    path = Path(tempfile.gettempdir()) / "cpjax-node-own-loop"
    if not (path / "cpjax").is_dir():
        subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(path),
                        OLD_COMMIT], check=True, capture_output=True)
    return path


def shared_data() -> Path | None:
    base = Path(os.environ.get("CPJAX_SHARED_DATA", REPO.parent / "shared" / "data"))
    f = base / "power" / "provincial_generation_monthly_ytd.csv"
    return f if f.is_file() else None


def run(root: Path, args: list[str], out: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(root), "CPJAX_COMPILATION_CACHE": "0",
           "JAX_LOG_COMPILES": "1"}
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, "-m", "cpjax", "node", "train", *args, "--out",
                        str(out), "--quiet"], env=env, capture_output=True, text=True, cwd=root)
    wall = time.perf_counter() - t0
    if p.returncode:
        raise RuntimeError(f"{args} failed in {root}:\n{p.stderr[-3000:]}")
    cfg = json.loads((out / "config.json").read_text())
    import pandas as pd

    m = pd.read_csv(out / "metrics.csv")
    a = m[m.panel == "ALL"].set_index("method")
    node = m[(m.method == "neural_ode") & (m.series == "thermal")]
    fit, refit = cfg["fit"], cfg.get("refit") or {}
    return {"wall_s": wall, "compiles": len(re.findall("Finished XLA compilation", p.stderr)),
            "fit_compile_s": fit["compile_seconds"], "fit_train_s": fit["train_seconds"],
            "refit_s": refit.get("train_seconds", 0.0) + refit.get("compile_seconds", 0.0),
            "best_epoch": fit["best_epoch"], "epochs_run": fit["epochs_run"],
            "val_mse_z": fit["best_val_mse_z"], "rmse_z": float(a.loc["neural_ode", "rmse_z"]),
            "mape": float(a.loc["neural_ode", "mape"]),
            "thermal_mape": float(node.mape.mean()) if len(node) else float("nan"),
            "baselines": {k: {"rmse_z": float(a.loc[k, "rmse_z"]), "mape": float(a.loc[k, "mape"])}
                          for k in a.index if k != "neural_ode"}}


def accuracy_worker(data: str, seeds: list[int]) -> None:
    """In-process: ``train_node`` per seed (evaluation fit), one JSON line per seed."""
    import dataclasses

    import numpy as np

    from cpjax.node import NodeConfig, demo_data, load_power_generation, train_node

    if data == "demo":
        d = demo_data(seed=0)
    else:
        d = load_power_generation(shared_data()).select(["Shandong"], ["thermal", "hydro", "wind"],
                                                        "the NBS file")
        keep = d.dates >= np.datetime64("2008-01", "M")
        d = dataclasses.replace(d, dates=d.dates[keep], values=d.values[:, keep])
    for s in seeds:
        r = train_node(d, NodeConfig(seed=s, refit=False), baselines=())
        a = r.metrics[r.metrics.panel == "ALL"].set_index("method")
        print(json.dumps({"seed": s, "rmse_z": float(a.loc["neural_ode", "rmse_z"]),
                          "mape": float(a.loc["neural_ode", "mape"]), "val": r.fit.best_val,
                          "best_epoch": r.fit.best_epoch}), flush=True)


def accuracy(versions: dict, data: list[str], n: int) -> list[dict]:
    rows = []
    for name in data:
        for version, root in versions.items():
            env = {**os.environ, "PYTHONPATH": str(root)}
            p = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--worker", name,
                                "--seeds", ",".join(map(str, range(n)))], env=env,
                               capture_output=True, text=True, cwd=root, check=True)
            rows += [{"data": name, "version": version, **json.loads(line)}
                     for line in p.stdout.splitlines() if line.startswith("{")]
    return rows


def _mean_sd(vals: list[float]) -> str:
    import numpy as np

    v = np.asarray(vals, float)
    return f"{v.mean():.4g}" if len(v) < 2 else f"{v.mean():.4g} ± {v.std(ddof=1):.2g}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--skip-old", action="store_true")
    ap.add_argument("--out", help="results folder (default benchmarks/results)")
    ap.add_argument("--accuracy-seeds", type=int, default=0,
                    help="also compare accuracy over seeds 0..N-1 (train_node in one process)")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        accuracy_worker(args.worker, [int(s) for s in args.seeds.split(",")])
        return
    seeds = [0] if args.quick else [int(s) for s in args.seeds.split(",")]
    common = ["--epochs", "5"] if args.quick else []
    data = {"demo": ["--demo"]}
    f = shared_data()
    if f is None:
        print("shared data absent: Shandong skipped", file=sys.stderr)
    elif not args.quick:
        data["shandong"] = ["--data", str(f), "--province", "Shandong", "--series",
                            "thermal,hydro,wind", "--start", "2008-01"]
    versions = {"engine": REPO} | ({} if args.skip_old else {"own loop": old_checkout()})
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, dargs in data.items():
            for seed in seeds:
                for version, root in versions.items():  # interleaved: same load
                    out = Path(tmp) / f"{name}-{seed}-{version.replace(' ', '_')}"
                    r = run(root, [*dargs, *common, "--seed", str(seed)], out)
                    rows.append({"data": name, "seed": seed, "version": version, **r})
                    print(json.dumps({k: v for k, v in rows[-1].items() if k != "baselines"}),
                          flush=True)
    acc = accuracy(versions, list(data), args.accuracy_seeds) if args.accuracy_seeds else []
    m = machine()
    md = ["# `cpjax node train`: own training loop vs the one engine", "",
          f"{describe(m)}. Fresh process per run, persistent compilation cache off; old and new "
          f"runs interleaved. Old: commit {OLD_COMMIT[:7]} (the Neural ODE's own loop). Default "
          f"settings{' (5 epochs)' if args.quick else ''}; seeds {seeds}; mean ± sd over seeds.",
          "", "| data | version | wall s | XLA compilations | fit compile s | fit train s | "
          "refit s | best epoch | val MSE (z) | test rmse_z | test MAPE % | thermal MAPE % |",
          "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for name in data:
        for version in versions:
            sel = [r for r in rows if r["data"] == name and r["version"] == version]
            md.append(f"| {name} | {version} | " + " | ".join(
                _mean_sd([r[k] for r in sel]) for k in (
                    "wall_s", "compiles", "fit_compile_s", "fit_train_s", "refit_s",
                    "best_epoch", "val_mse_z", "rmse_z", "mape", "thermal_mape")) + " |")
        base = next(r for r in rows if r["data"] == name)["baselines"]
        md.append(f"| {name} | baselines | " + ", ".join(
            f"{k} rmse_z {v['rmse_z']:.4g} / MAPE {v['mape']:.4g}" for k, v in base.items())
            + " |" + " |" * 10)
    md += ["", "Per run:", "", "| data | seed | version | wall s | compilations | best epoch | "
           "test rmse_z | test MAPE % |", "|---|---|---|---|---|---|---|---|"]
    md += [f"| {r['data']} | {r['seed']} | {r['version']} | {r['wall_s']:.1f} | {r['compiles']} "
           f"| {r['best_epoch']} | {r['rmse_z']:.4f} | {r['mape']:.3f} |" for r in rows]
    if acc:
        import numpy as np

        md += ["", f"Accuracy over seeds 0..{args.accuracy_seeds - 1} (`train_node`, evaluation "
               "fit, default settings; demo = `demo_data(seed=0)` for every seed); difference "
               "engine - own loop with its standard error:", "",
               "| data | measure | own loop | engine | difference (se) |", "|---|---|---|---|---|"]
        for name in data:
            for k in ("rmse_z", "mape", "val", "best_epoch"):
                a, b = ([r[k] for r in acc if r["data"] == name and r["version"] == v]
                        for v in ("own loop", "engine"))
                if not a or not b:
                    continue
                se = float(np.sqrt(np.var(a, ddof=1) / len(a) + np.var(b, ddof=1) / len(b)))
                md.append(f"| {name} | {k} | {_mean_sd(a)} | {_mean_sd(b)} | "
                          f"{np.mean(b) - np.mean(a):+.4g} ({se:.2g}) |")
    name = "node_engine" + ("_quick" if args.quick else "")
    payload = {"machine": m, "old_commit": OLD_COMMIT, "seeds": seeds, "rows": rows,
               "accuracy": acc}
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        (out / f"{name}.json").write_text(json.dumps(payload, indent=2, default=str) + "\n")
        (out / f"{name}.md").write_text("\n".join(md) + "\n")
    else:
        write(name, payload, "\n".join(md) + "\n")


if __name__ == "__main__":
    main()
