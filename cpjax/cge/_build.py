"""Compile a SAM and a specification into a calibrated :class:`~cpjax.cge.Model`.

Calibration uses benchmark prices of 1: CES/CET share parameters are benchmark value shares,
tax rates are tax payments over their base, income shares are payments over income, and the
benchmark is an equilibrium by construction (checked by ``tests/cge``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._errors import CpjaxInputError, unknown_name_message
from ._energy import build_energy
from ._params import build_param_index
from ._sam import Sam, check_balance
from ._structure import Model, Structure

__all__ = ["build_model"]

_ZERO = 1e-12


class _Tree:
    """Collects nodes and edges while the trees are built."""

    def __init__(self) -> None:
        self.nodes: list[dict[str, Any]] = []
        self.edges: list[dict[str, Any]] = []

    def node(self, act: int, name: str, sigma: float, is_input: bool, parent: int | None,
             act_name: str) -> int:
        k = len(self.nodes)
        self.nodes.append({"act": act, "name": f"{act_name}/{name}", "short": name, "sigma": sigma,
                           "is_input": is_input, "parent_edge": -1, "value": 0.0})
        if parent is not None:
            e = len(self.edges)
            self.edges.append({"parent": parent, "child": k, "good": -1, "xbar": 0.0, "tbar": 0.0,
                               "tax_agent": -1, "is_input": is_input})
            self.nodes[k]["parent_edge"] = e
        return k

    def leaf(self, parent: int, good: int, xbar: float, tbar: float = 0.0, tax_agent: int = -1) -> int:
        e = len(self.edges)
        self.edges.append({"parent": parent, "child": -1, "good": good, "xbar": xbar, "tbar": tbar,
                           "tax_agent": tax_agent, "is_input": self.nodes[parent]["is_input"]})
        return e

    def values(self) -> None:
        """Benchmark values bottom-up (leaf value includes its tax)."""
        n_n = len(self.nodes)
        parent = np.array([e["parent"] for e in self.edges], dtype=np.int64)
        child = np.array([e["child"] for e in self.edges], dtype=np.int64)
        leaf_val = np.array([e["xbar"] * (1 + e["tbar"]) for e in self.edges])
        vals = np.zeros(n_n)
        for _ in range(n_n + 1):  # at most depth + 1 sweeps are needed
            ev = np.where(child < 0, leaf_val, vals[np.maximum(child, 0)])
            new = np.bincount(parent, weights=ev, minlength=n_n)
            if np.array_equal(new, vals):
                break
            vals = new
        for n, v in zip(self.nodes, vals):
            n["value"] = float(v)

    def ordered(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Nodes sorted by height (leaves 0; stable) and edges by parent: every tree height is
        a contiguous range of nodes and of edges (``_layout.Levels``)."""
        from ._layout import node_heights

        parent = np.array([e["parent"] for e in self.edges], dtype=np.int64)
        child = np.array([e["child"] for e in self.edges], dtype=np.int64)
        h = node_heights(parent, child, len(self.nodes))
        n_order = np.argsort(h, kind="stable")
        n_new = np.empty(len(self.nodes), dtype=np.int64)
        n_new[n_order] = np.arange(len(self.nodes))
        e_order = np.argsort(n_new[parent], kind="stable")
        e_new = np.empty(len(self.edges), dtype=np.int64)
        e_new[e_order] = np.arange(len(self.edges))
        nodes = [dict(self.nodes[k]) for k in n_order]
        for n in nodes:
            if n["parent_edge"] >= 0:
                n["parent_edge"] = int(e_new[n["parent_edge"]])
        edges = [dict(self.edges[k]) for k in e_order]
        for e in edges:
            e["parent"] = int(n_new[e["parent"]])
            if e["child"] >= 0:
                e["child"] = int(n_new[e["child"]])
        self.node_map = n_new
        return nodes, edges


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
    trade = spec["trade"]
    tariff_accts = [a for a in acc["taxes"] if acc["taxes"][a] == "tariff"]
    prod_taxes = [a for a in acc["taxes"] if acc["taxes"][a] == "production"]
    tariff_partner = trade.get("tariff_partner", partners[0] if partners else None)

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

    # ---- activities and trees
    tree = _Tree()
    activities: list[str] = []
    top_in, top_out, tbar_a, vin_a, tax_agent_a, act_good = [], [], [], [], [], []
    prod = spec["production"]
    default_nests = prod.get("nests") or {"top": {"sigma": 0.0, "children": ["VA", "*"]},
                                          "VA": {"sigma": 1.0, "children": list(factors)}}
    for s in sectors:
        a = len(activities)
        name = f"Y.{s}"
        activities.append(name)
        col = {r: val(r, s) for r in sam.accounts}
        for r, v in col.items():
            if v > _ZERO and roles[r] not in ("sectors", "factors", "partners") and \
                    not roles[r].startswith("tax:"):
                raise CpjaxInputError(f"SAM {sam.source}: sector column {s} pays {v:.6g} to {r} "
                                      f"({roles[r]}); fix: sectors pay only inputs, factors, taxes and imports")
        over = prod.get("sectors", {}).get(s, {})
        nests = over.get("nests", default_nests)
        sig_over = over.get("sigma", {})
        for node_name in sig_over:
            if node_name not in nests:
                raise CpjaxInputError(unknown_name_message(
                    "nest", node_name, nests, where=f"production.sectors.{s}.sigma of {file}"))
        named = set()
        for nd in nests.values():
            named |= {c for c in nd["children"] if c != "*" and c not in nests}
        for c in named:
            if c not in sectors and c not in factors:
                raise CpjaxInputError(unknown_name_message(
                    "account", c, sectors + factors, where=f"production nests for sector {s} in {file}"))
        rest = [r for r in sectors + factors if r not in named and col[r] > _ZERO]

        def add(nname: str, parent: int | None, a: int = a, name: str = name, nests: dict = nests,
                sig_over: dict = sig_over, col: dict = col, rest: list = rest,
                seen: tuple = ()) -> int | None:
            if nname in seen:
                raise CpjaxInputError(f"specification {file}: nest {nname} contains itself")
            nd = nests[nname]
            kids: list[str] = []
            for c in nd["children"]:
                kids += rest if c == "*" else [c]
            leaves = [c for c in kids if c not in nests and col[c] > _ZERO]
            subs = [c for c in kids if c in nests]
            if not leaves and not subs:
                return None
            k = tree.node(a, nname, float(sig_over.get(nname, nd["sigma"])), True, parent, name)
            for c in leaves:
                tree.leaf(k, acct_good[c], col[c])
            n_kids = len(leaves)
            for c in subs:
                n_kids += add(c, k, seen=seen + (nname,)) is not None
            if n_kids == 0:
                raise CpjaxInputError(f"nest {nname} is empty")  # pragma: no cover
            return k

        t_in = add("top", None)
        if t_in is None:
            raise CpjaxInputError(f"SAM {sam.source}: sector {s} has no inputs; fix: remove the sector "
                                  "or give it intermediate and factor inputs")
        vin = sum(col[r] for r in sectors + factors)
        ptx = [r for r in prod_taxes if col[r] > _ZERO]
        if len(ptx) > 1:
            raise CpjaxInputError(f"SAM {sam.source}: sector {s} pays two production taxes {ptx}; "
                                  "fix: merge them into one tax account")
        ptax = col[ptx[0]] if ptx else 0.0
        inc_tax = [r for r in acc["taxes"] if acc["taxes"][r] == "income" and col[r] > _ZERO]
        if inc_tax:
            raise CpjaxInputError(f"SAM {sam.source}: sector {s} pays the income tax account {inc_tax[0]}; "
                                  "fix: give that account kind 'production' in [accounts] taxes")
        # outputs: CET between domestic sales and exports (two partners nested)
        ex = {p: v for p, v in exports[s].items() if v > _ZERO}
        d_sales = vin + ptax - sum(ex.values())
        if d_sales <= _ZERO:
            raise CpjaxInputError(f"SAM {sam.source}: sector {s} exports {sum(ex.values()):.6g} but "
                                  f"produces only {vin + ptax:.6g}; fix: domestic sales must be positive")
        tr = trade.get("sectors", {}).get(s, {})
        t_out = tree.node(a, "top", float(tr.get("cet", trade["cet"])), False, None, name)
        tree.leaf(t_out, dom[s], d_sales)
        if len(ex) == 2:
            k = tree.node(a, "EXP", float(tr.get("exports", trade["exports"])), False, t_out, name)
            for p, v in ex.items():
                tree.leaf(k, gix[p], v)
        elif len(ex) == 1:
            (p, v), = ex.items()
            tree.leaf(t_out, gix[p], v)
        top_in.append(t_in)
        top_out.append(t_out)
        tbar_a.append(ptax / vin)
        vin_a.append(vin)
        tax_agent_a.append(hix[ptx[0]] if ptx else -1)
        act_good.append(dom[s])
        # Armington: composite of domestic sales and imports (two partners nested); tariffs
        tariff = {r: col[r] for r in tariff_accts if col[r] > _ZERO}
        if len(tariff) > 1:
            raise CpjaxInputError(f"SAM {sam.source}: sector {s} pays two tariff accounts; fix: merge them")
        if not has_m[s]:
            if tariff:
                raise CpjaxInputError(f"SAM {sam.source}: sector {s} pays tariffs but imports nothing")
            continue
        a2 = len(activities)
        name2 = f"A.{s}"
        activities.append(name2)
        im = {p: v for p, v in imports[s].items() if v > _ZERO}
        t_rate, t_agent = 0.0, -1
        if tariff:
            (tacc, tval), = tariff.items()
            if tariff_partner not in im:
                raise CpjaxInputError(f"SAM {sam.source}: sector {s} pays tariffs but imports nothing "
                                      f"from the tariff partner {tariff_partner}")
            t_rate, t_agent = tval / im[tariff_partner], hix[tacc]
        k_top = tree.node(a2, "top", float(tr.get("armington", trade["armington"])), True, None, name2)
        tree.leaf(k_top, dom[s], d_sales)
        parent = k_top
        if len(im) == 2:
            parent = tree.node(a2, "IMP", float(tr.get("imports", trade["imports"])), True, k_top, name2)
        for p, v in im.items():
            tree.leaf(parent, gix[p], v, t_rate if p == tariff_partner else 0.0,
                      t_agent if p == tariff_partner else -1)
        k_out = tree.node(a2, "top", 0.0, False, None, name2)
        tree.leaf(k_out, gix[s], d_sales + sum(im.values()) + (sum(tariff.values())))
        top_in.append(k_top)
        top_out.append(k_out)
        tbar_a.append(0.0)
        vin_a.append(d_sales + sum(im.values()) + sum(tariff.values()))
        tax_agent_a.append(-1)
        act_good.append(gix[s])
    tree.values()

    # ---- agents
    n_h, n_g = len(agents), len(goods)
    mbar = np.array([V[ix[h], :].sum() for h in agents])
    for h, mb in zip(agents, mbar):
        if mb <= _ZERO:
            raise CpjaxInputError(f"SAM {sam.source}: agent {h} has no income; fix: remove the account "
                                  "or give it income")
        for s in sectors:
            if val(h, s) > _ZERO and not roles[h].startswith("tax:"):
                raise CpjaxInputError(f"SAM {sam.source}: agent {h} receives {val(h, s):.6g} from "
                                      f"sector {s}; fix: route it through a factor or tax account")
    endow = np.zeros((n_h, n_g))
    for f in factors + partners:
        for r in sam.accounts:
            v = val(r, f)
            if v <= _ZERO:
                continue
            if r not in hix:
                if roles[f] == "partners" and roles[r] == "sectors":
                    continue  # exports
                raise CpjaxInputError(f"SAM {sam.source}: {roles[f][:-1]} account {f} pays {v:.6g} to "
                                      f"{r} ({roles[r]}); fix: factor and partner columns pay agents "
                                      "(households, enterprises, government, savings, taxes) only")
            endow[hix[r], gix[f]] += v
    share = np.zeros((n_h, n_h))
    beta = np.zeros((n_h, n_g))
    cons = np.zeros(n_h)
    for i, h in enumerate(agents):
        for r in sam.accounts:
            v = val(r, h)
            if v <= _ZERO:
                continue
            if r in hix:
                share[i, hix[r]] = v / mbar[i]
            else:
                beta[i, acct_good[r]] += v
        cons[i] = beta[i].sum()
        if cons[i] > _ZERO:
            beta[i] /= cons[i]
    clo = spec["closure"]
    resid_cons = np.zeros(n_h, dtype=bool)
    resid_agent = np.zeros((n_h, n_h))
    for name in clo["residual"]:
        if name not in hix:
            raise CpjaxInputError(unknown_name_message("agent", name, agents, where=f"[closure] residual of {file}"))
    for i, h in enumerate(agents):
        r = clo["residual"].get(h, "consumption" if cons[i] > _ZERO else None)
        if r is None:
            r = agents[int(np.argmax(share[i]))]
        if r == "consumption":
            resid_cons[i] = True
        elif r in hix:
            resid_agent[i, hix[r]] = 1.0
        else:
            raise CpjaxInputError(unknown_name_message("residual", r, ["consumption", *agents],
                                                       where=f"[closure] residual.{h} of {file}"))
    fixed_real = np.zeros(n_h, dtype=bool)
    for h in clo["fixed_real"]:
        if h not in hix:
            raise CpjaxInputError(unknown_name_message("agent", h, agents, where=f"[closure] fixed_real of {file}"))
        if resid_cons[hix[h]]:
            raise CpjaxInputError(f"specification {file}: agent {h} has fixed real consumption, so its "
                                  f"consumption cannot also be its residual; fix: set [closure] "
                                  f"residual.{h} to an agent (e.g. the savings account)")
        fixed_real[hix[h]] = True

    # ---- closure
    def good_of(name: str, where: str) -> int:
        if name in acct_good:
            return acct_good[name]
        if name in gix:
            return gix[name]
        raise CpjaxInputError(unknown_name_message("good", name, goods, where=f"{where} of {file}"))

    numeraire = good_of(clo["numeraire"], "[closure] numeraire")
    aux_goods, aux_agents = [], []
    for gname, h in clo["fixed_prices"].items():
        g = good_of(gname, "[closure] fixed_prices")
        if g == numeraire:
            raise CpjaxInputError(f"specification {file}: {gname} is the numeraire; fix: remove it from "
                                  "[closure] fixed_prices (the numeraire's market is the one Walras' law drops)")
        if h not in hix:
            raise CpjaxInputError(unknown_name_message(
                "agent", str(h), agents, where=f"[closure] fixed_prices.{gname} (the agent whose "
                f"endowment of {gname} adjusts) of {file}"))
        aux_goods.append(g)
        aux_agents.append(hix[h])
    fixed_goods = np.array([numeraire, *aux_goods], dtype=np.int64)
    free_goods = np.array([g for g in range(n_g) if g not in set(fixed_goods.tolist())], dtype=np.int64)

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
