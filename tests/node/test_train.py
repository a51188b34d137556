"""Loss, gradients, optimizers, early stopping, batching over panels, irregular grids (training
runs through cpjax.train's engine; tests/node/test_node_engine.py covers seeds, compilation, the
optimizer registry and the accept hook)."""

from __future__ import annotations

import dataclasses

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
import scipy.linalg

from cpjax import CpjaxInputError
from cpjax.node import NodeConfig, fit, forecast_from, make_field, trajectory_loss

A = np.array([[-0.3, 1.2], [-1.2, -0.3]])


def _linear_panels(ts: np.ndarray, n_panels: int = 2) -> np.ndarray:
    out = []
    for p in range(n_panels):
        z0 = np.array([1.0 + 0.3 * p, -0.5 + 0.2 * p])
        out.append(np.stack([scipy.linalg.expm(A * t) @ z0 for t in ts]))
    return np.stack(out)


@pytest.mark.slow  # the same check through the solver runs by default in test_drivers.py
def test_loss_gradient_matches_finite_differences():
    cfg = NodeConfig(width=8, depth=1, activation="tanh", solver="rk4", dt0_years=0.05)
    ts = jnp.linspace(0.0, 1.0, 6)
    y = jnp.asarray(_linear_panels(np.asarray(ts), 1)[0], jnp.float32)
    w = jnp.array([1.0, 2.0])
    with jax.enable_x64(True):
        f = jax.tree.map(lambda x: jnp.asarray(x, jnp.float64) if eqx.is_array(x) else x,
                         make_field(2, cfg))
        y64, ts64, w64 = (jnp.asarray(a, jnp.float64) for a in (y, ts, w))
        loss = eqx.filter_jit(lambda f: trajectory_loss(f, y64[0], ts64, y64, w64, cfg))
        g = eqx.filter_jit(eqx.filter_grad(loss))(f)
        h = 1e-6
        bump = lambda d: eqx.tree_at(lambda m: m.mlp.layers[0].weight,  # noqa: E731
                                     f, f.mlp.layers[0].weight.at[1, 0].add(d))
        fd = (loss(bump(h)) - loss(bump(-h))) / (2 * h)
        assert float(g.mlp.layers[0].weight[1, 0]) == pytest.approx(float(fd), rel=1e-5)


def test_weighted_masked_mse_by_hand():
    class Zero(eqx.Module):
        def __call__(self, t, z, args):
            return jnp.zeros_like(z)

    ts = jnp.array([0.0, 0.5, 1.0])
    y = jnp.array([[0.0, 0.0], [1.0, 2.0], [3.0, 4.0]])
    cfg = NodeConfig(solver="rk4")
    got = trajectory_loss(Zero(), y[0], ts, y, jnp.array([1.0, 0.0]), cfg)
    assert float(got) == pytest.approx((1 + 9) / 2)
    got = trajectory_loss(Zero(), y[0], ts, y, jnp.array([1.0, 3.0]), cfg)
    assert float(got) == pytest.approx((1 + 9 + 3 * (4 + 16)) / (4 * 2))


@pytest.mark.slow
def test_fit_learns_a_linear_system_on_an_irregular_grid():
    rng = np.random.default_rng(0)
    ts = np.sort(np.concatenate([[0.0], rng.uniform(0, 6, 58), [6.0]]))
    z = _linear_panels(ts, 2)
    cfg = NodeConfig(width=16, depth=1, activation="tanh", time_features="none", epochs=100,
                     batch_size=14, window=8, learning_rate=1e-2, patience=0,
                     solver="rk4", dt0_years=0.05)
    res = fit(ts, z, np.ones((2, 2), bool), 42, 9, cfg)
    # (seeds 0..7 reach 4e-5..5e-4 from initial losses of 0.01..0.07)
    assert res.best_val < 1e-3 and res.history[0]["val_loss"] > 10 * res.best_val
    # 2 panels x 35 windows of 8 points = 70 windows, 5 steps of 14 per epoch, all epochs run
    assert res.steps_per_epoch == 5 and res.epochs_run == 100 and not res.stopped_early
    assert [h["step"] for h in res.history[-2:]] == [495, 500]
    # the returned field is the best one (restored), scored by an independent computation
    pred = forecast_from(res.field, jnp.asarray(z, jnp.float32), jnp.asarray(
        np.broadcast_to(ts, (2, 60)), jnp.float32), 41, 9, cfg)
    val = float(np.mean((np.asarray(pred) - z[:, 42:51]) ** 2))
    assert val == pytest.approx(res.best_val, rel=1e-3)


def test_any_optax_transform_extra_args_and_early_stopping(tiny_config):
    """A custom GradientTransformationExtraArgs that never moves the parameters: it receives what
    ``extra_args_fn`` builds from the engine's context (the batch loss, the weighted outputs),
    and early stopping ends the run (no improvement)."""
    seen = {}

    def init(params):
        return optax.EmptyState()

    def update(updates, state, params=None, **extra):
        seen.update(extra)
        return jax.tree.map(jnp.zeros_like, updates), state

    def extra(ctx):
        return {"hessian_hint": jnp.float32(1.0), "loss": ctx.loss_fn(ctx_params[0]),
                "targets": ctx.targets}

    ts = np.sort(np.random.default_rng(1).uniform(0, 3, 40))  # irregular grid
    z = _linear_panels(ts, 1)
    cfg = dataclasses.replace(tiny_config, epochs=500, patience=2, solver="rk4", dt0_years=0.1)
    ctx_params = [eqx.filter(make_field(2, cfg), eqx.is_inexact_array)]
    res = fit(ts, z, np.ones((1, 2), bool), 28, 6, cfg,
              optimizer=optax.GradientTransformationExtraArgs(init, update),
              extra_args_fn=extra)
    assert {"hessian_hint", "loss", "targets"} <= set(seen) and seen["loss"].shape == ()
    assert seen["targets"].shape == (8, 6, 2)  # batch of 8 windows, 6 points after the first
    # epoch 1 is the first (and only) improvement on the initial loss, then 2 epochs of patience;
    # 22 windows of 7 points in batches of 8: 2 steps per epoch
    assert res.stopped_early and res.best_epoch == 1 and res.epochs_run == 3
    assert [(h["epoch"], h["step"]) for h in res.history] == [(0, 0), (1, 2), (2, 4), (3, 6)]


def test_bad_inputs(tiny_config):
    ts = np.linspace(0, 3, 40)
    z = _linear_panels(ts, 1)
    with pytest.raises(CpjaxInputError, match="strictly increasing"):
        fit(ts[::-1], z, np.ones((1, 2), bool), 28, 6, tiny_config)
    with pytest.raises(CpjaxInputError, match="series_weights"):
        fit(ts, z, np.ones((1, 2), bool), 28, 6,
            dataclasses.replace(tiny_config, series_weights=(1.0, 2.0, 3.0)))
    with pytest.raises(CpjaxInputError, match="epochs"):
        NodeConfig(epochs=0)
    with pytest.raises(CpjaxInputError, match="patience"):
        NodeConfig(patience=-1)
    with pytest.raises(CpjaxInputError, match="activation"):
        NodeConfig(activation="gelu")
