"""The checks every model must pass (spec cge.md §6): replication, Walras, homogeneity, identities."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .._errors import CpjaxInputError
from ._equations import backend, residual
from ._report import macro
from ._solve import Solution, SolverConfig, benchmark_guess, evaluate_solution, solve
from ._structure import Model

__all__ = ["replication_residual", "walras_residual", "homogeneity_error", "identity_gaps",
           "run_checks"]


def replication_residual(model: Model) -> float:
    """Max-norm of the residual at the benchmark unknowns and benchmark parameters (no solve)."""
    prm = {k: np.asarray(v, dtype=np.float64) for k, v in model.params.items()}
    r = residual(model.structure, benchmark_guess(model), prm, backend("numpy"))
    return float(np.max(np.abs(r)))


def walras_residual(model: Model, sol: Solution, params: Mapping[str, Any] | None = None) -> float:
    """Scaled excess demand of the numeraire's market, the one left out of the system."""
    ev = evaluate_solution(model, sol.z, params)
    return float(abs(ev["mkt"][model.structure.numeraire]))


def homogeneity_error(model: Model, params: Mapping[str, Any] | None = None,
                      config: SolverConfig | None = None, factor: float = 2.0,
                      base: Solution | None = None) -> float:
    """Scale every fixed nominal price (and specific surcharges) by ``factor`` and re-solve.

    Returns the largest relative deviation from: prices and incomes times ``factor``, activity
    levels and endowment adjustments unchanged.
    """
    params = dict(params if params is not None else model.params)
    base = base if base is not None else solve(model, params, config)
    scaled = {k: np.array(v, dtype=np.float64) for k, v in params.items()}
    scaled["fixed_price"] = scaled["fixed_price"] * factor
    scaled["surcharge"] = scaled["surcharge"] * factor
    st = model.structure
    z0 = np.asarray(base.z).copy()
    n_f = len(st.free_goods)
    n_a, n_h = len(st.activities), len(st.agents)
    z0[:n_f] += np.log(factor)  # start from the scaled solution (a nominal change only)
    z0[n_f + n_a:n_f + n_a + n_h] *= factor
    alt = solve(model, scaled, config, z0=z0)
    a = evaluate_solution(model, base.z, params)
    b = evaluate_solution(model, alt.z, scaled)
    parts = {"prices": np.abs(b["p"] / (factor * a["p"]) - 1),
             "activity levels": np.abs(b["y"] / a["y"] - 1),
             "incomes": np.abs(b["m"] / (factor * a["m"]) - 1)}
    if len(st.aux_goods):
        parts["endowment adjustments"] = np.abs(b["aux"] - a["aux"])
    bad = [k for k, v in parts.items() if not np.all(np.isfinite(v))]
    if bad:
        raise CpjaxInputError(f"homogeneity check: non-finite {', '.join(bad)} in the solution or its "
                              f"re-solve with prices x{factor:g}; fix: check the solver status of both "
                              "(Solution.status == 0) and the parameters")
    return float(max(np.max(v, initial=0.0) for v in parts.values()))


def identity_gaps(model: Model, sol: Solution, params: Mapping[str, Any] | None = None) -> dict[str, float]:
    """Relative gaps of the accounting identities at a solution (all ~0 at an equilibrium)."""
    ev = evaluate_solution(model, sol.z, params)
    mac = macro(model, ev)
    gdp = max(abs(mac["gdp_expenditure"]), 1e-300)
    out = {
        "gdp_expenditure_vs_income": abs(mac["gdp_expenditure"] - mac["gdp_income"]) / gdp,
        "supply_vs_demand_max": float(np.max(np.abs(ev["mkt"]))),
        "zero_profit_max": float(np.max(np.abs(ev["zp"]))),
        "income_max": float(np.max(np.abs(ev["inc_res"]))),
    }
    if "savings" in mac:
        out["savings_vs_investment"] = abs(mac["savings"] - mac["investment"]) / gdp
    if "government_income" in mac:
        out["government_balance"] = abs(mac["government_income"] - mac["government_spending"]) / gdp
    st = model.structure
    for q in model.partners:
        g = st.goods.index(q)
        out[f"external_balance.{q}"] = float(abs(ev["demand"][g] - ev["supply"][g]) / st.good_scale[g])
    return out


def run_checks(model: Model, params: Mapping[str, Any] | None = None,
               config: SolverConfig | None = None, sol: Solution | None = None) -> dict[str, Any]:
    """All checks at once: what ``cpjax cge solve`` writes to ``checks.json``."""
    params = params if params is not None else model.params
    cfg = config or SolverConfig()
    sol = sol if sol is not None else solve(model, params, cfg, throw=False)
    # the same solver from the benchmark (compiled once): the fixed point takes 0 iterations there;
    # optimistix's Newton checks convergence after its first step, so it reports 1
    bench = solve(model, model.params, cfg, throw=False)
    return {
        "replication_residual": replication_residual(model),
        "replication_iterations": int(bench.iterations),
        "walras_residual": walras_residual(model, sol, params),
        "homogeneity_error": homogeneity_error(model, params, cfg, base=sol) if int(sol.status) == 0
        else None,
        "iterations": int(sol.iterations),
        "residual": float(sol.residual),
        "status": int(sol.status),
        "path": "homotopy" if sol.path is not None and int(sol.path) else "direct",
        "homotopy_steps": int(sol.steps) if sol.steps is not None else 0,
        "method": cfg.method,
        "tolerance": cfg.tol,
        "identities": identity_gaps(model, sol, params),
    }
