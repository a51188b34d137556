"""Stacked LSTM forecaster (seed 000's baseline row, seed 002's output model)."""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import flax.linen as nn
from jaxtyping import Array, Float

from ._common import Dropout, check_input, uses_dropout
from ._registry import ModelSpec, register_model

__all__ = ["LSTMConfig", "LSTMForecaster"]


@dataclasses.dataclass(frozen=True)
class LSTMConfig:
    """Hyperparameters of :class:`LSTMForecaster`.

    Attributes:
        hidden_size: units per LSTM layer.
        num_layers: stacked LSTM layers (each reads the full sequence of the one below).
        dropout: dropout rate between layers and before the output head (training only).
        unroll: time steps unrolled per loop iteration of the recurrence (``True``: the whole
            window). Unrolling removes XLA's per-iteration loop overhead, which dominates on CPU
            for short windows; it lengthens compilation.
    """

    hidden_size: int = 64
    num_layers: int = 2
    dropout: float = 0.1
    unroll: int | bool = 1


class LSTMForecaster(nn.Module):
    """``(B, L, F) -> (B, H)``: stacked LSTM, last hidden state, Dense head.

    Example:
        >>> import jax, jax.numpy as jnp
        >>> m = LSTMForecaster(LSTMConfig(hidden_size=8, num_layers=1), horizon=1)
        >>> v = m.init(jax.random.key(0), jnp.zeros((2, 10, 3)), train=False)
        >>> m.apply(v, jnp.zeros((2, 10, 3)), train=False).shape
        (2, 1)
    """

    config: LSTMConfig
    #: config fields the training engine may pass as traced values (one program for a batch
    #: of problems with different rates; see cpjax.train)
    dynamic_fields: ClassVar[tuple[str, ...]] = ("dropout",)
    horizon: int = 1

    @nn.compact
    def __call__(self, x: Float[Array, "batch lookback features"], train: bool = False
                 ) -> Float[Array, "batch horizon"]:
        check_input(x, "LSTMForecaster")
        cfg = self.config
        h = x
        for i in range(cfg.num_layers):
            h = nn.RNN(nn.OptimizedLSTMCell(cfg.hidden_size), unroll=_unroll(cfg.unroll, x.shape[1]),
                       name=f"lstm_{i}")(h)
            if uses_dropout(cfg.dropout):
                h = Dropout(cfg.dropout)(h, not train)
        out = nn.Dense(self.horizon, name="head")(h[:, -1, :])
        return out


def _unroll(unroll: int | bool, length: int) -> int:
    if unroll is True:
        return length
    return max(1, int(unroll))


register_model(ModelSpec(
    name="lstm",
    kind="network",
    config_cls=LSTMConfig,
    build=lambda cfg, horizon: LSTMForecaster(cfg, horizon),
    description="stacked LSTM, last hidden state -> Dense (Flax)",
    source="Hochreiter & Schmidhuber 1997; seed 000 Table 3 row 'LSTM'",
))
