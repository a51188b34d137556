"""CondConv1D, ASPP1D, EMA1D and the combined networks against independent computations."""

from __future__ import annotations

import flax
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from cpjax._errors import CpjaxInputError
from cpjax.nn import (
    ASPP1D,
    EMA1D,
    AtrousConv1D,
    CombinedConfig,
    CombinedForecaster,
    CondConv1D,
    residual,
)
from cpjax.train import init_variables


def _np_conv_same(x, w, dilation):
    """Loop reference: x (L, Cin), w (K, Cin, Cout); 'same' zero padding, PyTorch convention."""
    L, K = x.shape[0], w.shape[0]
    left = dilation * (K - 1) // 2
    out = np.zeros((L, w.shape[2]))
    for i in range(L):
        for k in range(K):
            j = i - left + k * dilation
            if 0 <= j < L:
                out[i] += x[j] @ w[k]
    return out


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


@pytest.mark.parametrize("dilation", [1, 2, 3])
def test_atrous_conv_matches_loop_and_lax(dilation):
    x = np.asarray(jax.random.normal(jax.random.key(0), (2, 10, 3)))
    m = AtrousConv1D(4, 3, dilation)
    v = m.init(jax.random.key(1), x)
    y = np.asarray(m.apply(v, x))
    w, b = np.asarray(v["params"]["kernel"]), np.asarray(v["params"]["bias"])
    for n in range(2):
        np.testing.assert_allclose(y[n], _np_conv_same(x[n], w, dilation) + b, rtol=1e-5, atol=1e-5)
    ref = jax.lax.conv_general_dilated(x, w, (1,), [(dilation, dilation)], rhs_dilation=(dilation,),
                                       dimension_numbers=("NWC", "WIO", "NWC"))
    np.testing.assert_allclose(y, np.asarray(ref) + b, rtol=1e-5, atol=1e-5)


def test_condconv_matches_per_sample_mixture():
    x = np.asarray(jax.random.normal(jax.random.key(2), (3, 10, 2)))
    m = CondConv1D(features=5, kernel_size=3, dilation=2, num_experts=3)
    v = m.init(jax.random.key(3), x)
    y = np.asarray(m.apply(v, x))
    p = jax.tree_util.tree_map(np.asarray, v["params"])
    for n in range(3):
        r = _sigmoid(x[n].mean(axis=0) @ p["routing"]["kernel"] + p["routing"]["bias"])
        K = np.einsum("e,ekio->kio", r, p["kernel"])
        ref = _np_conv_same(x[n], K, 2) + r @ p["bias"]
        np.testing.assert_allclose(y[n], ref, rtol=1e-5, atol=1e-5)


