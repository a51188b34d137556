"""One conformance suite that every registered model passes (forecasting.md §2).

Enrolment is automatic: every name in the registry is a test case. Networks: shapes, jit,
finite gradients, determinism under a seed, save/load round trip, batch independence, residual
mode (same parameter tree, output + last target).  Estimators: shapes, determinism, JSON state
round trip, batch independence, no look-ahead, residual mode (fitted on the changes) or its
refusal.
"""

from __future__ import annotations

import dataclasses
import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from cpjax import CpjaxInputError
from cpjax.nn import get_model, make_config, model_names, residual, residual_refusal
from cpjax.train import dynamic_fields, init_variables, load_pytree, save_pytree

NETWORKS = [n for n in model_names() if get_model(n).kind == "network"]
ESTIMATORS = [n for n in model_names() if get_model(n).kind == "estimator"]
B, L, F = 5, 10, 4

# Small settings so that the suite stays quick; every field must exist in the model's config.
SMALL = {
    "lstm": {"hidden_size": 8, "num_layers": 2, "dropout": 0.1},
    "arima": {"max_p": 1, "max_q": 1},
    "autoarima": {"max_p": 1, "max_q": 1},
    "ensemble": {"members": ("persistence", "drift", "autotheta"), "combine": "median"},
    "stacked": {"members": ("persistence", "drift", "seasonal_naive"), "n_folds": 2},
    "lstm_ema": {"channels": 8, "groups": 2, "hidden_size": 8, "num_layers": 1},
    "lstm_aspp": {"channels": 8, "num_experts": 2, "rates": (2,), "hidden_size": 8,
                  "num_layers": 1},
    "aspp_ema_lstm": {"channels": 8, "num_experts": 2, "rates": (2,), "groups": 2,
                      "hidden_size": 8, "num_layers": 1},
    "mlp": {"hidden_size": 8},
    "rnn": {"hidden_size": 8},
    "gru": {"hidden_size": 8},
    "bilstm": {"hidden_size": 8, "num_layers": 1},
    "cnn": {"channels": 8},
    "transformer": {"d_model": 8, "num_heads": 2, "ff_size": 16, "num_layers": 1},
    "autoencoder": {"hidden_size": 8, "latent_dim": 2},
    "vae": {"hidden_size": 8, "latent_dim": 2},
    "gan": {"hidden_size": 8, "latent_dim": 2, "predict_draws": 2},
    "hybrid": {"conv1_filters": 4, "conv2_filters": 4, "cnn_dense": 8, "lstm_size": 4,
               "lstm_layers": 1, "fusion_size": 8, "dropout": 0.1},
    "hybrid_cascade": {"conv1_filters": 4, "conv2_filters": 4, "lstm_size": 4, "lstm_layers": 1,
                       "fusion_size": 8},
}


def _x(seed=0, batch=B):
    return jax.random.normal(jax.random.key(seed), (batch, L, F), jnp.float32)


def _build(name, horizon):
    spec = get_model(name)
    return spec.build(make_config(name, SMALL.get(name)), horizon)


@pytest.mark.parametrize("name", NETWORKS)
@pytest.mark.parametrize("horizon", [1, 3])
def test_network_shapes_jit_grad(name, horizon):
    module = _build(name, horizon)
    params, stats = init_variables(module, jax.random.key(0), _x()[:1])
    variables = {"params": params, **({"batch_stats": stats} if stats else {})}
    out = module.apply(variables, _x(), train=False)
    assert out.shape == (B, horizon) and out.dtype == jnp.float32
    jitted = jax.jit(lambda v, x: module.apply(v, x, train=False))(variables, _x())
    np.testing.assert_allclose(np.asarray(jitted), np.asarray(out), rtol=1e-5, atol=1e-6)

    def loss(p):
        v = {"params": p, **({"batch_stats": stats} if stats else {})}
        kwargs = {"mutable": ["batch_stats"]} if stats else {}
        res = module.apply(v, _x(), train=True, rngs={"dropout": jax.random.key(1)}, **kwargs)
        pred = res[0] if stats else res
        return jnp.mean(pred ** 2)

    grads = jax.jit(jax.grad(loss))(params)  # jitted: eager grads of scans are slow
    leaves = jax.tree_util.tree_leaves(grads)
    assert leaves and all(bool(jnp.all(jnp.isfinite(g))) for g in leaves)
    assert any(float(jnp.abs(g).sum()) > 0 for g in leaves)


