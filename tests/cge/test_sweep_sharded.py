"""Sharded sweeps over 4 host devices give the numbers of vmap and of a Python loop, with several
scenarios per device.

XLA_FLAGS must be set before JAX starts, so the sharded runs happen in a subprocess (cpjax/_xla.py
appends its own flag to XLA_FLAGS at import; both are kept).  Each device works through its slice
one scenario at a time (``chunk="auto"`` on CPU); a ``vmap`` of several scenarios per host device
hung with jaxlib 0.10 (docs/calibration.md, "Sweeps").
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from cpjax import CpjaxInputError, cge

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = r"""
import json, sys
import numpy as np
import jax
from cpjax import cge
m = cge.load_model(sys.argv[1], sys.argv[2])
vals = [{"endow.RA.L": 70.0 * f, "endow.RA.K": 80.0 / f} for f in np.linspace(0.9, 1.2, 10)]
batch = cge.stack_params([cge.set_params(m, values=v) for v in vals])
out = {"devices": len(jax.devices())}
for mode in ("loop", "vmap", "shard"):
    s = cge.solve_sweep(m, batch, mode=mode)
    out[mode] = {"z": np.asarray(s.z).tolist(), "status": np.asarray(s.status).tolist()}
# a generic function, 7 scenarios on 4 devices (padded to 8, padding dropped)
sq = cge.sweep(lambda p: {"y": p["a"] ** 2 + p["b"]}, {"a": np.arange(7.0), "b": np.ones(7)}, mode="shard")
out["generic"] = np.asarray(sq["y"]).tolist()
mesh = cge.device_mesh()
out["mesh"] = int(mesh.devices.size)
print("RESULT" + json.dumps(out))
"""


@pytest.fixture(scope="module")
def sharded(mpsge_paths):
    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=4",
               JAX_PLATFORMS="cpu", PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-c", SCRIPT, *map(str, mpsge_paths)], env=env,
                          capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = [x for x in proc.stdout.splitlines() if x.startswith("RESULT")][-1]
    return json.loads(line[len("RESULT"):])


def test_sharded_equals_vmap_equals_loop(sharded, mpsge_paths):
    assert sharded["devices"] == 4 and sharded["mesh"] == 4
    z = {m: np.asarray(sharded[m]["z"]) for m in ("loop", "vmap", "shard")}
    assert z["shard"].shape[0] == 10  # 10 scenarios on 4 devices: 3 each after padding to 12
    np.testing.assert_allclose(z["shard"], z["vmap"], atol=1e-12)
    np.testing.assert_allclose(z["shard"], z["loop"], atol=1e-12)
    assert all(s == 0 for s in sharded["shard"]["status"])
    # and the same as an ordinary single-device solve in this process
    m = cge.load_model(*mpsge_paths)
    f = 1.2
    single = cge.solve(m, cge.set_params(m, values={"endow.RA.L": 70.0 * f, "endow.RA.K": 80.0 / f}))
    np.testing.assert_allclose(z["shard"][-1], np.asarray(single.z), atol=1e-10)


def test_generic_sweep_pads_and_drops(sharded):
    np.testing.assert_allclose(sharded["generic"], np.arange(7.0) ** 2 + 1.0)


def test_single_device_modes_agree_on_a_path(mpsge_paths):
    m = cge.load_model(*mpsge_paths)
    path = cge.static_path(m, ["endow.RA.L", "endow.RA.K"], ["real_consumption.RA", "price.L"])
    theta = cge.grid(**{"endow.RA.L": [60.0, 70.0, 77.0], "endow.RA.K": [80.0, 90.0]})
    out_v, st_v = cge.path_sweep(path, theta, mode="vmap")
    out_s, st_s = cge.path_sweep(path, theta, mode="shard")
    assert out_v["real_consumption.RA"].shape == (6, 1)
    np.testing.assert_allclose(out_s["real_consumption.RA"], out_v["real_consumption.RA"], rtol=1e-12)
    assert np.all(st_v == 0) and np.all(st_s == 0)
    # Cobb-Douglas economy: U = 150 (L/70)^(7/15) (K/80)^(8/15) (MPSGE.jl 2x2; 1.0454821 at L = 77)
    want = 150 * (theta["endow.RA.L"] / 70) ** (7 / 15) * (theta["endow.RA.K"] / 80) ** (8 / 15)
    np.testing.assert_allclose(out_v["real_consumption.RA"][:, 0], want, rtol=1e-9)


def test_grid_and_monte_carlo():
    g = cge.grid(a=[1.0, 2.0], b=[0.1, 0.2, 0.3])
    assert g["a"].shape == (6,) and sorted(set(zip(g["a"], g["b"]))) == sorted(
        (a, b) for a in (1.0, 2.0) for b in (0.1, 0.2, 0.3))
    d1 = cge.monte_carlo(50, seed=3, s=("uniform", 0.2, 0.8), t=("lognormal", 1.0, 0.1))
    d2 = cge.monte_carlo(50, seed=3, s=("uniform", 0.2, 0.8), t=("lognormal", 1.0, 0.1))
    np.testing.assert_array_equal(d1["s"], d2["s"])
    assert d1["s"].min() >= 0.2 and d1["s"].max() <= 0.8 and np.all(d1["t"] > 0)
    with pytest.raises(CpjaxInputError, match="distribution"):
        cge.monte_carlo(3, s=("beta", 1.0, 1.0))
    with pytest.raises(CpjaxInputError, match="leading sizes"):
        cge.sweep(lambda p: p, {"a": np.ones(3), "b": np.ones(4)}, mode="vmap")
    with pytest.raises(CpjaxInputError, match="sweep mode"):
        cge.sweep(lambda p: p, {"a": np.ones(3)}, mode="pmap")
