"""Engine extensions for the zoo: sown auxiliary losses, learning-rate schedules, adversarial
training and the trainer dispatch; checked against closed forms."""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from cpjax import CpjaxInputError
from cpjax.nn import GANConfig, GANForecaster
from cpjax.optim import learning_rate_schedule, make_optimizer, optimizer_config
from cpjax.train import (
    TrainConfig,
    discriminator_loss,
    fit_adversarial,
    fit_network,
    generator_adversarial_loss,
    get_trainer,
    predict_network,
)


class _Shrunk(nn.Module):
    """Predicts a constant b and sows lam * b**2: the objective (b - 1)**2 + lam b**2 is
    minimised at b = 1 / (1 + lam)."""

    lam: float

    @nn.compact
    def __call__(self, x, train: bool = False):
        b = self.param("b", nn.initializers.zeros, (1,), jnp.float32)
        self.sow("losses", "shrink", self.lam * jnp.sum(jnp.square(b)))
        return jnp.broadcast_to(b[None, :], (x.shape[0], 1))


def test_sown_losses_enter_the_training_loss_only():
    lam = 0.5
    X = np.zeros((8, 3, 1), np.float32)
    Y = np.ones((8, 1), np.float32)
    res = fit_network(_Shrunk(lam), optax.sgd(0.2), X, Y, X[:4], Y[:4],
                      TrainConfig(epochs=150, batch_size=8, patience=0))
    b = float(res.params["b"][0, 0])
    assert b == pytest.approx(1.0 / (1.0 + lam), abs=1e-4)
    # validation loss: the plain MSE (b - 1)**2, without the sown term
    assert res.history["val_loss"][-1, 0] == pytest.approx((b - 1.0) ** 2, rel=1e-4)
    # training loss: MSE + lam b**2 at the parameters before the last step
    assert res.history["train_loss"][-1, 0] == pytest.approx(
        (b - 1.0) ** 2 + lam * b ** 2, rel=1e-3)


# ------------------------------------------------------------------------------ schedules
def _lrs(config, steps, **kw):
    """Learning rates actually applied by SGD on a gradient of 1 (update = -lr)."""
    tx = make_optimizer(config, **kw)
    params = jnp.zeros(())
    state = tx.init(params)
    out = []
    for _ in range(steps):
        upd, state = tx.update(jnp.ones(()), state, params)
        out.append(-float(upd))
    return np.array(out)


def test_step_decay_in_epochs():
    cfg = optimizer_config("sgd", 0.1, schedule="step", decay_every=2)  # halve every 2 epochs
    k = np.arange(13)
    np.testing.assert_allclose(_lrs(cfg, 13, steps_per_epoch=3), 0.1 * 0.5 ** (k // 6),
                               rtol=1e-6)


def test_inverse_time_is_keras_decay():
    cfg = optimizer_config("sgd", 0.1, schedule="inverse_time", decay_rate=0.25, decay_unit="step")
    k = np.arange(6)
    np.testing.assert_allclose(_lrs(cfg, 6), 0.1 / (1 + 0.25 * k), rtol=1e-6)


def test_cosine_with_warmup():
    cfg = optimizer_config("sgd", 0.2, schedule="cosine", decay_every=4, decay_rate=0.1,
                           decay_unit="step", warmup_steps=2)
    got = _lrs(cfg, 9)
    t = np.clip((np.arange(9) - 2) / 4.0, 0, 1)
    expected = 0.2 * (0.1 + 0.9 * 0.5 * (1 + np.cos(np.pi * t)))
    expected[:2] = 0.2 * np.arange(2) / 2
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-9)


def test_constant_schedule_unchanged_and_errors():
    assert learning_rate_schedule(optimizer_config("adam", 3e-3)) == 3e-3
    with pytest.raises(CpjaxInputError, match="steps_per_epoch"):
        make_optimizer(optimizer_config("rmsprop", 0.01, schedule="step"))
    with pytest.raises(CpjaxInputError, match="did you mean 'cosine'"):
        make_optimizer(optimizer_config("adam", 1e-3, schedule="cosin"), steps_per_epoch=2)


