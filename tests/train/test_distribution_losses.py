"""Distributional losses of the training engine: multi-quantile pinball and Student-t NLL."""

from __future__ import annotations

import flax.linen as nn
import jax.numpy as jnp
import numpy as np
import pytest

from cpjax._errors import CpjaxInputError
from cpjax.optim import optimizer_config
from cpjax.train import (
    Problem,
    TrainConfig,
    fit_problems,
    get_loss,
    loss_outputs,
    pinball_levels,
    pinball_loss_name,
)


class _Constant(nn.Module):
    """Learns ``k`` numbers per step, the same for every window: a distribution's parameters."""

    horizon: int
    k: int
    positive: tuple[int, ...] = ()

    @nn.compact
    def __call__(self, x, train: bool = False):
        b = self.param("b", nn.initializers.zeros, (self.horizon, self.k))
        out = jnp.broadcast_to(b, (x.shape[0], self.horizon, self.k))
        for j in self.positive:  # scale and df
            out = out.at[..., j].set(nn.softplus(out[..., j]) + (2.0 if j == 2 else 1e-3))
        return out.reshape(x.shape[0], self.horizon * self.k)


def _fit(module, y, loss, epochs=150):
    X = np.zeros((len(y), 2, 1), np.float32)
    Y = y.reshape(-1, 1).astype(np.float32)
    res = fit_problems(module, optimizer_config("adam", 0.05), [Problem(X, Y, seed=0)],
                       TrainConfig(epochs=epochs, batch_size=256, loss=loss, patience=0))
    return np.asarray(module.apply({"params": {"b": res.params["b"][0]}}, X[:1]))[0]


def test_loss_names():
    assert pinball_loss_name([0.1, 0.5, 0.9]) == "pinball:0.1,0.5,0.9"
    assert pinball_levels("pinball:0.1,0.5,0.9") == (0.1, 0.5, 0.9)
    assert loss_outputs("pinball:0.25,0.75") == 2 and loss_outputs("student_t") == 3
    assert loss_outputs("mse") == 1
    with pytest.raises(CpjaxInputError, match="ascending"):
        pinball_levels("pinball:0.9,0.1")
    with pytest.raises(CpjaxInputError, match="loss"):
        TrainConfig(loss="pinbal")
    TrainConfig(loss="pinball:0.1,0.9")  # accepted by the config
    # the pinball loss of the true quantiles is smaller than of shifted ones
    y = jnp.asarray(np.random.default_rng(0).normal(size=(4000, 1)), jnp.float32)
    f = get_loss("pinball:0.5")
    assert float(f(jnp.zeros((4000, 1)), y)) < float(f(jnp.full((4000, 1), 0.5), y))


def test_pinball_median_of_known_distribution():
    """Exponential(1): quantiles -log(1 - tau); the median is log 2."""
    y = np.random.default_rng(1).exponential(size=2048)
    q = _fit(_Constant(1, 3), y, "pinball:0.25,0.5,0.75", epochs=200)
    true = -np.log(1 - np.array([0.25, 0.5, 0.75]))
    assert q[1] == pytest.approx(np.log(2.0), abs=0.06)
    np.testing.assert_allclose(q, true, atol=0.1)


def test_student_t_likelihood_recovers_scale():
    rng = np.random.default_rng(2)
    y = 2.0 + 0.5 * rng.standard_t(5.0, size=4096)
    loc, scale, df = _fit(_Constant(1, 3, positive=(1, 2)), y, "student_t", epochs=250)
    assert loc == pytest.approx(2.0, abs=0.05)
    assert scale == pytest.approx(0.5, rel=0.12)
    assert 2.5 < df < 12
