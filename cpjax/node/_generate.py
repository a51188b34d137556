# ruff: noqa: F722  (jaxtyping shape strings such as "t n" are not Python expressions)
"""Scenario trajectories from new initial conditions (and parameter sets) on any time grid."""

from __future__ import annotations

import time
from dataclasses import dataclass

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from .._errors import CpjaxInputError
from ._config import NodeConfig
from ._field import VectorField
from ._model import NodeModel
from ._solve import solve

__all__ = ["generate", "generate_ensemble", "generate_trajectories", "Trajectories", "time_grid"]


@eqx.filter_jit
def generate(field: VectorField, z0: Float[Array, "b n"], ts: Float[Array, " t"],
             config: NodeConfig) -> Float[Array, "b t n"]:
    """Solve from each initial state in ``z0`` over the grid ``ts`` (years), batched with ``vmap``.

    Example:
        >>> import jax.numpy as jnp
        >>> from cpjax.node import NodeConfig, make_field, generate
        >>> cfg = NodeConfig(width=8, depth=1)
        >>> generate(make_field(2, cfg), jnp.zeros((5, 2)), jnp.linspace(0.0, 2.0, 3), cfg).shape
        (5, 3, 2)
    """
    return jax.vmap(lambda y0: solve(field, y0, ts, config))(z0)


@eqx.filter_jit
def generate_ensemble(fields: VectorField, z0: Float[Array, "b n"], ts: Float[Array, " t"],
                      config: NodeConfig) -> Float[Array, "m b t n"]:
    """Like :func:`generate` for ``m`` parameter sets stacked on a leading axis (e.g. made with
    ``eqx.filter_vmap(make_field)`` over seeds, or one field per training seed stacked with
    ``jax.tree.map(jnp.stack, ...)``)."""
    return eqx.filter_vmap(lambda f: generate(f, z0, ts, config))(fields)


def time_grid(start: str, until: str, grid: str = "monthly") -> np.ndarray:
    """Monthly (every month) or annual (same month each year) dates from ``start`` to ``until``."""
    try:
        a, b = np.datetime64(start, "M"), np.datetime64(until, "M")
    except ValueError as err:
        raise CpjaxInputError(f"dates must look like YYYY-MM ({err}); fix: e.g. --until 2030-12") from err
    if b <= a:
        raise CpjaxInputError(f"--until {until} must be after the start {start}; fix: pick a "
                              "later month")
    if grid not in ("monthly", "annual"):
        raise CpjaxInputError(f"grid must be 'monthly' or 'annual', got {grid!r}")
    step = 1 if grid == "monthly" else 12
    one = np.timedelta64(1, "M")
    return np.arange(a, b + one, step * one)


@dataclass(frozen=True)
class Trajectories:
    """Generated paths in original units.

    Attributes:
        dates: (T,) ``datetime64[M]``; panels, series: names; values: (P, T, S).
        compile_seconds: first call (tracing + XLA compile + run); run_seconds: a second,
            compiled call (median of 3) — the cost of generating once compiled.
    """

    dates: np.ndarray
    panels: tuple[str, ...]
    series: tuple[str, ...]
    values: np.ndarray
    units: str
    compile_seconds: float
    run_seconds: float

    def to_frame(self):
        """Long-to-wide table: columns panel, date, one column per series."""
        import pandas as pd

        rows = []
        for p, name in enumerate(self.panels):
            df = pd.DataFrame(self.values[p], columns=list(self.series))
            df.insert(0, "date", [str(d) for d in self.dates])
            df.insert(0, "panel", name)
            rows.append(df)
        return pd.concat(rows, ignore_index=True)


def generate_trajectories(model: NodeModel, until: str = "2030-12", *, start: str | None = None,
                          initial: np.ndarray | dict[str, float] | None = None,
                          panels: list[str] | None = None, grid: str = "monthly") -> Trajectories:
    """Paths from an initial state (default: the last observed one) to ``until``.

    Arguments:
        model: a trained :class:`NodeModel`.
        until: last month (``"YYYY-MM"``).
        start: month of the initial state (default ``model.last_date``).
        initial: initial values in original units: an array (P, S) or (S,) (broadcast to every
            panel), or a dict ``{series: value}`` overriding the default for those series.
        panels: subset of the model's panels (default all).
        grid: ``"monthly"`` or ``"annual"`` output points.

    Returns:
        :class:`Trajectories` (row 0 is the initial state), with timings.
    """
    from ._data import _indices

    start = start or model.last_date
    dates = time_grid(start, until, grid)
    p_idx = _indices("panel/province", panels, model.panels, "the model")
    x0 = np.asarray(model.last_values, dtype=np.float64)[p_idx].copy()
    if isinstance(initial, dict):
        for name, v in initial.items():
            s = _indices("series", [name], model.series, "the model")[0]
            x0[:, s] = float(v)
    elif initial is not None:
        arr = np.asarray(initial, dtype=np.float64)
        try:
            x0 = np.broadcast_to(arr, x0.shape).copy()
        except ValueError as err:
            raise CpjaxInputError(f"initial state has shape {arr.shape}, expected {x0.shape} or "
                                  f"({len(model.series)},); fix: one value per series") from err
    z0 = np.stack([model.to_z(x0[i], p) for i, p in enumerate(p_idx)]).astype(np.float32)
    ts = jnp.asarray(model.years(dates), dtype=jnp.float32)
    t0 = time.perf_counter()
    out = jax.block_until_ready(generate(model.field, jnp.asarray(z0), ts, model.config))
    compile_s = time.perf_counter() - t0
    runs = []
    for _ in range(3):
        t0 = time.perf_counter()
        jax.block_until_ready(generate(model.field, jnp.asarray(z0), ts, model.config))
        runs.append(time.perf_counter() - t0)
    z = np.asarray(out, dtype=np.float64)
    vals = np.stack([np.asarray(model.from_z(z[i], p)) for i, p in enumerate(p_idx)])
    if not np.all(np.isfinite(vals)):
        raise CpjaxInputError("the ODE solve failed (step budget exhausted); fix: raise "
                              "max_steps in the model config or use a nearer --until")
    return Trajectories(dates, tuple(model.panels[p] for p in p_idx), model.series, vals,
                        model.units, compile_s, float(np.median(runs)))
