"""The batched engine: one program for many problems, equal to separate runs, compiled once."""

from __future__ import annotations

import jax
import numpy as np
import pytest

from cpjax import CompileCount, CpjaxInputError
from cpjax.nn import LSTMConfig, LSTMForecaster, MLPConfig, MLPForecaster
from cpjax.optim import optimizer_config
from cpjax.train import Problem, TrainConfig, TrainingDivergedError, fit_network, fit_problems


def _data(n=260, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 8, 3)).astype(np.float32)
    Y = (0.6 * X[:, -1, :1] - 0.3 * X[:, -2, 1:2]
         + 0.05 * rng.normal(size=(n, 1))).astype(np.float32)
    return X, Y


LSTM = LSTMForecaster(LSTMConfig(hidden_size=8, num_layers=1, dropout=0.1), 1)
MLP = MLPForecaster(MLPConfig(hidden_size=16, num_layers=2, dropout=0.1), 1)


def _problems():
    """Four problems of different lengths, seeds, learning rates, dropout and patience."""
    X, Y = _data()
    out = []
    for i, n in enumerate((215, 208, 201, 196)):  # one padded shape (256 rows)
        out.append(Problem(X[:n], Y[:n], X[220:], Y[220:], seed=10 + i,
                           hyper={"learning_rate": 1e-3 * (1 + i), "dropout": 0.05 * i,
                                  "patience": 3 + i, "epochs": 9 + i}, label=f"p{i}"))
    return out


def _leaves_equal(a, b, i, j=0):
    la, lb = jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b)
    return all(np.array_equal(np.asarray(x)[i], np.asarray(y)[j]) for x, y in zip(la, lb))


@pytest.mark.parametrize("module", [LSTM, MLP], ids=["lstm", "mlp"])
def test_a_batch_is_bitwise_a_set_of_separate_runs(module):
    probs = _problems()
    opt = optimizer_config("adamw", 1e-3)
    cfg = TrainConfig(batch_size=32, seed_strategy="loop")
    batch = fit_problems(module, opt, probs, cfg)
    for i, p in enumerate(probs):
        alone = fit_problems(module, opt, [p], cfg)
        assert _leaves_equal(batch.params, alone.params, i)
        ran = alone.epochs_run
        np.testing.assert_array_equal(batch.history["val_loss"][:ran, i],
                                      alone.history["val_loss"][:, 0])
        assert batch.best_epoch[i] == alone.best_epoch[0]
    # the settings took effect: every problem stopped by its own epochs or patience
    runs = np.isfinite(batch.history["train_loss"]).sum(axis=0)
    assert all(r <= 9 + i for i, r in enumerate(runs))


def test_side_by_side_agrees_with_one_after_another():
    probs = _problems()
    opt = optimizer_config("adam", 1e-3)
    a = fit_problems(LSTM, opt, probs, TrainConfig(batch_size=32, seed_strategy="vmap"))
    b = fit_problems(LSTM, opt, probs, TrainConfig(batch_size=32, seed_strategy="loop"))
    np.testing.assert_allclose(a.history["val_loss"], b.history["val_loss"], rtol=1e-4)
    np.testing.assert_array_equal(a.best_epoch, b.best_epoch)


def test_another_fit_of_the_same_shapes_compiles_nothing():
    X, Y = _data()
    cfg = TrainConfig(epochs=3, batch_size=32, n_seeds=2)
    fit_network(LSTM, optimizer_config("adam", 1e-3), X[:200], Y[:200], X[220:], Y[220:], cfg)
    with CompileCount() as c:  # other data (same padded shape), learning rate, seeds, dropout
        fit_network(LSTM, optimizer_config("adam", 3e-3), X[3:203], Y[3:203], X[225:], Y[225:],
                    TrainConfig(epochs=4, batch_size=32, n_seeds=2, seed=7),
                    hyper={"dropout": 0.3})
    assert c.compiles == 0 and c.traces == 0


def test_a_diverging_problem_stops_alone():
    X, Y = _data()
    bad = Y[:200].copy()
    bad[40] = np.inf
    probs = [Problem(X[:200], Y[:200], X[220:], Y[220:], seed=0),
             Problem(X[:200], bad, X[220:], Y[220:], seed=1, label="bad data")]
    cfg = TrainConfig(epochs=4, batch_size=200, seed_strategy="loop")
    with pytest.raises(TrainingDivergedError) as info:
        fit_problems(LSTM, optimizer_config("adam", 1e-2), probs, cfg)
    err = info.value
    assert (err.epoch, err.step, err.seed, err.problem) == (1, 1, 1, 1)
    assert "bad data" in str(err)
    res = fit_problems(LSTM, optimizer_config("adam", 1e-2), probs, cfg,
                       raise_on_divergence=False)
    assert res.diverged.tolist() == [False, True]
    assert np.isfinite(res.history["train_loss"][:, 0]).all()  # the good one trained on
    assert all(np.isfinite(np.asarray(p)).all() for p in jax.tree_util.tree_leaves(res.params))


@pytest.mark.parametrize("hyper,match", [({"learnig_rate": 1e-3}, "learning_rate"),
                                         ({"dropout": 1.5}, "dropout"),
                                         ({"epochs": 0}, "epochs"),
                                         ({"l2": -1.0}, "l2")])
def test_bad_dynamic_hyperparameters(hyper, match):
    X, Y = _data()
    with pytest.raises(CpjaxInputError, match=match):
        fit_problems(LSTM, optimizer_config("adam", 1e-3), [Problem(X, Y, hyper=hyper)])
