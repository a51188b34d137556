# ruff: noqa: F722  (jaxtyping shape strings are not Python expressions)
"""Emissions trading block (spec cge.md §3, seed §2.4): coverage, cap, allocation, three regimes.

Every covered sector ``i`` faces a carbon price ``π_i`` (CNY per t CO2, in units of the numeraire)
that enters its fuel prices as a specific surcharge ``π_i · γ_f · tce/value`` (the marginal cost
``p_t γ_f`` of seed eq. 16) and is paid to the carbon-revenue agent (the government). Free
allocation ``F_i`` returns ``π_i F_i`` to the firms' owners (grandfathering, a lump sum to the
enterprise account) or, output-based, ``π_i · bench_i`` per unit of real output (a specific
output subsidy at the margin). Net, sector ``i`` pays ``C_i = π_i (EM_i − F_i)`` (eq. 16) and the
government receives it. Regimes, as masks over sectors (so a batch of scenarios is an array):

* ``exo``: the exogenous price path of the drivers (national market / forecaster) — the baseline's
  power sector; its net position ``EM_i − F_i`` is traded with the outside market.
* ``trade``: one market price ``p`` with the cap ``T = Σ F_i`` and the complementarity
  ``p ≥ floor ⟂ T − Σ EM_i ≥ 0``, smoothed: with a free unknown ``u``,
  ``p = floor + w·softplus((u − floor)/w)`` and the equation
  ``(Σ EM − T)/B − (u − p)/P = 0`` (``w`` = ``smoothing_cny``, ``P`` = ``price_scale_cny``).
  Binding: ``u ≈ p`` and ``Σ EM = T``; slack: ``u < floor``, ``p = floor`` (+ ``w e^{(u−floor)/w}``).
* ``own`` (allocation without trading, eq. 17–18): each sector has its own shadow price
  ``π_i ∈ [0, penalty]`` with ``EM_i − F_i ⟂ π_i`` (the same smoothing on both bounds): it abates to
  its allocation when that costs less than the penalty, else pays the penalty on the excess.

Trading volume: what changes hands.  Exogenous-price sectors trade their whole net position
``|EM_i − F_i|`` with the outside market; inside the trading market buyers (``EM_i > F_i``) can buy
at most what sellers offer and sellers sell at most what buyers need, so the volume is
``min(Σ purchases, Σ sales)``: zero with a slack cap where every sector keeps a surplus, equal to
both sides when the cap binds, and continuous as the cap tightens.

The block follows the :class:`~cpjax.cge.Block` protocol (:class:`EtsBlock`), so the solvers of
``make_core`` solve it with the CGE.

Emissions (eq. 15): direct ``EM_i = Σ_f fuel_{f,i} γ_f`` (coal, oil, gas) by default; with
``indirect = 1`` covered sectors also count their purchased thermal power at the power sector's
benchmark emissions per unit of output (never added to the provincial total: no double counting).
Units: emissions in Mt CO2, prices in CNY/t, SAM values in ``value_unit_cny`` (1e8 CNY in the demo),
so a payment is ``π · EM · 1e6 / value_unit_cny`` SAM units.
"""

from __future__ import annotations

import dataclasses
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from .._errors import CpjaxInputError
from ._outputs import scalar_output
from ._structure import Model

__all__ = ["EtsConfig", "EtsLayout", "YearPolicy", "EtsBlock", "build_layout", "apply_ets"]


@dataclasses.dataclass(frozen=True)
class EtsConfig:
    """Settings of the trading block (all JSON-serialisable).

    Attributes:
        value_unit_cny: CNY per SAM value unit (1e8: the demo SAM is in 100 million CNY).
        smoothing_cny: width ``w`` of the softplus smoothing of the complementarity (CNY/t).
        price_scale_cny: scale ``P`` relating price gaps to emission gaps in the equations (CNY/t).
        indirect_good: the electricity good whose purchase carries indirect emissions.
        allocation_recipient: agent receiving grandfathered allocations (None: first enterprise,
            else first household).
    """

    value_unit_cny: float = 1e8
    smoothing_cny: float = 0.1
    price_scale_cny: float = 100.0
    indirect_good: str = "TPOW"
    allocation_recipient: str | None = None


