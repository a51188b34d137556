"""LSTM–CNN hybrid of seed 003 (forecasting.md §2), with parallel or cascade fusion.

Both fusions start from the same CNN stem: ``Conv(16, k=3) -> ReLU -> Conv(32, k=5) ->
BatchNorm -> ReLU`` (``SAME`` padding: ``(B, L, F) -> (B, L, 32)``).

* ``parallel`` (seed 003's main design): the CNN branch pools over time and projects,
  ``GAP -> Dense(64) -> ReLU`` ``(B, 64)``; the recurrent branch reads the raw window with two
  stacked bidirectional LSTMs of 64 units and keeps both directions' final states ``(B, 128)``;
  the two are concatenated ``(B, 192)`` -> ``Dense(64) -> ReLU`` -> attention gate -> Dense(H).
* ``cascade`` (seed 003's "simple cascaded structure"): the CNN feature maps ``(B, L, 32)`` are
  the BiLSTM's input; its summary ``(B, 128)`` -> ``Dense(64) -> ReLU`` -> gate (if
  ``attention``) -> Dense(H).

Attention gate: importance weights ``a = softmax(Dense(64)(f))`` over the 64 fused features
(``a >= 0``, ``sum a = 1``), applied as ``f * (64 * a)`` so that a uniform gate is the identity
(the constant factor is absorbed by the linear head either way).  The weights are sown as
``intermediates/attention``.

Seed 003's training recipe: Xavier (Glorot uniform) kernels (``init="xavier"``, the default
here), L1 + L2 penalties on every kernel (``l1``, ``l2``: added to the training loss through the
``"losses"`` collection, not to the validation loss), Huber loss, Adam (lr 1e-3, Keras decay
1e-4: ``schedule="inverse_time", decay_rate=1e-4, decay_unit="step"``) or RMSProp (lr 0.01
halved every 100 epochs: ``schedule="step", decay_every=100``), batch 32/64, lookback 60.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import flax.linen as nn
import jax.numpy as jnp
from jaxtyping import Array, Float

from .._errors import CpjaxInputError
from ._common import (
    Dropout,
    check_input,
    kernel_init,
    sow_kernel_penalty,
    uses_dropout,
)
from ._recurrent import _unroll, bidirectional_lstm, bidirectional_summary
from ._registry import ModelSpec, register_model

__all__ = ["AttentionGate", "HybridCascadeConfig", "HybridConfig", "HybridForecaster"]


@dataclasses.dataclass(frozen=True)
class HybridConfig:
    """Hyperparameters of :class:`HybridForecaster` (defaults: seed 003).

    Attributes:
        fusion: ``"parallel"`` (CNN and BiLSTM branches side by side) or ``"cascade"`` (CNN
            feature maps into the BiLSTM).
        attention: apply the attention gate to the fused features.
        conv1_filters, conv1_kernel: first convolution (ReLU).
        conv2_filters, conv2_kernel: second convolution (BatchNorm, ReLU).
        cnn_dense: width of the CNN branch's projection after pooling (parallel only).
        lstm_size: units per direction of each bidirectional LSTM layer.
        lstm_layers: stacked bidirectional LSTM layers.
        fusion_size: width of the fusion layer (and of the gate).
        dropout: dropout rate on the fused features (training only; seed 003: none).
        init: kernel initialiser of every layer (``xavier`` = Glorot uniform, seed 003).
        l1, l2: penalties ``l1 * sum|W| + l2 * sum W**2`` over every kernel, added to the
            training loss (sums, not means: they scale with the number of weights, ~1.5e5 here).
        unroll: LSTM time steps unrolled per loop iteration (``True``: the whole window).
    """

    fusion: str = "parallel"
    attention: bool = True
    conv1_filters: int = 16
    conv1_kernel: int = 3
    conv2_filters: int = 32
    conv2_kernel: int = 5
    cnn_dense: int = 64
    lstm_size: int = 64
    lstm_layers: int = 2
    fusion_size: int = 64
    dropout: float = 0.0
    init: str = "xavier"
    l1: float = 1e-8
    l2: float = 1e-7
    unroll: int | bool = 1


@dataclasses.dataclass(frozen=True)
class HybridCascadeConfig(HybridConfig):
    """:class:`HybridConfig` with the cascade defaults (``hybrid_cascade``): CNN feature maps
    into the BiLSTM, no attention gate (seed 003 argues the cascade needs none)."""

    fusion: str = "cascade"
    attention: bool = False


class AttentionGate(nn.Module):
    """``f -> f * (n * softmax(Dense(n)(f)))`` on ``(B, n)``; weights sown as ``attention``."""

    init: str = "xavier"

    @nn.compact
    def __call__(self, f: Float[Array, "batch n"]) -> Float[Array, "batch n"]:
        n = f.shape[-1]
        scores = nn.Dense(n, kernel_init=kernel_init(self.init), name="score")(f)
        weights = nn.softmax(scores, axis=-1)
        self.sow("intermediates", "attention", weights)
        return f * (n * weights)


class HybridForecaster(nn.Module):
    """``(B, L, F) -> (B, H)``: seed 003's LSTM–CNN hybrid (module docstring for the shapes).

    Example:
        >>> import jax, jax.numpy as jnp
        >>> m = HybridForecaster(HybridConfig(lstm_size=8, fusion_size=8), horizon=1)
        >>> v = m.init(jax.random.key(0), jnp.zeros((2, 60, 12)))
        >>> sorted(v)
        ['batch_stats', 'params']
        >>> m.apply(v, jnp.zeros((2, 60, 12))).shape
        (2, 1)
    """

    config: HybridConfig
    #: config fields the training engine may pass as traced values (one program for a batch
    #: of problems with different rates; see cpjax.train)
    dynamic_fields: ClassVar[tuple[str, ...]] = ("dropout",)
    horizon: int = 1

    @nn.compact
    def __call__(self, x: Float[Array, "batch lookback features"], train: bool = False
                 ) -> Float[Array, "batch horizon"]:
        check_input(x, "HybridForecaster")
        cfg = self.config
        if cfg.fusion not in ("parallel", "cascade"):
            raise CpjaxInputError(f"hybrid fusion must be 'parallel' or 'cascade', got "
                                  f"{cfg.fusion!r}")
        init = kernel_init(cfg.init)
        unroll = _unroll(cfg.unroll, x.shape[1])
        # CNN stem: local fluctuation features (B, L, conv2_filters)
        c = nn.relu(nn.Conv(cfg.conv1_filters, (cfg.conv1_kernel,), padding="SAME",
                            kernel_init=init, name="conv_1")(x))
        c = nn.Conv(cfg.conv2_filters, (cfg.conv2_kernel,), padding="SAME", kernel_init=init,
                    name="conv_2")(c)
        c = nn.relu(nn.BatchNorm(use_running_average=not train, momentum=0.99, name="bn")(c))

        h = c if cfg.fusion == "cascade" else x
        for i in range(cfg.lstm_layers):
            h = bidirectional_lstm(cfg.lstm_size, init=init, unroll=unroll, name=f"bilstm_{i}")(h)
        temporal = bidirectional_summary(h)  # (B, 2 * lstm_size)
        if cfg.fusion == "parallel":
            local = nn.relu(nn.Dense(cfg.cnn_dense, kernel_init=init, name="cnn_dense")(
                jnp.mean(c, axis=1)))
            fused = jnp.concatenate([local, temporal], axis=-1)
        else:
            fused = temporal
        f = nn.relu(nn.Dense(cfg.fusion_size, kernel_init=init, name="fusion")(fused))
        if cfg.attention:
            f = AttentionGate(cfg.init, name="gate")(f)
        if uses_dropout(cfg.dropout):
            f = Dropout(cfg.dropout)(f, not train)
        out = nn.Dense(self.horizon, kernel_init=init, name="head")(f)
        sow_kernel_penalty(self, cfg.l1, cfg.l2)
        return out


register_model(ModelSpec(
    name="hybrid",
    kind="network",
    config_cls=HybridConfig,
    build=lambda cfg, horizon: HybridForecaster(cfg, horizon),
    description="LSTM-CNN hybrid: CNN + BiLSTM branches, attention-gated fusion (Flax)",
    source="seed 003 (LSTM-CNN, parallel fusion); forecasting.md §2",
))
register_model(ModelSpec(
    name="hybrid_cascade",
    kind="network",
    config_cls=HybridCascadeConfig,
    build=lambda cfg, horizon: HybridForecaster(cfg, horizon),
    description="LSTM-CNN hybrid, cascade: CNN feature maps -> BiLSTM -> Dense (Flax)",
    source="seed 003 (LSTM-CNN, cascaded structure); forecasting.md §2",
))
