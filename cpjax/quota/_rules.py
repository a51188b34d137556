"""Allocation rule sets as data: one TOML (or JSON) file per compliance year or period.

A rule file holds the benchmarks, correction factors and period caveats of one allocation plan,
each value with its ``source`` and ``confidence``.  A value that was not found is written as
``fill = {method = "tighten_average", base = "2022", reference = [...]}`` instead of ``value``:
the base rule set's value tightened at the average rate (this year / base year) of the reference
benchmarks; such values are flagged ``assumed`` in every report.  Files are read with ``tomllib``
or ``json`` only (no code is executed) and validated with messages that name the file and key.

Example::

    >>> rs = load_rules("2023")
    >>> rs.benchmarks["coal_large"]
    0.7861
    >>> [a.key for a in rs.provenance if a.assumed]
    ['coal_unconventional', 'heat_coal', 'heat_gas']
"""

from __future__ import annotations

import dataclasses
import os
import re
from pathlib import Path
from typing import Any

from .._config_io import read_config, unknown_key_error
from .._errors import CpjaxInputError, close_matches

__all__ = [
    "RULES_DIR", "BENCHMARK_KEYS", "RuleSet", "RuleValue", "available_rules", "load_rules",
    "parse_rules",
]

RULES_DIR = Path(__file__).with_name("rules")
BENCHMARK_KEYS = ("coal_large", "coal_small", "coal_unconventional", "gas", "heat_coal", "heat_gas")
_FACTOR_KEYS = ("cooling_air", "heat_coeff_coal", "heat_coeff_gas", "load_correction")
_CAVEAT_KEYS = ("gas_never_buy", "obligation_cap", "balancing_benchmark", "borrowing",
                "indirect_emissions")
_EMISSION_KEYS = ("coal_default_carbon",)
_SECTIONS = {"benchmarks": BENCHMARK_KEYS, "factors": _FACTOR_KEYS, "caveats": _CAVEAT_KEYS,
             "emissions": _EMISSION_KEYS}
_BOOL_KEYS = {"load_correction", "gas_never_buy", "balancing_benchmark", "borrowing",
              "indirect_emissions"}
_CONFIDENCE = ("high", "medium", "low", "assumed")
_ENTRY_FIELDS = {"value", "fill", "source", "confidence", "note", "unit"}
_FILL_FIELDS = ("method", "base", "reference")


@dataclasses.dataclass(frozen=True)
class RuleValue:
    """One value of a rule set with where it came from."""

    section: str
    key: str
    value: float | bool
    source: str
    confidence: str
    assumed: bool = False
    rule: str = ""
    note: str = ""


@dataclasses.dataclass(frozen=True)
class RuleSet:
    """A validated allocation plan for one compliance year or period.

    Benchmarks are t CO2 per MWh supplied (power) and t CO2 per GJ supplied (heat);
    ``coal_default_carbon`` is t C per GJ.  ``provenance`` lists every value with its source.
    """

    name: str
    period: str
    years: tuple[int, ...]
    plan: str
    path: str
    benchmarks: dict[str, float]
    cooling_air: float
    heat_coeff_coal: float
    heat_coeff_gas: float
    load_correction: bool
    gas_never_buy: bool
    obligation_cap: float
    balancing_benchmark: bool
    borrowing: bool
    indirect_emissions: bool
    coal_default_carbon: float
    provenance: tuple[RuleValue, ...]

    @property
    def assumptions(self) -> list[str]:
        """Human-readable lines for the values filled by an assumption."""
        return [f"rules {self.name}: {v.section}.{v.key} = {v.value:.4f} assumed ({v.rule})"
                for v in self.provenance if v.assumed]


def available_rules(directory: str | os.PathLike | None = None) -> list[str]:
    """Names of the rule files shipped with cpjax (or found in ``directory``)."""
    d = Path(directory) if directory is not None else RULES_DIR
    return sorted(p.stem for p in d.glob("*.toml")) + sorted(p.stem for p in d.glob("*.json"))


