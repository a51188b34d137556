# ruff: noqa: F722  (jaxtyping shape strings are not Python expressions)
"""Recursive dynamics (spec cge.md §4, seed §2.5): a ``lax.scan`` of yearly equilibria.

Year 0 (2022, the SAM year) is the benchmark economy; from year 1 on, with the drivers of that
year (:class:`Drivers`, :mod:`._drivers`: growth fractions per year):

* capital ``K_t = K_{t−1}(1 − δ) + I_{t−1}`` (``I`` = real fixed investment: the savings account's
  purchases of sector goods in the previous year's equilibrium, ``K_0`` = benchmark capital income / ``rent_rate``); the capital
  endowment is scaled by ``K_t / K_0``;
* labour supply ``L_t = L_{t−1}(1 + labour_growth_t)``;
* TFP: every sector's top-level efficiency ``A_t = A_{t−1}(1 + tfp_growth_t)(1 + tfp_extra_i)``;
* AEEI: the energy nest's efficiency ``E_t = E_{t−1}(1 + aeei_t)``;
* world energy prices: the rest-of-world price index of fuel imports and exports is
  ``energy_price_index_t / energy_price_index_0``;
* endowments of the trade partners (foreign saving, transfers) grow with effective labour
  ``L_t A_t`` so that they keep their weight in the economy;
* the exogenous carbon price of the year is ``carbon_price_t`` (CNY/t).

Each year is one equilibrium of the CGE with the trading block (:mod:`._ets`), solved through
``make_core`` (the configured method, homotopy on failure) from the previous year's solution and
differentiated by the implicit function theorem (one linear solve at the solution), so ``jax.grad`` of any yearly output reaches drivers, policy
(reduction rates, masks, prices) and structural parameters through every year without unrolling
the Newton iterations.
"""

from __future__ import annotations

import dataclasses
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from .._errors import CpjaxInputError
from ._cache import compiled
from ._drivers import BASE_CARBON_PRICE, Drivers
from ._equations import backend, evaluate
from ._ets import EtsBlock, EtsConfig, YearPolicy
from ._solve import SolverConfig, benchmark_guess, make_core
from ._structure import Model
from ._x64 import with_x64

__all__ = ["PathConfig", "DynamicParams", "EtsPolicy", "Drivers", "make_path", "solve_path", "compiled_path",
           "dynamic_params", "no_policy", "trend_drivers", "as_float64"]



class DynamicParams(NamedTuple):
    """Differentiable parameters of a path: the CGE's and the dynamic ones.

    Attributes:
        cge: benchmark-year CGE parameters (dict of arrays, see ``set_params``).
        depreciation: δ, fraction/year.
        rent_rate: gross return on capital (benchmark capital income / capital stock), 1/year.
        tfp_extra: extra TFP growth per sector on top of the drivers' (s,), fraction/year.
    """

    cge: dict[str, Array]
    depreciation: Float[Array, ""]
    rent_rate: Float[Array, ""]
    tfp_extra: Float[Array, " s"]


class EtsPolicy(NamedTuple):
    """A scenario's trading policy over the years (a pytree; a batch adds a leading axis).

    Masks are 0/1 floats per sector; ``reduction`` and ``floor`` are per year; the reference
    emissions/output (years, sectors) come from the reference path (the baseline run).
    """

    exo: Float[Array, " s"]
    trade: Float[Array, " s"]
    own: Float[Array, " s"]
    reduction: Float[Array, " t"]
    output_based: Float[Array, ""]
    indirect: Float[Array, ""]
    penalty_multiple: Float[Array, ""]
    floor: Float[Array, " t"]
    ref_direct: Float[Array, "t s"]
    ref_indirect: Float[Array, "t s"]
    ref_output: Float[Array, "t s"]


