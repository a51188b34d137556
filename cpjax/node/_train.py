# ruff: noqa: F722  (jaxtyping shape strings such as "t n" are not Python expressions)
"""Training a Neural ODE through the training engine (:func:`cpjax.train.fit_problems`, kit
``"ode"`` of :mod:`cpjax.node._kit`) with an optimizer of the registry (:mod:`cpjax.optim`).

One **epoch** is one pass over every training window (panel, start month) in a shuffled order,
in batches of ``batch_size`` windows (one optimizer step per batch; the last partial batch is
dropped), followed by one validation: the engine's epoch. The history records both the epoch
and the cumulative optimizer step.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
from jaxtyping import Array, Float

from .._cache import CompileCount
from .._errors import CpjaxInputError
from ..optim import OptimizerConfig, optimizer_config, required_extra_args
from ..train import ExtraArgsContext, Problem, TrainConfig, fit_problems
from ._config import NodeConfig
from ._field import VectorField
from ._kit import (
    OdeSpec,
    initial_field,
    ode_spec,
    static_part,
    structural_config,
    val_rows,
    window_rows,
)
from ._solve import solve

__all__ = ["FitResult", "fit", "fit_many", "forecast_from", "n_windows", "node_optimizer",
           "steps_per_epoch"]


class FitResult(NamedTuple):
    """What :func:`fit` returns (one per seed or setting from :func:`fit_many`).

    Attributes:
        field: the vector field of the selected epoch.
        history: one dict per epoch: ``epoch``, ``step`` (optimizer steps so far),
            ``train_loss`` (mean over the epoch's steps), ``val_loss``, ``accepted`` (whether
            the epoch improved on the selected one and, with ``accept``, passed it); row 0 is
            the initial parameters (``epoch`` 0, ``train_loss`` NaN), never selected.
        best_epoch, best_step, best_val: the selected epoch (1-based), its step and validation
            loss. When ``accept`` rejected every improving epoch, the asked epoch with the
            lowest validation loss is returned and ``accepted`` is False. Without validation
            (``n_val=0``) the last epoch is selected and ``best_val`` is NaN.
        accepted: whether the selected epoch passed ``accept`` (True without ``accept``).
        stopped_early: True if patience ran out before ``config.epochs``.
        epochs_run: epochs trained; steps_per_epoch: optimizer steps per epoch.
        compile_seconds: time JAX spent tracing and compiling during the fit (the whole batch of
            :func:`fit_many`; 0 when every program was already compiled in this process);
            train_seconds: the rest of the fit's wall time.
        seed: the problem's seed; diverged: the loss became NaN/Inf (only with
            ``raise_on_divergence=False``; the state from before that epoch is kept).
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
    seed: int = 0
    diverged: bool = False


def node_optimizer(config: NodeConfig) -> OptimizerConfig:
    """The registry optimizer :func:`fit` uses for ``config``: ``config.optimizer`` with
    ``learning_rate``, ``weight_decay`` (``adamw``, ``sophia``), momentum 0.9 for ``sgd`` and
    global-norm clipping at ``grad_clip`` (none when 0). Its numeric settings are injected
    into the compiled program (``cpjax.optim.make_injectable_optimizer``)."""
    kw: dict[str, Any] = {}
    if config.optimizer in ("adamw", "sophia"):
        kw["weight_decay"] = config.weight_decay
    if config.optimizer == "sgd":
        kw["momentum"] = 0.9
    if config.grad_clip > 0:
        kw["clip_grad_norm"] = config.grad_clip
    return optimizer_config(config.optimizer, config.learning_rate, **kw)


def forecast_from(field: VectorField, z: Float[Array, "P T n"], times: Float[Array, "P T"],
                  origin: int | Array, horizon: int, config: NodeConfig) -> Float[Array, "P h n"]:
    """Multi-step forecasts: each panel from its observed state at index ``origin`` for
    ``horizon`` points (returns the ``horizon`` predicted states after the origin).

    Compiled once per (shapes, ``horizon``, architecture and solver of ``config``): ``origin`` is
    traced, so validation and test forecasts of equal length share one compilation.
    """
    return _forecast_jit(field, z, times, jnp.asarray(origin, dtype=jnp.int32), horizon,
                         structural_config(config))


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


