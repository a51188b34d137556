"""The training engine: one compiled program trains a batch of independent problems.

A *problem* is one model fitted to one data set with one seed and one setting of the dynamic
hyperparameters (learning rate, weight decay, Sophia's gamma, dropout rates, L1/L2, Huber delta,
patience, early-stopping delta, epochs).  Problems that share a :class:`ProgramKey` (module and
optimizer structure, loss, batch size) are padded to common shapes and stacked on a leading
*problem* axis: seeds x settings x rolling origins x series train in one program, compiled once.

Inside the program (see :func:`_chunk_program`):

* an epoch of one problem is a ``lax.scan`` over shuffled minibatches of its valid rows (the
  shuffle ranks padded rows last, so a problem's minibatches are the same padded or not);
* early stopping (best parameters, best validation loss, patience counter, active flag) and the
  NaN guard live on the device: a problem whose loss becomes non-finite keeps its state from
  before that epoch, stops, and records the epoch and step;
* a ``lax.while_loop`` runs up to ``CHUNK_EPOCHS`` epochs per call; the host only reads the
  per-epoch losses for the progress bar and the history, and whether any problem still trains.
  With an ``accept`` hook (:func:`fit_problems`) the same program runs one epoch per call and the
  host vetoes improvements it rejects before the next epoch.

Rows (training windows and targets, validation rows) are arrays or pytrees of arrays with a
common leading row axis; a kit (``cpjax.train._steps``) reads its own layout and may bring its
own validation loss, so trainers other than the supervised one (the GAN, the Neural ODE of
``cpjax.node``) share every part of this loop.

Data and every dynamic hyperparameter are arguments, so a second fit with other data, seeds or
settings of the same shapes reuses the compiled program (in-process, and across processes through
JAX's persistent compilation cache, see ``cpjax._cache``).  On several devices the problem axis is
sharded over them (``cpjax._distributed``).
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jaxtyping import Array, Float

from .._errors import CpjaxInputError
from .._precision import matmul_precision
from .._progress import progress_bar
from ..optim import OptimizerConfig, optimizer_hyperparams, optimizer_structure, sophia_diagnostics
from ._config import TrainConfig
from ._losses import loss_elements
from ._steps import (
    ExtraArgsContext,
    Kit,
    ProgramKey,
    dynamic_fields,
    evaluate,
    supervised_kit,
)

__all__ = ["CHUNK_EPOCHS", "ExtraArgsContext", "Problem", "TrainResult", "TrainingDivergedError",
           "fit_network", "fit_problems", "predict_network", "program_cache_info",
           "register_kit", "resolve_seed_strategy"]

#: Epochs run per call of the compiled program (the host updates the progress bar in between).
CHUNK_EPOCHS = 16
#: Padded row counts are multiples of these (fewer distinct shapes, so fewer compilations).
ROW_BUCKET, VAL_BUCKET = 64, 32

#: training settings every problem may set for itself (``Problem.hyper``), besides the
#: optimizer's injectable settings and the module's dynamic fields
DYNAMIC_TRAIN_SETTINGS = ("epochs", "patience", "min_delta", "l1", "l2", "huber_delta")


class TrainingDivergedError(FloatingPointError):
    """The training loss became NaN or infinite.

    Attributes:
        epoch, step, seed: where it first happened (1-based epoch and step).
        problem: index of the problem in the batch (0 for a single fit).
        last_good: the :class:`TrainResult` of the batch with that problem's state from before
            the failing epoch (the other problems are trained to the end).
    """

    def __init__(self, epoch: int, step: int, seed: int, last_good: TrainResult,
                 problem: int = 0, label: str = ""):
        where = f" ({label})" if label else ""
        super().__init__(
            f"training loss became NaN/Inf at epoch {epoch}, step {step} (seed {seed}){where}; "
            "the parameters from before that epoch are kept in .last_good. Try a smaller learning "
            "rate, gradient clipping, or check the inputs for extreme values.")
        self.epoch, self.step, self.seed, self.last_good = epoch, step, seed, last_good
        self.problem = problem


class TrainResult(NamedTuple):
    """Best parameters per problem (leading axis = problem; for :func:`fit_network`, = seed).

    ``history`` holds ``train_loss`` and ``val_loss`` of shape ``(epochs_run, n_problems)`` (NaN
    once a problem stopped) and ``opt_*`` optimizer diagnostics; ``best_epoch`` is 1-based (0:
    never improved); ``diverged[p]`` tells whether problem ``p`` hit a NaN (at epoch and step
    ``diverged_at[p]``).
    """

    params: Any
    batch_stats: Any
    history: dict[str, np.ndarray]
    best_epoch: np.ndarray
    epochs_run: int
    seeds: tuple[int, ...]
    diverged: np.ndarray | None = None
    diverged_at: np.ndarray | None = None


@dataclasses.dataclass(frozen=True, eq=False)
class Problem:
    """One independent training problem.

    Attributes:
        X, Y: training windows ``(n, L, F)`` and targets ``(n, H)`` (scaled); for other kits,
            arrays or pytrees of arrays with ``n`` rows on the leading axis (the kit's layout).
        X_val, Y_val: validation rows for early stopping, same layout (``None`` or empty: no
            early stopping, the last epoch is kept).
        seed: PRNG seed of initialisation, shuffling, dropout and Sophia's probes.
        hyper: dynamic hyperparameters overriding the shared settings for this problem: any of
            ``epochs, patience, min_delta, l1, l2, huber_delta``, the optimizer's injectable
            settings (``learning_rate, weight_decay, gamma, ...``) and the module's dynamic
            fields (``dropout``).
        label: names the problem in messages (e.g. ``"origin 2021-05-31"``).
    """

    X: Any
    Y: Any
    X_val: Any = None
    Y_val: Any = None
    seed: int = 0
    hyper: Mapping[str, float] = dataclasses.field(default_factory=dict)
    label: str = ""


class _State(NamedTuple):
    params: Any
    batch_stats: Any
    opt_state: Any
    key: Array  # raw uint32 key data (selectable with jnp.where)
    best_params: Any
    best_stats: Any
    best_val: Array
    best_epoch: Array
    wait: Array
    active: Array
    epoch: Array
    bad_epoch: Array
    bad_step: Array


class _Data(NamedTuple):
    X: Any  # arrays or pytrees of arrays, rows on axis 1 (axis 0: problem)
    Y: Any
    n: Array
    Xv: Any
    Yv: Any
    m: Array


def _rows(tree) -> int:
    """Rows of a (pytree of) array(s): the leading axis of its first leaf."""
    return int(np.shape(jax.tree_util.tree_leaves(tree)[0])[0])


def _take(tree, idx):
    return jax.tree_util.tree_map(lambda a: a[idx], tree)


# ----------------------------------------------------------------------------- kits & programs
_KITS: dict[str, Callable[[ProgramKey], Kit]] = {"supervised": supervised_kit}


def register_kit(trainer: str, make: Callable[[ProgramKey], Kit]) -> None:
    """Add a trainer (``ModelSpec.trainer``): ``make(key) -> Kit`` (see ``cpjax.train._steps``)."""
    _KITS[trainer] = make


_PROGRAMS: dict[ProgramKey, tuple[Callable, Callable]] = {}


def program_cache_info() -> dict[str, int]:
    """How many distinct training programs this process has built (one per :class:`ProgramKey`;
    each is compiled once per padded shape)."""
    return {"programs": len(_PROGRAMS)}


def _programs(key: ProgramKey) -> tuple[Callable, Callable]:
    if key not in _PROGRAMS:
        kit = _KITS[key.trainer](key)
        _PROGRAMS[key] = (jax.jit(_init_program(kit)),
                          jax.jit(_chunk_program(kit, key)))
    return _PROGRAMS[key]


def _init_program(kit: Kit):
    def init_one(seed, x0, hp):
        params, stats, opt_state, k_train = kit.init(jax.random.key(seed), x0, hp)
        z = jnp.asarray(0, jnp.int32)
        return _State(params, stats, opt_state, jax.random.key_data(k_train), params, stats,
                      jnp.asarray(jnp.inf, jnp.float32), z, z, jnp.asarray(True), z, z, z)

    def init(x0, hp):  # one training row per problem: fits of other lengths share this program
        return _batched(init_one, hp["seed"].shape[0])(hp["seed"], x0, hp)

    return init


def _epoch_fn(kit: Kit, key: ProgramKey):
    bsz = key.batch_size
    loss_el = loss_elements(key.loss)

    def epoch(s: _State, d: _Data, hp):
        N, M = _rows(d.X), _rows(d.Xv)
        nb_max = N // bsz
        nb = d.n // bsz
        rng, k_perm = jax.random.split(jax.random.wrap_key_data(s.key))
        # jax.random.permutation(k_perm, n) of the valid rows, computed on the padded axis: its
        # sort keys for row i do not depend on the padding (partitionable threefry), and padded
        # rows get the largest key, so a problem shuffles the same way padded or not.
        bits = jax.random.bits(jax.random.split(k_perm)[1], (N,), jnp.uint32)
        rows = jnp.arange(N, dtype=jnp.int32)
        bits = jnp.where(rows < d.n, bits, jnp.asarray(np.iinfo(np.uint32).max, jnp.uint32))
        perm = jax.lax.sort_key_val(bits, rows)[1][: nb_max * bsz].reshape(nb_max, bsz)

        def run(carry, idx):
            typed = carry[:3] + (jax.random.wrap_key_data(carry[3]),)
            new, loss = kit.step(typed, _take(d.X, idx), _take(d.Y, idx), hp)
            return new[:3] + (jax.random.key_data(new[3]),), loss.astype(jnp.float32)

        def body(carry, inp):
            # padded minibatches are skipped (a real branch for one problem; under vmap both
            # sides run and the result is selected)
            b, idx = inp
            return jax.lax.cond(b < nb, run, lambda c, i: (c, jnp.asarray(jnp.nan, jnp.float32)),
                                carry, idx)

        carry0 = (s.params, s.batch_stats, s.opt_state, jax.random.key_data(rng))
        (params, stats, opt_state, rng), losses = jax.lax.scan(
            body, carry0, (jnp.arange(nb_max, dtype=jnp.int32), perm))
        valid = jnp.arange(nb_max) < nb
        bad = valid & ~jnp.isfinite(losses)
        diverged = s.active & jnp.any(bad)
        train_loss = jnp.sum(jnp.where(valid, losses, 0.0)) / jnp.maximum(nb, 1).astype(jnp.float32)

        has_val = d.m > 0
        if kit.val_loss is None:
            out = kit.forward(params, stats, d.Xv, hp)
            el = loss_el(out, d.Yv, hp["huber_delta"]).astype(jnp.float32)
            vmask = (jnp.arange(M) < d.m)[:, None]
            vloss = jnp.where(has_val, jnp.sum(jnp.where(vmask, el, 0.0))
                              / (jnp.maximum(d.m, 1) * el.shape[1]).astype(jnp.float32), 0.0)
        else:  # the kit's own validation, skipped without validation rows (a real branch for one
            # problem; under vmap both sides run)
            vloss = jax.lax.cond(
                has_val,
                lambda: kit.val_loss(params, stats, d.Xv, d.Yv, jnp.arange(M) < d.m,
                                     hp).astype(jnp.float32),
                lambda: jnp.asarray(0.0, jnp.float32))

        keep = s.active & ~diverged  # stopped or diverged problems keep their state
        params = _where(keep, params, s.params)
        stats = _where(keep, stats, s.batch_stats)
        opt_state = _where(keep, opt_state, s.opt_state)
        key_data = jnp.where(keep, rng, s.key)
        epoch_no = s.epoch + 1
        score = jnp.where(has_val, vloss, -epoch_no.astype(jnp.float32))  # no val: keep the last
        improved = keep & (score < s.best_val - hp["min_delta"])
        best_params = _where(improved, params, s.best_params)
        best_stats = _where(improved, stats, s.best_stats)
        best_val = jnp.where(improved, score, s.best_val)
        best_epoch = jnp.where(improved, epoch_no, s.best_epoch)
        wait = jnp.where(improved, 0, s.wait + 1)
        patience_out = (hp["patience"] > 0) & has_val & (wait >= hp["patience"])
        active = keep & ~patience_out & (epoch_no < hp["epochs"])
        bad_epoch = jnp.where(diverged, epoch_no, s.bad_epoch)
        bad_step = jnp.where(diverged, jnp.argmax(bad).astype(jnp.int32) + 1, s.bad_step)
        new = _State(params, stats, opt_state, key_data, best_params, best_stats, best_val,
                     best_epoch, wait, active, jnp.where(s.active, epoch_no, s.epoch),
                     bad_epoch, bad_step)
        diag = {k: jnp.asarray(v, jnp.float32)
                for k, v in (sophia_diagnostics(opt_state) or {}).items() if k != "count"}
        ran = s.active
        rec = {"train_loss": jnp.where(ran, train_loss, jnp.nan),
               "val_loss": jnp.where(ran & ~diverged, vloss, jnp.nan),
               **{f"opt_{k}": jnp.where(ran, v, jnp.nan) for k, v in diag.items()}}
        return new, rec

    return epoch


def _chunk_program(kit: Kit, key: ProgramKey):
    epoch = _epoch_fn(kit, key)

    def chunk(states: _State, data: _Data, hp, e0, e_end):
        batched = _batched(epoch, hp["seed"].shape[0])
        shapes = jax.eval_shape(batched, states, data, hp)[1]
        hist = {k: jnp.full((CHUNK_EPOCHS,) + v.shape, jnp.nan, v.dtype) for k, v in shapes.items()}

        def cond(c):
            e, st, _ = c
            return (e < e_end) & jnp.any(st.active)

        def body(c):
            e, st, h = c
            st, rec = batched(st, data, hp)
            h = {k: h[k].at[e - e0].set(rec[k]) for k in h}
            return e + 1, st, h

        e, states, hist = jax.lax.while_loop(cond, body, (e0, states, hist))
        return states, hist, e

    return chunk


def _batched(fn, n: int):
    """``vmap(fn)`` over the problem axis; for a single problem, ``fn`` on the squeezed axis
    (no batching rules: a lighter program, compiled faster, e.g. plain convolutions instead of
    grouped ones)."""
    if n > 1:
        return jax.vmap(fn)

    def single(*args):
        out = fn(*jax.tree_util.tree_map(lambda a: a[0], args))
        return jax.tree_util.tree_map(lambda a: a[None], out)

    return single


def _where(cond, new, old):
    return jax.tree_util.tree_map(lambda a, b: jnp.where(cond, a, b), new, old)


# ----------------------------------------------------------------------------- host side
def _pad_rows(a: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros((n,) + a.shape[1:], np.float32)
    out[: len(a)] = a
    return out


def _bucket(n: int, step: int) -> int:
    return max(step, int(math.ceil(n / step)) * step)


def _hyper_defaults(config: TrainConfig) -> dict[str, float]:
    return {"epochs": config.epochs, "patience": config.patience, "min_delta": config.min_delta,
            "l1": config.l1, "l2": config.l2, "huber_delta": config.huber_delta}


def _check_hyper(name: str, value: float, label: str) -> None:
    where = f" ({label})" if label else ""
    if not np.isfinite(value):
        raise CpjaxInputError(f"hyperparameter {name}={value!r}{where} is not finite")
    if name in ("epochs",) and (value != int(value) or value < 1):
        raise CpjaxInputError(f"epochs must be a positive integer, got {value!r}{where}")
    if name == "patience" and (value != int(value) or value < 0):
        raise CpjaxInputError(f"patience must be an integer >= 0, got {value!r}{where}")
    if name in ("l1", "l2", "min_delta") and value < 0:
        raise CpjaxInputError(f"{name} must be >= 0, got {value!r}{where}")
    if name == "huber_delta" and value <= 0:
        raise CpjaxInputError(f"huber_delta must be positive, got {value!r}{where}")
    if name.startswith("model.") and not 0 <= value < 1:
        raise CpjaxInputError(f"{name[6:]} must be in [0, 1), got {value!r}{where}")


def fit_problems(
    module,
    optimizer: OptimizerConfig | optax.GradientTransformation,
    problems: Sequence[Problem],
    config: TrainConfig | None = None,
    *,
    trainer: str = "supervised",
    extra_args_fn: Callable[[ExtraArgsContext], Mapping[str, Any]] | None = None,
    raise_on_divergence: bool = True,
    accept: Callable[[int, int, Any, Any], bool] | None = None,
    min_rows: int = 0,
) -> TrainResult:
    """Train ``module`` on every problem; one compiled program per padded shape.

    Arguments:
        module: a Flax module ``(B, L, F) -> (B, H)`` called as ``module.apply(vars, x, train=)``
            (supervised and adversarial trainers), or the hashable model description another
            registered kit expects.
        optimizer: an :class:`~cpjax.optim.OptimizerConfig` (its numeric settings become program
            arguments, so problems may differ in them) or an optax transformation (used as is).
        problems: the :class:`Problem` list (same window length, features and horizon).
        config: shared :class:`TrainConfig` (batch size, loss, defaults of the dynamic settings,
            ``seed_strategy``: ``"vmap"`` batches every problem into one call, ``"loop"`` calls
            the same program once per problem, ``"auto"`` picks loop on the CPU).
        trainer: ``"supervised"`` or ``"adversarial"`` (``ModelSpec.trainer``), or another
            kit added with :func:`register_kit`.
        extra_args_fn: with an optax transformation only: builds its extra ``update`` keywords.
        raise_on_divergence: raise :class:`TrainingDivergedError` when a problem's loss becomes
            NaN (else report it in ``TrainResult.diverged`` and keep its last good state).
        accept: optional host-side veto ``accept(problem, epoch, params, batch_stats) -> bool``,
            asked for every epoch that improves a problem's validation loss (``problem`` indexes
            ``problems``; ``params`` are that problem's, as NumPy arrays).  A rejected epoch is
            not selected and does not reset the patience counter, exactly as if it had not
            improved.  The program then runs one epoch per call (the same compiled program; a
            host round trip per epoch), and ``history["accepted"]`` records 1 for an accepted
            improvement, 0 otherwise (NaN once a problem stopped).
        min_rows: pad the training rows to at least this many, so that a later call with more
            rows (a refit on more data) reuses this call's compiled program; padded minibatches
            are skipped (no compute for a single problem; under ``vmap`` they are computed and
            discarded).  Likewise, a problem whose ``X_val``/``Y_val`` have zero rows has no
            validation but keeps that layout (a problem with ``X_val=None`` takes the training
            rows' layout).

    Returns:
        :class:`TrainResult` with one entry per problem on the leading axis.

    Example:
        >>> res = fit_problems(module, optimizer_config("adam", 1e-3),
        ...                    [Problem(X, Y, Xv, Yv, seed=s, hyper={"learning_rate": lr})
        ...                     for s in range(5) for lr in (1e-3, 3e-3)])  # doctest: +SKIP
    """
    config = config or TrainConfig()
    if not problems:
        raise CpjaxInputError("no training problems given")
    if trainer not in _KITS:
        from .._errors import unknown_name_message

        raise CpjaxInputError(unknown_name_message("trainer", trainer, _KITS))
    shapes = {_row_layout(p.X, p.Y) for p in problems}
    if len(shapes) != 1:
        raise CpjaxInputError(f"problems of one batch need the same window shape; got {shapes}")
    val_shapes = {_row_layout(p.X_val, p.Y_val) for p in problems if _has_val_layout(p)}
    if len(val_shapes) > 1:
        raise CpjaxInputError(f"problems of one batch need the same validation row shape; got "
                              f"{val_shapes}")
    dyn = dynamic_fields(module)
    base_model = {f"model.{n}": float(getattr(module.config, n)) for n in dyn}
    if min(_rows(p.X) for p in problems) < 1:
        raise CpjaxInputError("a training problem has no training windows")
    # each problem steps with min(batch_size, its windows), as a fit on its own would
    bsz = [min(config.batch_size, _rows(p.X)) for p in problems]
    spe = [max(1, _rows(p.X) // b) for p, b in zip(problems, bsz, strict=True)]

    # ---- hyperparameters: shared defaults, optimizer settings, per-problem overrides
    if isinstance(optimizer, OptimizerConfig):
        if extra_args_fn is not None:
            raise CpjaxInputError("extra_args_fn is for optax transformations; an OptimizerConfig "
                                  "derives Sophia's extra arguments itself")
        structure, injected = optimizer_structure(optimizer, spe[0])
        opt_names = set(injected) - {"steps_per_epoch"}
    else:
        structure, injected, opt_names = optimizer, (), set()
    known = set(DYNAMIC_TRAIN_SETTINGS) | opt_names | set(dyn)
    rows = [_problem_hyper(p, s, config, optimizer, opt_names, dyn, base_model, known)
            for p, s in zip(problems, spe, strict=True)]
    penalty = any(r["l1"] or r["l2"] for r in rows)
    template = module.clone(config=dataclasses.replace(module.config, **{n: 0.0 for n in dyn})) \
        if dyn else module
    keys = [ProgramKey(trainer, template, dyn, structure, tuple(injected), extra_args_fn,
                       config.loss, b, penalty) for b in bsz]
    side_by_side = resolve_seed_strategy(config.seed_strategy, len(problems)) == "vmap"
    groups: list[list[int]] = []
    for k in dict.fromkeys(keys):
        members = [i for i, kk in enumerate(keys) if kk == k]
        # side by side (problem axis padded to 2^k), or one after another through one program
        groups += [members] if side_by_side else [[i] for i in members]
    # one padded shape for the whole call (skipped minibatches cost no compute), so problems of
    # different lengths (rolling origins, out-of-fold blocks) share one compiled program
    N = _bucket(max([_rows(p.X) for p in problems] + [int(min_rows)]), ROW_BUCKET)
    M = _bucket(max(_n_val(p) for p in problems), VAL_BUCKET)
    bar = progress_bar(int(max(r["epochs"] for r in rows)) * len(groups), config.label, "epoch",
                       config.progress)
    lanes = cpu_lanes(len(groups), side_by_side or accept is not None)
    try:
        if lanes:
            parts = _run_on_lanes(lanes, groups, keys, problems, rows, N, M, bar)
        else:
            parts = []
            with matmul_precision():
                for g in groups:
                    gp = [problems[i] for i in g]
                    hook = None if accept is None else (
                        lambda j, e, prm, st, g=g: accept(g[j], e, prm, st))
                    parts.append(_run_group(keys[g[0]], gp, [rows[i] for i in g], N, M, bar,
                                            hook))
    finally:
        bar.close()
    order = [i for g in groups for i in g]
    result = _merge(parts, order, [p.seed for p in problems])
    if raise_on_divergence and result.diverged.any():
        p_idx = int(np.flatnonzero(result.diverged)[0])
        ep, st = (int(v) for v in result.diverged_at[p_idx])
        raise TrainingDivergedError(ep, st, problems[p_idx].seed, result, p_idx,
                                    problems[p_idx].label)
    return result


def _problem_hyper(p: Problem, spe: int, config: TrainConfig, optimizer, opt_names, dyn,
                   base_model, known) -> dict[str, float]:
    """The problem's dynamic hyperparameters: shared defaults overridden by ``p.hyper``."""
    unknown = sorted(set(p.hyper) - known)
    if unknown:
        from .._errors import unknown_name_message

        raise CpjaxInputError(unknown_name_message(
            "dynamic hyperparameter", unknown[0], sorted(known),
            where=f"problem {p.label or p.seed}"))
    h: dict[str, float] = dict(_hyper_defaults(config))
    h.update(base_model)
    opt_vals: dict[str, float] = {}
    if isinstance(optimizer, OptimizerConfig):
        over = {k: v for k, v in p.hyper.items() if k in opt_names}
        top = {k: v for k, v in over.items() if k not in ("gamma", "clip_threshold")}
        soph = {k: v for k, v in over.items() if k in ("gamma", "clip_threshold")}
        ocfg = dataclasses.replace(optimizer, **top,
                                   sophia=dataclasses.replace(optimizer.sophia, **soph))
        opt_vals = optimizer_hyperparams(ocfg, spe)
    for k, v in p.hyper.items():
        if k in dyn:
            h[f"model.{k}"] = float(v)
        elif k in DYNAMIC_TRAIN_SETTINGS:
            h[k] = float(v)
    for k, v in h.items():
        _check_hyper(k, v, p.label)
    h.update({f"opt.{k}": float(v) for k, v in opt_vals.items()})
    h["seed"] = int(p.seed)
    return h


def _n_val(p: Problem) -> int:
    if p.X_val is None or not jax.tree_util.tree_leaves(p.X_val):
        return 0
    return _rows(p.X_val)


def _has_val_layout(p: Problem) -> bool:
    return p.X_val is not None and bool(jax.tree_util.tree_leaves(p.X_val))


def _row_layout(X, Y) -> tuple:
    """Tree structure and per-row shapes of (X, Y): what problems of one batch must share."""
    leaves, tree = jax.tree_util.tree_flatten((X, Y))
    return (tree, tuple(np.shape(a)[1:] for a in leaves))


def _stack_rows(trees: list, n: int):
    """Pad every problem's rows to ``n`` and stack them on a new leading problem axis."""
    return jax.tree_util.tree_map(
        lambda *a: np.stack([_pad_rows(np.asarray(x, np.float32), n) for x in a]), *trees)


def _stack(problems: Sequence[Problem], N: int, M: int) -> _Data:
    X = _stack_rows([p.X for p in problems], N)
    Y = _stack_rows([p.Y for p in problems], N)
    # a problem without validation rows takes the layout of its own (zero-row) or another
    # problem's validation rows (or, when none has any, of the training rows) with zero rows
    ref = next((p for p in problems if _has_val_layout(p)), None)
    tmpl = (ref.X_val, ref.Y_val) if ref is not None else (problems[0].X, problems[0].Y)
    empty = jax.tree_util.tree_map(lambda a: np.zeros((0,) + np.shape(a)[1:], np.float32), tmpl)
    Xv = _stack_rows([p.X_val if _n_val(p) else empty[0] for p in problems], M)
    Yv = _stack_rows([p.Y_val if _n_val(p) else empty[1] for p in problems], M)
    n = np.array([_rows(p.X) for p in problems], np.int32)
    m = np.array([_n_val(p) for p in problems], np.int32)
    return _Data(X, Y, n, Xv, Yv, m)


def _hp_arrays(rows: list[dict[str, float]]) -> dict[str, np.ndarray]:
    ints = {"seed", "epochs", "patience"}
    return {k: np.array([r[k] for r in rows], np.int32 if k in ints else np.float32)
            for k in rows[0]}


def cpu_lanes(n_groups: int, batched: bool) -> list | None:
    """The CPU devices that train one problem each at the same time (``None``: one problem
    after another on one device).

    Only where the CPU backend shows several host devices (``CPJAX_CPU_DEVICES``, see
    :mod:`cpjax._xla`), in one process, for problems that would otherwise run one after another
    through one program (``seed_strategy`` loop, no ``accept`` hook).  Each device runs the
    same program a problem trained alone runs (compiled once per device), so the results are
    bitwise those of separate runs, on as many cores as devices.
    """
    if batched or n_groups < 2 or jax.process_count() > 1:
        return None
    devices = jax.local_devices()
    if len(devices) < 2 or devices[0].platform != "cpu":
        return None
    return devices[:n_groups]


def _run_on_lanes(lanes, groups, keys, problems, rows, N, M, bar) -> list[dict[str, Any]]:
    """:func:`_run_group` of every group, each on a free device of ``lanes`` (one Python thread
    per device; XLA runs the programs while Python waits, so the devices' cores work together).
    Returns the groups' results in the groups' order.

    A device whose program is not compiled yet opens only when the work left pays for its
    compilation: after the first device has trained two groups, the difference of their times
    estimates the compile time ``c``, the second the time per group ``t``, and the other devices
    open when ``groups left x t > LANE_PAYBACK x c`` (a compile runs on the same cores as the
    training, so it must be small against the work left; with a filled persistent cache ``c``
    is the loading time).  Where every device has the program already, all open at once.
    """
    import threading
    import time

    from .._precision import matmul_precision_policy

    n = len(groups)
    results: list[Any] = [None] * n
    errors: list[BaseException] = []
    lock = threading.Lock()
    state = {"next": 0, "opened": False}
    times: list[float] = []
    policy = matmul_precision_policy()  # jax's precision setting is per thread
    shared = _LockedBar(bar)
    gkey = keys[groups[0][0]]
    ready = OPEN_ALL_LANES or all((gkey, d.id) in _LANE_READY for d in lanes)

    def take() -> int | None:
        with lock:
            if errors or state["next"] >= n:
                return None
            state["next"] += 1
            return state["next"] - 1

    def run(device, first: bool) -> None:
        try:
            with matmul_precision(policy):
                while (i := take()) is not None:
                    t0 = time.perf_counter()
                    g = groups[i]
                    results[i] = _run_group(keys[g[0]], [problems[j] for j in g],
                                            [rows[j] for j in g], N, M, shared, None, device)
                    _LANE_READY.add((keys[g[0]], device.id))
                    if first and not state["opened"]:
                        times.append(time.perf_counter() - t0)
                        if len(times) >= 2 and (n - state["next"]) * times[1] > \
                                LANE_PAYBACK * max(times[0] - times[1], 0.0):
                            open_others()
        except BaseException as err:  # noqa: BLE001 - re-raised by the caller's thread
            with lock:
                errors.append(err)

    threads: list[threading.Thread] = []

    def open_others() -> None:
        state["opened"] = True
        for d in lanes[1:]:
            t = threading.Thread(target=run, args=(d, False), daemon=True,
                                 name=f"cpjax-lane-{d.id}")
            threads.append(t)
            t.start()

    if ready:
        open_others()
    run(lanes[0], True)  # the first lane is this thread
    for t in list(threads):
        t.join()
    if errors:
        raise errors[0]
    return results


#: (program key, device id) pairs whose training program this process has compiled
_LANE_READY: set = set()
#: open every CPU lane at once, whatever the compile-time estimate (tests, benchmarks)
OPEN_ALL_LANES = False
#: other lanes open when the work left is this many times their estimated compile time (on the
#: Guangdong ablation, compile-heavy rows of 5 seeds, 2 paid off too rarely: 218 s vs 197 s)
LANE_PAYBACK = 4.0


class _LockedBar:
    """A progress bar updated from several threads."""

    def __init__(self, bar):
        import threading

        self.bar, self.lock = bar, threading.Lock()

    def update(self, n):
        with self.lock:
            self.bar.update(n)

    def set_postfix(self, **kw):
        with self.lock:
            self.bar.set_postfix(**kw)


def _run_group(key: ProgramKey, problems, rows, N, M, bar, accept=None,
               device=None) -> dict[str, Any]:
    from .._distributed import fetch, shard_batch

    init, chunk = _programs(key)
    n_real = len(problems)
    P = 1 << (n_real - 1).bit_length()  # a few batch sizes, so a few compilations
    problems = list(problems) + [problems[0]] * (P - n_real)
    rows = list(rows) + [rows[0]] * (P - n_real)
    batch = (_stack(problems, N, M), _hp_arrays(rows))
    if P == 1:  # one problem: one device (a lane's, or the default one)
        data, hp = jax.device_put(batch, device)
    else:  # a batch side by side: split over every device
        (data, hp), _ = shard_batch(batch)
    states = init(jax.tree_util.tree_map(lambda a: a[:, :1], data.X), hp)
    max_epochs = int(max(r["epochs"] for r in rows))
    hist: dict[str, list[np.ndarray]] = {}
    e0 = 0
    while e0 < max_epochs:
        e_end = min(e0 + (CHUNK_EPOCHS if accept is None else 1), max_epochs)
        before = states
        states, h, e = chunk(states, data, hp, jnp.asarray(e0, jnp.int32),
                             jnp.asarray(e_end, jnp.int32))
        e = int(e)
        h = fetch(h)
        for k, v in h.items():
            hist.setdefault(k, []).append(v[: e - e0, :n_real])
        if accept is not None and e > e0:
            states, ok = _ask(accept, before, states, e, n_real, hp, data.m)
            hist.setdefault("accepted", []).append(ok[None])
        bar.update(e - e0)
        tl = hist["train_loss"][-1]
        if tl.size and np.isfinite(tl[-1]).any():
            bar.set_postfix(train=f"{np.nanmean(tl[-1]):.4g}",
                            val=f"{np.nanmean(hist['val_loss'][-1][-1]):.4g}")
        if e < e_end:  # every problem stopped
            bar.update(max_epochs - e)
            break
        e0 = e
    states = fetch(states, n_real)
    return {"states": states, "hist": {k: np.concatenate(v) for k, v in hist.items()}}


def _ask(accept, before: _State, after: _State, epoch: int, n_real: int, hp, m):
    """Ask ``accept`` about every problem that improved at ``epoch``; undo the improvements it
    rejects (best state, patience counter and the stop they may trigger).  Returns the states
    and the history row (1 accepted improvement, 0 none or rejected, NaN: not trained)."""
    from .._distributed import fetch

    ran = fetch(before.active)[:n_real]
    improved = ran & (fetch(after.best_epoch)[:n_real] == epoch)
    rejected = np.zeros(np.shape(fetch(after.active)), bool)
    for j in np.flatnonzero(improved):
        params, stats = fetch(jax.tree_util.tree_map(lambda a, j=j: a[j],
                                                     (after.params, after.batch_stats)))
        rejected[j] = not bool(accept(int(j), epoch, params, stats))
    row = np.where(ran, (improved & ~rejected[:n_real]).astype(np.float32), np.nan)
    if not rejected.any():
        return after, row
    r = jnp.asarray(rejected)
    wait = jnp.where(r, before.wait + 1, after.wait)
    out = (hp["patience"] > 0) & (m > 0) & (wait >= hp["patience"])
    return after._replace(
        best_params=_where_rows(r, before.best_params, after.best_params),
        best_stats=_where_rows(r, before.best_stats, after.best_stats),
        best_val=jnp.where(r, before.best_val, after.best_val),
        best_epoch=jnp.where(r, before.best_epoch, after.best_epoch),
        wait=wait, active=after.active & ~(r & out)), row


def _where_rows(cond, a, b):
    """``where(cond[p], a[p], b[p])`` over the leading problem axis of every leaf."""
    return jax.tree_util.tree_map(
        lambda x, y: jnp.where(cond.reshape(cond.shape + (1,) * (x.ndim - 1)), x, y), a, b)


def _merge(parts, order: list[int], seeds) -> TrainResult:
    """Concatenate the groups' results and put the problems back in their given order."""
    inverse = np.argsort(np.asarray(order))
    states = [p["states"] for p in parts]
    s = states[0] if len(states) == 1 else jax.tree_util.tree_map(
        lambda *xs: np.concatenate(xs), *states)
    s = jax.tree_util.tree_map(lambda a: np.asarray(a)[inverse], s)
    E = max(p["hist"]["train_loss"].shape[0] for p in parts)
    hist = {}
    for k in parts[0]["hist"]:
        cols = []
        for p in parts:
            v = p["hist"][k]
            pad = np.full((E - v.shape[0],) + v.shape[1:], np.nan, v.dtype)
            cols.append(np.concatenate([v, pad]))
        hist[k] = np.concatenate(cols, axis=1)[:, inverse]
    never = np.asarray(s.best_epoch) == 0

    def pick(cur, best):
        cur, best = np.asarray(cur), np.asarray(best)
        # device_put, not jnp.asarray: under jax 0.12 the latter compiles a program per shape
        return jax.device_put(np.where(never.reshape(never.shape + (1,) * (cur.ndim - 1)), cur,
                                       best))

    params = jax.tree_util.tree_map(pick, s.params, s.best_params)
    stats = jax.tree_util.tree_map(pick, s.batch_stats, s.best_stats)
    bad = np.asarray(s.bad_epoch) > 0
    at = np.stack([np.asarray(s.bad_epoch), np.asarray(s.bad_step)], axis=1)
    return TrainResult(params, stats, hist, np.asarray(s.best_epoch), E, tuple(seeds), bad, at)


def resolve_seed_strategy(strategy: str, n_problems: int) -> str:
    """How the problems of a batch share the compiled program: ``"vmap"`` (side by side in one
    call, the problem axis padded to a power of two) or ``"loop"`` (one call per problem of the
    same program).  ``"auto"``: the loop on the CPU, where it is bitwise equal to separate runs
    and not slower per problem, ``vmap`` on accelerators, where side-by-side problems keep the
    device busy."""
    if strategy != "auto":
        return strategy
    if n_problems == 1 or jax.default_backend() == "cpu":
        return "loop"
    return "vmap"


# ----------------------------------------------------------------------------- compatibility
def fit_network(
    module,
    tx: OptimizerConfig | optax.GradientTransformation,
    X: Float[Array, "n lookback features"],
    Y: Float[Array, "n horizon"],
    X_val: Float[Array, "m lookback features"] | None = None,
    Y_val: Float[Array, "m horizon"] | None = None,
    config: TrainConfig | None = None,
    extra_args_fn: Callable[[ExtraArgsContext], Mapping[str, Any]] | None = None,
    on_epoch: Callable[[int, np.ndarray, np.ndarray], None] | None = None,
    *,
    trainer: str = "supervised",
    hyper: Mapping[str, float] | None = None,
) -> TrainResult:
    """Train ``module`` on one data set for seeds ``config.seed .. config.seed + n_seeds - 1``.

    Arguments:
        module: a Flax module called as ``module.apply(vars, x, train=...)``.
        tx: an :class:`~cpjax.optim.OptimizerConfig` (settings become program arguments: a
            second fit with another learning rate reuses the compiled program) or an optax
            transformation.
        X, Y: training windows and targets (scaled).
        X_val, Y_val: validation windows for early stopping (may be empty or None).
        config: :class:`TrainConfig`.
        extra_args_fn: with an optax transformation: its extra update keywords (Sophia).
        on_epoch: called after training with ``(epoch, train_loss, val_loss)`` per seed for
            every epoch run (the epochs run on the device; see :func:`fit_problems`).
        trainer: ``"supervised"`` or ``"adversarial"``.
        hyper: dynamic hyperparameters shared by every seed (see :class:`Problem`).

    Returns:
        :class:`TrainResult` whose parameter leaves have a leading seed axis.

    Raises:
        TrainingDivergedError: when the loss becomes NaN/Inf (names the epoch and step).
    """
    config = config or TrainConfig()
    seeds = range(config.seed, config.seed + config.n_seeds)
    probs = [Problem(X, Y, X_val, Y_val, seed=s, hyper=dict(hyper or {}), label=f"seed {s}")
             for s in seeds]
    res = fit_problems(module, tx, probs, config, trainer=trainer, extra_args_fn=extra_args_fn)
    if on_epoch is not None:
        for e in range(res.epochs_run):
            on_epoch(e + 1, res.history["train_loss"][e], res.history["val_loss"][e])
    return res


# ----------------------------------------------------------------------------- prediction
@functools.lru_cache(maxsize=256)
def _predict_program(module, shared_x: bool):
    def one(p, s, x):
        return evaluate(module, p, s, x)

    inner = jax.vmap(one, in_axes=(0, 0, None))  # seeds
    if shared_x:
        return jax.jit(inner)
    return jax.jit(jax.vmap(inner, in_axes=(0, 0, 0)))  # problems


def predict_network(module, params, batch_stats, X: Float[Array, "n lookback features"],
                    batch_size: int = 4096, per_problem: bool = False) -> np.ndarray:
    """Predict with every seed's parameters (eval mode).

    Arguments:
        module: the trained module (its dynamic fields do not matter in evaluation).
        params, batch_stats: leading axis = seed (``(S, ...)``); with ``per_problem`` two leading
            axes ``(P, S, ...)``.
        X: ``(n, L, F)`` windows (or ``(P, n, L, F)`` with ``per_problem``).

    Returns:
        ``(S, n, H)`` (or ``(P, S, n, H)``); rows are padded to a multiple of 256 internally so
        that different lengths reuse one compiled program.
    """
    X = np.asarray(X, np.float32)
    axis = 1 if per_problem else 0
    n = X.shape[axis]
    fn = _predict_program(module, not per_problem)
    chunks = []
    with matmul_precision():
        for i in range(0, n, batch_size):
            part = X[:, i:i + batch_size] if per_problem else X[i:i + batch_size]
            k = part.shape[axis]
            padded = _bucket(k, 256) if k < batch_size else k
            if padded != k:
                pad = [(0, 0)] * part.ndim
                pad[axis] = (0, padded - k)
                part = np.pad(part, pad)
            out = np.asarray(fn(params, batch_stats, jnp.asarray(part)))
            chunks.append(out[..., :k, :])
    return np.concatenate(chunks, axis=-2)
