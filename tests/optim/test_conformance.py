"""Conformance suite run on every registered optimizer (optax.contrib's _common_test, our way).

To enrol a new optimizer, add ONE line to CASES: ``"id": optimizer_config(name, lr, **settings)``.
Each case is driven only through the registry (make_optimizer / extra_update_args), exactly as the
training engine drives it.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from _optim_problems import PROBLEMS, quadratic

from cpjax.optim import (
    extra_update_args,
    make_optimizer,
    optimizer_config,
    set_sophia_key,
    standard_promotion,
)

CASES = {
    "adam": optimizer_config("adam", 1e-2),
    "adamw": optimizer_config("adamw", 1e-2),
    "rmsprop": optimizer_config("rmsprop", 3e-3),
    "sophia-H": optimizer_config("sophia", 1e-2, estimator="hutchinson"),
    "sophia-G": optimizer_config("sophia", 1e-2, estimator="gnb"),
}
IDS = list(CASES)

# Converged when loss - optimum is below this after STEPS steps (from an initial gap of ~1 to 10).
GAP_TOL = {"quadratic": 1e-4, "rosenbrock": 2e-2, "regression": 1e-4}
STEPS = 1000


def _step_fn(config, tx, prob):
    def step(carry, _):
        params, state = carry
        loss, grads = jax.value_and_grad(prob.loss_fn)(params)
        extra = extra_update_args(config, loss_fn=prob.loss_fn, output_fn=prob.output_fn)
        updates, state = tx.update(grads, state, params, **extra)
        return (optax.apply_updates(params, updates), state), loss

    return step


def _run(config, prob, steps, tx=None, params=None):
    tx = make_optimizer(config) if tx is None else tx
    params = prob.init if params is None else params
    step = _step_fn(config, tx, prob)

    @jax.jit
    def go(p):
        return jax.lax.scan(step, (p, tx.init(p)), None, length=steps)

    (params, state), losses = go(params)
    return params, state, losses


@pytest.mark.parametrize("problem", list(PROBLEMS))
@pytest.mark.parametrize("case", IDS)
def test_converges(case, problem):
    prob = PROBLEMS[problem]()
    tx = make_optimizer(CASES[case])
    params, state, losses = _run(CASES[case], prob, STEPS, tx=tx)
    gap = float(prob.loss_fn(params)) - prob.optimum
    assert np.isfinite(np.asarray(losses)).all()
    assert gap < GAP_TOL[problem], f"{case} on {problem}: loss - optimum = {gap:.3g}"
    # State shapes and dtypes are stable across steps (no retracing in a training loop).
    spec = lambda s: jax.tree.map(lambda x: (jnp.shape(x), jnp.result_type(x)), s)  # noqa: E731
    state0 = tx.init(prob.init)
    assert jax.tree.structure(state0) == jax.tree.structure(state)
    assert spec(state0) == spec(state)


# float32: every other test; float64 (x64 retraces everything) in the slow run
@pytest.mark.parametrize("dtype", ["bfloat16", pytest.param("float64", marks=pytest.mark.slow)])
@pytest.mark.parametrize("case", IDS)
def test_dtype_preserved(case, dtype):
    with jax.enable_x64(dtype == "float64"):
        prob = quadratic()
        dt = jnp.dtype(dtype)
        p0 = prob.init.astype(dt)
        params, state, losses = _run(CASES[case], prob, 20, params=p0)
        assert params.dtype == dt
        floats = [x for x in jax.tree.leaves(state)
                  if jnp.issubdtype(x.dtype, jnp.floating) and x.shape == p0.shape]
        assert floats and all(x.dtype == dt for x in floats)
        assert bool(jnp.all(jnp.isfinite(params.astype(jnp.float32))))
        assert float(losses[-1]) < float(losses[0])


@pytest.mark.parametrize("case", IDS)
def test_schedule_accepted(case):
    prob = quadratic()
    sched = optax.warmup_cosine_decay_schedule(0.0, 5e-2, 50, 500, 1e-4)
    params, _, losses = _run(CASES[case], prob, 500, tx=make_optimizer(CASES[case], sched))
    assert float(prob.loss_fn(params)) < 1e-2 * float(losses[0])


@pytest.mark.parametrize("case", IDS)
def test_inject_hyperparams_learning_rate(case):
    config, prob = CASES[case], quadratic()
    tx = optax.inject_hyperparams(lambda learning_rate: make_optimizer(config, learning_rate))(
        learning_rate=1e-2)
    state = tx.init(prob.init)
    state.hyperparams["learning_rate"] = jnp.zeros([], jnp.float32)  # frozen: no movement
    step = jax.jit(lambda c: _step_fn(config, tx, prob)(c, None)[0])
    params, state = step((prob.init, state))
    np.testing.assert_array_equal(np.asarray(params), np.asarray(prob.init))
    state.hyperparams["learning_rate"] = jnp.asarray(1e-2, jnp.float32)
    params, _ = step((params, state))
    assert not np.array_equal(np.asarray(params), np.asarray(prob.init))


@pytest.mark.parametrize("case", IDS)
def test_multisteps_equals_one_step_on_repeated_gradient(case):
    # Two micro-steps with the same gradient average to that gradient: one inner step exactly.
    config, prob = CASES[case], quadratic()
    inner = make_optimizer(config)
    # optax.MultiSteps mixes int and float (emit * count): strict promotion needs the wrapper.
    multi = standard_promotion(optax.MultiSteps(inner, every_k_schedule=2))
    extra = extra_update_args(config, loss_fn=prob.loss_fn, output_fn=prob.output_fn)
    grads = jax.grad(prob.loss_fn)(prob.init)

    @jax.jit
    def run(p):
        s = multi.init(p)
        u1, s = multi.update(grads, s, p, **extra)
        u2, s = multi.update(grads, s, p, **extra)
        ref, _ = inner.update(grads, inner.init(p), p, **extra)
        return u1, u2, ref

    u1, u2, ref = run(prob.init)
    np.testing.assert_array_equal(np.asarray(u1), 0.0)
    np.testing.assert_allclose(np.asarray(u2), np.asarray(ref), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("case", IDS)
def test_vmap_over_seeds_matches_loop(case):
    config, prob = CASES[case], PROBLEMS["regression"]()
    tx = make_optimizer(config)
    step = _step_fn(config, tx, prob)
    keys = jax.random.split(jax.random.PRNGKey(3), 3)

    def run(key):
        p = jax.tree.map(lambda x: 0.5 * jax.random.normal(key, x.shape, x.dtype), prob.init)
        state = set_sophia_key(tx.init(p), key)
        (p, _), losses = jax.lax.scan(step, (p, state), None, length=30)
        return p, losses

    batched, losses_b = jax.jit(jax.vmap(run))(keys)
    run_one = jax.jit(run)
    for i in range(len(keys)):
        p_i, losses_i = run_one(keys[i])
        np.testing.assert_allclose(np.asarray(losses_b[i]), np.asarray(losses_i), rtol=2e-5,
                                   atol=1e-6)
        for a, b in zip(jax.tree.leaves(p_i), jax.tree.leaves(batched)):
            np.testing.assert_allclose(np.asarray(b[i]), np.asarray(a), rtol=2e-5, atol=1e-6)
