# ruff: noqa: F722  (jaxtyping shape strings are not Python expressions)
"""The square system the solvers see: the CGE equations plus any number of :class:`Block` s.

A **block** adds unknowns ``u`` and as many equations to the CGE without touching
``_equations.py``: it changes the CGE's parameters as a function of its unknowns (``apply``: a
carbon price becomes fuel surcharges, lump sums...), writes its own equations from the evaluated
economy (``residual``) and reports its outputs (``report``).  The emissions-trading block
(:class:`~cpjax.cge._ets.EtsBlock`) is one; ``tests/cge/test_blocks.py`` adds a small one.

:func:`build_system` composes the CGE and the blocks into a :class:`System`: the residual
``F([z, u_1, u_2...], (params, args_1, args_2...))``, its Jacobian (the CGE part from its structure,
:mod:`~cpjax.cge._jacobian`; the few block rows and columns by automatic differentiation), and the
starting point of a homotopy (the benchmark, with every block at rest).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any, Protocol, runtime_checkable

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from ._equations import backend, evaluate
from ._jacobian import structured_jacobian
from ._structure import Model

__all__ = ["Block", "System", "build_system", "cge_residual"]


@runtime_checkable
class Block(Protocol):
    """What a block of extra unknowns and equations provides (all array code in JAX).

    Attributes:
        name: a short name (reports, error messages).
        layout: static data built once from the model (index arrays, coefficients).
        unknowns: the number of unknowns (and equations) the block adds.

    Methods:
        start(): the block's unknowns at rest (shape ``(unknowns,)``, NumPy).
        neutral(args): block arguments under which ``start()`` solves the block's equations at
            the benchmark economy (the start of a homotopy), e.g. a policy covering no sector.
        apply(params, u, args): the CGE parameters with the block's unknowns in effect.
        residual(ev, params, u, args): the block's equations (shape ``(unknowns,)``) given
            ``ev = evaluate(...)`` of the economy under ``apply``'s parameters; ``params`` are
            the parameters before ``apply``.
        report(ev, params, u, args): a dict of named outputs (arrays, differentiable).
    """

    name: str
    layout: Any
    unknowns: int

    def start(self) -> np.ndarray: ...

    def neutral(self, args: Any) -> Any: ...

    def apply(self, params: dict[str, Array], u: Array, args: Any) -> dict[str, Array]: ...

    def residual(self, ev: dict[str, Array], params: dict[str, Array], u: Array, args: Any) -> Array: ...

    def report(self, ev: dict[str, Array], params: dict[str, Array], u: Array,
               args: Any) -> dict[str, Array]: ...


def cge_residual(model: Model, ev: dict[str, Any], xp: Any = jnp) -> Any:
    """The CGE's own residual from an evaluated economy (zero profit, markets, incomes)."""
    st = model.structure
    keep = np.nonzero(np.arange(len(st.goods)) != st.numeraire)[0]
    return xp.concatenate([ev["zp"], ev["mkt"][keep], ev["inc_res"]])[st.pair]


@dataclasses.dataclass(frozen=True, eq=False)
class System:
    """A square system ``F(x, args) = 0`` with its Jacobian and a homotopy start.

    Attributes:
        model: the CGE model; blocks: the blocks after it.
        n: number of unknowns.
        residual: ``F(x, args) -> (n,)``.
        jacobian: ``J(x, args) -> (n, n)``.
        evaluate: ``(x, args) -> (ev, params, us)``: the evaluated economy, the parameters before
            the blocks and each block's unknowns.
        x_start: unknowns at the benchmark with every block at rest (NumPy).
        start_args: ``args -> args`` at which ``x_start`` is a solution (the benchmark parameters
            and every block neutral).
    """

    model: Model
    blocks: tuple[Any, ...]
    n: int
    residual: Callable[[Array, Any], Array]
    jacobian: Callable[[Array, Any], Array]
    evaluate: Callable[[Array, Any], tuple[dict[str, Array], dict[str, Array], tuple[Array, ...]]]
    x_start: np.ndarray
    start_args: Callable[[Any], Any]


def build_system(model: Model, blocks: Sequence[Any] = ()) -> System:
    """The CGE of ``model`` followed by ``blocks``; ``args`` is the parameter dict without blocks
    and the tuple ``(params, block_args_1, ...)`` with them."""
    from ._solve import benchmark_guess

    st = model.structure
    be = backend("jax")
    blocks = tuple(blocks)
    n_cge = st.n_unknowns
    sizes = [int(b.unknowns) for b in blocks]
    cuts = np.cumsum([n_cge, *sizes])
    x_start = np.concatenate([benchmark_guess(model)] + [np.asarray(b.start(), np.float64)
                                                         for b in blocks])
    bench = {k: np.asarray(v, np.float64) for k, v in model.params.items()}

    def split(x: Float[Array, " n"], args: Any) -> tuple[Array, tuple[Array, ...], dict, tuple]:
        if not blocks:
            return x, (), args, ()
        parts = jnp.split(x, cuts[:-1])
        return parts[0], tuple(parts[1:]), args[0], tuple(args[1:])

    def effective(prm: dict, us: tuple, bargs: tuple) -> dict:
        for b, u, a in zip(blocks, us, bargs):
            prm = b.apply(prm, u, a)
        return prm

    def evaluate_x(x: Array, args: Any) -> tuple[dict, dict, tuple]:
        z, us, prm, bargs = split(x, args)
        return evaluate(st, z, effective(prm, us, bargs), be), prm, us

    def residual(x: Array, args: Any) -> Array:
        ev, prm, us = evaluate_x(x, args)
        _, _, _, bargs = split(x, args)
        rows = [cge_residual(model, ev)]
        rows += [b.residual(ev, prm, u, a) for b, u, a in zip(blocks, us, bargs)]
        return rows[0] if len(rows) == 1 else jnp.concatenate(rows)

    def jacobian(x: Array, args: Any) -> Array:
        z, us, prm, bargs = split(x, args)
        prm_e = effective(prm, us, bargs)
        ev = evaluate(st, z, prm_e, be)
        j_zz = structured_jacobian(st, z, prm_e, ev)
        if not blocks:
            return j_zz
        u_all = x[n_cge:]

        def cge_of_u(u: Array) -> Array:
            parts = tuple(jnp.split(u, cuts[1:-1] - n_cge)) if len(blocks) > 1 else (u,)
            e = evaluate(st, z, effective(prm, parts, bargs), be)
            return cge_residual(model, e)

        j_zu = jax.jacfwd(cge_of_u)(u_all)
        j_b = jax.jacrev(lambda xx: residual(xx, args)[n_cge:])(x)
        return jnp.concatenate([jnp.concatenate([j_zz, j_zu], axis=1), j_b], axis=0)

    def start_args(args: Any) -> Any:
        prm0 = {k: jnp.asarray(v, jnp.float64) for k, v in bench.items()}
        if not blocks:
            return prm0
        return (prm0, *[b.neutral(a) for b, a in zip(blocks, args[1:])])

    return System(model, blocks, int(cuts[-1]), residual, jacobian, evaluate_x, x_start, start_args)
