# ruff: noqa: F722  (jaxtyping shape strings such as "t n" are not Python expressions)
"""Training: MSE trajectory loss over windows, optax updates, early stopping on validation."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any, NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
from jaxtyping import Array, Float

from .._errors import CpjaxInputError
from ._config import NodeConfig
from ._field import VectorField
from ._solve import solve

__all__ = ["FitResult", "fit", "trajectory_loss", "make_optimizer", "forecast_from",
           "steps_per_epoch"]

# Keyword arguments every optimizer update receives (plain GradientTransformations ignore them
# through optax.with_extra_args_support): value, grad and value_fn (= the batch loss as a function
# of the parameters, also passed as obj_fn, the name optax.contrib.sophia expects).
ExtraArgsFn = Callable[[Any, Callable[[Any], Array], Array], dict]


class FitResult(NamedTuple):
    """What :func:`fit` returns.

    Attributes:
        field: the vector field with the best validation loss (restored at the end).
        history: one dict per validation: ``step``, ``train_loss`` (mean over the steps since the
            previous validation), ``val_loss``.
        best_step, best_val: where the best validation loss was reached and its value.
        stopped_early: True if patience ran out before ``config.steps``.
        compile_seconds, train_seconds: first (compiling) step, and all later steps plus
            validations.
    """

    field: VectorField
    history: list[dict]
    best_step: int
    best_val: float
    stopped_early: bool
    compile_seconds: float
    train_seconds: float


def make_optimizer(config: NodeConfig) -> optax.GradientTransformation:
    """The optax optimizer named by ``config`` (with global-norm clipping if ``grad_clip > 0``)."""
    lr = config.learning_rate
    base = {"adam": lambda: optax.adam(lr), "adabelief": lambda: optax.adabelief(lr),
            "adamw": lambda: optax.adamw(lr, weight_decay=config.weight_decay),
            "sgd": lambda: optax.sgd(lr, momentum=0.9)}[config.optimizer]()
    if config.grad_clip > 0:
        return optax.chain(optax.clip_by_global_norm(config.grad_clip), base)
    return base


def trajectory_loss(field: VectorField, z0: Float[Array, " n"], ts: Float[Array, " t"],
                    y: Float[Array, "t n"], weights: Float[Array, " n"],
                    config: NodeConfig) -> Float[Array, ""]:
    """Weighted MSE between the solved trajectory from ``z0`` and ``y`` at ``ts[1:]``.

    ``sum_i sum_s w_s (z_s(t_i) - y_s(t_i))^2 / ((T-1) sum_s w_s)`` over i = 1..T-1 (the first
    point is the initial condition itself); seed 001 eq. 5 with MSE as the spec asks.
    """
    pred = solve(field, z0, ts, config)
    err = (pred[1:] - y[1:]) ** 2 * weights[None, :]
    return jnp.sum(err) / (jnp.maximum(jnp.sum(weights), 1e-12) * (ts.shape[0] - 1))


def forecast_from(field: VectorField, z: Float[Array, "P T n"], times: Float[Array, "P T"],
                  origin: int | Array, horizon: int, config: NodeConfig) -> Float[Array, "P h n"]:
    """Multi-step forecasts: each panel from its observed state at index ``origin`` for
    ``horizon`` points (returns the ``horizon`` predicted states after the origin).

    Compiled once per (shapes, ``horizon``, ``config``): ``origin`` is traced, so validation and
    test forecasts of equal length share one compilation.
    """
    return _forecast_jit(field, z, times, jnp.asarray(origin, dtype=jnp.int32), horizon, config)


@eqx.filter_jit
def _forecast_jit(field, z, times, origin, horizon, config):
    ts = jax.lax.dynamic_slice_in_dim(times, origin, horizon + 1, axis=1)
    z0 = jax.lax.dynamic_index_in_dim(z, origin, axis=1, keepdims=False)
    traj = jax.vmap(lambda a, b: solve(field, a, b, config))(z0, ts)
    return traj[:, 1:]


def steps_per_epoch(n_panels: int, n_train: int, config: NodeConfig) -> int:
    """Optimizer steps that visit (in expectation) every training window once."""
    if config.window == 0:
        return 1
    w = min(config.window, n_train)
    return max(1, math.ceil(n_panels * (n_train - w + 1) / config.batch_size))


def fit(field: VectorField, times: np.ndarray, z: np.ndarray, mask: np.ndarray, n_train: int,
        n_val: int, config: NodeConfig, optimizer: optax.GradientTransformation | None = None,
        extra_args: ExtraArgsFn | None = None, progress: bool | None = False) -> FitResult:
    """Train ``field`` on windows of the training part; stop early on the validation part.

    Arguments:
        field: initial vector field (e.g. :func:`make_field`).
        times: (T,) or (P, T) time stamps in years, increasing (an irregular grid is fine).
        z: (P, T, S) standardised observations; mask: (P, S) which panel-series count in the loss.
        n_train, n_val: the first ``n_train`` points train, the next ``n_val`` validate.
        config: hyperparameters (:class:`NodeConfig`).
        optimizer: any ``optax.GradientTransformation`` (default :func:`make_optimizer`). Its
            ``update`` is called as ``update(grads, state, params, value=..., grad=...,
            value_fn=..., obj_fn=..., **extra_args(params, value_fn, key))``: optimizers that
            need the objective (e.g. ``optax.contrib.sophia``) get it, and ``extra_args`` can add
            anything else (e.g. a Gauss–Newton–Bartlett estimate for Sophia-G).
        extra_args: optional ``f(params, value_fn, key) -> dict`` of further update arguments.
        progress: show a progress bar (``None``: when standard error is a terminal).

    Training: each step draws ``batch_size`` windows (panel, start) uniformly, integrates each
    from its observed first state over ``window`` points (``vmap``), and takes the weighted MSE.
    Validation: from the last training state, a multi-step forecast over the validation part.

    Returns:
        :class:`FitResult` with the best-validation parameters restored.
    """
    z = np.asarray(z, dtype=np.float32)
    P, T, S = z.shape
    times = np.broadcast_to(np.asarray(times, dtype=np.float32), (P, T))
    if np.any(np.diff(times, axis=1) <= 0):
        raise CpjaxInputError("time stamps must be strictly increasing; fix: sort the data by "
                              "date and remove duplicate dates")
    if n_train < 2 or n_val < 1 or n_train + n_val > T:
        raise CpjaxInputError(f"need n_train >= 2 and n_val >= 1 within {T} points "
                              f"(got {n_train}, {n_val})")
    sw = np.ones(S) if config.series_weights is None else np.asarray(config.series_weights)
    if sw.shape != (S,):
        raise CpjaxInputError(f"series_weights has {sw.size} entries for {S} series; "
                              "fix: give one weight per series")
    weights = jnp.asarray(np.asarray(mask, dtype=np.float32) * sw.astype(np.float32))
    zj, tj = jnp.asarray(z), jnp.asarray(times)
    window = n_train if config.window == 0 else min(config.window, n_train)
    n_starts = n_train - window + 1
    opt = optax.with_extra_args_support(optimizer or make_optimizer(config))
    opt = optax.with_extra_args_support(optax.apply_if_finite(opt, max_consecutive_errors=100))

    def batch(key):
        if config.window == 0:
            return jnp.arange(P), jnp.zeros(P, dtype=jnp.int32)
        kp, ks = jax.random.split(key)
        return (jax.random.randint(kp, (config.batch_size,), 0, P),
                jax.random.randint(ks, (config.batch_size,), 0, n_starts))

    def batch_loss(params, static, panels, starts):
        f = eqx.combine(params, static)

        def one(p, s):
            ts = jax.lax.dynamic_slice_in_dim(tj[p], s, window)
            y = jax.lax.dynamic_slice_in_dim(zj[p], s, window, axis=0)
            return trajectory_loss(f, y[0], ts, y, weights[p], config)

        return jnp.mean(jax.vmap(one)(panels, starts))

    params, static = eqx.partition(field, eqx.is_inexact_array)

    @jax.jit
    def step(params, opt_state, key):
        kb, ke = jax.random.split(key)
        panels, starts = batch(kb)

        def value_fn(p):
            return batch_loss(p, static, panels, starts)

        loss, grads = jax.value_and_grad(value_fn)(params)
        extra = {} if extra_args is None else extra_args(params, value_fn, ke)
        # optax's bias correction computes ``decay ** count`` (float ** int32), which strict dtype
        # promotion rejects; the optimizer's own arithmetic runs under standard promotion.
        with jax.numpy_dtype_promotion("standard"):
            updates, opt_state = opt.update(grads, opt_state, params, value=loss, grad=grads,
                                            value_fn=value_fn, obj_fn=value_fn, **extra)
        return optax.apply_updates(params, updates), opt_state, loss

    w_np = np.asarray(weights, dtype=np.float64)
    z_val = z[:, n_train:n_train + n_val].astype(np.float64)

    def val_loss(params):
        pred = forecast_from(eqx.combine(params, static), zj, tj, n_train - 1, n_val, config)
        err = (np.asarray(pred, dtype=np.float64) - z_val) ** 2 * w_np[:, None, :]
        return float(np.sum(err) / (np.sum(w_np) * n_val))

    opt_state = opt.init(params)
    key = jax.random.key(config.seed + 1)
    best = (float(val_loss(params)), 0, params)
    history = [{"step": 0, "train_loss": float("nan"), "val_loss": best[0]}]
    bad_evals, stopped, losses = 0, False, []
    from .._progress import progress_bar  # None: a bar when stderr is a terminal

    bar = progress_bar(config.steps, "node train", "step", progress)
    t_start = time.perf_counter()
    compile_s = 0.0
    for i in range(1, config.steps + 1):
        key, sub = jax.random.split(key)
        params, opt_state, loss = step(params, opt_state, sub)
        losses.append(loss)
        if i == 1:
            jax.block_until_ready(params)
            compile_s = time.perf_counter() - t_start
            t_start = time.perf_counter()
        if bar is not None:
            bar.update(1)
        if i % config.eval_every == 0 or i == config.steps:
            v = float(val_loss(params))
            tr = float(np.mean(np.asarray(jnp.stack(losses))))
            losses = []
            history.append({"step": i, "train_loss": tr, "val_loss": v})
            if np.isfinite(v) and v < best[0]:
                best, bad_evals = (v, i, params), 0
            else:
                bad_evals += 1
                if bad_evals >= config.patience:
                    stopped = True
                    break
    if bar is not None:
        bar.close()
    train_s = time.perf_counter() - t_start
    return FitResult(eqx.combine(best[2], static), history, best[1], best[0], stopped,
                     compile_s, train_s)
