"""cpjax._distributed: a batch sharded over devices and processes gives the single-device numbers.

The multi-process tests start two local processes that join one JAX run over 127.0.0.1 (CPU
backend, ``jax.distributed``), each with two host devices (four devices in all).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cpjax import _distributed as dist

ROOT = Path(__file__).resolve().parents[1]


def test_map_batch_on_one_process_pads_and_drops():
    batch = {"a": np.arange(7.0), "b": np.ones((7, 3))}
    fn = lambda x: {"y": x["a"] ** 2 + x["b"].sum(), "z": x["b"] * x["a"]}  # noqa: E731
    for chunk in ("auto", 1, 3, None):
        out = dist.map_batch(fn, batch, chunk=chunk)
        np.testing.assert_allclose(out["y"], np.arange(7.0) ** 2 + 3.0)
        np.testing.assert_allclose(out["z"], np.ones((7, 3)) * np.arange(7.0)[:, None])


def test_batch_helpers_refuse_ragged_batches():
    with pytest.raises(ValueError, match="leading sizes"):
        dist.batch_size({"a": np.ones(3), "b": np.ones(4)})
    padded, n = dist.pad_batch({"a": np.arange(5.0)}, 4)
    assert n == 5 and padded["a"].tolist() == [0, 1, 2, 3, 4, 0, 0, 0]  # entry 0 repeated


GENERIC = r"""
import json
import numpy as np
from cpjax import _distributed as dist
assert dist.initialize_from_env()
import jax
batch = {"a": np.arange(11.0), "b": np.linspace(0.0, 1.0, 11)}
out = dist.map_batch(lambda x: {"y": jax.numpy.sin(x["a"]) * x["b"] + x["a"] ** 2}, batch)
print("RESULT " + json.dumps({"processes": jax.process_count(), "devices": len(jax.devices()),
                              "local": len(jax.local_devices()), "y": out["y"].tolist()}))
"""


def test_two_processes_on_loopback_equal_one_process():
    res = dist.spawn_local(GENERIC, num_processes=2, devices_per_process=2, timeout=180, cwd=str(ROOT))
    want = np.sin(np.arange(11.0)) * np.linspace(0.0, 1.0, 11) + np.arange(11.0) ** 2
    for r in res:  # every process gets every result
        assert r["processes"] == 2 and r["devices"] == 4 and r["local"] == 2
        np.testing.assert_allclose(r["y"], want, rtol=1e-6)


CGE = r"""
import json, sys
import numpy as np
from cpjax import _distributed as dist
assert dist.initialize_from_env()
import jax
from cpjax import cge
m = cge.load_model(sys.argv[1] if len(sys.argv) > 1 else "tests/cge/data/stdcge_sam.csv",
                   "tests/cge/data/stdcge_spec.yaml")
vals = [{"tariff.BRD": t, "supply.LAB": s} for t in (0.0, 0.05, 0.1) for s in (0.9, 1.0, 1.2)]
batch = cge.stack_params([cge.set_params(m, values=v) for v in vals])
sol = cge.solve_sweep(m, batch, mode="shard")
print("RESULT " + json.dumps({"devices": len(jax.devices()), "z": np.asarray(sol.z).tolist(),
                              "status": np.asarray(sol.status).tolist()}))
"""


@pytest.mark.slow
def test_two_process_cge_sweep_equals_single_solves():
    from cpjax import cge

    res = dist.spawn_local(CGE, num_processes=2, devices_per_process=2, timeout=600, cwd=str(ROOT))
    m = cge.load_model(ROOT / "tests/cge/data/stdcge_sam.csv", ROOT / "tests/cge/data/stdcge_spec.yaml")
    vals = [{"tariff.BRD": t, "supply.LAB": s} for t in (0.0, 0.05, 0.1) for s in (0.9, 1.0, 1.2)]
    want = np.stack([np.asarray(cge.solve(m, cge.set_params(m, values=v)).z) for v in vals])
    for r in res:
        assert r["devices"] == 4 and all(s == 0 for s in r["status"])
        np.testing.assert_allclose(np.asarray(r["z"]), want, atol=1e-10)
