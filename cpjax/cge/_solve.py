"""Solving for the equilibrium: a damped fixed-point map and Newton, both implicitly differentiable.

* ``method="newton"``: Newton's method ``z <- z - damping * J(z)^-1 F(z)`` in a ``lax.while_loop``
  (0 iterations at the benchmark), differentiated by ``jax.lax.custom_root``.
* ``method="fixed_point"``: ``z <- z - damping * P F(z)`` with a preconditioner ``P`` fixed at the
  starting point: ``"frozen"`` uses the whole Jacobian there (a chord iteration: one LU
  factorisation, then cheap steps), ``"diagonal"`` its diagonal (tatonnement: each price moves with
  its own market's excess demand, each activity with its good's zero-profit gap, scaled by the
  own derivative).  Gradients through :func:`jax.lax.custom_root` (implicit function theorem).
* ``method="optimistix"``: :class:`optimistix.Newton` via :func:`optimistix.root_find` with
  :class:`optimistix.ImplicitAdjoint`; parameters pass through ``args``.

Both return a :class:`Solution` with the iteration count, the max-norm residual and a status
(0 converged, 1 step limit reached, 2 non-finite values).  ``throw=True`` raises (also under
``jit``, through :func:`equinox.error_if`); batched solves never throw and report a status per
scenario instead.
"""

from __future__ import annotations

import dataclasses
import weakref
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optimistix as optx
from jaxtyping import Array, Float, Int

from .._errors import CpjaxInputError
from ._equations import backend, evaluate, residual
from ._structure import Model
from ._x64 import with_x64

__all__ = ["Solution", "SolverConfig", "solve", "solve_batch", "benchmark_guess", "STATUS",
           "residual_function", "as_jax_params", "stack_params"]

STATUS = {0: "converged", 1: "step limit reached", 2: "non-finite values"}
METHODS = ("newton", "optimistix", "fixed_point")


class Solution(NamedTuple):
    """Result of a solve (a pytree; batched solves give leading batch dimensions)."""

    z: Float[Array, "*batch n"]  # noqa: F722
    iterations: Int[Array, "*batch"]  # noqa: F722
    residual: Float[Array, "*batch"]  # noqa: F722
    status: Int[Array, "*batch"]  # noqa: F722


@dataclasses.dataclass(frozen=True)
class SolverConfig:
    """Solver settings.

    Attributes:
        method: ``"newton"`` (own Newton loop, exact Jacobian each step), ``"optimistix"``
            (:class:`optimistix.Newton`) or ``"fixed_point"``.
        tol: max-norm tolerance on the scaled residual (dimensionless).
        max_steps: iteration limit (``None``: 50 for Newton, 2000 for the fixed point).
        damping: step length of the fixed-point map (0 < damping <= 1).
        precondition: ``"frozen"`` (chord) or ``"diagonal"`` (tatonnement) for the fixed point.
    """

    method: str = "newton"
    tol: float = 1e-11
    max_steps: int | None = None
    damping: float = 1.0
    precondition: str = "frozen"

    def steps(self) -> int:
        if self.max_steps is not None:
            return int(self.max_steps)
        return 2000 if self.method == "fixed_point" else 50

    def check(self) -> None:
        if self.method not in METHODS:
            raise CpjaxInputError(f"unknown solver method {self.method!r}; choose one of {', '.join(METHODS)}")
        if self.precondition not in ("frozen", "diagonal"):
            raise CpjaxInputError(f"unknown precondition {self.precondition!r}; choose 'frozen' or 'diagonal'")
        if not 0 < self.damping <= 1:
            raise CpjaxInputError(f"damping {self.damping} must be in (0, 1]")
        if not self.tol > 0:
            raise CpjaxInputError(f"tol {self.tol} must be > 0")


_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def residual_function(model: Model) -> Callable[[Array, Mapping[str, Array]], Array]:
    """``F(z, params)`` in JAX (the square residual the solvers drive to zero)."""
    st = model.structure
    be = backend("jax")
    return lambda z, prm: residual(st, z, prm, be)


