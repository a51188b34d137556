"""Residual mode (``cpjax.nn.residual``) beyond the conformance suite: the GAN's other methods,
training through both trainers, and the refusals.  Every network's output and parameter tree,
and every estimator's fit or refusal, are checked in ``test_model_conformance.py``."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from cpjax import CpjaxInputError
from cpjax.nn import (
    GANConfig,
    ResidualEstimator,
    add_last,
    get_model,
    is_residual,
    list_models,
    make_config,
    model_names,
    residual,
    residual_refusal,
)
from cpjax.optim import optimizer_config
from cpjax.train import TrainConfig, fit_adversarial, fit_network


def _x(shape=(4, 6, 3), seed=0):
    return jax.random.normal(jax.random.key(seed), shape, jnp.float32)


def test_gan_generate_is_shifted_and_discriminate_is_not():
    spec = get_model("gan")
    plain = spec.build(GANConfig(hidden_size=4, latent_dim=2), 2)
    wrapped = residual(plain, spec)
    x, z, y = _x(), jnp.ones((4, 2)), jnp.ones((4, 2))
    v = plain.init(jax.random.key(0), x)
    last = np.asarray(x[:, -1, :1])
    gen = lambda m: np.asarray(m.apply(v, x, z, method="generate"))  # noqa: E731
    np.testing.assert_allclose(gen(wrapped), gen(plain) + last, rtol=1e-6, atol=1e-6)
    disc = lambda m: np.asarray(m.apply(v, x, y, method="discriminate"))  # noqa: E731
    np.testing.assert_array_equal(disc(wrapped), disc(plain))
    # prediction is the generator at z = 0, shifted once
    np.testing.assert_allclose(np.asarray(wrapped.apply(v, x)),
                               np.asarray(wrapped.apply(v, x, jnp.zeros((4, 2)),
                                                        method="generate")), rtol=1e-6)


@pytest.mark.parametrize("name", ["mlp", "gan"])
def test_wrapped_networks_train_and_keep_the_plain_tree(name):
    """Both trainers (supervised, adversarial) take a wrapped module; the trained parameters
    have the plain model's tree, so they load into it (and the plain model's into it)."""
    spec = get_model(name)
    plain = spec.build(make_config(name, {"hidden_size": 4}), 2)
    wrapped = residual(plain, spec)
    X = np.asarray(_x((32, 6, 3), seed=1))
    Y = X[:, -1, :1] + 0.1 * np.asarray(_x((32, 2, 1), seed=2))[..., 0]
    fit = fit_adversarial if spec.trainer == "adversarial" else fit_network
    cfg = TrainConfig(epochs=2, batch_size=16, patience=0, seed_strategy="loop")
    res = fit(wrapped, optimizer_config("adam", 1e-2), X, Y, config=cfg)
    p = jax.tree_util.tree_map(lambda a: a[0], res.params)
    v = plain.init(jax.random.key(0), X[:1])
    assert jax.tree_util.tree_structure(p) == jax.tree_util.tree_structure(v["params"])
    out = np.asarray(wrapped.apply({"params": p}, X))
    np.testing.assert_allclose(out, np.asarray(plain.apply({"params": p}, X)) + X[:, -1, :1],
                               rtol=1e-6, atol=1e-6)
    assert np.all(np.isfinite(out))


def test_refusals_say_why_and_how_to_fix():
    svr = get_model("svr")
    assert residual_refusal(svr) is None
    with pytest.raises(CpjaxInputError, match="recursive.*fix: recursive=False"):
        residual(svr.build(make_config("svr", {"recursive": True}), 2), svr)
    for name in ("persistence", "arima", "autoets", "ensemble"):
        with pytest.raises(CpjaxInputError, match=f"'{name}' cannot run in residual mode.*fix:"):
            residual(get_model(name).build(make_config(name), 1), name)
    wrapped = residual(get_model("mlp").build(make_config("mlp"), 1), "mlp")
    assert is_residual(wrapped)
    with pytest.raises(CpjaxInputError, match="already in residual mode"):
        residual(wrapped, "mlp")


def test_every_network_supports_residual_mode():
    listed = {r["name"]: r["residual"] for r in list_models()}  # cpjax models --json
    for name in model_names():
        if get_model(name).kind == "network":
            assert residual_refusal(name) is None and listed[name], name
    assert listed["svr"] and not listed["persistence"]


def test_estimator_wrapper_fits_changes():
    """A residual SVR fits ``y - last`` and adds ``last`` back (``x`` in float64)."""
    spec = get_model("svr")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 5, 2))
    Y = X[:, -1, :1] + rng.normal(scale=0.1, size=(40, 2))
    m = residual(spec.build(make_config("svr"), 2), spec)
    assert isinstance(m, ResidualEstimator) and m.config == make_config("svr")
    m.fit(X[:30], Y[:30], None, None)
    ref = spec.build(make_config("svr"), 2).fit(X[:30], Y[:30] - X[:30, -1, :1], None, None)
    np.testing.assert_array_equal(m.predict(X[30:], None, None),
                                  ref.predict(X[30:], None, None) + X[30:, -1, :1])
    assert m.state_dict() == m.inner.state_dict()
    np.testing.assert_array_equal(np.asarray(add_last(jnp.asarray(X), jnp.zeros((40, 2)), 1)),
                                  np.repeat(X[:, -1, 1:2], 2, axis=1).astype(np.float32))
