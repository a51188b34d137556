"""Sophia (Liu et al. 2023; seed 000 §3.1) as an optax ``GradientTransformationExtraArgs``.

Per step t (``k = update_interval``)::

    m  = b1 m + (1 - b1) g                  (optionally m / (1 - b1^t))
    if t mod k == 1:  h = b2 h + (1 - b2) ĥ(θ_t)          ("before": seed 000's order, default)
    r  = m / max(gamma h, eps);  u = clip(r, -c, c)
    if t mod k == 1:  h = b2 h + (1 - b2) ĥ(θ_t)          ("after": official code, optax.contrib)

The estimate ĥ is computed inside ``lax.cond`` on the step counter, so on the other k - 1 steps
no Hessian work is done at all.  Under ``vmap`` over seeds the counter may be batched (e.g. from
``jax.vmap(tx.init)``); a custom batching rule then reduces the predicate with ``any`` so that the
``cond`` stays a real branch instead of becoming a select that runs the estimator every step.
Weight decay and the learning rate are added by the
:func:`sophia` alias (``θ ← θ - lr (u + wd θ)``).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from .._errors import CpjaxInputError
from ._compat import standard_promotion
from ._estimators import PROBES, GNBLoss, gnb_diag, hutchinson_diag, resolve_gnb_loss
from ._validate import check_choice, check_int, check_range

__all__ = ["SophiaState", "SophiaStats", "scale_by_sophia", "sophia", "DEFAULT_GAMMA"]

ESTIMATORS = ("hutchinson", "gnb")
REFRESH_ORDERS = ("before", "after")
DEFAULT_GAMMA = {"hutchinson": 0.01, "gnb": 0.05}
#: The keyword argument each estimator needs at ``update`` time.
REQUIRED_EXTRA_ARG = {"hutchinson": "loss_fn", "gnb": "output_fn"}


class SophiaStats(NamedTuple):
    """Diagnostics of the last step (float32 scalars, ``num_refreshes`` int32)."""

    win_rate: jax.Array  # this step: fraction of coordinates with |r| < clip (healthy 0.1..0.5)
    h_norm: jax.Array  # L2 norm of the Hessian EMA h in the state (updated at refreshes)
    h_hat_norm: jax.Array  # L2 norm of the last fresh estimate ĥ
    h_nonpos_frac: jax.Array  # fraction of coordinates of h with gamma*h <= eps (sign-like steps)
    num_refreshes: jax.Array  # number of estimator calls so far


class SophiaState(NamedTuple):
    """State of :func:`scale_by_sophia`."""

    count: jax.Array  # int32 scalar, steps taken (not per seed)
    mu: Any  # momentum, like params
    h: Any  # EMA of the diagonal Hessian estimate, like params
    key: jax.Array  # raw uint32[2] PRNG key for the probes
    stats: SophiaStats


def _as_key(seed) -> jax.Array:
    seed = jnp.asarray(seed)
    if seed.dtype == jnp.uint32 and seed.shape == (2,):
        return seed  # already a raw key
    if jnp.issubdtype(seed.dtype, jax.dtypes.prng_key):
        return jax.random.key_data(seed)
    return jax.random.PRNGKey(seed)


@jax.custom_batching.custom_vmap
def _any_due(pred: jax.Array) -> jax.Array:
    """Identity on an unbatched predicate; under vmap, ``any`` over the batch, unbatched."""
    return pred


@_any_due.def_vmap
def _any_due_vmap(axis_size, in_batched, pred):
    del axis_size
    (batched,) = in_batched
    return (jnp.any(pred) if batched else pred), False


def _zero_stats() -> SophiaStats:
    z = jnp.zeros([], jnp.float32)
    return SophiaStats(z, z, z, z, jnp.zeros([], jnp.int32))


def _global_norm(tree) -> jax.Array:
    leaves = jax.tree.leaves(tree)
    return jnp.sqrt(sum(jnp.sum(jnp.square(x.astype(jnp.float32))) for x in leaves))


def _fraction(tree, pred) -> jax.Array:
    leaves = jax.tree.leaves(tree)
    size = sum(x.size for x in leaves)
    hits = sum(jnp.sum(pred(x)).astype(jnp.float32) for x in leaves)
    return hits / jnp.float32(max(size, 1))


def scale_by_sophia(
    b1: float = 0.965,
    b2: float = 0.99,
    gamma: float | None = None,
    eps: float = 1e-12,
    update_interval: int = 10,
    estimator: str = "hutchinson",
    num_probes: int = 1,
    probe: str = "rademacher",
    gnb_loss: str | GNBLoss = "mse",
    clip_threshold: float | None = 1.0,
    refresh: str = "before",
    bias_correction: bool = False,
    seed: int | jax.Array = 0,
    axis_name: str | None = None,
) -> optax.GradientTransformationExtraArgs:
    """Sophia's preconditioned, clipped direction ``clip(m / max(gamma h, eps))`` (no lr, no decay).

    Arguments: see :func:`sophia`.

    Returns:
        An ``optax.GradientTransformationExtraArgs``; its ``update(grads, state, params, *,
        loss_fn=None, output_fn=None, num_terms=None, probe_key=None)`` needs ``loss_fn``
        (Hutchinson) or ``output_fn`` (GNB); ``probe_key`` (optional) replaces the state's key for
        this step's probe draw.
    """
    check_range("b1", b1, 0.0, 1.0, hi_open=True)
    check_range("b2", b2, 0.0, 1.0, hi_open=True)
    estimator = check_choice("estimator", estimator, ESTIMATORS)
    if gamma is None:
        gamma = DEFAULT_GAMMA[estimator]
    check_range("gamma", gamma, 0.0, None, lo_open=True)
    check_range("eps", eps, 0.0, None, lo_open=True)
    check_int("update_interval", update_interval, 1)
    check_int("num_probes", num_probes, 1)
    probe = check_choice("probe", probe, PROBES)
    refresh = check_choice("refresh", refresh, REFRESH_ORDERS)
    if clip_threshold is not None:
        check_range("clip_threshold", clip_threshold, 0.0, None, lo_open=True)
    if not isinstance(bias_correction, bool):
        raise CpjaxInputError(f"bias_correction must be True or False, got {bias_correction!r}")
    loss_spec = resolve_gnb_loss(gnb_loss) if estimator == "gnb" else None
    needed = REQUIRED_EXTRA_ARG[estimator]

    def init_fn(params):
        return SophiaState(
            count=jnp.zeros([], jnp.int32),
            mu=optax.tree.zeros_like(params),
            h=optax.tree.zeros_like(params),
            key=_as_key(seed),
            stats=_zero_stats(),
        )

    def estimate(key, params, extra):
        if estimator == "hutchinson":
            return hutchinson_diag(
                key, params, extra["loss_fn"], num_probes=num_probes, probe=probe
            )
        return gnb_diag(
            key, params, extra["output_fn"], loss_spec, num_probes=num_probes,
            num_terms=extra.get("num_terms"),
        )

    def update_fn(updates, state, params=None, **extra):
        if params is None:
            raise CpjaxInputError("sophia needs params: call tx.update(grads, state, params, ...)")
        if extra.get(needed) is None:
            how = ("loss_fn=lambda p: loss(p, batch)" if needed == "loss_fn"
                   else "output_fn=lambda p: model.apply(p, batch_x)")
            raise CpjaxInputError(
                f"sophia with estimator={estimator!r} needs the keyword argument {needed!r} at "
                f"update time; fix: tx.update(grads, state, params, {how}) "
                "(see cpjax.optim.extra_update_args)"
            )
        count_inc = optax.safe_int32_increment(state.count)
        mu = jax.tree.map(
            lambda m, g: (jnp.asarray(b1, m.dtype) * m
                          + jnp.asarray(1.0 - b1, m.dtype) * g.astype(m.dtype)),
            state.mu, updates,
        )
        if bias_correction:
            corr = 1.0 - jnp.asarray(b1, jnp.float32) ** count_inc.astype(jnp.float32)
            mu_hat = jax.tree.map(lambda m: m / corr.astype(m.dtype), mu)
        else:
            mu_hat = mu

        probe_key = extra.get("probe_key")

        def do_refresh(h, key, stats):
            key, sub = jax.random.split(key)
            if probe_key is not None:  # caller-supplied per-step (e.g. per-seed) randomness
                sub = _as_key(probe_key)
            if axis_name is not None:  # independent probes per device, averaged estimate
                sub = jax.random.fold_in(sub, jax.lax.axis_index(axis_name))
            h_hat = estimate(sub, params, extra)
            if axis_name is not None:
                h_hat = jax.lax.pmean(h_hat, axis_name)
            h = jax.tree.map(
                lambda a, e: (jnp.asarray(b2, a.dtype) * a
                              + jnp.asarray(1.0 - b2, a.dtype) * e.astype(a.dtype)),
                h, h_hat,
            )
            # h only changes here, so its summaries are computed here (not on every step)
            stats = stats._replace(
                h_norm=_global_norm(h),
                h_hat_norm=_global_norm(h_hat),
                h_nonpos_frac=_fraction(
                    h, lambda v: jnp.asarray(gamma, v.dtype) * v <= jnp.asarray(eps, v.dtype)
                ),
                num_refreshes=stats.num_refreshes + 1,
            )
            return h, key, stats

        # Under vmap over seeds a batched predicate would turn lax.cond into a select that runs
        # the estimator on every step.  _any_due keeps the predicate unbatched (true when any
        # seed is due: in lock-step training exactly the refresh steps); the per-seed select
        # below then keeps a fresh estimate only where that seed was due.
        is_refresh = (state.count % update_interval) == 0
        h_ref, key_ref, stats_ref = jax.lax.cond(
            _any_due(is_refresh), do_refresh, lambda h, k, s: (h, k, s),
            state.h, state.key, state.stats,
        )
        h_new, key, stats = jax.tree.map(
            lambda a, b: jnp.where(is_refresh, a, b), (h_ref, key_ref, stats_ref),
            (state.h, state.key, state.stats),
        )
        h_used = h_new if refresh == "before" else state.h

        ratio = jax.tree.map(
            lambda m, h: m / jnp.maximum(jnp.asarray(gamma, h.dtype) * h,
                                         jnp.asarray(eps, h.dtype)),
            mu_hat, h_used,
        )
        c = 1.0 if clip_threshold is None else clip_threshold
        win = _fraction(ratio, lambda r: jnp.abs(r) < jnp.asarray(c, r.dtype))
        if clip_threshold is not None:
            ratio = jax.tree.map(
                lambda r: jnp.clip(r, -jnp.asarray(c, r.dtype), jnp.asarray(c, r.dtype)), ratio
            )
        stats = stats._replace(win_rate=win)
        new_state = SophiaState(count=count_inc, mu=mu, h=h_new, key=key, stats=stats)
        return ratio, new_state

    return optax.GradientTransformationExtraArgs(init_fn, update_fn)


def sophia(
    learning_rate: float | optax.Schedule,
    b1: float = 0.965,
    b2: float = 0.99,
    gamma: float | None = None,
    eps: float = 1e-12,
    weight_decay: float = 1e-4,
    weight_decay_mask: Any = None,
    update_interval: int = 10,
    estimator: str = "hutchinson",
    num_probes: int = 1,
    probe: str = "rademacher",
    gnb_loss: str | GNBLoss = "mse",
    clip_threshold: float | None = 1.0,
    refresh: str = "before",
    bias_correction: bool = False,
    seed: int | jax.Array = 0,
    axis_name: str | None = None,
) -> optax.GradientTransformationExtraArgs:
    """Sophia: clipped, diagonally preconditioned momentum with a lazily refreshed Hessian EMA.

    ``θ ← θ - lr · (clip(m / max(gamma·h, eps), ±clip_threshold) + weight_decay · θ)``.

    Arguments:
        learning_rate: step size (the largest per-coordinate step is ``lr · clip_threshold``),
            or an optax schedule.
        b1: momentum decay, in [0, 1).
        b2: decay of the Hessian EMA per refresh, in [0, 1) (effective per step ``1-(1-b2)/k``).
        gamma: scale of h in the denominator; ``None`` gives 0.01 (Hutchinson) / 0.05 (GNB).
        eps: floor of the denominator (> 0); where ``gamma·h <= eps`` the step is sign-like.
        weight_decay: decoupled weight decay (>= 0).
        weight_decay_mask: optax mask (pytree of bools or callable) selecting decayed leaves.
        update_interval: k, refresh h on steps 1, k+1, 2k+1, ... (integer >= 1).
        estimator: ``"hutchinson"`` (Sophia-H, needs ``loss_fn``) or ``"gnb"`` (Sophia-G, needs
            ``output_fn``).
        num_probes: probes (Hutchinson) or label draws (GNB) averaged per refresh.
        probe: ``"rademacher"`` or ``"gaussian"`` (Hutchinson).
        gnb_loss: ``"mse"`` (mean (f-y)^2), ``"half_mse"`` (mean 0.5 (f-y)^2),
            ``"cross_entropy"`` (mean over rows of softmax cross-entropy, integer labels) or a
            :class:`GNBLoss`; must match the training loss.
        clip_threshold: per-coordinate clip of the ratio (``None``: no clip).
        refresh: ``"before"`` (seed 000: estimate at θ_t, then use it) or ``"after"`` (official
            code and ``optax.contrib.sophia``: use h, then refresh; first steps are sign steps).
        bias_correction: divide m by ``1 - b1^t`` (paper: off; optax.contrib: on).
        seed: int or PRNG key for the probes (see :func:`set_sophia_key` for vmap over seeds).
        axis_name: if set, the estimate is averaged with ``lax.pmean`` over this mapped axis
            (``pmap``/``shard_map``/``vmap(axis_name=...)``); each device draws its own probe.

    Returns:
        ``optax.GradientTransformationExtraArgs``.  Call ``update(grads, state, params,
        loss_fn=...)`` (Hutchinson) or ``update(grads, state, params, output_fn=...)`` (GNB,
        optional ``num_terms=N``); the arguments pass through ``optax.chain``,
        ``inject_hyperparams`` and ``MultiSteps`` by keyword.

    Example:
        >>> tx = sophia(1e-3)
        >>> state = tx.init(params)
        >>> upd, state = tx.update(grads, state, params, loss_fn=lambda p: loss(p, batch))
    """
    check_range("learning_rate", learning_rate, 0.0, None, lo_open=True)
    check_range("weight_decay", weight_decay, 0.0, None)
    return optax.chain(
        scale_by_sophia(
            b1=b1, b2=b2, gamma=gamma, eps=eps, update_interval=update_interval,
            estimator=estimator, num_probes=num_probes, probe=probe, gnb_loss=gnb_loss,
            clip_threshold=clip_threshold, refresh=refresh, bias_correction=bias_correction,
            seed=seed, axis_name=axis_name,
        ),
        # optax's schedules are not strict-promotion clean (int count * float): wrap that part.
        standard_promotion(optax.chain(
            optax.add_decayed_weights(weight_decay, mask=weight_decay_mask),
            optax.scale_by_learning_rate(learning_rate),
        )),
    )