@dataclasses.dataclass(frozen=True, eq=False)
class EtsLayout:
    """Static index arrays tying sectors to emitting edges and output edges."""

    sectors: tuple[str, ...]
    n_cge: int                  # CGE unknowns (the ETS adds 1 + n_sectors)
    em_edge: np.ndarray         # emitting input edges
    em_sector: np.ndarray       # their sector
    em_coef: np.ndarray         # Mt CO2 per unit of real flow
    em_indirect: np.ndarray     # bool: indirect (purchased electricity)
    out_edge: np.ndarray        # output leaves of Y.<sector>
    out_sector: np.ndarray
    numeraire: int
    gov: int
    recipient: int
    value_factor: float         # SAM value units per (CNY/t x Mt)
    config: EtsConfig


class YearPolicy(NamedTuple):
    """One year's trading-block inputs (arrays; a batch adds a leading axis)."""

    exo: Float[Array, " s"]          # 1 = exogenous price
    trade: Float[Array, " s"]        # 1 = in the trading market
    own: Float[Array, " s"]          # 1 = allocation without trading (penalty)
    reduction: Float[Array, ""]      # r_t: cap/allocation = (1 - r_t) x reference emissions
    output_based: Float[Array, ""]   # 0 grandfathering, 1 output-based (a blend in between)
    indirect: Float[Array, ""]       # 0 direct only, 1 + indirect electricity for covered sectors
    exo_price: Float[Array, ""]      # CNY/t
    penalty: Float[Array, ""]        # CNY/t
    floor: Float[Array, ""]          # CNY/t, lower bound of the market price
    ref_direct: Float[Array, " s"]   # reference emissions (Mt), direct
    ref_indirect: Float[Array, " s"]  # reference indirect emissions (Mt)
    ref_output: Float[Array, " s"]   # reference real output


def build_layout(model: Model, config: EtsConfig = EtsConfig()) -> EtsLayout:
    """Index arrays for ``model`` (needs an ``[energy]`` table in the specification)."""
    if model.energy is None:
        raise CpjaxInputError(f"model {model.name!r} has no [energy] table, so the emissions "
                              "trading block has no emissions; fix: add [energy] fuels, "
                              "emission_factors and use_file to the specification (docs/cge.md)")
    st, en = model.structure, model.energy
    sec = {s: k for k, s in enumerate(model.sectors)}
    act_sector = {st.activities.index(f"Y.{s}"): k for s, k in sec.items()}
    edge, sector, coef, ind = [], [], [], []
    for k in range(len(en.edge)):
        if en.edge[k] < 0 or en.gamma[k] * en.burned[k] <= 0:
            continue
        act = int(st.node_act[st.edge_parent[en.edge[k]]])
        edge.append(int(en.edge[k]))
        sector.append(act_sector[act])
        coef.append(en.gamma[k] * en.burned[k] * en.mtce[k] / en.xbar[k])
        ind.append(False)
    g_el = config.indirect_good
    if g_el in sec:
        # emissions per unit of the power sector's output at the benchmark (Mt per value unit)
        a_el = st.activities.index(f"Y.{g_el}")
        direct_el = sum(c * st.edge_xbar[e] for e, s, c in zip(edge, sector, coef) if s == sec[g_el])
        out_el = float(np.sum(st.edge_xbar[(st.edge_child_node < 0) & ~st.edge_is_input
                                            & (st.node_act[st.edge_parent] == a_el)]))
        gi = st.goods.index(g_el)
        for e in np.nonzero((st.edge_good == gi) & st.edge_is_input)[0]:
            act = int(st.node_act[st.edge_parent[e]])
            if act in act_sector and act_sector[act] != sec[g_el]:
                edge.append(int(e))
                sector.append(act_sector[act])
                coef.append(direct_el / out_el)
                ind.append(True)
    leaf_out = (st.edge_child_node < 0) & ~st.edge_is_input
    out_edge = np.array([e for e in np.nonzero(leaf_out)[0]
                         if int(st.node_act[st.edge_parent[e]]) in act_sector], dtype=np.int64)
    out_sector = np.array([act_sector[int(st.node_act[st.edge_parent[e]])] for e in out_edge],
                          dtype=np.int64)
    agents = list(st.agents)
    if config.allocation_recipient is not None:
        if config.allocation_recipient not in agents:
            from .._errors import unknown_name_message

            raise CpjaxInputError(unknown_name_message("agent", config.allocation_recipient, agents,
                                                       where="EtsConfig.allocation_recipient"))
        recipient = agents.index(config.allocation_recipient)
    else:
        ent = [a for a in agents if model.roles[a] == "enterprises"]
        hoh = [a for a in agents if model.roles[a] == "households"]
        recipient = agents.index((ent or hoh)[0])
    if st.surcharge_agent < 0:
        raise CpjaxInputError(f"model {model.name!r} has no agent for carbon revenue; fix: set "
                              "[energy] carbon_revenue (e.g. GOV)")
    return EtsLayout(tuple(model.sectors), st.n_unknowns, np.array(edge, dtype=np.int64),
                     np.array(sector, dtype=np.int64), np.array(coef), np.array(ind, dtype=bool),
                     out_edge, out_sector, int(st.numeraire), int(st.surcharge_agent), recipient,
                     1e6 / config.value_unit_cny, config)


