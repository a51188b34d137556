"""Training engine: learning, early stopping, reproducibility, seeds, NaN guard, checkpoints."""

from __future__ import annotations

import jax
import numpy as np
import optax
import pytest

from cpjax import CpjaxInputError
from cpjax.nn import LSTMConfig, LSTMForecaster
from cpjax.train import TrainConfig, TrainingDivergedError, fit_network, get_loss, predict_network


def _data(n=240, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 8, 3)).astype(np.float32)
    Y = (0.6 * X[:, -1, :1] - 0.3 * X[:, -2, 1:2]).astype(np.float32)
    return X[:200], Y[:200], X[200:], Y[200:]


MODULE = LSTMForecaster(LSTMConfig(hidden_size=16, num_layers=1, dropout=0.0), 1)


def test_learns_and_restores_best():
    X, Y, Xv, Yv = _data()
    res = fit_network(MODULE, optax.adam(1e-2), X, Y, Xv, Yv,
                      TrainConfig(epochs=40, batch_size=32, patience=5))
    pred = predict_network(MODULE, res.params, res.batch_stats, Xv)[0]
    mse = float(np.mean((pred - Yv) ** 2))
    assert mse < 0.25 * float(np.var(Yv))  # it learned the linear signal
    best = int(res.best_epoch[0])
    np.testing.assert_allclose(mse, res.history["val_loss"][best - 1, 0], rtol=1e-5)
    assert np.nanmin(res.history["val_loss"][:, 0]) == pytest.approx(mse, rel=1e-5)


def test_early_stopping_stops():
    X, Y, Xv, _ = _data()
    noise = np.random.default_rng(5).normal(size=(40, 1)).astype(np.float32)  # unlearnable
    res = fit_network(MODULE, optax.adam(3e-2), X, Y, Xv, noise,
                      TrainConfig(epochs=200, patience=3))
    assert res.epochs_run < 200
    assert res.epochs_run == int(res.best_epoch[0]) + 3


def test_bitwise_reproducible_and_seeds_differ():
    X, Y, Xv, Yv = _data()
    cfg = TrainConfig(epochs=5, n_seeds=2, seed_strategy="loop")
    a = fit_network(MODULE, optax.adam(1e-2), X, Y, Xv, Yv, cfg)
    b = fit_network(MODULE, optax.adam(1e-2), X, Y, Xv, Yv, cfg)
    la, lb = jax.tree_util.tree_leaves(a.params), jax.tree_util.tree_leaves(b.params)
    assert all(np.array_equal(np.asarray(x), np.asarray(y)) for x, y in zip(la, lb))
    np.testing.assert_array_equal(a.history["val_loss"], b.history["val_loss"])
    assert not np.array_equal(np.asarray(la[0][0]), np.asarray(la[0][1]))


def test_vmap_and_loop_agree():
    X, Y, Xv, Yv = _data()
    kw = dict(epochs=6, n_seeds=3, patience=2)
    a = fit_network(MODULE, optax.adam(1e-2), X, Y, Xv, Yv, TrainConfig(seed_strategy="vmap", **kw))
    b = fit_network(MODULE, optax.adam(1e-2), X, Y, Xv, Yv, TrainConfig(seed_strategy="loop", **kw))
    np.testing.assert_allclose(a.history["val_loss"], b.history["val_loss"], rtol=1e-4)
    np.testing.assert_array_equal(a.best_epoch, b.best_epoch)


def test_nan_guard_names_epoch_and_keeps_last_good():
    X, Y, Xv, Yv = _data()
    Y = Y.copy()
    Y[7] = np.inf  # one bad target: the first minibatch that holds it gives a non-finite loss
    with pytest.raises(TrainingDivergedError) as info:
        fit_network(MODULE, optax.adam(1e-2), X, Y, Xv, Yv, TrainConfig(epochs=3, batch_size=200))
    err = info.value
    assert (err.epoch, err.step, err.seed) == (1, 1, 0) and "NaN/Inf" in str(err)
    assert all(np.all(np.isfinite(np.asarray(p))) for p in jax.tree_util.tree_leaves(err.last_good.params))


@pytest.mark.parametrize("name", ["mse", "mae", "huber"])
def test_losses_match_formulas(name):
    p = np.array([[0.0], [2.0], [-3.0]], np.float32)
    t = np.zeros_like(p)
    expected = {"mse": (0 + 4 + 9) / 3, "mae": (0 + 2 + 3) / 3,
                "huber": (0 + (2 - 0.5) + (3 - 0.5)) / 3}[name]
    assert float(get_loss(name, 1.0)(p, t)) == pytest.approx(expected)


@pytest.mark.parametrize("field,value", [("epochs", 0), ("batch_size", -1), ("n_seeds", 0),
                                         ("loss", "mape"), ("seed_strategy", "pmap")])
def test_bad_config(field, value):
    with pytest.raises(CpjaxInputError):
        TrainConfig(**{field: value})
