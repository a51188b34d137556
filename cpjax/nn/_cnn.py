"""1-D convolutional forecaster: a causal, dilated convolution stack (seeds 002/003's CNN row).

Layer ``i`` has kernel size ``k`` and dilation ``g**i`` (``g = dilation_growth``) with causal
(left) padding, so the feature at step ``t`` depends on inputs ``t - r + 1 .. t`` only, where
the receptive field is ``r = 1 + (k - 1) * sum_i g**i`` (:func:`receptive_field`).  With
``pool="last"`` the head reads the feature at the last step: the forecast depends on the last
``min(r, L)`` rows of the window.  ``pool="mean"`` averages the features over time instead.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import flax.linen as nn
import jax.numpy as jnp
from jaxtyping import Array, Float

from .._errors import CpjaxInputError
from ._common import Dropout, check_input, kernel_init, uses_dropout
from ._registry import ModelSpec, register_model

__all__ = ["CNNConfig", "CNNForecaster", "receptive_field"]


@dataclasses.dataclass(frozen=True)
class CNNConfig:
    """Hyperparameters of :class:`CNNForecaster`.

    Attributes:
        channels: filters per convolution layer.
        kernel_size: taps per filter (time steps).
        num_layers: convolution layers (ReLU after each).
        dilation_growth: dilation of layer ``i`` is ``dilation_growth**i`` (1: no dilation).
        pool: ``"last"`` (feature at the last step, causal) or ``"mean"`` (average over time).
        dropout: dropout rate before the head (training only).
        init: kernel initialiser (``he``, ``xavier``, ``lecun``).
    """

    channels: int = 32
    kernel_size: int = 3
    num_layers: int = 3
    dilation_growth: int = 2
    pool: str = "last"
    dropout: float = 0.1
    init: str = "he"


def receptive_field(config: CNNConfig) -> int:
    """Number of most recent time steps that the last step's feature depends on."""
    return 1 + (config.kernel_size - 1) * sum(
        config.dilation_growth ** i for i in range(config.num_layers))


class CNNForecaster(nn.Module):
    """``(B, L, F) -> (B, H)``: causal dilated Conv1D stack ``(B, L, channels)`` -> pool
    ``(B, channels)`` -> Dense(H).

    Example:
        >>> import jax, jax.numpy as jnp
        >>> m = CNNForecaster(CNNConfig(channels=8), horizon=1)
        >>> v = m.init(jax.random.key(0), jnp.zeros((2, 10, 3)))
        >>> m.apply(v, jnp.zeros((2, 10, 3))).shape
        (2, 1)
    """

    config: CNNConfig
    #: config fields the training engine may pass as traced values (one program for a batch
    #: of problems with different rates; see cpjax.train)
    dynamic_fields: ClassVar[tuple[str, ...]] = ("dropout",)
    horizon: int = 1

    def setup(self):
        cfg = self.config
        if cfg.pool not in ("last", "mean"):
            raise CpjaxInputError(f"CNN pool must be 'last' or 'mean', got {cfg.pool!r}")
        init = kernel_init(cfg.init)
        self.convs = [nn.Conv(cfg.channels, (cfg.kernel_size,), padding="CAUSAL",
                              kernel_dilation=(cfg.dilation_growth ** i,), kernel_init=init,
                              name=f"conv_{i}") for i in range(cfg.num_layers)]
        self.drop = Dropout(cfg.dropout)
        self.head = nn.Dense(self.horizon)

    def features(self, x: Float[Array, "batch lookback features"]
                 ) -> Float[Array, "batch lookback channels"]:
        """The causal feature map: step ``t`` sees inputs up to ``t`` only."""
        h = x
        for conv in self.convs:
            h = nn.relu(conv(h))
        return h

    def __call__(self, x: Float[Array, "batch lookback features"], train: bool = False
                 ) -> Float[Array, "batch horizon"]:
        check_input(x, "CNNForecaster")
        cfg = self.config
        h = self.features(x)
        pooled = h[:, -1, :] if cfg.pool == "last" else jnp.mean(h, axis=1)
        if uses_dropout(cfg.dropout):
            pooled = self.drop(pooled, not train)
        return self.head(pooled)


register_model(ModelSpec(
    name="cnn",
    kind="network",
    config_cls=CNNConfig,
    build=lambda cfg, horizon: CNNForecaster(cfg, horizon),
    description="causal dilated Conv1D stack, last-step (or mean) feature -> Dense (Flax)",
    source="seed 003 (CNN comparison row); dilations after WaveNet (van den Oord et al. 2016)",
))
