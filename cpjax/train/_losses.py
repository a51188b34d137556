"""Training losses on ``(B, H)`` predictions: MSE (default), MAE, Huber."""

from __future__ import annotations

from collections.abc import Callable

import jax.numpy as jnp
import optax
from jaxtyping import Array, Float

from .._errors import CpjaxInputError, unknown_name_message

__all__ = ["LOSSES", "get_loss", "loss_elements"]

LossFn = Callable[[Float[Array, "b h"], Float[Array, "b h"]], Float[Array, ""]]


def _mse(pred, target):
    return jnp.mean(jnp.square(pred - target))


def _mae(pred, target):
    return jnp.mean(jnp.abs(pred - target))


def _huber(delta: float) -> LossFn:
    def loss(pred, target):
        return jnp.mean(optax.losses.huber_loss(pred, target, delta=delta))
    return loss


LOSSES = ("mse", "mae", "huber")


def get_loss(name: str, huber_delta: float = 1.0) -> LossFn:
    """Return the mean loss over all elements; ``huber_delta`` is on the scaled target."""
    if name == "mse":
        return _mse
    if name == "mae":
        return _mae
    if name == "huber":
        if huber_delta <= 0:
            raise CpjaxInputError(f"huber_delta must be positive, got {huber_delta}")
        return _huber(huber_delta)
    raise CpjaxInputError(unknown_name_message("loss", name, LOSSES))


def loss_elements(name: str) -> Callable[[Array, Array, Array], Array]:
    """The per-element loss ``f(pred, target, huber_delta) -> (B, H)`` of ``name``; its mean is
    :func:`get_loss`'s value.  ``huber_delta`` may be a traced value (a hyperparameter passed to a
    compiled program); masked means over padded rows are built from these elements."""
    if name == "mse":
        return lambda pred, target, delta: jnp.square(pred - target)
    if name == "mae":
        return lambda pred, target, delta: jnp.abs(pred - target)
    if name == "huber":
        return lambda pred, target, delta: optax.losses.huber_loss(pred, target, delta=delta)
    raise CpjaxInputError(unknown_name_message("loss", name, LOSSES))
