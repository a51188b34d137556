"""Conditional GAN forecaster (seed 003's GAN comparison row).

Generator ``G(x, z)``: the flattened window through ``Dense(hidden) -> ReLU``, concatenated with
noise ``z ~ N(0, I_latent)``, then ``Dense(hidden) -> ReLU -> Dense(H)``.  Discriminator
``D(x, y)``: the flattened window through ``Dense(hidden) -> LeakyReLU``, concatenated with a
continuation ``y`` (levels, ``(B, H)``), then ``Dense(hidden) -> LeakyReLU -> Dense(1)`` (a
logit).  Both live in one parameter tree (``"generator"``, ``"discriminator"``) so that saving,
loading and the seeds axis work as for every network; ``ModelSpec.trainer = "adversarial"`` makes
the Forecaster train it with :func:`cpjax.train.fit_adversarial` (adversarial + supervised loss).

**Prediction** (``module.apply(v, x)``, used for validation, ``predict`` and ``forecast``) is the
generator at a fixed noise: ``z = 0`` (the prior's mean and mode) when ``predict_draws = 0``
(default), else the mean of ``G(x, z_k)`` over ``predict_draws`` draws ``z_k`` from
``jax.random.key(noise_seed)``, the same draws for every window (deterministic and batch
independent).  Sample paths: call ``apply(v, x, z, method="generate")`` with your own noise.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import flax.linen as nn
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from ._common import check_input, kernel_init
from ._registry import ModelSpec, register_model

__all__ = ["GANConfig", "GANForecaster"]


@dataclasses.dataclass(frozen=True)
class GANConfig:
    """Hyperparameters of :class:`GANForecaster` and its adversarial training.

    Attributes:
        hidden_size: units of the hidden layers of both players.
        latent_dim: size of the generator's noise ``z``.
        adversarial_weight: weight of the generator's adversarial loss next to the supervised
            loss (``loss`` of the training config, MSE by default).
        d_lr_ratio: discriminator step size relative to the generator's.
        predict_draws: 0: predict with ``z = 0``; ``n > 0``: mean over ``n`` fixed draws.
        noise_seed: PRNG seed of those fixed draws.
        init: kernel initialiser (``he``, ``xavier``, ``lecun``).
    """

    hidden_size: int = 64
    latent_dim: int = 8
    adversarial_weight: float = 0.1
    d_lr_ratio: float = 1.0
    predict_draws: int = 0
    noise_seed: int = 0
    init: str = "he"


class _Generator(nn.Module):
    config: GANConfig
    horizon: int

    @nn.compact
    def __call__(self, x, z):
        cfg = self.config
        init = kernel_init(cfg.init)
        h = nn.relu(nn.Dense(cfg.hidden_size, kernel_init=init, name="condition")(
            x.reshape(x.shape[0], -1)))
        h = nn.relu(nn.Dense(cfg.hidden_size, kernel_init=init, name="hidden")(
            jnp.concatenate([h, z.astype(h.dtype)], axis=-1)))
        return nn.Dense(self.horizon, name="out")(h)


class _Discriminator(nn.Module):
    config: GANConfig

    @nn.compact
    def __call__(self, x, y):
        cfg = self.config
        init = kernel_init(cfg.init)
        h = nn.leaky_relu(nn.Dense(cfg.hidden_size, kernel_init=init, name="condition")(
            x.reshape(x.shape[0], -1)), 0.2)
        h = nn.leaky_relu(nn.Dense(cfg.hidden_size, kernel_init=init, name="hidden")(
            jnp.concatenate([h, y.astype(h.dtype)], axis=-1)), 0.2)
        return nn.Dense(1, name="out")(h)


class GANForecaster(nn.Module):
    """``(B, L, F) -> (B, H)``: the generator at the fixed prediction noise.

    Methods: ``generate(x, z)`` with ``z: (B, latent_dim)`` -> ``(B, H)``;
    ``discriminate(x, y)`` with ``y: (B, H)`` -> logits ``(B, 1)``.

    Example:
        >>> import jax, jax.numpy as jnp
        >>> m = GANForecaster(GANConfig(hidden_size=8, latent_dim=2), 1)
        >>> v = m.init(jax.random.key(0), jnp.zeros((2, 10, 3)))
        >>> m.apply(v, jnp.zeros((2, 10, 3))).shape
        (2, 1)
        >>> m.apply(v, jnp.zeros((2, 10, 3)), jnp.ones((2, 1)), method="discriminate").shape
        (2, 1)
    """

    config: GANConfig
    #: methods besides ``__call__`` whose output is a forecast (residual mode shifts them too,
    #: see :func:`cpjax.nn.residual`)
    forecast_methods: ClassVar[tuple[str, ...]] = ("generate",)
    horizon: int = 1

    def setup(self):
        self.generator = _Generator(self.config, self.horizon)
        self.discriminator = _Discriminator(self.config)

    def generate(self, x: Float[Array, "batch lookback features"],
                 z: Float[Array, "batch latent"], train: bool = False
                 ) -> Float[Array, "batch horizon"]:
        """``G(x, z)``: one forecast per window and noise vector."""
        return self.generator(x, z)

    def discriminate(self, x: Float[Array, "batch lookback features"],
                     y: Float[Array, "batch horizon"], train: bool = False
                     ) -> Float[Array, "batch 1"]:
        """``D(x, y)``: the logit that ``y`` is the real continuation of ``x``."""
        return self.discriminator(x, y)

    def __call__(self, x: Float[Array, "batch lookback features"], train: bool = False
                 ) -> Float[Array, "batch horizon"]:
        check_input(x, "GANForecaster")
        cfg = self.config
        b = x.shape[0]
        if cfg.predict_draws > 0:
            draws = jax.random.normal(jax.random.key(cfg.noise_seed),
                                      (cfg.predict_draws, cfg.latent_dim), jnp.float32)
            out = jnp.mean(jnp.stack([self.generator(x, jnp.broadcast_to(d, (b, cfg.latent_dim)))
                                      for d in draws]), axis=0)
        else:
            out = self.generator(x, jnp.zeros((b, cfg.latent_dim), jnp.float32))
        if self.is_initializing():
            self.discriminator(x, out)  # create the discriminator's parameters
        return out


register_model(ModelSpec(
    name="gan",
    kind="network",
    config_cls=GANConfig,
    build=lambda cfg, horizon: GANForecaster(cfg, horizon),
    description="conditional GAN: generator G(window, z) trained adversarially + MSE (Flax)",
    source="Goodfellow et al. 2014; Mirza & Osindero 2014; seed 003 (GAN comparison row)",
    trainer="adversarial",
))
