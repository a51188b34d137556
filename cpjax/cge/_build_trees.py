"""Production and trade trees of a model being built: activities, nests, leaves, benchmark values.

For each sector: the production activity ``Y.<sector>`` with its nested CES input tree (the
specification's nests, ``*`` = every other input) and its CET output tree (domestic sales and
exports, two partners nested), and, when it imports, the Armington activity ``A.<sector>``
(domestic sales and imports, tariffs on the tariff partner's leaf).  Part of ``build_model``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._errors import CpjaxInputError, unknown_name_message

__all__ = ["Tree", "Activities", "build_trees"]

_ZERO = 1e-12


class Tree:
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



class Activities:
    """The activities' arrays collected while the trees are built."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.top_in: list[int] = []
        self.top_out: list[int] = []
        self.tbar: list[float] = []
        self.vin: list[float] = []
        self.tax_agent: list[int] = []
        self.good: list[int] = []


def build_trees(c: Any) -> tuple[Tree, Activities]:
    """Every activity's input and output trees (``c``: the build context of ``_build.py``)."""
    sam, spec, roles, val, file = c.sam, c.spec, c.roles, c.val, c.file
    sectors, factors, partners = c.sectors, c.factors, c.partners
    acc, trade = spec["accounts"], spec["trade"]
    tariff_accts = [a for a in acc["taxes"] if acc["taxes"][a] == "tariff"]
    prod_taxes = [a for a in acc["taxes"] if acc["taxes"][a] == "production"]
    tariff_partner = trade.get("tariff_partner", partners[0] if partners else None)
    imports, exports, has_m = c.imports, c.exports, c.has_m
    gix, dom, acct_good, hix = c.gix, c.dom, c.acct_good, c.hix
    acts = Activities()
    activities = acts.names
    top_in, top_out, tbar_a, vin_a, tax_agent_a, act_good = (acts.top_in, acts.top_out, acts.tbar,
                                                             acts.vin, acts.tax_agent, acts.good)
    tree = Tree()
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
    return tree, acts
