"""The Jacobian of the CGE residual from its structure, without differentiating edge by edge.

``jax.jacfwd`` of the residual pushes every unknown (a few hundred to a few thousand) through every
edge of the production trees (tens of thousands), which costs far more than the equations.  The
nested CES/CET structure gives the same matrix at a fraction of the cost:

* a node's log unit cost moves with the goods below it by its **full cost shares**
  ``D_n = sum_k s_nk D_k`` (``s`` the current within-node shares ``theta_k exp(a (lr_k - lraw_n))``,
  a leaf contributes ``s_e phi_e`` at its good, ``phi_e`` the price's share of its leaf price);
* a leaf's log quantity per unit of activity moves by
  ``sum over its ancestors m of kappa_m D_m - sigma_parent phi_e u_good``, with
  ``kappa_m = sigma_m - sigma_parent(m)`` (signed elasticities, CET negative);
* so any sum of leaf flows ``Q_t = sum_e w_et`` (market demand per good, tax revenue per agent,
  carbon surcharges) has the price Jacobian ``XS^T diag(kappa) D`` plus a leaf term, where
  ``XS_n`` sums the weights of the leaves below node ``n``.

``D`` and ``XS`` are built bottom-up one tree height at a time (cost: the edges once, plus rows of
nodes), and the product is one dense matrix multiplication of ``(goods + agents) x nodes x goods``.
The rest (consumption, incomes, transfers, endowment adjustments) is written out directly.  Tests
check it against ``jax.jacfwd`` of the residual on every model kind; the solvers use it for the
Newton direction and for implicit gradients.
"""

from __future__ import annotations

import dataclasses

import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from ._equations import backend, evaluate
from ._structure import Structure

__all__ = ["structured_jacobian", "JacobianPlan", "build_plan"]


@dataclasses.dataclass(frozen=True, eq=False)
class JacobianPlan:
    """Static index arrays for :func:`structured_jacobian` (built once per structure)."""

    leaf: np.ndarray        # leaf edges
    leaf_par: np.ndarray    # their parent node
    leaf_good: np.ndarray
    leaf_act: np.ndarray
    leaf_sign: np.ndarray   # +1 input, -1 output
    taxed: np.ndarray       # positions (into ``leaf``) of leaves whose tax goes to an agent
    taxed_agent: np.ndarray
    node_parent: np.ndarray  # parent node of each node, -1 for tops
    levels: tuple[tuple[int, int, np.ndarray, np.ndarray, np.ndarray], ...]
    # per height: (n0, n1, node-child edges, their parent relative to n0, their child node)


def build_plan(st: Structure) -> JacobianPlan:
    leaf = np.nonzero(st.edge_child_node < 0)[0]
    ta = st.edge_tax_agent[leaf]
    taxed = np.nonzero(ta >= 0)[0]
    pe = st.node_parent_edge
    node_parent = np.where(pe >= 0, st.edge_parent[np.maximum(pe, 0)], -1)
    levels = []
    for lv in st.levels.levels:
        e = np.arange(lv.e0, lv.e1)
        nc = e[st.edge_child_node[e] >= 0]
        levels.append((lv.n0, lv.n1, nc, st.edge_parent[nc] - lv.n0, st.edge_child_node[nc]))
    return JacobianPlan(leaf, st.edge_parent[leaf], st.edge_good[leaf],
                        st.node_act[st.edge_parent[leaf]],
                        np.where(st.edge_is_input[leaf], 1.0, -1.0), taxed, ta[taxed],
                        node_parent, tuple(levels))


def _bottom_up(plan: JacobianPlan, base: Array, weight: Array | None) -> Array:
    """Rows per node: ``base`` plus the (weighted) rows of its node children, height by height."""
    rows = []
    for n0, n1, nc, par, child in plan.levels:
        r = base[n0:n1]
        if len(nc):
            below = jnp.concatenate(rows) if len(rows) > 1 else rows[0]
            add = below[child] if weight is None else weight[nc][:, None] * below[child]
            r = r.at[par].add(add)
        rows.append(r)
    return jnp.concatenate(rows) if len(rows) > 1 else rows[0]


