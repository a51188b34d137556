"""CGE drivers from trajectories (a ``trajectories.csv`` of ``cpjax node generate`` or a
:class:`cpjax.node.Trajectories`), with the plausibility gate of ``--drivers node``.

Trend drivers are :func:`~cpjax.cge.trend_drivers` (constant growth rates). Trajectory drivers go
through :func:`~cpjax.cge.map_to_drivers` (formulas in docs/scenarios.md). Nothing here trains a
model: a Neural ODE is trained and run by ``cpjax node train`` / ``cpjax node generate`` (or
:mod:`cpjax.node`), which write the trajectories and their plausibility record read here.
"""

from __future__ import annotations

import os
from typing import Any

import jax.numpy as jnp
import numpy as np

from .._errors import CpjaxInputError
from ..node import Trajectories, read_trajectories
from ._drivers import Drivers, DriverSpec, map_to_drivers

__all__ = ["drivers_from_trajectories", "check_trajectories", "drivers_table"]

ALLOW_FLAG = "--allow-implausible-drivers"


def check_trajectories(traj: Trajectories, allow_implausible: bool = False,
                       where: str = "the trajectories") -> None:
    """Refuse paths whose plausibility status is not ``"plausible"``, unless allowed.

    ``"implausible"`` (outside the bounds of :func:`cpjax.node.check_plausibility`) and
    ``"unchecked"`` (no ``plausibility.json`` next to the file, or a hand-made
    :class:`~cpjax.node.Trajectories`) are refused with a :class:`~cpjax.CpjaxInputError` that
    names the first violations and the fix.
    """
    status = traj.status
    if status == "plausible" or allow_implausible:
        return
    if status == "unchecked":
        raise CpjaxInputError(
            f"{where} carry no plausibility record (plausibility.json next to "
            "trajectories.csv, written by `cpjax node generate`), so nobody checked that the "
            "paths stay within historical growth and capacity bounds; fix: generate them with "
            f"`cpjax node generate`, or pass {ALLOW_FLAG} to run on unchecked paths")
    bad = traj.plausibility.get("violations", [])
    shown = "; ".join(v.get("message", str(v)) for v in bad[:3])
    more = f" (and {len(bad) - 3} more)" if len(bad) > 3 else ""
    raise CpjaxInputError(
        f"{where} are implausible: {shown}{more}; fix: shorten the horizon, retrain the Neural "
        f"ODE (docs/node.md, 'Plausibility'), or pass {ALLOW_FLAG} to run on them anyway")


def drivers_from_trajectories(source: Any, first_year: int, last_year: int,
                              panel: str | None = None, spec: DriverSpec | None = None, *,
                              allow_implausible: bool = False) -> Drivers:
    """CGE drivers from trajectories: a ``trajectories.csv`` path (or its folder) or a
    :class:`cpjax.node.Trajectories`.

    Arguments:
        source: the trajectories.
        first_year, last_year: the driver years; the paths must cover ``first_year - 1`` (the
            base year of the growth rates) through ``last_year``.
        panel: which panel (province) to use (default: the first).
        spec: the mapping's settings (default :class:`DriverSpec` for these years).
        allow_implausible: run on paths whose status is not ``"plausible"``
            (:func:`check_trajectories`).

    Returns:
        :class:`Drivers` (numpy float64 arrays).
    """
    spec = spec or DriverSpec(first_year=first_year, last_year=last_year)
    if isinstance(source, str | os.PathLike):
        traj, where = read_trajectories(source), str(source)
    elif isinstance(source, Trajectories):
        traj, where = source, "the trajectories"
    else:
        raise CpjaxInputError(f"trajectories must be a path or cpjax.node.Trajectories, got "
                              f"{type(source).__name__}")
    check_trajectories(traj, allow_implausible, where)
    p = traj.panel(panel)
    d = map_to_drivers(jnp.asarray(traj.years_cal, dtype=jnp.float32),
                       jnp.asarray(traj.values[p], dtype=jnp.float32), tuple(traj.series), spec)
    return Drivers(np.asarray(d.years), *(np.asarray(getattr(d, f), dtype=np.float64) for f in
                                          ("tfp_growth", "labour_growth", "aeei",
                                           "energy_price_index", "carbon_price")))


def drivers_table(d: Drivers, label: str) -> list[dict[str, Any]]:
    """Rows (one per year) of a drivers path, for drivers.csv."""
    rows = []
    for i, y in enumerate(np.asarray(d.years)):
        rows.append({"drivers": label, "year": int(y),
                     **{f: float(np.asarray(getattr(d, f))[i]) for f in
                        ("tfp_growth", "labour_growth", "aeei", "energy_price_index", "carbon_price")}})
    return rows
