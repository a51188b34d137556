"""Outputs by name, written once for JAX and NumPy so that every one of them is differentiable.

Names (:func:`output_names`):

* ``price.<good>``, ``activity.<activity>``, ``income.<agent>``;
* ``real_consumption.<agent>``: consumption deflated by its Cobb–Douglas price index
  (benchmark prices 1), ``utility.<agent>``: ``prod_g X_g^beta_g`` of the consumed quantities
  (benchmark value units; the GAMS ``stdcge`` welfare index);
* ``welfare_ev.<household>``, ``welfare_cv.<household>``: Hicksian equivalent and compensating
  variations of the household's consumption, in numeraire units.  With Cobb–Douglas preferences the
  expenditure function is ``e(p, U) = U prod_g (p_g / beta_g)^beta_g``, so with benchmark prices 1,
  ``EV = e(p0, U1) - e(p0, U0) = real_consumption - C0`` and
  ``CV = e(p1, U1) - e(p1, U0) = C1 - C0 P1`` (``C0`` benchmark consumption, ``P1`` the price
  index at the new prices);
* ``gdp`` (nominal GDP by expenditure);
* with ``[energy]``: ``energy_mtce.total``, ``emissions_mt.total`` and per user
  ``energy_mtce.<user>``, ``emissions_mt.<user>`` (see ``_energy.py`` for the accounting).

:func:`output_vector` returns all of them as one vector (the gradient of any output, or of any
weighted sum of outputs, is one reverse pass through it: ``_gradient.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .._errors import CpjaxInputError, unknown_name_message
from ._structure import Model

__all__ = ["scalar_output", "output_names", "output_vector"]

_KINDS = ("price", "activity", "income", "real_consumption", "utility", "welfare_ev", "welfare_cv",
          "gdp", "energy_mtce", "emissions_mt")


def _households(model: Model) -> np.ndarray:
    return np.array([h for h, a in enumerate(model.structure.agents) if model.roles[a] == "households"],
                    dtype=np.int64)


def _consumers(model: Model) -> np.ndarray:
    beta = np.asarray(model.params["beta"])
    return np.array([h for h in range(len(model.structure.agents)) if np.any(beta[h] > 0)], dtype=np.int64)


def _blocks(model: Model) -> list[tuple[str, list[str], Callable[[dict[str, Any], Any], Any]]]:
    """(kind, names, ev -> vector) for every kind of output, in ``output_names`` order."""
    st = model.structure
    agents = list(st.agents)
    hh, cons = _households(model), _consumers(model)
    c0 = np.asarray(model.params["cons_real"], dtype=np.float64)
    out = [
        ("price", [f"price.{g}" for g in st.goods], lambda ev, xp: ev["p"]),
        ("activity", [f"activity.{a}" for a in st.activities], lambda ev, xp: ev["y"]),
        ("income", [f"income.{h}" for h in agents], lambda ev, xp: ev["m"]),
        ("real_consumption", [f"real_consumption.{h}" for h in agents],
         lambda ev, xp: ev["cons"] / xp.exp(ev["lpcd"])),
        ("utility", [f"utility.{agents[h]}" for h in cons], lambda ev, xp: _utility(ev, xp)[cons]),
        ("welfare_ev", [f"welfare_ev.{agents[h]}" for h in hh],
         lambda ev, xp: (ev["cons"] / xp.exp(ev["lpcd"]))[hh] - c0[hh]),
        ("welfare_cv", [f"welfare_cv.{agents[h]}" for h in hh],
         lambda ev, xp: ev["cons"][hh] - c0[hh] * xp.exp(ev["lpcd"][hh])),
        ("gdp", ["gdp"], _gdp(model)),
    ]
    if model.energy is not None:
        en = model.energy
        users = list(en.users)
        per_user = np.zeros((len(users), len(en.user)))
        per_user[en.user, np.arange(len(en.user))] = 1.0
        out += [("energy_mtce", ["energy_mtce.total"] + [f"energy_mtce.{u}" for u in users],
                 _energy(model, per_user, emissions=False)),
                ("emissions_mt", ["emissions_mt.total"] + [f"emissions_mt.{u}" for u in users],
                 _energy(model, per_user, emissions=True))]
    return out


def _utility(ev: dict[str, Any], xp: Any) -> Any:
    beta, cq = ev["beta"], ev["cons_qty"]
    pos = beta > 0
    return xp.exp(xp.sum(xp.where(pos, beta * xp.log(xp.where(pos, cq, 1.0)), 0.0), axis=1))


def _gdp(model: Model) -> Callable[[dict[str, Any], Any], Any]:
    st = model.structure
    partner_g = np.array([st.goods.index(q) for q in model.partners], dtype=np.int64)
    domestic = np.ones(len(st.goods))
    domestic[partner_g] = 0.0
    leaf = st.edge_child_node < 0
    sign = np.where(st.edge_is_input, -1.0, 1.0) * (np.isin(st.edge_good, partner_g) & leaf)
    g_safe = np.maximum(st.edge_good, 0)

    def gdp(ev: dict[str, Any], xp: Any) -> Any:
        final = xp.sum(ev["cons_qty"] * ev["p"][None, :] * domestic[None, :])
        return (final + xp.sum(sign * ev["flow"] * ev["p"][g_safe]))[None]

    return gdp


def _energy(model: Model, per_user: np.ndarray, emissions: bool) -> Callable[[dict[str, Any], Any], Any]:
    """Physical use (Mtce) or emissions (Mt CO2) per entry of the energy table, moving with the
    real quantity of the fuel flow; total first, then per user."""
    en = model.energy
    weight = en.mtce * en.burned * (en.gamma if emissions else 1.0)
    is_edge = en.edge >= 0
    bench_cons = np.asarray(model.params["beta"]) * np.asarray(model.params["cons_real"])[:, None]
    den = np.where(is_edge, en.xbar, bench_cons[np.maximum(en.agent, 0), en.good])

    def energy(ev: dict[str, Any], xp: Any) -> Any:
        num = xp.where(is_edge, ev["x_leaf"][np.maximum(en.edge, 0)],
                       ev["cons_qty"][np.maximum(en.agent, 0), en.good])
        entry = weight * num / den
        return xp.concatenate([xp.sum(entry)[None], per_user @ entry])

    return energy


def output_names(model: Model) -> list[str]:
    """Every output name, in the order of :func:`output_vector`."""
    return [n for _, names, _ in _blocks(model) for n in names]


def output_vector(model: Model, xp: Any = None) -> Callable[[dict[str, Any]], Any]:
    """A function ``ev -> vector`` of every output (``ev`` from ``evaluate``)."""
    if xp is None:
        import jax.numpy as xp  # noqa: N812 - array module alias
    blocks = _blocks(model)

    def vec(ev: dict[str, Any]) -> Any:
        return xp.concatenate([xp.reshape(f(ev, xp), (-1,)) for _, names, f in blocks if names])

    return vec


def scalar_output(model: Model, name: str, xp: Any = None) -> Callable[[dict[str, Any]], Any]:
    """A function ``ev -> scalar`` for the output ``name`` (JAX by default, or ``xp=numpy``)."""
    if xp is None:
        import jax.numpy as xp  # noqa: N812 - array module alias
    for _, names, f in _blocks(model):
        if name in names:
            k = names.index(name)
            return lambda ev, f=f, k=k: xp.reshape(f(ev, xp), (-1,))[k]
    kind = name.split(".")[0]
    if kind not in _KINDS:
        raise CpjaxInputError(unknown_name_message("output", name, output_names(model))
                              + f" Output kinds: {', '.join(_KINDS)}")
    raise CpjaxInputError(unknown_name_message("output", name, output_names(model),
                                               where=f"model {model.name}"))
