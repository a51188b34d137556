"""Training losses on ``(B, H)`` predictions: MSE (default), MAE, Huber."""

from __future__ import annotations

from collections.abc import Callable

import jax.numpy as jnp
import optax
from jaxtyping import Array, Float

from .._errors import CpjaxInputError, unknown_name_message

__all__ = ["LOSSES", "get_loss"]

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