def _read(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise CpjaxInputError(f"rule file {path} does not exist; fix: give a rules year "
                              f"({', '.join(available_rules())}) or the path of a .toml/.json file")
    return read_config(path, "rule file", "write valid TOML or JSON as in "
                       "cpjax/quota/rules/2022.toml")


def _resolve(spec: str | int | os.PathLike) -> Path:
    """A rules year/name or a path -> the file to read."""
    text = os.fspath(spec) if isinstance(spec, os.PathLike) else str(spec)
    p = Path(text)
    if p.suffix in (".toml", ".json") or os.sep in text or p.exists():
        if not p.exists():
            raise CpjaxInputError(f"rule file {p} does not exist; fix: check the path, or give a "
                                  f"rules year ({', '.join(available_rules())})")
        return p
    names = available_rules()
    if text in names:
        return RULES_DIR / f"{text}.toml"
    for name in names:  # a year inside a period file, e.g. "2020" -> "2019-2020"
        if "-" in name:
            lo, _, hi = name.partition("-")
            if text.isdigit() and lo.isdigit() and hi.isdigit() and int(lo) <= int(text) <= int(hi):
                return RULES_DIR / f"{name}.toml"
    near = close_matches(text, names)
    hint = f" (did you mean {', '.join(near)}?)" if near else ""
    raise CpjaxInputError(f"unknown rules year {text!r}{hint}; fix: choose one of "
                          f"{', '.join(names)} or give the path of a rule file")


def load_rules(spec: str | int | os.PathLike, _seen: tuple[str, ...] = ()) -> RuleSet:
    """Load and validate a rule set by year/name (``"2023"``, ``2020``) or path.

    Arguments:
        spec: a shipped rules name (see :func:`available_rules`), a year inside one, or a path to
            a ``.toml``/``.json`` file of the same layout.

    Returns:
        a :class:`RuleSet`; values filled by an assumption have ``assumed=True`` in ``provenance``.
    """
    path = _resolve(spec)
    return parse_rules(_read(path), path=path, _seen=_seen)


def _err(path: Path, where: str, what: str, fix: str) -> CpjaxInputError:
    return CpjaxInputError(f"rule file {path}: {where}: {what}; fix: {fix}")


def _check_value(path: Path, section: str, key: str, value: Any) -> float | bool:
    where = f"{section}.{key}"
    if key in _BOOL_KEYS:
        if not isinstance(value, bool):
            raise _err(path, where, f"value {value!r} is not true/false", "write true or false")
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _err(path, where, f"value {value!r} is not a number", "write a number")
    v = float(value)
    if section == "benchmarks" and not 0.0 < v < 5.0:
        raise _err(path, where, f"benchmark {v} is outside (0, 5) t CO2 per MWh or GJ",
                   "give the benchmark in t CO2/MWh (power) or t CO2/GJ (heat)")
    if key == "cooling_air" and not 0.5 <= v <= 2.0:
        raise _err(path, where, f"cooling factor {v} is outside [0.5, 2]", "e.g. 1.05")
    if key.startswith("heat_coeff") and not 0.0 <= v < 1.0:
        raise _err(path, where, f"heat coefficient {v} is outside [0, 1)", "e.g. 0.22, or 0 to disable")
    if key == "obligation_cap" and not -1.0 <= v <= 10.0:
        raise _err(path, where, f"cap {v} is outside [-1, 10]", "e.g. 0.2 for allocation + 20%")
    if key == "coal_default_carbon" and not 0.0 < v < 0.1:
        raise _err(path, where, f"carbon content {v} is outside (0, 0.1) t C/GJ", "e.g. 0.03085")
    return v


def _fill(path: Path, key: str, fill: Any, raw_bench: dict[str, Any],
          _seen: tuple[str, ...]) -> tuple[float, str]:
    where = f"benchmarks.{key}.fill"
    if not isinstance(fill, dict) or fill.get("method") != "tighten_average":
        raise _err(path, where, f"unsupported fill {fill!r}",
                   'use fill = {method = "tighten_average", base = "2022", reference = [...]}')
    for k in fill:
        if k not in _FILL_FIELDS:
            raise unknown_key_error(str(path), "rule file", f"{where}.", str(k), list(_FILL_FIELDS))
    base = fill.get("base")
    if (not isinstance(base, str | int) or isinstance(base, bool)
            or not re.fullmatch(r"[\w.-]+", str(base))):
        raise _err(path, f"{where}.base", f"{fill.get('base')!r} is not a rules name",
                   f"give the name of another rule file, e.g. base = \"2022\" ({', '.join(available_rules())})")
    base_name = str(fill.get("base", ""))
    refs = fill.get("reference", [])
    if not refs or not isinstance(refs, list) or any(r not in BENCHMARK_KEYS for r in refs):
        raise _err(path, where, f"reference {refs!r} must list benchmark keys",
                   f"choose from {', '.join(BENCHMARK_KEYS)}")
    if base_name in _seen:
        raise _err(path, where, f"circular fill through {' -> '.join(_seen + (base_name,))}",
                   "give one of the rule sets a value")
    sibling = path.with_name(f"{base_name}{path.suffix}")
    base = load_rules(sibling if sibling.exists() else base_name, _seen=_seen + (base_name,))
    ratios = []
    for r in refs:
        entry = raw_bench.get(r)
        if (not isinstance(entry, dict) or isinstance(entry.get("value"), bool)
                or not isinstance(entry.get("value"), int | float)):
            raise _err(path, where, f"reference {r!r} has no value in this file",
                       "reference only benchmarks that have a value")
        ratios.append(float(entry["value"]) / base.benchmarks[r])
    rate = sum(ratios) / len(ratios)
    value = base.benchmarks[key] * rate
    rule = (f"{base.name} value {base.benchmarks[key]:.4f} x average ratio {rate:.5f} of "
            f"{', '.join(refs)} ({path.stem}/{base.name})")
    return value, rule


def parse_rules(raw: dict[str, Any], path: str | os.PathLike = "<rules>",
                _seen: tuple[str, ...] = ()) -> RuleSet:
    """Validate a parsed rule file (a dict as read from TOML/JSON) into a :class:`RuleSet`."""
    path = Path(path)
    if not isinstance(raw, dict):
        raise _err(path, "top level", "not a table", "see cpjax/quota/rules/2022.toml")
    for top in ("name", "years"):
        if top not in raw:
            raise _err(path, "top level", f"missing {top!r}", f"add {top} = ... as in 2022.toml")
    unknown = set(raw) - set(_SECTIONS) - {"name", "period", "years", "plan"}
    if unknown:
        u = sorted(unknown)[0]
        raise _err(path, "top level", f"unknown section {u!r}",
                   f"use {', '.join(_SECTIONS)} (close: {close_matches(u, _SECTIONS) or 'none'})")
    years = raw["years"]
    if not isinstance(years, list) or not years or not all(isinstance(y, int) for y in years):
        raise _err(path, "years", f"{years!r} is not a list of years", "e.g. years = [2023]")
    values: dict[str, float | bool] = {}
    prov: list[RuleValue] = []
    for section, keys in _SECTIONS.items():
        table = raw.get(section)
        if not isinstance(table, dict):
            raise _err(path, section, "section missing", f"add [{section}.<key>] tables for {', '.join(keys)}")
        for extra in set(table) - set(keys):
            near = close_matches(extra, keys)
            raise _err(path, f"{section}.{extra}", "unknown key",
                       f"use one of {', '.join(keys)}" + (f" (did you mean {near[0]}?)" if near else ""))
        for key in keys:
            entry = table.get(key)
            if entry is None:
                raise _err(path, f"{section}.{key}", "missing",
                           f"add [{section}.{key}] with value, source and confidence")
            if not isinstance(entry, dict):
                raise _err(path, f"{section}.{key}", "must be a table",
                           "write value = ..., source = ..., confidence = ...")
            bad = set(entry) - _ENTRY_FIELDS
            if bad:
                raise _err(path, f"{section}.{key}", f"unknown field {sorted(bad)[0]!r}",
                           f"use {', '.join(sorted(_ENTRY_FIELDS))}")
            if not isinstance(entry.get("source"), str) or not entry["source"].strip():
                raise _err(path, f"{section}.{key}", "no source", 'add source = "where the value comes from"')
            conf = entry.get("confidence")
            if conf not in _CONFIDENCE:
                raise _err(path, f"{section}.{key}", f"confidence {conf!r} unknown",
                           f"use one of {', '.join(_CONFIDENCE)}")
            rule, assumed = "", False
            if "value" in entry:
                value = _check_value(path, section, key, entry["value"])
            elif "fill" in entry and section == "benchmarks":
                value, rule = _fill(path, key, entry["fill"], table, _seen + (str(raw["name"]),))
                value = _check_value(path, section, key, value)
                assumed = True
            else:
                raise _err(path, f"{section}.{key}", "neither value nor fill given",
                           "add value = <number>, or a fill rule for a benchmark not found")
            values[key] = value
            prov.append(RuleValue(section, key, value, entry["source"], conf,
                                  assumed or conf == "assumed", rule, str(entry.get("note", ""))))
    return RuleSet(
        name=str(raw["name"]), period=str(raw.get("period", raw["name"])), years=tuple(years),
        plan=str(raw.get("plan", "")), path=str(path),
        benchmarks={k: float(values[k]) for k in BENCHMARK_KEYS},
        cooling_air=float(values["cooling_air"]), heat_coeff_coal=float(values["heat_coeff_coal"]),
        heat_coeff_gas=float(values["heat_coeff_gas"]),
        load_correction=bool(values["load_correction"]),
        gas_never_buy=bool(values["gas_never_buy"]), obligation_cap=float(values["obligation_cap"]),
        balancing_benchmark=bool(values["balancing_benchmark"]),
        borrowing=bool(values["borrowing"]), indirect_emissions=bool(values["indirect_emissions"]),
        coal_default_carbon=float(values["coal_default_carbon"]), provenance=tuple(prov),
    )
