# ruff: noqa: F722  (jaxtyping shape strings such as "t n" are not Python expressions)
"""Training: MSE trajectory loss over windows, optax updates, epochs, early stopping on validation.

One **epoch** is one pass over every training window (panel, start month) in a shuffled order,
in batches of ``batch_size`` windows (one optimizer step per batch; the last partial batch is
dropped, as in :mod:`cpjax.train`), followed by one validation. The history records both the
epoch and the cumulative optimizer step.
"""

from __future__ import annotations

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
from .._progress import progress_bar
from ._config import NodeConfig
from ._field import VectorField
from ._solve import solve

__all__ = ["FitResult", "fit", "trajectory_loss", "make_optimizer", "forecast_from",
           "n_windows", "steps_per_epoch"]

# Keyword arguments every optimizer update receives (plain GradientTransformations ignore them
# through optax.with_extra_args_support): value, grad and value_fn (= the batch loss as a function
# of the parameters, also passed as obj_fn, the name optax.contrib.sophia expects).
ExtraArgsFn = Callable[[Any, Callable[[Any], Array], Array], dict]


class FitResult(NamedTuple):
    """What :func:`fit` returns.

    Attributes:
        field: the vector field of the best epoch (restored at the end).
        history: one dict per epoch: ``epoch``, ``step`` (optimizer steps so far),
            ``train_loss`` (mean over the epoch's steps), ``val_loss``, ``accepted`` (whether
            the epoch could be selected, see ``accept`` of :func:`fit`); row 0 is the
            initial parameters (``epoch`` 0, ``train_loss`` NaN), never selected.
        best_epoch, best_step, best_val: the selected epoch (1-based), its step and validation
            loss. When ``accept`` rejected every improving epoch, the epoch with the lowest
            validation loss is returned and ``accepted`` is False.
        accepted: whether the selected epoch passed ``accept`` (True without ``accept``).
        stopped_early: True if patience ran out before ``config.epochs``.
        epochs_run: epochs trained; steps_per_epoch: optimizer steps per epoch.
        compile_seconds, train_seconds: first (compiling) epoch, and all later epochs plus
            validations.
    """

    field: VectorField
    history: list[dict]
    best_epoch: int
    best_step: int
    best_val: float
    accepted: bool
    stopped_early: bool
    epochs_run: int
    steps_per_epoch: int
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


def n_windows(n_panels: int, n_train: int, config: NodeConfig) -> int:
    """Training windows (panel, start month) in ``n_train`` points of ``n_panels`` panels."""
    if config.window == 0:
        return n_panels
    w = min(config.window, n_train)
    return n_panels * (n_train - w + 1)


def steps_per_epoch(n_panels: int, n_train: int, config: NodeConfig) -> int:
    """Optimizer steps of one epoch: ``floor(windows / batch)``, batch ``min(batch_size, windows)``."""
    n = n_windows(n_panels, n_train, config)
    return n // min(config.batch_size, n)


