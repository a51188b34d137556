"""The training engine: a jit-compiled step, ``lax.scan`` epochs, early stopping, many seeds.

One epoch of one seed is a ``lax.scan`` over shuffled minibatches.  Seeds run either batched by
``jax.vmap`` (one program trains every seed) or one after another; the early-stopping state
(best parameters, best validation loss, epochs without improvement, whether the seed is still
training) lives on the device, so stopped seeds are frozen with a ``where`` and the host only
reads two small loss vectors per epoch (for the NaN guard, the progress bar and the stop test).

The training objective is ``loss(prediction, y)`` plus whatever the model sowed into its
``"losses"`` collection (``self.sow("losses", name, value)``: a VAE's KL term, an autoencoder's
reconstruction error, a penalty) plus ``TrainConfig``'s L1/L2 penalty; the validation loss used
for early stopping is ``loss`` alone.  The epoch (:func:`make_epoch_fn`) and the host loop
(:func:`run_training`) take any minibatch step, so other trainers (``_adversarial.py``) reuse them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jaxtyping import Array, Float

from .._progress import progress_bar
from ..optim import set_sophia_key, sophia_diagnostics
from ._config import TrainConfig
from ._losses import get_loss

__all__ = ["ExtraArgsContext", "TrainResult", "TrainingDivergedError", "apply_train",
           "as_training_arrays", "fit_network", "fresh_state", "init_variables",
           "make_epoch_fn", "predict_network", "resolve_seed_strategy", "run_training",
           "sown_losses"]


class TrainingDivergedError(FloatingPointError):
    """The training loss became NaN or infinite.

    Attributes:
        epoch, step, seed: where it first happened (1-based epoch and step).
        last_good: the :class:`TrainResult` built from the state before that epoch.
    """

    def __init__(self, epoch: int, step: int, seed: int, last_good: TrainResult):
        super().__init__(
            f"training loss became NaN/Inf at epoch {epoch}, step {step} (seed {seed}); the "
            "parameters from before that epoch are kept in .last_good. Try a smaller learning "
            "rate, gradient clipping, or check the inputs for extreme values.")
        self.epoch, self.step, self.seed, self.last_good = epoch, step, seed, last_good


@dataclasses.dataclass(frozen=True)
class ExtraArgsContext:
    """What an optimizer that needs more than gradients (Sophia) may use at one step.

    ``loss_fn(params)`` is the minibatch loss (same batch statistics and dropout key as the
    gradient), ``output_fn(params)`` the network's ``(B, H)`` output, ``targets`` the batch targets,
    ``loss_name`` the training loss, ``key`` a fresh PRNG key for this step.
    """

    loss_fn: Callable[[Any], Array]
    output_fn: Callable[[Any], Array]
    targets: Array
    loss_name: str
    key: Array


class TrainResult(NamedTuple):
    """Best parameters per seed (leading axis = seed) and the per-epoch history."""

    params: Any
    batch_stats: Any
    history: dict[str, np.ndarray]  # train_loss, val_loss: (epochs_run, n_seeds)
    best_epoch: np.ndarray  # (n_seeds,), 1-based
    epochs_run: int
    seeds: tuple[int, ...]


class _State(NamedTuple):
    params: Any
    batch_stats: Any
    opt_state: Any
    key: Array
    best_params: Any
    best_stats: Any
    best_val: Array
    best_epoch: Array
    wait: Array
    active: Array
    epoch: Array


def init_variables(module, key: Array, sample: Array) -> tuple[Any, Any]:
    """Initialise ``(params, batch_stats)``; ``batch_stats`` is ``{}`` for models without it."""
    k_params, k_drop = jax.random.split(key)
    variables = module.init({"params": k_params, "dropout": k_drop}, sample, train=False)
    return variables["params"], variables.get("batch_stats", {})


def _apply(module, params, stats, x, *, train: bool, key=None):
    variables = {"params": params}
    if stats:
        variables["batch_stats"] = stats
    rngs = {"dropout": key} if key is not None else None
    if train and stats:
        out, updates = module.apply(variables, x, train=True, rngs=rngs, mutable=["batch_stats"])
        return out, updates["batch_stats"]
    return module.apply(variables, x, train=train, rngs=rngs), stats


def sown_losses(collection) -> Array:
    """Sum of every value a model sowed with ``self.sow("losses", name, value)`` (float32)."""
    total = jnp.zeros((), jnp.float32)
    for leaf in jax.tree_util.tree_leaves(collection):
        total = total + jnp.sum(leaf).astype(jnp.float32)
    return total


def apply_train(module, params, stats, x, key=None, **kwargs):
    """One training-mode forward pass: ``(output, new batch_stats, sum of sown losses)``.

    A model may add terms to its training objective with ``self.sow("losses", name, value)``
    (the VAE's KL term, the autoencoder's reconstruction error, the hybrid's L1/L2 penalty); they
    are collected here and added to the loss by the engine.  Evaluation (validation loss,
    prediction) runs without them.
    """
    variables = {"params": params}
    if stats:
        variables["batch_stats"] = stats
    rngs = {"dropout": key} if key is not None else None
    mutable = ["batch_stats", "losses"] if stats else ["losses"]
    out, updates = module.apply(variables, x, train=True, rngs=rngs, mutable=mutable, **kwargs)
    new_stats = updates["batch_stats"] if stats else stats
    return out, new_stats, sown_losses(updates.get("losses", {}))


def _penalty(params, l1: float, l2: float):
    if l1 == 0 and l2 == 0:
        return 0.0
    kernels = [p for path, p in jax.tree_util.tree_leaves_with_path(params)
               if "kernel" in jax.tree_util.keystr(path)]
    total = jnp.zeros((), jnp.float32)
    for k in kernels:
        if l1:
            total = total + l1 * jnp.sum(jnp.abs(k)).astype(jnp.float32)
        if l2:
            total = total + l2 * jnp.sum(jnp.square(k)).astype(jnp.float32)
    return total


def _where_tree(cond, new, old):
    return jax.tree_util.tree_map(lambda a, b: jnp.where(cond, a, b), new, old)


def _supervised_step(module, tx, cfg: TrainConfig, X, Y, Xv, Yv, extra_args_fn):
    """The minibatch step and the validation loss of ordinary supervised training."""
    loss_of = get_loss(cfg.loss, cfg.huber_delta)
    has_val = Xv.shape[0] > 0

    def step(carry, idx):
        params, stats, opt_state, key = carry
        key, k_drop, k_extra = jax.random.split(key, 3)
        x, y = X[idx], Y[idx]

        def objective(p):
            out, new_stats, aux = apply_train(module, p, stats, x, k_drop)
            return loss_of(out, y) + aux + _penalty(p, cfg.l1, cfg.l2), new_stats

        (loss, new_stats), grads = jax.value_and_grad(objective, has_aux=True)(params)
        extra = {}
        if extra_args_fn is not None:
            ctx = ExtraArgsContext(
                loss_fn=lambda p: objective(p)[0],
                output_fn=lambda p: apply_train(module, p, stats, x, k_drop)[0],
                targets=y, loss_name=cfg.loss, key=k_extra)
            extra = extra_args_fn(ctx)
        # optax's bias corrections mix Python floats with an int32 step count, which strict
        # dtype promotion (our test setting) rejects; the promotion rule is relaxed only here.
        with jax.numpy_dtype_promotion("standard"):
            updates, opt_state = tx.update(grads, opt_state, params, **extra)
            params = optax.apply_updates(params, updates)
        return (params, new_stats, opt_state, key), loss

    def val_loss(params, stats):
        if not has_val:
            return jnp.zeros((), jnp.float32)
        out, _ = _apply(module, params, stats, Xv, train=False)
        return loss_of(out, Yv).astype(jnp.float32)

    return step, val_loss


def make_epoch_fn(step, val_loss, cfg: TrainConfig, n: int, has_val: bool):
    """One epoch of one seed: ``lax.scan`` of ``step`` over shuffled minibatches, then early
    stopping bookkeeping on ``val_loss(params, stats)``.

    ``step((params, stats, opt_state, key), idx) -> (carry, loss)`` is any training step (the
    supervised one here, the adversarial one in ``_adversarial.py``).
    """
    bsz = min(cfg.batch_size, n)
    n_batches = n // bsz

    def epoch(s: _State):
        key, k_perm = jax.random.split(s.key)
        perm = jax.random.permutation(k_perm, n)[: n_batches * bsz].reshape(n_batches, bsz)
        (params, stats, opt_state, key), losses = jax.lax.scan(
            step, (s.params, s.batch_stats, s.opt_state, key), perm)
        vloss = val_loss(params, stats)
        # Seeds that have stopped keep everything as it was.
        params = _where_tree(s.active, params, s.params)
        stats = _where_tree(s.active, stats, s.batch_stats)
        opt_state = _where_tree(s.active, opt_state, s.opt_state)
        epoch_no = s.epoch + 1
        score = vloss if has_val else -epoch_no.astype(jnp.float32)  # no val: keep the last
        improved = s.active & (score < s.best_val - cfg.min_delta)
        best_params = _where_tree(improved, params, s.best_params)
        best_stats = _where_tree(improved, stats, s.best_stats)
        best_val = jnp.where(improved, score, s.best_val)
        best_epoch = jnp.where(improved, epoch_no, s.best_epoch)
        wait = jnp.where(improved, 0, s.wait + 1)
        active = s.active
        if cfg.patience > 0 and has_val:
            active = active & (wait < cfg.patience)
        new = _State(params, stats, opt_state, key, best_params, best_stats, best_val,
                     best_epoch, wait, active, epoch_no)
        diag = {k: jnp.asarray(v, jnp.float32)
                for k, v in (sophia_diagnostics(opt_state) or {}).items() if k != "count"}
        return new, (losses.astype(jnp.float32), vloss, s.active, diag)

    return epoch


def _init_state(module, tx, key, sample) -> _State:
    k_init, k_train = jax.random.split(key)
    params, stats = init_variables(module, k_init, sample)
    opt_state = set_sophia_key(tx.init(params), jax.random.fold_in(k_train, 1))
    return fresh_state(params, stats, opt_state, k_train)


def fresh_state(params, stats, opt_state, key: Array) -> _State:
    """A seed's training state before the first epoch (best = current, still active)."""
    return _State(params, stats, opt_state, key, params, stats,
                  jnp.asarray(jnp.inf, jnp.float32), jnp.asarray(0, jnp.int32),
                  jnp.asarray(0, jnp.int32), jnp.asarray(True), jnp.asarray(0, jnp.int32))


def resolve_seed_strategy(strategy: str, n_seeds: int) -> str:
    """``"auto"``: a loop on the CPU (measured faster there per seed, see
    ``benchmarks/lstm_training.py``), ``vmap`` on accelerators, where one batched program keeps
    the device busy."""
    if strategy != "auto":
        return strategy
    if n_seeds == 1 or jax.default_backend() == "cpu":
        return "loop"
    return "vmap"


def fit_network(
    module,
    tx: optax.GradientTransformation,
    X: Float[Array, "n lookback features"],
    Y: Float[Array, "n horizon"],
    X_val: Float[Array, "m lookback features"] | None = None,
    Y_val: Float[Array, "m horizon"] | None = None,
    config: TrainConfig | None = None,
    extra_args_fn: Callable[[ExtraArgsContext], Mapping[str, Any]] | None = None,
    on_epoch: Callable[[int, np.ndarray, np.ndarray], None] | None = None,
) -> TrainResult:
    """Train ``module`` with ``tx`` for every seed; return the best parameters per seed.

    Arguments:
        module: a Flax module called as ``module.apply(vars, x, train=...)``.
        tx: an optax transformation (``tx.update(grads, state, params, **extra)``).
        X, Y: training windows and targets (scaled).
        X_val, Y_val: validation windows for early stopping (may be empty or None).
        config: :class:`TrainConfig`.
        extra_args_fn: builds the optimizer's extra keyword arguments (Sophia's estimators).
        on_epoch: called after each epoch with ``(epoch, train_loss, val_loss)`` per seed.

    Returns:
        :class:`TrainResult` whose parameter leaves have a leading seed axis.

    Raises:
        TrainingDivergedError: when the loss becomes NaN/Inf (names the epoch and step).
    """
    config = config or TrainConfig()
    X, Y, X_val, Y_val = as_training_arrays(X, Y, X_val, Y_val)
    step, val_loss = _supervised_step(module, tx, config, X, Y, X_val, Y_val, extra_args_fn)
    epoch_fn = make_epoch_fn(step, val_loss, config, X.shape[0], X_val.shape[0] > 0)
    return run_training(lambda key: _init_state(module, tx, key, X[:1]), epoch_fn, config,
                        on_epoch)


def as_training_arrays(X, Y, X_val, Y_val):
    """float32 device arrays; a missing validation set becomes an empty one."""
    X = jnp.asarray(X, jnp.float32)
    Y = jnp.asarray(Y, jnp.float32)
    if X_val is None or len(X_val) == 0:
        X_val = jnp.zeros((0,) + X.shape[1:], jnp.float32)
        Y_val = jnp.zeros((0,) + Y.shape[1:], jnp.float32)
    return X, Y, jnp.asarray(X_val, jnp.float32), jnp.asarray(Y_val, jnp.float32)


def run_training(init: Callable[[Array], _State], epoch_fn: Callable, config: TrainConfig,
                 on_epoch: Callable | None = None) -> TrainResult:
    """The host loop shared by every trainer: seeds by vmap or loop, NaN guard, progress bar,
    stop when every seed has stopped.  ``init(key) -> _State``; ``epoch_fn(_State)`` as made by
    :func:`make_epoch_fn`."""
    seeds = tuple(range(config.seed, config.seed + config.n_seeds))
    keys = jnp.stack([jax.random.key_data(jax.random.key(s)) for s in seeds])
    strategy = resolve_seed_strategy(config.seed_strategy, len(seeds))
    init_k = lambda k: init(jax.random.wrap_key_data(k))  # noqa: E731

    if strategy == "vmap":
        states = [jax.jit(jax.vmap(init_k))(keys)]
        run_epoch = jax.jit(jax.vmap(epoch_fn))
    else:
        init_j = jax.jit(init_k)
        states = [init_j(k) for k in keys]
        run_epoch = jax.jit(epoch_fn)

    bar = progress_bar(config.epochs, config.label, "epoch", config.progress)
    train_hist, val_hist, diag_hist = [], [], {}
    try:
        for epoch in range(1, config.epochs + 1):
            previous = states
            outs = [run_epoch(s) for s in states]
            states = [o[0] for o in outs]
            if strategy == "vmap":
                step_losses, vloss, was_active = (np.asarray(a) for a in outs[0][1][:3])
                diag = {k: np.asarray(v) for k, v in outs[0][1][3].items()}
            else:
                diag = {k: np.array([float(o[1][3][k]) for o in outs]) for k in outs[0][1][3]}
                step_losses = np.stack([np.asarray(o[1][0]) for o in outs])
                vloss = np.array([float(o[1][1]) for o in outs])
                was_active = np.array([bool(o[1][2]) for o in outs])
            bad = ~np.isfinite(step_losses) & was_active[:, None]
            if bad.any():
                s_idx, step_idx = np.argwhere(bad)[0]
                last = _result(previous, strategy, train_hist, val_hist, seeds)
                raise TrainingDivergedError(epoch, int(step_idx) + 1, seeds[s_idx], last)
            for k, v in diag.items():
                diag_hist.setdefault(k, []).append(v)
            train_hist.append(np.where(was_active, step_losses.mean(axis=1), np.nan))
            val_hist.append(np.where(was_active, vloss, np.nan))
            if on_epoch is not None:
                on_epoch(epoch, train_hist[-1], val_hist[-1])
            bar.update(1)
            bar.set_postfix(train=f"{np.nanmean(train_hist[-1]):.4g}",
                            val=f"{np.nanmean(val_hist[-1]):.4g}")
            active = (np.asarray(states[0].active) if strategy == "vmap"
                      else np.array([bool(s.active) for s in states]))
            if not active.any():
                break
    finally:
        bar.close()
    result = _result(states, strategy, train_hist, val_hist, seeds)
    for k, v in diag_hist.items():  # optimizer diagnostics per epoch (Sophia: win_rate, h_norm)
        result.history[f"opt_{k}"] = np.array(v).reshape(len(v), len(seeds))
    return result


def _result(states, strategy, train_hist, val_hist, seeds) -> TrainResult:
    if strategy == "vmap":
        s = states[0]
    else:
        s = jax.tree_util.tree_map(lambda *xs: jnp.stack(xs), *states)
    # A seed whose validation loss never improved on +inf (e.g. NaN validation loss) keeps
    # its current parameters.
    never = jnp.asarray(np.asarray(s.best_epoch) == 0)

    def pick(cur, best):
        return jnp.where(never.reshape(never.shape + (1,) * (cur.ndim - 1)), cur, best)

    params = jax.tree_util.tree_map(pick, s.params, s.best_params)
    stats = jax.tree_util.tree_map(pick, s.batch_stats, s.best_stats)
    history = {"train_loss": np.array(train_hist).reshape(len(train_hist), len(seeds)),
               "val_loss": np.array(val_hist).reshape(len(val_hist), len(seeds))}
    return TrainResult(params, stats, history, np.asarray(s.best_epoch), len(train_hist), seeds)


def predict_network(module, params, batch_stats, X: Float[Array, "n lookback features"],
                    batch_size: int = 4096) -> np.ndarray:
    """Predict with every seed's parameters: returns ``(n_seeds, n, horizon)`` (eval mode)."""
    X = jnp.asarray(X, jnp.float32)

    @jax.jit
    def one(p, s, x):
        return _apply(module, p, s, x, train=False)[0]

    batched = jax.vmap(one, in_axes=(0, 0, None))
    chunks = [np.asarray(batched(params, batch_stats, X[i:i + batch_size]))
              for i in range(0, X.shape[0], batch_size)]
    return np.concatenate(chunks, axis=1)
