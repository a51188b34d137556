"""The equilibrium conditions, written once for JAX and for NumPy (``xp`` = ``jax.numpy``/``numpy``).

Unknowns ``z`` = [log prices of free goods, log activity levels, incomes / benchmark income,
endowment adjustments of fixed-price goods].  Equations (all zero at an equilibrium):

* zero profit per activity: ``log(1+t_a) - log(1+tbar_a) + log c_a(p) - log r_a(p) = 0``
  (``c`` nested CES unit cost over inputs, ``r`` nested CET unit revenue over outputs, both 1 at
  benchmark prices);
* market clearing per good except the numeraire: ``(demand - supply) / scale = 0``;
* income per agent: ``(m - endowment income - taxes - transfers received) / mbar = 0``.

A node ``n`` with elasticity ``s`` and efficiency ``e`` has unit cost
``c_n = [sum_k theta_k r_k^(1-s)]^(1/(1-s)) / e`` (Cobb–Douglas limit at ``s = 1``, smooth in
``s``) and the demand for child ``k`` per unit of node output is ``(1/e) (c_n e / r_k)^s``.
CET output nodes use the same formula with ``s = -omega``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._structure import Structure

__all__ = ["evaluate", "residual", "backend"]

_CD_BAND = 1e-3  # |1 - sigma| below this uses the cumulant expansion around Cobb–Douglas


class _Backend:
    def __init__(self, xp: Any) -> None:
        self.xp = xp


def backend(name: str) -> _Backend:
    """``"jax"`` or ``"numpy"``: the array module the equations are written in."""
    if name == "jax":
        import jax.numpy as jnp

        return _Backend(jnp)
    return _Backend(np)


def _ces_log(xp: Any, lr: Any, theta: Any, a_n: Any, a_safe_n: Any, near: Any, parent: np.ndarray,
             sums: Any) -> Any:
    """log of the calibrated CES index per node from child log price ratios ``lr``.

    ``log C = log(sum theta exp(a lr)) / a`` with ``a = 1 - sigma``.  Near Cobb–Douglas
    (``|a| < 1e-3``) the cumulant expansion ``k1 + a k2/2 + a^2 k3/6 + a^3 k4/24`` is used instead
    (error below 1e-13 for |lr| < 1), so the index and its derivatives are smooth through sigma = 1.
    ``sums`` is the level's :class:`~cpjax.cge._layout.Segments` (edges -> nodes).
    """
    k1 = sums(xp, theta * lr)
    d = lr - k1[parent]
    d2 = d * d
    a_e = a_safe_n[parent]
    c2, c3, c4, s = sums(xp, xp.stack([theta * d2, theta * d2 * d, theta * d2 * d2,
                                        theta * xp.exp(a_e * lr)]))
    c4 = c4 - 3.0 * c2 * c2
    cd = k1 + a_n * c2 / 2.0 + a_n * a_n * c3 / 6.0 + a_n * a_n * a_n * c4 / 24.0
    general = xp.log(s) / a_safe_n
    return xp.where(near, cd, general)


def _tree_pass(st: Structure, xp: Any, lr_leaf: Any, sig_n: Any, leff: Any) -> tuple[Any, Any, Any, Any]:
    """Unit costs bottom-up and quantities per unit of activity top-down, one tree height at a time.

    Returns ``(lraw, lc, lr, lq_e)``: raw CES index and unit cost per node, child log price and
    log quantity per unit of activity per edge.
    """
    levels = st.levels.levels
    leaf = st.edge_child_node < 0
    a_n = 1.0 - sig_n
    near = xp.abs(a_n) < _CD_BAND
    a_safe_n = xp.where(near, 1.0, a_n)
    lraw_l, lc_l, lr_l = [], [], []
    for lv in levels:  # bottom-up: children (lower heights) are done
        lr = lr_leaf[lv.e0:lv.e1]
        if lv.has_node_children:
            below = xp.concatenate(lc_l) if len(lc_l) > 1 else lc_l[0]
            lr = xp.where(leaf[lv.e0:lv.e1], lr, below[lv.child_node])
        sl = slice(lv.n0, lv.n1)
        lraw = _ces_log(xp, lr, st.edge_theta[lv.e0:lv.e1], a_n[sl], a_safe_n[sl], near[sl],
                        lv.parent_local, lv.sums)
        lraw_l.append(lraw)
        lc_l.append(lraw - leff[sl])
        lr_l.append(lr)
    lq_l: list[Any] = [None] * len(levels)
    for k in range(len(levels) - 1, -1, -1):  # top-down: parents (higher heights) are done
        lv = levels[k]
        sl = slice(lv.n0, lv.n1)
        if lv.is_top.all():
            lq = xp.zeros(lv.n1 - lv.n0)
        else:
            upper = [x for x in lq_l[k + 1:]]
            above = xp.concatenate(upper) if len(upper) > 1 else upper[0]
            lq = xp.where(lv.is_top, 0.0, above[lv.parent_edge_upper])
        p = lv.parent_local
        lq_l[k] = lq[p] - leff[sl][p] + sig_n[sl][p] * (lraw_l[k][p] - lr_l[k])
    cat = (lambda xs: xs[0] if len(xs) == 1 else xp.concatenate(xs))  # noqa: E731
    return cat(lraw_l), cat(lc_l), cat(lr_l), cat(lq_l)


def evaluate(st: Structure, z: Any, prm: dict[str, Any], be: _Backend) -> dict[str, Any]:
    """Every intermediate quantity of the model at unknowns ``z`` and parameters ``prm``."""
    xp = be.xp
    lv = st.levels
    n_g, n_h = len(st.goods), len(st.agents)
    n_a = len(st.activities)
    n_f, n_x = len(st.free_goods), len(st.aux_goods)
    lp_free = z[:n_f]
    ly = z[n_f:n_f + n_a]
    mrel = z[n_f + n_a:n_f + n_a + n_h]
    aux = z[n_f + n_a + n_h:]

    # prices: free goods from z, fixed goods from parameters (gather from a concatenation)
    lp_cat = xp.concatenate([lp_free, xp.log(prm["fixed_price"])])
    order = np.empty(n_g, dtype=np.int64)
    order[st.free_goods] = np.arange(n_f)
    order[st.fixed_goods] = n_f + np.arange(len(st.fixed_goods))
    lp = lp_cat[order]
    p = xp.exp(lp)
    y = xp.exp(ly)
    m = mrel * st.agent_mbar

    # signed elasticities: CES on inputs, CET (negative) on outputs
    sig_n = xp.where(st.node_is_input, prm["sigma"], -prm["sigma"])
    leaf = st.edge_child_node < 0
    g_idx = np.where(leaf, st.edge_good, 0)
    pw, tax, sur = prm["pw"], prm["tax"], prm["surcharge"]
    leaf_price = pw * p[g_idx] * (1.0 + tax) + sur
    lr_leaf = xp.where(leaf, xp.log(leaf_price) - np.log1p(st.edge_tbar), 0.0)
    leff = xp.log(prm["eff"])
    lraw, lc, lr, lq_e = _tree_pass(st, xp, lr_leaf, sig_n, leff)

    x_leaf = xp.where(leaf, st.edge_xbar * xp.exp(lq_e) * y[st.node_act[st.edge_parent]], 0.0)
    flow = pw * x_leaf  # in units of the good
    dem_act = lv.inputs_to_goods(xp, flow)
    sup_act = lv.outputs_to_goods(xp, flow)

    # zero profit
    lcost = lc[st.act_top_in] + xp.log1p(prm["act_tax"]) - np.log1p(st.act_tbar)
    lrev = lc[st.act_top_out]
    zp = lcost - lrev

    # taxes
    act_rev = prm["act_tax"] * st.act_vin * xp.exp(lc[st.act_top_in]) * y
    leaf_rev = tax * pw * p[g_idx] * x_leaf
    tax_in = lv.act_tax_to_agents(xp, act_rev) + lv.leaf_tax_to_agents(xp, leaf_rev)
    # a surcharge on an input is a specific tax paid to the surcharge agent; on an output (the
    # emissions-trading block's output-based allocation) it is a specific subsidy paid by it
    sur_rev = xp.sum(xp.where(st.edge_is_input, sur, -sur) * x_leaf)
    if st.surcharge_agent >= 0:
        tax_in = tax_in + xp.where(np.arange(n_h) == st.surcharge_agent, sur_rev, 0.0)

    # endowments (fixed-price goods cleared by adjusting one agent's endowment)
    endow = prm["endow"]
    if n_x:
        adj = np.full((n_h, n_g), n_x, dtype=np.int64)
        adj[st.aux_agents, st.aux_goods] = np.arange(n_x)
        aux_full = xp.concatenate([aux * st.good_scale[st.aux_goods], xp.zeros(1)])
        endow = endow + aux_full[adj]
    endow_inc = endow @ p

    # agents: shares of income to other agents, the rest (or a fixed real bundle) consumed
    beta = prm["beta"]
    lpcd = beta @ lp
    t_share = prm["share"] * m[:, None] * (1.0 - st.resid_agent)
    paid = xp.sum(t_share, axis=1)
    cons_fixed = xp.where(st.fixed_real, prm["cons_real"] * xp.exp(lpcd), prm["cons_share"] * m)
    cons = xp.where(st.resid_cons, m - paid, cons_fixed)
    transfers = t_share + st.resid_agent * (m - paid - cons)[:, None]
    received = xp.sum(transfers, axis=0)
    income = endow_inc + tax_in + received
    inc_res = (m - income) / st.agent_mbar
    cons_qty = beta * (cons / 1.0)[:, None] / p[None, :]

    demand = dem_act + xp.sum(cons_qty, axis=0)
    supply = sup_act + xp.sum(endow, axis=0)
    mkt = (demand - supply) / st.good_scale

    return {
        "lp": lp, "p": p, "y": y, "m": m, "lc": lc, "lraw": lraw, "lq_e": lq_e, "lr": lr,
        "leaf_price": leaf_price, "sig_n": sig_n, "beta": beta,
        "x_leaf": x_leaf, "flow": flow, "dem_act": dem_act, "sup_act": sup_act,
        "zp": zp, "mkt": mkt, "inc_res": inc_res, "income": income, "cons": cons,
        "cons_qty": cons_qty, "transfers": transfers, "tax_in": tax_in, "endow": endow,
        "act_rev": act_rev, "leaf_rev": leaf_rev, "sur_rev": sur_rev, "lpcd": lpcd,
        "demand": demand, "supply": supply, "aux": aux,
    }


def residual(st: Structure, z: Any, prm: dict[str, Any], be: _Backend) -> Any:
    """Square residual vector, ordered so that entry ``k`` pairs with unknown ``k`` (see ``pair``)."""
    ev = evaluate(st, z, prm, be)
    keep = np.ones(len(st.goods), dtype=bool)
    keep[st.numeraire] = False
    full = be.xp.concatenate([ev["zp"], ev["mkt"][np.nonzero(keep)[0]], ev["inc_res"]])
    return full[st.pair]
