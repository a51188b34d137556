"""Adversarial training of a conditional GAN forecaster (two optimizer states, one engine loop).

The generator ``G(x, z)`` maps a window and noise to the next ``H`` values; the discriminator
``D(x, y)`` scores a (window, continuation) pair.  Each minibatch step makes one discriminator
update on real pairs ``(x, y)`` against generated pairs ``(x, G(x, z))`` (``G`` held fixed), then
one generator update on

    loss(G(x, z), y) + adversarial_weight * BCE(D(x, G(x, z)), 1)  (+ sown losses, L1/L2)

with the non-saturating generator loss of Goodfellow et al. (2014).  ``loss`` is the training
loss of :class:`TrainConfig` (MSE by default), so ``adversarial_weight = 0`` is plain supervised
training of ``G``.  Both players use the same optax transformation with separate states (the
discriminator's updates scaled by ``d_lr_ratio``).  Early stopping, seeds, the NaN guard and the
progress bar are the engine's (:func:`run_training`); the validation loss is ``loss`` of the
module's prediction, the generator at the fixed prediction noise (see ``cpjax.nn._gan``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import optax
from jaxtyping import Array, Float

from .._errors import CpjaxInputError
from ._config import TrainConfig
from ._engine import (
    TrainResult,
    _apply,
    _penalty,
    apply_train,
    as_training_arrays,
    fresh_state,
    init_variables,
    make_epoch_fn,
    run_training,
)
from ._losses import get_loss

__all__ = ["discriminator_loss", "fit_adversarial", "generator_adversarial_loss"]


def discriminator_loss(real_logits: Float[Array, "b 1"], fake_logits: Float[Array, "b 1"]
                       ) -> Float[Array, ""]:
    """Binary cross-entropy with labels 1 (real) and 0 (generated), from logits:
    ``mean(-log sigmoid(real)) + mean(-log(1 - sigmoid(fake)))``."""
    return jnp.mean(jax.nn.softplus(-real_logits)) + jnp.mean(jax.nn.softplus(fake_logits))


def generator_adversarial_loss(fake_logits: Float[Array, "b 1"]) -> Float[Array, ""]:
    """Non-saturating generator loss ``mean(-log sigmoid(D(x, G(x, z))))``."""
    return jnp.mean(jax.nn.softplus(-fake_logits))


def fit_adversarial(
    module,
    tx: optax.GradientTransformation,
    X: Float[Array, "n lookback features"],
    Y: Float[Array, "n horizon"],
    X_val: Float[Array, "m lookback features"] | None = None,
    Y_val: Float[Array, "m horizon"] | None = None,
    config: TrainConfig | None = None,
    extra_args_fn: Callable | None = None,
    on_epoch: Callable | None = None,
) -> TrainResult:
    """Train a GAN forecaster; same signature and result as :func:`fit_network`.

    Arguments:
        module: a Flax module with methods ``generate(x, z, train)`` and
            ``discriminate(x, y, train)``, parameters under ``"generator"`` and
            ``"discriminator"``, and ``config.latent_dim``, ``config.adversarial_weight``,
            ``config.d_lr_ratio`` (see :class:`cpjax.nn.GANForecaster`).
        tx: the optax transformation used by both players (separate states).
        X, Y, X_val, Y_val, config, on_epoch: as in :func:`fit_network`.
        extra_args_fn: must be None: second-order optimizers (Sophia) are not supported here.

    Returns:
        :class:`TrainResult`; ``history["train_loss"]`` is the generator's objective.

    Example:
        >>> from cpjax.nn import GANConfig, GANForecaster
        >>> res = fit_adversarial(GANForecaster(GANConfig()), optax.adam(1e-3), X, Y)  # doctest: +SKIP
    """
    if extra_args_fn is not None:
        raise CpjaxInputError("GAN training supports first-order optimizers only (adam, adamw, "
                              "rmsprop, sgd); fix: pick one of those with --optimizer")
    config = config or TrainConfig()
    X, Y, X_val, Y_val = as_training_arrays(X, Y, X_val, Y_val)
    mcfg = module.config
    latent = int(mcfg.latent_dim)
    ratio = float(mcfg.d_lr_ratio)
    tx_d = tx if ratio == 1.0 else optax.chain(tx, optax.scale(ratio))
    loss_of = get_loss(config.loss, config.huber_delta)
    has_val = X_val.shape[0] > 0

    def discriminate(params, x, y, key):
        return module.apply({"params": params}, x, y, train=True, method="discriminate",
                            rngs={"dropout": key})

    def step(carry, idx):
        params, stats, (g_state, d_state), key = carry
        key, k_z, k_fake, k_d, k_g = jax.random.split(key, 5)
        x, y = X[idx], Y[idx]
        z = jax.random.normal(k_z, (x.shape[0], latent), jnp.float32)
        fake = jax.lax.stop_gradient(module.apply(
            {"params": params}, x, z, train=True, method="generate", rngs={"dropout": k_fake}))

        def d_objective(dp):
            p = {**params, "discriminator": dp}
            return discriminator_loss(discriminate(p, x, y, k_d), discriminate(p, x, fake, k_d))

        d_grads = jax.grad(d_objective)(params["discriminator"])
        with jax.numpy_dtype_promotion("standard"):
            d_upd, d_state = tx_d.update(d_grads, d_state, params["discriminator"])
            d_params = optax.apply_updates(params["discriminator"], d_upd)

        def g_objective(gp):
            p = {**params, "generator": gp, "discriminator": d_params}
            out, _, aux = apply_train(module, p, stats, x, k_g, z=z, method="generate")
            adv = generator_adversarial_loss(discriminate(p, x, out, k_d))
            return (loss_of(out, y) + mcfg.adversarial_weight * adv + aux
                    + _penalty(gp, config.l1, config.l2))

        g_loss, g_grads = jax.value_and_grad(g_objective)(params["generator"])
        with jax.numpy_dtype_promotion("standard"):
            g_upd, g_state = tx.update(g_grads, g_state, params["generator"])
            g_params = optax.apply_updates(params["generator"], g_upd)
        new = {**params, "generator": g_params, "discriminator": d_params}
        return (new, stats, (g_state, d_state), key), g_loss

    def val_loss(params, stats):
        if not has_val:
            return jnp.zeros((), jnp.float32)
        out, _ = _apply(module, params, stats, X_val, train=False)
        return loss_of(out, Y_val).astype(jnp.float32)

    def init(key):
        k_init, k_train = jax.random.split(key)
        params, stats = init_variables(module, k_init, X[:1])
        opt_state: Any = (tx.init(params["generator"]), tx_d.init(params["discriminator"]))
        return fresh_state(params, stats, opt_state, k_train)

    epoch_fn = make_epoch_fn(step, val_loss, config, X.shape[0], has_val)
    return run_training(init, epoch_fn, config, on_epoch)
