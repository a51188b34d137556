"""Per-unit supply, fuel, emissions, free allowances and surplus, vectorized over units and rule sets.

Formulas (``../shared/spec/quota.md``)::

    supply_power  = generation x (1 - aux_rate)                                   [MWh]
    fuel_power    = supply_power x ncr / 1000 x 29.307 (coal) | x heat_rate (gas) [GJ]
    fuel_heat     = fuel_power x h / (1 - h);  heat_supply = fuel_heat x eta     [GJ]
    emissions     = (fuel_power + fuel_heat) x carbon x oxidation x 44/12         [t CO2]
    allowances    = supply_power x B_cat x F_cool x F_heat x F_load + heat_supply x B_heat
    surplus_raw   = allowances - emissions;  surplus = allowances - obligation

where ``h`` is the share of fuel used for heat, ``F_heat = 1 - coeff x h`` and the obligation is
the emissions, capped at ``allowances x (1 + cap)`` for coal units and at ``allowances`` for gas
units in periods where gas "never has to buy".  ``F_load`` applies to conventional coal only.

Two backends compute the same thing: NumPy broadcasting over a (scenario, unit) grid, and JAX
(``jit`` of ``vmap`` over scenarios).  For a few thousand units the work is ~20 elementwise
operations on arrays of 10^4 numbers, so NumPy (no dispatch/compile) is the default; JAX is there
for accelerators, for differentiating through the rules and for very large sweeps
(``benchmarks/quota_speed.py`` measures both).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from jaxtyping import Float

from .._errors import CpjaxInputError
from ._inventory import CATEGORIES
from ._rules import RuleSet

__all__ = ["AccountingConfig", "UnitArrays", "RuleArrays", "unit_arrays", "rule_arrays",
           "account", "load_factor", "RESULT_FIELDS"]

GJ_PER_TCE = 29.307
CO2_PER_C = 44.0 / 12.0
_EXCLUDED_CODE = len(CATEGORIES)  # index 4: no benchmark, masked out
# shapes: S scenarios (rule set + activity), U units
ScenarioUnitArray = Float[np.ndarray, "scenarios units"]
GenerationArray = Float[np.ndarray, "scenarios units"] | Float[np.ndarray, " units"]
RESULT_FIELDS = ("supply_mwh", "load_rate", "heat_supply_gj", "fuel_gj", "gas_1e4nm3",
                 "emissions_t", "allowances_t", "obligation_t", "surplus_raw_t", "surplus_t")


@dataclasses.dataclass(frozen=True)
class AccountingConfig:
    """Emission factors and switches of the accounting (units in the names).

    ``carbon``: ``"measured"`` uses a unit's ``carbon_content_tc_per_gj`` or else the typical
    measured value; ``"default"`` uses the unit's value or else the rule set's conservative
    default (0.03356 before 2022, 0.03085 from 2022).  ``default_carbon_share`` (with
    ``"measured"``) is the expected share of coal without a measurement that reports the default:
    those units get ``(1 - share) x measured + share x default`` (e.g. ~0.3 for 2019-20, when many
    units used the default).
    """

    carbon: str = "measured"
    default_carbon_share: float = 0.0
    coal_measured_carbon_tc_per_gj: float = 0.0275
    coal_oxidation: float = 0.99
    gas_carbon_tc_per_gj: float = 0.01532
    gas_oxidation: float = 0.99
    gas_ncv_gj_per_1e4nm3: float = 389.31
    hours_per_year: float = 8760.0
    backend: str = "numpy"

    def __post_init__(self) -> None:
        if self.carbon not in ("measured", "default"):
            raise CpjaxInputError(f"carbon {self.carbon!r} unknown; fix: 'measured' or 'default'")
        if not 0.0 <= self.default_carbon_share <= 1.0:
            raise CpjaxInputError(f"default_carbon_share {self.default_carbon_share} outside [0, 1]; "
                                  "fix: a fraction such as 0.3")
        if self.backend not in ("numpy", "jax"):
            raise CpjaxInputError(f"backend {self.backend!r} unknown; fix: 'numpy' or 'jax'")


class UnitArrays(NamedTuple):
    """Per-unit inputs as arrays of length U (category codes index :data:`CATEGORIES`, 4 = excluded)."""

    category: Any
    is_coal: Any
    is_gas: Any
    capacity_mw: Any
    aux_rate: Any
    ncr_gce_per_kwh: Any
    gas_heat_rate_gj_per_mwh: Any
    air_cooled: Any
    heat_ratio: Any
    heat_efficiency: Any
    heat_supply_gj: Any  # NaN where not given
    carbon_tc_per_gj: Any  # NaN where not measured


class RuleArrays(NamedTuple):
    """Rule sets stacked along a leading scenario axis S."""

    bench_power: Any  # (S, 5): CATEGORIES then 0 for excluded
    bench_heat_coal: Any
    bench_heat_gas: Any
    cooling_air: Any
    heat_coeff_coal: Any
    heat_coeff_gas: Any
    load_on: Any
    gas_never_buy: Any
    cap: Any
    coal_default_carbon: Any


def unit_arrays(units: pd.DataFrame) -> UnitArrays:
    """Arrays from a filled inventory (see :func:`build_inventory`)."""
    code = {c: i for i, c in enumerate(CATEGORIES)}
    cat = units["category"].map(lambda c: code.get(c, _EXCLUDED_CODE)).to_numpy(dtype=np.int32)
    f = units["fuel"].to_numpy()
    def num(col: str, default: float = np.nan) -> np.ndarray:
        if col not in units:
            return np.full(len(units), default)
        return pd.to_numeric(units[col], errors="coerce").to_numpy(dtype=float)
    return UnitArrays(
        category=cat, is_coal=(f == "coal") & (cat != _EXCLUDED_CODE),
        is_gas=(f == "gas") & (cat != _EXCLUDED_CODE), capacity_mw=num("capacity_mw"),
        aux_rate=num("aux_rate", 0.0), ncr_gce_per_kwh=np.nan_to_num(num("net_coal_rate_gce_per_kwh")),
        gas_heat_rate_gj_per_mwh=np.nan_to_num(num("gas_heat_rate_gj_per_mwh")),
        air_cooled=units["cooling"].eq("air").to_numpy() if "cooling" in units else np.zeros(len(units), bool),
        heat_ratio=num("heat_ratio", 0.0), heat_efficiency=num("heat_efficiency", 0.86),
        heat_supply_gj=num("heat_supply_gj"), carbon_tc_per_gj=num("carbon_content_tc_per_gj"),
    )


def rule_arrays(rule_sets: Sequence[RuleSet]) -> RuleArrays:
    """Stack rule sets into arrays of leading length S."""
    def col(fn: Any) -> np.ndarray:
        return np.asarray([float(fn(r)) for r in rule_sets])
    bench = np.asarray([[r.benchmarks[c] for c in CATEGORIES] + [0.0] for r in rule_sets])
    return RuleArrays(
        bench_power=bench, bench_heat_coal=col(lambda r: r.benchmarks["heat_coal"]),
        bench_heat_gas=col(lambda r: r.benchmarks["heat_gas"]), cooling_air=col(lambda r: r.cooling_air),
        heat_coeff_coal=col(lambda r: r.heat_coeff_coal), heat_coeff_gas=col(lambda r: r.heat_coeff_gas),
        load_on=col(lambda r: r.load_correction), gas_never_buy=col(lambda r: r.gas_never_buy),
        cap=col(lambda r: r.obligation_cap), coal_default_carbon=col(lambda r: r.coal_default_carbon),
    )


def load_factor(load_rate: Any, xp: Any = np) -> Any:
    """F_load of conventional coal units for load rate ``F`` (fraction, not percent).

    ``F >= 0.85``: 1;  ``0.80-0.85``: 1 + 0.0014 (85 - 100F);  ``0.75-0.80``: 1.007 + 0.0016 (80 - 100F);
    ``< 0.75``: 1.015^(16 - 20F).  E.g. ``load_factor(0.49) = 1.0967``.
    """
    pct = 100.0 * load_rate
    return xp.where(pct >= 85.0, 1.0,
                    xp.where(pct >= 80.0, 1.0 + 0.0014 * (85.0 - pct),
                             xp.where(pct >= 75.0, 1.007 + 0.0016 * (80.0 - pct),
                                      1.015 ** (16.0 - 20.0 * load_rate))))


def _core(u: UnitArrays, gen: Any, r: RuleArrays, cfg: AccountingConfig, xp: Any) -> dict[str, Any]:
    """One formula for both backends: numpy sees rules as (S,1) and gen as (S,U); JAX (under
    vmap) sees rule scalars and gen as (U,)."""
    supply = gen * (1.0 - u.aux_rate)
    load = gen / (u.capacity_mw * cfg.hours_per_year)
    fuel_power = xp.where(u.is_coal, supply * u.ncr_gce_per_kwh / 1000.0 * GJ_PER_TCE,
                          xp.where(u.is_gas, supply * u.gas_heat_rate_gj_per_mwh, 0.0))
    h = u.heat_ratio
    given = ~xp.isnan(u.heat_supply_gj)
    heat_supply = xp.where(given, xp.nan_to_num(u.heat_supply_gj),
                           fuel_power * h / (1.0 - h) * u.heat_efficiency)
    fuel_heat = heat_supply / u.heat_efficiency
    # when heat is given, the heat ratio used by F_heat follows from the fuel split
    h_eff = xp.where(given, fuel_heat / xp.maximum(fuel_power + fuel_heat, 1e-12), h)
    fuel = fuel_power + fuel_heat
    share = 1.0 if cfg.carbon == "default" else cfg.default_carbon_share
    fallback = (1.0 - share) * cfg.coal_measured_carbon_tc_per_gj + share * r.coal_default_carbon
    coal_c = xp.where(~xp.isnan(u.carbon_tc_per_gj), xp.nan_to_num(u.carbon_tc_per_gj), fallback)
    emis = xp.where(u.is_coal, fuel * coal_c * cfg.coal_oxidation * CO2_PER_C,
                    xp.where(u.is_gas, fuel * cfg.gas_carbon_tc_per_gj * cfg.gas_oxidation * CO2_PER_C, 0.0))
    conventional = u.category <= 1
    f_cool = xp.where(u.is_coal & u.air_cooled, r.cooling_air, 1.0)
    f_heat = 1.0 - xp.where(u.is_coal, r.heat_coeff_coal, r.heat_coeff_gas) * h_eff
    f_load = xp.where(conventional & (r.load_on > 0.5), load_factor(load, xp), 1.0)
    bench = r.bench_power[..., u.category]
    b_heat = xp.where(u.is_coal, r.bench_heat_coal, r.bench_heat_gas)
    active = u.is_coal | u.is_gas
    allow = xp.where(active, supply * bench * f_cool * f_heat * f_load + heat_supply * b_heat, 0.0)
    emis = xp.where(active, emis, 0.0)
    cap_on = u.is_coal & (r.cap > 0.0)
    oblig = xp.where(cap_on, xp.minimum(emis, allow * (1.0 + r.cap)), emis)
    oblig = xp.where(u.is_gas & (r.gas_never_buy > 0.5), xp.minimum(emis, allow), oblig)
    return {
        "supply_mwh": supply, "load_rate": load,
        "heat_supply_gj": xp.where(active, heat_supply, 0.0), "fuel_gj": xp.where(active, fuel, 0.0),
        "gas_1e4nm3": xp.where(u.is_gas, fuel / cfg.gas_ncv_gj_per_1e4nm3, 0.0),
        "emissions_t": emis, "allowances_t": allow, "obligation_t": oblig,
        "surplus_raw_t": allow - emis, "surplus_t": allow - oblig,
    }


def account(units: UnitArrays, generation_mwh: GenerationArray, rules: RuleArrays,
            config: AccountingConfig = AccountingConfig()) -> dict[str, ScenarioUnitArray]:
    """Accounts of U units under S scenarios (rule set + activity) at once.

    Arguments:
        units: :class:`UnitArrays` of length U.
        generation_mwh: gross generation per unit, shape (S, U) (or (U,) for the same activity
            in every scenario).
        rules: :class:`RuleArrays` with leading length S.
        config: emission factors and backend.

    Returns:
        dict of (S, U) float arrays named as :data:`RESULT_FIELDS` (t CO2, MWh, GJ, 10^4 Nm3).

    Example::

        >>> res = account(unit_arrays(inv), gen, rule_arrays([load_rules("2023"), load_rules("2022")]))
        >>> res["surplus_t"].sum(axis=1) / 1e6    # national surplus in Mt, per rule set
    """
    s = np.asarray(rules.cooling_air).shape[0]
    gen = np.asarray(generation_mwh, dtype=float)
    if gen.ndim == 1:
        gen = np.broadcast_to(gen, (s, gen.shape[0]))
    if gen.shape != (s, len(units.category)):
        raise CpjaxInputError(f"generation has shape {gen.shape}, expected ({s}, {len(units.category)}) "
                              "(scenarios, units); fix: one row per rule set")
    if config.backend == "numpy":
        r = RuleArrays(*(np.asarray(a, dtype=float)[:, None] for a in rules))
        r = r._replace(bench_power=np.asarray(rules.bench_power, dtype=float))
        with np.errstate(divide="ignore", invalid="ignore"):
            out = _core(units, gen, r, config, np)
        return {k: np.asarray(np.broadcast_to(v, gen.shape), dtype=float) for k, v in out.items()}
    from ._jax_backend import account_jax

    return account_jax(units, gen, rules, config)
