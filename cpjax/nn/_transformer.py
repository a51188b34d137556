"""Transformer encoder forecaster (seed 003's Transformer comparison row).

Input projection ``Dense(d_model)`` plus sinusoidal positions (Vaswani et al. 2017), then
``num_layers`` pre-norm encoder blocks ``h + MHA(LN(h))``, ``h + FFN(LN(h))`` (no mask: the whole
window is the past), a final LayerNorm, and a Dense head on the last step's token (or the time
mean).  Without positions every block is permutation-equivariant over time steps, and with
``pool="mean"`` the forecast is invariant to reordering the window: the tests check both.
"""

from __future__ import annotations

import dataclasses

import flax.linen as nn
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from .._errors import CpjaxInputError
from ._common import check_input
from ._registry import ModelSpec, register_model

__all__ = ["TransformerConfig", "TransformerForecaster", "sinusoidal_positions"]


@dataclasses.dataclass(frozen=True)
class TransformerConfig:
    """Hyperparameters of :class:`TransformerForecaster`.

    Attributes:
        d_model: token width (must be divisible by ``num_heads``).
        num_heads: attention heads.
        num_layers: encoder blocks.
        ff_size: hidden units of each block's feed-forward network (GELU).
        dropout: dropout rate on attention weights and block outputs (training only).
        positional: ``"sinusoidal"`` or ``"none"`` (order-blind; for tests and ablations).
        pool: ``"last"`` (token of the last step) or ``"mean"`` (average over steps).
    """

    d_model: int = 32
    num_heads: int = 4
    num_layers: int = 2
    ff_size: int = 64
    dropout: float = 0.1
    positional: str = "sinusoidal"
    pool: str = "last"


def sinusoidal_positions(length: int, width: int) -> np.ndarray:
    """``P[t, 2i] = sin(t / 10000**(2i/width))``, ``P[t, 2i+1] = cos(...)``: ``(length, width)``."""
    t = np.arange(length)[:, None]
    i = np.arange(width)[None, :]
    angle = t / np.power(10000.0, (2 * (i // 2)) / width)
    return np.where(i % 2 == 0, np.sin(angle), np.cos(angle)).astype(np.float32)


class _EncoderBlock(nn.Module):
    config: TransformerConfig

    @nn.compact
    def __call__(self, h, train: bool):
        cfg = self.config
        a = nn.MultiHeadDotProductAttention(num_heads=cfg.num_heads, dropout_rate=cfg.dropout,
                                            deterministic=not train, name="attention")(
            nn.LayerNorm(name="norm_1")(h))
        h = h + nn.Dropout(cfg.dropout, deterministic=not train)(a)
        f = nn.Dense(cfg.ff_size, name="ff_1")(nn.LayerNorm(name="norm_2")(h))
        f = nn.Dense(cfg.d_model, name="ff_2")(nn.gelu(f))
        return h + nn.Dropout(cfg.dropout, deterministic=not train)(f)


class TransformerForecaster(nn.Module):
    """``(B, L, F) -> (B, H)``: tokens ``(B, L, d_model)`` -> encoder blocks -> pool
    ``(B, d_model)`` -> Dense(H).

    Example:
        >>> import jax, jax.numpy as jnp
        >>> m = TransformerForecaster(TransformerConfig(d_model=8, num_heads=2), horizon=1)
        >>> v = m.init(jax.random.key(0), jnp.zeros((2, 10, 3)))
        >>> m.apply(v, jnp.zeros((2, 10, 3))).shape
        (2, 1)
    """

    config: TransformerConfig
    horizon: int = 1

    def setup(self):
        cfg = self.config
        if cfg.d_model % cfg.num_heads:
            raise CpjaxInputError(f"d_model ({cfg.d_model}) must be divisible by num_heads "
                                  f"({cfg.num_heads}); fix: e.g. d_model={4 * cfg.num_heads}")
        if cfg.positional not in ("sinusoidal", "none"):
            raise CpjaxInputError(f"positional must be 'sinusoidal' or 'none', got "
                                  f"{cfg.positional!r}")
        if cfg.pool not in ("last", "mean"):
            raise CpjaxInputError(f"Transformer pool must be 'last' or 'mean', got {cfg.pool!r}")
        self.embed = nn.Dense(cfg.d_model)
        self.blocks = [_EncoderBlock(cfg, name=f"block_{i}") for i in range(cfg.num_layers)]
        self.norm = nn.LayerNorm()
        self.head = nn.Dense(self.horizon)

    def encode(self, x: Float[Array, "batch lookback features"], train: bool = False
               ) -> Float[Array, "batch lookback d_model"]:
        """The encoder's output tokens, one per time step."""
        h = self.embed(x)
        if self.config.positional == "sinusoidal":
            h = h + jnp.asarray(sinusoidal_positions(x.shape[1], self.config.d_model))[None]
        for block in self.blocks:
            h = block(h, train)
        return self.norm(h)

    def __call__(self, x: Float[Array, "batch lookback features"], train: bool = False
                 ) -> Float[Array, "batch horizon"]:
        check_input(x, "TransformerForecaster")
        cfg = self.config
        h = self.encode(x, train)
        pooled = h[:, -1, :] if cfg.pool == "last" else jnp.mean(h, axis=1)
        return self.head(pooled)


register_model(ModelSpec(
    name="transformer",
    kind="network",
    config_cls=TransformerConfig,
    build=lambda cfg, horizon: TransformerForecaster(cfg, horizon),
    description="Transformer encoder (pre-norm, sinusoidal positions), last token -> Dense (Flax)",
    source="Vaswani et al. 2017; seed 003 (Transformer comparison row)",
))
