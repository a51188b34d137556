"""A trained Neural ODE with everything needed to use it, and pickle-free save/load.

On disk (a folder): ``hyperparams.json`` (format tag, :class:`NodeConfig`, series and panel names,
scaler state, time origin, last observed state) and ``params.eqx`` (the vector field's arrays,
written by :func:`equinox.tree_serialise_leaves`). Loading rebuilds the module skeleton from the
JSON header and reads the arrays into it; nothing is unpickled or evaluated.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import equinox as eqx
import jax.numpy as jnp
import numpy as np

from .._errors import CpjaxInputError
from .._io import to_jsonable
from ._config import NodeConfig
from ._field import VectorField, make_field
from ._preprocess import Scaler

__all__ = ["NodeModel", "save_model", "load_model", "FORMAT"]

FORMAT = "cpjax.node.model/1"


@dataclass(frozen=True)
class NodeModel:
    """Vector field + settings + scaling + calendar.

    Attributes:
        field: the trained :class:`VectorField` (acts on standardised states).
        config: its :class:`NodeConfig`.
        series, panels: state components and panels (provinces) it was trained on.
        units: unit of the series in original scale (e.g. ``"TWh/month"``).
        scaler: per panel and series z-score statistics.
        origin: month (``"YYYY-MM"``) at which model time ``t = 0`` (time is in years).
        last_date: last observed month; last_values: (P, S) observed values there (original
            units), the default initial condition of :func:`generate_trajectories`.
        source: where the training data came from.
    """

    field: VectorField
    config: NodeConfig
    series: tuple[str, ...]
    panels: tuple[str, ...]
    units: str
    scaler: Scaler
    origin: str
    last_date: str
    last_values: np.ndarray
    source: str = ""

    def to_z(self, x: np.ndarray, panel: int) -> np.ndarray:
        """Original units -> standardised state for ``panel`` (index)."""
        return (x - self.scaler.mean[panel]) / self.scaler.std[panel]

    def from_z(self, z, panel: int):
        """Standardised state -> original units (works on numpy and jax arrays)."""
        z = jnp.asarray(z)
        shape = (1,) * (z.ndim - 1) + (-1,)
        std = jnp.asarray(self.scaler.std[panel], dtype=z.dtype).reshape(shape)
        return z * std + jnp.asarray(self.scaler.mean[panel], dtype=z.dtype).reshape(shape)

    def years(self, dates: np.ndarray) -> np.ndarray:
        """Model time (years since ``origin``) of monthly ``dates``."""
        from ._data import month_to_years

        return month_to_years(dates, np.datetime64(self.origin, "M"))

    def header(self) -> dict:
        return {"format": FORMAT, "config": to_jsonable(self.config), "n_state": len(self.series),
                "series": list(self.series), "panels": list(self.panels), "units": self.units,
                "scaler": self.scaler.to_dict(), "origin": self.origin,
                "last_date": self.last_date, "last_values": np.asarray(self.last_values).tolist(),
                "source": self.source}


def save_model(model: NodeModel, folder: str | os.PathLike) -> Path:
    """Write ``folder/hyperparams.json`` and ``folder/params.eqx`` (no pickle)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "hyperparams.json").write_text(json.dumps(model.header(), indent=2) + "\n")
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
    field = eqx.tree_deserialise_leaves(folder / "params.eqx", skeleton)
    return NodeModel(field, config, tuple(head["series"]), tuple(head["panels"]), head["units"],
                     Scaler.from_dict(head["scaler"]), head["origin"], head["last_date"],
                     np.asarray(head["last_values"], dtype=np.float64), head.get("source", ""))