def _softplus(x: Array, w: float) -> Array:
    return w * jax.nn.softplus(x / w)


def prices(layout: EtsLayout, u: Array, yp: YearPolicy) -> tuple[Array, Array, Array]:
    """(market price, own shadow prices (s,), sector prices π (s,)) in CNY/t from unknowns ``u``."""
    w = layout.config.smoothing_cny
    p_t = yp.floor + _softplus(u[0] - yp.floor, w)
    u_own = u[1:]
    p_own = _softplus(u_own, w) - _softplus(u_own - yp.penalty, w)
    pi = yp.exo * yp.exo_price + yp.trade * p_t + yp.own * p_own
    return p_t, p_own, pi


def _covered_ref(yp: YearPolicy) -> Array:
    return yp.ref_direct + yp.indirect * yp.ref_indirect


def apply_ets(layout: EtsLayout, prm: dict[str, Array], u: Array, yp: YearPolicy) -> dict[str, Array]:
    """CGE parameters with the carbon prices ``π(u)`` applied (surcharges, subsidies, lump sums)."""
    _, _, pi = prices(layout, u, yp)
    covered = yp.exo + yp.trade + yp.own
    pnum = prm["fixed_price"][0]
    vf = layout.value_factor
    weight = jnp.where(jnp.asarray(layout.em_indirect), yp.indirect, 1.0)
    sur = prm["surcharge"].at[layout.em_edge].add(
        pi[layout.em_sector] * pnum * vf * layout.em_coef * weight)
    base = covered * (1.0 - yp.reduction) * _covered_ref(yp)          # F_i at reference output
    bench = base / jnp.maximum(yp.ref_output, 1e-12)                  # Mt per unit of output
    sur = sur.at[layout.out_edge].add((pi * vf * yp.output_based * bench)[layout.out_sector] * pnum)
    lump = jnp.sum(pi * vf * (1.0 - yp.output_based) * base)          # numeraire units
    endow = prm["endow"]
    endow = endow.at[layout.recipient, layout.numeraire].add(lump)
    endow = endow.at[layout.gov, layout.numeraire].add(-lump)
    return {**prm, "surcharge": sur, "endow": endow}


def _sector_sums(layout: EtsLayout, ev: dict[str, Any], yp: YearPolicy) -> tuple[Array, Array, Array]:
    """(direct emissions (s,), indirect emissions (s,), real output (s,)) at an evaluated point."""
    n_s = len(layout.sectors)
    x = ev["x_leaf"]
    em = layout.em_coef * x[layout.em_edge]
    ind = jnp.asarray(layout.em_indirect)
    direct = jax.ops.segment_sum(jnp.where(ind, 0.0, em), layout.em_sector, n_s)
    indirect = jax.ops.segment_sum(jnp.where(ind, em, 0.0), layout.em_sector, n_s)
    output = jax.ops.segment_sum(x[layout.out_edge], layout.out_sector, n_s)
    return direct, indirect, output


def _allocation(yp: YearPolicy, output: Array) -> Array:
    covered = yp.exo + yp.trade + yp.own
    base = covered * (1.0 - yp.reduction) * _covered_ref(yp)
    oba = base * output / jnp.maximum(yp.ref_output, 1e-12)
    return (1.0 - yp.output_based) * base + yp.output_based * oba


def trading_volume(yp: YearPolicy, d: Array) -> Array:
    """Allowances that change hands (Mt): exogenous-price sectors' net positions plus, inside the
    market, ``min(purchases, sales)`` (``d = EM − F`` per sector)."""
    buy = jnp.sum(yp.trade * jnp.maximum(d, 0.0))
    sell = jnp.sum(yp.trade * jnp.maximum(-d, 0.0))
    return jnp.sum(yp.exo * jnp.abs(d)) + jnp.minimum(buy, sell)