def as_jax_params(params: Mapping[str, Any]) -> dict[str, Array]:
    """Parameters as float64 JAX arrays (call inside :func:`~cpjax.cge.x64`)."""
    return {k: jnp.asarray(v, dtype=jnp.float64) for k, v in params.items()}


def stack_params(batch: list[Mapping[str, Any]]) -> dict[str, np.ndarray]:
    """Stack parameter dicts into one batched dict (leading dimension = scenario)."""
    return {k: np.stack([np.asarray(b[k], dtype=np.float64) for b in batch]) for k in batch[0]}


def benchmark_guess(model: Model) -> np.ndarray:
    """Unknowns at the benchmark: log prices 0, log activities 0, incomes 1, adjustments 0."""
    st = model.structure
    return np.concatenate([np.zeros(len(st.free_goods)), np.zeros(len(st.activities)),
                           np.ones(len(st.agents)), np.zeros(len(st.aux_goods))])


def _status(res: Array, converged: Array) -> Array:
    return jnp.where(~jnp.isfinite(res), 2, jnp.where(converged, 0, 1)).astype(jnp.int32)


def _iterate_core(F: Callable, cfg: SolverConfig) -> Callable:
    """Fixed-point map or Newton in a ``lax.while_loop``, differentiated by ``lax.custom_root``."""
    steps = cfg.steps()

    def core(prm: Mapping[str, Array], z0: Array) -> Solution:
        f = lambda z: F(z, prm)  # noqa: E731

        def loop_solve(g: Callable, x0: Array) -> tuple[Array, tuple[Array, Array]]:
            if cfg.method == "newton":
                def direction(x: Array, r: Array) -> Array:
                    return jnp.linalg.solve(jax.jacfwd(g)(x), r)
            else:
                J0 = jax.jacfwd(g)(x0)
                if cfg.precondition == "frozen":
                    lu = jax.scipy.linalg.lu_factor(J0)

                    def direction(x: Array, r: Array) -> Array:
                        return jax.scipy.linalg.lu_solve(lu, r)
                else:
                    d = jnp.diagonal(J0)
                    d = jnp.where(jnp.abs(d) < 1e-12, 1.0, d)

                    def direction(x: Array, r: Array) -> Array:
                        return r / d

            def cond(c: tuple) -> Array:
                _, r, it = c
                res = jnp.max(jnp.abs(r))
                return (res > cfg.tol) & (it < steps) & jnp.isfinite(res)

            def body(c: tuple) -> tuple:
                x, r, it = c
                x = x - cfg.damping * direction(x, r)
                return x, g(x), it + 1

            x, r, it = jax.lax.while_loop(cond, body, (x0, g(x0), jnp.asarray(0, jnp.int32)))
            # aux outputs must be float for custom_root's JVP rule; cast back below
            return x, (it.astype(x.dtype), jnp.max(jnp.abs(r)))

        def tangent_solve(g: Callable, y: Array) -> Array:
            return jnp.linalg.solve(jax.jacfwd(g)(y), y)

        z, (it, res) = jax.lax.custom_root(f, z0, loop_solve, tangent_solve, has_aux=True)
        it = jax.lax.stop_gradient(it).astype(jnp.int32)
        res = jax.lax.stop_gradient(res)
        return Solution(z, it, res, _status(res, res <= cfg.tol))

    return core


def _optimistix_core(F: Callable, cfg: SolverConfig) -> Callable:
    solver = optx.Newton(rtol=cfg.tol, atol=cfg.tol)

    def core(prm: Mapping[str, Array], z0: Array) -> Solution:
        sol = optx.root_find(F, solver, z0, args=prm, max_steps=cfg.steps(), throw=False,
                             adjoint=optx.ImplicitAdjoint())
        z = sol.value
        res = jnp.max(jnp.abs(jax.lax.stop_gradient(F(z, prm))))
        ok = (sol.result == optx.RESULTS.successful) | (res <= cfg.tol)
        return Solution(z, jnp.asarray(sol.stats["num_steps"], jnp.int32), res, _status(res, ok))

    return core