def test_sophia_accepts_a_schedule():
    cfg = optimizer_config("sophia", 1e-2, schedule="step", decay_every=1, decay_unit="step")
    tx = make_optimizer(cfg)
    params = {"w": jnp.ones(3)}
    loss = lambda p: jnp.sum(jnp.square(p["w"]))  # noqa: E731
    state = tx.init(params)
    for _ in range(3):
        upd, state = tx.update(jax.grad(loss)(params), state, params, loss_fn=loss)
        params = optax.apply_updates(params, upd)
    assert bool(jnp.all(jnp.isfinite(params["w"]))) and float(loss(params)) < 3.0


# ---------------------------------------------------------------------------- adversarial
def test_gan_losses_match_hand_computation():
    real = np.array([[0.3], [-1.2], [2.0]])
    fake = np.array([[-0.5], [0.7], [0.0]])
    sig = lambda a: 1 / (1 + np.exp(-a))  # noqa: E731
    d = -np.mean(np.log(sig(real))) - np.mean(np.log(1 - sig(fake)))
    g = -np.mean(np.log(sig(fake)))
    f32 = lambda a: jnp.asarray(a, jnp.float32)  # noqa: E731
    assert float(discriminator_loss(f32(real), f32(fake))) == pytest.approx(d, rel=1e-6)
    assert float(generator_adversarial_loss(f32(fake))) == pytest.approx(g, rel=1e-6)


def _linear_data(n=160, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 6, 2)).astype(np.float32)
    Y = (0.8 * X[:, -1, :1] - 0.4 * X[:, -2, 1:2]).astype(np.float32)
    return X[:128], Y[:128], X[128:], Y[128:]


def test_adversarial_training_learns_and_is_reproducible():
    X, Y, Xv, Yv = _linear_data()
    module = GANForecaster(GANConfig(hidden_size=16, latent_dim=2, adversarial_weight=0.05), 1)
    cfg = TrainConfig(epochs=25, batch_size=16, patience=0)
    a = fit_adversarial(module, optax.adam(1e-2), X, Y, Xv, Yv, cfg)
    assert a.history["val_loss"].shape == (25, 1)
    assert np.all(a.history["val_loss"][-1] < 0.3 * a.history["val_loss"][0])
    pred = predict_network(module, a.params, a.batch_stats, Xv)
    assert pred.shape == (1, 32, 1)
    mse = np.mean((pred - Yv[None]) ** 2, axis=(1, 2))
    assert np.all(mse < 0.25 * np.var(Yv))
    b = fit_adversarial(module, optax.adam(1e-2), X, Y, Xv, Yv, cfg)
    np.testing.assert_array_equal(a.history["val_loss"], b.history["val_loss"])
    with pytest.raises(CpjaxInputError, match="first-order"):
        fit_adversarial(module, optax.adam(1e-3), X, Y, config=cfg, extra_args_fn=lambda c: {})


def test_trainer_dispatch():
    assert get_trainer("supervised") is fit_network
    assert get_trainer("adversarial") is fit_adversarial
    with pytest.raises(CpjaxInputError, match="did you mean 'adversarial'"):
        get_trainer("adversary")


@pytest.mark.slow
def test_adversarial_seeds_vmap_and_loop_agree():
    X, Y, Xv, Yv = _linear_data()
    module = GANForecaster(GANConfig(hidden_size=8, latent_dim=2), 1)
    kw = dict(epochs=4, batch_size=32, n_seeds=2, patience=2)
    a = fit_adversarial(module, optax.adam(1e-2), X, Y, Xv, Yv,
                        TrainConfig(seed_strategy="vmap", **kw))
    b = fit_adversarial(module, optax.adam(1e-2), X, Y, Xv, Yv,
                        TrainConfig(seed_strategy="loop", **kw))
    np.testing.assert_allclose(a.history["val_loss"], b.history["val_loss"], rtol=1e-4)
    np.testing.assert_array_equal(a.best_epoch, b.best_epoch)
    assert not np.allclose(a.history["val_loss"][:, 0], a.history["val_loss"][:, 1])
