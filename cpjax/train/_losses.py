"""Training losses on ``(B, H)`` targets.

Point losses (the network outputs ``(B, H)``): MSE (default), MAE, Huber.

Distributional losses (the network outputs ``K`` numbers per step, flattened to ``(B, H*K)`` in
step-major order, i.e. ``out.reshape(B, H, K)``):

* ``"pinball:0.1,0.5,0.9"``: the mean over the ``K`` levels of the pinball (quantile) loss
  ``max(tau (y - q), (tau - 1)(y - q))``; the outputs are the quantiles at those levels (sorted
  ascending; a network keeps them non-crossing, e.g. by cumulative softplus increments);
* ``"student_t"``: the negative log-likelihood of a location-scale Student-t; the outputs per
  step are ``(loc, scale > 0, df > 0)``.

Each loss also has its per-element form (:func:`loss_elements`), whose mean is the loss and
which the engine masks over padded rows.  :func:`loss_outputs` tells how many outputs per step a
loss reads.
"""

from __future__ import annotations

from collections.abc import Callable

import jax.numpy as jnp
import optax
from jax.scipy import stats as jstats
from jaxtyping import Array, Float

from .._errors import CpjaxInputError, unknown_name_message

__all__ = ["LOSSES", "get_loss", "loss_elements", "loss_outputs", "pinball_loss_name",
           "pinball_levels"]

LossFn = Callable[[Float[Array, "b h"], Float[Array, "b h"]], Float[Array, ""]]

LOSSES = ("mse", "mae", "huber", "pinball:<levels>", "student_t")


def pinball_loss_name(quantiles) -> str:
    """The loss name of a multi-quantile pinball loss: ``pinball:0.1,0.5,0.9``."""
    return "pinball:" + ",".join(f"{float(q):g}" for q in quantiles)


def pinball_levels(name: str) -> tuple[float, ...]:
    """The levels of a ``pinball:...`` loss name (checked: strictly inside (0, 1), ascending)."""
    try:
        levels = tuple(float(v) for v in name.split(":", 1)[1].split(","))
    except (IndexError, ValueError):
        raise CpjaxInputError(f"cannot read quantile levels from loss {name!r}; fix: write e.g. "
                              "'pinball:0.1,0.5,0.9'") from None
    if not levels or any(not 0 < q < 1 for q in levels) or list(levels) != sorted(set(levels)):
        raise CpjaxInputError(f"quantile levels of loss {name!r} must be distinct, ascending and "
                              "strictly between 0 and 1; fix: e.g. 'pinball:0.1,0.5,0.9'")
    return levels


def loss_outputs(name: str) -> int:
    """Outputs per forecast step that loss ``name`` reads (1 for point losses)."""
    if name.startswith("pinball:"):
        return len(pinball_levels(name))
    if name == "student_t":
        return 3
    if name in ("mse", "mae", "huber"):
        return 1
    raise CpjaxInputError(unknown_name_message("loss", name, LOSSES))


def _steps(pred, target, k: int):
    """``pred`` ``(B, H*k)`` as ``(B, H, k)`` against ``target`` ``(B, H)``."""
    return pred.reshape(pred.shape[0], target.shape[1], k)


def _pinball_el(levels: tuple[float, ...]):
    tau = jnp.asarray(levels, jnp.float32).reshape(1, 1, -1)

    def el(pred, target, delta):
        q = _steps(pred, target, tau.shape[-1])
        u = target[..., None] - q
        return jnp.mean(jnp.maximum(tau * u, (tau - 1.0) * u), axis=-1)
    return el


def _student_t_el(pred, target, delta):
    p = _steps(pred, target, 3)
    loc, scale, df = p[..., 0], p[..., 1], p[..., 2]
    return -(jstats.t.logpdf((target - loc) / scale, df) - jnp.log(scale))


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
    if name.startswith("pinball:"):
        return _pinball_el(pinball_levels(name))
    if name == "student_t":
        return _student_t_el
    raise CpjaxInputError(unknown_name_message("loss", name, LOSSES))


def get_loss(name: str, huber_delta: float = 1.0) -> LossFn:
    """Return the mean loss over all elements; ``huber_delta`` is on the scaled target."""
    if name == "huber" and huber_delta <= 0:
        raise CpjaxInputError(f"huber_delta must be positive, got {huber_delta}")
    el = loss_elements(name)
    return lambda pred, target: jnp.mean(el(pred, target, huber_delta))
