"""Agents and the closure of a model being built: endowments, income shares, consumption,
residual destinations, fixed real spending, numeraire and fixed prices.  Part of ``build_model``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._errors import CpjaxInputError, unknown_name_message

__all__ = ["build_agents", "build_closure"]

_ZERO = 1e-12


def build_agents(c: Any) -> dict[str, np.ndarray]:
    """Benchmark income, endowments, shares, consumption and the agents' closure choices."""
    sam, V, ix, val, roles, file = c.sam, c.V, c.ix, c.val, c.roles, c.file
    agents, goods, sectors, factors, partners = c.agents, c.goods, c.sectors, c.factors, c.partners
    hix, gix, acct_good = c.hix, c.gix, c.acct_good
    clo = c.spec["closure"]
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
    return {"mbar": mbar, "endow": endow, "share": share, "beta": beta, "cons": cons,
            "resid_cons": resid_cons, "resid_agent": resid_agent, "fixed_real": fixed_real}


def build_closure(c: Any) -> tuple[int, list[int], list[int], np.ndarray, np.ndarray]:
    """``(numeraire, aux goods, aux agents, fixed goods, free goods)``."""
    file, goods, gix, acct_good, hix, agents = c.file, c.goods, c.gix, c.acct_good, c.hix, c.agents
    clo = c.spec["closure"]
    n_g = len(goods)
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
    return numeraire, aux_goods, aux_agents, fixed_goods, free_goods
