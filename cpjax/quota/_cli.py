"""``cpjax quota``: a thin wrapper over :func:`cpjax.quota.run_quota`."""

from __future__ import annotations

import argparse

from .._errors import CpjaxInputError

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "quota", help="allowance surplus/deficit of thermal power units (seed 002)",
        description="Unit inventory + provincial output + ETS benchmark rules -> surplus or "
                    "deficit by unit, category and province. Writes units.csv, "
                    "summary_by_category.csv, summary_by_province.csv, surplus.png, config.json.")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--demo", action="store_true", help="synthetic, deterministic inventory")
    src.add_argument("--units", help="unit CSV (GEM coal tracker layout or unit_id,province,capacity_mw,fuel)")
    p.add_argument("--gas-units", help="second unit CSV (e.g. the GEM oil and gas tracker)")
    p.add_argument("--generation", help="provincial generation: YTD long table (month,province,source,"
                   "generation_ytd_1e4kwh) or annual (province,year,generation_mwh)")
    p.add_argument("--heat", help="monthly heat supply per unit (unit_id,month,heat_gj), projected by ARIMA")
    p.add_argument("--fill-rules", help="TOML replacing cpjax/quota/fill_defaults.toml")
    p.add_argument("--generation-share", type=float, default=1.0,
                   help="fraction of provincial thermal output made by the listed units (default 1)")
    p.add_argument("--rules", default="2023", help="rules year or file (default 2023)")
    p.add_argument("--compare-rules", action="append", default=[],
                   help="another rules year or file on the same activity (repeatable)")
    p.add_argument("--year", type=int, help="compliance year (default: the last year of --rules)")
    p.add_argument("--output-model", default="arima", help="model projecting provincial output")
    p.add_argument("--carbon", choices=("measured", "default"), default="measured",
                   help="coal carbon content when a unit has none: typical measured or guideline default")
    p.add_argument("--default-carbon-share", type=float, default=0.0,
                   help="with --carbon measured: share of unmeasured coal reporting the default (0-1)")
    p.add_argument("--backend", choices=("numpy", "jax"), default="numpy")
    p.add_argument("--seed", type=int, default=0, help="seed of the demo data")
    p.add_argument("--progress", action="store_true", help="print the steps")
    p.add_argument("--out", required=True, help="output folder")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from ._run import QuotaConfig, run_quota

    if args.gas_units and args.demo:
        raise CpjaxInputError("--gas-units needs --units, not --demo; fix: drop one of them")
    cfg = QuotaConfig(demo=args.demo, units=args.units, gas_units=args.gas_units,
                      generation=args.generation, heat=args.heat, generation_share=args.generation_share, fill_rules=args.fill_rules,
                      rules=args.rules,
                      compare_rules=tuple(args.compare_rules), year=args.year,
                      output_model=args.output_model, carbon=args.carbon,
                      default_carbon_share=args.default_carbon_share, backend=args.backend,
                      seed=args.seed)
    res = run_quota(cfg, args.out)
    if args.progress:
        for line in res.inventory.summary_lines()[:6]:
            print(line)
        nat = res.by_category[res.by_category["category"] == "national"]
        for r in nat.itertuples():
            print(f"rules {r.rules}: national surplus {r.surplus_mt:+.1f} Mt CO2 (year {res.year})")
    return 0
