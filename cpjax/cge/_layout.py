"""Static index plans that make the equations cheap: scatter-free segment sums and tree levels.

Both are built once per model structure from NumPy index arrays and work for NumPy and JAX alike.

* :class:`Segments` sums a vector into segments (``out[s] = sum of x[i] with ids[i] == s``) by
  **gathers and dense reductions**: segments are grouped by their size rounded up to a power of
  two, each group gathers its members into a padded ``(segments, width)`` matrix and sums the last
  axis, and one final gather puts the groups back in segment order.  XLA:CPU runs gathers and
  reductions several times faster than the scatter-add behind ``jax.ops.segment_sum``, and the
  forward-mode Jacobian (``jacfwd``) of a gather is again a gather.  At most twice the work of the
  members, and the number of groups grows with the logarithm of the largest segment, not with the
  number of sectors.
* :class:`Levels` splits the production trees by **height** (leaves 0, a node one more than its
  highest child).  Nodes are numbered by height (``build_model`` sorts them), edges by parent, so
  each height is a contiguous range of nodes and of edges: unit costs are computed bottom-up one
  height at a time and quantities top-down, each edge exactly once per pass.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

__all__ = ["Segments", "Levels", "build_levels"]


@dataclasses.dataclass(frozen=True, eq=False)
class Segments:
    """A precomputed segment sum over the last axis (see the module docstring).

    Attributes:
        n: number of segments (output length).
        length: number of values summed (input length along the last axis).
        groups: ``(index matrix (segments_b, width_b))`` per size group, indices into the values
            with ``length`` meaning "zero padding".
        order: position of each segment in the concatenation of the groups' results.
    """

    n: int
    length: int
    groups: tuple[np.ndarray, ...]
    order: np.ndarray | None

    @staticmethod
    def build(ids: np.ndarray, n: int) -> Segments:
        """Plan for ``ids`` (length L, values in ``[0, n)``, ``-1`` = not summed)."""
        ids = np.asarray(ids, dtype=np.int64)
        L = len(ids)
        keep = np.nonzero(ids >= 0)[0]
        members: list[list[int]] = [[] for _ in range(n)]
        for i in keep:
            members[ids[i]].append(int(i))
        counts = np.array([len(m) for m in members], dtype=np.int64)
        width = np.where(counts <= 1, counts, 2 ** np.ceil(np.log2(np.maximum(counts, 1))).astype(np.int64))
        groups, seg_order = [], []
        for w in sorted(set(width.tolist())):
            segs = np.nonzero(width == w)[0]
            cols = max(w, 1)
            idx = np.full((len(segs), cols), L, dtype=np.int64)
            for r, s in enumerate(segs):
                idx[r, :counts[s]] = members[s]
            groups.append(idx)
            seg_order.extend(segs.tolist())
        order = np.empty(n, dtype=np.int64)
        order[np.asarray(seg_order, dtype=np.int64)] = np.arange(n)
        identity = np.array_equal(order, np.arange(n))
        return Segments(n, L, tuple(groups), None if identity else order)

    def __call__(self, xp: Any, x: Any) -> Any:
        """``out[..., s] = sum_i x[..., i] [ids_i == s]`` for an array ``x`` of shape (..., L)."""
        if self.n == 0:
            return xp.zeros(x.shape[:-1] + (0,), dtype=x.dtype)
        ext = xp.concatenate([x, xp.zeros(x.shape[:-1] + (1,), dtype=x.dtype)], axis=-1)
        parts = []
        for idx in self.groups:
            g = ext[..., idx]
            parts.append(g[..., 0] if idx.shape[1] == 1 else xp.sum(g, axis=-1))
        out = parts[0] if len(parts) == 1 else xp.concatenate(parts, axis=-1)
        return out if self.order is None else out[..., self.order]


@dataclasses.dataclass(frozen=True, eq=False)
class Level:
    """Nodes of one height: node range ``[n0, n1)``, edge range ``[e0, e1)``."""

    n0: int
    n1: int
    e0: int
    e1: int
    parent_local: np.ndarray      # parent of each edge, relative to n0
    child_node: np.ndarray        # child node of each edge (global index < n0), 0 for leaves
    has_node_children: bool
    sums: Segments                # edges -> nodes of this height
    parent_edge_upper: np.ndarray  # parent edge of each node relative to the first edge above, 0 for tops
    is_top: np.ndarray


@dataclasses.dataclass(frozen=True, eq=False)
class Levels:
    """The production trees by height (ascending), plus the goods and agents sums of the flows."""

    levels: tuple[Level, ...]
    inputs_to_goods: Segments     # input leaf edges -> goods
    outputs_to_goods: Segments    # output leaf edges -> goods
    leaf_tax_to_agents: Segments  # taxed input leaves -> receiving agent
    act_tax_to_agents: Segments   # activities -> receiver of their production tax


def node_heights(edge_parent: np.ndarray, edge_child: np.ndarray, n_nodes: int) -> np.ndarray:
    """Height of every node: 1 + the largest height among its children (leaves have height 0)."""
    h = np.ones(n_nodes, dtype=np.int64)
    for _ in range(n_nodes + 1):
        child_h = np.where(edge_child >= 0, h[np.maximum(edge_child, 0)], 0)
        new = np.ones(n_nodes, dtype=np.int64)
        np.maximum.at(new, edge_parent, child_h + 1)
        if np.array_equal(new, h):
            return h
        h = new
    raise ValueError("the production trees contain a cycle")  # pragma: no cover - build checks


def build_levels(st: Any) -> Levels:
    """The :class:`Levels` of a :class:`~cpjax.cge._structure.Structure` (nodes sorted by height)."""
    n_n = len(st.nodes)
    h = node_heights(st.edge_parent, st.edge_child_node, n_n)
    if np.any(np.diff(h) < 0) or np.any(np.diff(st.edge_parent) < 0):
        raise ValueError("nodes must be sorted by height and edges by parent")  # pragma: no cover
    levels = []
    for height in range(1, int(h.max()) + 1 if n_n else 1):
        nodes = np.nonzero(h == height)[0]
        if len(nodes) == 0:
            continue
        n0, n1 = int(nodes[0]), int(nodes[-1]) + 1
        edges = np.nonzero((st.edge_parent >= n0) & (st.edge_parent < n1))[0]
        e0, e1 = (int(edges[0]), int(edges[-1]) + 1) if len(edges) else (0, 0)
        child = st.edge_child_node[e0:e1]
        pe = st.node_parent_edge[n0:n1]
        top = pe < 0
        levels.append(Level(n0, n1, e0, e1, st.edge_parent[e0:e1] - n0, np.maximum(child, 0),
                            bool(np.any(child >= 0)), Segments.build(st.edge_parent[e0:e1] - n0, n1 - n0),
                            np.where(top, 0, pe - e1), top))
    leaf = st.edge_child_node < 0
    n_g, n_h = len(st.goods), len(st.agents)
    good = np.where(leaf, st.edge_good, -1)
    return Levels(
        levels=tuple(levels),
        inputs_to_goods=Segments.build(np.where(st.edge_is_input, good, -1), n_g),
        outputs_to_goods=Segments.build(np.where(~st.edge_is_input, good, -1), n_g),
        leaf_tax_to_agents=Segments.build(np.where(leaf, st.edge_tax_agent, -1), n_h),
        act_tax_to_agents=Segments.build(st.act_tax_agent, n_h),
    )
