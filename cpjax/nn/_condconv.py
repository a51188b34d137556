"""1-D convolution helpers and CondConv1D (conditionally parameterised convolution).

Axis convention: Flax is channels-last, so every module here takes ``(B, L, C)`` where seed 000
and PyTorch write ``(B, C, L)``. Padding is "same" with zeros: a kernel of size K and dilation d
is padded ``d*(K-1)//2`` on the left and the rest on the right (PyTorch's ``padding=d`` for K=3).
"""

from __future__ import annotations

import flax.linen as nn
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from ._common import Dropout, uses_dropout

__all__ = ["CondConv1D", "conv1d", "unfold1d"]


def unfold1d(x: Float[Array, "batch length channels"], kernel_size: int, dilation: int = 1
             ) -> Float[Array, "batch length taps channels"]:
    """The K taps each output position reads, zero-padded "same": ``(B, L, K, C)``.

    ``out[:, i, k] = x[:, i - left + k*dilation]`` (zero outside ``0..L-1``), with
    ``left = dilation*(K-1)//2``. A convolution is then one ``einsum`` with the kernel, which on
    the CPU is cheaper than XLA's general convolution for windows of ten steps.
    """
    total = dilation * (kernel_size - 1)
    left = total // 2
    length = x.shape[1]
    xp = jnp.pad(x, ((0, 0), (left, total - left), (0, 0)))
    idx = np.arange(length)[:, None] + dilation * np.arange(kernel_size)[None, :]
    return xp[:, idx, :]


def conv1d(x: Float[Array, "batch length cin"], kernel: Float[Array, "taps cin cout"],
           dilation: int = 1) -> Float[Array, "batch length cout"]:
    """Cross-correlation (deep-learning "convolution") with "same" zero padding, no bias."""
    taps = unfold1d(x, kernel.shape[0], dilation)
    return jnp.einsum("blkc,kco->blo", taps, kernel.astype(x.dtype))


class CondConv1D(nn.Module):
    """CondConv (Yang et al. 2019) in 1-D: a per-sample mixture of ``num_experts`` kernels.

    Routing ``r = sigmoid(Dense_E(dropout(mean_L(x))))`` gives ``(B, E)`` weights; the sample's
    kernel is ``K_b = sum_e r_be W_e`` (the bias is mixed the same way) and ``y_b = conv1d(x_b, K_b)``.
    Because a convolution is linear in its kernel, ``y_b = sum_e r_be conv1d(x_b, W_e)``: the code
    convolves once with all experts stacked along the output channels and mixes with ``einsum``
    (exact, and one matrix product instead of B small ones).

    Attributes:
        features: output channels.
        kernel_size: taps K.
        dilation: spacing between taps.
        num_experts: E expert kernels.
        routing_dropout: dropout rate on the pooled vector before the routing layer (training).

    Shapes: ``(B, L, C_in) -> (B, L, features)``.

    Example:
        >>> import jax, jax.numpy as jnp
        >>> m = CondConv1D(features=4, kernel_size=3, num_experts=2)
        >>> v = m.init(jax.random.key(0), jnp.ones((2, 10, 3)))
        >>> m.apply(v, jnp.ones((2, 10, 3))).shape
        (2, 10, 4)
    """

    features: int
    kernel_size: int = 3
    dilation: int = 1
    num_experts: int = 4
    routing_dropout: float = 0.0

    @nn.compact
    def __call__(self, x: Float[Array, "batch length cin"], train: bool = False
                 ) -> Float[Array, "batch length features"]:
        cin, E, F = x.shape[-1], self.num_experts, self.features
        kernels = self.param("kernel", nn.initializers.lecun_normal(in_axis=(1, 2), out_axis=3,
                                                                    batch_axis=(0,)),
                             (E, self.kernel_size, cin, F), jnp.float32)
        bias = self.param("bias", nn.initializers.zeros, (E, F), jnp.float32)
        pooled = jnp.mean(x, axis=1)
        if uses_dropout(self.routing_dropout):
            pooled = Dropout(self.routing_dropout)(pooled, not train)
        r = nn.sigmoid(nn.Dense(E, name="routing")(pooled))  # (B, E)
        stacked = jnp.transpose(kernels, (1, 2, 0, 3)).reshape(self.kernel_size, cin, E * F)
        per_expert = conv1d(x, stacked, self.dilation).reshape(x.shape[0], x.shape[1], E, F)
        y = jnp.einsum("blef,be->blf", per_expert, r.astype(x.dtype))
        return y + (r @ bias.astype(x.dtype))[:, None, :]
