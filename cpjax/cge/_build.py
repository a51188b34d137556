"""Compile a SAM and a specification into a calibrated :class:`~cpjax.cge.Model`.

Calibration uses benchmark prices of 1: CES/CET share parameters are benchmark value shares,
tax rates are tax payments over their base, income shares are payments over income, and the
benchmark is an equilibrium by construction (checked by ``tests/cge``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._errors import CpjaxInputError, unknown_name_message
from ._build_agents import build_agents, build_closure
from ._build_trees import build_trees
from ._energy import build_energy
from ._params import build_param_index
from ._sam import Sam, check_balance
from ._structure import Model, Structure

__all__ = ["build_model"]

_ZERO = 1e-12


def _roles(sam: Sam, spec: dict[str, Any]) -> dict[str, str]:
    acc = spec["accounts"]
    file = spec.get("_file", "<spec>")
    roles: dict[str, str] = {}
    for key in ("sectors", "factors", "households", "enterprises", "government", "savings",
                "partners"):
        for name in acc[key]:
            roles[name] = key
    for name, kind in acc["taxes"].items():
        roles[name] = f"tax:{kind}"
    for name in roles:
        if name not in sam.accounts:
            raise CpjaxInputError(unknown_name_message(
                "account", name, sam.accounts, where=f"specification {file} (not in SAM {sam.source})"))
    missing = [a for a in sam.accounts if a not in roles]
    if missing:
        raise CpjaxInputError(f"SAM {sam.source}: accounts {missing} have no role in specification "
                              f"{file}; fix: list each under [accounts] (sectors, factors, households, "
                              "enterprises, government, savings, taxes or partners)")
    return roles


class _Context:
    """What the build sections share (accounts by role, goods, index maps, the SAM reader)."""

    def __init__(self, **kw: Any) -> None:
        self.__dict__.update(kw)


def build_model(sam: Sam, spec: dict[str, Any], *, check: bool = True) -> Model:
    """Calibrate a model to a balanced SAM.

    Arguments:
        sam: benchmark SAM (rows receive, columns pay).
        spec: validated specification (:func:`~cpjax.cge.load_spec`).
        check: refuse an unbalanced SAM (naming the worst accounts).

    Returns:
        A :class:`~cpjax.cge.Model` whose benchmark parameters reproduce the SAM.
    """
    file = spec.get("_file", "<spec>")
    if check:
        rep = check_balance(sam)
        if not rep.balanced:
            raise CpjaxInputError(f"SAM {sam.source} is not balanced (row total != column total); "
                                  f"worst accounts: {rep.message()}; fix: correct the data or "
                                  "balance it with RAS (--balance ras / balance_ras)")
    if np.any(sam.values < -_ZERO):
        i, j = np.argwhere(sam.values < -_ZERO)[0]
        raise CpjaxInputError(f"SAM {sam.source}: negative cell ({sam.accounts[i]}, {sam.accounts[j]}) "
                              f"= {sam.values[i, j]:.6g}; fix: record a negative payment as a "
                              "receipt in the transposed cell")
    roles = _roles(sam, spec)
    V = sam.values
    ix = {a: k for k, a in enumerate(sam.accounts)}
    acc = spec["accounts"]
    sectors = list(acc["sectors"])
    factors = list(acc["factors"])
    partners = list(acc["partners"])
    agents = [a for a in sam.accounts if roles[a] in ("households", "enterprises", "government",
                                                       "savings") or roles[a].startswith("tax:")]

    def val(r: str, c: str) -> float:
        return float(V[ix[r], ix[c]])

    # ---- goods
    imports = {s: {p: val(p, s) for p in partners} for s in sectors}
    exports = {s: {p: val(s, p) for p in partners} for s in sectors}
    has_m = {s: sum(imports[s].values()) > _ZERO for s in sectors}
    goods: list[str] = []
    for s in sectors:
        goods.append(s)
        if has_m[s]:
            goods.append(f"{s}@dom")
    goods += factors + partners
    gix = {g: k for k, g in enumerate(goods)}
    dom = {s: gix[f"{s}@dom"] if has_m[s] else gix[s] for s in sectors}
    acct_good = {s: gix[s] for s in sectors} | {f: gix[f] for f in factors + partners}
    hix = {h: k for k, h in enumerate(agents)}

    c = _Context(sam=sam, spec=spec, roles=roles, V=V, ix=ix, val=val, file=file, sectors=sectors,
                 factors=factors, partners=partners, agents=agents, goods=goods, gix=gix, dom=dom,
                 acct_good=acct_good, hix=hix, imports=imports, exports=exports, has_m=has_m)
    tree, acts = build_trees(c)
    activities = acts.names
    top_in, top_out, tbar_a, vin_a = acts.top_in, acts.top_out, acts.tbar, acts.vin
    tax_agent_a, act_good = acts.tax_agent, acts.good
    ag = build_agents(c)
    mbar, endow, share, beta, cons = ag["mbar"], ag["endow"], ag["share"], ag["beta"], ag["cons"]
    resid_cons, resid_agent, fixed_real = ag["resid_cons"], ag["resid_agent"], ag["fixed_real"]
    numeraire, aux_goods, aux_agents, fixed_goods, free_goods = build_closure(c)
    n_h, n_g = len(agents), len(goods)

    nodes, edges = tree.ordered()
    node_val = np.array([n["value"] for n in nodes])
    e_parent = np.array([e["parent"] for e in edges], dtype=np.int64)
    e_child = np.array([e["child"] for e in edges], dtype=np.int64)
    e_val = np.array([e["xbar"] * (1 + e["tbar"]) if e["child"] < 0 else node_val[e["child"]]
                      for e in edges])
    depth = 0
    for e in range(len(edges)):
        d, n = 0, int(e_parent[e])
        while nodes[n]["parent_edge"] >= 0:
            d += 1
            n = int(e_parent[nodes[n]["parent_edge"]])
        depth = max(depth, d + 1)
    # goods' market size at the benchmark (scales the market residuals)
    supply = np.zeros(n_g)
    for e in edges:
        if e["child"] < 0 and not e["is_input"]:
            supply[e["good"]] += e["xbar"]
    supply += np.clip(endow, 0, None).sum(axis=0)
    good_scale = np.maximum(supply, 1e-9 * max(supply.max(), 1.0))

    # pairing unknowns with equations for the tatonnement map
    n_a = len(activities)
    mkt_pos = {}
    pos = n_a
    for g in range(n_g):
        if g != numeraire:
            mkt_pos[g] = pos
            pos += 1
    designated = {g: a for a, g in enumerate(act_good) if g >= 0}
    pair: list[int] = []
    used: set[int] = set()
    free_set = set(free_goods.tolist())
    for g in free_goods:
        eq = designated[g] if g in designated else mkt_pos[g]
        pair.append(eq)
        used.add(eq)
    for a, g in enumerate(act_good):
        eq = mkt_pos.get(g, a) if g in free_set else a
        if eq in used:
            eq = a
        pair.append(eq)
        used.add(eq)
    for i in range(n_h):
        pair.append(pos + i)
    for g in aux_goods:
        eq = mkt_pos[g]
        if eq in used:  # the fixed good was paired with an activity: give that activity its ZP
            eq = next(x for x in range(n_a) if x not in used)
        pair.append(eq)
        used.add(eq)
    if sorted(pair) != list(range(len(pair))):
        pair = list(range(len(pair)))  # fall back: any square ordering (Newton does not care)

    st = Structure(
        goods=tuple(goods), activities=tuple(activities), agents=tuple(agents),
        nodes=tuple(n["name"] for n in nodes),
        node_act=np.array([n["act"] for n in nodes], dtype=np.int64),
        node_is_input=np.array([n["is_input"] for n in nodes], dtype=bool),
        node_parent_edge=np.array([n["parent_edge"] for n in nodes], dtype=np.int64),
        depth=depth,
        edge_parent=e_parent, edge_child_node=e_child,
        edge_good=np.array([e["good"] for e in edges], dtype=np.int64),
        edge_theta=e_val / node_val[e_parent],
        edge_xbar=np.array([e["xbar"] for e in edges]),
        edge_tbar=np.array([e["tbar"] for e in edges]),
        edge_tax_agent=np.array([e["tax_agent"] for e in edges], dtype=np.int64),
        edge_is_input=np.array([e["is_input"] for e in edges], dtype=bool),
        act_top_in=tree.node_map[np.array(top_in, dtype=np.int64)],
        act_top_out=tree.node_map[np.array(top_out, dtype=np.int64)],
        act_tbar=np.array(tbar_a), act_vin=np.array(vin_a),
        act_tax_agent=np.array(tax_agent_a, dtype=np.int64),
        act_good=np.array(act_good, dtype=np.int64),
        agent_mbar=mbar, resid_cons=resid_cons, resid_agent=resid_agent, fixed_real=fixed_real,
        surcharge_agent=hix.get(spec.get("energy", {}).get("carbon_revenue", ""),
                                hix[acc["government"][0]] if acc["government"] else -1),
        numeraire=numeraire, fixed_goods=fixed_goods, free_goods=free_goods,
        aux_goods=np.array(aux_goods, dtype=np.int64), aux_agents=np.array(aux_agents, dtype=np.int64),
        good_scale=good_scale, pair=np.array(pair, dtype=np.int64),
    )
    params = {
        "sigma": np.array([n["sigma"] for n in nodes]),
        "eff": np.ones(len(nodes)),
        "tax": st.edge_tbar.copy(),
        "pw": np.ones(len(edges)),
        "surcharge": np.zeros(len(edges)),
        "act_tax": st.act_tbar.copy(),
        "endow": endow,
        "share": share,
        "cons_share": cons / mbar,
        "cons_real": cons.copy(),
        "beta": beta,
        "fixed_price": np.ones(len(fixed_goods)),
    }
    roles_out = {a: roles[a] for a in sam.accounts}
    energy = build_energy(spec, st, sectors, agents, goods) if "energy" in spec else None
    model = Model(structure=st, params=params, param_index={}, sectors=tuple(sectors),
                  factors=tuple(factors), partners=tuple(partners), roles=roles_out,
                  energy=energy, spec=spec, sam=sam, name=str(spec["model"].get("name", "cge")))
    object.__setattr__(model, "param_index", build_param_index(model))
    return model
