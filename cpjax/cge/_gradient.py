"""Gradients of equilibrium outputs with respect to named parameters.

:func:`implicit_gradient` differentiates through the solver by the implicit function theorem
(optimistix ``ImplicitAdjoint`` for Newton, ``jax.lax.custom_root`` for the fixed point): one
linear solve with the Jacobian at the solution, whatever the number of iterations.
:func:`finite_difference_gradient` is the central-difference reference (2 solves per parameter).
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ._equations import backend, evaluate
from ._outputs import scalar_output
from ._params import _lookup, set_params
from ._solve import (
    SolverConfig,
    as_jax_params,
    benchmark_guess,
    evaluate_solution,
    make_core,
    solve,
)
from ._structure import Model
from ._x64 import with_x64

__all__ = ["implicit_gradient", "finite_difference_gradient"]

_GRAD_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _grad_fn(model: Model, output: str, names: tuple[str, ...], cfg: SolverConfig):
    per = _GRAD_CACHE.setdefault(model, {})
    key = (output, names, cfg)
    if key in per:
        return per[key]
    st = model.structure
    be = backend("jax")
    core = make_core(model, cfg)
    fn = scalar_output(model, output)
    where = [_lookup(model, n) for n in names]

    def value(theta: jax.Array, prm: dict[str, jax.Array], z0: jax.Array) -> jax.Array:
        prm = dict(prm)
        for k, (key_, ix) in enumerate(where):
            prm[key_] = prm[key_].at[ix].set(theta[k])
        sol = core(prm, z0)
        return fn(evaluate(st, sol.z, prm, be))

    per[key] = jax.jit(jax.value_and_grad(value))
    return per[key]


@with_x64
def implicit_gradient(model: Model, output: str, names: Sequence[str],
                      params: Mapping[str, Any] | None = None,
                      config: SolverConfig | None = None) -> tuple[float, dict[str, float]]:
    """Value of ``output`` at equilibrium and its gradient with respect to parameters ``names``.

    Arguments:
        model: the model.
        output: an output name (``"real_consumption.HOH"``, ``"gdp"``, ``"emissions_mt.total"``...).
        names: parameter names (``"tariff.CHEM"``, ``"tfp.STEEL"``...; see ``param_names``).
        params: where to evaluate (default: benchmark).
        config: solver settings (default Newton).

    Returns:
        ``(value, {name: d output / d parameter})``.

    Example:
        >>> v, g = implicit_gradient(model, "gdp", ["tfp.STEEL", "tariff.CHEM"])  # doctest: +SKIP
    """
    cfg = config or SolverConfig()
    prm_np = params if params is not None else model.params
    theta = jnp.asarray([float(np.asarray(prm_np[k])[ix]) for k, ix in
                         (_lookup(model, n) for n in names)], dtype=jnp.float64)
    f = _grad_fn(model, output, tuple(names), cfg)
    val, grad = f(theta, as_jax_params(prm_np), jnp.asarray(benchmark_guess(model), jnp.float64))
    return float(val), dict(zip(names, np.asarray(grad).tolist()))


def finite_difference_gradient(model: Model, output: str, names: Sequence[str],
                               params: Mapping[str, Any] | None = None,
                               config: SolverConfig | None = None,
                               rel_step: float = 1e-5) -> dict[str, float]:
    """Central finite differences of ``output`` (two solves per parameter; the reference)."""
    cfg = config or SolverConfig()
    base = dict(params if params is not None else model.params)
    fn = scalar_output(model, output, xp=np)
    out = {}
    for n in names:
        key, ix = _lookup(model, n)
        v = float(np.asarray(base[key])[ix])
        h = rel_step * max(1.0, abs(v))
        vals = []
        for sgn in (1.0, -1.0):
            p = set_params(model, base)
            p[key][ix] = v + sgn * h
            sol = solve(model, p, cfg)
            vals.append(float(fn(evaluate_solution(model, sol.z, p))))
        out[n] = (vals[0] - vals[1]) / (2 * h)
    return out