@dataclasses.dataclass(frozen=True, eq=False)
class EtsBlock:
    """The emissions-trading block as a :class:`~cpjax.cge.Block`: unknowns ``u`` (the market
    price's free unknown and one shadow-price unknown per sector), arguments a :class:`YearPolicy`.

    Example:
        >>> block = EtsBlock.build(model)  # doctest: +SKIP
        >>> core = make_core(model, SolverConfig(), blocks=[block])  # doctest: +SKIP
    """

    layout: EtsLayout
    model: Model
    name: str = "ets"

    @staticmethod
    def build(model: Model, config: EtsConfig = EtsConfig()) -> EtsBlock:
        return EtsBlock(build_layout(model, config), model)

    @property
    def unknowns(self) -> int:
        return 1 + len(self.layout.sectors)

    def start(self) -> np.ndarray:
        return np.zeros(self.unknowns)

    def neutral(self, yp: YearPolicy) -> YearPolicy:
        """No covered sector: no carbon price, trivial block equations ``u = 0``."""
        z = jnp.zeros_like(yp.exo)
        return yp._replace(exo=z, trade=z, own=z)

    def apply(self, prm: dict[str, Array], u: Array, yp: YearPolicy) -> dict[str, Array]:
        return apply_ets(self.layout, prm, u, yp)

    def residual(self, ev: dict[str, Array], prm: dict[str, Array], u: Array, yp: YearPolicy) -> Array:
        """Market clearing (trading) and the sectors' own allocations (no trading), smoothed;
        ``u = 0`` for the unknowns a policy does not use."""
        layout = self.layout
        P = layout.config.price_scale_cny
        direct, indirect, output = _sector_sums(layout, ev, yp)
        em = direct + yp.indirect * indirect
        alloc = _allocation(yp, output)
        p_t, p_own, _ = prices(layout, u, yp)
        act = jnp.max(yp.trade)
        ref = _covered_ref(yp)
        scale_t = jnp.sum(yp.trade * ref) + (1.0 - act)
        r_t = act * (jnp.sum(yp.trade * (em - alloc)) / scale_t - (u[0] - p_t) / P) \
            + (1.0 - act) * u[0] / P
        scale_o = ref * yp.own + (1.0 - yp.own)
        r_o = yp.own * ((em - alloc) / jnp.maximum(scale_o, 1e-12) - (u[1:] - p_own) / P) \
            + (1.0 - yp.own) * u[1:] / P
        return jnp.concatenate([r_t[None], r_o])

    def report(self, ev: dict[str, Array], prm: dict[str, Array], u: Array,
               yp: YearPolicy) -> dict[str, Array]:
        """Year outputs (differentiable): prices, emissions, volume, revenue, GDP, welfare..."""
        model, layout = self.model, self.layout
        st = model.structure
        direct, indirect, output = _sector_sums(layout, ev, yp)
        em = direct + yp.indirect * indirect
        alloc = _allocation(yp, output)
        p_t, _, pi = prices(layout, u, yp)
        d = em - alloc
        act_t = jnp.max(yp.trade)
        act_x = jnp.max(yp.exo)
        market_price = act_t * p_t + (1.0 - act_t) * act_x * yp.exo_price
        covered = yp.exo + yp.trade + yp.own
        hh = [h for h, a in enumerate(st.agents) if model.roles[a] == "households"][0]
        sav = [h for h, a in enumerate(st.agents) if model.roles[a] == "savings"]
        real_c = ev["cons"][hh] / jnp.exp(ev["lpcd"][hh])
        # real fixed investment: the savings account's purchases of domestic sector goods (its
        # payments to the trade partners are lending, not capital formation)
        goods = np.array([st.goods.index(s) for s in model.sectors], dtype=np.int64)
        invest = jnp.sum(ev["cons_qty"][sav[0], goods]) if sav else jnp.zeros(())
        return {
            "carbon_price": market_price,
            "sector_price": pi * covered,
            "energy_mtce": scalar_output(model, "energy_mtce.total")(ev),
            "emissions_mt": scalar_output(model, "emissions_mt.total")(ev),
            "covered_emissions_mt": jnp.sum(covered * em),
            "cap_mt": jnp.sum(yp.trade * alloc),
            "allocation_mt": alloc,
            "trading_volume_mt": trading_volume(yp, d),
            "carbon_revenue": jnp.sum(pi * covered * d) * layout.value_factor * prm["fixed_price"][0],
            "sector_emissions_mt": direct,
            "sector_indirect_mt": indirect,
            "sector_output": output,
            "gdp": scalar_output(model, "gdp")(ev),
            "government_income": ev["m"][layout.gov],
            "real_consumption": real_c,
            "investment_real": invest,
        }
