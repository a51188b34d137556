"""Policy scenarios as data (seed 001 Table 1: S1–S5) and running them along the dynamic path.

A scenario file (TOML, see ``cpjax/cge/data/scenarios/S1.toml``) names the market regime and its
sectors, the sectors with free allocation but no trading, the allocation method, the reduction
path ``r_t`` and the reference run that defines baseline emissions (``no_ets`` for the baseline
S1, ``S1`` for the others). :func:`scenario_policy` turns it into an :class:`EtsPolicy` (arrays);
:func:`make_study` gives one differentiable function that runs the references first and then every
scenario (``vmap`` over the stacked policies), which is what calibration differentiates.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .._config_io import Field, check_table, read_config
from .._errors import CpjaxInputError, unknown_name_message
from ._dynamics import (
    DynamicParams,
    EtsPolicy,
    PathConfig,
    as_float64,
    dynamic_params,
    make_path,
    no_policy,
)
from ._structure import Model
from ._x64 import with_x64

__all__ = ["SCENARIO_SCHEMA", "Scenario", "load_scenario", "demo_scenarios", "scenario_policy", "make_study",
           "run_scenarios", "SCENARIO_DIR", "reduction_path", "with_reference"]

SCENARIO_DIR = Path(__file__).parent / "data" / "scenarios"
REGIMES = ("exogenous", "trading", "none")
_DEFAULT_PATH = PathConfig()


@dataclasses.dataclass(frozen=True)
class Scenario:
    """One policy scenario (fields mirror the TOML file; JSON-serialisable).

    Attributes:
        name, title: identifier (``S1``) and description.
        reference: ``"no_ets"`` or the name of another scenario whose run gives the baseline
            emissions ``B_t`` and output for caps and allocations.
        regime: ``"exogenous"`` (the drivers' carbon price), ``"trading"`` (one market price
            clears the cap) or ``"none"``.
        market_sectors: sectors in that market.
        allocation: ``"grandfathering"`` or ``"output_based"``.
        without_trading: sectors with free allocation but no trading (penalty regime).
        penalty_multiple: penalty price / exogenous carbon price.
        reduction_start, reduction_end: ``r_t`` in the first and last year (linear between).
        reduction: explicit ``r_t`` per year (overrides start/end) or ``None``.
        floor_cny: lower bound of the trading market's price (CNY/t).
        indirect_electricity: count covered sectors' purchased thermal power (seed eq. 15).
    """

    name: str
    title: str = ""
    reference: str = "no_ets"
    regime: str = "none"
    market_sectors: tuple[str, ...] = ()
    allocation: str = "grandfathering"
    without_trading: tuple[str, ...] = ()
    penalty_multiple: float = 3.0
    reduction_start: float = 0.02
    reduction_end: float = 0.10
    reduction: tuple[float, ...] | None = None
    floor_cny: float = 0.0
    indirect_electricity: bool = False


_RATE = Field(float, lo=0.0, hi=1.0, hi_open=True)  # a reduction rate r_t: 0 <= r < 1
_SECTORS = Field(list, items=Field(str))
SCENARIO_SCHEMA = {
    "name": Field(str, required=True),
    "title": Field(str),
    "reference": Field(str),
    "market": Field(dict, table={
        "regime": Field(str, choices=REGIMES),
        "sectors": _SECTORS,
        "floor_cny": Field(float, lo=0.0),
    }),
    "allocation": Field(dict, table={
        "method": Field(str, choices=("grandfathering", "output_based")),
        "without_trading": _SECTORS,
        "penalty_multiple": Field(float, lo=0.0, lo_open=True),
    }),
    "reduction": Field(dict, table={"start": _RATE, "end": _RATE,
                                    "path": Field(list, items=_RATE)}),
    "emissions": Field(dict, table={"indirect_electricity": Field(bool)}),
}


def load_scenario(path: str | Path) -> Scenario:
    """Read a scenario TOML file, checked strictly: an unknown key at any depth, a wrong type or
    a value out of range (reduction rates in [0, 1), a positive penalty multiple, a non-negative
    price floor, known regimes and allocation methods) is an error naming the file, the key and
    the allowed values."""
    path = Path(path)
    what = "scenario file"
    raw = read_config(path, what, f"give an existing .toml file (examples in {SCENARIO_DIR})")
    d = check_table(raw, SCENARIO_SCHEMA, path, what)
    mk, al, rd, em = (d.get(k, {}) for k in ("market", "allocation", "reduction", "emissions"))
    path_r = rd.get("path")
    if path_r is not None and not path_r:
        raise CpjaxInputError(f"{what} {path}: reduction.path is empty; fix: give one rate per "
                              "year, or start and end")
    return Scenario(
        name=d["name"], title=d.get("title", ""), reference=d.get("reference", "no_ets"),
        regime=mk.get("regime", "none"), market_sectors=tuple(mk.get("sectors", ())),
        allocation=al.get("method", "grandfathering"),
        without_trading=tuple(al.get("without_trading", ())),
        penalty_multiple=al.get("penalty_multiple", 3.0),
        reduction_start=rd.get("start", 0.02), reduction_end=rd.get("end", 0.10),
        reduction=None if path_r is None else tuple(path_r),
        floor_cny=mk.get("floor_cny", 0.0),
        indirect_electricity=em.get("indirect_electricity", False))


def demo_scenarios(names: Sequence[str] | None = None) -> list[Scenario]:
    """The shipped scenarios S1–S5 of seed 001 Table 1 (or the named subset, references added)."""
    all_ = {p.stem: load_scenario(p) for p in sorted(SCENARIO_DIR.glob("*.toml"))}
    if names is None:
        return list(all_.values())
    for n in names:
        if n not in all_:
            raise CpjaxInputError(unknown_name_message("scenario", n, list(all_), where="--scenarios"))
    return [all_[n] for n in names]


def reduction_path(sc: Scenario, n_years: int) -> np.ndarray:
    """``r_t`` for ``n_years`` years (fractions of reference emissions)."""
    if sc.reduction is not None:
        if len(sc.reduction) != n_years:
            raise CpjaxInputError(f"scenario {sc.name}: reduction path has {len(sc.reduction)} "
                                  f"values for {n_years} years; fix: one value per year")
        return np.asarray(sc.reduction, dtype=np.float64)
    return np.linspace(sc.reduction_start, sc.reduction_end, n_years)


def scenario_policy(model: Model, sc: Scenario, n_years: int,
                    reference: dict[str, Any] | None = None) -> EtsPolicy:
    """An :class:`EtsPolicy` for scenario ``sc`` (reference arrays from a reference run's outputs;
    ``None`` leaves them at zero emissions / unit output, to be filled by :func:`with_reference`)."""
    sectors = list(model.sectors)
    pol = no_policy(model, n_years)

    def mask(names: Sequence[str], what: str) -> np.ndarray:
        m = np.zeros(len(sectors))
        for s in names:
            if s not in sectors:
                raise CpjaxInputError(unknown_name_message("sector", s, sectors,
                                                           where=f"scenario {sc.name} {what}"))
            m[sectors.index(s)] = 1.0
        return m

    mk = mask(sc.market_sectors, "market.sectors")
    own = mask(sc.without_trading, "allocation.without_trading")
    if np.any(mk * own):
        raise CpjaxInputError(f"scenario {sc.name}: a sector is both in the market and in "
                              "without_trading; fix: list it in one of them")
    if sc.regime == "none" and mk.any():
        raise CpjaxInputError(f"scenario {sc.name}: market.regime 'none' with market sectors; "
                              "fix: set regime 'trading' or 'exogenous'")
    pol = pol._replace(
        exo=mk * (sc.regime == "exogenous"), trade=mk * (sc.regime == "trading"), own=own,
        reduction=reduction_path(sc, n_years),
        output_based=np.float64(sc.allocation == "output_based"),
        indirect=np.float64(sc.indirect_electricity), penalty_multiple=np.float64(sc.penalty_multiple),
        floor=np.full(n_years, sc.floor_cny))
    return with_reference(pol, reference) if reference is not None else pol


def with_reference(policy: EtsPolicy, ref: dict[str, Any]) -> EtsPolicy:
    """``policy`` with baseline emissions and output taken from a reference run's outputs."""
    return policy._replace(ref_direct=ref["sector_emissions_mt"],
                           ref_indirect=ref["sector_indirect_mt"], ref_output=ref["sector_output"])


