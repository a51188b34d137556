"""A trained Neural ODE with everything needed to use it, and pickle-free save/load.

On disk (a folder): ``hyperparams.json`` (format tag, :class:`NodeConfig`, series and panel names,
the per-panel scalers (:meth:`cpjax.data.CategoryScaler.to_dict`), log floors, the cleaned
history the state is rebuilt from, what the parameters were fit on) and ``params.eqx`` (the
vector field's arrays, written by :func:`equinox.tree_serialise_leaves`). Loading rebuilds the
module skeleton from the JSON header and reads the arrays into it; nothing is unpickled or
evaluated.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import equinox as eqx
import numpy as np

from .._errors import CpjaxInputError
from .._io import to_jsonable
from ..data import CategoryScaler
from ._config import NodeConfig
from ._data import month_to_years
from ._field import VectorField, make_field
from ._preprocess import scaler_arrays
from ._state import state_offset

__all__ = ["NodeModel", "save_model", "load_model", "FORMAT"]

FORMAT = "cpjax.node.model/2"


@dataclass(frozen=True)
class NodeModel:
    """Vector field + settings + scaling + the cleaned history.

    Attributes:
        field: the trained :class:`VectorField` (acts on standardised states).
        config: its :class:`NodeConfig` (``config.state``: what the state represents).
        series, panels: state components and panels (provinces) it was trained on.
        units: unit of the series in original scale (e.g. ``"TWh/month"``).
        scalers: one fitted :class:`cpjax.data.CategoryScaler` per panel (z-scores of the state).
        floor: (P, S) floors of the log states.
        mask: (P, S) panel-series used in training (False: mostly missing, not modelled).
        origin: first month (``"YYYY-MM"``) of the history, model time ``t = 0`` (years).
        history: (P, T, S) cleaned monthly values from ``origin`` (original units): initial
            states, the months a growth state is rebuilt from, and plausibility bounds.
        source: where the training data came from.
        fit_info: what the parameters were fit on (months, best epoch, ...).
    """

    field: VectorField
    config: NodeConfig
    series: tuple[str, ...]
    panels: tuple[str, ...]
    units: str
    scalers: tuple[CategoryScaler, ...]
    floor: np.ndarray
    mask: np.ndarray
    origin: str
    history: np.ndarray
    source: str = ""
    fit_info: dict = field(default_factory=dict)

    @property
    def dates(self) -> np.ndarray:
        """(T,) months of :attr:`history`."""
        start = np.datetime64(self.origin, "M")
        return np.arange(start, start + np.timedelta64(self.history.shape[1], "M"))

    @property
    def last_date(self) -> str:
        """Last observed month (the default start of generated paths)."""
        return str(self.dates[-1])

    @property
    def last_values(self) -> np.ndarray:
        """(P, S) observed values of the last month (original units)."""
        return self.history[:, -1]

    @property
    def offset(self) -> int:
        """Months of history needed before a state exists (12 for the growth state)."""
        return state_offset(self.config.state)

    def scale_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """(P, S) shift and scale: ``z = (state - shift) / scale``."""
        return scaler_arrays(self.scalers, self.series)

    def years(self, dates: np.ndarray) -> np.ndarray:
        """Model time (years since ``origin``) of monthly ``dates``."""
        return month_to_years(dates, np.datetime64(self.origin, "M"))

    def header(self) -> dict:
        return {"format": FORMAT, "config": to_jsonable(self.config), "n_state": len(self.series),
                "series": list(self.series), "panels": list(self.panels), "units": self.units,
                "scalers": [sc.to_dict() for sc in self.scalers],
                "floor": np.asarray(self.floor).tolist(), "mask": np.asarray(self.mask).tolist(),
                "origin": self.origin,
                "history": np.where(np.isfinite(self.history), self.history, 0.0).tolist(),
                "source": self.source, "fit_info": to_jsonable(self.fit_info)}


def save_model(model: NodeModel, folder: str | os.PathLike) -> Path:
    """Write ``folder/hyperparams.json`` and ``folder/params.eqx`` (no pickle)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "hyperparams.json").write_text(json.dumps(model.header(), indent=1) + "\n")
    eqx.tree_serialise_leaves(folder / "params.eqx", model.field)
    return folder


def load_model(folder: str | os.PathLike) -> NodeModel:
    """Read a model written by :func:`save_model` (accepts the folder or its parent with a
    ``model/`` subfolder, i.e. the ``--out`` of ``cpjax node train``)."""
    folder = Path(folder)
    if (folder / "model" / "hyperparams.json").is_file():
        folder = folder / "model"
    head_path = folder / "hyperparams.json"
    if not head_path.is_file() or not (folder / "params.eqx").is_file():
        raise CpjaxInputError(f"no Neural ODE model in {str(folder)!r} (hyperparams.json and "
                              "params.eqx expected); fix: pass the --out folder of "
                              "'cpjax node train'")
    try:
        head = json.loads(head_path.read_text())
    except json.JSONDecodeError as err:
        raise CpjaxInputError(f"{str(head_path)!r} is not valid JSON ({err}); fix: retrain") from err
    if head.get("format") != FORMAT:
        raise CpjaxInputError(f"{str(head_path)!r} has format {head.get('format')!r}, expected "
                              f"{FORMAT!r}; fix: retrain with this version of cpjax")
    config = NodeConfig.from_dict(head["config"])
    skeleton = make_field(int(head["n_state"]), config)
    field_ = eqx.tree_deserialise_leaves(folder / "params.eqx", skeleton)
    return NodeModel(field_, config, tuple(head["series"]), tuple(head["panels"]), head["units"],
                     tuple(CategoryScaler.from_dict(d) for d in head["scalers"]),
                     np.asarray(head["floor"], dtype=np.float64),
                     np.asarray(head["mask"], dtype=bool), head["origin"],
                     np.asarray(head["history"], dtype=np.float64), head.get("source", ""),
                     head.get("fit_info", {}))