def fit(times: np.ndarray, z: np.ndarray, mask: np.ndarray, n_train: int, n_val: int,
        config: NodeConfig, *, optimizer: OptimizerConfig | optax.GradientTransformation | None
        = None, extra_args_fn: Callable[[ExtraArgsContext], Mapping[str, Any]] | None = None,
        progress: bool | None = False, accept: Callable[[VectorField], bool] | None = None,
        raise_on_divergence: bool = True,
        share_shapes_with: tuple[int, int] | None = None) -> FitResult:
    """Train a Neural ODE with seed ``config.seed`` (:func:`fit_many` with one seed).

    Example:
        >>> import numpy as np
        >>> from cpjax.node import NodeConfig, fit
        >>> t = np.arange(48) / 12.0
        >>> z = np.stack([np.sin(2 * np.pi * t), np.cos(2 * np.pi * t)], -1)[None]
        >>> res = fit(t, z, np.ones((1, 2), bool), 36, 6, NodeConfig(width=8, epochs=2))
        >>> [h["epoch"] for h in res.history]
        [0, 1, 2]
    """
    return fit_many(times, z, mask, n_train, n_val, config, optimizer=optimizer,
                    extra_args_fn=extra_args_fn, progress=progress, accept=accept,
                    raise_on_divergence=raise_on_divergence,
                    share_shapes_with=share_shapes_with)[0]


