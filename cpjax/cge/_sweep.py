"""Scenario and Monte-Carlo sweeps: ``vmap`` over a batch, sharded over devices with ``jax.sharding``.

:func:`sweep` runs a per-scenario function over a batch (a pytree with a leading scenario axis) in
one of three modes that give the same numbers:

* ``"loop"``: one compiled call per scenario (the reference);
* ``"vmap"``: one compiled ``vmap`` over the whole batch on one device;
* ``"shard"``: the batch axis split over a 1-D :class:`jax.sharding.Mesh` of all devices
  (``NamedSharding(mesh, P("batch"))``); ``jax.shard_map`` runs the ``vmap`` on each device's
  slice independently (no cross-device communication inside the solver loops).  A batch whose size is not a multiple of the
  device count is padded with copies of its last scenario, and the padding is dropped afterwards.

On one machine the devices are ``jax.devices()`` (on a CPU, ask XLA for several with
``XLA_FLAGS=--xla_force_host_platform_device_count=4`` set before JAX starts).  On several
machines call :func:`initialize_multihost` (``jax.distributed.initialize``) first in every
process: the mesh then spans every process's devices, every process passes the same full batch
(parameters are small), each device computes its slice, and the results are gathered to every
process.  Batched solves never throw: check the per-scenario ``status``.

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
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from .._errors import CpjaxInputError
from ._calib_paths import PathFunction
from ._solve import Solution, SolverConfig, benchmark_guess, make_core
from ._structure import Model
from ._x64 import with_x64

__all__ = ["sweep", "device_mesh", "solve_sweep", "path_sweep", "grid", "monte_carlo",
           "initialize_multihost", "MODES"]

MODES = ("loop", "vmap", "shard")
_COMPILED: dict[Any, Callable] = {}


def initialize_multihost(coordinator_address: str, num_processes: int, process_id: int) -> None:
    """Join a multi-process JAX run (``jax.distributed.initialize``); call before any JAX work.

    Example (two machines, run on each with its own ``process_id``):
        >>> initialize_multihost("10.0.0.1:1234", num_processes=2, process_id=0)  # doctest: +SKIP
    """
    jax.distributed.initialize(coordinator_address=coordinator_address,
                               num_processes=num_processes, process_id=process_id)


def device_mesh(devices: Sequence[Any] | None = None, axis: str = "batch") -> Mesh:
    """A 1-D mesh over ``devices`` (default: every device of every process)."""
    devs = list(devices) if devices is not None else jax.devices()
    if not devs:
        raise CpjaxInputError("no devices to shard over")
    return Mesh(np.array(devs), (axis,))


def _size(batch: Any) -> int:
    sizes = {np.shape(x)[0] if np.ndim(x) else None for x in jax.tree_util.tree_leaves(batch)}
    if len(sizes) != 1 or None in sizes:
        raise CpjaxInputError(f"batch leaves have leading sizes {sorted(map(str, sizes))}; fix: give "
                              "every array the same leading scenario axis")
    return int(sizes.pop())


def _pad(batch: Any, n: int, multiple: int) -> tuple[Any, int]:
    extra = (-n) % multiple
    if extra == 0:
        return batch, n
    return jax.tree_util.tree_map(
        lambda x: np.concatenate([np.asarray(x), np.repeat(np.asarray(x)[-1:], extra, axis=0)]),
        batch), n + extra


def _compiled(fn: Callable, mode: str, mesh: Mesh | None) -> Callable:
    key = (fn, mode, None if mesh is None else tuple(mesh.devices.flat))
    if key not in _COMPILED:
        if len(_COMPILED) > 64:  # keep the cache bounded (functions hold their models alive)
            _COMPILED.clear()
        if mode == "loop":
            _COMPILED[key] = jax.jit(fn)
        elif mode == "vmap":
            _COMPILED[key] = jax.jit(jax.vmap(fn))
        else:
            # shard_map: each device runs its own vmap (and its own batched while_loops) on its
            # slice; a plain jit of the vmap would make every solver iteration's stopping test an
            # all-reduce over devices, which hangs XLA:CPU's host devices under load
            spec = PartitionSpec(mesh.axis_names[0])
            _COMPILED[key] = jax.jit(jax.shard_map(jax.vmap(fn), mesh=mesh, in_specs=(spec,),
                                                   out_specs=spec, check_vma=False))
    return _COMPILED[key]


def sweep(fn: Callable[[Any], Any], batch: Any, mode: str = "shard", mesh: Mesh | None = None) -> Any:
    """Apply ``fn`` (one scenario) to every scenario of ``batch``; returns numpy arrays.

    Arguments:
        fn: a pure JAX function of one scenario's pytree (traced inside the caller's dtype context:
            wrap CGE work in :func:`~cpjax.cge.x64` or use :func:`solve_sweep`/:func:`path_sweep`).
        batch: a pytree of arrays with a leading scenario axis.
        mode: ``"loop"``, ``"vmap"`` or ``"shard"``.
        mesh: for ``"shard"`` (default: :func:`device_mesh` over every device).

    Returns:
        ``fn``'s output pytree with a leading scenario axis (numpy, padding dropped).

    Example:
        >>> out = sweep(lambda p: p["a"] ** 2, {"a": np.arange(5.0)}, mode="shard")  # doctest: +SKIP
    """
    if mode not in MODES:
        raise CpjaxInputError(f"sweep mode {mode!r} is unknown; choose one of {', '.join(MODES)}")
    n = _size(batch)
    if mode == "loop":
        f = _compiled(fn, mode, None)
        outs = [f(jax.tree_util.tree_map(lambda x, k=k: jnp.asarray(np.asarray(x)[k]), batch))
                for k in range(n)]
        return jax.tree_util.tree_map(lambda *x: np.stack([np.asarray(v) for v in x]), *outs)
    if mode == "vmap":
        out = _compiled(fn, mode, None)(jax.tree_util.tree_map(jnp.asarray, batch))
        return jax.tree_util.tree_map(np.asarray, out)
    mesh = mesh or device_mesh()
    padded, n_pad = _pad(batch, n, mesh.devices.size)
    sharding = NamedSharding(mesh, PartitionSpec(mesh.axis_names[0]))
    # every process holds the whole (small) batch; each device takes its slice of it
    def put(x: Any) -> jax.Array:
        host = np.asarray(x)
        return jax.make_array_from_callback(host.shape, sharding, lambda idx: jnp.asarray(host[idx]))

    arrays = jax.tree_util.tree_map(put, padded)
    out = _compiled(fn, mode, mesh)(arrays)
    if jax.process_count() > 1:  # pragma: no cover - needs several processes
        from jax.experimental import multihost_utils

        out = multihost_utils.process_allgather(out, tiled=True)
    return jax.tree_util.tree_map(lambda x: np.asarray(x)[:n], out)


_CORES: dict[Any, Callable] = {}


@with_x64
def solve_sweep(model: Model, params: Mapping[str, Any], config: SolverConfig | None = None,
                mode: str = "shard", mesh: Mesh | None = None) -> Solution:
    """Solve a batch of single equilibria (stacked parameters, see ``stack_params``) with :func:`sweep`.

    Returns a :class:`~cpjax.cge.Solution` of numpy arrays with a per-scenario ``status``.
    """
    cfg = config or SolverConfig()
    key = (id(model), cfg)
    if key not in _CORES or _CORES[key][0] is not model:
        core = make_core(model, cfg)
        z0 = benchmark_guess(model)
        _CORES[key] = (model, lambda prm: core(prm, jnp.asarray(z0, jnp.float64)))
    fn = _CORES[key][1]
    batch = {k: np.asarray(v, dtype=np.float64) for k, v in params.items()}
    return Solution(*sweep(fn, batch, mode, mesh))


@with_x64
def path_sweep(path: PathFunction, theta: Mapping[str, Any], mode: str = "shard",
               mesh: Mesh | None = None) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Run a :class:`~cpjax.cge.PathFunction` for a batch of parameter sets.

    Arguments:
        path: e.g. :func:`~cpjax.cge.dynamic_path` (a scenario 2022–2030) or ``trend_path``.
        theta: parameter name -> array with a leading batch axis (``(n,)`` for scalars,
            ``(n, years)`` for path parameters); the others take the path's defaults.

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
    return sweep(path.fn, batch, mode, mesh)


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