def structured_jacobian(st: Structure, z: Float[Array, " n"], prm: dict[str, Array],
                        ev: dict[str, Array] | None = None) -> Float[Array, "n n"]:
    """``d residual / d z`` at ``z`` (same ordering as :func:`~cpjax.cge._equations.residual`).

    Arguments:
        st: the model structure.
        z: unknowns; prm: parameters (JAX arrays, float64).
        ev: ``evaluate(st, z, prm)`` when already computed.

    Returns:
        The square Jacobian (equal to ``jax.jacfwd`` of the residual up to rounding).
    """
    plan: JacobianPlan = st.jacobian_plan
    ev = ev if ev is not None else evaluate(st, z, prm, backend("jax"))
    n_g, n_a, n_h, n_n = len(st.goods), len(st.activities), len(st.agents), len(st.nodes)
    n_x = len(st.aux_goods)
    T = n_g + n_h + 1  # targets: goods, tax revenue per agent, surcharges
    p, x, lr, lraw, sig_n = ev["p"], ev["x_leaf"], ev["lr"], ev["lraw"], ev["sig_n"]
    L = plan.leaf
    par, g, a, sgn = plan.leaf_par, plan.leaf_good, plan.leaf_act, plan.leaf_sign

    # within-node shares of every edge and the price share of every leaf price
    a_n = 1.0 - sig_n
    s = st.edge_theta * jnp.exp(a_n[st.edge_parent] * (lr - lraw[st.edge_parent]))
    pw, tax, sur = prm["pw"][L], prm["tax"][L], prm["surcharge"][L]
    phi = pw * p[g] * (1.0 + tax) / ev["leaf_price"][L]

    # full cost shares D (nodes x goods) and leaf weights summed below each node XS (nodes x T)
    D = _bottom_up(plan, jnp.zeros((n_n, n_g)).at[par, g].add(s[L] * phi), s)
    flow = ev["flow"][L]
    rev = ev["leaf_rev"][L]
    surx = sgn * sur * x[L]
    tg = n_g + plan.taxed_agent
    xs0 = (jnp.zeros((n_n, T)).at[par, g].add(sgn * flow)
           .at[par[plan.taxed], tg].add(rev[plan.taxed]).at[par, T - 1].add(surx))
    XS = _bottom_up(plan, xs0, None)
    kappa = sig_n - jnp.where(plan.node_parent >= 0, sig_n[np.maximum(plan.node_parent, 0)], 0.0)
    sp = sig_n[par] * phi
    QP = ((XS * kappa[:, None]).T @ D).at[g, g].add(-sgn * flow * sp) \
        .at[tg, g[plan.taxed]].add(rev[plan.taxed] * (1.0 - sp[plan.taxed])).at[T - 1, g].add(-surx * sp)
    QY = (jnp.zeros((T, n_a)).at[g, a].add(sgn * flow).at[tg, a[plan.taxed]].add(rev[plan.taxed])
          .at[T - 1, a].add(surx))

    # consumption and transfers
    beta, cons, mbar = prm["beta"], ev["cons"], st.agent_mbar
    ra = st.resid_agent
    paid_share = jnp.sum(prm["share"] * (1.0 - ra), axis=1)
    fr = (~st.resid_cons) & st.fixed_real
    dC_dm = mbar * jnp.where(st.resid_cons, 1.0 - paid_share,
                             jnp.where(st.fixed_real, 0.0, prm["cons_share"]))
    frC_beta = jnp.where(fr, cons, 0.0)[:, None] * beta          # dC_h/dlp
    bp = beta / p[None, :]
    cons_p = bp.T @ frC_beta - jnp.diag(jnp.sum(ev["cons_qty"], axis=0))
    recv_m = mbar[None, :] * (prm["share"].T * (1.0 - ra.T)
                              + ra.T * (1.0 - paid_share - dC_dm / mbar)[None, :])
    recv_p = -ra.T @ frC_beta

    # rows: zero profit (A), markets (G), incomes (H); columns: log prices of all goods, log
    # activities, relative incomes, endowment adjustments
    scale = st.good_scale
    zp_p = D[st.act_top_in] - D[st.act_top_out]
    mk_p = (QP[:n_g] + cons_p) / scale[:, None]
    mk_y = QY[:n_g] / scale[:, None]
    mk_m = bp.T * dC_dm[None, :] / scale[:, None]
    act_rev = ev["act_rev"]
    agent_a = jnp.asarray(st.act_tax_agent)
    m_act = jnp.where(agent_a[None, :] == jnp.arange(n_h)[:, None], act_rev[None, :], 0.0)  # H x A
    sur_row = (jnp.arange(n_h) == st.surcharge_agent).astype(p.dtype)[:, None]
    inc_src_p = (ev["endow"] * p[None, :] + m_act @ D[st.act_top_in] + QP[n_g:n_g + n_h]
                 + sur_row * QP[T - 1][None, :] + recv_p)
    inc_src_y = m_act + QY[n_g:n_g + n_h] + sur_row * QY[T - 1][None, :]
    in_p = -inc_src_p / mbar[:, None]
    in_y = -inc_src_y / mbar[:, None]
    in_m = jnp.eye(n_h) - recv_m / mbar[:, None]
    rows_p = jnp.concatenate([zp_p, mk_p, in_p])[:, st.free_goods]
    rows_y = jnp.concatenate([jnp.zeros((n_a, n_a)), mk_y, in_y])
    rows_m = jnp.concatenate([jnp.zeros((n_a, n_h)), mk_m, in_m])
    cols = [rows_p, rows_y, rows_m]
    if n_x:
        ag, gg = st.aux_agents, st.aux_goods
        k = np.arange(n_x)
        mk_x = jnp.zeros((n_g, n_x)).at[gg, k].set(-1.0)
        in_x = jnp.zeros((n_h, n_x)).at[ag, k].add(-scale[gg] * p[gg] / mbar[ag])
        cols.append(jnp.concatenate([jnp.zeros((n_a, n_x)), mk_x, in_x]))
    full = jnp.concatenate(cols, axis=1)
    keep = np.concatenate([np.arange(n_a), n_a + np.delete(np.arange(n_g), st.numeraire),
                           n_a + n_g + np.arange(n_h)])
    return full[keep][st.pair]
