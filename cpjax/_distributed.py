"""Spread a batch axis over every device and every process of a ``jax.distributed`` job.

Batched programs in cpjax (training problems, CGE scenario sweeps) put independent problems on a
leading axis.  :func:`shard_batch` pads that axis to a multiple of the number of devices
(repeating the first entry) and places it with a ``NamedSharding`` over a one-axis mesh of all
devices; :func:`fetch` brings results back to NumPy (gathered from every process) without the
padding.  With one device both are plain ``device_put`` / ``np.asarray``.

:func:`map_batch` does the whole round trip for a function of one example: it pads the batch to a
multiple of ``devices x chunk``, places it, runs ``fn`` on each device's slice independently
(``jax.shard_map``: no communication inside ``fn``), ``chunk`` scenarios at a time (``lax.map`` over
chunks of a ``vmap``), gathers the results to every process and drops the padding.  Every process
passes the same full batch (inputs are small; outputs are gathered), so a script runs unchanged on
one device, several devices of one machine, or several machines.

Several machines: call :func:`initialize` (``jax.distributed.initialize``) first in every process.
:func:`spawn_local` starts ``n`` Python processes on this machine that join one run over the
loopback interface (the test harness, and a way to try multi-process code on one machine); each
reads its coordinates with :func:`initialize_from_env`.

**Several scenarios per device on XLA:CPU.**  ``chunk`` bounds how many scenarios a device works
on at once.  On CPU the default is 1: a sharded ``vmap`` of an iterative solver with several
scenarios per host device stopped making progress in our runs (threads idle), and the per-device
loop avoids it; it is also faster on a CPU, where a batched ``while_loop`` runs every member until
the slowest converges.  On accelerators the default is the whole slice (one ``vmap``).
See ``docs/calibration.md`` ("Sweeps") for what we found about the cause.

This module depends on JAX only (no ``cpjax`` model code), so training and the CGE share it.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Callable, Sequence
from typing import Any

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

__all__ = ["batch_mesh", "shard_batch", "fetch", "initialize", "initialize_from_env", "batch_size",
           "pad_batch", "map_batch", "sharded", "default_chunk", "spawn_local",
           "ENV_COORDINATOR", "ENV_NUM_PROCESSES", "ENV_PROCESS_ID"]

ENV_COORDINATOR = "CPJAX_COORDINATOR"
ENV_NUM_PROCESSES = "CPJAX_NUM_PROCESSES"
ENV_PROCESS_ID = "CPJAX_PROCESS_ID"


def initialize(coordinator_address: str, num_processes: int, process_id: int,
               local_device_count: int | None = None) -> None:
    """Join a multi-process JAX run; call in every process before any other JAX work.

    Arguments:
        coordinator_address: ``"host:port"`` of process 0 (e.g. ``"10.0.0.1:1234"``).
        num_processes: number of processes in the run.
        process_id: this process's index, ``0 .. num_processes - 1``.
        local_device_count: CPU only: how many host devices this process shows
            (``jax_num_cpu_devices``); ``None`` leaves the default.

    Example (two machines, each with its own ``process_id``):
        >>> initialize("10.0.0.1:1234", num_processes=2, process_id=0)  # doctest: +SKIP
    """
    if local_device_count is not None:
        jax.config.update("jax_num_cpu_devices", int(local_device_count))
    jax.distributed.initialize(coordinator_address=coordinator_address,
                               num_processes=int(num_processes), process_id=int(process_id))


def initialize_from_env() -> bool:
    """:func:`initialize` from ``CPJAX_COORDINATOR``, ``CPJAX_NUM_PROCESSES`` and
    ``CPJAX_PROCESS_ID`` (set by :func:`spawn_local`); returns whether they were set."""
    addr = os.environ.get(ENV_COORDINATOR)
    if not addr:
        return False
    initialize(addr, int(os.environ[ENV_NUM_PROCESSES]), int(os.environ[ENV_PROCESS_ID]))
    return True


def batch_mesh(axis: str = "batch", devices: Sequence[Any] | None = None) -> Mesh:
    """A one-axis mesh over ``devices`` (default: every device of every process)."""
    devs = list(devices) if devices is not None else jax.devices()
    if not devs:
        raise ValueError("no devices to shard over")
    return Mesh(np.array(devs), (axis,))


def batch_size(batch: Any) -> int:
    """The common leading size of every leaf (``ValueError`` when they differ)."""
    sizes = {np.shape(x)[0] if np.ndim(x) else None for x in jax.tree_util.tree_leaves(batch)}
    if len(sizes) != 1 or None in sizes:
        raise ValueError(f"batch leaves have leading sizes {sorted(map(str, sizes))}; give every "
                         "array the same leading axis")
    return int(sizes.pop())


def pad_batch(batch: Any, multiple: int) -> tuple[Any, int]:
    """``batch`` padded to a multiple of ``multiple`` by repeating its first entry; returns the
    padded batch and the real size (``fetch(..., n)`` drops the padding)."""
    n = batch_size(batch)
    extra = (-n) % int(multiple)
    if extra == 0:
        return batch, n
    return jax.tree_util.tree_map(
        lambda x: np.concatenate([np.asarray(x), np.repeat(np.asarray(x)[:1], extra, axis=0)]),
        batch), n


def shard_batch(tree: Any, axis: str = "batch", mesh: Mesh | None = None,
                multiple: int | None = None) -> tuple[Any, int]:
    """Place every leaf of ``tree`` (leading axis = batch) on the devices of ``mesh``.

    Arguments:
        tree: pytree of arrays with a leading batch axis (the same on every process).
        axis: mesh axis name (with the default mesh).
        mesh: default :func:`batch_mesh` over every device of every process.
        multiple: pad the batch to a multiple of this (default: the number of devices).

    Returns:
        ``(placed_tree, n)``: the placed leaves (padded by repeating entry 0) and the real batch
        size ``n``.  Each device takes its slice of the host arrays (``make_array_from_callback``).
    """
    mesh = mesh or batch_mesh(axis)
    multiple = int(multiple or mesh.devices.size)
    if mesh.devices.size == 1 and multiple == 1:
        return jax.device_put(tree), batch_size(tree)
    padded, n = pad_batch(tree, multiple)
    sharding = NamedSharding(mesh, PartitionSpec(mesh.axis_names[0]))

    def place(x: Any) -> jax.Array:
        host = np.asarray(x)
        return jax.make_array_from_callback(host.shape, sharding, lambda idx: host[idx])

    return jax.tree_util.tree_map(place, padded), n


def fetch(tree: Any, n: int | None = None) -> Any:
    """NumPy copies of ``tree``'s leaves (gathered from every process), the leading axis cut to
    ``n`` when given."""
    if jax.process_count() > 1:
        from jax.experimental import multihost_utils

        tree = multihost_utils.process_allgather(tree, tiled=True)

    def get(a: Any) -> np.ndarray:
        a = np.asarray(a)
        return a if n is None else a[:n]

    return jax.tree_util.tree_map(get, tree)


def default_chunk(mesh: Mesh) -> int | None:
    """Scenarios per device at once: 1 on CPU devices, ``None`` (the whole slice) otherwise."""
    return 1 if mesh.devices.flat[0].platform == "cpu" else None


def _per_device(fn: Callable[[Any], Any], chunk: int | None) -> Callable[[Any], Any]:
    batched = jax.vmap(fn)
    if chunk is None:
        return batched

    def run(local: Any) -> Any:
        n = batch_size(local)
        blocks = jax.tree_util.tree_map(lambda x: x.reshape((n // chunk, chunk) + x.shape[1:]), local)
        out = jax.lax.map(batched, blocks)
        return jax.tree_util.tree_map(lambda x: x.reshape((n,) + x.shape[2:]), out)

    return run


def sharded(fn: Callable[[Any], Any], mesh: Mesh, chunk: int | None) -> Callable[[Any], Any]:
    """``jit(shard_map(...))`` running ``fn`` per scenario on each device's slice, ``chunk`` at a
    time (not cached: wrap it in your own cache)."""
    spec = PartitionSpec(mesh.axis_names[0])
    return jax.jit(jax.shard_map(_per_device(fn, chunk), mesh=mesh, in_specs=(spec,),
                                 out_specs=spec, check_vma=False))


def map_batch(fn: Callable[[Any], Any], batch: Any, mesh: Mesh | None = None,
              chunk: int | None | str = "auto", compiled: Callable | None = None) -> Any:
    """``fn`` (one example -> pytree) over every example of ``batch``, sharded over ``mesh``.

    Arguments:
        fn: a pure JAX function of one example.
        batch: pytree of arrays with a leading example axis (the same on every process).
        mesh: default :func:`batch_mesh` (every device of every process).
        chunk: examples per device at once: ``"auto"`` (:func:`default_chunk`), an int, or
            ``None`` (the device's whole slice in one ``vmap``).
        compiled: a cached ``sharded(fn, mesh, chunk)`` to reuse (optional).

    Returns:
        ``fn``'s outputs stacked along a leading axis, NumPy, on every process.

    Example:
        >>> map_batch(lambda x: {"y": x["a"] ** 2}, {"a": np.arange(10.0)})["y"]  # doctest: +SKIP
    """
    mesh = mesh or batch_mesh()
    if chunk == "auto":
        chunk = default_chunk(mesh)
    placed, n = shard_batch(batch, mesh=mesh, multiple=mesh.devices.size * (int(chunk) if chunk else 1))
    fn_c = compiled or sharded(fn, mesh, int(chunk) if chunk else None)
    return fetch(fn_c(placed), n)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def spawn_local(code: str, num_processes: int = 2, devices_per_process: int = 1,
                timeout: float = 300.0, env: dict[str, str] | None = None,
                cwd: str | None = None) -> list[dict[str, Any]]:
    """Run ``code`` in ``num_processes`` local Python processes that form one JAX run over
    ``127.0.0.1`` (CPU backend); the test harness for multi-process code.

    ``code`` should call :func:`initialize_from_env` first and print one line
    ``RESULT <json>``; the parsed JSON of each process is returned (process order).  Raises
    ``RuntimeError`` with the processes' stderr when one fails or times out.

    Example:
        >>> spawn_local("from cpjax import _distributed as d; d.initialize_from_env(); "
        ...             "import jax, json; print('RESULT', json.dumps(jax.process_count()))")  # doctest: +SKIP
        [2, 2]
    """
    port = _free_port()
    base = dict(os.environ, JAX_PLATFORMS="cpu", **(env or {}))
    flags = base.get("XLA_FLAGS", "")
    base["XLA_FLAGS"] = (flags + f" --xla_force_host_platform_device_count={devices_per_process}").strip()
    procs = []
    for pid in range(num_processes):
        e = dict(base, **{ENV_COORDINATOR: f"127.0.0.1:{port}", ENV_NUM_PROCESSES: str(num_processes),
                          ENV_PROCESS_ID: str(pid)})
        procs.append(subprocess.Popen([sys.executable, "-c", code], env=e, cwd=cwd, text=True,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE))
    results, errors = [], []
    for pid, p in enumerate(procs):
        try:
            out, err = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            for q in procs:
                q.kill()
            raise RuntimeError(f"process {pid} of {num_processes} timed out after {timeout:.0f} s") from None
        if p.returncode != 0:
            errors.append(f"process {pid} exited {p.returncode}: {err[-2000:]}")
            continue
        lines = [x for x in out.splitlines() if x.startswith("RESULT ")]
        if not lines:
            errors.append(f"process {pid} printed no RESULT line: {out[-500:]} {err[-1500:]}")
            continue
        results.append(json.loads(lines[-1][len("RESULT "):]))
    if errors:
        raise RuntimeError("; ".join(errors))
    return results
