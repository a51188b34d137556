"""Path functions for calibration and sweeps: named parameters -> outputs per year, plus a status.

A :class:`PathFunction` wraps a pure JAX function ``fn(theta) -> (outputs, status)``:

* ``theta`` maps parameter names to float64 arrays (shape ``()`` for a scalar, ``(years,)`` for a
  path parameter, see ``PathFunction.params``);
* ``outputs`` maps output names (``"energy_mtce.total"``, ``"gdp"``...) to arrays of shape
  ``(years,)``;
* ``status`` has shape ``(years,)``: the solver status of each year's equilibrium (0 converged).

Every equilibrium inside ``fn`` is differentiated implicitly (``make_core``: a custom JVP with one
linear solve at the solution), so ``jax.grad`` of anything built on ``fn`` never unrolls the iterations.

:func:`static_path` is one equilibrium (one "year"); :func:`trend_path` is the "traditional CGE"
comparative-static path: a ``lax.scan`` over years in which TFP, labour, capital and energy
efficiency grow at constant annual rates (the calibrated growth drivers) and an optional carbon
price per year is charged on the covered sectors' fossil fuel purchases.  Capital accumulation and
the emissions-trading block belong to the recursive-dynamic path of ``cpjax.cge`` (spec ``cge.md``
§3-4); any function with the same signature can be wrapped with :class:`PathFunction` and
calibrated or swept the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from .._errors import CpjaxInputError, unknown_name_message
from ._equations import backend, evaluate
from ._outputs import output_names, scalar_output
from ._solve import SolverConfig, as_jax_params, benchmark_guess, make_core
from ._structure import Model

__all__ = ["PathFunction", "static_path", "trend_path", "trend_year_params", "with_defaults", "DRIVERS"]

# growth drivers of the trend path: name -> meaning (annual rates, 0.01 = 1 %/year)
DRIVERS = {
    "growth.tfp": "annual TFP growth of every production sector (top-nest efficiency)",
    "growth.labour": "annual growth of labour supply",
    "growth.capital": "annual growth of the capital stock",
    "aeei": "annual autonomous energy-efficiency improvement (energy-nest efficiency)",
    "carbon_price": "carbon price per year on covered sectors' coal, oil and gas (CNY per t CO2)",
}


class PathFunction(NamedTuple):
    """A differentiable map from named parameters to outputs per year.

    Attributes:
        fn: ``fn(theta) -> (outputs, status)`` (pure JAX; see the module docstring).
        years: the years of the path (one entry for a static model).
        params: parameter name -> size (1: scalar, ``len(years)``: one value per year).
        defaults: parameter name -> default value (numpy float64, shape ``()`` or ``(years,)``).
        outputs: output names that ``fn`` returns.
        description: one line for reports.
    """

    fn: Callable[[Mapping[str, jax.Array]], tuple[dict[str, jax.Array], jax.Array]]
    years: tuple[int, ...]
    params: dict[str, int]
    defaults: dict[str, np.ndarray]
    outputs: tuple[str, ...]
    description: str


def _check_outputs(model: Model, outputs: Sequence[str]) -> tuple[str, ...]:
    known = output_names(model)
    for o in outputs:
        if o not in known:
            raise CpjaxInputError(unknown_name_message("output", o, known, where=f"model {model.name}"))
    return tuple(dict.fromkeys(outputs))


def _structural(model: Model, names: Sequence[str]) -> dict[str, Any]:
    from ._params import param_ref

    return {n: param_ref(model, n) for n in names}


def _set_structural(model: Model, prm: dict[str, jax.Array], where: Mapping[str, Any],
                    theta: Mapping[str, jax.Array]) -> dict[str, jax.Array]:
    from ._params import set_value

    for n, ref in where.items():
        prm = set_value(model, prm, ref, theta[n])
    return prm


def _structural_defaults(model: Model, base: Mapping[str, Any], where: Mapping[str, Any]) -> dict[str, np.ndarray]:
    from ._params import get_value

    return {n: np.asarray(get_value(model, base, ref), dtype=np.float64) for n, ref in where.items()}


def static_path(model: Model, names: Sequence[str], outputs: Sequence[str],
                params: Mapping[str, Any] | None = None, config: SolverConfig | None = None,
                year: int = 0) -> PathFunction:
    """One equilibrium as a one-year path: model parameters ``names`` -> ``outputs``.

    Arguments:
        model: the model.
        names: model parameter names (``"tfp.STEEL"``, ``"sigma.Y.COAL.E"``...; see ``param_names``).
        outputs: output names (see ``output_names``).
        params: the other parameters (default: benchmark).
        config: solver settings.
        year: label of the single year.

    Example:
        >>> path = static_path(model, ["supply.LAB"] if False else ["tfp.SERV"], ["gdp"])  # doctest: +SKIP
    """
    cfg = config or SolverConfig()
    outputs = _check_outputs(model, outputs)
    where = _structural(model, names)
    base = {k: np.asarray(v, dtype=np.float64) for k, v in (params or model.params).items()}
    core = make_core(model, cfg)
    st, be = model.structure, backend("jax")
    fns = {o: scalar_output(model, o) for o in outputs}
    z0 = benchmark_guess(model)

    def fn(theta: Mapping[str, jax.Array]) -> tuple[dict[str, jax.Array], jax.Array]:
        prm = _set_structural(model, as_jax_params(base), where, theta)
        sol = core(prm, jnp.asarray(z0, jnp.float64))
        ev = evaluate(st, sol.z, prm, be)
        return {o: f(ev)[None] for o, f in fns.items()}, sol.status[None]

    defaults = _structural_defaults(model, base, where)
    return PathFunction(fn, (year,), {n: 1 for n in names}, defaults, outputs,
                        f"one equilibrium of {model.name}")


def _carbon_coefficients(model: Model, covered: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Fuel edges of covered sectors and surcharge per CNY/t (value units of 1e8 CNY)."""
    en = model.energy
    if en is None:
        raise CpjaxInputError(f"model {model.name} has no [energy] table: a carbon price needs fuel "
                              "use and emission factors; fix: add [energy] to the specification")
    for s in covered:
        if s not in model.sectors:
            raise CpjaxInputError(unknown_name_message("covered sector", s, list(model.sectors)))
    st = model.structure
    users = np.array([en.users[u] for u in en.user])
    sel = (en.edge >= 0) & (en.gamma * en.burned > 0) & np.isin(users, list(covered))
    # p [CNY/t] * gamma [t/tce] * mtce [Mtce] * 1e6 [t/Mt] / 1e8 [CNY per SAM unit] per xbar units
    coef = en.gamma[sel] * en.burned[sel] * en.mtce[sel] / (100.0 * en.xbar[sel])
    assert np.all(st.edge_is_input[en.edge[sel]])
    return en.edge[sel].astype(np.int64), coef


