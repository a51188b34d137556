"""The Neural ODE trained by cpjax.train's engine (kit "ode") with optimizers of cpjax.optim's
registry: dynamics recovered, seeds side by side, no recompilation, the accept hook."""

from __future__ import annotations

import dataclasses

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.linalg

from cpjax import CompileCount, CpjaxInputError
from cpjax.node import (
    NodeConfig,
    demo_data,
    fit,
    fit_many,
    node_optimizer,
    prepare,
    train_node,
)
from cpjax.optim import optimizer_config, optimizer_names

A = np.array([[-0.3, 1.2], [-1.2, -0.3]])
# Most tests share these shapes and this architecture, so the engine compiles their program once
# (epochs, patience, seeds, learning rate and the data are arguments of it).
LINEAR = NodeConfig(width=16, depth=1, activation="tanh", time_features="none", decay=0.0,
                    epochs=40, batch_size=8, window=8, learning_rate=1e-2, patience=0,
                    solver="rk4", dt0_years=0.05)
N_TRAIN, N_VAL = 30, 6


def _linear_data(n_panels=2, n=40):
    ts = np.arange(n) / 10.0
    z0s = [np.array([1.0 + 0.3 * p, -0.5 + 0.2 * p]) for p in range(n_panels)]
    return ts, np.stack([np.stack([scipy.linalg.expm(A * t) @ z0 for t in ts]) for z0 in z0s])


def test_recovers_a_linear_system():
    """dz/dt = A z: the validation loss falls 100-fold, and the learned field's Jacobian on the
    training states is A."""
    ts, z = _linear_data()
    res = fit(ts, z, np.ones((2, 2), bool), N_TRAIN, N_VAL, dataclasses.replace(LINEAR,
                                                                                epochs=400))
    assert res.best_val < 2e-4 and res.history[0]["val_loss"] > 100 * res.best_val
    states = jnp.asarray(z[:, :N_TRAIN:3].reshape(-1, 2), jnp.float32)
    jac = jax.vmap(jax.jacfwd(lambda y: res.field(0.0, y, None)))(states)
    assert np.max(np.abs(np.asarray(jac).mean(axis=0) - A)) < 0.2


def test_two_seeds_side_by_side_equal_two_runs():
    ts, z = _linear_data()
    cfg = dataclasses.replace(LINEAR, epochs=6, patience=2)
    both = fit_many(ts, z, np.ones((2, 2), bool), N_TRAIN, N_VAL, cfg, seeds=[0, 1], seed_strategy="vmap")
    for seed, r in zip((0, 1), both, strict=True):
        alone = fit(ts, z, np.ones((2, 2), bool), N_TRAIN, N_VAL, dataclasses.replace(cfg, seed=seed))
        assert r.seed == seed and r.best_epoch == alone.best_epoch
        assert r.epochs_run == alone.epochs_run
        np.testing.assert_allclose([h["val_loss"] for h in r.history],
                                   [h["val_loss"] for h in alone.history], rtol=1e-4)
        for a, b in zip(jax.tree.leaves(eqx.filter(r.field, eqx.is_array)),
                        jax.tree.leaves(eqx.filter(alone.field, eqx.is_array)), strict=True):
            np.testing.assert_allclose(np.asarray(a), np.asarray(b), atol=1e-5)
    # different seeds are different problems
    assert both[0].history[1]["val_loss"] != both[1].history[1]["val_loss"]


def test_a_second_fit_of_the_same_shapes_compiles_nothing():
    ts, z = _linear_data()
    cfg = dataclasses.replace(LINEAR, epochs=3, patience=2)
    fit(ts, z, np.ones((2, 2), bool), N_TRAIN, N_VAL, cfg)
    other = dataclasses.replace(cfg, seed=4, learning_rate=3e-3, epochs=5, patience=1,
                                grad_clip=0.5)
    with CompileCount() as c:
        res = fit(ts, 0.5 * z, np.array([[True, False], [True, True]]), N_TRAIN, N_VAL, other)
    assert c.compiles == 0 and c.traces == 0
    assert res.compile_seconds == 0.0 and res.epochs_run >= 2
    # a refit on more months without validation shares the program too (train_node's refit)
    with CompileCount() as c:
        refit = fit(ts, z, np.ones((2, 2), bool), 36, 0, other,
                    share_shapes_with=(N_TRAIN, N_VAL))
    assert c.compiles == 0 and refit.epochs_run == refit.best_epoch == 5


# each optimizer structure is a program of its own (about 20 s of compilation here): adam (shared
# with the tests above) and adamw by default, the others in the slow run
@pytest.mark.parametrize("name", [n if n in ("adam", "adamw") else pytest.param(
    n, marks=pytest.mark.slow) for n in optimizer_names() if n != "sophia"])
