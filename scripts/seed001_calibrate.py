"""Seed 001 calibration step: fit the baseline to the seed's energy path, then the S5 reduction path
to the seed's price points, and run S1–S5 at the calibrated values.

1. ``baseline_energy.toml``: TFP growth of the dynamic path so that S1 energy use reaches
   272 Mtce in 2030 (seed: 2.19×10^8 tce in 2022 rising to about 2.72×10^8 tce in 2030).
2. ``s5_price_path.toml`` with the calibrated TFP growth fixed: S5's linear reduction path
   (r_2022, r_2030) so that the S5 price is 99.12 CNY/t in 2025 and 183.54 CNY/t in 2030 (seed
   Fig. 5).
3. S1–S5 at the calibrated drivers, S5 with its calibrated reduction path: energy, emissions,
   prices, peak years (the seed reports an S5 emissions peak in 2028; not a target here).

Data: the shipped stylized provincial SAM (synthetic, docs/cge.md), not the seed's data.
Writes OUT/baseline/, OUT/s5/ (``cpjax calibrate`` outputs), OUT/scenarios.csv and OUT/summary.md.

Usage: python scripts/seed001_calibrate.py [--out runs/seed001_calibrate]
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cpjax import cge  # noqa: E402
from cpjax._io import write_csv_rows as _write_csv  # noqa: E402
from cpjax.cge._calib_run import TARGETS_DIR, build_path  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="runs/seed001_calibrate")
    args = ap.parse_args()
    out = Path(args.out)
    model = cge.load_demo()
    base = cge.run_calibrate(cge.CalibrateRun(targets="baseline_energy", demo=True), out / "baseline")
    g_tfp = base.params["growth.tfp"]
    task = cge.load_targets(TARGETS_DIR / "s5_price_path.toml")
    task = dataclasses.replace(task, fixed=(("growth.tfp", g_tfp),))
    path = build_path(model, task)
    s5 = cge.calibrate(path, task.targets, task.parameters, task.config)
    gc = cge.gradient_check(path, task.targets, task.parameters, forward_only=False)
    (out / "s5").mkdir(parents=True, exist_ok=True)
    _write_csv(out / "s5" / "fit.csv", s5.fit)
    _write_csv(out / "s5" / "trace.csv", s5.trace)
    _write_csv(out / "s5" / "gradient_check.csv", gc)

    years = list(range(2022, 2031))
    with cge.x64():
        drv = cge.trend_drivers(2022, 2030, tfp_growth=g_tfp)
    r = np.linspace(s5.params["reduction_start"], s5.params["reduction_end"], len(years))
    scen = [dataclasses.replace(s, reduction=tuple(r.tolist())) if s.name == "S5" else s
            for s in cge.demo_scenarios()]
    res = cge.run_scenarios(model, drv, scen)
    rows = []
    for s in scen:
        o = res[s.name]
        for k, y in enumerate(years):
            rows.append({"scenario": s.name, "year": y, "energy_mtce": float(o["energy_mtce"][k]),
                         "emissions_mt": float(o["emissions_mt"][k]),
                         "carbon_price_cny": float(o["carbon_price"][k]),
                         "trading_volume_mt": float(o["trading_volume_mt"][k]),
                         "status": int(o["status"][k])})
    with open(out / "scenarios.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    lines = [f"Calibrated TFP growth: {g_tfp:.5f}/yr (baseline loss {base.loss:.1e}, {base.steps} steps); "
             f"S5 reduction path r_2022 = {s5.params['reduction_start']:.4f}, r_2030 = "
             f"{s5.params['reduction_end']:.4f} (loss {s5.loss:.1e}, {s5.steps} steps); "
             f"S5 gradient check max rel. error {max(g['rel_error'] for g in gc):.1e}.", "",
             "| scenario | energy 2022 | energy 2030 | emissions 2030 | price 2025 | price 2030 | emissions peak |",
             "|---|---|---|---|---|---|---|"]
    for s in scen:
        o = res[s.name]
        em = np.asarray(o["emissions_mt"])
        peak = years[int(np.argmax(em))]
        lines.append(f"| {s.name} | {o['energy_mtce'][0]:.1f} | {o['energy_mtce'][-1]:.1f} | {em[-1]:.1f} | "
                     f"{o['carbon_price'][3]:.1f} | {o['carbon_price'][-1]:.1f} | "
                     f"{peak if peak < years[-1] else 'none by 2030'} |")
    md = "\n".join(lines) + "\n"
    (out / "summary.md").write_text(md)
    print(md)


if __name__ == "__main__":
    main()
