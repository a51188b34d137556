"""Neural ODE vs persistence, seasonal-naive and SARIMA on real provincial generation data.

Data: ../shared/data/power/provincial_generation_monthly_ytd.csv (NBS via energyandcleanair/
china_co2, GPL-3.0), YTD converted to monthly TWh (cpjax.node.load_power_generation).

    python scripts/node_power_experiment.py --out benchmarks/results [--quick] [--seeds 0,1,2]
        [--state level|log|growth] [--decay K] [--refit] [--tag NAME]

Writes node_power[_TAG].json and .md into --out. Experiments:
  shandong: Shandong, series thermal, hydro, wind, solar (solar is > 50 % missing and dropped);
  all:      all 31 provinces at once (shared vector field, vmap over provinces), thermal, hydro, wind.
Both use months from --start (default 2008-01) to 2021-12, split 70/15/15 in time; every method
forecasts the whole test period from the last validation month (multi-step, no test data used).
Preprocessing is the default of cpjax.node (seasonal-spike outliers: the published 2019-11 value
of Shandong thermal is kept). With --refit the generation model is fit again on every month and
the Shandong experiment also reports its 2022..2030 path from 2021-12 and its plausibility.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import machine  # noqa: E402
from cpjax._paths import shared_data_dir  # noqa: E402
from cpjax.node import NodeConfig, generate_trajectories, load_power_generation, train_node  # noqa: E402


def path_2030(res) -> dict:
    """The generation model's path from the last observed month to 2030-12: annual totals of
    the first panel and the plausibility status."""
    traj = generate_trajectories(res.model, "2030-12")
    t = traj.to_frame()
    t["year"] = t["date"].str[:4].astype(int)
    first = t[(t.panel == traj.panels[0]) & (t.year >= 2022)]
    return {"annual_twh": {s: {int(y): float(v) for y, v in first.groupby("year")[s].sum().items()}
                           for s in traj.series},
            "status": traj.status,
            "violations": [v["message"] for v in traj.plausibility["violations"][:5]]}


def run(name, data, cfg, seeds, baselines):
    rows, fits = [], []
    for i, seed in enumerate(seeds):
        t0 = time.perf_counter()
        res = train_node(data, dataclasses.replace(cfg, seed=seed),
                         baselines=baselines if i == 0 else ())
        m = res.metrics
        fits.append({"seed": seed, "best_epoch": res.fit.best_epoch,
                     "best_step": res.fit.best_step, "epochs_run": res.fit.epochs_run,
                     "stopped_early": res.fit.stopped_early,
                     "path_2030": path_2030(res) if len(data.panels) == 1 else None,
                     "compile_s": res.fit.compile_seconds, "train_s": res.fit.train_seconds,
                     "wall_s": time.perf_counter() - t0})
        rows.append(m.assign(seed=seed))
        prep = res.prepared
    import pandas as pd

    allm = pd.concat(rows, ignore_index=True)
    per = allm[allm.panel != "ALL"]
    node = per[per.method == "neural_ode"]
    base = per[(per.method != "neural_ode") & (per.seed == seeds[0])]
    summary = []
    for method, grp in [("neural_ode", node)] + list(base.groupby("method", sort=False)):
        by_seed = grp.groupby("seed")[["rmse_z", "mape"]].mean()
        summary.append({"method": method, "rmse_z": float(by_seed.rmse_z.mean()),
                        "rmse_z_std": float(by_seed.rmse_z.std(ddof=0)),
                        "mape": float(by_seed.mape.mean()),
                        "mape_std": float(by_seed.mape.std(ddof=0)), "n_seeds": len(by_seed)})
    series_table = (per.groupby(["series", "method"], sort=False)[["rmse", "mape", "rmse_z"]]
                    .mean().reset_index().to_dict("records"))
    return {"experiment": name, "panels": list(prep.data.panels), "series": list(prep.data.series),
            "date_range": [str(data.dates[0]), str(data.dates[-1])], "split": prep.report,
            "summary": summary, "by_series": series_table, "fits": fits,
            "config": dataclasses.asdict(cfg)}


def to_md(results, device):
    lines = [f"Device: {device}. Test-period multi-step forecasts from the last validation "
             "month; rmse_z = RMSE in training standard deviations (averaged over panel-series), "
             "MAPE in % (averaged); Neural ODE mean ± std over seeds.", ""]
    for r in results:
        s = r["split"]
        lines += [f"**{r['experiment']}** — panels: {len(r['panels'])} "
                  f"({', '.join(r['panels'][:4])}{', ...' if len(r['panels']) > 4 else ''}), "
                  f"series: {', '.join(r['series'])}; data {r['date_range'][0]}..{r['date_range'][1]}; "
                  f"train to {s['train_end']}, validation to {s['val_end']}, test "
                  f"{s['n_test']} months to {s['test_end']}; dropped: {s['dropped_series'] or 'none'}; "
                  f"masked panel-series: {len(s['masked_panel_series'])}; "
                  f"seeds {[f['seed'] for f in r['fits']]}", "",
                  "| method | rmse_z | MAPE % |", "|---|---|---|"]
        for m in r["summary"]:
            sd = (f" ± {m['rmse_z_std']:.3f}", f" ± {m['mape_std']:.2f}") if m["n_seeds"] > 1 else ("", "")
            lines.append(f"| {m['method']} | {m['rmse_z']:.3f}{sd[0]} | {m['mape']:.2f}{sd[1]} |")
        lines += ["", "| series | method | RMSE (TWh/month) | MAPE % |", "|---|---|---|---|"]
        for row in r["by_series"]:
            lines.append(f"| {row['series']} | {row['method']} | {row['rmse']:.3f} | "
                         f"{row['mape']:.2f} |")
        fs = r["fits"]
        lines += ["", "Training: " + "; ".join(
            f"seed {f['seed']}: best epoch {f['best_epoch']} (step {f['best_step']}), compile "
            f"{f['compile_s']:.1f} s, train {f['train_s']:.1f} s" for f in fs), ""]
        for f in fs:
            pth = f.get("path_2030")
            if pth:
                th = pth["annual_twh"].get("thermal", {})
                lines.append(f"seed {f['seed']} path from {r['date_range'][1]}: thermal "
                             + ", ".join(f"{y} {v:.0f}" for y, v in th.items() if y in
                                         (2022, 2025, 2030))
                             + f" TWh; status {pth['status']}"
                             + (f" ({pth['violations'][0]})" if pth["violations"] else ""))
        lines.append("")
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="benchmarks/results")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--seeds", default="0")
    ap.add_argument("--start", default="2008-01")
    ap.add_argument("--only", default="shandong,all")
    ap.add_argument("--state", default=NodeConfig().state)
    ap.add_argument("--decay", type=float, default=NodeConfig().decay)
    ap.add_argument("--refit", action=argparse.BooleanOptionalAction, default=NodeConfig().refit)
    ap.add_argument("--tag", default="")
    args = ap.parse_args()
    root = shared_data_dir()
    if root is None:
        raise SystemExit("../shared/data not found; set CPJAX_SHARED_DATA")
    path = root / "power" / "provincial_generation_monthly_ytd.csv"
    seeds = [int(s) for s in args.seeds.split(",")]
    full = load_power_generation(path)
    keep = full.dates >= np.datetime64(args.start, "M")
    full = dataclasses.replace(full, dates=full.dates[keep], values=full.values[:, keep])
    cfg = dataclasses.replace(NodeConfig(), epochs=20 if args.quick else 200, state=args.state,
                              decay=args.decay, refit=args.refit)
    results = []
    if "shandong" in args.only:
        d = full.select(["Shandong"], ["thermal", "hydro", "wind", "solar"])
        results.append(run("Shandong (coal province)", d, cfg, seeds,
                           ("persistence", "seasonal_naive", "arima")))
    if "all" in args.only:
        d = full.select(None, ["thermal", "hydro", "wind"])
        results.append(run("All 31 provinces at once", d, cfg, seeds,
                           ("persistence", "seasonal_naive", "arima")))
    m = machine()
    device = f"{m['cpu']}, {m['cores']} cores shared with other jobs, jax {m['jax']} ({m['jax_backend']})"
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    tag = (f"_{args.tag}" if args.tag else "") + ("_quick" if args.quick else "")
    (out / f"node_power{tag}.json").write_text(json.dumps(
        {"data": str(path), "device": device, "machine": m, "results": results}, indent=2, default=str) + "\n")
    (out / f"node_power{tag}.md").write_text(to_md(results, device))
    print(to_md(results, device))


if __name__ == "__main__":
    main()
