"""Scalar outputs by name, written in JAX so that they can be differentiated.

Names: ``price.<good>``, ``activity.<activity>``, ``income.<agent>``,
``real_consumption.<agent>`` (Cobb–Douglas real consumption, = welfare index), ``gdp``
(nominal GDP by expenditure), ``energy_mtce.total`` and ``emissions_mt.total`` (with ``[energy]``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .._errors import CpjaxInputError
from ._structure import Model

__all__ = ["scalar_output", "output_names"]


def output_names(model: Model) -> list[str]:
    st = model.structure
    names = ([f"price.{g}" for g in st.goods] + [f"activity.{a}" for a in st.activities]
             + [f"income.{h}" for h in st.agents] + [f"real_consumption.{h}" for h in st.agents]
             + ["gdp"])
    if model.energy is not None:
        names += ["energy_mtce.total", "emissions_mt.total"]
    return names


def scalar_output(model: Model, name: str, xp: Any = None) -> Callable[[dict[str, Any]], Any]:
    """A function ``ev -> scalar`` (``ev`` from ``evaluate``) for the output ``name``."""
    if xp is None:
        import jax.numpy as xp  # noqa: N812 - array module alias
    st = model.structure
    kind, _, rest = name.partition(".")
    if kind == "price" and rest in st.goods:
        g = st.goods.index(rest)
        return lambda ev: ev["p"][g]
    if kind == "activity" and rest in st.activities:
        a = st.activities.index(rest)
        return lambda ev: ev["y"][a]
    if kind == "income" and rest in st.agents:
        h = st.agents.index(rest)
        return lambda ev: ev["m"][h]
    if kind == "real_consumption" and rest in st.agents:
        h = st.agents.index(rest)
        return lambda ev: ev["cons"][h] / xp.exp(ev["lpcd"][h])
    if name == "gdp":
        partner_g = np.array([st.goods.index(q) for q in model.partners], dtype=np.int64)
        domestic = np.ones(len(st.goods))
        domestic[partner_g] = 0.0
        leaf = st.edge_child_node < 0
        is_p = np.isin(st.edge_good, partner_g) & leaf
        sign = np.where(st.edge_is_input, -1.0, 1.0) * is_p
        g_safe = np.maximum(st.edge_good, 0)

        def gdp(ev: dict[str, Any]) -> Any:
            final = xp.sum(ev["cons_qty"] * ev["p"][None, :] * domestic[None, :])
            return final + xp.sum(sign * ev["flow"] * ev["p"][g_safe])

        return gdp
    if name in ("energy_mtce.total", "emissions_mt.total") and model.energy is not None:
        en = model.energy
        weight = en.mtce * (en.gamma if name.startswith("emissions") else 1.0)
        is_edge = en.edge >= 0
        bench_cons = np.asarray(model.params["beta"]) * np.asarray(model.params["cons_real"])[:, None]
        den = np.where(is_edge, en.xbar, bench_cons[np.maximum(en.agent, 0), en.good])

        def energy(ev: dict[str, Any]) -> Any:
            num = xp.where(is_edge, ev["x_leaf"][np.maximum(en.edge, 0)],
                           ev["cons_qty"][np.maximum(en.agent, 0), en.good])
            return xp.sum(weight * num / den)

        return energy
    from .._errors import close_matches

    near = close_matches(name, output_names(model))
    raise CpjaxInputError(f"unknown output {name!r}" + (f"; did you mean {near}?" if near else "")
                          + " Outputs: price.<good>, activity.<activity>, income.<agent>, "
                          "real_consumption.<agent>, gdp, energy_mtce.total, emissions_mt.total")
