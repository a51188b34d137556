"""Named results and macro aggregates (GDP by expenditure and by income, welfare, energy)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ._energy import energy_report
from ._solve import Solution, evaluate_solution
from ._structure import Model

__all__ = ["solution_dict", "macro", "summary_rows"]


def macro(model: Model, ev: Mapping[str, Any]) -> dict[str, float]:
    """GDP (expenditure and income side), savings–investment, government and external balances."""
    st = model.structure
    p = np.asarray(ev["p"])
    goods = st.goods
    partner_g = [goods.index(q) for q in model.partners]
    factor_g = [goods.index(f) for f in model.factors]
    domestic_g = [g for g in range(len(goods)) if g not in partner_g]
    cons_val = np.asarray(ev["cons_qty"]) * p[None, :]
    final = float(cons_val[:, domestic_g].sum())
    flow = np.asarray(ev["flow"])
    leaf = st.edge_child_node < 0
    is_partner = np.isin(st.edge_good, partner_g) & leaf
    g_safe = np.maximum(st.edge_good, 0)
    exports = float(np.sum(np.where(is_partner & ~st.edge_is_input, flow * p[g_safe], 0.0)))
    imports = float(np.sum(np.where(is_partner & st.edge_is_input, flow * p[g_safe], 0.0)))
    factor_income = float(np.sum(np.asarray(ev["endow"])[:, factor_g] * p[factor_g][None, :]))
    indirect = float(np.sum(ev["act_rev"]) + np.sum(np.where(leaf, ev["leaf_rev"], 0.0))
                     + float(ev["sur_rev"]))
    gdp_exp = final + exports - imports
    gdp_inc = factor_income + indirect
    roles = model.roles
    out = {"gdp_expenditure": gdp_exp, "gdp_income": gdp_inc, "final_demand": final,
           "exports": exports, "imports": imports, "factor_income": factor_income,
           "indirect_taxes": indirect}
    m = np.asarray(ev["m"])
    tr = np.asarray(ev["transfers"])
    cons = np.asarray(ev["cons"])
    sav = [i for i, h in enumerate(st.agents) if roles[h] == "savings"]
    if sav:
        savings = float(tr[:, sav].sum() + (np.asarray(ev["endow"])[sav] @ p).sum())
        out["savings"] = savings
        out["investment"] = float(cons[sav].sum())
    gov = [i for i, h in enumerate(st.agents) if roles[h] == "government"]
    if gov:
        out["government_income"] = float(m[gov].sum())
        out["government_spending"] = float(cons[gov].sum() + tr[gov].sum())
    return out


def solution_dict(model: Model, sol: Solution | Any, params: Mapping[str, Any] | None = None,
                  ) -> dict[str, float]:
    """Every variable of the solution by name (prices, activity levels, incomes, flows, macro).

    Names: ``price.<good>``, ``activity.<activity>``, ``income.<agent>``,
    ``adjust.<good>.<agent>``, ``input.<activity>.<good>`` and ``output.<activity>.<good>``
    (real flows, benchmark value units), ``consumption.<agent>.<good>``,
    ``transfer.<from>.<to>``, ``tax_revenue.<agent>``, ``real_consumption.<agent>``,
    ``welfare_ev.<agent>`` (equivalent variation at benchmark prices, Cobb–Douglas agents),
    ``macro.<name>`` and, with an ``[energy]`` table, ``energy_mtce.<user>`` and
    ``emissions_mt.<user>``.
    """
    st = model.structure
    params = params if params is not None else model.params
    z = np.asarray(sol.z if hasattr(sol, "z") else sol, dtype=np.float64)
    ev = evaluate_solution(model, z, params)
    out: dict[str, float] = {}
    for g, name in enumerate(st.goods):
        out[f"price.{name}"] = float(ev["p"][g])
    for a, name in enumerate(st.activities):
        out[f"activity.{name}"] = float(ev["y"][a])
    for h, name in enumerate(st.agents):
        out[f"income.{name}"] = float(ev["m"][h])
    for k, (g, h) in enumerate(zip(st.aux_goods, st.aux_agents)):
        out[f"adjust.{st.goods[g]}.{st.agents[h]}"] = float(ev["aux"][k] * st.good_scale[g])
    leaf = np.nonzero(st.edge_child_node >= -1)[0]
    for e in leaf:
        if st.edge_child_node[e] >= 0:
            continue
        act = st.activities[st.node_act[st.edge_parent[e]]]
        side = "input" if st.edge_is_input[e] else "output"
        out[f"{side}.{act}.{st.goods[st.edge_good[e]]}"] = float(ev["x_leaf"][e])
    cq = np.asarray(ev["cons_qty"])
    for h, hn in enumerate(st.agents):
        for g in np.nonzero(cq[h])[0]:
            out[f"consumption.{hn}.{st.goods[g]}"] = float(cq[h, g])
        for k in np.nonzero(np.asarray(ev["transfers"])[h])[0]:
            out[f"transfer.{hn}.{st.agents[k]}"] = float(ev["transfers"][h, k])
        if ev["tax_in"][h] != 0:
            out[f"tax_revenue.{hn}"] = float(ev["tax_in"][h])
        real = float(ev["cons"][h] / np.exp(ev["lpcd"][h]))
        out[f"real_consumption.{hn}"] = real
        if model.roles[hn] == "households":
            bench = float(model.params["cons_real"][h])
            out[f"welfare_ev.{hn}"] = real - bench
    for k, v in macro(model, ev).items():
        out[f"macro.{k}"] = v
    if model.energy is not None:
        bench_cons = np.asarray(model.params["beta"]) * np.asarray(model.params["cons_real"])[:, None]
        er = energy_report(model.energy, ev, bench_cons)
        for u, v in er["energy_mtce"].items():
            out[f"energy_mtce.{u}"] = v
        for u, v in er["emissions_mt"].items():
            out[f"emissions_mt.{u}"] = v
        out["energy_mtce.total"] = er["energy_mtce_total"]
        out["emissions_mt.total"] = er["emissions_mt_total"]
    return out


def summary_rows(model: Model, values: Mapping[str, float]) -> list[dict[str, Any]]:
    """One row per sector: price, activity, domestic output value, trade, energy, emissions."""
    rows = []
    for s in model.sectors:
        y = values[f"activity.Y.{s}"]
        exports = sum(values.get(f"output.Y.{s}.{q}", 0.0) for q in model.partners)
        imports = sum(values.get(f"input.A.{s}.{q}", 0.0) for q in model.partners)
        rows.append({
            "sector": s,
            "activity_index": y,
            "price_composite": values[f"price.{s}"],
            "price_domestic": values.get(f"price.{s}@dom", values[f"price.{s}"]),
            "domestic_sales_real": values.get(f"output.Y.{s}.{s}@dom", values.get(f"output.Y.{s}.{s}", 0.0)),
            "exports_real": exports,
            "imports_real": imports,
            "energy_mtce": values.get(f"energy_mtce.{s}", 0.0),
            "emissions_mt": values.get(f"emissions_mt.{s}", 0.0),
        })
    return rows