def _order(scenarios: Sequence[Scenario]) -> list[list[int]]:
    """Scenario indices in waves: each wave only references earlier waves (or no_ets)."""
    names = [s.name for s in scenarios]
    for s in scenarios:
        if s.reference != "no_ets" and s.reference not in names:
            raise CpjaxInputError(f"scenario {s.name} references {s.reference!r}, which is not "
                                  f"being run; fix: add it (scenarios: {names}) or use 'no_ets'")
    done: set[str] = {"no_ets"}
    waves = []
    while len(done) < len(names) + 1:
        wave = [i for i, s in enumerate(scenarios) if s.name not in done and s.reference in done]
        if not wave:
            raise CpjaxInputError(f"scenario references form a cycle among {sorted(set(names) - done)}")
        waves.append(wave)
        done |= {scenarios[i].name for i in wave}
    return waves


def make_study(model: Model, scenarios: Sequence[Scenario], n_years: int,
               config: PathConfig = _DEFAULT_PATH, batch: bool = True):
    """A pure, differentiable ``study(params, drivers, reductions) -> outputs`` for a list of
    scenarios: the no-ETS path first, then each wave of scenarios whose references are done.

    ``reductions`` (n_scenarios, years) replaces the scenarios' ``r_t`` (so calibration can
    differentiate with respect to it); the result stacks every output with a leading scenario
    axis in the order given (plus ``"no_ets"`` outputs under the key ``"reference"``). Waves with
    several scenarios are ``vmap``-ed when ``batch`` (else a Python loop of the same function).
    """
    f = make_path(model, config)
    templates = [scenario_policy(model, s, n_years) for s in scenarios]
    waves = _order(scenarios)
    names = [s.name for s in scenarios]
    bau = no_policy(model, n_years)
    fb = jax.vmap(f, in_axes=(None, None, 0))

    def study(params: DynamicParams, drivers: Any, reductions: Any) -> dict[str, Any]:
        outs: dict[str, Any] = {"no_ets": f(params, drivers, as_float64(bau))}
        for wave in waves:
            pols = [with_reference(as_float64(templates[i]), outs[scenarios[i].reference])
                    ._replace(reduction=reductions[i]) for i in wave]
            if batch and len(wave) > 1:
                stacked = jax.tree_util.tree_map(lambda *x: jnp.stack(x), *pols)
                res = fb(params, drivers, stacked)
                for k, i in enumerate(wave):
                    outs[names[i]] = jax.tree_util.tree_map(lambda x, k=k: x[k], res)
            else:
                for i, p in zip(wave, pols):
                    outs[names[i]] = f(params, drivers, p)
        result = jax.tree_util.tree_map(lambda *x: jnp.stack(x), *[outs[n] for n in names])
        result["reference"] = outs["no_ets"]
        return result

    return study


