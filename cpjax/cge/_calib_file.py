"""Calibration targets files (TOML or JSON): what ``cpjax calibrate --targets PATH`` reads.

Format (every table but ``[[parameters]]`` and ``[[targets]]`` is optional; see
``docs/calibration.md`` and the shipped examples in ``cpjax/cge/data/targets/``)::

    [path]                      # which model path is calibrated
    kind = "dynamic"            # "dynamic" (recursive path with emissions trading, a scenario),
                                # "trend" (comparative statics: growth drivers, carbon price) or
                                # "static" (one equilibrium)
    scenario = "S5"             # dynamic: S1..S5 (cpjax/cge/data/scenarios/)
    years = [2022, 2030]        # first and last year (dynamic, trend)
    covered = ["TPOW"]          # sectors that pay carbon_price (trend)
    aeei = 0.01                 # default energy-efficiency improvement per year (trend)
    structural = []             # model parameters calibrated as constants (e.g. "sigma.Y.COAL.E")
    [path.fixed]                # other path parameters held at given values
    "growth.labour" = 0.005

    [optimizer]                 # CalibrationConfig fields
    name = "lbfgs"              # or "adam", "sgd"
    max_steps = 200

    [[parameters]]              # Parameter fields
    name = "growth.tfp"
    init = 0.01
    lower = -0.05
    upper = 0.15

    [[targets]]                 # Target fields
    output = "energy_mtce.total"
    year = 2030
    value = 272.0

Every field is checked: an unknown field, a wrong type, a value out of range (bounds in order,
``init`` inside them, known transforms and target kinds, positive scales) or a missing required
field is a :class:`~cpjax.CpjaxInputError` naming the file and the field
(``targets[2].value``) and the allowed values (shared checker: :mod:`cpjax._config_io`).
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import tomllib
from pathlib import Path
from typing import Any

from .._config_io import Field, check_table, unknown_key_error
from .._errors import CpjaxInputError
from ._calib_targets import TARGET_KINDS, TRANSFORMS, Parameter, Target
from ._calibrate import CalibrationConfig

__all__ = ["CalibrationTask", "load_targets", "PATH_KINDS"]

PATH_KINDS = ("dynamic", "trend", "static")
_PATH_FIELDS = {"kind": str, "scenario": str, "years": list, "covered": list, "aeei": float,
                "structural": list, "fixed": dict}
_TOP = ("path", "optimizer", "parameters", "targets", "description")


@dataclasses.dataclass(frozen=True)
class CalibrationTask:
    """A loaded targets file.

    Attributes:
        path_kind: ``"dynamic"``, ``"trend"`` or ``"static"``.
        scenario: the scenario of a dynamic path (``"S1"``..``"S5"``).
        years: first and last year (trend).
        covered: sectors paying the carbon price (trend).
        aeei: default annual energy-efficiency improvement (trend).
        structural: model parameter names calibrated or fixed as constants.
        fixed: other path parameters held at given values (name -> number or list per year).
        parameters, targets, config: what to fit, to what, and how.
        description: free text from the file; source: the file path.
    """

    path_kind: str = "dynamic"
    scenario: str = "S1"
    years: tuple[int, int] = (2022, 2030)
    covered: tuple[str, ...] = ("TPOW",)
    aeei: float = 0.01
    structural: tuple[str, ...] = ()
    fixed: tuple[tuple[str, Any], ...] = ()
    parameters: tuple[Parameter, ...] = ()
    targets: tuple[Target, ...] = ()
    config: CalibrationConfig = CalibrationConfig()
    description: str = ""
    source: str = ""


def _unknown(file: str, where: str, key: str, allowed: list[str]) -> CpjaxInputError:
    return unknown_key_error(file, "targets file", where, key, allowed, noun="field")


def _number(file: str, field: str, v: Any, integer: bool = False) -> Any:
    ok = isinstance(v, int) if integer else isinstance(v, int | float)
    if isinstance(v, bool) or not ok or (not integer and not math.isfinite(v)):
        kind = "an integer" if integer else "a finite number"
        raise CpjaxInputError(f"targets file {file}: {field} = {v!r} must be {kind}")
    return int(v) if integer else float(v)


_SCHEMAS = {
    Parameter: {"name": Field(str, required=True), "lower": Field(float),
                "upper": Field(float), "transform": Field(str, choices=TRANSFORMS),
                "penalty": Field(float, lo=0.0), "scale": Field(float, lo=0.0, lo_open=True)},
    Target: {"output": Field(str, required=True), "value": Field(float),
             "year": Field(int, lo=1900, hi=2200), "kind": Field(str, choices=TARGET_KINDS),
             "weight": Field(float, lo=0.0), "scale": Field(float, lo=0.0, lo_open=True)},
}


def _record(file: str, name: str, i: int, raw: Any, cls: type, required: tuple[str, ...]) -> Any:
    where = f"{name}[{i}]"
    if not isinstance(raw, dict):
        raise CpjaxInputError(f"targets file {file}: {where} must be a table of fields")
    schema = _SCHEMAS[cls]
    allowed = list(schema) + (["init"] if cls is Parameter else [])
    for key in raw:
        if key not in allowed:
            raise _unknown(file, f"{where}.", key, allowed)
    for r in required:
        if r not in raw:
            raise CpjaxInputError(f"targets file {file}: {where} has no {r!r} field (required)")
    kw = check_table({k: v for k, v in raw.items() if k != "init"}, schema, file, "targets file",
                     f"{where}.")
    if cls is Parameter:
        lo, hi = kw.get("lower"), kw.get("upper")
        if lo is not None and hi is not None and not lo < hi:
            raise CpjaxInputError(f"targets file {file}: {where}.lower = {lo:g} must be below "
                                  f"{where}.upper = {hi:g}")
        if "init" in raw:
            v = raw["init"]
            kw["init"] = (tuple(_number(file, f"{where}.init[{j}]", x) for j, x in enumerate(v))
                          if isinstance(v, list) else _number(file, f"{where}.init", v))
    elif kw.get("kind", "value") != "peak" and "value" not in kw:
        raise CpjaxInputError(f"targets file {file}: {where} has no 'value' field (required "
                              "unless kind = \"peak\")")
    return cls(**kw)


def _read(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise CpjaxInputError(f"targets file {path} not found; fix: give an existing .toml or .json "
                              "file (examples: cpjax/cge/data/targets/)")
    text = path.read_text()
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as err:
        kind = "JSON" if path.suffix.lower() == ".json" else "TOML"
        raise CpjaxInputError(f"targets file {path} could not be parsed as {kind} ({err})") from err
    if not isinstance(data, dict):
        raise CpjaxInputError(f"targets file {path}: the top level must be a table")
    return data


def load_targets(path: str | os.PathLike) -> CalibrationTask:
    """Read and check a targets file (``.toml``, or ``.json`` with the same structure).

    Example:
        >>> task = load_targets("cpjax/cge/data/targets/baseline_energy.toml")  # doctest: +SKIP
    """
    path = Path(path)
    file = str(path)
    data = _read(path)
    for key in data:
        if key not in _TOP:
            raise _unknown(file, "", key, list(_TOP))
    kw: dict[str, Any] = {"source": file, "description": str(data.get("description", ""))}
    p = data.get("path", {})
    if not isinstance(p, dict):
        raise CpjaxInputError(f"targets file {file}: [path] must be a table")
    for key, v in p.items():
        if key not in _PATH_FIELDS:
            raise _unknown(file, "path.", key, list(_PATH_FIELDS))
        want = _PATH_FIELDS[key]
        if want is float:
            v = _number(file, f"path.{key}", v)
        elif not isinstance(v, want):
            raise CpjaxInputError(f"targets file {file}: path.{key} = {v!r} must be a {want.__name__}")
        if key == "kind" and v not in PATH_KINDS:
            raise CpjaxInputError(f"targets file {file}: path.kind = {v!r} is unknown; choose one of "
                                  f"{', '.join(PATH_KINDS)}")
        if key == "years":
            ys = [_number(file, f"path.years[{j}]", y, integer=True) for j, y in enumerate(v)]
            if len(ys) != 2 or ys[1] < ys[0]:
                raise CpjaxInputError(f"targets file {file}: path.years = {v!r} must be [first, last] "
                                      "with first <= last")
            v = (ys[0], ys[1])
        if key in ("covered", "structural"):
            if not all(isinstance(s, str) for s in v):
                raise CpjaxInputError(f"targets file {file}: path.{key} must be a list of names")
            v = tuple(v)
        if key == "fixed":
            v = tuple((str(n), [_number(file, f"path.fixed.{n}", y) for y in x] if isinstance(x, list)
                       else _number(file, f"path.fixed.{n}", x)) for n, x in v.items())
        kw["path_kind" if key == "kind" else key] = v
    o = data.get("optimizer", {})
    if not isinstance(o, dict):
        raise CpjaxInputError(f"targets file {file}: [optimizer] must be a table")
    cfg_fields = {f.name: f for f in dataclasses.fields(CalibrationConfig)}
    ckw: dict[str, Any] = {}
    for key, v in o.items():
        name = "optimizer" if key == "name" else key
        if name not in cfg_fields or key == "optimizer":
            raise _unknown(file, "optimizer.", key, ["name"] + [k for k in cfg_fields if k != "optimizer"])
        if name == "optimizer":
            if not isinstance(v, str):
                raise CpjaxInputError(f"targets file {file}: optimizer.name = {v!r} must be a string")
            ckw[name] = v
        else:
            integer = name in ("max_steps", "patience", "max_rejections")
            ckw[name] = _number(file, f"optimizer.{key}", v, integer=integer)
    kw["config"] = CalibrationConfig(**ckw)
    for name, cls, req in (("parameters", Parameter, ("name",)), ("targets", Target, ("output",))):
        items = data.get(name)
        if not isinstance(items, list) or not items:
            raise CpjaxInputError(f"targets file {file}: needs at least one [[{name}]] entry")
        kw[name] = tuple(_record(file, name, i, r, cls, req) for i, r in enumerate(items))
    try:
        kw["config"].check()
    except CpjaxInputError as err:
        raise CpjaxInputError(f"targets file {file}: [optimizer] {err}") from err
    return CalibrationTask(**kw)
