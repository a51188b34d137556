"""ASPP1D: atrous spatial pyramid pooling in 1-D with CondConv (seed 000 §3.3)."""

from __future__ import annotations

import warnings

import flax.linen as nn
import jax.numpy as jnp
from jaxtyping import Array, Float

from ._common import Dropout, uses_dropout
from ._condconv import CondConv1D, conv1d

__all__ = ["ASPP1D", "AtrousConv1D"]


class AtrousConv1D(nn.Module):
    """Dilated ("atrous") 1-D convolution with bias: ``y[i] = sum_k w[k] x[i + d*(k - (K-1)/2)] + b``.

    Shapes: ``(B, L, C_in) -> (B, L, features)`` ("same" zero padding).
    """

    features: int
    kernel_size: int = 3
    dilation: int = 1

    @nn.compact
    def __call__(self, x: Float[Array, "batch length cin"]) -> Float[Array, "batch length features"]:
        kernel = self.param("kernel", nn.initializers.lecun_normal(in_axis=(0, 1), out_axis=2),
                            (self.kernel_size, x.shape[-1], self.features), jnp.float32)
        bias = self.param("bias", nn.initializers.zeros, (self.features,), jnp.float32)
        return conv1d(x, kernel, self.dilation) + bias.astype(x.dtype)[None, None, :]


class ASPP1D(nn.Module):
    """Five parallel branches over a window, fused (DeepLab's ASPP adapted to time series).

    Branches on the input ``(B, L, C_in)`` (channels-last; seed 000 writes ``(B, C, L)``):

    1. CondConv1D (kernel ``condconv_kernel``, default 1 as DeepLab's 1x1 branch);
    2-4. atrous convolutions, kernel 3, dilations ``rates`` (default 1, 2, 3 for L = 10);
    5. global average pooling over L -> 1x1 convolution -> broadcast back over L.

    The five ``(B, L, features)`` maps are concatenated (``5*features`` channels) ->
    CondConv1D (1x1) -> BatchNorm -> ReLU -> Dropout -> ``(B, L, features)``.

    BatchNorm keeps running statistics in the ``batch_stats`` collection: call with
    ``train=True, mutable=["batch_stats"]`` while training and ``train=False`` otherwise
    (:func:`cpjax.train.fit_network` does both).  A rate with ``rate >= L`` mostly reads the zero
    padding: a ``UserWarning`` says so when the module is traced.

    Attributes:
        features: output channels (and channels of every branch).
        rates: dilations of the atrous branches.
        num_experts: experts of both CondConv layers.
        dropout: dropout rate after the fusion (training only).
        condconv_kernel: kernel size of the CondConv branch.
    """

    features: int = 32
    rates: tuple[int, ...] = (1, 2, 3)
    num_experts: int = 4
    dropout: float = 0.1
    condconv_kernel: int = 1
    bn_momentum: float = 0.9

    @nn.compact
    def __call__(self, x: Float[Array, "batch length cin"], train: bool = False
                 ) -> Float[Array, "batch length features"]:
        length = x.shape[1]
        too_wide = [r for r in self.rates if r >= length]
        if too_wide:
            warnings.warn(f"ASPP1D: dilation rate(s) {too_wide} >= window length {length}: those "
                          "branches see mostly zero padding; choose smaller rates", stacklevel=2)
        F = self.features
        branches = [CondConv1D(F, self.condconv_kernel, 1, self.num_experts, self.dropout,
                               name="condconv_branch")(x, train)]
        for r in self.rates:
            branches.append(AtrousConv1D(F, 3, int(r), name=f"atrous_{r}")(x))
        pooled = nn.Dense(F, name="pool_1x1")(jnp.mean(x, axis=1))  # (B, F)
        branches.append(jnp.broadcast_to(pooled[:, None, :], (x.shape[0], length, F)))
        h = jnp.concatenate(branches, axis=-1)
        h = CondConv1D(F, 1, 1, self.num_experts, self.dropout, name="fuse")(h, train)
        h = nn.BatchNorm(use_running_average=not train, momentum=self.bn_momentum, epsilon=1e-5,
                         name="bn")(h)
        h = nn.relu(h)
        if uses_dropout(self.dropout):
            h = Dropout(self.dropout)(h, not train)
        return h
