"""Neural ODE-driven vs trend ("traditional CGE") drivers for 2022..2030 (seed 001's comparison).

Trains the Neural ODE on Shandong thermal/hydro/wind (monthly TWh, 2008-01..2021-12, 70/15/15),
then
  1. fit to held-out years: annual mean thermal generation in the test years (2020, 2021) from the
     Neural ODE's multi-step test forecast vs a log-linear trend fit on 2012..2019 annual means;
  2. paths 2022..2030: generates monthly trajectories from the last observed month (2021-12) and
     maps them with cpjax.cge.map_to_drivers; the trend counterpart maps
     cpjax.node.trend_trajectory (fit on 2014..2021) through the same mapping; the Neural ODE
     paths' plausibility record (cpjax.node.check_plausibility) is reported;
  3. year-on-year volatility: standard deviation over 2022..2030 of each driver's growth.

    python scripts/node_drivers.py [--epochs 200] [--out benchmarks/results]
Writes node_drivers.json / node_drivers.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

import jax.numpy as jnp
import numpy as np

from cpjax._paths import shared_data_dir
from cpjax.cge import DriverSpec, map_to_drivers
from cpjax.node import (
    NodeConfig,
    generate_trajectories,
    load_power_generation,
    train_node,
    trend_trajectory,
)


def cal(dates):
    d = np.asarray(dates, dtype="datetime64[M]").astype(int)  # months since 1970-01
    return 1970.0 + d / 12.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=NodeConfig().epochs)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="benchmarks/results")
    args = ap.parse_args()
    path = shared_data_dir() / "power" / "provincial_generation_monthly_ytd.csv"
    d = load_power_generation(path, provinces=["Shandong"], sources=["thermal", "hydro", "wind"])
    keep = d.dates >= np.datetime64("2008-01", "M")
    d = dataclasses.replace(d, dates=d.dates[keep], values=d.values[:, keep])
    res = train_node(d, dataclasses.replace(NodeConfig(), epochs=args.epochs, seed=args.seed),
                     baselines=())
    prep = res.prepared
    clean, n_fit = prep.data, prep.n_train + prep.n_val
    t_all = cal(clean.dates)
    # 1. held-out years
    test_t = t_all[n_fit:]
    held = {}
    s = clean.series.index("thermal")
    for year in (2020, 2021):
        sel = np.floor(test_t + 1e-6) == year
        obs = clean.values[0, n_fit:][sel, s].mean()
        node = res.forecasts["neural_ode"][0][sel, s].mean()
        hist_t, hist_x = t_all[:n_fit], clean.values[0, :n_fit]
        trend = trend_trajectory(hist_t[hist_t < 2020], hist_x[hist_t < 2020],
                           np.array([year + 0.5]))[0, s]
        held[year] = {"observed": obs, "neural_ode": node, "trend": trend,
                      "err_node_pct": 100 * (node / obs - 1), "err_trend_pct": 100 * (trend / obs - 1)}
    # 2. paths to 2030 and drivers
    traj = generate_trajectories(res.model, "2030-12", start="2021-01",
                                 initial=clean.values[0, np.nonzero(clean.dates == np.datetime64("2021-01", "M"))[0][0]])
    spec = DriverSpec()
    t_gen = cal(traj.dates)
    node_drv = map_to_drivers(jnp.asarray(t_gen), jnp.asarray(traj.values[0]), clean.series, spec)
    trend_x = trend_trajectory(t_all, clean.values[0], t_gen)
    trend_drv = map_to_drivers(jnp.asarray(t_gen), jnp.asarray(trend_x), clean.series, spec)
    fields = ("tfp_growth", "labour_growth", "aeei", "energy_price_index", "carbon_price")
    out = {"data": str(path), "date_range": [str(clean.dates[0]), str(clean.dates[-1])],
           "split": prep.report, "seed": args.seed, "epochs": args.epochs,
           "config": dataclasses.asdict(res.model.config),
           "plausibility": {"status": traj.status, "violations": [
               v["message"] for v in traj.plausibility["violations"]]},
           "generate_seconds": {"compile": traj.compile_seconds, "run": traj.run_seconds},
           "held_out": held, "years": node_drv.years.tolist(),
           "node": {f: np.asarray(getattr(node_drv, f)).tolist() for f in fields},
           "trend": {f: np.asarray(getattr(trend_drv, f)).tolist() for f in fields}}
    vol = {}
    for f in fields:
        a, b = np.asarray(getattr(node_drv, f)), np.asarray(getattr(trend_drv, f))
        if f in ("energy_price_index", "carbon_price"):
            a, b = np.diff(np.log(a)), np.diff(np.log(b))
        vol[f] = {"node": float(np.std(a)), "trend": float(np.std(b))}
    out["yoy_volatility"] = vol
    md = [f"Shandong thermal/hydro/wind, {clean.dates[0]}..{clean.dates[-1]}, seed {args.seed}, "
          f"≤ {args.epochs} epochs, state {res.model.config.state}, decay "
          f"{res.model.config.decay:g}, refit {res.model.config.refit}. Generation "
          f"2021-01..2030-12 (monthly, 1 path): compile {traj.compile_seconds:.2f} s, run "
          f"{1e3 * traj.run_seconds:.2f} ms. Plausibility of the Neural ODE path: "
          f"{traj.status}" + (f" ({traj.plausibility['violations'][0]['message']})"
                              if traj.plausibility["violations"] else "") + ".", "",
          "Held-out years (annual mean thermal, TWh/month):", "",
          "| year | observed | Neural ODE | trend | NODE error % | trend error % |",
          "|---|---|---|---|---|---|"]
    for y, h in held.items():
        md.append(f"| {y} | {h['observed']:.2f} | {h['neural_ode']:.2f} | {h['trend']:.2f} | "
                  f"{h['err_node_pct']:+.1f} | {h['err_trend_pct']:+.1f} |")
    md += ["", "Drivers 2022..2030 (Neural ODE / trend):", "",
           "| year | " + " | ".join(fields) + " |", "|---" * (len(fields) + 1) + "|"]
    for i, y in enumerate(out["years"]):
        md.append(f"| {y} | " + " | ".join(
            f"{out['node'][f][i]:.4g} / {out['trend'][f][i]:.4g}" for f in fields) + " |")
    md += ["", "Year-on-year volatility (std over 2022..2030 of growth; of log change for the two "
           "indices): " + "; ".join(f"{f}: NODE {v['node']:.4f}, trend {v['trend']:.4f}"
                                    for f, v in vol.items())]
    o = Path(args.out)
    o.mkdir(parents=True, exist_ok=True)
    (o / "node_drivers.json").write_text(json.dumps(out, indent=2, default=float) + "\n")
    (o / "node_drivers.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))


if __name__ == "__main__":
    main()