def make_core(model: Model, cfg: SolverConfig) -> Callable[[Mapping[str, Array], Array], Solution]:
    """The pure solve function ``core(params, z0) -> Solution`` (no jit, no throwing)."""
    cfg.check()
    F = residual_function(model)
    return _optimistix_core(F, cfg) if cfg.method == "optimistix" else _iterate_core(F, cfg)


def _compiled(model: Model, cfg: SolverConfig, batched: bool) -> Callable:
    per_model = _CACHE.setdefault(model, {})
    key = (cfg, batched)
    if key not in per_model:
        core = make_core(model, cfg)
        per_model[key] = jax.jit(jax.vmap(core, in_axes=(0, None)) if batched else core)
    return per_model[key]


def _throw(sol: Solution, cfg: SolverConfig) -> None:
    status = int(sol.status)
    if status != 0:
        raise CpjaxInputError(
            f"the equilibrium was not reached: {STATUS[status]} after {int(sol.iterations)} "
            f"iterations (method {cfg.method}), residual {float(sol.residual):.3g} > tol {cfg.tol:g}; "
            "fix: try method='newton' (or fixed_point with a smaller damping), a smaller change "
            "from the benchmark, or check the parameters you changed")


@with_x64
def solve(model: Model, params: Mapping[str, Any] | None = None, config: SolverConfig | None = None,
          *, z0: Any = None, throw: bool = True) -> Solution:
    """Solve for the equilibrium at ``params`` (default: benchmark parameters).

    Arguments:
        model: a calibrated model (:func:`~cpjax.cge.load_model`).
        params: parameter dict (see :func:`~cpjax.cge.set_params`).
        config: :class:`SolverConfig` (method, tolerance, steps, damping).
        z0: starting unknowns (default: the benchmark).
        throw: raise :class:`~cpjax.CpjaxInputError` when it does not converge.

    Returns:
        :class:`Solution` (float64 arrays).

    Example:
        >>> sol = solve(model, set_params(model, values={"tfp.STEEL": 1.05}))  # doctest: +SKIP
    """
    cfg = config or SolverConfig()
    prm = as_jax_params(params if params is not None else model.params)
    z0 = jnp.asarray(benchmark_guess(model) if z0 is None else z0, dtype=jnp.float64)
    sol = _compiled(model, cfg, batched=False)(prm, z0)
    if throw:
        _throw(sol, cfg)
    return sol


@with_x64
def solve_batch(model: Model, params: Mapping[str, Any], config: SolverConfig | None = None) -> Solution:
    """Solve a batch of scenarios with ``vmap`` (every parameter array has a leading batch axis).

    Never raises on non-convergence: check ``Solution.status`` per scenario.
    """
    cfg = config or SolverConfig()
    prm = as_jax_params(params)
    sizes = {v.shape[0] for v in prm.values()}
    if len(sizes) != 1:
        raise CpjaxInputError(f"batched parameters have different leading sizes {sorted(sizes)}; "
                              "fix: stack every parameter array (stack_params)")
    z0 = jnp.asarray(benchmark_guess(model), dtype=jnp.float64)
    return _compiled(model, cfg, batched=True)(prm, z0)


@with_x64
def evaluate_solution(model: Model, z: Any, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """All model quantities at unknowns ``z`` (numpy float64 arrays)."""
    prm = {k: np.asarray(v, dtype=np.float64) for k, v in (params or model.params).items()}
    return evaluate(model.structure, np.asarray(z, dtype=np.float64), prm, backend("numpy"))


def error_if_failed(sol: Solution, message: str = "CGE solve did not converge") -> Solution:
    """Inside ``jit``: raise (equinox runtime error) when ``sol.status != 0``."""
    z = eqx.error_if(sol.z, sol.status != 0, message)
    return sol._replace(z=z)
