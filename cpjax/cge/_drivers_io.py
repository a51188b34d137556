"""Exogenous drivers for the dynamic CGE: smooth trends or Neural ODE trajectories (cpjax.node).

Trend drivers are :func:`~cpjax.cge.trend_drivers` (constant growth rates). Neural ODE drivers
come from trajectories (a ``trajectories.csv`` written by ``cpjax node generate``, a trained
model folder, or — for ``--demo`` — a small Neural ODE trained here on ``cpjax.node.demo_data``)
mapped by :func:`cpjax.node.map_to_drivers` (formulas in docs/node.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jax.numpy as jnp
import numpy as np

from .._errors import CpjaxInputError
from ._dynamics import Drivers

__all__ = ["calendar_years", "drivers_from_trajectories", "node_demo_drivers", "drivers_table"]


def calendar_years(dates: Any) -> np.ndarray:
    """``datetime64[M]`` (or 'YYYY-MM' strings) -> calendar years (2022.0 = 2022-01)."""
    d = np.asarray(dates, dtype="datetime64[M]").astype(np.int64)
    return 1970.0 + d / 12.0


def _to_drivers(d: Any) -> Drivers:
    return Drivers(np.asarray(d.years), *(np.asarray(getattr(d, f), dtype=np.float64) for f in
                                          ("tfp_growth", "labour_growth", "aeei",
                                           "energy_price_index", "carbon_price")))


def drivers_from_trajectories(source: Any, first_year: int, last_year: int, panel: str | None = None,
                              spec: Any = None) -> Drivers:
    """Neural ODE drivers from a ``trajectories.csv`` path or a :class:`cpjax.node.Trajectories`.

    The trajectories must cover ``first_year - 1`` (the base year of the growth rates) through
    ``last_year``; ``panel`` picks a province (default: the first).
    """
    from ..node import DriverSpec, map_to_drivers

    spec = spec or DriverSpec(first_year=first_year, last_year=last_year)
    if isinstance(source, str | Path):
        import pandas as pd

        path = Path(source)
        if not path.is_file():
            raise CpjaxInputError(f"Neural ODE trajectories file {path} not found; fix: write one "
                                  "with `cpjax node generate --model DIR --out DIR` and pass its "
                                  "trajectories.csv")
        df = pd.read_csv(path)
        for col in ("panel", "date"):
            if col not in df.columns:
                raise CpjaxInputError(f"{path}: column {col!r} missing (columns: {list(df.columns)}); "
                                      "fix: use the trajectories.csv of `cpjax node generate`")
        panels = list(dict.fromkeys(df["panel"].astype(str)))
        name = panel or panels[0]
        if name not in panels:
            from .._errors import unknown_name_message

            raise CpjaxInputError(unknown_name_message("panel", name, panels, where=str(path)))
        sub = df[df["panel"].astype(str) == name]
        series = tuple(c for c in df.columns if c not in ("panel", "date", "unit"))
        t = calendar_years(sub["date"].astype(str).to_numpy())
        x = sub[list(series)].to_numpy(dtype=np.float64)
    else:
        p = 0 if panel is None else list(source.panels).index(panel)
        series, t, x = tuple(source.series), calendar_years(source.dates), source.values[p]
    d = map_to_drivers(jnp.asarray(t, dtype=jnp.float32), jnp.asarray(x, dtype=jnp.float32),
                       series, spec)
    return _to_drivers(d)


def node_demo_drivers(first_year: int, last_year: int, seed: int = 0, steps: int = 300) -> Drivers:
    """Drivers from a small Neural ODE trained on the synthetic ``cpjax.node.demo_data(seed)``
    (panel Demo-A, 2008-01..2021-12), generated from the observed state of 2021-01."""
    from ..node import NodeConfig, demo_data, generate_trajectories, train_node

    if first_year != 2022:
        raise CpjaxInputError("the demo Neural ODE data end in 2021-12, so --drivers node with "
                              "--demo needs years from 2022; fix: --years 2022-YYYY or give "
                              "--node-trajectories")
    data = demo_data(seed=seed)
    res = train_node(data, NodeConfig(steps=steps, seed=seed), baselines=())
    k = int(np.nonzero(data.dates == np.datetime64("2021-01", "M"))[0][0])
    traj = generate_trajectories(res.model, f"{last_year}-12", start="2021-01",
                                 initial=data.values[0, k], panels=[data.panels[0]])
    return drivers_from_trajectories(traj, first_year, last_year)


def drivers_table(d: Drivers, label: str) -> list[dict[str, Any]]:
    """Rows (one per year) of a drivers path, for drivers.csv."""
    rows = []
    for i, y in enumerate(np.asarray(d.years)):
        rows.append({"drivers": label, "year": int(y),
                     **{f: float(np.asarray(getattr(d, f))[i]) for f in
                        ("tfp_growth", "labour_growth", "aeei", "energy_price_index", "carbon_price")}})
    return rows
