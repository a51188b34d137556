# ruff: noqa: F722  (jaxtyping shape strings such as "t n" are not Python expressions)
"""The learned vector field ``f(z, t; θ)``: an MLP over the state and features of time."""

from __future__ import annotations

import math

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, PRNGKeyArray

from ._config import NodeConfig

__all__ = ["VectorField", "time_features", "n_time_features", "make_field"]

_ACT = {"relu": jax.nn.relu, "softplus": jax.nn.softplus, "tanh": jnp.tanh}


def n_time_features(kind: str) -> int:
    """Number of inputs that :func:`time_features` adds for ``kind``."""
    return {"none": 0, "raw": 1, "seasonal": 2, "annual": 3}[kind]


def time_features(t: Float[Array, ""], kind: str) -> Float[Array, " k"]:
    """Features of time ``t`` (in years) fed to the MLP.

    ``"raw"``: ``[t]``; ``"seasonal"``: ``[sin 2πt, cos 2πt]`` (one annual harmonic: periodic
    forcing, so the trend must come from the state dynamics and nothing extrapolates in ``t``);
    ``"annual"``: ``[t, sin 2πt, cos 2πt]``; ``"none"``: no time input (an autonomous ODE).
    """
    t = jnp.asarray(t)
    if kind == "none":
        return jnp.zeros((0,), dtype=t.dtype)
    if kind == "raw":
        return t[None]
    w = 2.0 * math.pi
    if kind == "seasonal":
        return jnp.stack([jnp.sin(w * t), jnp.cos(w * t)])
    return jnp.stack([t, jnp.sin(w * t), jnp.cos(w * t)])


class VectorField(eqx.Module):
    """``dz/dt = f(z, t; θ) - κ z`` with ``f`` an MLP (seed 001 eq. 2 and §1.2).

    Input: the state ``z`` (n,) concatenated with :func:`time_features` of ``t``; hidden layers
    with the chosen activation; a linear output of size ``n`` (the rate of change per year).
    ``κ = config.decay`` (1/year, default 0) pulls the state towards 0, the training mean.

    Example:
        >>> import jax
        >>> f = VectorField(3, NodeConfig(width=16, depth=1), key=jax.random.key(0))
        >>> f(0.0, jnp.zeros(3), None).shape
        (3,)
    """

    mlp: eqx.nn.MLP
    time_kind: str = eqx.field(static=True)
    decay: float = eqx.field(static=True)

    def __init__(self, n_state: int, config: NodeConfig, *, key: PRNGKeyArray):
        self.time_kind = config.time_features
        self.decay = float(config.decay)
        self.mlp = eqx.nn.MLP(
            in_size=n_state + n_time_features(config.time_features),
            out_size=n_state,
            width_size=config.width,
            depth=config.depth,
            activation=_ACT[config.activation],
            key=key,
        )

    def __call__(self, t: Float[Array, ""], z: Float[Array, " n"], args: object) -> Float[Array, " n"]:
        tf = time_features(t, self.time_kind).astype(z.dtype)
        out = self.mlp(jnp.concatenate([z, tf]))
        return out - self.decay * z if self.decay else out


def make_field(n_state: int, config: NodeConfig, seed: int | None = None) -> VectorField:
    """A freshly initialised :class:`VectorField` (seed defaults to ``config.seed``)."""
    key = jax.random.key(config.seed if seed is None else seed)
    return VectorField(n_state, config, key=key)
