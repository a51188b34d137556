"""Gradients of equilibrium outputs with respect to named parameters, compiled once per model.

One program per model structure and solver settings (:func:`gradient_program`) takes the
parameter values, the start and a **cotangent** ``w`` over every output
(:func:`~cpjax.cge.output_vector`) and returns all outputs and ``d (w · outputs) / d params`` for
the whole parameter dict: a solve and one reverse pass, differentiated through the solve by the
implicit function theorem.  Which output and which parameters a user asks for are only a one-hot
``w`` and an extraction from that dict (:func:`~cpjax.cge._params.grad_value`), so a second
gradient with another output or parameter list reuses the compiled program.
:func:`finite_difference_gradient` is the central-difference reference (2 solves per parameter).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .._errors import CpjaxInputError, unknown_name_message
from ._cache import compiled
from ._equations import backend, evaluate
from ._outputs import output_names, output_vector, scalar_output
from ._params import get_value, grad_value, param_ref, set_params, set_value
from ._solve import (
    SolverConfig,
    as_jax_params,
    benchmark_guess,
    evaluate_solution,
    failure_message,
    make_core,
    solve,
)
from ._structure import Model
from ._x64 import with_x64

__all__ = ["implicit_gradient", "implicit_jacobian", "finite_difference_gradient", "gradient_program"]


def gradient_program(model: Model, config: SolverConfig) -> Callable:
    """Jitted ``f(params, z0, w) -> (outputs, d(w·outputs)/d params, solution)`` (cached)."""

    def build() -> Callable:
        core = make_core(model, config)
        vec = output_vector(model)
        st, be = model.structure, backend("jax")

        def run(prm: dict[str, jax.Array], z0: jax.Array, w: jax.Array) -> tuple:
            def outputs(p: dict[str, jax.Array]) -> tuple:
                sol = core(p, z0)
                return vec(evaluate(st, sol.z, p, be)), sol

            vals, pull, sol = jax.vjp(outputs, prm, has_aux=True)
            return vals, pull(w)[0], sol

        return jax.jit(run)

    return compiled(model, ("gradient", config), build)


def _index(model: Model, output: str) -> int:
    names = output_names(model)
    if output not in names:
        scalar_output(model, output)  # raises the error with close matches and output kinds
        raise CpjaxInputError(unknown_name_message("output", output, names))  # pragma: no cover
    return names.index(output)


@with_x64
def implicit_jacobian(model: Model, outputs: Sequence[str], names: Sequence[str],
                      params: Mapping[str, Any] | None = None, config: SolverConfig | None = None,
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Values of ``outputs`` at equilibrium and ``d outputs / d names`` (rows outputs).

    One call of the compiled gradient program per output (no new compilation for new names).
    Raises :class:`~cpjax.CpjaxInputError` when the equilibrium is not reached.
    """
    cfg = config or SolverConfig()
    refs = [param_ref(model, n) for n in names]
    rows = [_index(model, o) for o in outputs]
    fn = gradient_program(model, cfg)
    prm = as_jax_params(params if params is not None else model.params)
    z0 = jnp.asarray(benchmark_guess(model), jnp.float64)
    n_out = len(output_names(model))
    vals, jac = np.zeros(len(rows)), np.zeros((len(rows), len(refs)))
    for i, r in enumerate(rows):
        w = np.zeros(n_out)
        w[r] = 1.0
        out, grads, sol = fn(prm, z0, jnp.asarray(w))
        if int(sol.status) != 0:
            raise CpjaxInputError(failure_message(sol, cfg, "the equilibrium for the gradient"))
        # index on the host: eager indexing of device arrays would compile a program per index
        grads = {k: np.asarray(v) for k, v in grads.items()}
        vals[i] = float(np.asarray(out)[r])
        jac[i] = [float(grad_value(model, grads, ref)) for ref in refs]
    return vals, jac


def implicit_gradient(model: Model, output: str, names: Sequence[str],
                      params: Mapping[str, Any] | None = None,
                      config: SolverConfig | None = None) -> tuple[float, dict[str, float]]:
    """Value of ``output`` at equilibrium and its gradient with respect to parameters ``names``.

    Arguments:
        model: the model.
        output: an output name (``"welfare_ev.HOH"``, ``"gdp"``, ``"emissions_mt.total"``...;
            see :func:`~cpjax.cge.output_names`).
        names: parameter names (``"tariff.CHEM"``, ``"tfp.STEEL"``, ``"supply.LAB"``...; see
            :func:`~cpjax.cge.param_names`).
        params: where to evaluate (default: benchmark).
        config: solver settings (default Newton).

    Returns:
        ``(value, {name: d output / d parameter})``.

    Example:
        >>> v, g = implicit_gradient(model, "welfare_ev.HOH", ["tfp.STEEL", "supply.LAB"])  # doctest: +SKIP
    """
    vals, jac = implicit_jacobian(model, [output], names, params, config)
    return float(vals[0]), dict(zip(names, jac[0].tolist()))


def finite_difference_gradient(model: Model, output: str, names: Sequence[str],
                               params: Mapping[str, Any] | None = None,
                               config: SolverConfig | None = None,
                               rel_step: float = 1e-5) -> dict[str, float]:
    """Central finite differences of ``output`` (two solves per parameter; the reference)."""
    cfg = config or SolverConfig()
    base = set_params(model, params)
    fn = scalar_output(model, output, xp=np)
    out = {}
    for n in names:
        ref = param_ref(model, n)
        v = float(get_value(model, base, ref))
        h = rel_step * max(1.0, abs(v))
        vals = []
        for sgn in (1.0, -1.0):
            p = set_value(model, base, ref, v + sgn * h)
            sol = solve(model, p, cfg)
            vals.append(float(fn(evaluate_solution(model, sol.z, p))))
        out[n] = (vals[0] - vals[1]) / (2 * h)
    return out
