"""Named results and macro aggregates (GDP by expenditure and by income, welfare, energy)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .._errors import CpjaxInputError
from ._outputs import output_names, output_vector
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
    """Every variable of the solution by name; the names depend on the model only, never on the
    values (a flow that falls to zero is reported as 0.0).

    Names: every output of :func:`~cpjax.cge.output_names` (prices, activity levels, incomes,
    real consumption, utility, EV and CV per household, GDP, energy and emissions in total and
    per user), ``adjust.<good>.<agent>``, ``input.<activity>.<good>`` and
    ``output.<activity>.<good>`` (real flows, benchmark value units),
    ``consumption.<agent>.<good>`` (goods in the agent's benchmark bundle),
    ``transfer.<from>.<to>`` (payments the closure allows), ``tax_revenue.<agent>`` (every agent
    that receives a tax or the carbon surcharges) and ``macro.<name>``.
    """
    st = model.structure
    params = params if params is not None else model.params
    z = np.asarray(sol.z if hasattr(sol, "z") else sol, dtype=np.float64)[:st.n_unknowns]
    ev = evaluate_solution(model, z, params)
    out: dict[str, float] = dict(zip(output_names(model), output_vector(model, np)(ev).tolist()))
    for k, (g, h) in enumerate(zip(st.aux_goods, st.aux_agents)):
        out[f"adjust.{st.goods[g]}.{st.agents[h]}"] = float(ev["aux"][k] * st.good_scale[g])
    for e in np.nonzero(st.edge_child_node < 0)[0]:
        act = st.activities[st.node_act[st.edge_parent[e]]]
        side = "input" if st.edge_is_input[e] else "output"
        out[f"{side}.{act}.{st.goods[st.edge_good[e]]}"] = float(ev["x_leaf"][e])
    cq = np.asarray(ev["cons_qty"])
    tr = np.asarray(ev["transfers"])
    bench_beta = np.asarray(model.params["beta"])
    allowed = (np.asarray(model.params["share"]) > 0) | (st.resid_agent > 0)
    receivers = set(st.act_tax_agent[st.act_tax_agent >= 0].tolist())
    receivers |= set(st.edge_tax_agent[(st.edge_tax_agent >= 0) & (st.edge_child_node < 0)].tolist())
    if st.surcharge_agent >= 0:
        receivers.add(int(st.surcharge_agent))
    for h, hn in enumerate(st.agents):
        for g in np.nonzero(bench_beta[h] > 0)[0]:
            out[f"consumption.{hn}.{st.goods[g]}"] = float(cq[h, g])
        for k in np.nonzero(allowed[h])[0]:
            out[f"transfer.{hn}.{st.agents[k]}"] = float(tr[h, k])
        if h in receivers:
            out[f"tax_revenue.{hn}"] = float(ev["tax_in"][h])
    for k, v in macro(model, ev).items():
        out[f"macro.{k}"] = v
    bad = [k for k, v in out.items() if not np.isfinite(v)]
    if bad:
        raise CpjaxInputError(f"the solution has non-finite values ({', '.join(bad[:5])}"
                              f"{'...' if len(bad) > 5 else ''}); fix: check the solver status "
                              "before reporting (Solution.status == 0)")
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
