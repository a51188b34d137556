"""Choose the Neural ODE's default formulation on held-back months (never the test period).

Data: Shandong thermal/hydro/wind, monthly TWh from ../shared/data/power/
provincial_generation_monthly_ytd.csv (NBS via energyandcleanair/china_co2, GPL-3.0),
2008-01..2019-11 only: the test period of the README experiment (2019-12..2021-12) is never read.
Two origins, each split 70/15/15 in time:

* A: months 2008-01..2021-12 cut at 2019-11 for fitting: train 2008-01..2017-10, validation
  2017-11..2019-11 (the split of `cpjax node train`; its test months are not used);
* B: months 2008-01..2019-11: train 2008-01..2016-04, validation 2016-05..2018-01.

For every candidate (state x decay x variant) and seed the script trains on the training part
(early stopping on the validation part) and records
  * the validation-period multi-step forecast error in original units of that evaluation fit
    (rmse_z: RMSE over the training standard deviation of the levels, averaged over series;
    thermal MAPE);
  * whether the 10-year rollout, from the last month of the cut, of the model that generation
    would use passes cpjax.node.check_plausibility (bounds from the months up to there).
Variants: plain (NodeConfig as is), refit (refit=True: the generation model is fit again on
every month of the cut for the selected number of epochs; same evaluation fit as plain), and
with --plausible-epochs also plausible_epochs (plausible_years=10: only epochs whose 10-year
rollout from the end of validation is plausible can be selected).
The chosen default is the candidate with the lowest mean validation rmse_z among those whose
rollouts are all plausible.

    python scripts/node_select.py [--seeds 0,1] [--quick] [--out benchmarks/results]
Writes node_select.json / node_select.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import machine  # noqa: E402
from cpjax._paths import shared_data_dir  # noqa: E402
from cpjax.node import (  # noqa: E402
    NodeConfig,
    NodeData,
    forecast_levels,
    generate_trajectories,
    load_power_generation,
    train_node,
)


def cut(d: NodeData, first: str, last: str) -> NodeData:
    keep = (d.dates >= np.datetime64(first, "M")) & (d.dates <= np.datetime64(last, "M"))
    return dataclasses.replace(d, dates=d.dates[keep], values=d.values[:, keep])


def score(res, model) -> dict:
    prep = res.prepared
    clean, n_tr, n_val = prep.data, prep.n_train, prep.n_val
    pred = forecast_levels(res.eval_model, prep, n_tr - 1, n_val)
    truth = clean.values[:, n_tr:n_tr + n_val]
    std = np.std(clean.values[:, :n_tr], axis=1)
    rmse = np.sqrt(np.mean((pred - truth) ** 2, axis=1))
    s = clean.series.index("thermal")
    mape = 100 * np.mean(np.abs(pred[0, :, s] - truth[0, :, s]) / truth[0, :, s])
    # 10-year rollout of the model that generation would use (refit or not) from the last
    # month of the cut, bounds from the months up to there
    last = model.dates[-1]
    traj = generate_trajectories(model, str(last + np.timedelta64(120, "M")))
    ann = traj.values[0, 1:121].reshape(10, 12, -1).sum(axis=1)
    return {"val_rmse_z": float(np.mean(rmse / std)), "val_thermal_mape": float(mape),
            "plausible": traj.status == "plausible",
            "violations": [v["message"] for v in traj.plausibility["violations"][:3]],
            "rollout_thermal_twh_year10": float(ann[-1, s]),
            "best_epoch": res.fit.best_epoch, "epochs_run": res.fit.epochs_run,
            "selected_epoch_plausible": res.fit.accepted}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", default="0,1")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--plausible-epochs", action="store_true",
                    help="also try plausible_years=10 (plausibility-aware epoch selection)")
    ap.add_argument("--out", default="benchmarks/results")
    args = ap.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    path = shared_data_dir() / "power" / "provincial_generation_monthly_ytd.csv"
    full = load_power_generation(path, provinces=["Shandong"], sources=["thermal", "hydro", "wind"])
    origins = {}
    for name, last, n_train in (("A", "2019-11", 118), ("B", "2018-11", 106)):
        d = cut(full, "2008-01", last)
        T = len(d.dates)
        origins[f"{name} (val to {d.dates[n_train + 22]})"] = (d, n_train / T, 23 / T)
    variants = ["plain", "refit"] + (["plausible_epochs"] if args.plausible_epochs else [])
    grid = list(itertools.product(("level", "log", "growth"), (0.0, 1.0), variants))
    epochs = 40 if args.quick else 200
    rows = []
    t_all = time.perf_counter()
    for state, decay in itertools.product(("level", "log", "growth"), (0.0, 1.0)):
        for oname, (data, tf, vf) in origins.items():
            for seed in seeds:
                base = NodeConfig()
                cfg = dataclasses.replace(
                    base, state=state, decay=decay, refit=True, seed=seed, epochs=epochs,
                    preprocess=dataclasses.replace(base.preprocess, train_frac=tf, val_frac=vf))
                fits = [("plain", "refit", cfg)]
                if args.plausible_epochs:
                    fits.append(("plausible_epochs", None,
                                 dataclasses.replace(cfg, refit=False, plausible_years=10)))
                for plain, refit, c in fits:
                    t0 = time.perf_counter()
                    res = train_node(data, c, baselines=())
                    secs = time.perf_counter() - t0
                    pairs = [(plain, res.eval_model)] + ([(refit, res.model)] if refit else [])
                    for variant, model in pairs:
                        r = score(res, model)
                        r.update(state=state, decay=decay, variant=variant, origin=oname,
                                 seed=seed, seconds=secs,
                                 train_end=res.prepared.report["train_end"],
                                 val_end=res.prepared.report["val_end"])
                        rows.append(r)
                        print(json.dumps({k: r[k] for k in (
                            "state", "decay", "variant", "origin", "seed", "val_rmse_z",
                            "val_thermal_mape", "plausible", "rollout_thermal_twh_year10",
                            "best_epoch", "violations")}), flush=True)
    summary = []
    for state, decay, variant in grid:
        rs = [r for r in rows if (r["state"], r["decay"], r["variant"]) == (state, decay, variant)]
        summary.append({"state": state, "decay": decay, "variant": variant,
                        "val_rmse_z": float(np.mean([r["val_rmse_z"] for r in rs])),
                        "val_thermal_mape": float(np.mean([r["val_thermal_mape"] for r in rs])),
                        "plausible_share": float(np.mean([r["plausible"] for r in rs])),
                        "rollout_thermal_twh_year10": float(np.median(
                            [r["rollout_thermal_twh_year10"] for r in rs]))})
    ok = [s for s in summary if s["plausible_share"] == 1.0]
    chosen = min(ok or summary, key=lambda s: s["val_rmse_z"])
    out = {"data": str(path), "months_used": "2008-01..2019-11", "seeds": seeds,
           "epochs": epochs, "machine": machine(), "rows": rows, "summary": summary,
           "chosen": chosen, "chosen_among_plausible": bool(ok),
           "seconds": time.perf_counter() - t_all}
    md = [f"Data: {path} (Shandong thermal/hydro/wind, 2008-01..2019-11 only), seeds {seeds}, "
          f"≤ {epochs} epochs, patience 20. Validation = held-back months of two origins "
          "(A: 2017-11..2019-09, B: 2016-11..2018-09); the test period 2019-12..2021-12 is never "
          "read. plausible = share of 10-year rollouts from the end of validation that pass "
          "check_plausibility (bounds from the months up to there). Device: "
          f"{out['machine'].get('cpu', 'CPU')}, shared.", "",
          "| state | decay | variant | val rmse_z | val thermal MAPE % | plausible | "
          "thermal TWh, year 10 (median) |", "|---|---|---|---|---|---|---|"]
    for s in summary:
        md.append(f"| {s['state']} | {s['decay']:g} | {s['variant']} | "
                  f"{s['val_rmse_z']:.3f} | {s['val_thermal_mape']:.2f} | "
                  f"{s['plausible_share']:.2f} | {s['rollout_thermal_twh_year10']:.0f} |")
    md += ["", f"Chosen: state={chosen['state']}, decay={chosen['decay']:g}, "
           f"variant={chosen['variant']}"
           + ("" if ok else " (no candidate was plausible on every rollout)"), ""]
    o = Path(args.out)
    o.mkdir(parents=True, exist_ok=True)
    tag = "_quick" if args.quick else ""
    (o / f"node_select{tag}.json").write_text(json.dumps(out, indent=2, default=float) + "\n")
    (o / f"node_select{tag}.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))


if __name__ == "__main__":
    main()
