"""The model specification file (TOML or YAML): account roles, nests, elasticities, closures.

See ``docs/cge.md`` for the full format with an example.  Loading is safe (``tomllib``,
``yaml.safe_load``); every field is checked and unknown fields are reported with close matches.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from .._errors import CpjaxInputError, unknown_name_message

__all__ = ["load_spec", "validate_spec", "ROLE_KEYS", "TAX_KINDS"]

ROLE_KEYS = ("sectors", "factors", "households", "enterprises", "government", "savings",
             "taxes", "partners")
TAX_KINDS = ("production", "tariff", "income")
_TOP_KEYS = ("model", "accounts", "production", "trade", "closure", "energy", "institutions")
_TRADE_KEYS = ("armington", "imports", "cet", "exports", "tariff_partner", "sectors")
_TRADE_SECTOR_KEYS = ("armington", "imports", "cet", "exports")
_CLOSURE_KEYS = ("numeraire", "fixed_prices", "fixed_real", "residual")
_PROD_KEYS = ("nests", "sectors")
_PROD_SECTOR_KEYS = ("nests", "sigma")
_ENERGY_KEYS = ("fuels", "emission_factors", "use", "use_file", "units", "power", "carbon_revenue",
                "feedstock")


def load_spec(path: str | os.PathLike) -> dict[str, Any]:
    """Read and validate a specification file (``.toml``, ``.yaml``/``.yml``).

    Returns the specification as a plain dict (with ``_path`` set to the file's folder so that
    relative file names inside it resolve next to it).
    """
    path = Path(path)
    if not path.is_file():
        raise CpjaxInputError(f"specification file {path} not found; fix: give a .toml or .yaml file")
    text = path.read_text()
    try:
        if path.suffix.lower() in (".yaml", ".yml"):
            import yaml

            spec = yaml.safe_load(text)
        else:
            spec = tomllib.loads(text)
    except Exception as err:
        raise CpjaxInputError(f"specification file {path} could not be parsed ({err}); "
                              "fix: valid TOML (or YAML for .yaml files)") from err
    if not isinstance(spec, dict):
        raise CpjaxInputError(f"specification file {path}: expected a table at the top level")
    spec["_path"] = str(path.parent)
    spec["_file"] = str(path)
    return validate_spec(spec)


def _check_keys(d: Any, allowed: tuple[str, ...], where: str, file: str) -> None:
    if not isinstance(d, dict):
        raise CpjaxInputError(f"specification {file}: [{where}] must be a table, got {type(d).__name__}")
    for k in d:
        if k.startswith("_"):
            continue
        if k not in allowed:
            raise CpjaxInputError(unknown_name_message("field", k, allowed, where=f"[{where}] of {file}"))


def _elasticity(value: Any, where: str, file: str) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError) as err:
        raise CpjaxInputError(f"specification {file}: {where} = {value!r} is not a number") from err
    if not v >= 0.0:
        raise CpjaxInputError(f"specification {file}: elasticity {where} = {v} must be >= 0 "
                              "(0 Leontief, 1 Cobb-Douglas, other positive values CES/CET)")
    return v


def validate_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """Check field names, types and signs; fill defaults.  Raises :class:`CpjaxInputError`."""
    file = spec.get("_file", "<spec>")
    _check_keys(spec, _TOP_KEYS, "top level", file)
    acc = spec.get("accounts")
    if acc is None:
        raise CpjaxInputError(f"specification {file}: missing [accounts] table; fix: list the "
                              "sectors, factors, households, government, savings, taxes and partners")
    _check_keys(acc, ROLE_KEYS, "accounts", file)
    for key in ROLE_KEYS:
        val = acc.get(key, {} if key == "taxes" else [])
        if isinstance(val, str):
            val = [val]
        if key == "taxes":
            if isinstance(val, list):
                raise CpjaxInputError(f"specification {file}: [accounts] taxes must map each tax "
                                      f"account to its kind ({', '.join(TAX_KINDS)})")
            for name, kind in val.items():
                if kind not in TAX_KINDS:
                    raise CpjaxInputError(unknown_name_message("tax kind", str(kind), TAX_KINDS,
                                                               where=f"taxes.{name} of {file}"))
        acc[key] = val
    if not acc["sectors"]:
        raise CpjaxInputError(f"specification {file}: [accounts] sectors is empty; fix: list the "
                              "sector accounts of the SAM")
    if len(acc["partners"]) > 2:
        raise CpjaxInputError(f"specification {file}: at most two trade partners (rest of the world, "
                              f"rest of the country); got {acc['partners']}")
    prod = spec.setdefault("production", {})
    _check_keys(prod, _PROD_KEYS, "production", file)
    _check_nests(prod.get("nests"), "production.nests", file)
    for s, sub in prod.get("sectors", {}).items():
        _check_keys(sub, _PROD_SECTOR_KEYS, f"production.sectors.{s}", file)
        if "nests" in sub:
            _check_nests(sub["nests"], f"production.sectors.{s}.nests", file)
        for node, v in sub.get("sigma", {}).items():
            sub["sigma"][node] = _elasticity(v, f"production.sectors.{s}.sigma.{node}", file)
    trade = spec.setdefault("trade", {})
    _check_keys(trade, _TRADE_KEYS, "trade", file)
    for k in _TRADE_SECTOR_KEYS:
        trade[k] = _elasticity(trade.get(k, 2.0), f"trade.{k}", file)
    for s, sub in trade.get("sectors", {}).items():
        _check_keys(sub, _TRADE_SECTOR_KEYS, f"trade.sectors.{s}", file)
        for k, v in sub.items():
            sub[k] = _elasticity(v, f"trade.sectors.{s}.{k}", file)
    clo = spec.setdefault("closure", {})
    _check_keys(clo, _CLOSURE_KEYS, "closure", file)
    if "numeraire" not in clo:
        raise CpjaxInputError(f"specification {file}: [closure] numeraire is missing; fix: name the "
                              "good whose price is fixed (a factor, a partner's currency or a sector)")
    clo.setdefault("fixed_prices", {})
    clo.setdefault("fixed_real", [])
    clo.setdefault("residual", {})
    if "energy" in spec:
        _check_keys(spec["energy"], _ENERGY_KEYS, "energy", file)
    spec.setdefault("model", {})
    return spec


def _check_nests(nests: Any, where: str, file: str) -> None:
    if nests is None:
        return
    if not isinstance(nests, dict) or "top" not in nests:
        raise CpjaxInputError(f"specification {file}: [{where}] must be a table of nests with a "
                              "'top' nest; fix: e.g. top = {{ sigma = 0.5, children = ['VA', 'ND'] }}")
    for name, node in nests.items():
        _check_keys(node, ("sigma", "children"), f"{where}.{name}", file)
        if "children" not in node:
            raise CpjaxInputError(f"specification {file}: nest {where}.{name} has no children")
        node["sigma"] = _elasticity(node.get("sigma", 0.0), f"{where}.{name}.sigma", file)
        ch = node["children"]
        if isinstance(ch, str):
            node["children"] = [ch]
