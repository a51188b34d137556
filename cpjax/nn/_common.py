"""Pieces shared by the Flax forecasting networks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from .._errors import CpjaxInputError, unknown_name_message

__all__ = ["INITS", "Dropout", "check_input", "kernel_init", "kernel_penalty", "sow_kernel_penalty",
           "uses_dropout"]


def check_input(x: Float[Array, "batch lookback features"], name: str) -> None:
    if x.ndim != 3:
        raise ValueError(f"{name} expects a batch of windows (B, L, F); got shape {x.shape}")


#: kernel initialisers by name: ``xavier`` (Glorot uniform, Keras' default, seed 003),
#: ``lecun`` (LeCun normal, Flax's default), ``he`` (He normal, for ReLU stacks).
INITS: dict[str, Callable[..., Any]] = {
    "xavier": nn.initializers.xavier_uniform(),
    "lecun": nn.initializers.lecun_normal(),
    "he": nn.initializers.he_normal(),
}


def kernel_init(name: str) -> Callable[..., Any]:
    """The kernel initialiser called ``name`` (see :data:`INITS`)."""
    if name not in INITS:
        raise CpjaxInputError(unknown_name_message("kernel initialiser", name, INITS))
    return INITS[name]


def kernel_penalty(params: Any, l1: float, l2: float) -> Float[Array, ""]:
    """``l1 * sum|W| + l2 * sum W**2`` over every leaf named ``kernel`` (biases, norms' scales
    and the recurrent cells' biases are not penalised)."""
    total = jnp.zeros((), jnp.float32)
    for path, leaf in jax.tree_util.tree_leaves_with_path(params):
        if "kernel" not in jax.tree_util.keystr(path):
            continue
        if not _is_zero(l1):
            total = total + l1 * jnp.sum(jnp.abs(leaf)).astype(jnp.float32)
        if not _is_zero(l2):
            total = total + l2 * jnp.sum(jnp.square(leaf)).astype(jnp.float32)
    return total


def _is_zero(value: Any) -> bool:
    """True for a concrete zero; a traced value (a hyperparameter of a compiled program) is not."""
    return not isinstance(value, jax.core.Tracer) and not value


def uses_dropout(rate: Any) -> bool:
    """Whether a dropout layer of ``rate`` must be built: a positive rate, or a traced one (a
    hyperparameter passed to the compiled training program, whose value is unknown at trace)."""
    return not _is_zero(rate)


class Dropout(nn.Module):
    """``flax.linen.Dropout`` (same mask, same scaling, same PRNG stream) whose rate may also be a
    traced value, so a batch of problems with different dropout rates shares one program."""

    rate: Any

    @nn.compact
    def __call__(self, x: Array, deterministic: bool) -> Array:
        if deterministic or (not isinstance(self.rate, jax.core.Tracer) and self.rate == 0.0):
            return x
        keep = 1.0 - self.rate  # a Python float when concrete, as in flax.linen.Dropout
        mask = jax.random.bernoulli(self.make_rng("dropout"), keep, x.shape)
        return jax.lax.select(mask, x / keep, jnp.zeros_like(x))


def sow_kernel_penalty(module: nn.Module, l1: float, l2: float) -> None:
    """Add the L1/L2 penalty of every kernel of ``module`` to its training loss.

    Call at the end of a compact ``__call__``: the value goes to the ``"losses"`` collection,
    which the training engine adds to the objective (``cpjax.train.apply_train``); outside
    training (collection not mutable) it is a no-op.
    """
    if not (_is_zero(l1) and _is_zero(l2)):
        module.sow("losses", "kernel_penalty",
                   kernel_penalty(module.variables.get("params", {}), l1, l2))
