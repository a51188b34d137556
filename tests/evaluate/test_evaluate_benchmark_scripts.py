"""Smoke tests: the evaluate benchmark scripts run end to end and write their tables."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_calibration_script_smoke(tmp_path, capsys):
    assert _load("evaluate_calibration").main(["--reps", "3", "--out", str(tmp_path)]) == 0
    data = json.loads((tmp_path / "evaluate_calibration.json").read_text())
    assert len(data["dm_size"]) == 6 and len(data["conformal_coverage"]) == 18
    assert (tmp_path / "evaluate_calibration.md").read_text().startswith("# cpjax.evaluate")


@pytest.mark.realdata
def test_realdata_baselines_script_smoke(shared_data, tmp_path, capsys):
    mod = _load("evaluate_realdata_baselines")
    assert mod.main(["--quick", "--out", str(tmp_path), "--plots", str(tmp_path / "p")]) == 0
    data = json.loads((tmp_path / "evaluate_realdata_baselines.json").read_text())
    assert data["results"][0]["series"] == "guangdong"
    assert (tmp_path / "p" / "guangdong_persistence.png").exists()
