"""Autoencoder forecaster: encoder features + regression head, trained with a reconstruction
term (seed 003's AE comparison row).

The encoder compresses the flattened window ``(B, L*F)`` to a code ``(B, latent_dim)``; a
regression head maps the code to the forecast ``(B, H)``; a decoder maps the code back to the
window.  Training minimises ``loss(forecast, y) + recon_weight * mean((decoder(code) - x)**2)``:
the reconstruction error is sown into the ``"losses"`` collection, which the engine adds to the
objective (it is not part of the validation loss used for early stopping).
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import flax.linen as nn
import jax.numpy as jnp
from jaxtyping import Array, Float

from ._common import Dropout, check_input, kernel_init, uses_dropout
from ._registry import ModelSpec, register_model

__all__ = ["AutoencoderConfig", "AutoencoderForecaster", "DenseStack"]


@dataclasses.dataclass(frozen=True)
class AutoencoderConfig:
    """Hyperparameters of :class:`AutoencoderForecaster`.

    Attributes:
        hidden_size: units of the hidden layer of the encoder, decoder and head.
        latent_dim: size of the code.
        recon_weight: weight of the reconstruction MSE in the training loss (0: none; the
            model is then an MLP with a bottleneck).
        dropout: dropout rate on the code before the head (training only).
        init: kernel initialiser (``he``, ``xavier``, ``lecun``).
    """

    hidden_size: int = 64
    latent_dim: int = 8
    recon_weight: float = 1.0
    dropout: float = 0.0
    init: str = "he"


class DenseStack(nn.Module):
    """``Dense(hidden) -> ReLU -> Dense(out)`` on the last axis."""

    hidden: int
    out: int
    init: str = "he"

    @nn.compact
    def __call__(self, h):
        h = nn.relu(nn.Dense(self.hidden, kernel_init=kernel_init(self.init), name="hidden")(h))
        return nn.Dense(self.out, name="out")(h)


class AutoencoderForecaster(nn.Module):
    """``(B, L, F) -> (B, H)``: encoder ``(B, L*F) -> (B, latent_dim)`` -> head ``(B, H)``;
    decoder ``(B, latent_dim) -> (B, L*F)`` for the reconstruction term.

    Example:
        >>> import jax, jax.numpy as jnp
        >>> m = AutoencoderForecaster(AutoencoderConfig(hidden_size=8, latent_dim=2), 1)
        >>> v = m.init(jax.random.key(0), jnp.zeros((2, 10, 3)))
        >>> m.apply(v, jnp.zeros((2, 10, 3))).shape
        (2, 1)
    """

    config: AutoencoderConfig
    #: config fields the training engine may pass as traced values (one program for a batch
    #: of problems with different rates; see cpjax.train)
    dynamic_fields: ClassVar[tuple[str, ...]] = ("dropout",)
    horizon: int = 1

    @nn.compact
    def __call__(self, x: Float[Array, "batch lookback features"], train: bool = False
                 ) -> Float[Array, "batch horizon"]:
        check_input(x, "AutoencoderForecaster")
        cfg = self.config
        flat = x.reshape(x.shape[0], -1)
        code = DenseStack(cfg.hidden_size, cfg.latent_dim, cfg.init, name="encoder")(flat)
        if train or self.is_initializing():
            recon = DenseStack(cfg.hidden_size, flat.shape[-1], cfg.init, name="decoder")(code)
            if cfg.recon_weight:
                self.sow("losses", "reconstruction",
                         cfg.recon_weight * jnp.mean(jnp.square(recon - flat)))
        h = Dropout(cfg.dropout)(code, not train) if uses_dropout(cfg.dropout) else code
        out = DenseStack(cfg.hidden_size, self.horizon, cfg.init, name="head")(h)
        return out


register_model(ModelSpec(
    name="autoencoder",
    kind="network",
    config_cls=AutoencoderConfig,
    build=lambda cfg, horizon: AutoencoderForecaster(cfg, horizon),
    description="autoencoder: encoder code -> regression head, + reconstruction loss (Flax)",
    source="seed 003 (AE comparison row)",
))
