"""The combined network equals the PyTorch reference of benchmarks/combined_training.py
(seed 000's channels-first layout, torch's own Conv1d / BatchNorm1d / GroupNorm / LSTM) when
the Flax weights are copied over: an independent check of the whole forward pass, and of the
claim that the speed benchmark compares the same architecture."""

from __future__ import annotations

import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from cpjax.nn import CombinedConfig, CombinedForecaster

torch = pytest.importorskip("torch")
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from combined_training import torch_model  # noqa: E402


def _t(a):
    return torch.from_numpy(np.array(a, dtype=np.float32))


def _copy(net, p, s, hidden):
    a = p["aspp"]
    sd = {}
    for tname, fname in (("cc", "condconv_branch"), ("fuse", "fuse")):
        sd[f"aspp.{tname}.weight"] = _t(np.transpose(a[fname]["kernel"], (0, 3, 2, 1)))
        sd[f"aspp.{tname}.bias"] = _t(a[fname]["bias"])
        sd[f"aspp.{tname}.route.weight"] = _t(np.asarray(a[fname]["routing"]["kernel"]).T)
        sd[f"aspp.{tname}.route.bias"] = _t(a[fname]["routing"]["bias"])
    for i, r in enumerate((1, 2, 3)):
        sd[f"aspp.atrous.{i}.weight"] = _t(np.transpose(a[f"atrous_{r}"]["kernel"], (2, 1, 0)))
        sd[f"aspp.atrous.{i}.bias"] = _t(a[f"atrous_{r}"]["bias"])
    sd["aspp.pool.weight"] = _t(np.asarray(a["pool_1x1"]["kernel"]).T)
    sd["aspp.pool.bias"] = _t(a["pool_1x1"]["bias"])
    sd["aspp.bn.weight"], sd["aspp.bn.bias"] = _t(a["bn"]["scale"]), _t(a["bn"]["bias"])
    sd["aspp.bn.running_mean"] = _t(s["aspp"]["bn"]["mean"])
    sd["aspp.bn.running_var"] = _t(s["aspp"]["bn"]["var"])
    e = p["ema"]
    sd["ema.conv1.weight"] = _t(np.asarray(e["conv1x1"]["kernel"]).T[:, :, None])
    sd["ema.conv1.bias"] = _t(e["conv1x1"]["bias"])
    sd["ema.conv3.weight"] = _t(np.transpose(e["conv3_kernel"], (2, 1, 0)))
    sd["ema.conv3.bias"] = _t(e["conv3_bias"])
    sd["ema.gn.weight"], sd["ema.gn.bias"] = _t(e["gn_scale"]), _t(e["gn_bias"])
    cell = p["OptimizedLSTMCell_0"]
    sd["lstm.weight_ih_l0"] = _t(np.concatenate([np.asarray(cell[f"i{g}"]["kernel"]).T for g in "ifgo"]))
    sd["lstm.weight_hh_l0"] = _t(np.concatenate([np.asarray(cell[f"h{g}"]["kernel"]).T for g in "ifgo"]))
    sd["lstm.bias_ih_l0"] = torch.zeros(4 * hidden)
    sd["lstm.bias_hh_l0"] = _t(np.concatenate([cell[f"h{g}"]["bias"] for g in "ifgo"]))
    sd["head.weight"] = _t(np.asarray(p["head"]["kernel"]).T)
    sd["head.bias"] = _t(p["head"]["bias"])
    missing = set(net.state_dict()) - set(sd) - {"aspp.bn.num_batches_tracked"}
    assert not missing, missing
    net.load_state_dict(sd, strict=False)


@pytest.mark.slow
def test_combined_forward_equals_pytorch_reference():
    F, C, H = 5, 8, 6
    cfg = CombinedConfig(channels=C, groups=2, num_experts=3, aspp_dropout=0.0, hidden_size=H,
                         num_layers=1, dropout=0.0)
    m = CombinedForecaster(cfg, 1)
    x = jax.random.normal(jax.random.key(0), (4, 10, F), jnp.float32)
    v = jax.jit(lambda k: m.init(k, x))(jax.random.key(1))
    # non-trivial running statistics so that BatchNorm's evaluation path is exercised
    stats = {"aspp": {"bn": {"mean": jnp.linspace(-0.3, 0.3, C), "var": jnp.linspace(0.5, 2.0, C)}}}
    p = jax.tree_util.tree_map(np.asarray, v["params"])
    net = torch_model(F, channels=C, hidden=H, experts=3, groups=2, num_layers=1)
    _copy(net, p, jax.tree_util.tree_map(np.asarray, stats), H)
    net.eval()
    ours = np.asarray(jax.jit(lambda v, x: m.apply(v, x, train=False))(
        {"params": v["params"], "batch_stats": stats}, x))
    with torch.no_grad():
        ref = net(_t(x)).numpy()
    np.testing.assert_allclose(ours, ref, rtol=1e-4, atol=1e-5)
