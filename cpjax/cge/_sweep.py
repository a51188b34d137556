"""Scenario and Monte-Carlo sweeps: a Python loop, one ``vmap``, or sharded over devices and hosts.

:func:`sweep` runs a per-scenario function over a batch (a pytree with a leading scenario axis) in
one of three modes that give the same numbers:

* ``"loop"``: one compiled call per scenario (the reference);
* ``"vmap"``: one compiled ``vmap`` over the whole batch on one device;
* ``"shard"``: the batch split over every device of every process with
  :func:`cpjax._distributed.map_batch` (a 1-D mesh, ``jax.shard_map``, padding to a multiple of
  ``devices x chunk``, results gathered back).  Any number of scenarios per device: each device
  works through its slice ``chunk`` scenarios at a time (``"auto"``: one at a time on CPU, the whole
  slice in one ``vmap`` on accelerators).

On one machine the devices are ``jax.devices()`` (on a CPU, ask for several host devices with
``XLA_FLAGS=--xla_force_host_platform_device_count=4`` or ``jax.config.update("jax_num_cpu_devices",
4)`` before JAX starts).  On several machines call :func:`initialize_multihost` first in every
process; each passes the same full batch, each device computes its slice, and every process gets
all results.  Batched solves never throw: check the per-scenario ``status``.

:func:`solve_sweep` sweeps single equilibria, :func:`path_sweep` sweeps a
:class:`~cpjax.cge.PathFunction` (a scenario path per draw); :func:`grid` and :func:`monte_carlo`
build batches (policies × elasticities, random draws).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh

from .. import _distributed as dist
from .._errors import CpjaxInputError
from ._cache import compiled
from ._calib_paths import PathFunction
from ._solve import Solution, SolverConfig, benchmark_guess, make_core
from ._structure import Model
from ._x64 import with_x64

__all__ = ["sweep", "device_mesh", "solve_sweep", "path_sweep", "grid", "monte_carlo",
           "initialize_multihost", "MODES"]

MODES = ("loop", "vmap", "shard")


def initialize_multihost(coordinator_address: str, num_processes: int, process_id: int) -> None:
    """Join a multi-process JAX run (:func:`cpjax._distributed.initialize`); call before any JAX work.

    Example (two machines, run on each with its own ``process_id``):
        >>> initialize_multihost("10.0.0.1:1234", num_processes=2, process_id=0)  # doctest: +SKIP
    """
    dist.initialize(coordinator_address, num_processes, process_id)


def device_mesh(devices: Sequence[Any] | None = None, axis: str = "batch") -> Mesh:
    """A 1-D mesh over ``devices`` (default: every device of every process)."""
    try:
        return dist.batch_mesh(axis, devices)
    except ValueError as err:
        raise CpjaxInputError(f"{err}; fix: check jax.devices()") from err


def _size(batch: Any) -> int:
    try:
        return dist.batch_size(batch)
    except ValueError as err:
        raise CpjaxInputError(f"{err}; fix: give every array the same leading scenario axis") from err


def sweep(fn: Callable[[Any], Any], batch: Any, mode: str = "shard", mesh: Mesh | None = None,
          chunk: int | None | str = "auto") -> Any:
    """Apply ``fn`` (one scenario) to every scenario of ``batch``; returns numpy arrays.

    Arguments:
        fn: a pure JAX function of one scenario's pytree (traced inside the caller's dtype context:
            wrap CGE work in :func:`~cpjax.cge.x64` or use :func:`solve_sweep`/:func:`path_sweep`).
        batch: a pytree of arrays with a leading scenario axis.
        mode: ``"loop"``, ``"vmap"`` or ``"shard"``.
        mesh: for ``"shard"`` (default: :func:`device_mesh` over every device of every process).
        chunk: for ``"shard"``: scenarios per device at once (``"auto"``, an int, or ``None`` for
            the whole slice).

    Returns:
        ``fn``'s output pytree with a leading scenario axis (numpy, padding dropped).

    Example:
        >>> out = sweep(lambda p: p["a"] ** 2, {"a": np.arange(5.0)}, mode="shard")  # doctest: +SKIP
    """
    if mode not in MODES:
        raise CpjaxInputError(f"sweep mode {mode!r} is unknown; choose one of {', '.join(MODES)}")
    n = _size(batch)
    if mode == "loop":
        f = compiled(fn, ("loop",), lambda: jax.jit(fn))
        outs = [f(jax.tree_util.tree_map(lambda x, k=k: jnp.asarray(np.asarray(x)[k]), batch))
                for k in range(n)]
        return jax.tree_util.tree_map(lambda *x: np.stack([np.asarray(v) for v in x]), *outs)
    if mode == "vmap":
        f = compiled(fn, ("vmap",), lambda: jax.jit(jax.vmap(fn)))
        return jax.tree_util.tree_map(np.asarray, f(jax.tree_util.tree_map(jnp.asarray, batch)))
    mesh = mesh or device_mesh()
    if chunk == "auto":
        chunk = dist.default_chunk(mesh)
    key = ("shard", tuple(mesh.devices.flat), mesh.axis_names, chunk)
    f = compiled(fn, key, lambda: dist.sharded(fn, mesh, chunk))
    return dist.map_batch(fn, batch, mesh, chunk=chunk, compiled=f)


def _solve_fn(model: Model, cfg: SolverConfig) -> Callable:
    def build() -> Callable:
        core = make_core(model, cfg)
        z0 = benchmark_guess(model)
        return lambda prm: core(prm, jnp.asarray(z0, jnp.float64))

    return compiled(model, ("sweep_fn", cfg), build)


@with_x64
def solve_sweep(model: Model, params: Mapping[str, Any], config: SolverConfig | None = None,
                mode: str = "shard", mesh: Mesh | None = None, chunk: int | None | str = "auto"
                ) -> Solution:
    """Solve a batch of single equilibria (stacked parameters, see ``stack_params``) with :func:`sweep`.

    Returns a :class:`~cpjax.cge.Solution` of numpy arrays with a per-scenario ``status``.
    """
    fn = _solve_fn(model, config or SolverConfig())
    batch = {k: np.asarray(v, dtype=np.float64) for k, v in params.items()}
    return Solution(*sweep(fn, batch, mode, mesh, chunk))


@with_x64
def path_sweep(path: PathFunction, theta: Mapping[str, Any], mode: str = "shard",
               mesh: Mesh | None = None, chunk: int | None | str = "auto"
               ) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Run a :class:`~cpjax.cge.PathFunction` for a batch of parameter sets.

    Arguments:
        path: e.g. :func:`~cpjax.cge.dynamic_path` (a scenario 2022–2030) or ``trend_path``.
        theta: parameter name -> array with a leading batch axis (``(n,)`` for scalars,
            ``(n, years)`` for path parameters); the others take the path's defaults.
        mode, mesh, chunk: see :func:`sweep`.

    Returns:
        ``(outputs, status)``: outputs (n, years) per name and status (n, years).
    """
    unknown = [k for k in theta if k not in path.params]
    if unknown:
        from .._errors import unknown_name_message

        raise CpjaxInputError(unknown_name_message("path parameter", unknown[0], list(path.params),
                                                   where=path.description))
    n = _size(dict(theta))
    batch = {k: (np.asarray(theta[k], np.float64) if k in theta
                 else np.broadcast_to(np.asarray(v, np.float64), (n,) + np.shape(v)).copy())
             for k, v in path.defaults.items()}
    return sweep(path.fn, batch, mode, mesh, chunk)


