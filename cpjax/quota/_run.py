"""End-to-end quota study: inventory -> generation forecast -> accounts under several rule sets.

Example::

    >>> cfg = QuotaConfig(demo=True, rules="2023", compare_rules=("2022",))
    >>> res = compute_quota(cfg)
    >>> res.by_category          # surplus by category for each rule set (Mt)
    >>> run_quota(cfg, "out/")   # the same, written as the CLI does
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._errors import CpjaxInputError
from .._io import atomic_output_dir, write_config
from .._paths import shared_data_dir
from ._accounting import AccountingConfig, account, rule_arrays, unit_arrays
from ._build import Inventory, build_inventory, prepare_inventory
from ._demo import demo_generation, demo_units
from ._generation import annual_table, read_generation, read_heat, share_generation
from ._inventory import CATEGORIES, EXCLUDED
from ._output import check_output_model, forecast_heat, project_generation
from ._rules import RuleSet, load_rules

__all__ = ["QuotaConfig", "QuotaResult", "compute_quota", "run_quota", "summarize"]

_SUM_FIELDS = {"generation_mwh": ("generation_twh", 1e6), "supply_mwh": ("supply_twh", 1e6),
               "heat_supply_gj": ("heat_supply_pj", 1e6), "emissions_t": ("emissions_mt", 1e6),
               "allowances_t": ("allowances_mt", 1e6), "surplus_raw_t": ("surplus_raw_mt", 1e6),
               "surplus_t": ("surplus_mt", 1e6)}


@dataclasses.dataclass(frozen=True)
class QuotaConfig:
    """Settings of a quota study (JSON-serialisable; written to ``config.json``).

    ``rules`` is the rule set of the compliance year (a year/name or a file); ``compare_rules``
    other rule sets applied to the same activity (e.g. the previous year's benchmark).  ``year``
    is the compliance year whose output is projected (default: the last year of ``rules``).
    ``generation``: a YTD long table or an annual ``province, year, generation_mwh`` table
    (default: ``../shared/data/power/provincial_generation_monthly_ytd.csv`` when present).
    ``generation_share``: fraction of provincial thermal output produced by the inventory's units
    (1.0 gives them all of it; lower it for biomass, waste-to-energy and units under 30 MW).
    ``heat``: monthly heat-supply history per unit (``unit_id, month, heat_gj``), projected to
    ``year`` by ARIMA (seed 002) and used instead of the heat-ratio fill rule for those units.
    """

    demo: bool = False
    units: str | None = None
    gas_units: str | None = None
    generation: str | None = None
    heat: str | None = None
    generation_share: float = 1.0
    rules: str = "2023"
    compare_rules: tuple[str, ...] = ()
    year: int | None = None
    output_model: str = "arima"
    carbon: str = "measured"
    default_carbon_share: float = 0.0
    large_threshold_mw: float = 300.0
    fill_rules: str | None = None
    backend: str = "numpy"
    seed: int = 0
    demo_units: int = 240


@dataclasses.dataclass(frozen=True)
class QuotaResult:
    """Everything a study produces (tables in t/MWh per unit, Mt/TWh in summaries)."""

    inventory: Inventory
    rule_sets: tuple[RuleSet, ...]
    year: int
    units: pd.DataFrame
    by_category: pd.DataFrame
    by_province: pd.DataFrame
    provincial_generation_mwh: pd.Series
    notes: tuple[str, ...]


def summarize(units: pd.DataFrame, by: str) -> pd.DataFrame:
    """Sum the long per-unit table by ``rules`` and ``by`` (Mt, TWh, PJ), plus a ``national`` row
    per rule set; excluded units are left out of the sums."""
    u = units[units["category"] != EXCLUDED]
    agg = {"units": ("unit_id", "size"), "capacity_gw": ("capacity_mw", "sum")}
    agg.update({new: (old, "sum") for old, (new, _) in _SUM_FIELDS.items()})
    g = u.groupby(["rules", by], sort=False).agg(**agg).reset_index()
    n = u.groupby("rules", sort=False).agg(**agg).reset_index().assign(**{by: "national"})
    out = pd.concat([g, n], ignore_index=True)
    out["capacity_gw"] /= 1e3
    for _, (new, scale) in _SUM_FIELDS.items():
        out[new] /= scale
    order = {r: i for i, r in enumerate(units["rules"].unique())}
    keys = list(CATEGORIES) if by == "category" else sorted(set(u[by]))
    korder = {k: i for i, k in enumerate([*keys, "national"])}
    out = out.sort_values(by=["rules", by], key=lambda s: s.map(order) if s.name == "rules" else s.map(korder))
    return out.reset_index(drop=True)


def _inventory(cfg: QuotaConfig) -> Inventory:
    if cfg.demo:
        return prepare_inventory([demo_units(cfg.seed, cfg.demo_units)], ("synthetic demo",),
                                 cfg.fill_rules, cfg.large_threshold_mw)
    if cfg.units is None:
        raise CpjaxInputError("no units given; fix: pass --units PATH (and --gas-units PATH) or --demo")
    paths = [cfg.units] + ([cfg.gas_units] if cfg.gas_units else [])
    return build_inventory(paths, cfg.fill_rules, cfg.large_threshold_mw)


def _generation(cfg: QuotaConfig, inv: Inventory, year: int) -> tuple[pd.Series, list[str]]:
    if cfg.demo and cfg.generation is None:
        monthly, kind = demo_generation(inv.units, cfg.seed), "monthly"
        src = "synthetic demo generation"
    else:
        path = cfg.generation
        if path is None:
            root = shared_data_dir()
            cand = root / "power" / "provincial_generation_monthly_ytd.csv" if root else None
            if cand is None or not cand.is_file():
                raise CpjaxInputError(
                    "no generation data: the development data folder (power/provincial_generation_"
                    "monthly_ytd.csv under $CPJAX_SHARED_DATA, else ../shared/data) is absent; "
                    "fix: set CPJAX_SHARED_DATA to that folder, or pass --generation PATH (YTD "
                    "long table or province,year,generation_mwh)")
            path = str(cand)
        monthly, kind = read_generation(path)
        src = str(path)
    if kind == "annual":
        if year not in monthly.index:
            raise CpjaxInputError(f"generation file {src} has no year {year}; fix: add rows for "
                                  f"{year} or use a monthly YTD history to project from")
        return monthly.loc[year], [f"generation {year} from {src} (annual, as given)"]
    hist = annual_table(monthly)
    if year in hist.index:
        return hist.loc[year], [f"generation {year} from {src} (observed)"]
    proj = project_generation(monthly, [year], model=cfg.output_model)
    return proj.loc[year], [f"generation {year} projected with {cfg.output_model} from {src} "
                            f"(history to {monthly.index[-1]})"]


def _heat(path: str, units: pd.DataFrame, year: int) -> tuple[pd.DataFrame, str]:
    hist = read_heat(path)
    unknown = sorted(set(hist.columns) - set(units["unit_id"]))
    if unknown:
        raise CpjaxInputError(f"heat file {Path(path).name}: unit_id {unknown[0]!r} is not an "
                              "operating unit of the inventory; fix: use the unit ids of the unit file")
    last = hist.index[-1]
    if year <= last.year:
        annual = hist.groupby(hist.index.year).sum(min_count=1).loc[year]
        how = "observed"
    else:
        annual = forecast_heat(hist, [year]).loc[year]
        how = f"ARIMA projection from {last}"
    heat = units["heat_supply_gj"].copy() if "heat_supply_gj" in units else pd.Series(np.nan, index=units.index)
    mapped = units["unit_id"].map(annual)
    heat = heat.where(heat.notna(), mapped)
    return units.assign(heat_supply_gj=heat), (f"heat supply {year} for {int(mapped.notna().sum())} "
                                                f"units from {path} ({how})")


def compute_quota(cfg: QuotaConfig) -> QuotaResult:
    """Run the study in memory (see :class:`QuotaConfig`); raises CpjaxInputError on bad input."""
    acfg = AccountingConfig(carbon=cfg.carbon, default_carbon_share=cfg.default_carbon_share,
                            backend=cfg.backend)
    check_output_model(cfg.output_model)
    rule_sets = tuple(load_rules(r) for r in (cfg.rules, *cfg.compare_rules))
    names = [r.name for r in rule_sets]
    if len(set(names)) != len(names):
        raise CpjaxInputError(f"rule sets {names} repeat a name; fix: compare different rule sets")
    year = cfg.year if cfg.year is not None else max(rule_sets[0].years)
    inv = _inventory(cfg)
    if not 0.0 < cfg.generation_share <= 1.0:
        raise CpjaxInputError(f"generation_share {cfg.generation_share} must be in (0, 1]; fix: e.g. 0.95")
    prov_gen, notes = _generation(cfg, inv, year)
    if cfg.generation_share != 1.0:
        prov_gen = prov_gen * cfg.generation_share
        notes.append(f"provincial generation scaled by generation_share = {cfg.generation_share}")
    gen, share_notes = share_generation(inv.units, prov_gen, acfg.hours_per_year)
    units_in = inv.units
    if cfg.heat is not None:
        units_in, heat_note = _heat(cfg.heat, units_in, year)
        notes.append(heat_note)
    res = account(unit_arrays(units_in), gen, rule_arrays(rule_sets), acfg)
    keep = ["unit_id", "plant", "province", "category", "category_reason", "fuel", "capacity_mw",
            "technology", "coal_type", "chp", "net_coal_rate_gce_per_kwh", "gas_heat_rate_gj_per_mwh",
            "aux_rate", "cooling", "heat_ratio", "load_weight"]
    base = inv.units[[c for c in keep if c in inv.units]].copy()
    flags = [c for c in inv.units.columns if c.endswith("_assumed")]
    applies = {"net_coal_rate_gce_per_kwh_assumed": "coal", "gas_heat_rate_gj_per_mwh_assumed": "gas"}
    assumed = pd.Series("", index=inv.units.index)
    for c in flags:
        hit = inv.units[c].to_numpy(dtype=bool).copy()
        if c in applies:
            hit &= inv.units["fuel"].eq(applies[c]).to_numpy()
        assumed = assumed.where(~hit, assumed + ";" + c.removesuffix("_assumed"))
    base["assumed_fields"] = assumed.str.lstrip(";")
    base["generation_mwh"] = gen
    frames = []
    for i, rs in enumerate(rule_sets):
        f = base.copy()
        f.insert(0, "rules", rs.name)
        f.insert(1, "year", year)
        for k, v in res.items():
            f[k] = v[i]
        frames.append(f)
    units = pd.concat(frames, ignore_index=True)
    assumptions = [a for rs in rule_sets for a in rs.assumptions]
    return QuotaResult(inv, rule_sets, year, units, summarize(units, "category"),
                       summarize(units, "province"), prov_gen, tuple(notes + share_notes + assumptions))


def run_quota(cfg: QuotaConfig, out: str | os.PathLike) -> QuotaResult:
    """Compute and write ``units.csv``, ``summary_by_category.csv``, ``summary_by_province.csv``,
    ``inventory_counts.csv``, ``assumptions.csv``, ``surplus.png`` and ``config.json`` atomically."""
    res = compute_quota(cfg)
    from ._plot import plot_surplus

    with atomic_output_dir(out) as tmp:
        tmp = Path(tmp)
        res.units.to_csv(tmp / "units.csv", index=False, float_format="%.10g")
        res.by_category.to_csv(tmp / "summary_by_category.csv", index=False, float_format="%.10g")
        res.by_province.to_csv(tmp / "summary_by_province.csv", index=False, float_format="%.10g")
        res.inventory.counts.to_csv(tmp / "inventory_counts.csv")
        res.inventory.fill_report.to_csv(tmp / "assumptions.csv", index=False)
        plot_surplus(res.by_category, res.by_province, tmp / "surplus.png",
                     title=f"Allowance surplus (+) / deficit (-), compliance year {res.year}")
        write_config(tmp, cfg, **_extra(res))
    return res


def _extra(res: QuotaResult) -> dict[str, Any]:
    nat = res.by_category[res.by_category["category"] == "national"]
    return {
        "compliance_year": res.year,
        "national_surplus_mt": dict(zip(nat["rules"], nat["surplus_mt"].round(3))),
        "inventory": res.inventory.summary_lines(),
        "notes": list(res.notes),
        "rule_provenance": {rs.name: [dataclasses.asdict(v) for v in rs.provenance] for rs in res.rule_sets},
        "provincial_generation_twh": {k: round(float(v) / 1e6, 4) for k, v in res.provincial_generation_mwh.items()
                                      if np.isfinite(v)},
        "data_notice": "unit data: Global Energy Monitor, Global Coal Plant Tracker July 2023 / Global "
                       "Oil and Gas Plant Tracker Feb 2024 (CC BY 4.0) when those files are used",
    }
