"""One-epoch smoke tests of the research script and the comparison benchmark."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pandas as pd
import pytest

from cpjax.data import demo_market

ROOT = Path(__file__).resolve().parents[2]


def _load(rel: str, name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / rel)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


def test_seed003_script_demo(tmp_path, capsys):
    mod = _load("scripts/seed003_compare.py", "seed003_compare")
    out = tmp_path / "s003"
    code = mod.main(["--demo", "--lookback", "5", "--models", "drift", "--backtest-models",
                     "drift", "--windows", "2", "--seeds", "1", "--epochs", "1", "--out",
                     str(out)])
    assert code == 0
    report = (out / "report.md").read_text()
    assert "SYNTHETIC" in report and "Rolling backtest" in report
    fc = pd.read_csv(out / "compare" / "forecasts.csv")
    assert pd.Timestamp(fc["ds"].min()) >= pd.Timestamp("2024-01-01")
    cfg = json.loads((out / "compare" / "config.json").read_text())
    assert {"gdp", "gdp_release", "ppi", "capacity"} <= set(cfg["run"]["features"])
    cv = pd.read_csv(out / "backtest" / "cv.csv")
    assert cv["cutoff"].nunique() == 2


def test_seed003_script_bad_macro(tmp_path, capsys):
    mod = _load("scripts/seed003_compare.py", "seed003_compare")
    prices = tmp_path / "p.csv"
    demo_market(n_days=200).to_csv(prices, index=False)
    code = mod.main(["--data", str(prices), "--target", "close", "--macro", "gdp.csv",
                     "--test-start", "2022-03-01", "--out", str(tmp_path / "y")])
    assert code == 2 and "NAME=PATH:KIND" in capsys.readouterr().err
    assert not (tmp_path / "y").exists()


@pytest.mark.slow
def test_compare_benchmark_quick(shared_data, tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))  # for its _common helper
    mod = _load("benchmarks/compare_realdata.py", "compare_realdata")
    monkeypatch.setattr(mod, "write", lambda name, payload, md: (tmp_path / f"{name}.md").write_text(md))
    monkeypatch.setattr(sys, "argv", ["compare_realdata.py", "--dataset", "guangdong", "--quick"])
    assert mod.main() == 0
    text = (tmp_path / "compare_guangdong_L60_quick.md").read_text()
    assert "persistence" in text and "dm_p" in text
