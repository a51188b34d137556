"""Heavier checks (marked slow): real data end to end, the experiment and benchmark scripts."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from cpjax.node import NodeConfig, load_power_generation, train_node

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.realdata
def test_shandong_short_training(shared_data):
    d = load_power_generation(shared_data / "power" / "provincial_generation_monthly_ytd.csv",
                              provinces=["Shandong"], sources=["thermal", "hydro", "wind"])
    keep = d.dates >= np.datetime64("2010-01", "M")
    d = dataclasses.replace(d, dates=d.dates[keep], values=d.values[:, keep])
    res = train_node(d, NodeConfig(epochs=30),
                     baselines=("persistence", "seasonal_naive"))
    m = res.metrics
    assert set(m.method) == {"neural_ode", "persistence", "seasonal_naive"}
    assert np.all(np.isfinite(m[m.panel != "ALL"].rmse))
    assert res.fit.best_val < res.fit.history[0]["val_loss"]


@pytest.mark.slow
def test_benchmark_quick_runs(tmp_path):
    pytest.importorskip("torch")
    pytest.importorskip("torchdiffeq")
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "node_vs_torchdiffeq.py"),
                    "--quick", "--out", str(tmp_path)], check=True, cwd=ROOT,
                   env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert (tmp_path / "node_vs_torchdiffeq_quick.md").is_file()


@pytest.mark.slow
def test_engine_benchmark_quick_runs(tmp_path):
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "node_engine.py"), "--quick",
                    "--skip-old", "--out", str(tmp_path)], check=True, cwd=ROOT,
                   env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert "| demo | engine |" in (tmp_path / "node_engine_quick.md").read_text()


@pytest.mark.slow
@pytest.mark.realdata
def test_experiment_script_quick(shared_data, tmp_path):
    subprocess.run([sys.executable, str(ROOT / "scripts" / "node_power_experiment.py"), "--quick",
                    "--only", "shandong", "--out", str(tmp_path)], check=True, cwd=ROOT,
                   env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin",
                        "CPJAX_SHARED_DATA": str(shared_data)})
    assert (tmp_path / "node_power_quick.json").is_file()