@dataclasses.dataclass(frozen=True)
class PathConfig:
    """Settings of the dynamic path (static: changing them recompiles).

    Attributes:
        solver: solver settings for each year (any method of :class:`~cpjax.cge.SolverConfig`).
        ets: trading-block settings.
        labour_factor, capital_factor: the factor accounts that grow.
        scale_partners: grow the partners' endowments with effective labour.
    """

    solver: SolverConfig = SolverConfig(method="newton", tol=1e-10, max_steps=60)
    ets: EtsConfig = EtsConfig()
    labour_factor: str = "LAB"
    capital_factor: str = "CAP"
    scale_partners: bool = True


def as_float64(tree: Any) -> Any:
    """Every floating leaf as a float64 JAX array (call inside :func:`~cpjax.cge.x64`)."""
    def cast(x: Any) -> Any:
        a = jnp.asarray(x)
        return a.astype(jnp.float64) if jnp.issubdtype(a.dtype, jnp.floating) else a
    return jax.tree_util.tree_map(cast, tree)


def dynamic_params(model: Model, params: dict[str, Any] | None = None, depreciation: float = 0.05,
                   rent_rate: float = 0.10, tfp_extra: Any = None) -> DynamicParams:
    """Default :class:`DynamicParams` (numpy float64): δ = 5 %/yr, gross return 10 %/yr (net 5 % + δ)."""
    prm = {k: np.array(v, dtype=np.float64) for k, v in (params or model.params).items()}
    extra = np.zeros(len(model.sectors)) if tfp_extra is None else np.asarray(tfp_extra, np.float64)
    return DynamicParams(prm, np.float64(depreciation), np.float64(rent_rate), extra)


def no_policy(model: Model, n_years: int) -> EtsPolicy:
    """A policy with no covered sector (the no-ETS reference path)."""
    s = len(model.sectors)
    z = np.zeros(s)
    return EtsPolicy(z, z, z, np.zeros(n_years), np.float64(0), np.float64(0), np.float64(3.0),
                     np.zeros(n_years), np.zeros((n_years, s)), np.zeros((n_years, s)),
                     np.ones((n_years, s)))


def trend_drivers(first_year: int = 2022, last_year: int = 2030, tfp_growth: Any = 0.005,
                  labour_growth: Any = -0.003, aeei: Any = 0.01, energy_price_growth: Any = 0.0,
                  carbon_price_base: Any = BASE_CARBON_PRICE, carbon_price_growth: Any = 0.05) -> Drivers:
    """Smooth-trend drivers (the seed's "traditional CGE"): constant growth rates.

    Arguments are fractions per year (JAX scalars allowed: the result is differentiable in them);
    the carbon price is ``base · exp(growth · (y − first_year + 1))`` CNY/t (58 CNY/t: the
    national ETS average of 2021–22, :data:`BASE_CARBON_PRICE`, as in :class:`DriverSpec`); the energy price index
    is ``exp(energy_price_growth · (y − first_year + 1))``.
    """
    years = np.arange(first_year, last_year + 1)
    k = jnp.asarray(years - first_year + 1, dtype=jnp.float64)
    one = jnp.ones(len(years), dtype=jnp.float64)
    return Drivers(years, one * tfp_growth, one * labour_growth, one * aeei,
                   jnp.exp(energy_price_growth * k), carbon_price_base * jnp.exp(carbon_price_growth * k))


@dataclasses.dataclass(frozen=True, eq=False)
class _Static:
    top_nodes: np.ndarray   # (s,) top input node of Y.<s>
    e_nodes: np.ndarray     # (s,) E node of Y.<s>, -1 none
    lab: int
    cap: int
    partners: np.ndarray
    fuel_pw_edges: np.ndarray


