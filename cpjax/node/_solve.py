# ruff: noqa: F722  (jaxtyping shape strings such as "t n" are not Python expressions)
"""Solving ``dz/dt = f(z, t; θ)`` with diffrax and saving the state on a time grid."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

import diffrax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from ._config import NodeConfig
from ._field import VectorField

__all__ = ["ADJOINTS", "RK4", "solve", "solve_with_stats", "solver_parts"]

#: How gradients pass through a solve: ``"recursive"`` (diffrax.RecursiveCheckpointAdjoint:
#: reverse mode, checkpointed; the default) or ``"direct"`` (diffrax.DirectAdjoint: also forward
#: mode, so Hessian-vector products for Sophia-H work; more memory and compile time).
ADJOINTS = ("recursive", "direct")


def solver_parts(config: NodeConfig) -> tuple[diffrax.AbstractSolver,
                                               diffrax.AbstractStepSizeController]:
    """The diffrax solver and step-size controller that ``config`` names."""
    if config.solver == "rk4":
        return RK4(), diffrax.ConstantStepSize()
    solver = diffrax.Tsit5() if config.solver == "tsit5" else diffrax.Dopri5()
    return solver, diffrax.PIDController(rtol=config.rtol, atol=config.atol)


_RK4_TABLEAU = diffrax.ButcherTableau(
    c=np.array([0.5, 0.5, 1.0]),
    b_sol=np.array([1 / 6, 1 / 3, 1 / 3, 1 / 6]),
    b_error=np.zeros(4),
    a_lower=(np.array([0.5]), np.array([0.0, 0.5]), np.array([0.0, 0.0, 1.0])),
)


class RK4(diffrax.AbstractERK):
    """The classic 4th-order Runge–Kutta method (fixed step; diffrax ships no class of that name)."""

    tableau: ClassVar[diffrax.ButcherTableau] = _RK4_TABLEAU
    interpolation_cls: ClassVar[Callable[..., diffrax.ThirdOrderHermitePolynomialInterpolation]] = (
        diffrax.ThirdOrderHermitePolynomialInterpolation.from_k
    )

    def order(self, terms: object) -> int:  # noqa: ARG002
        return 4


def solve_with_stats(field: VectorField, z0: Float[Array, " n"], ts: Float[Array, " t"],
                     config: NodeConfig, adjoint: str = "recursive") -> diffrax.Solution:
    """Integrate from ``z0`` at ``ts[0]`` and save at every ``ts`` (any increasing grid, years).

    Uses :class:`diffrax.RecursiveCheckpointAdjoint` (discretise-then-optimise, exact gradients of
    the discrete solve, memory via checkpointing; ``adjoint="direct"``:
    :class:`diffrax.DirectAdjoint`, which forward-mode differentiation also passes, see
    :data:`ADJOINTS`) and ``throw=False``: a failed solve (step budget exhausted) returns
    non-finite values instead of raising, so a batch of solves under ``vmap`` reports a status
    (``sol.result``) rather than aborting.
    """
    solver, controller = solver_parts(config)
    return diffrax.diffeqsolve(
        diffrax.ODETerm(field),
        solver,
        t0=ts[0],
        t1=ts[-1],
        dt0=jnp.asarray(config.dt0_years, dtype=ts.dtype),
        y0=z0,
        saveat=diffrax.SaveAt(ts=ts),
        stepsize_controller=controller,
        adjoint=diffrax.DirectAdjoint() if adjoint == "direct"
        else diffrax.RecursiveCheckpointAdjoint(),
        max_steps=config.max_steps,
        throw=False,
    )


def solve(field: VectorField, z0: Float[Array, " n"], ts: Float[Array, " t"],
          config: NodeConfig, adjoint: str = "recursive") -> Float[Array, "t n"]:
    """The trajectory ``z(ts)`` (row ``i`` is the state at ``ts[i]``; row 0 equals ``z0``).

    A solve that fails (see :func:`solve_with_stats`) returns rows of ``inf``.

    Example:
        >>> import jax.numpy as jnp
        >>> from cpjax.node import NodeConfig, make_field, solve
        >>> cfg = NodeConfig(width=8, depth=1)
        >>> solve(make_field(2, cfg), jnp.zeros(2), jnp.linspace(0.0, 1.0, 13), cfg).shape
        (13, 2)
    """
    sol = solve_with_stats(field, z0, ts, config, adjoint)
    ok = sol.result == diffrax.RESULTS.successful
    return jnp.where(ok, sol.ys, jnp.inf)
