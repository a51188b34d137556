"""Diagonal Hessian estimators for Sophia: Hutchinson (Sophia-H) and Gauss–Newton–Bartlett (Sophia-G).

Both return a pytree shaped like ``params`` whose expectation is a Hessian diagonal:

* Hutchinson: ``ĥ = u ⊙ (H u)`` with ``u`` Rademacher (or Gaussian); ``E[ĥ] = diag(H)``.
  ``H u`` is one forward-over-reverse product, ``jax.jvp(jax.grad(loss_fn), (θ,), (u,))``.
* Gauss–Newton–Bartlett, for a loss ``L(θ) = (1/N) Σ_i ℓ(f_i(θ), y_i)`` where ``ℓ`` is a negative
  log-likelihood in the model output ``f``: draw ``ŷ`` from the model's own predictive distribution,
  ``g_s = ∇_θ (1/N) Σ_i ℓ(f_i, ŷ_i)``; then ``ĥ = N · g_s ⊙ g_s`` and ``E[ĥ]`` is the diagonal of the
  Gauss–Newton matrix ``(1/N) Σ_i J_iᵀ ∇²ℓ J_i`` (Bartlett's identity: the Fisher information of
  ``ℓ`` equals its Hessian).  Only first-order derivatives are needed.

Several probes (``num_probes``) are averaged; the first probe uses the key it is given directly (so
one Rademacher probe reproduces ``optax.contrib.sophia``'s draw), probe ``i >= 1`` uses
``jax.random.fold_in(key, i)``.  ``num_probes`` may be a traced integer (``inject_hyperparams``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from .._errors import CpjaxInputError, unknown_name_message

__all__ = ["GNBLoss", "GNB_LOSSES", "PROBES", "gnb_diag", "hutchinson_diag", "resolve_gnb_loss"]

PROBES = ("rademacher", "gaussian")


class GNBLoss(NamedTuple):
    """A loss on model outputs, written as a negative log-likelihood, for the GNB estimator.

    Attributes:
        name: label used in messages and configs.
        per_term: ``(f, y) -> array`` of per-term losses ``ℓ(f_i, y_i)`` (summed, then divided by N).
        sample: ``(key, f) -> ŷ`` draws labels from the model's predictive distribution at ``f``.
        num_terms: ``f -> int``, the number N of terms the training loss averages over.
    """

    name: str
    per_term: Callable[[jax.Array, jax.Array], jax.Array]
    sample: Callable[[jax.Array, jax.Array], jax.Array]
    num_terms: Callable[[jax.Array], int]


def _mse_sample(key, f):
    # (f - y)^2 is the NLL of N(f, 1/2) up to a constant: ŷ = f + sqrt(1/2) ε.
    return f + jnp.asarray(0.5**0.5, f.dtype) * jax.random.normal(key, f.shape, f.dtype)


def _half_mse_sample(key, f):
    # 0.5 (f - y)^2 is the NLL of N(f, 1): ŷ = f + ε.
    return f + jax.random.normal(key, f.shape, f.dtype)


def _ce_per_term(f, y):
    logp = jax.nn.log_softmax(f, axis=-1)
    return -jnp.take_along_axis(logp, y[..., None], axis=-1)[..., 0]


GNB_LOSSES: dict[str, GNBLoss] = {
    "mse": GNBLoss("mse", lambda f, y: jnp.square(f - y), _mse_sample, lambda f: f.size),
    "half_mse": GNBLoss(
        "half_mse", lambda f, y: 0.5 * jnp.square(f - y), _half_mse_sample, lambda f: f.size
    ),
    "cross_entropy": GNBLoss(
        "cross_entropy",
        _ce_per_term,
        lambda key, f: jax.random.categorical(key, f, axis=-1),
        lambda f: f.size // f.shape[-1],
    ),
}


def resolve_gnb_loss(gnb_loss: str | GNBLoss) -> GNBLoss:
    """Return the :class:`GNBLoss` for a name (``"mse"``, ``"half_mse"``, ``"cross_entropy"``)."""
    if isinstance(gnb_loss, GNBLoss):
        return gnb_loss
    if isinstance(gnb_loss, str) and gnb_loss in GNB_LOSSES:
        return GNB_LOSSES[gnb_loss]
    raise CpjaxInputError(
        unknown_name_message("gnb_loss", str(gnb_loss), GNB_LOSSES, where="sophia")
        + " Or pass a cpjax.optim.GNBLoss(name, per_term, sample, num_terms)."
    )


def _sample_probe(key, params, probe: str):
    # Same draw as optax.contrib.sophia: one key per leaf (optax.tree.random_like), float32 samples,
    # cast to the leaf's dtype.
    sampler = jax.random.rademacher if probe == "rademacher" else jax.random.normal
    u = optax.tree.random_like(key, params, sampler, dtype=jnp.float32)
    return jax.tree.map(lambda v, p: v.astype(p.dtype), u, params)


def _average_probes(one: Callable[[jax.Array], Any], key: jax.Array, num_probes) -> Any:
    """Mean of ``one(key_i)`` over probes; ``key_0 = key``, ``key_i = fold_in(key, i)``."""
    first = one(key)
    if isinstance(num_probes, int) and num_probes == 1:
        return first

    def body(i, acc):
        est = one(jax.random.fold_in(key, i))
        return jax.tree.map(jnp.add, acc, est)

    total = jax.lax.fori_loop(1, num_probes, body, first)
    return jax.tree.map(lambda x: x / jnp.asarray(num_probes).astype(x.dtype), total)


def hutchinson_diag(
    key: jax.Array,
    params: Any,
    loss_fn: Callable[[Any], jax.Array],
    *,
    num_probes: int = 1,
    probe: str = "rademacher",
) -> Any:
    """Hutchinson estimate ``u ⊙ Hu`` of the Hessian diagonal of ``loss_fn`` at ``params``.

    Arguments:
        key: PRNG key (raw ``uint32[2]`` or typed).
        params: point at which the Hessian is taken.
        loss_fn: ``params -> scalar``; must be twice differentiable.
        num_probes: number of probes averaged (variance falls as 1/num_probes).
        probe: ``"rademacher"`` (lower variance) or ``"gaussian"``.

    Returns:
        A pytree like ``params``.

    Example:
        >>> h = hutchinson_diag(jax.random.PRNGKey(0), jnp.ones(3), lambda p: jnp.sum(p**2))
    """
    grad_fn = jax.grad(loss_fn)

    def one(k):
        u = _sample_probe(k, params, probe)
        hu = jax.jvp(grad_fn, (params,), (u,))[1]
        return jax.tree.map(lambda a, b: (a * b).astype(a.dtype), u, hu)

    return _average_probes(one, key, num_probes)


def gnb_diag(
    key: jax.Array,
    params: Any,
    output_fn: Callable[[Any], jax.Array],
    loss: GNBLoss,
    *,
    num_probes: int = 1,
    num_terms: int | jax.Array | None = None,
) -> Any:
    """Gauss–Newton–Bartlett estimate ``N · g_s ⊙ g_s`` of the Gauss–Newton diagonal.

    Arguments:
        key: PRNG key.
        params: point at which the estimate is taken.
        output_fn: ``params -> f``, the model outputs on the current batch (one array).
        loss: the :class:`GNBLoss` the training loss averages (``L = (1/N) Σ ℓ(f_i, y_i)``).
        num_probes: number of label draws averaged.
        num_terms: N; defaults to ``loss.num_terms(f)`` (all elements for squared errors, all rows
            for cross-entropy).

    Returns:
        A pytree like ``params``.
    """
    f, vjp = jax.vjp(output_fn, params)
    n = loss.num_terms(f) if num_terms is None else num_terms
    n_f = jnp.asarray(n).astype(f.dtype)

    def one(k):
        y_hat = jax.lax.stop_gradient(loss.sample(k, f))
        s = jax.grad(lambda ff: jnp.sum(loss.per_term(ff, y_hat)) / n_f)(f)
        (g,) = vjp(s)
        return jax.tree.map(lambda x: (n_f.astype(x.dtype) * x * x).astype(x.dtype), g)

    return _average_probes(one, key, num_probes)
