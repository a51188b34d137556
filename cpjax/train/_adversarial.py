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

import jax
import jax.numpy as jnp
import optax
from jaxtyping import Array, Float

from .._errors import CpjaxInputError
from ..nn import kernel_penalty
from ..optim import OptimizerConfig, required_extra_args
from ._config import TrainConfig
from ._engine import TrainResult, fit_network, register_kit
from ._losses import loss_elements
from ._steps import Kit, ProgramKey, apply_train, evaluate, init_optimizer, init_variables

__all__ = ["adversarial_kit", "discriminator_loss", "fit_adversarial",
           "generator_adversarial_loss"]


def discriminator_loss(real_logits: Float[Array, "b 1"], fake_logits: Float[Array, "b 1"]
                       ) -> Float[Array, ""]:
    """Binary cross-entropy with labels 1 (real) and 0 (generated), from logits:
    ``mean(-log sigmoid(real)) + mean(-log(1 - sigmoid(fake)))``."""
    return jnp.mean(jax.nn.softplus(-real_logits)) + jnp.mean(jax.nn.softplus(fake_logits))


def generator_adversarial_loss(fake_logits: Float[Array, "b 1"]) -> Float[Array, ""]:
    """Non-saturating generator loss ``mean(-log sigmoid(D(x, G(x, z))))``."""
    return jnp.mean(jax.nn.softplus(-fake_logits))


def adversarial_kit(key: ProgramKey) -> Kit:
    """One discriminator update, then one generator update, per minibatch (module docstring)."""
    if key.extra_args_fn is not None or (isinstance(key.optimizer, OptimizerConfig)
                                         and required_extra_args(key.optimizer)):
        raise CpjaxInputError("GAN training supports first-order optimizers only (adam, adamw, "
                              "rmsprop, sgd); fix: pick one of those with --optimizer")
    module = key.module
    mcfg = module.config
    latent = int(mcfg.latent_dim)
    ratio = float(mcfg.d_lr_ratio)
    tx = key.transformation()
    tx_d = tx if ratio == 1.0 else optax.chain(tx, optax.scale(ratio))
    loss_el = loss_elements(key.loss)

    def discriminate(params, x, y, rng):
        return module.apply({"params": params}, x, y, train=True, method="discriminate",
                            rngs={"dropout": rng})

    def init(rng, x0, hp):
        k_init, k_train = jax.random.split(rng)
        params, stats = init_variables(module, k_init, x0)
        states = (init_optimizer(key, tx, params["generator"], hp, k_train),
                  init_optimizer(key, tx_d, params["discriminator"], hp, k_train))
        return params, stats, states, k_train

    def step(carry, x, y, hp):
        params, stats, (g_state, d_state), rng = carry
        rng, k_z, k_fake, k_d, k_g = jax.random.split(rng, 5)
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
            loss = jnp.mean(loss_el(out, y, hp["huber_delta"])) + mcfg.adversarial_weight * adv
            loss = loss + aux
            if key.penalty:
                loss = loss + kernel_penalty(gp, hp["l1"], hp["l2"])
            return loss

        g_loss, g_grads = jax.value_and_grad(g_objective)(params["generator"])
        with jax.numpy_dtype_promotion("standard"):
            g_upd, g_state = tx.update(g_grads, g_state, params["generator"])
            g_params = optax.apply_updates(params["generator"], g_upd)
        new = {**params, "generator": g_params, "discriminator": d_params}
        return (new, stats, (g_state, d_state), rng), g_loss

    def forward(params, stats, X, hp):
        return evaluate(module, params, stats, X)

    return Kit(init, step, forward)


register_kit("adversarial", adversarial_kit)


def fit_adversarial(
    module,
    tx: OptimizerConfig | optax.GradientTransformation,
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
        tx: the optimizer used by both players (separate states).
        X, Y, X_val, Y_val, config, on_epoch: as in :func:`fit_network`.
        extra_args_fn: must be None: second-order optimizers (Sophia) are not supported here.

    Returns:
        :class:`TrainResult`; ``history["train_loss"]`` is the generator's objective.
    """
    if extra_args_fn is not None:
        raise CpjaxInputError("GAN training supports first-order optimizers only (adam, adamw, "
                              "rmsprop, sgd); fix: pick one of those with --optimizer")
    return fit_network(module, tx, X, Y, X_val, Y_val, config, on_epoch=on_epoch,
                       trainer="adversarial")
