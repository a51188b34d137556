"""Shared output helpers: atomic output folders and ``config.json`` with versions."""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import json
import os
import platform
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["atomic_output_dir", "to_jsonable", "versions", "write_config", "write_csv_rows",
           "write_json"]


@contextlib.contextmanager
def atomic_output_dir(out: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary folder beside ``out``; move its files into ``out`` only on success.

    If the body raises, nothing is written to ``out`` (it is not even created).  Existing files
    in ``out`` with the same names are replaced; other files there are left alone.
    """
    out = Path(out)
    parent = out.parent if str(out.parent) else Path(".")
    parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=parent))
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    out.mkdir(parents=True, exist_ok=True)
    for item in tmp.iterdir():
        target = out / item.name
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
        os.replace(item, target)
    shutil.rmtree(tmp, ignore_errors=True)


def to_jsonable(obj: Any) -> Any:
    """Convert dataclasses, paths, numpy scalars and tuples into JSON-ready values."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    if hasattr(obj, "item") and callable(obj.item) and getattr(obj, "ndim", 1) == 0:
        return obj.item()
    if hasattr(obj, "isoformat"):
        return obj.isoformat()
    return obj


def versions() -> dict[str, str]:
    """Versions of Python and the numerical libraries a result depends on."""
    import importlib.metadata as md

    out = {"python": platform.python_version(), "platform": platform.platform()}
    for pkg in ("cpjax", "jax", "jaxlib", "flax", "optax", "diffrax", "equinox", "optimistix",
                "xgboost", "numpy", "pandas", "scipy", "statsmodels", "scikit-learn"):
        try:
            out[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            out[pkg] = "not installed"
    try:
        import jax

        out["jax_backend"] = jax.default_backend()
        out["jax_devices"] = ", ".join(str(d) for d in jax.devices())
    except Exception:  # pragma: no cover - jax missing is reported above
        pass
    return out


def write_json(path: str | os.PathLike, obj: Any) -> None:
    """Write ``obj`` as indented JSON (dataclasses and numpy scalars converted)."""
    Path(path).write_text(json.dumps(to_jsonable(obj), indent=2, sort_keys=False) + "\n")


def write_csv_rows(path: str | os.PathLike, rows: list[dict[str, Any]]) -> None:
    """Write a list of dicts (one per row, same keys) as CSV with a header."""
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


def write_config(folder: str | os.PathLike, settings: Any, **extra: Any) -> Path:
    """Write ``folder/config.json`` with the exact settings, extra fields and library versions."""
    path = Path(folder) / "config.json"
    payload = {"settings": to_jsonable(settings), **to_jsonable(extra), "versions": versions()}
    write_json(path, payload)
    return path