def _static(model: Model, cfg: PathConfig) -> _Static:
    st = model.structure
    for f in (cfg.labour_factor, cfg.capital_factor):
        if f not in model.factors:
            raise CpjaxInputError(f"PathConfig names factor {f!r}, the model has {list(model.factors)}; "
                                  "fix: set labour_factor / capital_factor")
    top, e_n = [], []
    for s in model.sectors:
        # input-tree nodes by parameter name (an output tree's top has the same node name)
        top.append(model.param_index[f"tfp.{s}"][1][0])
        e_n.append(model.param_index[f"aeei.{s}"][1][0] if f"aeei.{s}" in model.param_index else -1)
    fuels = list(model.energy.fuels) if model.energy is not None else []
    fuel_acts = {st.activities.index(f"{k}.{f}") for f in fuels for k in ("Y", "A")
                 if f"{k}.{f}" in st.activities}
    row = st.goods.index(model.partners[0]) if model.partners else -1
    pw_edges = [e for e in range(len(st.edge_parent)) if st.edge_good[e] == row
                and int(st.node_act[st.edge_parent[e]]) in fuel_acts]
    return _Static(np.array(top), np.array(e_n), st.goods.index(cfg.labour_factor),
                   st.goods.index(cfg.capital_factor),
                   np.array([st.goods.index(q) for q in model.partners], dtype=np.int64),
                   np.array(pw_edges, dtype=np.int64))


def make_path(model: Model, config: PathConfig = PathConfig()):
    """The pure path function ``f(params, drivers, policy) -> outputs`` (not jitted).

    ``params`` is :class:`DynamicParams`, ``drivers`` :class:`Drivers` with
    arrays of shape (years,), ``policy`` :class:`EtsPolicy`. Returns a dict of arrays with a
    leading years axis: ``carbon_price`` (CNY/t), ``trading_volume_mt``, ``energy_mtce``,
    ``emissions_mt`` (provincial direct), ``covered_emissions_mt``, ``cap_mt``, ``sector_price``,
    ``sector_emissions_mt``, ``sector_indirect_mt``, ``sector_output``, ``allocation_mt``, ``gdp``, ``government_income``,
    ``real_consumption``, ``investment_real``, ``carbon_revenue``, ``capital``, ``labour_index``,
    ``tfp_index``, ``status`` (0 converged), ``iterations``, ``residual``, ``z`` (unknowns).
    Call it inside :func:`~cpjax.cge.x64` with float64 inputs (:func:`as_float64`).
    """
    block = EtsBlock.build(model, config.ets)
    core = make_core(model, config.solver, blocks=[block])
    sx = _static(model, config)
    n_cge = model.structure.n_unknowns
    z_bench = np.concatenate([benchmark_guess(model), block.start()])

    def f(params: DynamicParams, drivers: Any, policy: EtsPolicy) -> dict[str, Array]:
        prm0 = params.cge
        n_t = policy.reduction.shape[0]
        first = (jnp.arange(n_t) > 0).astype(jnp.float64)
        tfp_idx = jnp.cumprod(1.0 + first * drivers.tfp_growth)
        lab_idx = jnp.cumprod(1.0 + first * drivers.labour_growth)
        aeei_idx = jnp.cumprod(1.0 + first * drivers.aeei)
        extra = jnp.cumprod((1.0 + first[:, None] * params.tfp_extra[None, :]), axis=0)
        epi = drivers.energy_price_index / drivers.energy_price_index[0]
        cap_income = jnp.sum(prm0["endow"][:, sx.cap])
        k0 = cap_income / params.rent_rate
        penalty = policy.penalty_multiple * drivers.carbon_price

        def step(carry: tuple, x: tuple) -> tuple:
            k_prev, inv_prev, zx0 = carry
            t, tfp, lab, ae, ex, pw_i, cp, pen, red, flo, rd, ri, ro = x
            k = jnp.where(t == 0, k0, k_prev * (1.0 - params.depreciation) + inv_prev)
            # multipliers built with .at[].set (scatter-multiply has no reverse-mode rule)
            m_eff = jnp.ones_like(prm0["eff"]).at[sx.top_nodes].set(tfp * ex)
            if np.any(sx.e_nodes >= 0):
                m_eff = m_eff.at[sx.e_nodes[sx.e_nodes >= 0]].set(ae)
            eff = prm0["eff"] * m_eff
            m_g = jnp.ones(prm0["endow"].shape[1]).at[sx.lab].set(lab).at[sx.cap].set(k / k0)
            if len(sx.partners):
                grow = lab * tfp if config.scale_partners else jnp.ones(())
                m_g = m_g.at[sx.partners].set(grow)
            endow = prm0["endow"] * m_g[None, :]
            pw = prm0["pw"]
            if len(sx.fuel_pw_edges):
                pw = pw * jnp.ones_like(pw).at[sx.fuel_pw_edges].set(pw_i)
            prm = {**prm0, "eff": eff, "endow": endow, "pw": pw}
            yp = YearPolicy(policy.exo, policy.trade, policy.own, red, policy.output_based,
                            policy.indirect, cp, pen, flo, rd, ri, ro)
            sol = core((prm, yp), zx0)
            u = sol.z[n_cge:]
            ev = evaluate(model.structure, sol.z[:n_cge], block.apply(prm, u, yp), backend("jax"))
            rep = block.report(ev, prm, u, yp)
            rep.update(capital=k, labour_index=lab, tfp_index=tfp, status=sol.status,
                       iterations=sol.iterations, residual=sol.residual, z=sol.z)
            zx_next = jnp.where(sol.status == 0, sol.z, zx0)
            return (k, rep["investment_real"], jax.lax.stop_gradient(zx_next)), rep

        xs = (jnp.arange(n_t), tfp_idx, lab_idx, aeei_idx, extra, epi, drivers.carbon_price, penalty,
              policy.reduction, policy.floor, policy.ref_direct, policy.ref_indirect,
              policy.ref_output)
        init = (k0, jnp.zeros((), jnp.float64), jnp.asarray(z_bench))
        _, out = jax.lax.scan(step, init, xs)
        return out

    return f


