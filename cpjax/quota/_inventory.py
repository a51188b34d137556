"""Unit inventory: read the GEM trackers or a user's table and assign the four ETS categories.

Accepted inputs (detected from the header):

* the Global Coal Plant Tracker layout (``gcpt_*_china_units.csv``: ``Capacity (MW)``,
  ``Combustion technology``, ``Coal type``, ``Subnational unit (province, state)``, ...);
* the Global Oil and Gas Plant Tracker layout (``gogpt_*``: ``Fuel``, ``Technology``, ``CHP``, ...);
* the minimal cpjax layout: ``unit_id, province, capacity_mw, fuel`` (``fuel`` one of coal, gas,
  bfg, cog, cmm, oil, other) plus any of the optional columns in :data:`OPTIONAL_COLUMNS`, whose
  values override the fill rules unit by unit.

Categories (:data:`CATEGORIES`): conventional coal above the size threshold (300 MW; a unit of
exactly 300 MW is "<= 300 MW"), conventional coal at or below it, unconventional coal (coal type
"waste coal", CFB technology, or a plant name naming gangue / slime / coal-water slurry) and
natural-gas units (NG/LNG as main fuel).  Blast-furnace gas, coke-oven gas, coal-mine methane and
oil units are not ETS gas units: they stay in the inventory as ``excluded`` (they take their share
of provincial thermal output) but get no allowance account.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from .._errors import CpjaxInputError, close_matches

__all__ = [
    "CATEGORIES", "CATEGORY_LABELS", "EXCLUDED", "PROVINCES", "REQUIRED_COLUMNS",
    "OPTIONAL_COLUMNS", "read_units", "assign_categories",
]

CATEGORIES = ("coal_large", "coal_small", "coal_unconventional", "gas")
CATEGORY_LABELS = {
    "coal_large": "conventional coal > 300 MW",
    "coal_small": "conventional coal <= 300 MW",
    "coal_unconventional": "unconventional coal",
    "gas": "gas",
}
EXCLUDED = "excluded"
PROVINCES = (
    "Anhui", "Beijing", "Chongqing", "Fujian", "Gansu", "Guangdong", "Guangxi", "Guizhou",
    "Hainan", "Hebei", "Heilongjiang", "Henan", "Hubei", "Hunan", "Inner Mongolia", "Jiangsu",
    "Jiangxi", "Jilin", "Liaoning", "Ningxia", "Qinghai", "Shaanxi", "Shandong", "Shanghai",
    "Shanxi", "Sichuan", "Tianjin", "Tibet", "Xinjiang", "Yunnan", "Zhejiang",
)
REQUIRED_COLUMNS = ("unit_id", "province", "capacity_mw", "fuel")
OPTIONAL_COLUMNS = (
    "plant", "status", "technology", "coal_type", "start_year", "chp", "category",
    "net_coal_rate_gce_per_kwh", "gas_heat_rate_gj_per_mwh", "aux_rate", "cooling", "heat_ratio",
    "load_weight", "generation_mwh", "heat_supply_gj", "carbon_content_tc_per_gj",
)
_FUELS = ("coal", "gas", "bfg", "cog", "cmm", "oil", "other")
_UNCONVENTIONAL_WORDS = ("gangue", "矸石", "煤泥", "slime", "slurry", "水煤浆")

_GCPT = {
    "GEM unit/phase ID": "unit_id", "Plant name": "plant", "Unit name": "unit",
    "Plant name (local)": "plant_local", "Capacity (MW)": "capacity_mw", "Status": "status",
    "Start year": "start_year", "Combustion technology": "technology", "Coal type": "coal_type",
    "Subnational unit (province, state)": "province",
}
_GOGPT = {
    "GEM unit ID": "unit_id", "Plant name": "plant", "Unit name": "unit",
    "Plant name (local script)": "plant_local", "Fuel": "fuel_raw", "Capacity (MW)": "capacity_mw",
    "Status": "status", "Technology": "technology", "CHP": "chp_raw", "Start year": "start_year",
    "Subnational unit (province/state)": "province",
}


def _csv(path: str | os.PathLike) -> pd.DataFrame:
    p = Path(path)
    if not p.is_file():
        raise CpjaxInputError(f"unit file {p} does not exist; fix: check the path (a CSV in the "
                              "GEM tracker layout or with columns unit_id, province, capacity_mw, fuel)")
    try:
        return pd.read_csv(p, low_memory=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise CpjaxInputError(f"unit file {p} is not a readable CSV ({err}); fix: save it as "
                              "UTF-8 comma-separated text") from None


def _gcpt_chp(df: pd.DataFrame) -> pd.Series:
    """CHP flag from the GCPT captive-use columns and the local name (热电 = combined heat and power)."""
    ind = df.get("Captive industry use", pd.Series("", index=df.index)).fillna("").astype(str)
    res = df.get("Captive residential use", pd.Series("", index=df.index)).fillna("").astype(str)
    local = df.get("Plant name (local)", pd.Series("", index=df.index)).fillna("").astype(str)
    return ind.eq("CHP") | res.isin(["CHP", "heat"]) | local.str.contains("热电")


def _gas_fuel(raw: pd.Series) -> pd.Series:
    """GOGPT fuel code -> cpjax fuel; the first listed fuel is the main one (``NG/FO`` -> gas)."""
    first = raw.fillna("").astype(str).str.split("/").str[0].str.strip().str.upper()
    table = {"NG": "gas", "LNG": "gas", "BFG": "bfg", "COG": "cog", "CM": "cmm", "FO": "oil"}
    return first.map(table).fillna("other")


def read_units(path: str | os.PathLike, operating_only: bool = True) -> pd.DataFrame:
    """Read a unit table (GCPT, GOGPT or minimal layout) into cpjax's column names.

    With ``operating_only`` (default) rows whose ``status`` is not "operating" are dropped before
    validation (a user table without ``status`` counts as operating).

    Returns a DataFrame with at least ``unit_id, plant, province, capacity_mw, fuel, status,
    technology, coal_type, start_year, chp, source`` (strings lower-cased where they are codes).
    Raises :class:`CpjaxInputError` naming the file, row and column for bad input.
    """
    raw = _csv(path)
    name = Path(path).name
    cols = set(raw.columns)
    if {"Combustion technology", "Coal type", "Capacity (MW)"} <= cols:
        df = raw[[c for c in _GCPT if c in cols]].rename(columns=_GCPT)
        df["fuel"] = "coal"
        df["chp"] = _gcpt_chp(raw)
        df["source"] = "gcpt"
    elif {"Fuel", "Technology", "Capacity (MW)"} <= cols:
        df = raw[[c for c in _GOGPT if c in cols]].rename(columns=_GOGPT)
        df["fuel"] = _gas_fuel(df.pop("fuel_raw"))
        df["chp"] = df.pop("chp_raw").astype(str).str.strip().str.lower().eq("yes")
        df["coal_type"] = ""
        df["source"] = "gogpt"
    else:
        missing = [c for c in REQUIRED_COLUMNS if c not in cols]
        if missing:
            hints = []
            for m in missing:
                near = close_matches(m, [str(c) for c in raw.columns])
                hints.append(f"{m!r}" + (f" (close: {', '.join(map(repr, near))})" if near else ""))
            raise CpjaxInputError(
                f"unit file {name} lacks required column(s) {', '.join(hints)}; fix: provide "
                f"{', '.join(REQUIRED_COLUMNS)} (optional: {', '.join(OPTIONAL_COLUMNS)}) or use "
                "the GEM tracker layout")
        keep = [c for c in raw.columns if c in REQUIRED_COLUMNS or c in OPTIONAL_COLUMNS]
        df = raw[keep].copy()
        df["fuel"] = df["fuel"].astype(str).str.strip().str.lower()
        bad = ~df["fuel"].isin(_FUELS)
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise CpjaxInputError(
                f"unit file {name}, row {i + 2} (unit {df['unit_id'].iloc[i]}): unknown fuel "
                f"{df['fuel'].iloc[i]!r}; fix: use one of {', '.join(_FUELS)}")
        df["source"] = "user"
    df["unit_id"] = df["unit_id"].astype(str)
    for col, default in (("plant", ""), ("status", "operating"), ("technology", "unknown"),
                         ("coal_type", "unknown"), ("chp", False), ("start_year", np.nan)):
        if col not in df:
            df[col] = default
    for col in ("status", "technology", "coal_type"):
        df[col] = df[col].fillna("unknown").astype(str).str.strip().str.lower()
    df["technology"] = df["technology"].replace({"not found": "unknown"})
    df["chp"] = df["chp"].map(lambda v: str(v).strip().lower() in ("true", "1", "yes", "y"))
    if operating_only:
        df = df[df["status"].eq("operating")].reset_index(drop=True)
    df["capacity_mw"] = pd.to_numeric(df["capacity_mw"], errors="coerce")
    df["start_year"] = pd.to_numeric(df["start_year"], errors="coerce")
    _validate(df, name)
    return df.reset_index(drop=True)


def _validate(df: pd.DataFrame, name: str) -> None:
    cap = df["capacity_mw"].to_numpy(dtype=float)
    bad = ~(np.isfinite(cap) & (cap > 0))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise CpjaxInputError(f"unit file {name}, row {i + 2} (unit {df['unit_id'].iloc[i]}): "
                              f"capacity_mw {cap[i]} is missing, zero or negative; fix: give the "
                              "installed capacity in MW (> 0)")
    prov = df["province"].astype(str).str.strip()
    unknown = ~prov.isin(PROVINCES)
    if unknown.any():
        i = int(np.flatnonzero(unknown.to_numpy())[0])
        near = close_matches(prov.iloc[i], PROVINCES)
        raise CpjaxInputError(
            f"unit file {name}, row {i + 2} (unit {df['unit_id'].iloc[i]}): unknown province "
            f"{prov.iloc[i]!r}" + (f" (did you mean {', '.join(near)}?)" if near else "")
            + f"; fix: use the English names of mainland provinces ({', '.join(PROVINCES[:4])}, ...)")
    df["province"] = prov
    if df["unit_id"].duplicated().any():
        dup = df["unit_id"][df["unit_id"].duplicated()].iloc[0]
        raise CpjaxInputError(f"unit file {name}: unit_id {dup!r} appears more than once; fix: "
                              "give every unit a unique id")
    for col in ("net_coal_rate_gce_per_kwh", "gas_heat_rate_gj_per_mwh", "aux_rate", "heat_ratio",
                "load_weight", "generation_mwh", "heat_supply_gj", "carbon_content_tc_per_gj"):
        if col not in df:
            continue
        v = pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=float)
        text = df[col].notna().to_numpy() & ~np.isfinite(v)
        upper = 1.0 if col in ("aux_rate", "heat_ratio") else np.inf
        bad = text | (np.isfinite(v) & ((v < 0) | (v >= upper)))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            rng = "in [0, 1)" if upper == 1.0 else ">= 0"
            raise CpjaxInputError(f"unit file {name}, row {i + 2} (unit {df['unit_id'].iloc[i]}): "
                                  f"{col} = {df[col].iloc[i]!r} is invalid; fix: give a number {rng} "
                                  "or leave it empty to use the fill rule")
        df[col] = v
    if "cooling" in df:
        c = df["cooling"].astype("string").str.strip().str.lower()
        bad = c.notna() & ~c.isin(["air", "water"])
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise CpjaxInputError(f"unit file {name}, row {i + 2} (unit {df['unit_id'].iloc[i]}): "
                                  f"cooling {df['cooling'].iloc[i]!r} unknown; fix: air, water or empty")
        df["cooling"] = c.astype(object).where(c.notna(), None)
    if "category" in df:
        c = df["category"].astype("string").str.strip()
        ok = c.isna() | c.isin(list(CATEGORIES) + [EXCLUDED])
        if not ok.all():
            i = int(np.flatnonzero(~ok.to_numpy())[0])
            near = close_matches(str(c.iloc[i]), CATEGORIES)
            raise CpjaxInputError(
                f"unit file {name}, row {i + 2} (unit {df['unit_id'].iloc[i]}): unknown category "
                f"{c.iloc[i]!r}" + (f" (did you mean {near[0]}?)" if near else "")
                + f"; fix: one of {', '.join(CATEGORIES)}, {EXCLUDED}, or empty")
        df["category"] = c.astype(object).where(c.notna(), None)


def assign_categories(df: pd.DataFrame, large_threshold_mw: float = 300.0) -> tuple[pd.Series, pd.Series]:
    """ETS category of every unit and the reason, as two Series aligned with ``df``.

    A ``category`` column given by the user wins.  Otherwise: gas fuel -> ``gas``; coal with coal
    type "waste coal", technology "cfb", or a (local) plant name naming gangue, slime or coal-water
    slurry -> ``coal_unconventional``; other coal -> ``coal_large`` if capacity > threshold else
    ``coal_small`` (exactly 300 MW is small); every other fuel (BFG, COG, CMM, oil) -> ``excluded``.
    """
    fuel = df["fuel"].to_numpy()
    cap = df["capacity_mw"].to_numpy(dtype=float)
    names = (df.get("plant", pd.Series("", index=df.index)).fillna("").astype(str) + " "
             + df.get("plant_local", pd.Series("", index=df.index)).fillna("").astype(str)).str.lower()
    word = names.str.contains("|".join(_UNCONVENTIONAL_WORDS)).to_numpy()
    waste = df["coal_type"].eq("waste coal").to_numpy()
    cfb = df["technology"].eq("cfb").to_numpy()
    coal = fuel == "coal"
    cat = np.full(len(df), EXCLUDED, dtype=object)
    why = np.array([f"fuel {f} is not an ETS power fuel" for f in fuel], dtype=object)
    cat[fuel == "gas"] = "gas"
    why[fuel == "gas"] = "natural gas / LNG main fuel"
    large = coal & (cap > large_threshold_mw)
    cat[coal & ~large] = "coal_small"
    why[coal & ~large] = f"conventional coal <= {large_threshold_mw:g} MW"
    cat[large] = "coal_large"
    why[large] = f"conventional coal > {large_threshold_mw:g} MW"
    for mask, reason in ((coal & word, "plant name names gangue/slime/slurry"),
                         (coal & cfb, "CFB technology"), (coal & waste, "coal type waste coal")):
        cat[mask] = "coal_unconventional"
        why[mask] = reason
    if "category" in df:
        given = df["category"].notna().to_numpy()
        cat[given] = df["category"].to_numpy()[given]
        why[given] = "given in the unit file"
    return pd.Series(cat, index=df.index, name="category"), pd.Series(why, index=df.index, name="category_reason")
