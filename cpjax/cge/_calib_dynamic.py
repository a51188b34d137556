"""The recursive-dynamic scenario path (``_dynamics.py``, ``_scenarios.py``) as a :class:`PathFunction`.

:func:`dynamic_path` wraps :func:`~cpjax.cge.make_study` for one scenario (its reference runs are
included): the 2022–2030 ``lax.scan`` of equilibria with capital accumulation and the emissions
trading block.  Its parameters are the smooth-trend drivers (:func:`~cpjax.cge.trend_drivers`),
the scenario's reduction path ``r_t = reduction_start + (reduction_end - reduction_start)·k/(T-1)
+ reduction_extra_t`` (two scalars and one deviation per year), the dynamic constants
(``depreciation``, ``rent_rate``) and any model parameter by name (elasticities...).  Everything
is differentiated implicitly through every year's equilibrium.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .._errors import CpjaxInputError, unknown_name_message
from ._calib_paths import PathFunction
from ._dynamics import PathConfig, as_float64, dynamic_params, trend_drivers
from ._params import get_value, param_ref, set_value
from ._scenarios import Scenario, demo_scenarios, make_study, reduction_path
from ._structure import Model
from ._x64 import with_x64

__all__ = ["dynamic_path", "DYNAMIC_OUTPUTS", "DYNAMIC_DRIVERS"]

# per-year scalar outputs of the dynamic path (aliases: the static output names)
DYNAMIC_OUTPUTS = ("carbon_price", "trading_volume_mt", "energy_mtce", "emissions_mt",
                   "covered_emissions_mt", "cap_mt", "carbon_revenue", "gdp", "real_consumption",
                   "investment_real", "capital")
_ALIASES = {"energy_mtce.total": "energy_mtce", "emissions_mt.total": "emissions_mt"}
# path parameter -> argument of trend_drivers (fractions per year, CNY/t) and its default there
_ARGS = {"growth.tfp": "tfp_growth", "growth.labour": "labour_growth", "aeei": "aeei",
         "growth.energy_price": "energy_price_growth", "carbon_price_base": "carbon_price_base",
         "carbon_price_growth": "carbon_price_growth"}
_SIG = inspect.signature(trend_drivers).parameters
DYNAMIC_DRIVERS = {k: (a, float(_SIG[a].default)) for k, a in _ARGS.items()}


def _chain(name: str, scenarios: dict[str, Scenario]) -> list[Scenario]:
    out, cur = [], scenarios[name]
    while True:
        out.insert(0, cur)
        if cur.reference == "no_ets":
            return out
        if cur.reference not in scenarios:
            raise CpjaxInputError(f"scenario {cur.name} references {cur.reference!r}, not shipped")
        cur = scenarios[cur.reference]


def dynamic_path(model: Model, scenario: str | Scenario = "S1", years: Sequence[int] = tuple(range(2022, 2031)),
                 outputs: Sequence[str] = ("energy_mtce", "emissions_mt", "carbon_price"),
                 structural: Sequence[str] = (), config: PathConfig | None = None,
                 drivers: Mapping[str, float] | None = None) -> PathFunction:
    """One scenario's recursive-dynamic path (2022–2030 by default) as a :class:`PathFunction`.

    Arguments:
        model: a model with ``[energy]`` (e.g. :func:`~cpjax.cge.load_demo`).
        scenario: a shipped scenario name (``"S1"``..``"S5"``) or a :class:`~cpjax.cge.Scenario`
            whose reference chain is shipped or ``no_ets``.
        years: consecutive years, the first being the SAM year.
        outputs: per-year outputs (``DYNAMIC_OUTPUTS``; ``energy_mtce.total`` and
            ``emissions_mt.total`` are accepted as aliases).
        structural: model parameter names calibrated or fixed as constants.
        config: :class:`~cpjax.cge.PathConfig`.
        drivers: default driver values (``DYNAMIC_DRIVERS`` names).

    Returns:
        A :class:`PathFunction` with parameters ``growth.tfp``, ``growth.labour``, ``aeei``,
        ``growth.energy_price``, ``carbon_price_base``, ``carbon_price_growth``,
        ``depreciation``, ``rent_rate``, ``reduction_start``, ``reduction_end`` (scalars),
        ``reduction_extra`` (one per year) and ``structural``.
    """
    cfg = config or PathConfig()
    years = tuple(int(y) for y in years)
    if any(b != a + 1 for a, b in zip(years, years[1:])):
        raise CpjaxInputError(f"years {years} must be consecutive")
    n_t = len(years)
    shipped = {s.name: s for s in demo_scenarios()}
    if isinstance(scenario, Scenario):
        shipped[scenario.name] = scenario
        scenario = scenario.name
    if scenario not in shipped:
        raise CpjaxInputError(unknown_name_message("scenario", scenario, list(shipped)))
    chain = _chain(scenario, shipped)
    target_ix = len(chain) - 1
    study = make_study(model, chain, n_t, cfg, batch=False)
    red0 = np.stack([reduction_path(s, n_t) for s in chain])
    outs = []
    for o in outputs:
        name = _ALIASES.get(o, o)
        if name not in DYNAMIC_OUTPUTS:
            raise CpjaxInputError(unknown_name_message("output", o, list(DYNAMIC_OUTPUTS),
                                                       where="the dynamic path"))
        outs.append(o)
    outs_t = tuple(dict.fromkeys(outs))
    where = {n: param_ref(model, n) for n in structural}
    dp = dynamic_params(model)
    drv = {k: float((drivers or {}).get(k, v[1])) for k, v in DYNAMIC_DRIVERS.items()}
    for k in drivers or {}:
        if k not in DYNAMIC_DRIVERS:
            raise CpjaxInputError(unknown_name_message("driver", k, list(DYNAMIC_DRIVERS)))

    def fn(theta: Mapping[str, jax.Array]) -> tuple[dict[str, jax.Array], jax.Array]:
        cge = {k: jnp.asarray(v, jnp.float64) for k, v in dp.cge.items()}
        for n, ref in where.items():
            cge = set_value(model, cge, ref, theta[n])
        params = as_float64(dp._replace(cge=cge, depreciation=theta["depreciation"],
                                        rent_rate=theta["rent_rate"]))
        d = trend_drivers(years[0], years[-1], **{DYNAMIC_DRIVERS[k][0]: theta[k] for k in DYNAMIC_DRIVERS})
        d = as_float64(d._replace(years=np.zeros(n_t)))
        frac = jnp.linspace(0.0, 1.0, n_t)
        r_t = (theta["reduction_start"] + (theta["reduction_end"] - theta["reduction_start"]) * frac
               + theta["reduction_extra"])
        red = jnp.asarray(red0).at[target_ix].set(r_t)
        res = study(params, d, red)
        status = jnp.max(jnp.stack([res["status"][target_ix], res["reference"]["status"]]), axis=0)
        return {o: res[_ALIASES.get(o, o)][target_ix] for o in outs_t}, status.astype(jnp.int32)

    r0 = red0[target_ix]
    params = {**{k: 1 for k in DYNAMIC_DRIVERS}, "depreciation": 1, "rent_rate": 1,
              "reduction_start": 1, "reduction_end": 1, "reduction_extra": n_t,
              **{n: 1 for n in structural}}
    defaults: dict[str, Any] = {**{k: np.float64(v) for k, v in drv.items()},
                                "depreciation": np.float64(dp.depreciation),
                                "rent_rate": np.float64(dp.rent_rate),
                                "reduction_start": np.float64(r0[0]),
                                "reduction_end": np.float64(r0[-1]),
                                "reduction_extra": (r0 - np.linspace(r0[0], r0[-1], n_t)).astype(np.float64),
                                **{n: np.float64(get_value(model, dp.cge, ref)) for n, ref in where.items()}}
    return PathFunction(fn, years, params, defaults, outs_t,
                        f"dynamic path of scenario {scenario} ({model.name}, {years[0]}-{years[-1]})")


@with_x64
def resolve_dynamic(model: Model, scenario: str, theta: Mapping[str, Any],
                    path: PathFunction) -> dict[str, list[float]]:
    """Outputs of ``path`` re-solved at ``theta`` through the public scenario runner
    (:func:`~cpjax.cge.run_scenarios`: its own compiled path, references run first), not through
    the calibration's differentiable study function."""
    import dataclasses

    from ._dynamics import DynamicParams
    from ._params import set_params
    from ._scenarios import run_scenarios

    shipped = {s.name: s for s in demo_scenarios()}
    chain = _chain(scenario, shipped)
    n_t = len(path.years)
    r_t = (float(theta["reduction_start"]) + (float(theta["reduction_end"]) - float(theta["reduction_start"]))
           * np.linspace(0.0, 1.0, n_t) + np.asarray(theta["reduction_extra"], np.float64))
    sc = dataclasses.replace(chain[-1], reduction=tuple(float(x) for x in r_t))
    structural = [n for n in path.params if n in model.param_index]
    cge_p = set_params(model, values={n: float(np.asarray(theta[n])) for n in structural})
    dp = dynamic_params(model, cge_p)
    dp = DynamicParams(dp.cge, np.float64(theta["depreciation"]), np.float64(theta["rent_rate"]),
                       dp.tfp_extra)
    drv = trend_drivers(path.years[0], path.years[-1],
                        **{DYNAMIC_DRIVERS[k][0]: float(np.asarray(theta[k])) for k in DYNAMIC_DRIVERS})
    res = run_scenarios(model, drv, chain[:-1] + [sc], dp)[sc.name]
    return {o: np.asarray(res[_ALIASES.get(o, o)], np.float64).tolist() for o in path.outputs}