def test_every_first_order_optimizer_of_the_registry(name):
    ts, z = _linear_data()
    cfg = dataclasses.replace(LINEAR, epochs=8, optimizer=name, patience=0,
                              learning_rate=0.05 if name == "sgd" else 1e-2)
    res = fit(ts, z, np.ones((2, 2), bool), N_TRAIN, N_VAL, cfg)
    assert res.best_val < res.history[0]["val_loss"]


@pytest.mark.slow  # a program per estimator; Sophia-H's direct adjoint compiles longer still
@pytest.mark.parametrize("estimator", ["gnb", "hutchinson"])
def test_sophia_trains_the_ode(estimator):
    ts, z = _linear_data()
    cfg = dataclasses.replace(LINEAR, epochs=8, patience=0)
    opt = optimizer_config("sophia", 1e-2, estimator=estimator)
    res = fit(ts, z, np.ones((2, 2), bool), N_TRAIN, N_VAL, cfg, optimizer=opt)
    assert res.best_val < 0.5 * res.history[0]["val_loss"]


def test_optimizer_names_come_from_the_registry():
    with pytest.raises(CpjaxInputError, match="unknown optimizer 'adabelief'.*adamw"):
        NodeConfig(optimizer="adabelief")
    opt = node_optimizer(NodeConfig(optimizer="sgd", grad_clip=0.5))
    assert (opt.name, opt.momentum, opt.clip_grad_norm) == ("sgd", 0.9, 0.5)
    opt = node_optimizer(NodeConfig(optimizer="sophia", weight_decay=1e-3, grad_clip=0.0))
    assert (opt.weight_decay, opt.clip_grad_norm) == (1e-3, None)
    assert node_optimizer(NodeConfig()).weight_decay is None  # adam has none


@pytest.mark.slow  # other shapes (the refit's; it also runs in the node CLI test)
def test_without_validation_every_epoch_runs_and_the_last_is_kept():
    ts, z = _linear_data()
    cfg = dataclasses.replace(LINEAR, epochs=4, patience=1)
    res = fit(ts, z, np.ones((2, 2), bool), z.shape[1], 0, cfg)
    assert res.epochs_run == 4 and res.best_epoch == 4 and not res.stopped_early
    assert np.isnan(res.best_val) and all(np.isnan(h["val_loss"]) for h in res.history)


def _plausibility_hook(config):
    """The real plausibility selection of train_node on the demo data (10-year rollouts)."""
    from cpjax.node import NodeModel
    from cpjax.node._api import _plausible_rollout

    prep = prepare(demo_data(), config)
    d = prep.data
    n_fit = prep.n_train + prep.n_val

    def as_model(f, history):
        return NodeModel(f, config, d.series, d.panels, d.units, prep.scalers, prep.floor,
                         prep.mask, str(d.dates[0]), history, "test")

    return prep, _plausible_rollout(as_model, d.values[:, :n_fit].copy(), 10)


def _exploding(field):
    """The field plus 10 standard deviations per year on every series: explosive growth."""
    last = field.mlp.layers[-1]
    return eqx.tree_at(lambda f: f.mlp.layers[-1].bias, field, last.bias + 10.0)


def test_plausibility_hook_rejects_an_implausible_epoch():
    """train_node's plausibility check (10-year rollouts on the demo data) inside the engine's
    loop: every second epoch it is asked about, the hook judges that epoch's field made
    explosive, which the check refuses; those epochs are never selected, the others are."""
    cfg = NodeConfig(width=8, depth=1, epochs=8, window=13, patience=0, learning_rate=3e-3)
    prep, plausible = _plausibility_hook(cfg)
    calls = []

    def accept(field):
        calls.append(len(calls) % 2 == 1)
        return plausible(_exploding(field)) if calls[-1] else True

    res = fit(prep.times, prep.z, prep.mask, prep.n_train - prep.offset, prep.n_val, cfg,
              accept=accept)
    # the epochs the hook was asked about: those improving on the last accepted one
    best, asked = np.inf, []
    for h in res.history[1:]:
        if h["val_loss"] < best:
            asked.append(h["epoch"])
            best = h["val_loss"] if h["accepted"] else best
    assert len(asked) == len(calls) >= 2 and any(calls)
    for epoch, made_bad in zip(asked, calls, strict=True):
        assert res.history[epoch]["accepted"] == (not made_bad)
    assert res.accepted and res.best_epoch == max(e for e, bad in zip(asked, calls) if not bad)
    assert res.best_val == min(res.history[e]["val_loss"] for e, bad in zip(asked, calls)
                               if not bad)


@pytest.mark.slow
def test_train_node_with_plausible_epochs_records_the_selection():
    cfg = NodeConfig(width=8, depth=1, epochs=4, window=13, plausible_years=10)
    res = train_node(demo_data(), cfg, baselines=())
    assert isinstance(res.eval_model.fit_info["plausible_selection"], bool)
    assert res.refit is not None and res.refit.epochs_run == max(res.fit.best_epoch, 1)
