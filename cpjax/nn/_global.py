"""A global (cross-series) dense network with direct multi-horizon, probabilistic heads.

The input is one *packed* window per row, ``(B, L + H, C)``: rows ``0 .. L-1`` are the history
up to the forecast origin, rows ``L .. L+H-1`` the ``H`` forecast steps.  The channels are, in
this order (``cpjax.forecast`` builds them):

* ``n_hist`` historical channels, the (scaled) target first; zero on the future rows;
* ``n_futr`` future-known channels (calendar features, user covariates known in advance), on
  every row;
* ``n_static`` static channels (one-hot market, currency, type, ...), constant;
* one series index channel (constant), read when ``embed_dim > 0``.

The target history is normalised inside each window (the change from the last value divided by
the window's root-mean-square daily change ``s``, as in RevIN-style instance normalisation), so
one network serves series of any price level; outputs are in units of ``s`` around the last
value, and the output layer starts at zero: an untrained network forecasts the last value
(persistence).  Heads (``head``):

* ``"point"``: ``(B, H)``;
* ``"quantile"``: ``(B, H * Q)`` quantiles at the ascending ``quantiles``, non-crossing by
  construction (the median level's value plus cumulative softplus increments either side);
* ``"student_t"``: ``(B, H * 3)`` = ``(loc, scale, df)`` per step with ``scale > 0`` and
  ``df > 2`` (finite variance, so the exact CRPS exists).

Trained with the matching loss of :mod:`cpjax.train` (``mse``/``mae``, ``pinball:<levels>``,
``student_t``).
"""

from __future__ import annotations

import dataclasses

import flax.linen as nn
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from .._errors import CpjaxInputError

__all__ = ["GLOBAL_HEADS", "GlobalMLP", "GlobalMLPConfig", "head_outputs", "split_output"]

GLOBAL_HEADS = ("point", "quantile", "student_t")


@dataclasses.dataclass(frozen=True)
class GlobalMLPConfig:
    """Hyperparameters and channel layout of :class:`GlobalMLP`.

    Attributes:
        lookback: history rows ``L`` of the packed window.
        n_hist, n_futr, n_static: channel counts (module notes); ``n_hist >= 1``.
        n_series: number of series (size of the embedding table).
        embed_dim: learned series embedding width (0: none).
        hidden_size, num_layers: width and number of residual dense blocks.
        futr_dim: per-step projection width of the future-known channels.
        head: ``"point"``, ``"quantile"`` or ``"student_t"``.
        quantiles: ascending levels of the quantile head.
        min_scale: floor of the window scale ``s`` (scaled target units), so flat windows
            (thin markets that did not trade) do not divide by zero.
    """

    lookback: int = 30
    n_hist: int = 1
    n_futr: int = 0
    n_static: int = 0
    n_series: int = 1
    embed_dim: int = 0
    hidden_size: int = 64
    num_layers: int = 2
    futr_dim: int = 4
    head: str = "point"
    quantiles: tuple[float, ...] = ()
    min_scale: float = 1e-3

    def __post_init__(self):
        if self.head not in GLOBAL_HEADS:
            raise CpjaxInputError(f"unknown head {self.head!r}; fix: use one of "
                                  f"{', '.join(GLOBAL_HEADS)}")
        q = list(self.quantiles)
        if self.head == "quantile" and (len(q) < 2 or q != sorted(set(q))
                                        or not all(0 < v < 1 for v in q)):
            raise CpjaxInputError(f"the quantile head needs two or more distinct ascending levels "
                                  f"in (0, 1), got {q}; fix: e.g. quantiles=(0.1, 0.5, 0.9)")
        for name in ("lookback", "n_hist", "n_series", "hidden_size"):
            if int(getattr(self, name)) < 1:
                raise CpjaxInputError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.lookback < 2:
            raise CpjaxInputError("lookback must be >= 2 (the window scale uses daily changes)")


def head_outputs(config: GlobalMLPConfig) -> int:
    """Outputs per forecast step of the head."""
    return {"point": 1, "quantile": len(config.quantiles), "student_t": 3}[config.head]


