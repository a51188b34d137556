"""Multilayer perceptron (DNN) on the flattened window (seed 002's MLP, seed 003's DNN)."""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import flax.linen as nn
from jaxtyping import Array, Float

from ._common import Dropout, check_input, kernel_init, uses_dropout
from ._registry import ModelSpec, register_model

__all__ = ["MLPConfig", "MLPForecaster"]


@dataclasses.dataclass(frozen=True)
class MLPConfig:
    """Hyperparameters of :class:`MLPForecaster`.

    Attributes:
        hidden_size: units per hidden layer.
        num_layers: hidden layers (ReLU), each followed by dropout.
        dropout: dropout rate after each hidden layer (training only).
        init: kernel initialiser (``xavier``, ``lecun``, ``he``).
    """

    hidden_size: int = 64
    num_layers: int = 2
    dropout: float = 0.1
    init: str = "he"


class MLPForecaster(nn.Module):
    """``(B, L, F) -> (B, H)``: flatten to ``(B, L*F)`` -> ``num_layers`` x (Dense, ReLU,
    Dropout) -> Dense(H).

    Example:
        >>> import jax, jax.numpy as jnp
        >>> m = MLPForecaster(MLPConfig(hidden_size=8), horizon=2)
        >>> v = m.init(jax.random.key(0), jnp.zeros((3, 10, 4)))
        >>> m.apply(v, jnp.zeros((3, 10, 4))).shape
        (3, 2)
    """

    config: MLPConfig
    #: config fields the training engine may pass as traced values (one program for a batch
    #: of problems with different rates; see cpjax.train)
    dynamic_fields: ClassVar[tuple[str, ...]] = ("dropout",)
    horizon: int = 1

    @nn.compact
    def __call__(self, x: Float[Array, "batch lookback features"], train: bool = False
                 ) -> Float[Array, "batch horizon"]:
        check_input(x, "MLPForecaster")
        cfg = self.config
        init = kernel_init(cfg.init)
        h = x.reshape(x.shape[0], -1)
        for i in range(cfg.num_layers):
            h = nn.relu(nn.Dense(cfg.hidden_size, kernel_init=init, name=f"dense_{i}")(h))
            if uses_dropout(cfg.dropout):
                h = Dropout(cfg.dropout)(h, not train)
        out = nn.Dense(self.horizon, name="head")(h)
        return out


register_model(ModelSpec(
    name="mlp",
    kind="network",
    config_cls=MLPConfig,
    build=lambda cfg, horizon: MLPForecaster(cfg, horizon),
    description="MLP/DNN on the flattened window: Dense+ReLU stack -> Dense (Flax)",
    source="seed 002 (MLP), seed 003 (DNN comparison row)",
))
