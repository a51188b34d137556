"""Strict configuration files: one reader and one checker for every TOML/JSON file cpjax reads.

A file is checked against a schema, a dict ``key -> Field`` (nested tables have their own
schema).  Unknown keys at any depth, wrong types and values outside their range or choices are
:class:`~cpjax.CpjaxInputError` messages that name the file, the key (dotted path, with list
positions: ``targets[2].value``) and the allowed keys or values, with close matches for typos.

Example::

    >>> schema = {"name": Field(str, required=True),
    ...           "reduction": Field(dict, table={"start": Field(float, lo=0, hi=1)})}
    >>> check_table({"name": "S9", "reduction": {"start": 0.1}}, schema, "S9.toml", "scenario file")
    {'name': 'S9', 'reduction': {'start': 0.1}}
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ._errors import CpjaxInputError, close_matches

__all__ = ["Field", "check_dataclass_dict", "check_table", "read_config", "unknown_key_error"]

_TYPE_NAMES = {str: "a string", int: "an integer", float: "a number", bool: "true or false",
               list: "a list", dict: "a table"}


@dataclasses.dataclass(frozen=True)
class Field:
    """What one key of a configuration table may hold.

    Attributes:
        kind: ``str``, ``int``, ``float`` (integers accepted), ``bool``, ``list`` or ``dict``.
        required: the key must be present.
        choices: allowed values (strings).
        lo, hi: inclusive bounds of a number; ``lo_open``/``hi_open`` make them exclusive.
        items: the Field of every element of a list.
        table: the schema of a sub-table (``kind=dict``); ``None`` for a free table whose
            values are checked by ``values``.
        values: the Field of every value of a free table (``table=None``).
        length: required length of a list.
    """

    kind: type
    required: bool = False
    choices: tuple[Any, ...] | None = None
    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False
    hi_open: bool = False
    items: Field | None = None
    table: Mapping[str, Field] | None = None
    values: Field | None = None
    length: int | None = None

    def allowed(self) -> str:
        """The allowed values in words."""
        if self.choices is not None:
            return "one of " + ", ".join(map(str, self.choices))
        if self.kind in (int, float) and (self.lo is not None or self.hi is not None):
            left = "(" if self.lo_open else "["
            right = ")" if self.hi_open else "]"
            lo = "-inf" if self.lo is None else f"{self.lo:g}"
            hi = "inf" if self.hi is None else f"{self.hi:g}"
            return f"{_TYPE_NAMES[self.kind]} in {left}{lo}, {hi}{right}"
        if self.kind is list and self.items is not None:
            n = f"{self.length} " if self.length else ""
            return f"a list of {n}{_TYPE_NAMES[self.items.kind].split(' ', 1)[-1]}s"
        return _TYPE_NAMES.get(self.kind, self.kind.__name__)


def unknown_key_error(file: str, what: str, where: str, key: str, allowed: list[str],
                      noun: str = "key") -> CpjaxInputError:
    """``<what> <file>: unknown key <where><key>; did you mean ...? Allowed: ...``."""
    near = close_matches(key, allowed)
    hint = f"; did you mean {', '.join(repr(n) for n in near)}?" if near else ";"
    return CpjaxInputError(f"{what} {file}: unknown {noun} {where}{key}{hint} Allowed {noun}s "
                           f"there: {', '.join(allowed) or '(none)'}.")


def _bad(file: str, what: str, key: str, value: Any, field: Field) -> CpjaxInputError:
    shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
    return CpjaxInputError(f"{what} {file}: {key} = {shown} must be {field.allowed()}")


def _check_value(value: Any, field: Field, file: str, what: str, key: str) -> Any:
    if field.kind is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _bad(file, what, key, value, field)
        value = float(value)
        if not math.isfinite(value):
            raise _bad(file, what, key, value, field)
    elif field.kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _bad(file, what, key, value, field)
    elif field.kind is dict:
        if not isinstance(value, dict):
            raise _bad(file, what, key, value, field)
        if field.table is not None:
            return check_table(value, field.table, file, what, key + ".")
        if field.values is not None:
            return {k: _check_value(v, field.values, file, what, f"{key}.{k}")
                    for k, v in value.items()}
        return value
    elif not isinstance(value, field.kind) or (field.kind is int and isinstance(value, bool)):
        raise _bad(file, what, key, value, field)
    if field.choices is not None and value not in field.choices:
        raise _bad(file, what, key, value, field)
    if field.kind in (int, float):
        below = field.lo is not None and (value <= field.lo if field.lo_open else value < field.lo)
        above = field.hi is not None and (value >= field.hi if field.hi_open else value > field.hi)
        if below or above:
            raise _bad(file, what, key, value, field)
    if field.kind is list:
        if field.length is not None and len(value) != field.length:
            raise _bad(file, what, key, value, field)
        if field.items is not None:
            value = [_check_value(v, field.items, file, what, f"{key}[{i}]")
                     for i, v in enumerate(value)]
    return value


def check_table(raw: Any, schema: Mapping[str, Field], file: str | os.PathLike, what: str,
                where: str = "") -> dict[str, Any]:
    """Check ``raw`` against ``schema``; return the checked table (floats as ``float``).

    Arguments:
        raw: the parsed table (a dict).
        schema: key -> :class:`Field`.
        file: the file's path (named in messages); what: what the file is ("scenario file").
        where: dotted prefix of this table in the file (``"reduction."``).

    Raises:
        CpjaxInputError: unknown key, missing required key, wrong type or value.
    """
    file = str(file)
    if not isinstance(raw, dict):
        raise CpjaxInputError(f"{what} {file}: {where.rstrip('.') or 'the top level'} must be a "
                              "table of keys")
    for key in raw:
        if key not in schema:
            raise unknown_key_error(file, what, where, str(key), list(schema))
    out: dict[str, Any] = {}
    for key, field in schema.items():
        if key not in raw:
            if field.required:
                raise CpjaxInputError(f"{what} {file}: missing {where}{key} (required); "
                                      f"allowed: {field.allowed()}")
            continue
        out[key] = _check_value(raw[key], field, file, what, where + key)
    return out


def read_config(path: str | os.PathLike, what: str, fix: str = "") -> dict[str, Any]:
    """Read a ``.toml`` or ``.json`` file into a dict, with one-line errors naming the file.

    Arguments:
        path: the file; ``.json`` is read as JSON, anything else as TOML.
        what: what the file is, for messages ("scenario file").
        fix: how to fix a missing or unreadable file (e.g. where the examples are).
    """
    p = Path(path)
    tail = f"; fix: {fix}" if fix else ""
    if not p.is_file():
        raise CpjaxInputError(f"{what} {p} not found{tail or '; fix: check the path'}")
    json_file = p.suffix.lower() == ".json"
    try:
        text = p.read_text(encoding="utf-8")
        data = json.loads(text) if json_file else tomllib.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError, tomllib.TOMLDecodeError) as err:
        kind = "JSON" if json_file else "TOML"
        raise CpjaxInputError(f"{what} {p} cannot be parsed as {kind} "
                              f"({str(err).splitlines()[0] if str(err) else type(err).__name__})"
                              f"{tail}") from None
    if not isinstance(data, dict):
        raise CpjaxInputError(f"{what} {p}: the top level must be a table of keys{tail}")
    return data


def _field_of(default: Any) -> Field | None:
    if dataclasses.is_dataclass(default) and not isinstance(default, type):
        return Field(dict, table=dataclass_schema(type(default)))
    for kind in (bool, int, float, str):
        if isinstance(default, kind):
            return Field(kind)
    return None  # None, tuples, ...: checked by the dataclass itself


def dataclass_schema(cls: type) -> dict[str, Field]:
    """A schema from a dataclass' fields: each key takes the type of its default value (nested
    dataclasses become sub-tables; fields whose default is ``None`` or a tuple are free)."""
    schema = {}
    for f in dataclasses.fields(cls):
        if f.default is not dataclasses.MISSING:
            default = f.default
        elif f.default_factory is not dataclasses.MISSING:
            default = f.default_factory()
        else:
            default = None
        schema[f.name] = _field_of(default) or Field(object)
    return schema


def check_dataclass_dict(d: Any, cls: type, file: str | os.PathLike, what: str) -> dict[str, Any]:
    """Check a dict meant for ``cls(**d)``: unknown keys at any depth and values whose type
    differs from the field's default are errors naming the file and the key."""
    return check_table(d, dataclass_schema(cls), file, what)