def split_output(config: GlobalMLPConfig, out: np.ndarray) -> np.ndarray:
    """``(..., n, H * K)`` network output as ``(..., n, H, K)``."""
    out = np.asarray(out)
    k = head_outputs(config)
    return out.reshape(out.shape[:-1] + (out.shape[-1] // k, k))


class GlobalMLP(nn.Module):
    """``(B, L + H, C) -> (B, H * K)`` (module notes).

    Example:
        >>> import jax, jax.numpy as jnp
        >>> cfg = GlobalMLPConfig(lookback=8, head="quantile", quantiles=(0.1, 0.5, 0.9))
        >>> m = GlobalMLP(cfg, horizon=3)
        >>> v = m.init(jax.random.key(0), jnp.zeros((2, 11, 2)))
        >>> m.apply(v, jnp.zeros((2, 11, 2))).shape
        (2, 9)
    """

    config: GlobalMLPConfig
    horizon: int = 1

    @nn.compact
    def __call__(self, x: Float[Array, "batch rows channels"], train: bool = False
                 ) -> Float[Array, "batch outputs"]:
        c, H = self.config, self.horizon
        L, B = c.lookback, x.shape[0]
        need = c.n_hist + c.n_futr + c.n_static + 1
        if x.ndim != 3 or x.shape[1] != L + H or x.shape[2] != need:
            raise CpjaxInputError(f"GlobalMLP expects windows (B, {L + H}, {need}) (lookback + "
                                  f"horizon rows; hist, futr, static, id channels), got {x.shape}")
        y = x[:, :L, 0]
        last = y[:, -1]
        s = jnp.sqrt(jnp.mean(jnp.square(jnp.diff(y, axis=1)), axis=1) + c.min_scale ** 2)
        parts = [jnp.clip((y - last[:, None]) / s[:, None], -50.0, 50.0),
                 last[:, None], jnp.log(s)[:, None]]
        if c.n_hist > 1:
            parts.append(x[:, :L, 1:c.n_hist].reshape(B, -1))
        a = c.n_hist
        if c.n_futr:
            f = nn.Dense(c.futr_dim, name="futr_proj")(x[:, :, a:a + c.n_futr])
            parts.append(nn.relu(f).reshape(B, -1))
        a += c.n_futr
        if c.n_static:
            parts.append(x[:, 0, a:a + c.n_static])
        if c.embed_dim:
            ids = jnp.clip(x[:, 0, -1].astype(jnp.int32), 0, c.n_series - 1)
            parts.append(nn.Embed(c.n_series, c.embed_dim, name="series_embedding")(ids))
        h = nn.Dense(c.hidden_size, name="encoder")(jnp.concatenate(parts, axis=1))
        for i in range(c.num_layers):
            r = nn.relu(nn.Dense(c.hidden_size, name=f"block_{i}_a")(nn.LayerNorm()(h)))
            h = h + nn.Dense(c.hidden_size, name=f"block_{i}_b")(r)
        k = head_outputs(c)
        raw = nn.Dense(H * k, kernel_init=nn.initializers.zeros, name="head")(nn.relu(h))
        raw = raw.reshape(B, H, k)
        base = last[:, None] + s[:, None] * raw[..., 0]
        if c.head == "point":
            return base
        if c.head == "student_t":
            scale = s[:, None] * (nn.softplus(raw[..., 1]) + 1e-3)
            df = 2.0 + nn.softplus(raw[..., 2] + 3.0)
            return jnp.stack([base, scale, df], axis=-1).reshape(B, H * 3)
        # quantiles: ascending cumulative softplus steps, shifted so the median level sits at base
        steps = nn.softplus(raw[..., 1:] - 1.0) + 1e-4
        z = jnp.concatenate([jnp.zeros_like(steps[..., :1]), jnp.cumsum(steps, axis=-1)], -1)
        m = int(np.argmin(np.abs(np.asarray(c.quantiles) - 0.5)))
        q = base[..., None] + s[:, None, None] * (z - z[..., m:m + 1])
        return q.reshape(B, H * k)