@pytest.mark.parametrize("name", NETWORKS)
def test_network_determinism_and_roundtrip(name, tmp_path):
    module = _build(name, 2)
    p1, s1 = init_variables(module, jax.random.key(3), _x()[:1])
    p2, _ = init_variables(module, jax.random.key(3), _x()[:1])
    p3, _ = init_variables(module, jax.random.key(4), _x()[:1])
    flat = lambda t: np.concatenate([np.ravel(x) for x in jax.tree_util.tree_leaves(t)])  # noqa: E731
    np.testing.assert_array_equal(flat(p1), flat(p2))
    assert not np.array_equal(flat(p1), flat(p3))
    save_pytree(tmp_path / "p.msgpack", {"params": p1, "batch_stats": s1})
    restored = load_pytree(tmp_path / "p.msgpack", {"params": p1, "batch_stats": s1})
    v = lambda p, s: {"params": p, **({"batch_stats": s} if s else {})}  # noqa: E731
    a = module.apply(v(p1, s1), _x(7), train=False)
    b = module.apply(v(restored["params"], restored["batch_stats"]), _x(7), train=False)
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    # the config is JSON-serialisable and rebuilds the same module
    cfg = make_config(name, SMALL.get(name))
    again = type(cfg)(**json.loads(json.dumps(dataclasses.asdict(cfg))))
    assert again == cfg


