"""Fill the technical fields the unit trackers lack by documented, overridable rules.

The rules are data (``cpjax/quota/fill_defaults.toml``): for each field an ordered list of
``{when = {...}, value = ...}``; the first rule matching a unit gives its value and a value in the
unit file always wins.  :func:`fill_fields` returns the filled table and one report row per rule
used (field, condition, value, number of units), so every assumption is visible.

Example::

    >>> rules = load_fill_rules()
    >>> filled, report = fill_fields(units, rules)   # units from read_units(...)
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._config_io import Field, check_table, read_config
from .._errors import CpjaxInputError

__all__ = ["FILL_FIELDS", "FILL_SCHEMA", "DEFAULT_FILL_RULES", "load_fill_rules", "fill_fields"]

DEFAULT_FILL_RULES = Path(__file__).with_name("fill_defaults.toml")
FILL_FIELDS = ("net_coal_rate_gce_per_kwh", "gas_heat_rate_gj_per_mwh", "aux_rate", "cooling",
               "heat_ratio", "load_weight")
# fields that only mean something for one fuel (others get NaN and no report row)
_APPLIES = {"net_coal_rate_gce_per_kwh": "coal", "gas_heat_rate_gj_per_mwh": "gas"}
_CONDITIONS = {"fuel", "technology", "province", "min_mw", "max_mw", "chp", "min_start_year"}


_NAMES = Field(list, items=Field(str))
_WHEN = Field(dict, table={"fuel": _NAMES, "technology": _NAMES, "province": _NAMES,
                           "min_mw": Field(float, lo=0.0), "max_mw": Field(float, lo=0.0),
                           "chp": Field(bool), "min_start_year": Field(int, lo=1900, hi=2200)})
_VALUE = {"cooling": Field(str, choices=("air", "water")),
          "aux_rate": Field(float, lo=0.0, hi=1.0, hi_open=True),
          "heat_ratio": Field(float, lo=0.0, hi=1.0),
          "load_weight": Field(float, lo=0.0)}


def _rule_schema(field: str) -> dict[str, Field]:
    value = _VALUE.get(field, Field(float, lo=0.0))
    return {"when": Field(dict, required=True, table=_WHEN.table),
            "value": Field(value.kind, required=True, choices=value.choices, lo=value.lo,
                           hi=value.hi, hi_open=value.hi_open),
            "note": Field(str), "source": Field(str)}


FILL_SCHEMA = {
    "constants": Field(dict, required=True, table={
        "heat_efficiency": Field(float, required=True, lo=0.0, hi=1.0, lo_open=True),
        "heat_efficiency_source": Field(str)}),
    **{f: Field(list, required=True, items=Field(dict, table=_rule_schema(f)))
       for f in FILL_FIELDS},
}


def load_fill_rules(path: str | os.PathLike | None = None) -> dict[str, Any]:
    """Read and validate a fill-rule file (default: the one shipped with cpjax): an unknown key
    at any depth, a wrong type or a value out of range is an error naming the file, the key and
    the allowed values (:mod:`cpjax._config_io`)."""
    p = Path(path) if path is not None else DEFAULT_FILL_RULES
    what = "fill-rule file"
    raw = read_config(p, what, f"copy {DEFAULT_FILL_RULES.name} and edit it")
    checked = check_table(raw, FILL_SCHEMA, p, what)
    for field in FILL_FIELDS:
        rules = checked[field]
        if not rules:
            raise CpjaxInputError(f"{what} {p}: no rules for {field!r}; fix: add "
                                  f"[[{field}]] tables ending with a catch-all `when = {{}}`")
        if rules[-1]["when"]:
            raise CpjaxInputError(f"{what} {p}: the last {field} rule must be the "
                                  "catch-all `when = {}` so that every unit gets a value")
    return raw


def _match(df: pd.DataFrame, when: dict[str, Any]) -> np.ndarray:
    m = np.ones(len(df), dtype=bool)
    for key, cond in when.items():
        if key in ("fuel", "technology", "province"):
            vals = [str(c).lower() for c in (cond if isinstance(cond, list) else [cond])]
            m &= df[key].astype(str).str.lower().isin(vals).to_numpy()
        elif key == "min_mw":
            m &= df["capacity_mw"].to_numpy(dtype=float) >= float(cond)
        elif key == "max_mw":
            m &= df["capacity_mw"].to_numpy(dtype=float) <= float(cond)
        elif key == "chp":
            m &= df["chp"].to_numpy(dtype=bool) == bool(cond)
        elif key == "min_start_year":
            sy = df["start_year"].to_numpy(dtype=float)
            m &= np.nan_to_num(sy, nan=-1.0) >= float(cond)
    return m


def _describe(when: dict[str, Any]) -> str:
    if not when:
        return "all other units"
    parts = []
    for k, v in when.items():
        parts.append(f"{k}={'/'.join(map(str, v)) if isinstance(v, list) else v}")
    return ", ".join(parts)


def fill_fields(df: pd.DataFrame, rules: dict[str, Any] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fill missing technical fields unit by unit.

    Arguments:
        df: units as returned by :func:`read_units` (optionally with some of :data:`FILL_FIELDS`).
        rules: parsed fill rules (:func:`load_fill_rules`); default the shipped ones.

    Returns:
        ``(filled, report)``: the table with every field of :data:`FILL_FIELDS` set, a boolean
        ``<field>_assumed`` column for each, and ``heat_efficiency``; the report has columns
        ``field, rule, value, units`` (one row per rule that filled at least one unit, plus the
        number of values taken from the file).
    """
    rules = rules if rules is not None else load_fill_rules()
    out = df.copy()
    rows = []
    for field in FILL_FIELDS:
        if field in out:
            col = out[field]
            have = col.notna().to_numpy()
        else:
            col = pd.Series([None] * len(out), index=out.index, dtype=object)
            have = np.zeros(len(out), dtype=bool)
        vals = col.to_numpy(dtype=object).copy()
        if have.any():
            rows.append({"field": field, "rule": "given in the unit file", "value": "",
                         "units": int(have.sum())})
        todo = ~have
        if field in _APPLIES:
            todo &= out["fuel"].eq(_APPLIES[field]).to_numpy()
        for r in rules[field]:
            hit = todo & _match(out, r["when"])
            if hit.any():
                vals[hit] = r["value"]
                rows.append({"field": field, "rule": _describe(r["when"]), "value": r["value"],
                             "units": int(hit.sum())})
                todo &= ~hit
        out[field] = vals if field == "cooling" else vals.astype(float)
        out[f"{field}_assumed"] = ~have
    out["heat_efficiency"] = float(rules["constants"]["heat_efficiency"])
    return out, pd.DataFrame(rows, columns=["field", "rule", "value", "units"])
