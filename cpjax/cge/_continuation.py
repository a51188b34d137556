"""A solve that finds the equilibrium when a direct solve does not, and its implicit derivative.

:func:`homotopy_core` first solves directly from the given start.  If that fails (step limit, no
descent, non-finite values) and ``homotopy`` is on, it walks from the benchmark — where the
benchmark unknowns solve the benchmark parameters with every block at rest — to the requested
parameters along ``args(t) = start + t (args - start)``, ``t`` from 0 to 1: each step is solved
from a secant prediction of the previous two points, a converged step doubles the next one, a
failed step is halved and retried.  It stops at ``t = 1`` (converged, ``path = 1``), when the step
falls below ``1e-4`` or after ``homotopy_steps`` tries (a failure status: never NaN, never a hang).

:func:`implicit` differentiates the whole solve by the implicit function theorem (a custom JVP:
``dx = -J(x*)^-1 dF/dargs · dargs``, one LU solve with the structured Jacobian), so gradients
never see the iterations or the path taken, and reverse mode transposes that one solve.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import lineax as lx
import numpy as np

from ._system import System

__all__ = ["homotopy_core", "implicit"]

_H0 = 0.25
_H_MIN = 1e-4
_INNER_STEPS = 15


def homotopy_core(system: System, inner: Callable, max_steps: int, homotopy: bool,
                  homotopy_steps: int, static_steps: bool = False) -> Callable:
    """``run(args, x0) -> (x, (iterations, residual, status, path, steps, reached))``.

    ``inner(args, x0, max_steps)`` is one of ``_newton``'s solvers.  One loop holds one copy of it
    (compile time): attempt 0 is the direct solve from ``x0``, the next ones the homotopy steps.
    ``static_steps``: the solver needs a Python int step limit (optimistix), so every attempt uses
    ``max_steps``.
    """
    inner_steps = max_steps if static_steps else min(max_steps, _INNER_STEPS)
    x_start = system.x_start
    limit = homotopy_steps + 1 if homotopy else 1

    def run(args: Any, x0: jax.Array) -> tuple:
        dt = x0.dtype
        start = system.start_args(args)
        one = jnp.ones((), dt)

        def at(t: jax.Array) -> Any:
            return jax.tree_util.tree_map(lambda a, b: jnp.where(t >= 1.0, b, a + t * (b - a)),
                                          start, args)

        def cond(c: tuple) -> jax.Array:
            t, _, _, _, h, k, _, _, _, _, _ = c
            return (k == 0) | ((t < 1.0) & (k < limit) & (h >= _H_MIN))

        def body(c: tuple) -> tuple:
            t, x, x_prev, h_prev, h, k, it, res, st, direct_x, direct_st = c
            first = k == 0
            t_new = jnp.where(first, one, jnp.minimum(1.0, t + h))
            step = t_new - t
            scale = jnp.where(h_prev > 0, step / jnp.where(h_prev > 0, h_prev, 1.0), 0.0)
            pred = jnp.where(first, x0, x + (x - x_prev) * scale)
            steps = max_steps if static_steps else jnp.where(first, max_steps, inner_steps)
            x_t, it_t, res_t, st_t = inner(at(t_new), pred, steps)
            ok = st_t == 0
            # a failed direct attempt restarts from the benchmark (t = 0) with the first step h0
            t_next = jnp.where(ok, t_new, jnp.where(first, 0.0, t))
            x_next = jnp.where(ok, x_t, jnp.where(first, jnp.asarray(x_start, dt), x))
            return (t_next, x_next, jnp.where(ok & ~first, x, x_next), jnp.where(ok & ~first, step, 0.0),
                    jnp.where(first, _H0, jnp.where(ok, 2.0 * h, 0.5 * h)).astype(dt), k + 1,
                    it + it_t, res_t, jnp.where(ok, 0, st_t).astype(jnp.int32),
                    jnp.where(first, x_t, direct_x), jnp.where(first, st_t, direct_st))

        zi = jnp.zeros((), jnp.int32)
        z = jnp.zeros((), dt)
        t, x, _, _, _, k, it, res, st, x_d, st_d = jax.lax.while_loop(
            cond, body, (z, x0, x0, z, one, zi, zi, z, zi, x0, zi))
        done = t >= 1.0
        direct = done & (k == 1)
        # a failure returns the direct attempt's iterate (finite: no step is accepted otherwise)
        x_out = jnp.where(done, x, x_d)
        status = jnp.where(done, 0, jnp.where(k > 1, jnp.where(st == 0, 1, st), st_d)).astype(jnp.int32)
        path = (done & ~direct).astype(jnp.int32)
        return x_out, (it, res, status, path, k - 1, jnp.where(done, one, t))

    return run


def implicit(system: System, run: Callable) -> Callable:
    """``run`` with the implicit-function-theorem derivative with respect to ``args``."""

    @jax.custom_jvp
    def solve(args: Any, x0: jax.Array) -> tuple:
        return run(args, x0)

    @solve.defjvp
    def solve_jvp(primals: tuple, tangents: tuple) -> tuple:
        args, x0 = primals
        dargs, _ = tangents
        x, stats = solve(args, x0)
        x = jax.lax.stop_gradient(x)
        J = system.jacobian(x, args)
        _, dF = jax.jvp(lambda a: system.residual(x, a), (args,), (dargs,))
        dx = -lx.linear_solve(lx.MatrixLinearOperator(J), dF, lx.LU(), throw=False).value
        zeros = jax.tree_util.tree_map(_zero_tangent, stats)
        return (x, stats), (dx, zeros)

    return solve


def _zero_tangent(a: jax.Array) -> Any:
    if jnp.issubdtype(a.dtype, jnp.floating):
        return jnp.zeros_like(a)
    return np.zeros(a.shape, dtype=jax.dtypes.float0)