def fit(field: VectorField, times: np.ndarray, z: np.ndarray, mask: np.ndarray, n_train: int,
        n_val: int, config: NodeConfig, optimizer: optax.GradientTransformation | None = None,
        extra_args: ExtraArgsFn | None = None, progress: bool | None = False,
        accept: Callable[[VectorField], bool] | None = None) -> FitResult:
    """Train ``field`` on windows of the training part, one epoch at a time (module notes);
    stop early on the validation part.

    Arguments:
        field: initial vector field (e.g. :func:`make_field`).
        times: (T,) or (P, T) time stamps in years, increasing (an irregular grid is fine).
        z: (P, T, S) standardised observations; mask: (P, S) which panel-series count in the loss.
        n_train, n_val: the first ``n_train`` points train, the next ``n_val`` validate.
        config: hyperparameters (:class:`NodeConfig`: ``epochs``, ``batch_size``,
            ``patience``, ``min_delta``, ``window``, ...).
        optimizer: any ``optax.GradientTransformation`` (default :func:`make_optimizer`). Its
            ``update`` is called as ``update(grads, state, params, value=..., grad=...,
            value_fn=..., obj_fn=..., **extra_args(params, value_fn, key))``: optimizers that
            need the objective (e.g. ``optax.contrib.sophia``) get it, and ``extra_args`` can add
            anything else (e.g. a Gauss–Newton–Bartlett estimate for Sophia-G).
        extra_args: optional ``f(params, value_fn, key) -> dict`` of further update arguments.
        progress: show a progress bar over epochs (``None``: when standard error is a terminal).
        accept: optional ``f(field) -> bool`` asked for each epoch that improves the validation
            loss; an epoch it rejects is not selected (e.g. a long rollout that leaves its
            plausibility bounds). Early stopping counts only accepted improvements.

    Training: every epoch shuffles all windows (panel, start), integrates each from its observed
    first state over ``window`` points (``vmap`` over a batch), and takes the weighted MSE.
    Validation: from the last training state, a multi-step forecast over the validation part.

    Returns:
        :class:`FitResult` with the selected epoch's parameters restored.
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
    n_starts = 1 if config.window == 0 else n_train - window + 1
    n_win = P * n_starts
    bsz = min(config.batch_size, n_win)
    n_batches = n_win // bsz
    opt = optax.with_extra_args_support(optimizer or make_optimizer(config))
    opt = optax.with_extra_args_support(optax.apply_if_finite(opt, max_consecutive_errors=100))

    def batch_loss(params, static, idx):
        f = eqx.combine(params, static)

        def one(k):
            p, s = k // n_starts, k % n_starts
            ts = jax.lax.dynamic_slice_in_dim(tj[p], s, window)
            y = jax.lax.dynamic_slice_in_dim(zj[p], s, window, axis=0)
            return trajectory_loss(f, y[0], ts, y, weights[p], config)

        return jnp.mean(jax.vmap(one)(idx))

    params, static = eqx.partition(field, eqx.is_inexact_array)

    def step(carry, idx):
        params, opt_state, key = carry
        key, ke = jax.random.split(key)

        def value_fn(p):
            return batch_loss(p, static, idx)

        loss, grads = jax.value_and_grad(value_fn)(params)
        extra = {} if extra_args is None else extra_args(params, value_fn, ke)
        # optax's bias correction computes ``decay ** count`` (float ** int32), which strict dtype
        # promotion rejects; the optimizer's own arithmetic runs under standard promotion.
        with jax.numpy_dtype_promotion("standard"):
            updates, opt_state = opt.update(grads, opt_state, params, value=loss, grad=grads,
                                            value_fn=value_fn, obj_fn=value_fn, **extra)
        return (optax.apply_updates(params, updates), opt_state, key), loss

    @jax.jit
    def epoch(params, opt_state, key):
        key, kp = jax.random.split(key)
        order = jax.random.permutation(kp, n_win)[: n_batches * bsz].reshape(n_batches, bsz)
        (params, opt_state, key), losses = jax.lax.scan(step, (params, opt_state, key), order)
        return params, opt_state, key, jnp.mean(losses)

    w_np = np.asarray(weights, dtype=np.float64)
    z_val = z[:, n_train:n_train + n_val].astype(np.float64)

    def val_loss(params):
        pred = forecast_from(eqx.combine(params, static), zj, tj, n_train - 1, n_val, config)
        err = (np.asarray(pred, dtype=np.float64) - z_val) ** 2 * w_np[:, None, :]
        return float(np.sum(err) / (np.sum(w_np) * n_val))

    opt_state = opt.init(params)
    key = jax.random.key(config.seed + 1)
    history = [{"epoch": 0, "step": 0, "train_loss": float("nan"),
                "val_loss": val_loss(params), "accepted": False}]
    best = (float("inf"), 0, params)
    best_any = (float("inf"), 0, params)  # lowest validation loss, accepted or not
    wait, stopped = 0, False
    bar = progress_bar(total=config.epochs, desc="neural_ode", unit="epoch", enabled=progress)
    t_start = time.perf_counter()
    compile_s = 0.0
    for e in range(1, config.epochs + 1):
        params, opt_state, key, loss = epoch(params, opt_state, key)
        if e == 1:
            jax.block_until_ready(params)
            compile_s = time.perf_counter() - t_start
            t_start = time.perf_counter()
        v = val_loss(params)
        if np.isfinite(v) and v < best_any[0]:
            best_any = (v, e, params)
        improved = bool(np.isfinite(v) and v < best[0] - config.min_delta)
        ok = improved and (accept is None or bool(accept(eqx.combine(params, static))))
        history.append({"epoch": e, "step": e * n_batches, "train_loss": float(loss),
                        "val_loss": v, "accepted": ok})
        bar.update(1)
        if ok:
            best, wait = (v, e, params), 0
        else:
            wait += 1
            if config.patience and wait >= config.patience:
                stopped = True
                break
    bar.close()
    train_s = time.perf_counter() - t_start
    accepted = best[1] > 0
    if not accepted:
        best = best_any if best_any[1] > 0 else (history[-1]["val_loss"], history[-1]["epoch"],
                                                 params)
    return FitResult(eqx.combine(best[2], static), history, best[1], best[1] * n_batches,
                     best[0], accepted, stopped, history[-1]["epoch"], n_batches, compile_s,
                     train_s)
