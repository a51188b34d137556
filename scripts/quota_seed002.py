"""Reproduce seed 002 end to end: inventory, output-forecast table, surplus/deficit 2023 and 2024.

Steps (all numbers written as Markdown + CSV under ``--out``, figures as PNG):

1. inventory from the GEM coal and gas trackers: counts and GW by category, by province, and the
   fill rules applied (``inventory.md``, ``inventory_by_province.csv``, ``fill_rules.csv``);
2. provincial monthly thermal output (NBS YTD -> monthly), models trained 2010-01..2018-12 and
   tested 2019-01..2021-12 (36 months, multi-step from the end of training), reported as the
   seed's table: maximum and mean error (provincial MAPE, %) and R^2 (``forecast_table.md``);
3. surplus/deficit for compliance years 2023 and 2024, each under its own and the previous year's
   benchmark, by category and province, next to the seed's totals (``surplus.md``,
   ``fig4_2023.png``, ``fig5_2024.png``, ``summary_*.csv``);
4. sensitivities that explain the gap to the seed (``sensitivity.md``);
5. a back-test against the published period totals the seed quotes (MEE 2024 report: first period
   2019-20 about +384 Mt, second period 2021-22 about +14 Mt) using observed NBS output for
   2019-2021 and the projection for 2022 (``validation.md``).

``--demo`` runs the same steps on the synthetic demo data (a smoke test, numbers meaningless).

    python scripts/quota_seed002.py --out results/quota_seed002
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without install

from cpjax._paths import shared_data_dir  # noqa: E402
from cpjax.quota import (  # noqa: E402
    CATEGORIES,
    QuotaConfig,
    compare_output_models,
    compute_quota,
    demo_generation,
    read_generation,
)
from cpjax.quota._plot import plot_surplus  # noqa: E402

SEED = {  # seed 002, section 5 (Mt CO2): national totals and the quoted category values
    ("2023", "2023"): {"national": -108.0, "coal_small": -42.0},
    ("2023", "2022"): {"national": -48.0, "coal_unconventional": 22.0},
    ("2024", "2024"): {"national": -105.0, "coal_small": -39.0},
    ("2024", "2023"): {"national": -46.0, "coal_unconventional": 21.0},
}
SEED_TABLE = pd.DataFrame({  # seed 002, table in section 4 (units as printed)
    "model": ["RNN", "LSTM", "GRU", "MLP", "ARIMA", "SVR"],
    "max_error": [20.64, 15.68, 18.12, 25.68, 30.12, 28.90],
    "mean_error": [13.78, 5.79, 6.79, 9.01, 11.23, 10.12],
    "r2": [0.86, 0.95, 0.91, 0.87, 0.83, 0.80],
})


def _md(df: pd.DataFrame, floatfmt: str = ".2f") -> str:
    cols = list(df.columns)
    lines = ["| " + " | ".join(map(str, cols)) + " |", "|" + "---|" * len(cols)]
    for row in df.itertuples(index=False):
        lines.append("| " + " | ".join(format(v, floatfmt) if isinstance(v, float) else str(v)
                                       for v in row) + " |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="results/quota_seed002")
    ap.add_argument("--demo", action="store_true", help="synthetic data (smoke test)")
    ap.add_argument("--model", default="arima", help="output model for the projections")
    ap.add_argument("--neural", action="store_true",
                    help="add the LSTM, GRU, RNN and MLP (cpjax forecasting registry) to the "
                         "output-forecast table (seed 002 Table 5)")
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    t_start = time.perf_counter()
    root = shared_data_dir()
    if args.demo:
        base = QuotaConfig(demo=True, output_model=args.model)
    else:
        if root is None:
            print("../shared/data not found; run with --demo or set CPJAX_SHARED_DATA", file=sys.stderr)
            return 2
        plants = root / "plants"
        base = QuotaConfig(units=str(plants / "gcpt_jul2023_china_units.csv"),
                           gas_units=str(plants / "gogpt_feb2024_china_units.csv"),
                           output_model=args.model)

    # 1-3: the four runs
    runs = {}
    for year, rules, prev in (("2023", "2023", "2022"), ("2024", "2024", "2023")):
        cfg = dataclasses.replace(base, rules=rules, compare_rules=(prev,), year=int(year))
        res = compute_quota(cfg)
        runs[year] = res
        res.by_category.to_csv(out / f"summary_by_category_{year}.csv", index=False)
        res.by_province.to_csv(out / f"summary_by_province_{year}.csv", index=False)
        fig = "fig4_2023.png" if year == "2023" else "fig5_2024.png"
        plot_surplus(res.by_category, res.by_province, out / fig,
                     title=f"Compliance year {year}: surplus (+) / deficit (-) by category and province")
    inv = runs["2023"].inventory
    u = inv.units
    cat = u.groupby("category").agg(units=("unit_id", "size"), gw=("capacity_mw", "sum"))
    cat["gw"] /= 1e3
    inv_md = [f"{len(u)} operating units, {u['capacity_mw'].sum() / 1e3:.1f} GW, "
              f"{u['plant'].nunique()} plant names, {u['province'].nunique()} provinces "
              "(seed: 2,225 plants, 3,370 units)", "", _md(cat.reset_index(), ".1f")]
    (out / "inventory.md").write_text("\n".join(inv_md) + "\n")
    inv.counts.to_csv(out / "inventory_by_province.csv")
    inv.fill_report.to_csv(out / "fill_rules.csv", index=False)

    rows = []
    for year, res in runs.items():
        bc = res.by_category
        for rules in bc["rules"].unique():
            sub = bc[bc["rules"] == rules].set_index("category")
            seed = SEED.get((year, rules), {})
            for c in (*CATEGORIES, "national"):
                if c not in sub.index:
                    continue
                rows.append({"year": year, "rules": rules, "category": c,
                             "generation_twh": sub.loc[c, "generation_twh"],
                             "emissions_mt": sub.loc[c, "emissions_mt"],
                             "allowances_mt": sub.loc[c, "allowances_mt"],
                             "surplus_mt": sub.loc[c, "surplus_mt"],
                             "emis_t_per_mwh": sub.loc[c, "emissions_mt"] / sub.loc[c, "supply_twh"],
                             "allow_t_per_mwh": sub.loc[c, "allowances_mt"] / sub.loc[c, "supply_twh"],
                             "seed_mt": seed.get(c, float("nan"))})
    surplus = pd.DataFrame(rows)
    surplus.to_csv(out / "surplus.csv", index=False)
    notes = sorted({n for res in runs.values() for n in res.notes})
    (out / "surplus.md").write_text(_md(surplus, ".3f") + "\n\nNotes:\n" + "\n".join(f"- {n}" for n in notes) + "\n")

    # 2: output-forecast comparison
    models, net = None, {}
    if args.neural:
        # registry networks, one layer of 32 units each: about 100 monthly points per province
        # (see docs/quota.md)
        models = ["seasonal_naive", "arima", "svr", "lstm", "gru", "rnn", "mlp"]
        net = {"epochs": 200, "hidden_size": 32, "num_layers": 1}
    if args.demo:
        monthly = demo_generation(inv.units, 0)
        table, _ = compare_output_models(monthly, test_start="2019-01", min_annual_mwh=0.0,
                                         models=models, **net)
    else:
        monthly, _ = read_generation(root / "power" / "provincial_generation_monthly_ytd.csv")
        table, _ = compare_output_models(monthly, test_start="2019-01", train_start="2010-01",
                                         models=models, **net)
    table.to_csv(out / "forecast_table.csv", index=False)
    (out / "forecast_table.md").write_text(
        "cpjax (train 2010-01..2018-12, test 2019-01..2021-12, provincial monthly thermal output):\n\n"
        + _md(table, ".3f") + "\n\nSeed 002 (train 2010-2022, test 2022-2024, utilisation hours):\n\n"
        + _md(SEED_TABLE) + "\n")

    # 4: sensitivities for 2023 under the 2023 and 2022 rules
    sens = []
    variants = {
        "baseline (ARIMA projection, measured C 0.0275)": {},
        "guideline default carbon content": {"carbon": "default"},
        "inventory makes 90% of thermal output": {"generation_share": 0.9},
        "activity of 2021 (observed, no projection)": {"year": 2021},
        "seasonal-naive projection (2021 level)": {"output_model": "seasonal_naive"},
        "'300 MW class' = units < 400 MW are small": {"large_threshold_mw": 399.0},
        "90% of output, 2021 level, 300 MW class < 400 MW": {
            "generation_share": 0.9, "output_model": "seasonal_naive", "large_threshold_mw": 399.0},
    }
    for name, change in variants.items():
        cfg = dataclasses.replace(base, **{"rules": "2023", "compare_rules": ("2022",), "year": 2023, **change})
        bc = compute_quota(cfg).by_category
        nat = bc[bc["category"] == "national"].set_index("rules")
        small = bc[bc["category"] == "coal_small"].set_index("rules")
        large = bc[bc["category"] == "coal_large"].set_index("rules")
        sens.append({"variant": name, "generation_twh": nat.loc["2023", "generation_twh"],
                     "emissions_mt": nat.loc["2023", "emissions_mt"],
                     "surplus_2023_rules_mt": nat.loc["2023", "surplus_mt"],
                     "surplus_2022_rules_mt": nat.loc["2022", "surplus_mt"],
                     "large_coal_2023_rules_mt": large.loc["2023", "surplus_mt"],
                     "small_coal_2023_rules_mt": small.loc["2023", "surplus_mt"]})
    sens = pd.DataFrame(sens)
    sens.to_csv(out / "sensitivity.csv", index=False)
    (out / "sensitivity.md").write_text(_md(sens, ".1f") + "\n\nSeed: -108 Mt (2023 rules), -48 Mt (2022 rules).\n")
    # 5: back-test on the first two compliance periods
    val = []
    for period, years, rules, published in (("2019-2020", (2019, 2020), "2019-2020", 384.0),
                                            ("2021-2022", (2021, 2022), None, 14.0)):
        for carbon, share in (("measured", 0.0), ("measured", 0.3), ("default", 1.0)):
            tot, em, gen_twh = 0.0, 0.0, 0.0
            for y in years:
                cfg = dataclasses.replace(base, rules=rules or str(y), compare_rules=(), year=y,
                                          carbon=carbon, default_carbon_share=0.0 if carbon == "default" else share)
                if args.demo:
                    cfg = dataclasses.replace(cfg, output_model="seasonal_naive")
                nat = compute_quota(cfg).by_category.set_index("category").loc["national"]
                tot += nat["surplus_mt"]
                em += nat["emissions_mt"]
                gen_twh += nat["generation_twh"]
            val.append({"period": period, "carbon": carbon, "default_share": share, "generation_twh": gen_twh,
                        "emissions_mt": em, "surplus_mt": tot, "published_mt": published})
    val = pd.DataFrame(val)
    val.to_csv(out / "validation.csv", index=False)
    (out / "validation.md").write_text(
        _md(val, ".1f") + "\n\nPublished: seed 002 section 1 citing the MEE national carbon market "
        "report (2024); 2022 output is the ARIMA projection (data end 2021-12).\n")
    elapsed = time.perf_counter() - t_start
    for f in ("inventory.md", "forecast_table.md", "surplus.md", "sensitivity.md", "validation.md"):
        print(f"## {f}\n{(out / f).read_text()}")
    print(f"done in {elapsed:.1f} s; outputs in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
