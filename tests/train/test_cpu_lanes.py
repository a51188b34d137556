"""CPU lanes: several host devices train independent problems side by side, one per device,
with the results of separate runs (bitwise), in a process started with CPJAX_CPU_DEVICES=2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cpjax import CpjaxInputError
from cpjax._xla import cpu_devices_requested

ROOT = Path(__file__).resolve().parents[2]

CODE = r"""
import json
import numpy as np
import jax
from cpjax.nn import get_model, make_config
from cpjax.optim import optimizer_config
from cpjax.train import Problem, TrainConfig, fit_problems
from cpjax.train import _engine

rng = np.random.default_rng(0)
probs = []
for s in range(5):  # different lengths, seeds and learning rates
    n = 120 + 13 * s
    X = rng.normal(size=(n, 6, 3)).astype(np.float32)
    Y = X[:, -1, :1] + 0.1 * rng.normal(size=(n, 1)).astype(np.float32)
    probs.append(Problem(X, Y, X[:30], Y[:30], seed=s, hyper={"learning_rate": 1e-3 * (1 + s)}))
module = get_model("lstm").build(make_config("lstm", {"hidden_size": 4, "num_layers": 1}), 1)
cfg = TrainConfig(epochs=12, patience=3, batch_size=32)
opt = optimizer_config("adam", 1e-3)
_engine.OPEN_ALL_LANES = True
together = fit_problems(module, opt, probs, cfg)
lanes_used = sorted({d for _, d in _engine._LANE_READY})
alone = [fit_problems(module, opt, [p], cfg) for p in probs]
same = all(np.array_equal(np.asarray(a)[0], np.asarray(b)[i])
           for i, r in enumerate(alone)
           for a, b in zip(jax.tree_util.tree_leaves(r.params),
                           jax.tree_util.tree_leaves(together.params)))
hist = all(np.array_equal(r.history["val_loss"][:, 0], together.history["val_loss"][: len(r.history["val_loss"]), i],
                          equal_nan=True) for i, r in enumerate(alone))
print("RESULT " + json.dumps({"devices": len(jax.devices()), "lanes": lanes_used,
                              "params_equal": same, "history_equal": hist}))
"""


def test_lanes_train_side_by_side_with_the_results_of_separate_runs():
    env = {**os.environ, "CPJAX_CPU_DEVICES": "2", "JAX_PLATFORMS": "cpu"}
    p = subprocess.run([sys.executable, "-c", CODE], env=env, capture_output=True, text=True,
                       timeout=600, cwd=str(ROOT))
    assert p.returncode == 0, p.stderr[-3000:]
    res = json.loads([x for x in p.stdout.splitlines() if x.startswith("RESULT ")][-1][7:])
    assert res["devices"] == 2 and res["lanes"] == [0, 1]  # both devices trained
    assert res["params_equal"] and res["history_equal"]


def test_cpu_devices_setting(monkeypatch):
    monkeypatch.setenv("CPJAX_CPU_DEVICES", "3")
    assert cpu_devices_requested() == 3
    monkeypatch.setenv("CPJAX_CPU_DEVICES", "auto")
    assert cpu_devices_requested() >= 1
    monkeypatch.delenv("CPJAX_CPU_DEVICES")
    assert cpu_devices_requested() == 1 and cpu_devices_requested("2") == 2
    monkeypatch.setenv("CPJAX_CPU_DEVICES", "two")
    with pytest.raises(CpjaxInputError, match="CPJAX_CPU_DEVICES"):
        cpu_devices_requested()
