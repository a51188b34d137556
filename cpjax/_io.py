"""Shared output helpers: output folders replaced whole or not at all, ``config.json`` with
versions, and the run record (``run.json``) every command writes."""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import json
import os
import platform
import shutil
import sys
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

__all__ = ["RUN_RECORD", "atomic_output_dir", "check_output_dir", "file_digest", "staged_output",
           "to_jsonable", "versions", "write_config", "write_csv_rows", "write_json",
           "write_run_record"]

#: Name of the run record every command writes into its output folder.
RUN_RECORD = "run.json"


def _is_empty_dir(path: Path) -> bool:
    return path.is_dir() and not any(path.iterdir())


def _written_by_cpjax(path: Path) -> bool:
    return (path / RUN_RECORD).is_file() or (path / "config.json").is_file()


def _inside(child: Path, parent: Path) -> bool:
    try:
        child.resolve().relative_to(parent.resolve())
        return True
    except ValueError:
        return False


def check_output_dir(out: str | os.PathLike, *, overwrite: bool | None = False,
                     inputs: Iterable[str | os.PathLike] = (), option: str = "--out") -> Path:
    """Check before any work that ``out`` can receive a command's outputs; return it as a Path.

    Arguments:
        out: the output folder (created later; missing parents are created too).
        overwrite: ``False``: ``out`` must be missing or empty. ``True``: a non-empty ``out`` will
            be replaced whole. ``None`` (library default): a folder a previous cpjax run wrote
            (it holds ``run.json`` or ``config.json``) is replaced, any other non-empty folder is
            refused.
        inputs: paths the command reads; replacing a folder that holds one of them is refused.
        option: how to name ``out`` in messages (``--out`` on the command line).

    Raises:
        CpjaxInputError: ``out`` is a file, a non-empty folder (without ``overwrite``), the
        current folder or one above it, holds an input, or its parent cannot be written.
    """
    from ._errors import CpjaxInputError

    out = Path(out).expanduser()
    if out.exists() and not out.is_dir():
        raise CpjaxInputError(f"{option} {out} is an existing file, not a folder; fix: give a "
                              "new folder name (it is created)")
    if out.is_dir() and not _is_empty_dir(out):
        refuse = overwrite is False or (overwrite is None and not _written_by_cpjax(out))
        if refuse:
            how = "add --overwrite to replace it" if option.startswith("--") else \
                "pass overwrite=True to replace it"
            raise CpjaxInputError(f"{option} {out} is not empty; fix: give a new or empty folder, "
                                  f"or {how} (its current contents are then deleted)")
        if _inside(Path.cwd(), out) or out.resolve() == Path.home().resolve():
            raise CpjaxInputError(f"{option} {out} holds the current folder (or is your home "
                                  "folder) and will not be replaced; fix: give a dedicated "
                                  "output folder")
        for p in inputs:
            if p is not None and Path(p).exists() and _inside(Path(p), out):
                raise CpjaxInputError(f"{option} {out} holds the input {p}, which replacing the "
                                      "folder would delete; fix: write to another folder or move "
                                      "the input out of it")
    parent = out.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise CpjaxInputError(f"{option} {out}: {parent} is a file, so the folder cannot be "
                              "created; fix: choose another output path")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise CpjaxInputError(f"{option} {out}: no permission to write in {parent}; fix: choose "
                              "a folder you can write to")
    return out


def _missing_parents(path: Path) -> list[Path]:
    missing = []
    p = path.parent
    while not p.exists() and p != p.parent:
        missing.append(p)
        p = p.parent
    return missing


def _remove_created(tmp: Path, created: list[Path]) -> None:
    shutil.rmtree(tmp, ignore_errors=True)
    for p in created:  # innermost first; only folders this call made and left empty
        with contextlib.suppress(OSError):
            p.rmdir()


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    """Hold SIGINT/SIGTERM/SIGHUP while a folder is swapped in (two renames), where possible."""
    import signal

    sigs = {signal.SIGINT, signal.SIGTERM} | ({signal.SIGHUP} if hasattr(signal, "SIGHUP") else set())
    can = hasattr(signal, "pthread_sigmask")
    old = signal.pthread_sigmask(signal.SIG_BLOCK, sigs) if can else None
    try:
        yield
    finally:
        if can:
            signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _swap_in(new: Path, out: Path, trash: Path) -> None:
    """Move folder ``new`` to ``out``; an existing ``out`` is moved to ``trash`` first."""
    with _signals_deferred():
        if out.exists():
            os.replace(out, trash)
        os.replace(new, out)