def grid(**axes: Sequence[float]) -> dict[str, np.ndarray]:
    """Every combination of the given values (policies × elasticities), as stacked arrays.

    Example:
        >>> grid(reduction_end=[0.05, 0.1], sigma=[0.3, 0.5, 0.8])["sigma"].shape  # doctest: +SKIP
        (6,)
    """
    names = list(axes)
    combos = list(itertools.product(*[list(axes[n]) for n in names]))
    return {n: np.array([c[i] for c in combos], dtype=np.float64) for i, n in enumerate(names)}


def monte_carlo(n: int, seed: int = 0, **dists: tuple[str, float, float]) -> dict[str, np.ndarray]:
    """``n`` random draws per parameter: ``name=("uniform", low, high)``, ``("normal", mean, sd)``
    or ``("lognormal", median, sigma)`` (NumPy ``default_rng(seed)``; reproducible).

    Example:
        >>> monte_carlo(100, seed=1, sigma=("uniform", 0.2, 0.8))["sigma"].shape  # doctest: +SKIP
        (100,)
    """
    rng = np.random.default_rng(seed)
    out = {}
    for name, spec in dists.items():
        kind, a, b = spec
        if kind == "uniform":
            out[name] = rng.uniform(a, b, n)
        elif kind == "normal":
            out[name] = rng.normal(a, b, n)
        elif kind == "lognormal":
            out[name] = a * np.exp(b * rng.standard_normal(n))
        else:
            raise CpjaxInputError(f"distribution {kind!r} for {name} is unknown; choose uniform, "
                                  "normal or lognormal")
    return out
