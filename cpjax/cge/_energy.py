"""Energy use in physical units and CO2 emissions attached to the model's fuel flows.

The specification's ``[energy]`` table gives the benchmark energy use (Mtce) of each user (sector
or agent) of each fuel sector, the fuel type of each fuel sector and emission factors (t CO2 per
tce).  Physical use moves with the real quantity of the fuel input, so
``energy_{u,f} = mtce_{u,f} * X_{u,f} / Xbar_{u,f}`` and direct emissions are
``sum_f energy_{u,f} * gamma_f`` over fuels with a factor (coal, oil, gas; electricity carries no
direct emissions — the indirect option of the emissions-trading issue counts it separately).
This is the hook the emissions-trading block uses: ``surcharge`` on the same edges carries
``p_carbon * gamma_f * mtce / Xbar`` into fuel prices.

**Counting once.** A transformation sector (refining and coking) buys coal and oil/gas and sells
products (coke, refined oil) that its users burn again.  The spec's ``[energy] feedstock`` gives,
per transformation sector and fuel, the share of its use that is turned into products instead of
burned.  That share is left out of both energy use and emissions at the transformation sector: its
energy and carbon are counted where the products are burned.  What the sector burns itself (its
losses and own fuel) is counted there.  So energy use is each tce once and emissions are each tonne
of CO2 once; ``energy_report`` and the outputs use the burned share ``1 - feedstock`` of each entry.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np

from .._errors import CpjaxInputError, unknown_name_message
from ._structure import Structure

__all__ = ["Energy", "build_energy", "energy_report"]


@dataclasses.dataclass(frozen=True, eq=False)
class Energy:
    users: tuple[str, ...]              # sectors and agents with energy use
    fuels: tuple[str, ...]              # fuel sectors
    fuel_type: dict[str, str]
    factors: dict[str, float]           # t CO2 / tce per fuel type
    edge: np.ndarray                    # production input edge (or -1 for agents)
    agent: np.ndarray                   # agent index (or -1 for edges)
    good: np.ndarray                    # good index of the fuel
    user: np.ndarray                    # index into users
    fuel: np.ndarray                    # index into fuels
    mtce: np.ndarray                    # benchmark physical use
    gamma: np.ndarray                   # emission factor of the entry (0 for electricity)
    xbar: np.ndarray                    # benchmark real quantity of the flow (value units)
    burned: np.ndarray                  # share of the entry burned (1 - feedstock share)


def _read_use(spec: dict[str, Any]) -> dict[str, dict[str, float]]:
    en = spec["energy"]
    file = spec.get("_file", "<spec>")
    if "use_file" in en:
        import pandas as pd

        path = Path(spec.get("_path", ".")) / en["use_file"]
        if not path.is_file():
            raise CpjaxInputError(f"specification {file}: energy use_file {path} not found")
        df = pd.read_csv(path, index_col=0, comment="#").fillna(0.0)
        return {str(r): {str(c): float(df.loc[r, c]) for c in df.columns} for r in df.index}
    return {u: {f: float(v) for f, v in row.items()} for u, row in en.get("use", {}).items()}


def build_energy(spec: dict[str, Any], st: Structure, sectors: list[str], agents: list[str],
                 goods: list[str]) -> Energy:
    en = spec["energy"]
    file = spec.get("_file", "<spec>")
    fuel_type = {str(k): str(v) for k, v in en.get("fuels", {}).items()}
    for f in fuel_type:
        if f not in sectors:
            raise CpjaxInputError(unknown_name_message("fuel sector", f, sectors, where=f"[energy] fuels of {file}"))
    factors = {str(k): float(v) for k, v in en.get("emission_factors", {}).items()}
    use = _read_use(spec)
    feedstock = _feedstock(en.get("feedstock", {}), sectors, fuel_type, file)
    users = [u for u in use if any(v > 0 for v in use[u].values())]
    edge, agent, good, user, fuel, mtce, gamma, xbar, burned = [], [], [], [], [], [], [], [], []
    fuels = list(fuel_type)
    for ui, u in enumerate(users):
        for f, v in use[u].items():
            if v <= 0:
                continue
            if f not in fuel_type:
                raise CpjaxInputError(unknown_name_message("fuel", f, fuels, where=f"energy use of {u} in {file}"))
            g = goods.index(f)
            if u in sectors:
                act = st.activities.index(f"Y.{u}")
                hits = [e for e in range(len(st.edge_parent))
                        if st.edge_good[e] == g and st.edge_is_input[e]
                        and st.node_act[st.edge_parent[e]] == act]
                if not hits:
                    raise CpjaxInputError(f"specification {file}: sector {u} uses {v} Mtce of {f} but "
                                          f"buys no {f} in the SAM; fix: make the two consistent")
                edge.append(hits[0])
                agent.append(-1)
                xbar.append(st.edge_xbar[hits[0]])
            elif u in agents:
                edge.append(-1)
                agent.append(agents.index(u))
                xbar.append(np.nan)
            else:
                raise CpjaxInputError(unknown_name_message("energy user", u, sectors + agents,
                                                           where=f"[energy] of {file}"))
            good.append(g)
            user.append(ui)
            fuel.append(fuels.index(f))
            mtce.append(v)
            gamma.append(factors.get(fuel_type[f], 0.0))
            burned.append(1.0 - feedstock.get(u, {}).get(f, 0.0))
    return Energy(tuple(users), tuple(fuels), fuel_type, factors, np.array(edge, dtype=np.int64),
                  np.array(agent, dtype=np.int64), np.array(good, dtype=np.int64),
                  np.array(user, dtype=np.int64), np.array(fuel, dtype=np.int64),
                  np.array(mtce), np.array(gamma), np.array(xbar), np.array(burned))


def _feedstock(table: Any, sectors: list[str], fuel_type: dict[str, str], file: str
               ) -> dict[str, dict[str, float]]:
    """``[energy] feedstock = { SECTOR = { FUEL = share } }``, checked."""
    if not isinstance(table, dict):
        raise CpjaxInputError(f"specification {file}: [energy] feedstock must be a table "
                              "{{ SECTOR = {{ FUEL = share }} }}")
    out: dict[str, dict[str, float]] = {}
    for s_name, row in table.items():
        if s_name not in sectors:
            raise CpjaxInputError(unknown_name_message("transformation sector", s_name, sectors,
                                                       where=f"[energy] feedstock of {file}"))
        if not isinstance(row, dict):
            raise CpjaxInputError(f"specification {file}: [energy] feedstock.{s_name} must map fuels "
                                  "to shares, e.g. {{ COAL = 0.6 }}")
        out[s_name] = {}
        for f, v in row.items():
            if f not in fuel_type:
                raise CpjaxInputError(unknown_name_message("fuel", f, list(fuel_type),
                                                           where=f"[energy] feedstock.{s_name} of {file}"))
            try:
                share = float(v)
            except (TypeError, ValueError) as err:
                raise CpjaxInputError(f"specification {file}: [energy] feedstock.{s_name}.{f} = {v!r} "
                                      "is not a number") from err
            if not 0.0 <= share <= 1.0:
                raise CpjaxInputError(f"specification {file}: [energy] feedstock.{s_name}.{f} = {share} "
                                      "must be a share in [0, 1]")
            out[s_name][f] = share
    return out


def energy_report(energy: Energy, ev: dict[str, Any], bench_cons: np.ndarray) -> dict[str, Any]:
    """Energy use (Mtce) and direct emissions (Mt CO2) per user at an evaluated point."""
    x = np.asarray(ev["x_leaf"])
    cq = np.asarray(ev["cons_qty"])
    ratio = np.where(energy.edge >= 0, x[np.maximum(energy.edge, 0)] / np.where(
        energy.edge >= 0, energy.xbar, 1.0), 0.0)
    ag = energy.agent >= 0
    if ag.any():
        num = cq[energy.agent[ag], energy.good[ag]]
        den = bench_cons[energy.agent[ag], energy.good[ag]]
        ratio[ag] = num / den
    e_use = energy.mtce * ratio * energy.burned
    n_u = len(energy.users)
    use_by_user = np.bincount(energy.user, weights=e_use, minlength=n_u)
    em_by_user = np.bincount(energy.user, weights=e_use * energy.gamma, minlength=n_u)
    return {
        "energy_mtce": dict(zip(energy.users, use_by_user.tolist())),
        "emissions_mt": dict(zip(energy.users, em_by_user.tolist())),
        "energy_mtce_total": float(use_by_user.sum()),
        "emissions_mt_total": float(em_by_user.sum()),
    }