@with_x64
def run_scenarios(model: Model, drivers: Any, scenarios: Sequence[Scenario],
                  params: DynamicParams | None = None, config: PathConfig = _DEFAULT_PATH,
                  ) -> dict[str, dict[str, np.ndarray]]:
    """Run scenarios along the dynamic path; returns ``{name: outputs}`` (numpy, years first),
    plus the no-ETS reference path under ``"no_ets"``.

    One compiled path function (:func:`~cpjax.cge.compiled_path`) is reused for every scenario;
    references run first. For a differentiable version see :func:`make_study`.

    Example:
        >>> res = run_scenarios(load_demo(), trend_drivers(), demo_scenarios())  # doctest: +SKIP
        >>> res["S5"]["carbon_price"]  # doctest: +SKIP
    """
    from ._dynamics import _drivers_tuple, compiled_path

    d = _drivers_tuple(drivers)
    n_years = len(d.years)
    params = as_float64(params if params is not None else dynamic_params(model))
    dj = as_float64(d._replace(years=np.zeros(n_years)))
    fn = compiled_path(model, config)
    outs: dict[str, dict[str, Any]] = {"no_ets": fn(params, dj, as_float64(no_policy(model, n_years)))}
    for wave in _order(scenarios):
        for i in wave:
            sc = scenarios[i]
            pol = scenario_policy(model, sc, n_years, outs[sc.reference])
            outs[sc.name] = fn(params, dj, as_float64(pol))
    return {k: {n: np.asarray(v) for n, v in o.items()} for k, o in outs.items()}
