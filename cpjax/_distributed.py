"""Spread a batch axis over every device (and every process of a ``jax.distributed`` job).

Batched programs in cpjax (training problems, CGE scenario sweeps) put independent problems on a
leading axis.  :func:`shard_batch` pads that axis to a multiple of the number of devices
(repeating the first entry), places it with a ``NamedSharding`` over a one-axis mesh of all
devices, and :func:`fetch` brings results back to NumPy without the padding.  With one device
both are plain ``device_put`` / ``np.asarray``.  In a multi-process job every process passes the
same full batch (each takes its devices' slices) and gets the full result back.
"""

from __future__ import annotations

from typing import Any

import jax
import numpy as np

__all__ = ["batch_mesh", "fetch", "shard_batch"]


def batch_mesh(axis: str = "batch") -> jax.sharding.Mesh:
    """A one-axis mesh over every device of the job (all processes)."""
    return jax.sharding.Mesh(np.array(jax.devices()), (axis,))


def shard_batch(tree: Any, axis: str = "batch") -> tuple[Any, int]:
    """Place every leaf of ``tree`` (leading axis = batch) on the devices.

    Returns:
        ``(placed_tree, n)``: the placed leaves (batch axis padded to a multiple of the device
        count by repeating entry 0) and the real batch size ``n``.
    """
    leaves = jax.tree_util.tree_leaves(tree)
    n = int(np.shape(leaves[0])[0])
    ndev = jax.device_count()
    if ndev == 1:
        return jax.device_put(tree), n
    total = -(-n // ndev) * ndev
    mesh = batch_mesh(axis)
    spec = jax.sharding.PartitionSpec(axis)

    def place(a):
        a = np.asarray(a)
        if total != n:
            a = np.concatenate([a, np.repeat(a[:1], total - n, axis=0)])
        sharding = jax.sharding.NamedSharding(mesh, spec)
        return jax.make_array_from_callback(a.shape, sharding, lambda idx: a[idx])

    return jax.tree_util.tree_map(place, tree), n


def fetch(tree: Any, n: int | None = None) -> Any:
    """NumPy copies of ``tree``'s leaves (gathered from every process), the leading axis cut to
    ``n`` when given."""
    if jax.process_count() > 1:
        from jax.experimental import multihost_utils

        tree = multihost_utils.process_allgather(tree, tiled=True)

    def get(a):
        a = np.asarray(a)
        return a if n is None else a[:n]

    return jax.tree_util.tree_map(get, tree)