def test_condconv_with_one_saturated_expert_is_a_plain_convolution():
    x = np.asarray(jax.random.normal(jax.random.key(4), (2, 10, 3)))
    m = CondConv1D(features=4, kernel_size=3, num_experts=1)
    v = flax.core.unfreeze(m.init(jax.random.key(5), x))
    v["params"]["routing"]["kernel"] = jnp.zeros_like(v["params"]["routing"]["kernel"])
    v["params"]["routing"]["bias"] = jnp.full((1,), 40.0)  # sigmoid(40) == 1 in float32
    v["params"]["bias"] = jnp.full((1, 4), 0.5)
    y = m.apply(v, x)
    w = np.asarray(v["params"]["kernel"][0])
    ref = jax.lax.conv_general_dilated(x, w, (1,), [(1, 1)], dimension_numbers=("NWC", "WIO", "NWC"))
    np.testing.assert_allclose(np.asarray(y), np.asarray(ref) + 0.5, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("rate", [pytest.param(1, marks=pytest.mark.slow), 2,
                                  pytest.param(3, marks=pytest.mark.slow)])
def test_aspp_branch_dilation_visible_in_receptive_field(rate):
    """With every branch but ``atrous_<rate>`` zeroed and the routing made constant, output
    position i depends on inputs i - rate, i, i + rate only (Jacobian sparsity)."""
    L = 10
    x = jax.random.normal(jax.random.key(6), (1, L, 2))
    m = ASPP1D(features=4, rates=(1, 2, 3), num_experts=2, dropout=0.0)
    v = flax.core.unfreeze(m.init(jax.random.key(7), x))
    p = v["params"]
    zero = lambda t: jax.tree_util.tree_map(jnp.zeros_like, t)  # noqa: E731
    p["condconv_branch"] = zero(p["condconv_branch"])
    p["pool_1x1"] = zero(p["pool_1x1"])
    for r in (1, 2, 3):
        if r != rate:
            p[f"atrous_{r}"] = zero(p[f"atrous_{r}"])
    p["fuse"]["routing"]["kernel"] = jnp.zeros_like(p["fuse"]["routing"]["kernel"])
    f = lambda z: m.apply(v, z, train=False)[0].sum(axis=-1)  # noqa: E731
    jac = np.asarray(jax.jit(jax.jacobian(f))(x))[:, 0, :, :]  # (L_out, L_in, C)
    reach = np.abs(jac).sum(axis=-1) > 0
    for i in range(L):
        expected = {j for j in (i - rate, i, i + rate) if 0 <= j < L}
        assert set(np.flatnonzero(reach[i])) <= expected
    # the centre row sees both dilated neighbours (ReLU may zero a row, so test several)
    assert any(set(np.flatnonzero(reach[i])) == {i - rate, i, i + rate} for i in range(rate, L - rate))


def test_aspp_warns_when_rate_exceeds_window():
    m = ASPP1D(features=4, rates=(1, 12))
    with pytest.warns(UserWarning, match="dilation rate"):
        m.init(jax.random.key(0), jnp.zeros((1, 10, 2)))


def test_aspp_batchnorm_state_is_functional():
    x = jax.random.normal(jax.random.key(8), (16, 10, 3)) * 3.0 + 1.0
    m = ASPP1D(features=4, dropout=0.0)
    v = jax.jit(m.init)(jax.random.key(9), x)
    out, upd = jax.jit(lambda v, x: m.apply(v, x, train=True, mutable=["batch_stats"]))(v, x)
    assert not np.allclose(np.asarray(upd["batch_stats"]["bn"]["mean"]),
                           np.asarray(v["batch_stats"]["bn"]["mean"]))
    # evaluation does not touch the statistics and is independent of the batch
    ev = jax.jit(lambda v, x: m.apply(v, x, train=False))
    e1 = ev({"params": v["params"], **upd}, x)
    e2 = ev({"params": v["params"], **upd}, x[:3])
    np.testing.assert_allclose(np.asarray(e1[:3]), np.asarray(e2), rtol=1e-5, atol=1e-6)


def _ema_reference(x_bct, G, W1, b1, W3, b3, gamma, beta, eps=1e-5):
    """Seed-000/spec EMA1D forward pass written in the spec's (B, C, T) layout with NumPy."""
    B, C, T = x_bct.shape
    cg = C // G
    gx = x_bct.reshape(B * G, cg, T)
    xc = gx.mean(axis=2, keepdims=True)
    cat = np.concatenate([gx, xc], axis=2)  # (BG, cg, T+1)
    hw = np.einsum("oc,nct->not", W1, cat) + b1[None, :, None]
    g = gx * _sigmoid(hw[..., :T]) * _sigmoid(hw[..., T:])
    mu = g.mean(axis=2, keepdims=True)
    var = g.var(axis=2, keepdims=True)
    x1 = (g - mu) / np.sqrt(var + eps) * gamma[None, :, None] + beta[None, :, None]
    x2 = np.zeros_like(gx)
    pad = np.pad(gx, ((0, 0), (0, 0), (1, 1)))
    for t in range(T):
        x2[:, :, t] = np.einsum("koc,nck->no", W3, pad[:, :, t:t + 3]) + b3
    sm = lambda z: np.exp(z - z.max(1, keepdims=True)) / np.exp(z - z.max(1, keepdims=True)).sum(1, keepdims=True)  # noqa: E731
    x11, x21 = sm(x1.mean(axis=2)), sm(x2.mean(axis=2))
    w = np.einsum("nc,nct->nt", x11, x2) + np.einsum("nc,nct->nt", x21, x1)
    return (gx * _sigmoid(w)[:, None, :]).reshape(B, C, T)


@pytest.mark.parametrize("groups", [1, 2, 4])
def test_ema_matches_spec_forward_pass(groups):
    B, T, C = 3, 7, 8
    x = np.asarray(jax.random.normal(jax.random.key(10), (B, T, C)))
    m = EMA1D(groups=groups)
    v = flax.core.unfreeze(m.init(jax.random.key(11), x))
    p = v["params"]
    cg = C // groups
    p["gn_scale"] = jnp.linspace(0.5, 1.5, cg)
    p["gn_bias"] = jnp.linspace(-0.2, 0.3, cg)
    p["conv3_bias"] = jnp.linspace(0.1, -0.1, cg)
    y = np.asarray(m.apply(v, x))
    q = jax.tree_util.tree_map(np.asarray, p)
    W1 = q["conv1x1"]["kernel"].T  # Dense kernel is (in, out); the reference uses (out, in)
    W3 = np.transpose(q["conv3_kernel"], (0, 2, 1))  # (k, in, out) -> (k, out, in)
    ref = _ema_reference(np.transpose(x, (0, 2, 1)), groups, W1, q["conv1x1"]["bias"], W3,
                         q["conv3_bias"], q["gn_scale"], q["gn_bias"])
    np.testing.assert_allclose(y, np.transpose(ref, (0, 2, 1)), rtol=1e-4, atol=1e-5)


def test_ema_hand_worked_constant_input():
    """A constant channel has zero variance: x1 = GroupNorm bias, and with zero weights
    everything is hand-computable: w = sum(softmax(beta)*x2mean) + sum(softmax(b3)*beta)."""
    x = jnp.ones((1, 4, 2)) * jnp.array([1.0, 2.0])[None, None, :]  # (B, T, C): C=2, one group
    m = EMA1D(groups=1)
    v = flax.core.unfreeze(m.init(jax.random.key(0), x))
    p = v["params"]
    p["conv1x1"] = jax.tree_util.tree_map(jnp.zeros_like, p["conv1x1"])
    p["conv3_kernel"] = jnp.zeros_like(p["conv3_kernel"])
    p["conv3_bias"] = jnp.array([0.0, 1.0])
    p["gn_bias"] = jnp.array([0.5, -0.5])
    y = np.asarray(m.apply(v, x))
    # x1 = beta = (0.5, -0.5) at every t; x2 = b3 = (0, 1) at every t
    s1 = np.exp([0.5, -0.5]) / np.exp([0.5, -0.5]).sum()
    s2 = np.exp([0.0, 1.0]) / np.exp([0.0, 1.0]).sum()
    w = s1 @ np.array([0.0, 1.0]) + s2 @ np.array([0.5, -0.5])
    np.testing.assert_allclose(y, np.asarray(x) * _sigmoid(w), rtol=1e-5)


def test_ema_rejects_indivisible_groups():
    with pytest.raises(CpjaxInputError, match="groups"):
        EMA1D(groups=3).init(jax.random.key(0), jnp.zeros((1, 5, 8)))


def test_combined_config_json_round_trip_keeps_rates_tuple():
    import dataclasses
    import json

    cfg = CombinedConfig(rates=(1, 2, 4))
    again = CombinedConfig(**json.loads(json.dumps(dataclasses.asdict(cfg))))
    assert again == cfg and again.rates == (1, 2, 4)


def test_combined_residual_adds_last_target():
    cfg = CombinedConfig(channels=4, groups=2, hidden_size=4, num_layers=1)
    x = jax.random.normal(jax.random.key(1), (3, 10, 2))
    m_lvl = CombinedForecaster(cfg, 1)
    m_res = residual(m_lvl, "aspp_ema_lstm")
    p, s = jax.jit(lambda k: init_variables(m_res, k, x[:1]))(jax.random.key(2))
    v = {"params": p, "batch_stats": s}
    diff = (jax.jit(lambda v: m_res.apply(v, x, train=False))(v)
            - jax.jit(lambda v: m_lvl.apply(v, x, train=False))(v))
    np.testing.assert_allclose(np.asarray(diff[:, 0]), np.asarray(x[:, -1, 0]), rtol=1e-5, atol=1e-6)