def trend_path(model: Model, years: Sequence[int] = tuple(range(2022, 2031)),
               outputs: Sequence[str] = ("energy_mtce.total", "emissions_mt.total", "gdp"),
               structural: Sequence[str] = (), params: Mapping[str, Any] | None = None,
               config: SolverConfig | None = None, covered: Sequence[str] = ("TPOW",),
               aeei: float = 0.01) -> PathFunction:
    """Comparative-static path over ``years``: one equilibrium per year, drivers growing.

    In year ``t`` (``k = t - years[0]``) every production sector's TFP is multiplied by
    ``(1 + growth.tfp)^k``, labour and capital supplies by ``(1 + growth.labour)^k`` and
    ``(1 + growth.capital)^k``, energy-nest efficiency by ``(1 + aeei)^k``, and the carbon price
    ``carbon_price[k]`` (CNY/t CO2) is added to the covered sectors' fossil fuel prices.  Years
    are solved in a ``lax.scan`` warm-started from the previous year's solution.

    Arguments:
        model: the model (needs ``[energy]`` for energy/emissions outputs and carbon prices).
        years: the years (first year = benchmark year).
        outputs: output names to return per year.
        structural: extra model parameter names calibrated as constants (e.g. elasticities).
        params: base parameters (default: benchmark).
        config: solver settings.
        covered: sectors that pay ``carbon_price``.
        aeei: default autonomous energy-efficiency improvement (spec: 1 %/year).

    Returns:
        A :class:`PathFunction` with parameters ``growth.tfp``, ``growth.labour``,
        ``growth.capital``, ``aeei`` (scalars), ``carbon_price`` (one per year) and ``structural``.
    """
    cfg = config or SolverConfig()
    years = tuple(int(y) for y in years)
    if len(years) < 1 or any(b <= a for a, b in zip(years, years[1:])):
        raise CpjaxInputError(f"years {years} must be increasing")
    outputs = _check_outputs(model, outputs)
    where = _structural(model, structural)
    base = {k: np.asarray(v, dtype=np.float64) for k, v in (params or model.params).items()}
    st, be = model.structure, backend("jax")
    core = make_core(model, cfg)
    fns = {o: scalar_output(model, o) for o in outputs}
    idx = model.param_index
    tfp = np.array([idx[f"tfp.{s}"][1][0] for s in model.sectors if f"tfp.{s}" in idx], np.int64)
    aee = np.array([idx[f"aeei.{s}"][1][0] for s in model.sectors if f"aeei.{s}" in idx], np.int64)
    tfp_mask = np.isin(np.arange(len(base["eff"])), tfp)
    aee_mask = np.isin(np.arange(len(base["eff"])), aee)
    lab_mask = np.array([g == "LAB" for g in st.goods])
    cap_mask = np.array([g == "CAP" for g in st.goods])
    edges, coef = (_carbon_coefficients(model, covered) if model.energy is not None and covered
                   else (np.zeros(0, np.int64), np.zeros(0)))
    k_years = np.asarray([y - years[0] for y in years], dtype=np.float64)
    z0 = benchmark_guess(model)

    def fn(theta: Mapping[str, jax.Array]) -> tuple[dict[str, jax.Array], jax.Array]:
        prm0 = _set_structural(model, as_jax_params(base), where, theta)
        price = jnp.broadcast_to(theta["carbon_price"], (len(years),))

        def year(z: jax.Array, xs: tuple[jax.Array, jax.Array]) -> tuple[jax.Array, tuple]:
            k, p_t = xs
            prm = dict(prm0)
            # masks, not scatter-multiplies: their gradients need unique indices
            g_eff = (jnp.where(tfp_mask, (1.0 + theta["growth.tfp"]) ** k, 1.0)
                     * jnp.where(aee_mask, (1.0 + theta["aeei"]) ** k, 1.0))
            prm["eff"] = prm0["eff"] * g_eff
            g_end = (jnp.where(lab_mask, (1.0 + theta["growth.labour"]) ** k, 1.0)
                     * jnp.where(cap_mask, (1.0 + theta["growth.capital"]) ** k, 1.0))
            prm["endow"] = prm0["endow"] * g_end[None, :]
            prm["surcharge"] = prm0["surcharge"].at[edges].add(p_t * coef)
            sol = core(prm, z)
            ev = evaluate(st, sol.z, prm, be)
            # a failed year must not poison the next start: restart from the benchmark then
            z_next = jnp.where(sol.status == 0, sol.z, jnp.asarray(z0, jnp.float64))
            return z_next, ({o: f(ev) for o, f in fns.items()}, sol.status)

        _, (outs, status) = jax.lax.scan(year, jnp.asarray(z0, jnp.float64),
                                         (jnp.asarray(k_years), price))
        return outs, status

    params_ = {"growth.tfp": 1, "growth.labour": 1, "growth.capital": 1, "aeei": 1,
               "carbon_price": len(years), **{n: 1 for n in structural}}
    defaults = {"growth.tfp": np.float64(0.0), "growth.labour": np.float64(0.0),
                "growth.capital": np.float64(0.0), "aeei": np.float64(aeei),
                "carbon_price": np.zeros(len(years)),
                **_structural_defaults(model, base, where)}
    return PathFunction(fn, years, params_, {k: np.asarray(v, np.float64) for k, v in defaults.items()},
                        outputs, f"trend path of {model.name}, {years[0]}-{years[-1]} "
                        f"(carbon price on {', '.join(covered) or 'no sector'})")


