"""Smoke tests of the research script and the speed benchmark (synthetic data, quick modes)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _load(rel: str):
    spec = importlib.util.spec_from_file_location(Path(rel).stem, ROOT / rel)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_seed002_script_demo(tmp_path):
    mod = _load("scripts/quota_seed002.py")
    assert mod.main(["--demo", "--model", "seasonal_naive", "--out", str(tmp_path)]) == 0
    for f in ("inventory.md", "forecast_table.md", "surplus.md", "sensitivity.md", "fig4_2023.png",
              "fig5_2024.png", "surplus.csv"):
        assert (tmp_path / f).is_file(), f


def test_speed_benchmark_quick(tmp_path):
    mod = _load("benchmarks/quota_speed.py")
    res = mod.main(["--quick", "--out", str(tmp_path)])
    assert res["rule_sets"] == 5 and res["max_abs_diff_vs_python_loop_t"] < 1e-3
    assert json.loads((tmp_path / "quota_speed_quick.json").read_text())["units"] == 3500
