"""Recurrent comparison models: simple RNN, GRU and bidirectional LSTM (seeds 002 and 003).

All three share one config and one module: a stack of recurrent layers over the window, a summary
vector of the last layer, and a Dense head.  The summary is the last hidden state for ``rnn`` and
``gru``; for ``bilstm`` it is the forward direction's state after the last step concatenated with
the backward direction's state after the first step (each has read the whole window).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, ClassVar

import flax.linen as nn
import jax.numpy as jnp
from jaxtyping import Array, Float

from ._common import Dropout, check_input, kernel_init, uses_dropout
from ._registry import ModelSpec, register_model

__all__ = ["BiLSTM", "CELLS", "RecurrentConfig", "RecurrentForecaster", "bidirectional_lstm",
           "bidirectional_summary"]


@dataclasses.dataclass(frozen=True)
class RecurrentConfig:
    """Hyperparameters of :class:`RecurrentForecaster` (``rnn``, ``gru``, ``bilstm``).

    Attributes:
        hidden_size: units per layer (per direction for ``bilstm``: its summary has 2x).
        num_layers: stacked layers (each reads the full output sequence of the one below).
        dropout: dropout rate between layers and before the head (training only).
        init: input-kernel initialiser (``lecun`` Flax default, ``xavier``, ``he``); recurrent
            kernels are orthogonal.
        unroll: time steps unrolled per loop iteration (``True``: the whole window).
    """

    hidden_size: int = 64
    num_layers: int = 2
    dropout: float = 0.1
    init: str = "lecun"
    unroll: int | bool = 1


#: cell name -> Flax cell class: ``rnn`` h' = tanh(W_i x + b + W_h h); ``gru`` (Cho et al. 2014,
#: Flax's convention: the reset gate multiplies ``W_hn h + b_hn``); ``bilstm`` LSTM cells.
CELLS: dict[str, Callable[..., nn.RNNCellBase]] = {
    "rnn": nn.SimpleCell,
    "gru": nn.GRUCell,
    "bilstm": nn.OptimizedLSTMCell,
}


def _unroll(unroll: int | bool, length: int) -> int:
    return length if unroll is True else max(1, int(unroll))


class BiLSTM(nn.Module):
    """A bidirectional LSTM layer ``(B, L, F) -> (B, L, 2*features)``: the forward and the
    backward direction's outputs, time-aligned and concatenated (parameters ``forward``,
    ``backward``)."""

    features: int
    init: Any = nn.initializers.lecun_normal()
    unroll: int = 1

    @nn.compact
    def __call__(self, x: Float[Array, "batch lookback features"]
                 ) -> Float[Array, "batch lookback two_f"]:
        def rnn(name):
            cell = nn.OptimizedLSTMCell(self.features, kernel_init=self.init, name=name)
            return nn.RNN(cell, unroll=self.unroll)
        return nn.Bidirectional(rnn("forward"), rnn("backward"))(x)


def bidirectional_lstm(features: int, *, init: Any, unroll: int, name: str) -> BiLSTM:
    """A :class:`BiLSTM` layer called ``name``."""
    return BiLSTM(features, init, unroll, name=name)


def bidirectional_summary(h: Float[Array, "batch lookback two_f"]) -> Float[Array, "batch two_f"]:
    """``[forward state after step L, backward state after step 1]`` of a bidirectional layer."""
    half = h.shape[-1] // 2
    return jnp.concatenate([h[:, -1, :half], h[:, 0, half:]], axis=-1)


class RecurrentForecaster(nn.Module):
    """``(B, L, F) -> (B, H)``: ``num_layers`` recurrent layers -> summary -> Dense(H).

    Shapes: each layer maps ``(B, L, F_in) -> (B, L, hidden)`` (``2*hidden`` for ``bilstm``);
    the summary is ``(B, hidden)`` (``(B, 2*hidden)``).

    Example:
        >>> import jax, jax.numpy as jnp
        >>> m = RecurrentForecaster(RecurrentConfig(hidden_size=8, num_layers=1), 1, cell="gru")
        >>> v = m.init(jax.random.key(0), jnp.zeros((2, 10, 3)))
        >>> m.apply(v, jnp.zeros((2, 10, 3))).shape
        (2, 1)
    """

    config: RecurrentConfig
    #: config fields the training engine may pass as traced values (one program for a batch
    #: of problems with different rates; see cpjax.train)
    dynamic_fields: ClassVar[tuple[str, ...]] = ("dropout",)
    horizon: int = 1
    cell: str = "gru"

    @nn.compact
    def __call__(self, x: Float[Array, "batch lookback features"], train: bool = False
                 ) -> Float[Array, "batch horizon"]:
        check_input(x, f"{self.cell} forecaster")
        cfg = self.config
        init = kernel_init(cfg.init)
        unroll = _unroll(cfg.unroll, x.shape[1])
        h = x
        for i in range(cfg.num_layers):
            if self.cell == "bilstm":
                h = bidirectional_lstm(cfg.hidden_size, init=init, unroll=unroll,
                                       name=f"bilstm_{i}")(h)
            else:
                cell = CELLS[self.cell](cfg.hidden_size, kernel_init=init, name=f"{self.cell}_{i}")
                h = nn.RNN(cell, unroll=unroll)(h)
            if uses_dropout(cfg.dropout):
                h = Dropout(cfg.dropout)(h, not train)
        summary = bidirectional_summary(h) if self.cell == "bilstm" else h[:, -1, :]
        out = nn.Dense(self.horizon, name="head")(summary)
        return out


_DESCRIPTIONS = {
    "rnn": ("simple (Elman) RNN stack, last hidden state -> Dense (Flax)",
            "Elman 1990; seed 002 (RNN), seed 003 (RNN comparison row)"),
    "gru": ("GRU stack, last hidden state -> Dense (Flax)",
            "Cho et al. 2014; seed 002 (GRU), seed 003 (GRU comparison row)"),
    "bilstm": ("bidirectional LSTM stack, both directions' final states -> Dense (Flax)",
               "Schuster & Paliwal 1997; seed 003 (BiLSTM comparison row)"),
}

for _name, (_desc, _src) in _DESCRIPTIONS.items():
    register_model(ModelSpec(
        name=_name,
        kind="network",
        config_cls=RecurrentConfig,
        build=lambda cfg, horizon, _cell=_name: RecurrentForecaster(cfg, horizon, cell=_cell),
        description=_desc,
        source=_src,
    ))