def fit_many(times: np.ndarray, z: np.ndarray, mask: np.ndarray, n_train: int, n_val: int,
             config: NodeConfig, *, seeds: Sequence[int] | None = None,
             hyper: Mapping[str, float] | Sequence[Mapping[str, float]] | None = None,
             optimizer: OptimizerConfig | optax.GradientTransformation | None = None,
             extra_args_fn: Callable[[ExtraArgsContext], Mapping[str, Any]] | None = None,
             progress: bool | None = False, accept: Callable[[VectorField], bool] | None = None,
             seed_strategy: str = "auto", raise_on_divergence: bool = True,
             share_shapes_with: tuple[int, int] | None = None) -> list[FitResult]:
    """Train Neural ODEs on windows of the training part, one engine problem per seed (and
    setting); stop each early on the validation part.

    Arguments:
        times: (T,) or (P, T) time stamps in years, increasing (an irregular grid is fine).
        z: (P, T, S) standardised observations; mask: (P, S) which panel-series count in the loss.
        n_train, n_val: the first ``n_train`` points train, the next ``n_val`` validate
            (``n_val=0``: no validation; all epochs run and the last one is kept).
        config: :class:`NodeConfig` (architecture, solver, ``epochs``, ``batch_size``,
            ``patience``, ``min_delta``, ``window``, optimizer settings, ``seed``).
        seeds: the problems' seeds (default ``[config.seed]``); each has its own initial field,
            window order and Sophia probes.
        hyper: dynamic settings for every problem, or one mapping per seed: ``epochs``,
            ``patience``, ``min_delta`` and the optimizer's injectable settings
            (``learning_rate``, ``weight_decay``, ``clip_grad_norm``, Sophia's ``gamma``, ...).
            They are arguments of the one compiled program.
        optimizer: an :class:`~cpjax.optim.OptimizerConfig` of the registry (default
            :func:`node_optimizer` of ``config``), or an optax transformation used as is (its
            extra ``update`` keywords then come from ``extra_args_fn``). Sophia-H needs
            Hessian-vector products through the solve, so it switches the solve's adjoint to
            ``"direct"`` (more memory and compile time); Sophia-G and first-order optimizers use
            the checkpointed ``"recursive"`` one.
        extra_args_fn: with an optax transformation: ``f(ExtraArgsContext) -> dict`` (the batch
            loss ``loss_fn``, the weighted trajectories ``output_fn``, a PRNG ``key``).
        progress: show the engine's progress bar over epochs (``None``: when stderr is a terminal).
        accept: optional ``f(field) -> bool`` asked for each epoch that improves a problem's
            validation loss; an epoch it rejects is not selected and early stopping counts only
            accepted improvements (e.g. a long rollout that leaves its plausibility bounds). The
            engine then runs one epoch per call of the same compiled program.
        seed_strategy: ``"vmap"`` (problems side by side in one call), ``"loop"`` (one call per
            problem of the same program) or ``"auto"`` (loop on the CPU).
        raise_on_divergence: raise :class:`cpjax.train.TrainingDivergedError` (naming epoch,
            step and seed) when a loss becomes NaN/Inf, e.g. a solve exhausting ``max_steps``;
            else mark the problem ``diverged`` and keep its state from before that epoch.
        share_shapes_with: ``(n_train, n_val)`` of another fit of the same data and settings
            (the evaluation fit and its refit on every month): both are padded to common shapes
            (training windows to the larger count, the validation layout of the fit that has
            one), so the second reuses the first's compiled program. Padded minibatches are
            skipped, so one problem trains exactly as without padding.

    Training: every epoch shuffles all windows (panel, start), integrates each from its observed
    first state over ``window`` points (``vmap`` over a batch), and takes the weighted MSE.
    Validation: from the last training state, a multi-step forecast over the validation part.

    Returns:
        one :class:`FitResult` per problem (seeds x ``hyper``), the selected epoch restored.
    """
    z = np.asarray(z, dtype=np.float32)
    if z.ndim != 3:
        raise CpjaxInputError(f"z must be (panels, time points, series), got shape {z.shape}")
    P, T, S = z.shape
    times = np.broadcast_to(np.asarray(times, dtype=np.float32), (P, T))
    if np.any(np.diff(times, axis=1) <= 0):
        raise CpjaxInputError("time stamps must be strictly increasing; fix: sort the data by "
                              "date and remove duplicate dates")
    if n_train < 2 or n_val < 0 or n_train + n_val > T:
        raise CpjaxInputError(f"need n_train >= 2 and n_val >= 0 within {T} points "
                              f"(got {n_train}, {n_val})")
    sw = np.ones(S) if config.series_weights is None else np.asarray(config.series_weights)
    if sw.shape != (S,):
        raise CpjaxInputError(f"series_weights has {sw.size} entries for {S} series; "
                              "fix: give one weight per series")
    weights = np.asarray(mask, dtype=np.float32) * sw.astype(np.float32)
    X, Y = window_rows(times, z, weights, n_train, config.window)
    Xv, Yv = val_rows(times, z, weights, n_train, n_val) if n_val else (None, None)
    min_rows = 0
    if share_shapes_with is not None:
        o_train, o_val = (int(v) for v in share_shapes_with)
        if o_train < 2 or o_val < 0 or o_train + o_val > T:
            raise CpjaxInputError(f"share_shapes_with {share_shapes_with} does not fit {T} "
                                  "points")
        min_rows = n_windows(P, o_train, config)
        if not n_val and o_val:  # the other fit's validation layout, with no rows
            Xv, Yv = jax.tree.map(lambda a: a[:0], val_rows(times, z, weights, o_train, o_val))

    opt = node_optimizer(config) if optimizer is None else optimizer
    direct = isinstance(opt, OptimizerConfig) and "loss_fn" in required_extra_args(opt)
    spec = ode_spec(S, config, "direct" if direct else "recursive")
    seeds = [config.seed] if seeds is None else [int(s) for s in seeds]
    if hyper is None or isinstance(hyper, Mapping):
        hypers = [dict(hyper or {})] * len(seeds)
    else:
        hypers = [dict(h) for h in hyper]
        if len(hypers) != len(seeds):
            raise CpjaxInputError(f"hyper has {len(hypers)} settings for {len(seeds)} seeds; "
                                  "fix: one mapping per seed, or a single mapping for all")
    problems = [Problem(X, Y, Xv, Yv, seed=s, hyper=h, label=f"neural ODE seed {s}")
                for s, h in zip(seeds, hypers, strict=True)]
    tcfg = TrainConfig(epochs=config.epochs, batch_size=config.batch_size,
                       patience=config.patience, min_delta=config.min_delta,
                       seed_strategy=seed_strategy, progress=progress, label="neural_ode")
    static = static_part(spec)
    asked: list[list[tuple[int, Any]]] = [[] for _ in problems]

    def hook(j: int, epoch: int, params: Any, stats: Any) -> bool:
        asked[j].append((epoch, params))
        return bool(accept(eqx.combine(jax.tree.map(jnp.asarray, params), static)))

    t0 = time.perf_counter()
    with CompileCount() as cc:
        res = fit_problems(spec, opt, problems, tcfg, trainer="ode", extra_args_fn=extra_args_fn,
                           raise_on_divergence=raise_on_divergence,
                           accept=None if accept is None else hook, min_rows=min_rows)
        inits = [_val0(spec, static, s, times, z, weights, n_train, n_val, config)
                 for s in seeds]
    wall = time.perf_counter() - t0
    spe = max(1, X.shape[0] // min(config.batch_size, X.shape[0]))
    out = []
    for j, prob in enumerate(problems):
        params = jax.tree.map(lambda a, j=j: jnp.asarray(a[j]), res.params)
        out.append(_result(res, j, prob, eqx.combine(params, static), static, inits[j], spe,
                           config, accept is not None, asked[j], n_val > 0, cc.seconds,
                           wall - cc.seconds))
    return out


def _val0(spec: OdeSpec, static, seed: int, times, z, weights, n_train, n_val, config) -> float:
    """Validation loss of the initial field (history row 0), as the kit computes it."""
    if n_val == 0:
        return float("nan")
    field = initial_field(spec, jax.random.key(seed))
    pred = np.asarray(forecast_from(field, jnp.asarray(z), jnp.asarray(times), n_train - 1,
                                    n_val, spec.config), dtype=np.float64)
    truth = z[:, n_train:n_train + n_val].astype(np.float64)
    w = np.asarray(weights, np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        err = np.where(w[:, None, :] > 0, (pred - truth) ** 2 * w[:, None, :], 0.0)
    return float(np.sum(err) / (max(np.sum(w), 1e-12) * n_val))


def _result(res, j: int, prob: Problem, field, static, val0: float, spe: int,
            config: NodeConfig, has_accept: bool, asked, has_val: bool, compile_s: float,
            train_s: float) -> FitResult:
    """The engine's record of problem ``j`` as a :class:`FitResult` with a per-epoch history."""
    tl = np.asarray(res.history["train_loss"][:, j], np.float64)
    vl = np.asarray(res.history["val_loss"][:, j], np.float64)
    diverged = bool(res.diverged[j])
    ran = int(res.diverged_at[j][0]) - 1 if diverged else int((~np.isnan(tl)).sum())
    if has_accept:
        ok = np.asarray(res.history["accepted"][:, j]) == 1
    else:  # the engine's test, in its float32 arithmetic
        ok = np.zeros(len(tl), bool)
        best = np.float32(np.inf)
        delta = np.float32(prob.hyper.get("min_delta", config.min_delta))
        for e in range(ran):
            v = np.float32(vl[e])
            if not has_val or (np.isfinite(v) and v < best - delta):
                ok[e], best = True, (v if has_val else best)
    history = [{"epoch": 0, "step": 0, "train_loss": float("nan"), "val_loss": val0,
                "accepted": False}]
    history += [{"epoch": e + 1, "step": (e + 1) * spe, "train_loss": float(tl[e]),
                 "val_loss": float(vl[e]) if has_val else float("nan"),
                 "accepted": bool(ok[e])} for e in range(ran)]
    best = int(res.best_epoch[j])
    accepted = best > 0
    if not accepted:  # nothing selectable: the asked epoch with the lowest validation loss,
        # else the last one (the engine's parameters)
        cands = [(vl[e - 1], e, p) for e, p in asked if np.isfinite(vl[e - 1])]
        if cands:
            _, best, params = min(cands, key=lambda c: (c[0], c[1]))
            field = eqx.combine(jax.tree.map(jnp.asarray, params), static)
        else:
            best = ran
    epochs = int(prob.hyper.get("epochs", config.epochs))
    best_val = float(vl[best - 1]) if has_val and best > 0 else float("nan")
    return FitResult(field, history, best, best * spe, best_val, accepted,
                     ran < epochs and not diverged, ran, spe, compile_s, train_s, prob.seed,
                     diverged)
