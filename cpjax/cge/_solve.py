"""Solving for the equilibrium: globalised Newton, trust regions, a fixed point, and a homotopy.

``method`` (:class:`SolverConfig`) chooses the solver of one square system
(:mod:`~cpjax.cge._newton`):

* ``"newton"`` (default): Newton with a backtracking line search, the structured Jacobian
  (:mod:`~cpjax.cge._jacobian`) and its LU kept across steps while it works; ``linear_solver``
  ``"lu"`` (dense), ``"gmres"`` (lineax GMRES on the matrix-free Jacobian, preconditioned by the
  last LU) or ``"auto"`` (LU up to 3,000 unknowns);
* ``"dogleg"``, ``"levenberg_marquardt"``: optimistix's trust-region solvers; ``"optimistix"``:
  plain ``optimistix.Newton``;
* ``"fixed_point"``: ``z <- z - damping * P F(z)`` with ``P`` from the Jacobian at the start
  (``precondition="frozen"``: chord) or its diagonal (``"diagonal"``: tatonnement).

When the direct solve fails and ``homotopy`` is on (default), the solve walks from the benchmark
to the requested parameters in adaptive steps (:mod:`~cpjax.cge._continuation`).  Every solve is
differentiated by the implicit function theorem with one linear solve at the solution.

A :class:`Solution` reports the iterations, the max-norm residual, a status (:data:`STATUS`), the
path taken (0 direct, 1 homotopy), the homotopy steps and the fraction of the change reached.
``throw=True`` raises a :class:`~cpjax.CpjaxInputError` that says what was tried; batched solves
never throw and report a status per scenario.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float, Int

from .._errors import CpjaxInputError
from ._cache import compiled
from ._equations import backend, evaluate, residual
from ._structure import Model
from ._x64 import with_x64

__all__ = ["Solution", "SolverConfig", "solve", "solve_batch", "benchmark_guess", "STATUS",
           "residual_function", "as_jax_params", "stack_params", "make_core", "METHODS"]

STATUS = {0: "converged", 1: "step limit reached", 2: "non-finite values",
          3: "no descent (the line search or trust region found no better point)"}
METHODS = ("newton", "dogleg", "levenberg_marquardt", "optimistix", "fixed_point")
LINEAR_SOLVERS = ("auto", "lu", "gmres")
_AUTO_LU_MAX = 3000


class Solution(NamedTuple):
    """Result of a solve (a pytree; batched solves give leading batch dimensions).

    Attributes:
        z: the unknowns (CGE unknowns, then any block's).
        iterations: solver iterations, summed over the homotopy steps.
        residual: max-norm residual at ``z``.
        status: 0 converged, 1 step limit, 2 non-finite values, 3 no descent (:data:`STATUS`).
        path: 0 solved directly, 1 by homotopy from the benchmark.
        steps: homotopy steps tried (0 when solved directly).
        reached: fraction of the change from the benchmark reached (1 when converged).
    """

    z: Float[Array, "*batch n"]  # noqa: F722
    iterations: Int[Array, "*batch"]  # noqa: F722
    residual: Float[Array, "*batch"]  # noqa: F722
    status: Int[Array, "*batch"]  # noqa: F722
    path: Any = None
    steps: Any = None
    reached: Any = None


@dataclasses.dataclass(frozen=True)
class SolverConfig:
    """Solver settings (hashable: one compiled program per model and settings).

    Attributes:
        method: ``"newton"``, ``"dogleg"``, ``"levenberg_marquardt"``, ``"optimistix"`` or
            ``"fixed_point"`` (see the module docstring).
        tol: max-norm tolerance on the scaled residual (dimensionless).
        max_steps: iteration limit of a direct solve (``None``: 50, 2,000 for the fixed point).
        damping: step length of the fixed-point map (0 < damping <= 1).
        precondition: ``"frozen"`` (chord) or ``"diagonal"`` (tatonnement) for the fixed point.
        linear_solver: ``"auto"``, ``"lu"`` or ``"gmres"`` for Newton's linear systems.
        homotopy: when the direct solve fails, walk from the benchmark to the parameters.
        homotopy_steps: most homotopy steps tried (failed ones included).
    """

    method: str = "newton"
    tol: float = 1e-11
    max_steps: int | None = None
    damping: float = 1.0
    precondition: str = "frozen"
    linear_solver: str = "auto"
    homotopy: bool = True
    homotopy_steps: int = 100

    def steps(self) -> int:
        if self.max_steps is not None:
            return int(self.max_steps)
        return 2000 if self.method == "fixed_point" else 50

    def check(self) -> None:
        from .._errors import unknown_name_message

        if self.method not in METHODS:
            raise CpjaxInputError(unknown_name_message("solver method", str(self.method), METHODS))
        if self.precondition not in ("frozen", "diagonal"):
            raise CpjaxInputError(f"unknown precondition {self.precondition!r}; choose 'frozen' or 'diagonal'")
        if self.linear_solver not in LINEAR_SOLVERS:
            raise CpjaxInputError(unknown_name_message("linear solver", str(self.linear_solver),
                                                       LINEAR_SOLVERS))
        if not 0 < self.damping <= 1:
            raise CpjaxInputError(f"damping {self.damping} must be in (0, 1]")
        if not self.tol > 0:
            raise CpjaxInputError(f"tol {self.tol} must be > 0")
        if self.max_steps is not None and int(self.max_steps) < 0:
            raise CpjaxInputError(f"max_steps {self.max_steps} must be >= 0")
        if int(self.homotopy_steps) < 1:
            raise CpjaxInputError(f"homotopy_steps {self.homotopy_steps} must be >= 1")

    def linear(self, n: int) -> str:
        """The linear solver for ``n`` unknowns (``auto``: LU up to 3,000 unknowns)."""
        if self.linear_solver != "auto":
            return self.linear_solver
        return "lu" if n <= _AUTO_LU_MAX else "gmres"


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


def _params_check(model: Model, prm: Any, where: str) -> None:
    """Trace-time check of a parameter dict against the model (names and shapes)."""
    if not isinstance(prm, Mapping):
        raise CpjaxInputError(f"{where}: parameters must be a dict of arrays (set_params), got "
                              f"{type(prm).__name__}")
    want = model.params
    missing = sorted(set(want) - set(prm))
    extra = sorted(set(prm) - set(want))
    if missing or extra:
        raise CpjaxInputError(f"{where}: parameter arrays {missing or extra} are "
                              f"{'missing' if missing else 'unknown'}; fix: start from set_params(model)")
    for k, v in want.items():
        if np.shape(prm[k]) != np.shape(v):
            raise CpjaxInputError(f"{where}: parameter array {k!r} has shape {np.shape(prm[k])}, "
                                  f"the model needs {np.shape(v)}; fix: build it with set_params(model)")


def make_core(model: Model, config: SolverConfig | None = None, blocks: Sequence[Any] = ()
              ) -> Callable[[Any, Array], Solution]:
    """The pure solve function ``core(args, z0) -> Solution`` (not jitted, never throws).

    ``args`` is the parameter dict (:func:`~cpjax.cge.set_params`) or, with blocks,
    ``(params, block_args_1, ...)``; ``z0`` the start (CGE unknowns, then the blocks').  The
    result is differentiable in ``args`` (implicit function theorem) and can be ``vmap``-ed.

    Arguments:
        model: a calibrated model.
        config: :class:`SolverConfig` (checked here).
        blocks: :class:`~cpjax.cge.Block` s appended to the CGE (e.g. the trading block).

    Example:
        >>> core = make_core(model)  # doctest: +SKIP
        >>> sol = jax.jit(core)(as_jax_params(params), jnp.asarray(benchmark_guess(model)))  # doctest: +SKIP
    """
    from ._continuation import homotopy_core, implicit
    from ._newton import fixed_point_solver, newton_solver, optimistix_solver
    from ._system import Block, build_system

    cfg = config or SolverConfig()
    if not isinstance(cfg, SolverConfig):
        raise CpjaxInputError(f"config must be a SolverConfig, got {type(cfg).__name__}")
    cfg.check()
    if not isinstance(model, Model):
        raise CpjaxInputError(f"make_core needs a cge.Model, got {type(model).__name__}")
    for b in blocks:
        if not isinstance(b, Block):
            raise CpjaxInputError(f"block {b!r} does not follow the cge.Block protocol (name, layout, "
                                  "unknowns, start, neutral, apply, residual, report)")
    system = build_system(model, blocks)
    if cfg.method == "newton":
        inner = newton_solver(system, cfg.tol, cfg.linear(system.n))
    elif cfg.method == "fixed_point":
        inner = fixed_point_solver(system, cfg.tol, cfg.damping, cfg.precondition)
    else:
        inner = optimistix_solver(system, cfg.tol, cfg.method)
    run = homotopy_core(system, inner, cfg.steps(), cfg.homotopy, cfg.homotopy_steps,
                        static_steps=cfg.method in ("dogleg", "levenberg_marquardt", "optimistix"))
    solve_x = implicit(system, run)
    n = system.n

    def core(args: Any, z0: Array) -> Solution:
        _params_check(model, args[0] if blocks else args, "make_core")
        if blocks and len(args) != len(blocks) + 1:
            raise CpjaxInputError(f"make_core: args must be (params, {len(blocks)} block argument(s)), "
                                  f"got {len(args)} items")
        if np.shape(z0)[-1:] != (n,):
            raise CpjaxInputError(f"make_core: z0 has shape {np.shape(z0)}, the system has {n} unknowns")
        x, (it, res, status, path, steps, reached) = solve_x(args, z0)
        return Solution(x, it, res, status, path, steps, reached)

    return core


def _compiled(model: Model, cfg: SolverConfig, batched: bool) -> Callable:
    def build() -> Callable:
        core = make_core(model, cfg)
        return jax.jit(jax.vmap(core, in_axes=(0, None)) if batched else core)

    return compiled(model, ("solve", cfg, batched), build)


def failure_message(sol: Solution, cfg: SolverConfig, what: str = "the equilibrium") -> str:
    """What went wrong and what to try, without suggesting what was already tried."""
    status = int(sol.status)
    tried = f"method {cfg.method}"
    if cfg.homotopy and sol.path is not None:
        reached = float(sol.reached) if sol.reached is not None else 0.0
        tried += f", then a homotopy from the benchmark ({int(sol.steps)} steps, reached " \
                 f"{100 * reached:.0f}% of the change)"
    hints = []
    if not cfg.homotopy:
        hints.append("homotopy=True (walk from the benchmark)")
    others = [m for m in ("newton", "dogleg", "levenberg_marquardt") if m != cfg.method]
    hints.append(f"method={others[0]!r}")
    if cfg.homotopy:
        hints.append(f"more homotopy steps (homotopy_steps > {cfg.homotopy_steps})")
    if status == 1:
        hints.append(f"more iterations (max_steps > {cfg.steps()})")
    hints.append("a smaller change from the benchmark, or check the parameters you changed "
                 "(a change may have no equilibrium)")
    return (f"{what} was not reached: {STATUS[status]} after {int(sol.iterations)} iterations "
            f"({tried}), residual {float(sol.residual):.3g} > tol {cfg.tol:g}; fix: try "
            + ", ".join(hints))


def _throw(sol: Solution, cfg: SolverConfig) -> None:
    if int(sol.status) != 0:
        raise CpjaxInputError(failure_message(sol, cfg))


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
