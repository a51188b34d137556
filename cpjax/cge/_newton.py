"""Inner solvers of one square system from one start (``_continuation.py`` adds the homotopy).

* :func:`newton_solver`: Newton's method globalised by a backtracking (Armijo) line search on
  ``|F|^2``, with the Jacobian's factorisation **kept while it works**: a step with the old LU
  (a chord step) is taken when it reduces the residual fast enough; the Jacobian is rebuilt and
  refactorised when the residual falls by less than half, after three reuses, when the line
  search had to shorten the step, or when an old factorisation gives no descent.  Linear algebra: a dense LU of the structured
  Jacobian (``jax.scipy.linalg``; the factors are kept in the loop), or lineax's ``GMRES`` on the
  matrix-free Jacobian-vector product, preconditioned by the last LU factorisation.
* :func:`optimistix_solver`: ``optimistix.root_find`` with ``Dogleg``, ``LevenbergMarquardt``
  (trust regions) or plain ``Newton`` (``method="optimistix"``); their Jacobian-vector products
  use the structured Jacobian.
* :func:`fixed_point_solver`: ``z <- z - damping * P F(z)`` with ``P`` fixed at the start (the
  whole Jacobian: chord; or its diagonal: tatonnement).

Each returns ``run(args, x0, max_steps) -> (x, iterations, residual, status)``; status 0
converged, 1 step limit, 2 non-finite values, 3 no descent (the line search or the trust region
found no better point with a fresh Jacobian).  Loops are bounded, so nothing hangs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import lineax as lx
import optimistix as optx

from ._system import System

__all__ = ["newton_solver", "optimistix_solver", "fixed_point_solver", "structured_residual"]

_ARMIJO = 1e-4
_MAX_HALVINGS = 30
_REFRESH_RATIO = 0.5
_MAX_REUSE = 3


def _max_abs(f: jax.Array) -> jax.Array:
    return jnp.max(jnp.abs(f))


def _status(res: jax.Array, converged: jax.Array, stalled: jax.Array) -> jax.Array:
    return jnp.where(~jnp.isfinite(res), 2, jnp.where(converged, 0, jnp.where(stalled, 3, 1))
                     ).astype(jnp.int32)


def newton_solver(system: System, tol: float, linear: str) -> Callable:
    """Globalised Newton with Jacobian reuse (see the module docstring); ``linear``: lu or gmres."""
    gmres = lx.GMRES(rtol=1e-12, atol=1e-14, restart=40, max_steps=200)

    def run(args: Any, x0: jax.Array, max_steps: jax.Array) -> tuple:
        F = lambda x: system.residual(x, args)  # noqa: E731

        def factor(x: jax.Array) -> Any:
            return jax.scipy.linalg.lu_factor(system.jacobian(x, args))

        def direction(state: Any, x: jax.Array, f: jax.Array) -> jax.Array:
            if linear == "gmres":
                op = lx.JacobianLinearOperator(lambda y, _: F(y), x)
                pre = lx.FunctionLinearOperator(lambda v: jax.scipy.linalg.lu_solve(state, v),
                                                jax.eval_shape(lambda: f))
                return lx.linear_solve(op, f, gmres, options={"preconditioner": pre},
                                       throw=False).value
            return jax.scipy.linalg.lu_solve(state, f)

        f0 = F(x0)
        n0 = jnp.sum(f0 * f0)

        def cond(c: tuple) -> jax.Array:
            x, f, nf, state, fresh, it, stalled, _ = c
            res = _max_abs(f)
            return (res > tol) & (it < max_steps) & jnp.isfinite(res) & ~stalled

        def body(c: tuple) -> tuple:
            x, f, nf, state, fresh, it, stalled, reuse = c
            state = jax.lax.cond(fresh, lambda: state, lambda: factor(x))
            d = direction(state, x, f)
            bad = ~jnp.all(jnp.isfinite(d))
            d = jnp.where(bad, 0.0, d)

            def ls_cond(s: tuple) -> jax.Array:
                t, k, nt, _ = s
                armijo = nt <= (1.0 - 2.0 * _ARMIJO * t) * nf
                return (k < 0) | (~armijo & (k < _MAX_HALVINGS))

            def ls_body(s: tuple) -> tuple:
                t, k, _, _ = s
                t = 0.5 * t
                ft = F(x - t * d)
                return t, k + 1, jnp.sum(ft * ft), ft

            # trial steps 1, 1/2, 1/4... (one evaluation of F in the program)
            k0 = jnp.where(bad, _MAX_HALVINGS, -1).astype(jnp.int32)
            t, k, nt, ft = jax.lax.while_loop(ls_cond, ls_body, (jnp.full((), 2.0), k0, nf, f))
            ok = (nt <= (1.0 - 2.0 * _ARMIJO * t) * nf) & ~bad & (k >= 0)
            # which factorisation did this step use: a fresh one (rebuilt above) or an old one
            used_fresh = ~fresh
            x_new = jnp.where(ok, x - t * d, x)
            f_new = jnp.where(ok, ft, f)
            n_new = jnp.where(ok, nt, nf)
            # keep the factorisation only after a full step that more than halved the residual
            reuse = jnp.where(used_fresh, 0, reuse + 1)
            keep = ok & (k == 0) & (n_new <= _REFRESH_RATIO ** 2 * nf) & (reuse < _MAX_REUSE)
            stalled_new = ~ok & used_fresh
            return x_new, f_new, n_new, state, keep, it + 1, stalled_new, reuse

        state0 = jax.eval_shape(factor, x0)
        state0 = jax.tree_util.tree_map(lambda s: jnp.zeros(s.shape, s.dtype), state0)
        zi = jnp.zeros((), jnp.int32)
        x, f, _, _, _, it, stalled, _ = jax.lax.while_loop(
            cond, body, (x0, f0, n0, state0, jnp.zeros((), bool), zi, jnp.zeros((), bool), zi))
        res = _max_abs(f)
        return x, it, res, _status(res, res <= tol, stalled)

    return run


def structured_residual(system: System) -> Callable[[jax.Array, Any], jax.Array]:
    """``F(x, args)`` whose derivative in ``x`` is the system's (structured) Jacobian, so that
    optimistix's linearisations cost one Jacobian instead of one pass per unknown."""

    from jax.custom_derivatives import SymbolicZero

    @jax.custom_jvp
    def F(x: jax.Array, args: Any) -> jax.Array:
        return system.residual(x, args)

    def F_jvp(primals: tuple, tangents: tuple) -> tuple:
        x, args = primals
        dx, dargs = tangents
        zero = lambda t: isinstance(t, SymbolicZero)  # noqa: E731
        leaves = jax.tree_util.tree_leaves(dargs, is_leaf=zero)
        out = system.residual(x, args)
        tan = jnp.zeros_like(out)
        if not all(zero(t) for t in leaves):
            dargs = jax.tree_util.tree_map(lambda t, a: jnp.zeros_like(a) if zero(t) else t,
                                           dargs, args, is_leaf=zero)
            tan = tan + jax.jvp(lambda a: system.residual(x, a), (args,), (dargs,))[1]
        if not zero(dx):
            tan = tan + system.jacobian(x, args) @ dx
        return out, tan

    F.defjvp(F_jvp, symbolic_zeros=True)

    return F


