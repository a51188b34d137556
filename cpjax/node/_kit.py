# ruff: noqa: F722  (jaxtyping shape strings such as "t n" are not Python expressions)
"""The Neural ODE as a kit of the training engine (:mod:`cpjax.train`): what one step and one
validation of one problem do. Epochs, shuffling, early stopping, the NaN guard, seeds and settings
side by side are the engine's.

Rows (the engine's leading axis) are **windows**: ``X`` = time stamps ``(n, L)`` in years,
``Y = {"z": (n, L, S), "w": (n, S)}`` = the observed standardised states (row 0 of a window is
its initial condition) and the per-series loss weights of the window's panel (mask x
``series_weights``). Training windows are every (panel, start month) of ``window`` points of the
training part; validation rows are one window per panel, from the last training month over the
validation part (the multi-step forecast).

The compiled program depends on :class:`OdeSpec` (the field's architecture, the solver and the
adjoint), the optimizer's structure and the batch size; data, seeds, learning rate, weight decay,
gradient clip, Sophia's gamma, epochs, patience and min_delta are its arguments.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
from jaxtyping import Array, Float

from .._errors import CpjaxInputError
from ..optim import OptimizerConfig, extra_update_args, required_extra_args
from ..train import ExtraArgsContext, Kit, ProgramKey, init_optimizer, register_kit
from ._config import NodeConfig
from ._field import VectorField
from ._solve import ADJOINTS, solve

__all__ = ["OdeSpec", "initial_field", "ode_kit", "ode_spec", "static_part", "structural_config",
           "trajectory_loss", "val_rows", "window_rows"]

#: NodeConfig fields that shape the compiled program (the field's architecture and the solver).
_STRUCTURE = ("width", "depth", "activation", "time_features", "decay", "solver", "rtol",
              "atol", "dt0_years", "max_steps")


@dataclasses.dataclass(frozen=True)
class OdeSpec:
    """What an ODE training program is compiled for (hashable; the engine's ``ProgramKey.module``).

    Attributes:
        n_state: number of series (the state's size).
        config: a :class:`NodeConfig` holding only the architecture and solver fields
            (``_STRUCTURE``); every other field at its default, so that fits differing in
            training settings share the program.
        adjoint: ``"recursive"`` or ``"direct"`` (see :data:`cpjax.node.ADJOINTS`).
    """

    n_state: int
    config: NodeConfig
    adjoint: str = "recursive"


def structural_config(config: NodeConfig) -> NodeConfig:
    """``config`` with only the architecture and solver fields kept (the rest at defaults): the
    key under which solves and training programs are compiled."""
    return NodeConfig(**{k: getattr(config, k) for k in _STRUCTURE})


def ode_spec(n_state: int, config: NodeConfig, adjoint: str = "recursive") -> OdeSpec:
    """The :class:`OdeSpec` of ``config`` (its training settings dropped)."""
    if adjoint not in ADJOINTS:
        raise CpjaxInputError(f"adjoint must be one of {', '.join(ADJOINTS)}, got {adjoint!r}")
    return OdeSpec(int(n_state), structural_config(config), adjoint)


def initial_field(spec: OdeSpec, seed_key: Array) -> VectorField:
    """The vector field a problem with PRNG key ``seed_key`` (``jax.random.key(seed)``) starts
    from; the rest of the key drives shuffling and Sophia's probes (:func:`ode_kit`)."""
    return VectorField(spec.n_state, spec.config, key=jax.random.split(seed_key)[0])


@functools.lru_cache(maxsize=64)
def static_part(spec: OdeSpec):
    """The non-array part of the field (``eqx.partition``'s second half), traced once per spec
    for shapes only: no computation, nothing compiled."""
    shapes = eqx.filter_eval_shape(initial_field, spec, jax.random.key(0))
    return eqx.partition(shapes, lambda x: isinstance(x, jax.ShapeDtypeStruct))[1]


def trajectory_loss(field: VectorField, z0: Float[Array, " n"], ts: Float[Array, " t"],
                    y: Float[Array, "t n"], weights: Float[Array, " n"], config: NodeConfig,
                    adjoint: str = "recursive") -> Float[Array, ""]:
    """Weighted MSE between the solved trajectory from ``z0`` and ``y`` at ``ts[1:]``.

    ``sum_i sum_s w_s (z_s(t_i) - y_s(t_i))^2 / ((T-1) sum_s w_s)`` over i = 1..T-1 (the first
    point is the initial condition itself); seed 001 eq. 5 with MSE as the spec asks.
    """
    pred = solve(field, z0, ts, config, adjoint)
    err = jnp.where(weights[None, :] > 0, (pred[1:] - y[1:]) ** 2 * weights[None, :], 0.0)
    return jnp.sum(err) / (jnp.maximum(jnp.sum(weights), 1e-12) * (ts.shape[0] - 1))


def window_rows(times: np.ndarray, z: np.ndarray, weights: np.ndarray, n_train: int,
                window: int) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Training rows: every (panel, start) window of ``window`` points (``0``: the whole
    training part) inside the first ``n_train`` points, panel-major.

    Arguments:
        times: ``(P, T)`` years; z: ``(P, T, S)``; weights: ``(P, S)``.

    Returns:
        ``(X, Y)``: ``X`` ``(n, L)`` times, ``Y = {"z": (n, L, S), "w": (n, S)}``.
    """
    L = n_train if window == 0 else min(window, n_train)
    starts = range(n_train - L + 1)
    P = z.shape[0]
    X = np.stack([times[p, s:s + L] for p in range(P) for s in starts]).astype(np.float32)
    Z = np.stack([z[p, s:s + L] for p in range(P) for s in starts]).astype(np.float32)
    W = np.repeat(np.asarray(weights, np.float32), len(starts), axis=0)
    return X, {"z": Z, "w": W}


def val_rows(times: np.ndarray, z: np.ndarray, weights: np.ndarray, n_train: int,
             n_val: int) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Validation rows: per panel, the window from the last training point (its initial state)
    over the ``n_val`` validation points (same layout as :func:`window_rows`)."""
    sl = slice(n_train - 1, n_train + n_val)
    return (np.asarray(times[:, sl], np.float32),
            {"z": np.asarray(z[:, sl], np.float32), "w": np.asarray(weights, np.float32)})


def _weighted_outputs(pred: Array, w: Array) -> Array:
    """Predictions scaled so that the mean of their squared errors is the weighted loss (the
    outputs Sophia-G's Gauss-Newton-Bartlett estimate needs): ``pred[:, 1:] * sqrt(w S / sum w)``."""
    c = jnp.sqrt(w * w.shape[-1] / jnp.maximum(jnp.sum(w, axis=-1, keepdims=True), 1e-12))
    return pred[:, 1:] * c[:, None, :]


def ode_kit(key: ProgramKey) -> Kit:
    """The engine's kit for ``trainer="ode"`` (module docstring): one optimizer step on a batch
    of windows (each integrated from its first state, ``vmap``), validation by the multi-step
    forecast over the validation part."""
    spec: OdeSpec = key.module
    if key.penalty:
        raise CpjaxInputError("L1/L2 penalties are not available for the Neural ODE; fix: use "
                              "weight_decay with adamw or sophia")
    cfg, adjoint = spec.config, spec.adjoint
    tx = key.transformation()
    static = static_part(spec)
    needs_extra = (isinstance(key.optimizer, OptimizerConfig)
                   and bool(required_extra_args(key.optimizer)))

    def trajectories(params, t, z):
        f = eqx.combine(params, static)
        return jax.vmap(lambda ti, zi: solve(f, zi[0], ti, cfg, adjoint))(t, z)

    def init(rng, x0, hp):
        params = eqx.filter(initial_field(spec, rng), eqx.is_inexact_array)
        k_train = jax.random.split(rng)[1]
        return params, {}, init_optimizer(key, tx, params, hp, k_train), k_train

    def step(carry, t, y, hp):
        params, stats, opt_state, rng = carry
        rng, k_extra = jax.random.split(rng)

        def objective(p):
            f = eqx.combine(p, static)
            return jnp.mean(jax.vmap(lambda ti, zi, wi: trajectory_loss(
                f, zi[0], ti, zi, wi, cfg, adjoint))(t, y["z"], y["w"]))

        def outputs(p):
            return _weighted_outputs(trajectories(p, t, y["z"]), y["w"])

        loss, grads = jax.value_and_grad(objective)(params)
        extra: dict[str, Any] = {}
        if needs_extra:
            extra = extra_update_args(key.optimizer, loss_fn=objective, output_fn=outputs,
                                      probe_key=k_extra)
        elif key.extra_args_fn is not None:
            extra = key.extra_args_fn(ExtraArgsContext(
                loss_fn=objective, output_fn=outputs,
                targets=_weighted_outputs(y["z"], y["w"]), loss_name="mse", key=k_extra))
        # optax's bias corrections mix Python floats with an int32 count (strict promotion)
        with jax.numpy_dtype_promotion("standard"):
            updates, opt_state = tx.update(grads, opt_state, params, **extra)
            params = optax.apply_updates(params, updates)
        return (params, stats, opt_state, rng), loss

    def val_loss(params, stats, t, y, valid, hp):
        # padded rows get t0 == t1 (nothing to integrate) and no weight
        t = jnp.where(valid[:, None], t, 0.0)
        f = eqx.combine(params, static)
        pred = jax.vmap(lambda ti, zi: solve(f, zi[0], ti, cfg))(t, y["z"])
        w = jnp.where(valid[:, None], y["w"], 0.0)
        err = jnp.where(w[:, None, :] > 0, (pred[:, 1:] - y["z"][:, 1:]) ** 2 * w[:, None, :],
                        0.0)
        return jnp.sum(err) / (jnp.maximum(jnp.sum(w), 1e-12) * (t.shape[1] - 1))

    return Kit(init, step, None, val_loss)


register_kit("ode", ode_kit)
