"""CPU vs GPU: the same seed and data give the same model within the stated tolerance.

Runs only where JAX has a GPU (``gpu`` marker; skipped on the CPU).  The policy (README, GPU
section; ``cpjax._precision``): cpjax's programs multiply float32 matrices at full float32
precision ("highest") unless the user asks for "default" (TF32 on NVIDIA GPUs).  Tolerances:

* one forward pass: relative 1e-5 (rounding of float32 sums in another order);
* 10 epochs of LSTM training: predictions within 1e-3 of the target's scale (rounding
  differences grow through training; TF32 would give about 1e-2).
"""

from __future__ import annotations

import jax
import numpy as np
import pytest

import cpjax
from cpjax.nn import LSTMConfig, LSTMForecaster
from cpjax.optim import optimizer_config
from cpjax.train import TrainConfig, fit_network, init_variables, predict_network

pytestmark = pytest.mark.gpu


def _data(n=400, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 10, 5)).astype(np.float32)
    Y = (0.6 * X[:, -1, :1] - 0.3 * X[:, -3, 1:2] + 0.1 * rng.normal(size=(n, 1))).astype(np.float32)
    return X, Y


MODULE = LSTMForecaster(LSTMConfig(hidden_size=64, num_layers=2, dropout=0.1), 1)


def _on_cpu(fn):
    with jax.default_device(jax.devices("cpu")[0]):
        return fn()


def test_forward_pass_agrees():
    X, _ = _data()
    params, stats = init_variables(MODULE, jax.random.key(0), X[:1])
    p = jax.tree_util.tree_map(lambda a: a[None], params)
    gpu = predict_network(MODULE, p, {}, X)
    cpu = _on_cpu(lambda: predict_network(MODULE, jax.device_put(p, jax.devices("cpu")[0]), {}, X))
    np.testing.assert_allclose(gpu, cpu, rtol=1e-5, atol=1e-6)


def _fit_predict(X, Y):
    res = fit_network(MODULE, optimizer_config("adam", 1e-3), X[:300], Y[:300], X[300:350],
                      Y[300:350], TrainConfig(epochs=10, batch_size=32, patience=0, n_seeds=2))
    return predict_network(MODULE, res.params, res.batch_stats, X[350:])


def test_training_agrees():
    X, Y = _data()
    gpu = _fit_predict(X, Y)
    cpu = _on_cpu(lambda: _fit_predict(X, Y))
    scale = float(np.std(Y))
    diff = float(np.max(np.abs(gpu - cpu))) / scale
    with cpjax.matmul_precision("default"):
        tf32 = float(np.max(np.abs(_fit_predict(X, Y) - cpu))) / scale
    print(f"max |gpu - cpu| / std(y): highest {diff:.2e}, default (TF32) {tf32:.2e}")
    assert diff < 1e-3
