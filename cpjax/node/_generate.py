# ruff: noqa: F722  (jaxtyping shape strings such as "t n" are not Python expressions)
"""Scenario trajectories from new initial conditions (and parameter sets) on any time grid,
in original units, with their plausibility record."""

from __future__ import annotations

import time

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from .._errors import CpjaxInputError
from ._config import NodeConfig
from ._field import VectorField
from ._model import NodeModel
from ._plausibility import check_plausibility
from ._solve import solve
from ._state import LAG, from_state
from ._trajectories import Trajectories

__all__ = ["generate", "generate_ensemble", "generate_trajectories", "time_grid", "encode",
           "decode"]


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


def decode(model: NodeModel, p: int, z: np.ndarray, before: np.ndarray) -> np.ndarray:
    """Standardised state path (H, S) of panel ``p`` -> levels (H, S), original units.

    ``before``: the levels of the months just before the path (at least 12 for the growth
    state; see :func:`._state.from_state`).
    """
    shift, scale = model.scale_arrays()
    return from_state(z * scale[p] + shift[p], model.config.state, model.floor[p], before)


def encode(model: NodeModel, p: int, x0: np.ndarray, before: np.ndarray) -> np.ndarray:
    """Levels (S,) of one month of panel ``p`` -> standardised state (S,)."""
    shift, scale = model.scale_arrays()
    kind, floor = model.config.state, model.floor[p]
    if kind == "level":
        st = x0
    else:
        st = np.log(np.maximum(x0, floor))
        if kind == "growth":
            st = st - np.log(np.maximum(before[-LAG], floor))
    return (st - shift[p]) / scale[p]


def generate_trajectories(model: NodeModel, until: str = "2030-12", *, start: str | None = None,
                          initial: np.ndarray | dict[str, float] | None = None,
                          panels: list[str] | None = None, grid: str = "monthly",
                          check: bool = True, capacity: dict | str | None = "auto"
                          ) -> Trajectories:
    """Paths from an initial state (default: the last observed one) to ``until``, checked.

    Arguments:
        model: a trained :class:`NodeModel`.
        until: last month (``"YYYY-MM"``).
        start: month of the initial state, one of the model's history months (default
            ``model.last_date``; the growth state needs the 12 months before it).
        initial: initial values in original units: an array (P, S) or (S,) (broadcast to every
            panel), or a dict ``{series: value}`` overriding the observed values of ``start``
            for those series. With ``state="growth"`` the initial value sets the start month's
            level (its growth against the same month a year earlier is the initial state).
        panels: subset of the model's panels (default all).
        grid: ``"monthly"`` or ``"annual"`` output points (the solve is monthly either way).
        check: run :func:`cpjax.node.check_plausibility` on the monthly paths and attach the
            record (``Trajectories.plausibility``); ``False`` leaves it ``None`` (unchecked).
        capacity: passed to :func:`cpjax.node.check_plausibility`.

    Returns:
        :class:`Trajectories` (row 0 is the initial state), with timings and plausibility.
    """
    from ._data import _indices

    hist_dates = model.dates
    start = start or model.last_date
    dates = time_grid(start, until, "monthly")
    k = int(np.searchsorted(hist_dates, dates[0]))
    if k >= len(hist_dates) or hist_dates[k] != dates[0] or k < model.offset:
        first = hist_dates[model.offset]
        raise CpjaxInputError(f"start {start} is not a month of the model's history "
                              f"({first}..{model.last_date}); fix: pick --start in that range")
    p_idx = _indices("panel/province", panels, model.panels, "the model")
    x0 = model.history[p_idx, k].copy()
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
    before = [model.history[p, :k] for p in p_idx]
    z0 = np.stack([encode(model, p, x0[i], before[i]) for i, p in enumerate(p_idx)])
    ts = jnp.asarray(model.years(dates), dtype=jnp.float32)
    z0j = jnp.asarray(z0, dtype=jnp.float32)
    t0 = time.perf_counter()
    out = jax.block_until_ready(generate(model.field, z0j, ts, model.config))
    compile_s = time.perf_counter() - t0
    runs = []
    for _ in range(3):
        t0 = time.perf_counter()
        jax.block_until_ready(generate(model.field, z0j, ts, model.config))
        runs.append(time.perf_counter() - t0)
    z = np.asarray(out, dtype=np.float64)
    if not np.all(np.isfinite(z)):
        raise CpjaxInputError("the ODE solve failed (step budget exhausted); fix: raise "
                              "max_steps in the model config or use a nearer --until")
    with np.errstate(over="ignore"):
        vals = np.stack([decode(model, p, z[i], before[i]) for i, p in enumerate(p_idx)])
    if not np.all(np.isfinite(vals)):
        raise CpjaxInputError("the generated paths overflow (the state grows without bound); "
                              "fix: use a nearer --until or retrain (docs/node.md)")
    names = tuple(model.panels[p] for p in p_idx)
    record = None
    if check:
        record = check_plausibility(dates, vals, names, model.series, model.units, hist_dates,
                                    model.history[p_idx], model.mask[p_idx], capacity=capacity)
    if grid == "annual":
        sel = time_grid(start, until, "annual")
        pick = np.searchsorted(dates, sel)
        dates, vals = dates[pick], vals[:, pick]
    elif grid != "monthly":
        raise CpjaxInputError(f"grid must be 'monthly' or 'annual', got {grid!r}")
    return Trajectories(dates, names, model.series, vals, model.units, compile_s,
                        float(np.median(runs)), record)
