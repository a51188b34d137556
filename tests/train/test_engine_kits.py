"""The engine beyond (X, Y) windows: a kit with pytree rows and its own validation loss, and the
host-side ``accept`` veto of improving epochs (what the Neural ODE's plausibility selection uses)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax

from cpjax import CompileCount
from cpjax.optim import optimizer_config
from cpjax.train import Kit, Problem, TrainConfig, fit_problems, init_optimizer, register_kit


def _toy_kit(key):
    """Weighted linear regression on rows ``X = {"a": (F,)}``, ``Y = {"y": (), "w": ()}``;
    validation = the weighted mean squared error over the valid rows."""
    tx = key.transformation()
    F = key.module

    def init(rng, x0, hp):
        params = {"w": 0.1 * jax.random.normal(jax.random.split(rng)[0], (F,), jnp.float32)}
        k_train = jax.random.split(rng)[1]
        return params, {}, init_optimizer(key, tx, params, hp, k_train), k_train

    def loss(params, x, y):
        return jnp.sum(y["w"] * (x["a"] @ params["w"] - y["y"]) ** 2) / jnp.sum(y["w"])

    def step(carry, x, y, hp):
        params, stats, opt_state, rng = carry
        value, grads = jax.value_and_grad(loss)(params, x, y)
        with jax.numpy_dtype_promotion("standard"):
            updates, opt_state = tx.update(grads, opt_state, params)
        return (optax.apply_updates(params, updates), stats, opt_state, rng), value

    def val_loss(params, stats, x, y, valid, hp):
        w = jnp.where(valid, y["w"], 0.0)
        return jnp.sum(w * (x["a"] @ params["w"] - y["y"]) ** 2) / jnp.sum(w)

    return Kit(init, step, None, val_loss)


register_kit("toy-weighted", _toy_kit)
TRUE_W = np.array([1.5, -2.0, 0.5], np.float32)


def _rows(n, seed):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(n, 3)).astype(np.float32)
    y = (a @ TRUE_W + 0.3 * rng.normal(size=n)).astype(np.float32)
    w = rng.uniform(0.5, 2.0, n).astype(np.float32)
    return {"a": a}, {"y": y, "w": w}


def _problem(seed=0, n=150, **hyper):
    X, Y = _rows(n, seed)
    Xv, Yv = _rows(40, seed + 100)
    return Problem(X, Y, Xv, Yv, seed=seed, hyper=hyper)


def test_pytree_rows_and_the_kits_validation_loss():
    opt = optimizer_config("sgd", 0.05)
    cfg = TrainConfig(epochs=40, batch_size=16, patience=0)
    res = fit_problems(3, opt, [_problem(0), _problem(1, n=97)], cfg, trainer="toy-weighted")
    for j, seed in enumerate((0, 1)):
        w = np.asarray(res.params["w"][j])
        assert np.allclose(w, TRUE_W, atol=0.15)
        # the recorded validation loss of the best epoch is the kit's formula at those weights
        Xv, Yv = _rows(40, seed + 100)
        hand = np.sum(Yv["w"] * (Xv["a"] @ w - Yv["y"]) ** 2) / np.sum(Yv["w"])
        best = int(res.best_epoch[j])
        assert np.isclose(res.history["val_loss"][best - 1, j], hand, rtol=1e-5)
    # another batch of the same layout (rows padded to the same multiple of 64) compiles nothing
    with CompileCount() as c:
        fit_problems(3, opt, [_problem(5, n=140, learning_rate=0.01), _problem(6, n=100)], cfg,
                     trainer="toy-weighted")
    assert c.compiles == 0


def _replay(val, asked_ok, patience, epochs):
    """The selection rule the veto must implement, in plain Python: an epoch is selected when it
    improves on the last selected one and ``accept`` says yes; only selections reset patience."""
    best, best_epoch, wait = np.inf, 0, 0
    for e in range(1, epochs + 1):
        v = val[e - 1]
        if v < best and asked_ok(e):
            best, best_epoch, wait = v, e, 0
        else:
            wait += 1
            if wait >= patience:
                return best_epoch, e
    return best_epoch, epochs


def test_accept_vetoes_improvements_and_patience_counts_only_accepted_ones():
    opt = optimizer_config("sgd", 0.02)
    cfg = TrainConfig(epochs=60, batch_size=16, patience=4, seed_strategy="loop")
    rejected = {1, 2, 3, 5, 8, 9, 10, 11, 12, 13}
    asked = []

    def accept(problem, epoch, params, stats):
        assert isinstance(params["w"], np.ndarray) and params["w"].shape == (3,)
        asked.append((problem, epoch))
        return epoch not in rejected

    probs = [_problem(0), _problem(1)]
    res = fit_problems(3, opt, probs, cfg, trainer="toy-weighted", accept=accept)
    free = fit_problems(3, opt, probs, cfg, trainer="toy-weighted")
    for j in range(2):
        ran = int(np.isfinite(res.history["train_loss"][:, j]).sum())
        val = res.history["val_loss"][:ran, j]
        # the parameters follow the same path with or without the veto: only selection differs
        n_free = int(np.isfinite(free.history["train_loss"][:, j]).sum())
        k = min(ran, n_free)
        np.testing.assert_array_equal(val[:k], free.history["val_loss"][:k, j])
        best, stop = _replay(val, lambda e: e not in rejected, 4, 60)
        assert (int(res.best_epoch[j]), ran) == (best, stop)
        acc = res.history["accepted"][:ran, j]
        assert set(np.flatnonzero(acc == 1) + 1).isdisjoint(rejected)
        assert best not in rejected and acc[best - 1] == 1
        # asked exactly about the epochs that improved on the selected one
        assert {e for p, e in asked if p == j} >= {e for e in rejected if e <= ran
                                                   and val[e - 1] < np.min(val[:e - 1],
                                                                           initial=np.inf)}
    # the selected parameters are those of the selected epoch: retrain to it without validation
    j = 0
    best = int(res.best_epoch[j])
    again = fit_problems(3, opt, [Problem(probs[j].X, probs[j].Y, seed=0, hyper={"epochs": best})],
                         TrainConfig(epochs=60, batch_size=16, patience=4), trainer="toy-weighted")
    np.testing.assert_array_equal(np.asarray(res.params["w"][j]), np.asarray(again.params["w"][0]))


def test_accept_rejecting_everything_keeps_the_last_state():
    opt = optimizer_config("sgd", 0.02)
    res = fit_problems(3, opt, [_problem(0)], TrainConfig(epochs=12, batch_size=16, patience=3),
                       trainer="toy-weighted", accept=lambda *a: False)
    assert int(res.best_epoch[0]) == 0 and res.epochs_run == 3
    assert np.all(res.history["accepted"][:, 0] == 0)