@contextlib.contextmanager
def staged_output(out: str | os.PathLike, *, overwrite: bool | None = False,
                  inputs: Iterable[str | os.PathLike] = (), option: str = "--out"
                  ) -> Iterator[Path]:
    """Check ``out`` now (:func:`check_output_dir`), yield a new path to write the outputs to, and
    on success put that folder in place of ``out`` whole (nothing stale from an earlier run stays).

    The staging area is a hidden folder beside ``out`` (same file system, so the final move is a
    rename).  On any exception, including :class:`KeyboardInterrupt` and
    :class:`cpjax._errors.Interrupted` (SIGTERM), the staging area and any parent folders this
    call created are removed and ``out`` is left as it was.
    """
    out = check_output_dir(out, overwrite=overwrite, inputs=inputs, option=option)
    created = _missing_parents(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.cpjax-tmp-", dir=out.parent))
    target = tmp / out.name
    try:
        yield target
        if not target.exists():
            target.mkdir()
        _swap_in(target, out, tmp / "previous")
    except BaseException:
        _remove_created(tmp, created)
        raise
    shutil.rmtree(tmp, ignore_errors=True)


@contextlib.contextmanager
def atomic_output_dir(out: str | os.PathLike, overwrite: bool | None = None) -> Iterator[Path]:
    """Yield a temporary folder beside ``out``; on success it replaces ``out`` whole.

    If the body raises (or the process is interrupted), nothing is written to ``out`` and the
    temporary folder is removed.  ``overwrite`` as in :func:`check_output_dir`: by default a
    folder an earlier cpjax run wrote is replaced and any other non-empty folder is refused, so
    outputs of different runs are never mixed.  (The command line checks ``--out`` before any
    work and passes a fresh path here.)
    """
    with staged_output(out, overwrite=overwrite, option="output folder") as target:
        target.mkdir()
        yield target


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
                "xgboost", "numpy", "pandas", "scipy", "statsmodels", "statsforecast",
                "scikit-learn"):
        try:
            out[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            out[pkg] = "not installed"
    if "jax" in sys.modules:  # the device a run used; importing JAX just to ask costs a second
        try:
            import jax

            out["jax_backend"] = jax.default_backend()
            out["jax_devices"] = ", ".join(str(d) for d in jax.devices())
        except Exception:  # pragma: no cover - a broken backend is reported by the run itself
            pass
    else:
        out["jax_backend"] = "not used"
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


def file_digest(path: str | os.PathLike) -> dict[str, Any]:
    """``{"path", "bytes", "sha256"}`` of a file, or of every file under a folder (``files``)."""
    import hashlib

    path = Path(path)

    def one(p: Path) -> dict[str, Any]:
        h = hashlib.sha256()
        with open(p, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
        return {"bytes": p.stat().st_size, "sha256": h.hexdigest()}

    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file())
        return {"path": str(path), "files": {str(p.relative_to(path)): one(p) for p in files}}
    return {"path": str(path), **one(path)}


def write_run_record(folder: str | os.PathLike, *, command: str, argv: list[str],
                     options: dict[str, Any], inputs: dict[str, Any], started: float,
                     finished: float, stages: dict[str, float] | None = None,
                     output: str | os.PathLike | None = None) -> Path:
    """Write ``folder/run.json``: what ran, on what, where and how long (the same for every
    command).

    Arguments:
        command: e.g. ``"forecast"`` or ``"node train"``; argv: the command line as given.
        options: every option's value (defaults included).
        inputs: option name -> input path; each file (or every file of a folder) is recorded
            with its size and SHA-256, so a result can be traced to the exact data.
        started, finished: ``time.time()`` stamps; ``stages``: seconds per named stage.
        output: the final output folder (the record is written before it is moved there).

    Returns:
        The path of the record.
    """
    import datetime

    def stamp(t: float) -> str:
        return datetime.datetime.fromtimestamp(t).astimezone().isoformat(timespec="seconds")

    data = {}
    for name, p in inputs.items():
        if p is None or not Path(p).exists():
            continue
        data[name] = file_digest(p)
    v = versions()
    record = {
        "command": command,
        "argv": list(argv),
        "options": to_jsonable(options),
        "data": data,
        "output": None if output is None else str(output),
        "started": stamp(started),
        "finished": stamp(finished),
        "timings_s": {"total": round(finished - started, 3),
                      **{k: round(float(x), 3) for k, x in (stages or {}).items()}},
        "device": {"jax_backend": v.pop("jax_backend", "not used"),
                   "jax_devices": v.pop("jax_devices", ""),
                   "machine": platform.machine(), "processor": platform.processor(),
                   "cpu_count": os.cpu_count()},
        "versions": v,
    }
    path = Path(folder) / RUN_RECORD
    path.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
