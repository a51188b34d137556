"""Zoo networks against independent computations (forecasting.md §2).

Hand-written numpy cells with the same weights (RNN, GRU, BiLSTM), causality and receptive
field (CNN), permutation equivariance/invariance (Transformer), closed-form and numerically
integrated KL (VAE), reconstruction and penalty terms recomputed in numpy (autoencoder, hybrid),
the attention gate's weights (hybrid) and GAN prediction noise.  Residual mode for every network
is in ``test_model_conformance.py``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import integrate, stats

from cpjax.nn import (
    AutoencoderConfig,
    AutoencoderForecaster,
    CNNConfig,
    CNNForecaster,
    GANConfig,
    GANForecaster,
    HybridConfig,
    HybridForecaster,
    RecurrentConfig,
    RecurrentForecaster,
    TransformerConfig,
    TransformerForecaster,
    VAEConfig,
    VAEForecaster,
    gaussian_kl,
    receptive_field,
    sinusoidal_positions,
)
from cpjax.train import sown_losses


def _np(tree):
    return jax.tree_util.tree_map(lambda a: np.asarray(a, np.float64), tree)


def _sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def _x(shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype(np.float32)


def _dense(p, h):
    return h @ p["kernel"] + p.get("bias", 0.0)


# ------------------------------------------------------------------ recurrent cells vs numpy
def _rnn_np(p, xs):
    h = np.zeros(p["h"]["kernel"].shape[0])
    for x in xs:
        h = np.tanh(_dense(p["i"], x) + h @ p["h"]["kernel"])
    return h


def _gru_np(p, xs):
    h = np.zeros(p["hn"]["kernel"].shape[0])
    for x in xs:
        r = _sigmoid(_dense(p["ir"], x) + h @ p["hr"]["kernel"])
        z = _sigmoid(_dense(p["iz"], x) + h @ p["hz"]["kernel"])
        n = np.tanh(_dense(p["in"], x) + r * _dense(p["hn"], h))
        h = (1.0 - z) * n + z * h
    return h


def _lstm_np(p, xs):
    h = c = np.zeros(p["hi"]["kernel"].shape[0])
    for x in xs:
        i = _sigmoid(x @ p["ii"]["kernel"] + _dense(p["hi"], h))
        f = _sigmoid(x @ p["if"]["kernel"] + _dense(p["hf"], h))
        g = np.tanh(x @ p["ig"]["kernel"] + _dense(p["hg"], h))
        o = _sigmoid(x @ p["io"]["kernel"] + _dense(p["ho"], h))
        c = f * c + i * g
        h = o * np.tanh(c)
    return h


@pytest.mark.parametrize("cell", ["rnn", "gru", "bilstm"])
def test_recurrent_matches_numpy_cells(cell):
    m = RecurrentForecaster(RecurrentConfig(hidden_size=5, num_layers=1, dropout=0.0), 2, cell)
    x = _x((3, 4, 2))
    v = m.init(jax.random.key(1), x)
    out = np.asarray(m.apply(v, x))
    p = _np(v["params"])
    expected = []
    for xs in x.astype(np.float64):
        if cell == "rnn":
            s = _rnn_np(p["rnn_0"], xs)
        elif cell == "gru":
            s = _gru_np(p["gru_0"], xs)
        else:  # forward over t = 1..L, backward over t = L..1
            s = np.concatenate([_lstm_np(p["bilstm_0"]["forward"], xs),
                                _lstm_np(p["bilstm_0"]["backward"], xs[::-1])])
        expected.append(_dense(p["head"], s))
    np.testing.assert_allclose(out, np.array(expected), rtol=2e-5, atol=2e-6)


# ------------------------------------------------------------------------------------ CNN
def test_cnn_is_causal_with_the_stated_receptive_field():
    cfg = CNNConfig(channels=6, kernel_size=3, num_layers=2, dilation_growth=2, dropout=0.0)
    r = receptive_field(cfg)
    assert r == 1 + 2 * (1 + 2)
    m = CNNForecaster(cfg, 1)
    L = 16
    x = _x((1, L, 2))
    v = m.init(jax.random.key(0), x)
    feats = lambda a: np.asarray(m.apply(v, a, method="features"))  # noqa: E731
    out = lambda a: np.asarray(m.apply(v, a))  # noqa: E731
    base_f, base = feats(x), out(x)
    for t in range(L):
        bumped = x.copy()
        bumped[0, t, :] += 3.0
        f = feats(bumped)
        # steps before t never change (causal) ...
        np.testing.assert_array_equal(f[0, :t], base_f[0, :t])
        # ... and the forecast changes iff t lies in the last r steps
        changed = not np.allclose(out(bumped), base, rtol=0, atol=1e-7)
        assert changed == (t >= L - r), (t, r)


# ----------------------------------------------------------------------------- Transformer
def test_sinusoidal_positions_closed_form():
    p = sinusoidal_positions(7, 6)
    t, i = 5, 2  # pair (4, 5) uses the frequency 10000**(-4/6)
    assert p[t, 2 * i] == pytest.approx(np.sin(t / 10000 ** (2 * i / 6)), abs=1e-6)
    assert p[t, 2 * i + 1] == pytest.approx(np.cos(t / 10000 ** (2 * i / 6)), abs=1e-6)
    assert p[0, 1] == 1.0 and p[3, 0] == pytest.approx(np.sin(3.0), abs=1e-6)


def test_transformer_permutation_equivariance_and_invariance():
    cfg = TransformerConfig(d_model=8, num_heads=2, num_layers=2, ff_size=16, dropout=0.0,
                            positional="none", pool="mean")
    m = TransformerForecaster(cfg, 1)
    x = _x((2, 9, 3))
    v = m.init(jax.random.key(0), x)
    perm = np.random.default_rng(1).permutation(9)
    enc = np.asarray(m.apply(v, x, method="encode"))
    enc_p = np.asarray(m.apply(v, x[:, perm], method="encode"))
    np.testing.assert_allclose(enc_p, enc[:, perm], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(np.asarray(m.apply(v, x[:, perm])), np.asarray(m.apply(v, x)),
                               rtol=1e-4, atol=1e-5)
    # with positions the order matters
    m2 = TransformerForecaster(TransformerConfig(d_model=8, num_heads=2, dropout=0.0), 1)
    v2 = m2.init(jax.random.key(0), x)
    assert not np.allclose(np.asarray(m2.apply(v2, x[:, perm])), np.asarray(m2.apply(v2, x)))


# ------------------------------------------------------------------- autoencoder and VAE
def _stack(p, h):
    return _dense(p["out"], np.maximum(_dense(p["hidden"], h), 0.0))


def test_autoencoder_reconstruction_term_matches_numpy():
    cfg = AutoencoderConfig(hidden_size=6, latent_dim=3, recon_weight=0.7)
    m = AutoencoderForecaster(cfg, 1)
    x = _x((4, 5, 2))
    v = {"params": m.init(jax.random.key(0), x)["params"]}  # init also returns its sown losses
    out, state = m.apply(v, x, train=True, mutable=["losses"])
    p = _np(v["params"])
    flat = x.reshape(4, -1).astype(np.float64)
    code = _stack(p["encoder"], flat)
    recon = _stack(p["decoder"], code)
    np.testing.assert_allclose(float(sown_losses(state["losses"])),
                               0.7 * np.mean((recon - flat) ** 2), rtol=1e-5)
    np.testing.assert_allclose(np.asarray(out), _stack(p["head"], code), rtol=1e-5, atol=1e-6)


def test_gaussian_kl_against_numerical_integration():
    mu = np.array([[0.3, -1.2], [0.0, 0.5]])
    logvar = np.array([[-0.4, 0.8], [0.0, -2.0]])
    expected = []
    for m_row, lv_row in zip(mu, logvar):
        total = 0.0
        for m_, lv in zip(m_row, lv_row):
            q = stats.norm(m_, np.exp(0.5 * lv))
            f = lambda z, q=q: q.pdf(z) * (q.logpdf(z) - stats.norm.logpdf(z))  # noqa: E731
            total += integrate.quad(f, -30, 30, points=[m_], limit=200)[0]
        expected.append(total)
    got = float(gaussian_kl(jnp.asarray(mu, jnp.float32), jnp.asarray(logvar, jnp.float32)))
    assert got == pytest.approx(np.mean(expected), rel=1e-5)


def test_vae_sows_kl_and_reconstruction_and_predicts_from_the_mean():
    cfg = VAEConfig(hidden_size=6, latent_dim=3, beta=0.3, recon_weight=0.0)
    m = VAEForecaster(cfg, 1)
    x = _x((4, 5, 2))
    v = {"params": m.init(jax.random.key(0), x)["params"]}
    _, state = m.apply(v, x, train=True, rngs={"dropout": jax.random.key(2)},
                       mutable=["losses", "intermediates"])
    mu = np.asarray(state["intermediates"]["mu"][0], np.float64)
    logvar = np.asarray(state["intermediates"]["logvar"][0], np.float64)
    closed = 0.5 * np.sum(mu ** 2 + np.exp(logvar) - 1 - logvar, axis=1).mean()
    np.testing.assert_allclose(float(state["losses"]["kl"][0]), 0.3 * closed, rtol=1e-5)
    assert float(state["losses"]["reconstruction"][0]) == 0.0
    # evaluation: z = mu, deterministic
    p = _np(v["params"])
    np.testing.assert_allclose(np.asarray(m.apply(v, x)), _stack(p["head"], mu),
                               rtol=1e-5, atol=1e-6)
    # training samples z: two keys give two outputs
    a = m.apply(v, x, train=True, rngs={"dropout": jax.random.key(3)})
    b = m.apply(v, x, train=True, rngs={"dropout": jax.random.key(4)})
    assert not np.allclose(np.asarray(a), np.asarray(b))


# ------------------------------------------------------------------------------------ GAN
def test_gan_prediction_noise():
    x = _x((3, 5, 2))
    m = GANForecaster(GANConfig(hidden_size=6, latent_dim=2), 2)
    v = m.init(jax.random.key(0), x)
    assert set(v["params"]) == {"generator", "discriminator"}
    zero = m.apply(v, x, jnp.zeros((3, 2)), method="generate")
    np.testing.assert_array_equal(np.asarray(m.apply(v, x)), np.asarray(zero))
    m4 = GANForecaster(GANConfig(hidden_size=6, latent_dim=2, predict_draws=4, noise_seed=5), 2)
    draws = jax.random.normal(jax.random.key(5), (4, 2), jnp.float32)
    each = [np.asarray(m4.apply(v, x, jnp.broadcast_to(d, (3, 2)), method="generate"))
            for d in draws]
    np.testing.assert_allclose(np.asarray(m4.apply(v, x)), np.mean(each, axis=0), rtol=1e-6)


# --------------------------------------------------------------------------------- hybrid
SMALL_HYBRID = dict(conv1_filters=3, conv2_filters=4, cnn_dense=5, lstm_size=3, lstm_layers=2,
                    fusion_size=6)


def test_hybrid_attention_gate_and_penalty():
    cfg = HybridConfig(**{**SMALL_HYBRID, "lstm_layers": 1}, l1=1e-3, l2=1e-2)
    m = HybridForecaster(cfg, 1)
    x = _x((4, 12, 3))
    v = {k: w for k, w in m.init(jax.random.key(0), x).items() if k in ("params", "batch_stats")}
    out, state = m.apply(v, x, train=True, mutable=["batch_stats", "losses", "intermediates"])
    a = np.asarray(state["intermediates"]["gate"]["attention"][0], np.float64)
    assert a.shape == (4, 6) and np.all(a >= 0)
    np.testing.assert_allclose(a.sum(axis=1), 1.0, rtol=1e-6)
    # the penalty: every kernel, numpy
    kernels = [np.asarray(leaf, np.float64) for path, leaf in
               jax.tree_util.tree_leaves_with_path(v["params"])
               if "kernel" in jax.tree_util.keystr(path)]
    assert len(kernels) == 2 + 2 * 8 + 4  # 2 convs, 2 directions x 8 LSTM kernels, 4 dense
    expected = sum(1e-3 * np.abs(k).sum() + 1e-2 * (k ** 2).sum() for k in kernels)
    np.testing.assert_allclose(float(sown_losses(state["losses"])), expected, rtol=1e-5)
    # the gate: f * n * softmax(W f + b), recomputed from the fused features
    _, inter = m.apply(v, x, mutable=["intermediates"], capture_intermediates=True)
    f = np.asarray(inter["intermediates"]["fusion"]["__call__"][0], np.float64)
    f = np.maximum(f, 0.0)
    g = _np(v["params"]["gate"]["score"])
    s = _dense(g, f)
    w = np.exp(s - s.max(axis=1, keepdims=True))
    w /= w.sum(axis=1, keepdims=True)
    head = _np(v["params"]["head"])
    np.testing.assert_allclose(np.asarray(m.apply(v, x)), _dense(head, f * 6 * w),
                               rtol=1e-4, atol=1e-6)


def test_hybrid_fusions_wire_the_branches():
    x = _x((2, 12, 3))
    par = HybridForecaster(HybridConfig(**SMALL_HYBRID), 1).init(jax.random.key(0), x)
    cas = HybridForecaster(HybridConfig(**SMALL_HYBRID, fusion="cascade"), 1).init(
        jax.random.key(0), x)
    # parallel: the BiLSTM reads the raw window (F=3) and the CNN branch has its Dense;
    # cascade: the BiLSTM reads the 4 CNN channels and there is no CNN projection
    assert par["params"]["bilstm_0"]["forward"]["ii"]["kernel"].shape == (3, 3)
    assert cas["params"]["bilstm_0"]["forward"]["ii"]["kernel"].shape == (4, 3)
    assert "cnn_dense" in par["params"] and "cnn_dense" not in cas["params"]
    assert par["params"]["fusion"]["kernel"].shape == (5 + 6, 6)
    # Xavier (Glorot uniform): |W| <= sqrt(6 / (fan_in + fan_out))
    k = np.asarray(par["params"]["fusion"]["kernel"])
    assert np.abs(k).max() <= np.sqrt(6 / (11 + 6))