@pytest.mark.parametrize("name", NETWORKS)
def test_network_batch_independence(name):
    module = _build(name, 1)
    params, stats = init_variables(module, jax.random.key(0), _x()[:1])
    variables = {"params": params, **({"batch_stats": stats} if stats else {})}
    full = module.apply(variables, _x(batch=8), train=False)
    part = module.apply(variables, _x(batch=8)[:3], train=False)
    np.testing.assert_allclose(np.asarray(full[:3]), np.asarray(part), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", NETWORKS)
def test_network_residual_mode(name):
    """Residual mode keeps the parameter tree (values under a seed included) and adds the last
    observed target (here feature 1) to the plain model's output, under jit too."""
    spec = get_model(name)
    module = _build(name, 2)
    wrapped = residual(module, spec, target_index=1)
    x = _x(5)
    p, s = init_variables(module, jax.random.key(3), x[:1])
    pr, sr = init_variables(wrapped, jax.random.key(3), x[:1])
    assert jax.tree_util.tree_structure((p, s)) == jax.tree_util.tree_structure((pr, sr))
    for a, b in zip(jax.tree_util.tree_leaves((p, s)), jax.tree_util.tree_leaves((pr, sr)),
                    strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    v = {"params": p, **({"batch_stats": s} if s else {})}
    plain = np.asarray(module.apply(v, x, train=False))
    out = np.asarray(jax.jit(lambda v, x: wrapped.apply(v, x, train=False))(v, x))
    np.testing.assert_allclose(out, plain + np.asarray(x[:, -1, 1:2]), rtol=1e-6, atol=1e-6)
    # what the training engine relies on: config, clone(config=...), dynamic fields, hashing
    assert wrapped.config == module.config
    assert dynamic_fields(wrapped) == dynamic_fields(module)
    assert type(wrapped.clone(config=module.config)) is type(wrapped)
    assert wrapped == residual(module, spec, target_index=1)
    assert hash(wrapped) == hash(residual(module, spec, target_index=1))


def _series_and_windows(n=160, seed=0):
    rng = np.random.default_rng(seed)
    y = np.zeros(n)
    for t in range(1, n):
        y[t] = 0.8 * y[t - 1] + rng.normal(scale=0.1)
    y += 1.0
    feats = np.stack([y, rng.normal(size=n)], axis=1)
    origin = np.arange(L - 1, n - 3)
    X = np.stack([feats[o - L + 1:o + 1] for o in origin])
    Y = np.stack([y[o + 1:o + 3] for o in origin])
    return y, X, Y, origin


@pytest.mark.parametrize("name", ESTIMATORS)
def test_estimator_contract(name):
    spec = get_model(name)
    cfg = make_config(name, SMALL.get(name))
    y, X, Y, origin = _series_and_windows()
    tr, te = slice(0, 100), slice(100, None)
    m = spec.build(cfg, 2).fit(X[tr], Y[tr], origin[tr], y)
    pred = m.predict(X[te], origin[te], y)
    assert pred.shape == (len(origin[te]), 2) and np.all(np.isfinite(pred))
    # determinism
    m2 = spec.build(cfg, 2).fit(X[tr], Y[tr], origin[tr], y)
    np.testing.assert_array_equal(pred, m2.predict(X[te], origin[te], y))
    # JSON round trip of the fitted state (no pickle)
    state = json.loads(json.dumps(m.state_dict()))
    m3 = spec.load(cfg, 2, state)
    np.testing.assert_allclose(m3.predict(X[te], origin[te], y), pred, rtol=1e-9, atol=1e-12)
    # batch independence
    np.testing.assert_allclose(m.predict(X[te][:5], origin[te][:5], y), pred[:5], rtol=1e-9)
    # the model's own quantiles (statistical peers, ensembles): shape, order, round trip
    if hasattr(m, "predict_quantiles"):
        q = m.predict_quantiles(X[te], origin[te], y, [0.1, 0.5, 0.9])
        assert q.shape == (len(origin[te]), 2, 3) and np.all(np.isfinite(q))
        assert np.all(np.diff(q, axis=-1) > 0)
        np.testing.assert_allclose(m3.predict_quantiles(X[te], origin[te], y, [0.1, 0.5, 0.9]), q,
                                   rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", ESTIMATORS)
def test_estimator_no_lookahead(name):
    """Changing rows after the last origin must not change any prediction."""
    spec = get_model(name)
    cfg = make_config(name, SMALL.get(name))
    y, X, Y, origin = _series_and_windows()
    m = spec.build(cfg, 1).fit(X[:100], Y[:100, :1], origin[:100], y)
    sel = slice(100, 120)
    before = m.predict(X[sel], origin[sel], y)
    y2 = y.copy()
    y2[origin[sel].max() + 1:] += 100.0
    np.testing.assert_allclose(m.predict(X[sel], origin[sel], y2), before, rtol=1e-9)
    if hasattr(m, "predict_quantiles"):  # interval widths must not see the future either
        np.testing.assert_allclose(m.predict_quantiles(X[sel], origin[sel], y2, [0.1, 0.9]),
                                   m.predict_quantiles(X[sel], origin[sel], y, [0.1, 0.9]),
                                   rtol=1e-9)


@pytest.mark.parametrize("name", ESTIMATORS)
def test_estimator_residual_mode(name):
    """An estimator either refuses residual mode with a reason and a fix, or, wrapped, equals
    the plain estimator fitted on the changes from the last value, plus that value."""
    spec = get_model(name)
    cfg = make_config(name, SMALL.get(name))
    y, X, Y, origin = _series_and_windows()
    tr, te = slice(0, 100), slice(100, None)
    why = residual_refusal(spec, cfg)
    if why is not None:
        assert "fix:" in why
        with pytest.raises(CpjaxInputError, match="cannot run in residual mode.*fix:"):
            residual(spec.build(cfg, 2), spec, cfg)
        return
    m = residual(spec.build(cfg, 2), spec, cfg).fit(X[tr], Y[tr], origin[tr], y)
    last = X[:, -1, :1].astype(np.float64)
    ref = spec.build(cfg, 2).fit(X[tr], Y[tr] - last[tr], origin[tr], y)
    np.testing.assert_array_equal(m.predict(X[te], origin[te], y),
                                  ref.predict(X[te], origin[te], y) + last[te])
    again = residual(spec.load(cfg, 2, json.loads(json.dumps(m.state_dict()))), spec, cfg)
    np.testing.assert_allclose(again.predict(X[te], origin[te], y),
                               m.predict(X[te], origin[te], y), rtol=1e-9, atol=1e-12)
