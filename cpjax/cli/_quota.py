"""Parser of ``cpjax quota`` (command in ``cpjax/quota/_cli.py``)."""

from __future__ import annotations

import argparse

from ._parser import add_output_options, handler, nonneg_int, positive_int, share, unit_fraction

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "quota", help="allowance surplus/deficit of thermal power units (seed 002)",
        description="Unit inventory + provincial output + ETS benchmark rules -> surplus or "
                    "deficit by unit, category and province. Writes units.csv, "
                    "summary_by_category.csv, summary_by_province.csv, surplus.png, config.json "
                    "and run.json. Real data: see CPJAX_SHARED_DATA in docs/cli.md.")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--demo", action="store_true", help="synthetic, deterministic inventory")
    src.add_argument("--units", metavar="PATH",
                     help="unit CSV (GEM coal tracker layout or unit_id,province,capacity_mw,fuel)")
    p.add_argument("--gas-units", metavar="PATH",
                   help="second unit CSV (e.g. the GEM oil and gas tracker), with --units")
    p.add_argument("--generation", metavar="PATH",
                   help="provincial generation: YTD long table (month,province,source,"
                   "generation_ytd_1e4kwh) or annual (province,year,generation_mwh)")
    p.add_argument("--heat", metavar="PATH",
                   help="monthly heat supply per unit (unit_id,month,heat_gj), projected by ARIMA")
    p.add_argument("--fill-rules", metavar="PATH",
                   help="TOML replacing cpjax/quota/fill_defaults.toml")
    p.add_argument("--generation-share", type=unit_fraction, default=1.0,
                   help="fraction of provincial thermal output made by the listed units, in (0, 1]")
    p.add_argument("--rules", default="2023", metavar="YEAR|PATH", help="rules year or file")
    p.add_argument("--compare-rules", action="append", default=[], metavar="YEAR|PATH",
                   help="another rules year or file on the same activity (repeatable)")
    p.add_argument("--year", type=positive_int,
                   help="compliance year (default: the last year of --rules)")
    p.add_argument("--output-model", default="arima", help="model projecting provincial output")
    p.add_argument("--carbon", choices=("measured", "default"), default="measured",
                   help="coal carbon content when a unit has none: typical measured or "
                   "guideline default")
    p.add_argument("--default-carbon-share", type=share, default=0.0,
                   help="with --carbon measured: share of unmeasured coal reporting the default")
    p.add_argument("--backend", choices=("numpy", "jax"), default="numpy",
                   help="array backend of the accounting")
    p.add_argument("--seed", type=nonneg_int, default=0, help="seed of the demo data")
    add_output_options(p, bar=False)
    handler(p, "cpjax.quota._cli:quota",
            inputs=("units", "gas_units", "generation", "heat", "fill_rules"))
