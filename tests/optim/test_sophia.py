"""Sophia-specific checks of /work/shared/spec/sophia.md (estimator accuracy: test_estimators.py)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from hypothesis import given, settings, strategies as st

from cpjax.optim import set_sophia_key, sophia, sophia_diagnostics, standard_promotion


def _quadratic(a):
    """0.5 Σ a_i θ_i^2 as a loss and as mean over N terms of 0.5 f^2 with f = sqrt(N a) θ."""
    a = jnp.asarray(a, jnp.float32)
    n = a.shape[0]

    def loss(p):
        return 0.5 * jnp.sum(a.astype(p.dtype) * p * p)

    def out(p):
        return jnp.sqrt(jnp.float32(n) * a).astype(p.dtype) * p

    return loss, out


def _run(tx, params, loss, steps, out=None, extra=None):
    """jit + scan over ``steps`` with full-batch gradients; returns params, states per step."""
    extra = dict(extra or {})
    extra.setdefault("loss_fn", loss)
    if out is not None:
        extra["output_fn"] = out

    def step(carry, _):
        p, s = carry
        u, s = tx.update(jax.grad(loss)(p), s, p, **extra)
        p = optax.apply_updates(p, u)
        return (p, s), (p, s)

    (p, s), hist = jax.jit(lambda p0: jax.lax.scan(step, (p0, tx.init(p0)), None, steps))(params)
    return p, s, hist


LEVANTER_A = 2.0 + np.random.default_rng(0).uniform(-0.3, 0.3, size=8)  # A = 2I within ±0.3
SPREAD_A = np.array([0.01, 0.1, 1.0, 10.0, 100.0])


@pytest.mark.parametrize("a,k", [(LEVANTER_A, 10), (SPREAD_A, 1)], ids=["2I+-0.3,k=10", "spread,k=1"])
def test_h_tracks_diag_A_exactly_with_rademacher(a, k):
    # u ⊙ A u = diag(A) exactly for diagonal A and u in {-1, 1}: after r refreshes h = (1-b2^r) a.
    loss, _ = _quadratic(a)
    b2, steps = 0.9, 95
    tx = sophia(1e-3, b2=b2, update_interval=k)
    _, state, _ = _run(tx, jnp.ones(len(a), jnp.float32), loss, steps)
    refreshes = -(-steps // k)
    h = np.asarray(state[0].h)
    np.testing.assert_allclose(h, (1 - b2**refreshes) * a, rtol=1e-4)
    assert int(state[0].stats.num_refreshes) == refreshes


@pytest.mark.parametrize("estimator,probe", [
    pytest.param("hutchinson", "gaussian", marks=pytest.mark.slow), ("gnb", "rademacher")])
def test_h_converges_to_diag_A_statistically(estimator, probe):
    # Gaussian probes and GNB label draws are exact only in expectation: time-average of h over
    # 200 refreshes of 64 draws each -> relative sd about sqrt(2 / 12800) = 1.3%; tolerance 8%.
    loss, out = _quadratic(SPREAD_A)
    tx = sophia(1e-3, b2=0.9, update_interval=1, estimator=estimator, probe=probe,
                num_probes=64, gnb_loss="half_mse")
    _, _, (_, states) = _run(tx, jnp.ones(5, jnp.float32), loss, 300, out=out)
    h_avg = np.asarray(states[0].h[100:]).mean(axis=0)
    np.testing.assert_allclose(h_avg, SPREAD_A, rtol=0.08)


def _mlp_problem():
    k1, k2, k3 = jax.random.split(jax.random.PRNGKey(0), 3)
    params = {"w1": 0.5 * jax.random.normal(k1, (3, 8)), "w2": 0.5 * jax.random.normal(k2, (8, 1))}
    xs = jax.random.normal(k3, (25, 16, 3))  # 25 minibatches of 16
    ys = jnp.sin(xs.sum(-1, keepdims=True))

    def loss(p, x, y):
        return jnp.mean(jnp.square(jnp.tanh(x @ p["w1"]) @ p["w2"] - y))

    return params, xs, ys, loss


def _trajectory(tx, params, xs, ys, loss, kw_name):
    def step(carry, batch):
        p, s = carry
        x, y = batch
        fn = lambda q: loss(q, x, y)  # noqa: E731
        u, s = tx.update(jax.grad(fn)(p), s, p, **{kw_name: fn})
        p = optax.apply_updates(p, u)
        return (p, s), p

    return jax.jit(lambda p: jax.lax.scan(step, (p, tx.init(p)), (xs, ys))[1])(params)


def test_equals_optax_contrib_sophia_in_its_configuration():
    params, xs, ys, loss = _mlp_problem()
    common = dict(b1=0.965, b2=0.99, eps=1e-8, weight_decay=1e-3, gamma=0.01, update_interval=10)
    ref_tx = standard_promotion(optax.contrib.sophia(0.01, **common))  # key PRNGKey(0)
    ours_tx = sophia(0.01, **common, estimator="hutchinson", probe="rademacher",
                     bias_correction=True, refresh="after", seed=0)
    ref = _trajectory(ref_tx, params, xs, ys, loss, "obj_fn")
    ours = _trajectory(ours_tx, params, xs, ys, loss, "loss_fn")
    for a, b in zip(jax.tree.leaves(ref), jax.tree.leaves(ours)):
        np.testing.assert_allclose(np.asarray(b), np.asarray(a), rtol=1e-5, atol=1e-6)


def test_defaults_differ_from_optax_contrib_on_purpose():
    """Named differences: refresh before use (seed 000), no bias correction (paper), eps 1e-12."""
    a = jnp.array([1.0, 4.0], jnp.float32)
    loss, _ = _quadratic(a)
    theta = jnp.array([1.0, -0.001], jnp.float32)
    lr, b1, b2, gamma, wd = 0.1, 0.965, 0.99, 0.01, 1e-4
    g = a * theta
    # refresh="before": step 1 already uses h = (1-b2) diag(A) (Rademacher is exact here).
    r = (1 - b1) * g / (gamma * (1 - b2) * a)
    expect_before = theta - lr * (np.clip(r, -1, 1) + wd * theta)
    # refresh="after" (official/optax): step 1 runs with h = 0, a sign step of size lr.
    expect_after = theta - lr * (np.sign(g) + wd * theta)
    p_before, _, _ = _run(sophia(lr), theta, loss, 1)
    p_after, _, _ = _run(sophia(lr, refresh="after"), theta, loss, 1)
    np.testing.assert_allclose(np.asarray(p_before), expect_before, rtol=1e-5)
    np.testing.assert_allclose(np.asarray(p_after), expect_after, rtol=1e-5)
    assert not np.allclose(np.asarray(p_before), np.asarray(p_after))


def _refresh_steps(k, steps, *, vmapped=None):
    """Steps (1-based) on which the estimator called loss_fn, recorded by a host callback."""
    seen: list[int] = []
    loss0, _ = _quadratic([1.0, 2.0])

    def record(t):
        seen.append(int(t))

    def step(carry, t):
        p, s = carry

        def loss_fn(q):  # only the estimator calls loss_fn: each call logs the step
            jax.debug.callback(record, t)
            return loss0(q)

        u, s = tx.update(jax.grad(loss0)(p), s, p, loss_fn=loss_fn)
        return (optax.apply_updates(p, u), s), None

    tx = sophia(1e-2, update_interval=k)
    ts = jnp.arange(1, steps + 1)

    def run(p0, s0):
        return jax.lax.scan(step, (p0, s0), ts)[0]

    p0 = jnp.stack([jnp.ones(2), 2 * jnp.ones(2), -jnp.ones(2)]).astype(jnp.float32)
    if vmapped == "init_inside":  # state built inside the vmapped function: count unbatched
        jax.block_until_ready(jax.jit(jax.vmap(lambda p: run(p, tx.init(p))))(p0))
    elif vmapped == "batched_init":  # jax.vmap(tx.init): count batched, as in cpjax.train
        jax.block_until_ready(jax.jit(jax.vmap(run))(p0, jax.vmap(tx.init)(p0)))
    else:
        jax.block_until_ready(jax.jit(run)(p0[0], tx.init(p0[0])))
    jax.effects_barrier()
    return sorted(set(seen)), len(seen)


@pytest.mark.parametrize("k", [1, 4])  # k = 10: the vmap tests below
def test_refresh_runs_exactly_on_steps_1_k1_2k1(k):
    steps_seen, _ = _refresh_steps(k, 25)
    assert steps_seen == list(range(1, 26, k))


@pytest.mark.parametrize("mode", ["init_inside", "batched_init"])
def test_refresh_skipped_under_vmap_over_seeds(mode):
    # A batched predicate would turn lax.cond into select and call the estimator every step.
    steps_seen, _ = _refresh_steps(10, 25, vmapped=mode)
    assert steps_seen == [1, 11, 21]


def test_vmapped_seeds_out_of_step_refresh_only_when_due():
    # Seeds whose counters differ (e.g. one frozen by early stopping): each keeps its own schedule.
    a = jnp.array([1.0, 3.0], jnp.float32)
    loss, _ = _quadratic(a)
    tx = sophia(1e-2, b2=0.5, update_interval=4)
    p = jnp.ones(2, jnp.float32)

    def one(s):
        return tx.update(jax.grad(loss)(p), s, p, loss_fn=loss)[1][0]

    s0 = tx.init(p)
    sophia_states = jax.tree.map(lambda x: jnp.stack([x, x]), s0[0])
    sophia_states = sophia_states._replace(count=jnp.array([0, 2], jnp.int32))  # due / not due
    out = jax.jit(jax.vmap(lambda st: one((st,) + tuple(s0[1:]))))(sophia_states)
    np.testing.assert_allclose(np.asarray(out.h[0]), 0.5 * np.asarray(a), rtol=1e-6)
    np.testing.assert_array_equal(np.asarray(out.h[1]), 0.0)
    np.testing.assert_array_equal(np.asarray(out.stats.num_refreshes), [1, 0])


def test_weight_decay_mask_and_decoupled_decay():
    params = {"w": jnp.array([1.0, -2.0], jnp.float32), "b": jnp.array([3.0], jnp.float32)}
    lr, wd = 0.1, 0.5
    tx = sophia(lr, weight_decay=wd, weight_decay_mask={"w": True, "b": False})
    zero = jax.tree.map(jnp.zeros_like, params)
    upd, _ = jax.jit(lambda p: tx.update(zero, tx.init(p), p, loss_fn=lambda q: 0.0 * q["b"][0]))(
        params)
    # zero gradient: m = 0, r = 0, so the only update is -lr * wd * θ on the decayed leaves
    np.testing.assert_allclose(np.asarray(upd["w"]), -lr * wd * np.array([1.0, -2.0]), rtol=1e-6)
    np.testing.assert_array_equal(np.asarray(upd["b"]), 0.0)


_win_step = None


def _win_rate_step(theta):
    global _win_step
    if _win_step is None:
        loss, _ = _quadratic(np.ones(6))
        tx = sophia(0.1)
        _win_step = jax.jit(lambda p: tx.update(jax.grad(loss)(p), tx.init(p), p, loss_fn=loss)[1])
    return _win_step(theta)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(-0.015625, 0.015625, allow_nan=False, width=32), min_size=6, max_size=6))
def test_win_rate_in_unit_interval_and_analytic(theta):
    theta = jnp.asarray(theta, jnp.float32)
    state = _win_rate_step(theta)
    win = float(sophia_diagnostics(state)["win_rate"])
    # step 1, A = I, refresh before: r = (1-b1) θ / (gamma (1-b2)) = 350 θ
    r = np.float32(1 - 0.965) * np.asarray(theta) / np.float32(0.01 * (1 - 0.99))
    expect = np.mean(np.abs(r) < 1.0)
    assert 0.0 <= win <= 1.0
    if np.all(np.abs(np.abs(r) - 1.0) > 1e-3):  # away from the float boundary
        assert win == pytest.approx(expect)


def test_pmean_over_axis_name_averages_estimate_across_devices():
    a = jnp.array([1.0, 3.0], jnp.float32)
    scales = jnp.array([1.0, 2.0, 6.0], jnp.float32)  # per-device data -> per-device Hessian
    b2 = 0.99
    tx = sophia(1e-2, b2=b2, update_interval=1, axis_name="dev")

    def device_step(c, p):
        loss = lambda q: 0.5 * c * jnp.sum(a * q * q)  # noqa: E731
        g = jax.lax.pmean(jax.grad(loss)(p), "dev")
        u, s = tx.update(g, tx.init(p), p, loss_fn=loss)
        return s[0].h, optax.apply_updates(p, u)

    p = jnp.ones(2, jnp.float32)
    h, new_p = jax.jit(jax.vmap(device_step, in_axes=(0, None), axis_name="dev"))(scales, p)
    expect = (1 - b2) * float(jnp.mean(scales)) * np.asarray(a)
    for d in range(3):
        np.testing.assert_allclose(np.asarray(h[d]), expect, rtol=1e-5)
        np.testing.assert_array_equal(np.asarray(new_p[d]), np.asarray(new_p[0]))


def test_inject_hyperparams_all_numeric_settings():
    loss, _ = _quadratic([1.0, 4.0, 0.5])
    kw = dict(b1=0.9, b2=0.95, gamma=0.02, update_interval=3, num_probes=2, probe="gaussian")
    plain = sophia(0.05, **kw)
    injected = optax.inject_hyperparams(sophia)(learning_rate=0.05, **kw)
    p0 = jnp.array([1.0, -1.0, 2.0], jnp.float32)
    p_plain, _, _ = _run(plain, p0, loss, 12)
    p_inj, s_inj, _ = _run(injected, p0, loss, 12)
    np.testing.assert_allclose(np.asarray(p_inj), np.asarray(p_plain), rtol=1e-5)
    assert set(kw) - {"probe"} <= set(s_inj.hyperparams)
    assert int(sophia_diagnostics(s_inj)["num_refreshes"]) == 4


def test_set_sophia_key_and_diagnostics_through_wrappers():
    loss, _ = _quadratic([1.0, 4.0, 0.5])
    tx = optax.chain(optax.clip_by_global_norm(1.0), sophia(1e-2, probe="gaussian"))
    p = jnp.ones(3, jnp.float32)
    s1 = set_sophia_key(tx.init(p), jax.random.PRNGKey(1))
    s2 = set_sophia_key(tx.init(p), 2)
    step = jax.jit(lambda s: tx.update(jax.grad(loss)(p), s, p, loss_fn=loss)[1])
    d1, d2 = sophia_diagnostics(step(s1)), sophia_diagnostics(step(s2))
    assert float(d1["h_hat_norm"]) != float(d2["h_hat_norm"])  # different probes
    assert int(d1["num_refreshes"]) == 1 and int(d1["count"]) == 1
    assert sophia_diagnostics(optax.adam(1e-3).init(p)) is None


def test_float32_state_for_bfloat16_params_is_not_promoted():
    loss, _ = _quadratic([1.0, 2.0])
    p0 = jnp.array([1.0, -1.0], jnp.bfloat16)
    p, s, _ = _run(sophia(1e-2), p0, loss, 11)
    assert p.dtype == jnp.bfloat16 and s[0].mu.dtype == jnp.bfloat16
    assert s[0].stats.win_rate.dtype == jnp.float32
