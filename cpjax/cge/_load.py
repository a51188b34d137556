"""Loading a model from files, and the shipped demo model."""

from __future__ import annotations

import functools
import os
from pathlib import Path

from .._errors import CpjaxInputError
from ._build import build_model
from ._sam import Sam, balance_ras, load_sam
from ._spec import load_spec
from ._structure import Model

__all__ = ["load_model", "demo_paths", "load_demo", "model_from_options"]

DATA_DIR = Path(__file__).parent / "data"


def load_model(sam: str | os.PathLike | Sam, spec: str | os.PathLike | dict,
               balance: str | None = None) -> Model:
    """Build a calibrated model from a SAM file and a specification file.

    Arguments:
        sam: path of a CSV/Excel SAM (rows receive, columns pay) or a :class:`Sam`.
        spec: path of a TOML/YAML specification, or an already loaded dict.
        balance: ``None`` (an unbalanced SAM is an error naming the worst accounts) or ``"ras"``
            (balance it first; the changes are in ``model.spec['_balance_report']``).

    Example:
        >>> model = load_model("sam.csv", "spec.toml")  # doctest: +SKIP
    """
    sam_obj = sam if isinstance(sam, Sam) else load_sam(sam)
    spec_d = spec if isinstance(spec, dict) else load_spec(spec)
    report = None
    if balance == "ras":
        sam_obj, report = balance_ras(sam_obj)
    elif balance is not None:
        raise CpjaxInputError(f"unknown balancing method {balance!r}; choose 'ras' or leave it out")
    model = build_model(sam_obj, spec_d)
    if report is not None:
        model.spec["_balance_report"] = report
    return model


def demo_paths() -> tuple[Path, Path]:
    """Paths of the shipped stylized provincial SAM (2022) and its specification."""
    return DATA_DIR / "provincial_2022_sam.csv", DATA_DIR / "provincial_2022_spec.toml"


@functools.lru_cache(maxsize=1)
def load_demo() -> Model:
    """The stylized coal-province model of 2022 shipped with cpjax (synthetic, documented).

    Cached: repeated calls return the same model object, so compiled solvers are reused.
    """
    sam, spec = demo_paths()
    return load_model(sam, spec)


def model_from_options(demo: bool, sam: str | os.PathLike | None, spec: str | os.PathLike | None
                       ) -> tuple[Model, Path, Path]:
    """The model of the CLI options ``--demo`` or ``--sam PATH --spec PATH``, with the two
    paths it came from (for ``config.json``)."""
    if demo:
        sam_path, spec_path = demo_paths()
        return load_demo(), sam_path, spec_path
    if not sam or not spec:
        raise CpjaxInputError("give --demo, or both --sam PATH and --spec PATH")
    sam_path, spec_path = Path(sam), Path(spec)
    return load_model(sam_path, spec_path), sam_path, spec_path
