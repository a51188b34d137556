"""Hessian-diagonal estimators against exact references on a small MLP.

Exact references: ``jax.hessian`` of the loss (Hutchinson) and the Gauss–Newton diagonal
``(1/N) Σ_i J_iᵀ ∇²ℓ J_i`` built from the full Jacobian (GNB).  Each estimator is unbiased, so the
mean of M independent draws lies within ``Z · sd / sqrt(M)`` of the exact value for every
coordinate, with ``sd`` the per-coordinate sample standard deviation of the draws.  Z = 5 over ~40
coordinates gives a false-alarm probability below 1e-4 (normal approximation; M = 2000 draws make
the CLT accurate for these bounded / chi-square summands); a small absolute floor covers
coordinates whose exact value and spread are both ~0.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.flatten_util import ravel_pytree

from cpjax.optim import GNB_LOSSES, gnb_diag, hutchinson_diag

M = 2000
Z = 5.0


def _mlp(n_out: int):
    k1, k2, k3, k4 = jax.random.split(jax.random.PRNGKey(42), 4)
    params = {
        "w1": 0.8 * jax.random.normal(k1, (3, 6), jnp.float32),
        "b1": 0.1 * jax.random.normal(k2, (1, 6), jnp.float32),
        "w2": 0.8 * jax.random.normal(k3, (6, n_out), jnp.float32),
    }
    x = jax.random.normal(k4, (16, 3), jnp.float32)

    def out(p):
        return jnp.tanh(x @ p["w1"] + p["b1"]) @ p["w2"]

    return params, out


def _draws(estimate, params):
    keys = jax.random.split(jax.random.PRNGKey(7), M)
    # lax.map (a scan) compiles one draw; vmap would compile a batched threefry, ~3x slower.
    draw_all = jax.jit(lambda ks, p: jax.lax.map(lambda k: ravel_pytree(estimate(k, p))[0], ks))
    return np.asarray(draw_all(keys, params), np.float64)


def _assert_unbiased(draws, exact):
    mean, se = draws.mean(0), draws.std(0, ddof=1) / np.sqrt(M) + 1e-7
    z = (mean - exact) / se
    assert np.all(np.abs(z) <= Z), f"worst |z| = {np.max(np.abs(z)):.2f}"
    # Jointly: Σ z^2 ~ chi-square with P degrees of freedom; allow mean + 5 sd.
    p = exact.size
    limit = p + 5.0 * np.sqrt(2.0 * p)
    assert np.sum(z**2) <= limit
    # ... and the check has teeth: an estimator biased by 25% would fail it.
    assert np.sum(((mean - 1.25 * exact) / se) ** 2) > limit


@pytest.mark.parametrize("probe", ["rademacher", pytest.param("gaussian", marks=pytest.mark.slow)])
def test_hutchinson_matches_exact_hessian_diagonal(probe):
    params, out = _mlp(1)
    y = jnp.linspace(-1.0, 1.0, 16, dtype=jnp.float32)[:, None]

    def loss(p):
        return jnp.mean(jnp.square(out(p) - y))

    flat, unravel = ravel_pytree(params)
    hess = np.asarray(jax.jit(jax.hessian(lambda v: loss(unravel(v))))(flat), np.float64)
    exact = np.diag(hess)
    draws = _draws(lambda k, p: hutchinson_diag(k, p, loss, probe=probe), params)
    _assert_unbiased(draws, exact)
    if probe == "rademacher":  # variance Σ_{j≠i} H_ij^2 exactly (independent of the draw)
        var = np.sum(hess**2, axis=1) - np.diag(hess) ** 2
        np.testing.assert_allclose(draws.var(0), var, rtol=0.25, atol=1e-6)


def _gn_diag_exact(out, params, hess_of_loss):
    """(1/N) Σ_i J_iᵀ H_i J_i diagonal; rows i of f are the N terms, H_i the output Hessian."""
    flat, unravel = ravel_pytree(params)
    f = np.asarray(out(params), np.float64)
    jac = np.asarray(jax.jit(jax.jacobian(lambda v: out(unravel(v))))(flat), np.float64)  # (n, c, P)
    n = f.shape[0]
    total = np.zeros(flat.shape[0])
    for i in range(n):
        h_i = hess_of_loss(f[i])
        total += np.einsum("cp,cd,dp->p", jac[i], h_i, jac[i])
    return total / n


def test_gnb_mse_matches_exact_gauss_newton_diagonal():
    params, out = _mlp(1)
    # mean over 16 terms of (f - y)^2: output Hessian 2 per term
    exact = _gn_diag_exact(out, params, lambda f: 2.0 * np.eye(f.shape[0]))
    draws = _draws(lambda k, p: gnb_diag(k, p, out, GNB_LOSSES["mse"]), params)
    _assert_unbiased(draws, exact)


def test_gnb_cross_entropy_matches_exact_gauss_newton_diagonal():
    params, out = _mlp(3)

    def ce_hessian(f):
        p = np.exp(f - f.max())
        p /= p.sum()
        return np.diag(p) - np.outer(p, p)

    exact = _gn_diag_exact(out, params, ce_hessian)
    draws = _draws(lambda k, p: gnb_diag(k, p, out, GNB_LOSSES["cross_entropy"]), params)
    _assert_unbiased(draws, exact)


def test_gnb_half_mse_and_num_terms_scaling():
    params, out = _mlp(1)
    key = jax.random.PRNGKey(1)
    half, doubled = jax.jit(lambda p: (
        gnb_diag(key, p, out, GNB_LOSSES["half_mse"]),
        gnb_diag(key, p, out, GNB_LOSSES["half_mse"], num_terms=32)))(params)
    # ĥ = N g_s^2 with g_s ∝ 1/N: doubling N halves the estimate for the same draw
    for a, b in zip(jax.tree.leaves(half), jax.tree.leaves(doubled)):
        np.testing.assert_allclose(np.asarray(b), 0.5 * np.asarray(a), rtol=1e-5, atol=1e-8)


@pytest.mark.slow
def test_several_probes_average_single_draws():
    params, out = _mlp(1)

    def loss(p):
        return jnp.mean(jnp.square(out(p)))

    key = jax.random.PRNGKey(3)

    @jax.jit
    def both(p):
        avg = hutchinson_diag(key, p, loss, num_probes=4)
        keys = jnp.stack([key] + [jax.random.fold_in(key, i) for i in range(1, 4)])
        singles = jax.lax.map(lambda k: hutchinson_diag(k, p, loss), keys)
        return avg, jax.tree.map(lambda x: jnp.mean(x, axis=0), singles)

    avg, expect = both(params)
    for a, b in zip(jax.tree.leaves(avg), jax.tree.leaves(expect)):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-7)