def _drivers_tuple(drivers: Any) -> Drivers:
    return Drivers(np.asarray(drivers.years), drivers.tfp_growth, drivers.labour_growth,
                   drivers.aeei, drivers.energy_price_index, drivers.carbon_price)


def compiled_path(model: Model, config: PathConfig = PathConfig(), batched: bool = False):
    """Jitted ``f(params, drivers, policy)`` (cached per model and config); ``batched``: ``vmap``
    over a leading policy axis."""
    def build() -> Any:
        f = make_path(model, config)
        g = (lambda p, d, pol: f(p, d._replace(years=None), pol))  # noqa: E731
        return jax.jit(jax.vmap(g, in_axes=(None, None, 0)) if batched else g)

    return compiled(model, ("path", config, batched), build)


@with_x64
def solve_path(model: Model, drivers: Any, policy: EtsPolicy, params: DynamicParams | None = None,
               config: PathConfig = PathConfig()) -> dict[str, np.ndarray]:
    """Solve the yearly equilibria of one scenario (or a batch: a leading axis on ``policy``).

    Arguments:
        model: a calibrated model with an ``[energy]`` table (e.g. :func:`~cpjax.cge.load_demo`).
        drivers: :class:`Drivers` (years first..last).
        policy: :class:`EtsPolicy` (e.g. from :func:`~cpjax.cge.scenario_policy`).
        params: :class:`DynamicParams` (default :func:`dynamic_params`).
        config: :class:`PathConfig`.

    Returns:
        dict of numpy arrays with a leading years axis (a batch axis first when batched).

    Example:
        >>> out = solve_path(model, trend_drivers(), no_policy(model, 9))  # doctest: +SKIP
        >>> out["energy_mtce"]  # doctest: +SKIP
    """
    params = params if params is not None else dynamic_params(model)
    d = _drivers_tuple(drivers)
    n_years = len(d.years)
    batched = np.ndim(policy.reduction) == 2
    if np.shape(policy.reduction)[-1] != n_years:
        raise CpjaxInputError(f"policy has {np.shape(policy.reduction)[-1]} years, drivers have "
                              f"{n_years}; fix: build both for the same years")
    fn = compiled_path(model, config, batched)
    out = fn(as_float64(params), as_float64(d._replace(years=np.zeros(n_years))), as_float64(policy))
    return {k: np.asarray(v) for k, v in out.items()}