def optimistix_solver(system: System, tol: float, method: str) -> Callable:
    """``optimistix.root_find`` with Dogleg, LevenbergMarquardt or Newton (no throwing)."""
    F = structured_residual(system)
    if method == "dogleg":
        solver: Any = optx.Dogleg(rtol=tol, atol=tol, norm=optx.max_norm)
    elif method == "levenberg_marquardt":
        solver = optx.LevenbergMarquardt(rtol=tol, atol=tol, norm=optx.max_norm)
    else:
        solver = optx.Newton(rtol=tol, atol=tol, norm=optx.max_norm)

    def run(args: Any, x0: jax.Array, max_steps: int) -> tuple:
        sol = optx.root_find(F, solver, x0, args=args, max_steps=max_steps, throw=False,
                             adjoint=optx.RecursiveCheckpointAdjoint())
        x = jax.lax.stop_gradient(sol.value)
        res = _max_abs(system.residual(x, args))
        stalled = (sol.result != optx.RESULTS.successful) & (sol.result != optx.RESULTS.max_steps_reached)
        return x, jnp.asarray(sol.stats["num_steps"], jnp.int32), res, _status(res, res <= tol, stalled)

    return run


def fixed_point_solver(system: System, tol: float, damping: float, precondition: str) -> Callable:
    """``x <- x - damping * P F(x)``, ``P`` from the Jacobian at the start (chord or diagonal)."""
    def run(args: Any, x0: jax.Array, max_steps: jax.Array) -> tuple:
        F = lambda x: system.residual(x, args)  # noqa: E731
        f0 = F(x0)
        # no Jacobian when the start already solves (0 iterations at the benchmark)
        need = _max_abs(f0) > tol
        J0 = jax.lax.cond(need, lambda: system.jacobian(x0, args),
                          lambda: jnp.eye(x0.shape[0], dtype=x0.dtype))
        if precondition == "frozen":
            state = jax.scipy.linalg.lu_factor(J0)
            step = lambda f: jax.scipy.linalg.lu_solve(state, f)  # noqa: E731
        else:
            dg = jnp.diagonal(J0)
            dg = jnp.where(jnp.abs(dg) < 1e-12, 1.0, dg)
            step = lambda f: f / dg  # noqa: E731

        def cond(c: tuple) -> jax.Array:
            _, f, it = c
            res = _max_abs(f)
            return (res > tol) & (it < max_steps) & jnp.isfinite(res)

        def body(c: tuple) -> tuple:
            x, f, it = c
            x = x - damping * step(f)
            return x, F(x), it + 1

        x, f, it = jax.lax.while_loop(cond, body, (x0, f0, jnp.zeros((), jnp.int32)))
        res = _max_abs(f)
        return x, it, res, _status(res, res <= tol, jnp.zeros((), bool))

    return run
