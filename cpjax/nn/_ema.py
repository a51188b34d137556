"""EMA1D: efficient multi-scale attention (Ouyang et al. 2023) adapted to 1-D (seed 000 §3.2)."""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from .._errors import CpjaxInputError
from ._condconv import conv1d

__all__ = ["EMA1D"]


class EMA1D(nn.Module):
    """Grouped attention over channels and time; the output has the input's shape.

    Channels-last input ``x: (B, T, C)`` (the spec's ``(B, C, T)`` transposed); with G groups and
    ``cg = C / G`` the forward pass is, per group ``gx: (B*G, cg, T)``::

        xc  = mean_T(gx)                                  # (BG, cg, 1)
        hw  = conv1x1(concat([gx, xc], axis=T))           # shared cg -> cg, bias: (BG, cg, T+1)
        x1  = GroupNorm_per_channel(gx * sigmoid(hw[..., :T]) * sigmoid(hw[..., T:]))
        x2  = conv1d_k3(gx, padding=1)                    # cg -> cg, bias
        x11 = softmax_c(mean_T(x1)); x21 = softmax_c(mean_T(x2))         # (BG, cg)
        w   = x11 @ x2 + x21 @ x1                         # (BG, 1, T)
        out = gx * sigmoid(w)

    GroupNorm has one group per channel (statistics over T), ``eps = 1e-5`` and a per-channel
    scale and bias (PyTorch's ``nn.GroupNorm(cg, cg)``; Flax's defaults differ).

    Attributes:
        groups: G; must divide the number of channels.

    Example:
        >>> import jax, jax.numpy as jnp
        >>> m = EMA1D(groups=2)
        >>> v = m.init(jax.random.key(0), jnp.ones((3, 10, 8)))
        >>> m.apply(v, jnp.ones((3, 10, 8))).shape
        (3, 10, 8)
    """

    groups: int = 4
    epsilon: float = 1e-5

    @nn.compact
    def __call__(self, x: Float[Array, "batch time channels"]) -> Float[Array, "batch time channels"]:
        B, T, C = x.shape
        G = self.groups
        if G <= 0 or C % G:
            raise CpjaxInputError(f"EMA1D: {C} channels cannot be split into {G} groups; fix: "
                                  "choose groups that divide the channel count")
        cg = C // G
        # (B, T, C) -> (B, T, G, cg) -> (B*G, T, cg): channels-last per group.
        gx = x.reshape(B, T, G, cg).transpose(0, 2, 1, 3).reshape(B * G, T, cg)
        xc = jnp.mean(gx, axis=1, keepdims=True)  # (BG, 1, cg)
        hw = nn.Dense(cg, name="conv1x1")(jnp.concatenate([gx, xc], axis=1))  # (BG, T+1, cg)
        x_h, x_w = hw[:, :T, :], hw[:, T:, :]
        gated = gx * nn.sigmoid(x_h) * nn.sigmoid(x_w)
        mu = jnp.mean(gated, axis=1, keepdims=True)
        var = jnp.mean(jnp.square(gated - mu), axis=1, keepdims=True)
        scale = self.param("gn_scale", nn.initializers.ones, (cg,), jnp.float32)
        bias = self.param("gn_bias", nn.initializers.zeros, (cg,), jnp.float32)
        x1 = (gated - mu) * jax.lax.rsqrt(var + self.epsilon) * scale[None, None, :] + bias[None, None, :]
        k3 = self.param("conv3_kernel", nn.initializers.lecun_normal(in_axis=(0, 1), out_axis=2),
                        (3, cg, cg), jnp.float32)
        b3 = self.param("conv3_bias", nn.initializers.zeros, (cg,), jnp.float32)
        x2 = conv1d(gx, k3) + b3[None, None, :]
        x11 = jax.nn.softmax(jnp.mean(x1, axis=1), axis=-1)  # (BG, cg)
        x21 = jax.nn.softmax(jnp.mean(x2, axis=1), axis=-1)
        w = jnp.einsum("nc,ntc->nt", x11, x2) + jnp.einsum("nc,ntc->nt", x21, x1)  # (BG, T)
        out = gx * nn.sigmoid(w)[:, :, None]
        return out.reshape(B, G, T, cg).transpose(0, 2, 1, 3).reshape(B, T, C)
