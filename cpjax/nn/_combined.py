"""Seed 000's combined forecaster and its LSTM ablations: ASPP -> EMA -> LSTM -> Dense.

Registry names (one config dataclass, :class:`CombinedConfig`, for all three):

* ``lstm_ema``: 1x1 projection of the inputs to ``channels`` -> EMA1D -> LSTM -> Dense;
* ``lstm_aspp``: ASPP1D (``channels`` out) -> LSTM -> Dense;
* ``aspp_ema_lstm``: ASPP1D -> EMA1D (encoder) -> LSTM (decoder, last hidden state) -> Dense.

Seed 000 trains the last one with Sophia and refines it with XGBoost; those are the Forecaster's
``optimizer="sophia"`` and ``refiner="xgboost"``, not part of the network.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import flax.linen as nn
from jaxtyping import Array, Float

from ._aspp import ASPP1D
from ._common import Dropout, check_input, uses_dropout
from ._ema import EMA1D
from ._registry import ModelSpec, register_model

__all__ = ["CombinedConfig", "CombinedForecaster"]


@dataclasses.dataclass(frozen=True)
class CombinedConfig:
    """Hyperparameters of :class:`CombinedForecaster` (fields of an absent block are ignored).

    Attributes:
        channels: channels out of ASPP1D (or of the 1x1 projection when ASPP is absent), the
            EMA1D width and the LSTM's input width.
        rates: ASPP dilation rates of the three atrous branches (1, 2, 3 suit L = 10).
        num_experts: CondConv experts in ASPP.
        aspp_dropout: dropout in ASPP (CondConv routing and after the fusion).
        groups: EMA1D groups (must divide ``channels``).
        hidden_size, num_layers, dropout: the LSTM decoder (as in ``lstm``).
        unroll: LSTM time steps unrolled per loop iteration (``True``: the whole window).
    """

    channels: int = 32
    rates: tuple[int, ...] = (1, 2, 3)
    num_experts: int = 4
    aspp_dropout: float = 0.1
    groups: int = 4
    hidden_size: int = 64
    num_layers: int = 2
    dropout: float = 0.1
    unroll: int | bool = True

    def __post_init__(self):
        # JSON round trips turn the tuple into a list; keep the dataclass hashable and equal.
        object.__setattr__(self, "rates", tuple(int(r) for r in self.rates))


class CombinedForecaster(nn.Module):
    """``(B, L, F) -> (B, H)``: [ASPP1D | 1x1 projection] -> [EMA1D] -> stacked LSTM -> Dense.

    Axis convention: time is axis 1 and features/channels the last axis throughout (Flax's
    channels-last), so ASPP's and EMA's ``(B, C, L)`` of seed 000 are ``(B, L, C)`` here.
    ``batch_stats`` (ASPP's BatchNorm) is a separate variable collection: train with
    ``mutable=["batch_stats"]``, evaluate with ``train=False``; save it with the parameters.

    Example:
        >>> import jax, jax.numpy as jnp
        >>> m = CombinedForecaster(CombinedConfig(channels=8, groups=2, hidden_size=8), horizon=1)
        >>> v = m.init(jax.random.key(0), jnp.zeros((2, 10, 9)), train=False)
        >>> sorted(v)
        ['batch_stats', 'params']
    """

    config: CombinedConfig
    #: config fields the training engine may pass as traced values (one program for a batch
    #: of problems with different rates; see cpjax.train)
    dynamic_fields: ClassVar[tuple[str, ...]] = ("dropout", "aspp_dropout")
    horizon: int = 1
    use_aspp: bool = True
    use_ema: bool = True

    @nn.compact
    def __call__(self, x: Float[Array, "batch lookback features"], train: bool = False
                 ) -> Float[Array, "batch horizon"]:
        check_input(x, "CombinedForecaster")
        cfg = self.config
        if self.use_aspp:
            h = ASPP1D(cfg.channels, tuple(cfg.rates), cfg.num_experts, cfg.aspp_dropout,
                       name="aspp")(x, train)
        else:
            h = nn.Dense(cfg.channels, name="project")(x)
        if self.use_ema:
            h = EMA1D(cfg.groups, name="ema")(h)
        unroll = x.shape[1] if cfg.unroll is True else max(1, int(cfg.unroll))
        for i in range(cfg.num_layers):
            h = nn.RNN(nn.OptimizedLSTMCell(cfg.hidden_size), unroll=unroll, name=f"lstm_{i}")(h)
            if uses_dropout(cfg.dropout):
                h = Dropout(cfg.dropout)(h, not train)
        out = nn.Dense(self.horizon, name="head")(h[:, -1, :])
        return out


_SRC = "seed 000 §3.2-3.4, Table 3"
for _name, _aspp, _ema, _desc in [
    ("lstm_ema", False, True, "1x1 projection -> EMA1D attention -> LSTM -> Dense (seed 000 'LSTM+EMA')"),
    ("lstm_aspp", True, False, "ASPP1D (CondConv + atrous + pooling) -> LSTM -> Dense (seed 000 'LSTM+ASPP')"),
    ("aspp_ema_lstm", True, True, "ASPP1D -> EMA1D encoder -> LSTM decoder -> Dense (seed 000 combined)"),
]:
    register_model(ModelSpec(
        name=_name, kind="network", config_cls=CombinedConfig,
        build=(lambda a, e: lambda cfg, horizon: CombinedForecaster(cfg, horizon, a, e))(_aspp, _ema),
        description=_desc, source=_SRC))
