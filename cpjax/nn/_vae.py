"""Variational autoencoder forecaster (seed 003's VAE comparison row).

As the autoencoder, but the encoder gives a diagonal Gaussian ``q(z | x) = N(mu, diag(exp
logvar))``; training samples ``z = mu + exp(logvar / 2) * eps`` (reparameterisation, from the
``"dropout"`` PRNG stream the engine provides) and adds

    recon_weight * mean((decoder(z) - x)**2) + beta * KL(q(z | x) || N(0, I))

to the loss, with the closed form ``KL = 1/2 sum_j (mu_j**2 + exp(logvar_j) - 1 - logvar_j)``
averaged over the batch (:func:`gaussian_kl`).  Evaluation and prediction use ``z = mu``
(deterministic).  Both terms are sown into ``"losses"``; the validation loss omits them.
"""

from __future__ import annotations

import dataclasses

import flax.linen as nn
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from ._autoencoder import DenseStack
from ._common import check_input
from ._registry import ModelSpec, register_model

__all__ = ["VAEConfig", "VAEForecaster", "gaussian_kl"]


@dataclasses.dataclass(frozen=True)
class VAEConfig:
    """Hyperparameters of :class:`VAEForecaster`.

    Attributes:
        hidden_size: units of the hidden layer of the encoder, decoder and head.
        latent_dim: size of ``z``.
        beta: weight of the KL term (per window, summed over latent dimensions).
        recon_weight: weight of the reconstruction MSE (mean over the window's elements).
        init: kernel initialiser (``he``, ``xavier``, ``lecun``).
    """

    hidden_size: int = 64
    latent_dim: int = 8
    beta: float = 0.01
    recon_weight: float = 1.0
    init: str = "he"


def gaussian_kl(mu: Float[Array, "batch latent"], logvar: Float[Array, "batch latent"]
                ) -> Float[Array, ""]:
    """``KL(N(mu, diag(exp logvar)) || N(0, I))`` summed over latent dimensions, batch mean."""
    per = 0.5 * jnp.sum(jnp.square(mu) + jnp.exp(logvar) - 1.0 - logvar, axis=-1)
    return jnp.mean(per)


class VAEForecaster(nn.Module):
    """``(B, L, F) -> (B, H)``: encoder ``(B, L*F) -> (mu, logvar)``, each ``(B, latent_dim)``
    (sown as ``intermediates``); head on ``z`` (``mu`` in evaluation) -> ``(B, H)``; decoder
    ``z -> (B, L*F)``.

    Example:
        >>> import jax, jax.numpy as jnp
        >>> m = VAEForecaster(VAEConfig(hidden_size=8, latent_dim=2), 1)
        >>> v = m.init(jax.random.key(0), jnp.zeros((2, 10, 3)))
        >>> m.apply(v, jnp.zeros((2, 10, 3))).shape
        (2, 1)
    """

    config: VAEConfig
    horizon: int = 1

    @nn.compact
    def __call__(self, x: Float[Array, "batch lookback features"], train: bool = False
                 ) -> Float[Array, "batch horizon"]:
        check_input(x, "VAEForecaster")
        cfg = self.config
        flat = x.reshape(x.shape[0], -1)
        stats = DenseStack(cfg.hidden_size, 2 * cfg.latent_dim, cfg.init, name="encoder")(flat)
        mu, logvar = jnp.split(stats, 2, axis=-1)
        self.sow("intermediates", "mu", mu)  # read back with mutable=["intermediates"]
        self.sow("intermediates", "logvar", logvar)
        z = mu
        if train:
            eps = jax.random.normal(self.make_rng("dropout"), mu.shape, mu.dtype)
            z = mu + jnp.exp(0.5 * logvar) * eps
        if train or self.is_initializing():
            recon = DenseStack(cfg.hidden_size, flat.shape[-1], cfg.init, name="decoder")(z)
            self.sow("losses", "reconstruction",
                     cfg.recon_weight * jnp.mean(jnp.square(recon - flat)))
            self.sow("losses", "kl", cfg.beta * gaussian_kl(mu, logvar))
        out = DenseStack(cfg.hidden_size, self.horizon, cfg.init, name="head")(z)
        return out


register_model(ModelSpec(
    name="vae",
    kind="network",
    config_cls=VAEConfig,
    build=lambda cfg, horizon: VAEForecaster(cfg, horizon),
    description="variational autoencoder: z -> regression head, + reconstruction and KL (Flax)",
    source="Kingma & Welling 2014; seed 003 (VAE comparison row)",
))