def trend_year_params(model: Model, theta: Mapping[str, Any], year_index: int,
                      params: Mapping[str, Any] | None = None, covered: Sequence[str] = ("TPOW",),
                      structural: Sequence[str] = ()) -> dict[str, np.ndarray]:
    """The model parameters of one year of :func:`trend_path`, built in NumPy through
    :func:`~cpjax.cge.set_params` (an independent re-solve: ``solve(model, trend_year_params(...))``).
    """
    from ._params import get_param, set_params

    k = float(year_index)
    base = set_params(model, params, {n: float(theta[n]) for n in structural})
    values = {}
    for s in model.sectors:
        if f"tfp.{s}" in model.param_index:
            values[f"tfp.{s}"] = get_param(model, base, f"tfp.{s}") * (1 + float(theta["growth.tfp"])) ** k
        if f"aeei.{s}" in model.param_index:
            values[f"aeei.{s}"] = get_param(model, base, f"aeei.{s}") * (1 + float(theta["aeei"])) ** k
    out = set_params(model, base, values)
    for f, name in (("LAB", "growth.labour"), ("CAP", "growth.capital")):
        if f in model.structure.goods:
            g = model.structure.goods.index(f)
            out["endow"][:, g] = base["endow"][:, g] * (1 + float(theta[name])) ** k
    cp = np.asarray(theta["carbon_price"], np.float64).reshape(-1)
    price = float(cp[0] if cp.size == 1 else cp[year_index])
    if covered and model.energy is not None:
        edges, coef = _carbon_coefficients(model, covered)
        np.add.at(out["surcharge"], edges, price * coef)
    return out


def with_defaults(path: PathFunction, values: Mapping[str, Any]) -> PathFunction:
    """``path`` with some parameters' default values replaced (fixed drivers, a found calibration)."""
    d = dict(path.defaults)
    for n, v in values.items():
        if n not in path.params:
            raise CpjaxInputError(unknown_name_message("path parameter", n, list(path.params),
                                                       where=path.description))
        size = path.params[n]
        arr = np.asarray(v, dtype=np.float64)
        if arr.size not in (1, size):
            raise CpjaxInputError(f"path parameter {n}: give one number or {size} (one per year)")
        d[n] = np.broadcast_to(arr.reshape(-1)[0] if arr.size == 1 else arr,
                               (size,) if size > 1 else ()).astype(np.float64)
    return path._replace(defaults=d)
