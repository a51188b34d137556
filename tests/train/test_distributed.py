"""The problem axis sharded over several devices and over several processes (jax.distributed on
loopback) gives the single-device result (within float32 rounding: the per-device batch differs,
so XLA picks other kernels)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

WORKER = Path(__file__).with_name("_dist_worker.py")
ROOT = Path(__file__).resolve().parents[2]


def _env(**extra):
    env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
    return {**env, "JAX_PLATFORMS": "cpu", "PYTHONPATH": str(ROOT), **extra}


def _run(args, env):
    return subprocess.Popen([sys.executable, str(WORKER), *map(str, args)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _wait(procs, timeout=240):
    for p in procs:
        out, _ = p.communicate(timeout=timeout)
        assert p.returncode == 0, out[-3000:]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _load(path):
    d = json.loads(Path(path).read_text())
    return d, [np.asarray(p) for p in d["params"]]


@pytest.fixture(scope="module")
def single(tmp_path_factory):
    out = tmp_path_factory.mktemp("single") / "r.json"
    _wait([_run([0, 1, 0, out], _env())])
    return _load(out)


def _close_to(single, other):
    (a, pa), (b, pb) = single, other
    np.testing.assert_allclose(b["val_loss"], a["val_loss"], rtol=1e-5)
    for x, y in zip(pa, pb):
        np.testing.assert_allclose(y, x, rtol=1e-5, atol=1e-6)


def test_two_host_devices(single, tmp_path):
    out = tmp_path / "r.json"
    _wait([_run([0, 1, 0, out], _env(XLA_FLAGS="--xla_force_host_platform_device_count=2"))])
    other = _load(out)
    assert other[0]["devices"] == 2
    _close_to(single, other)


@pytest.mark.slow
def test_two_processes_on_loopback(single, tmp_path):
    out, port = tmp_path / "r.json", _free_port()
    _wait([_run([i, 2, port, out], _env()) for i in range(2)])
    other = _load(out)
    assert (other[0]["devices"], other[0]["processes"]) == (2, 2)
    _close_to(single, other)
