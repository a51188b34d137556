"""Smoke test: the peers benchmark runs end to end on real data and writes its table."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.realdata
def test_peers_benchmark_smoke(shared_data, tmp_path, capsys):
    spec = importlib.util.spec_from_file_location(
        "peers_realdata", ROOT / "benchmarks" / "peers_realdata.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    argv = ["--quick", "--series", "eua", "--models", "autotheta", "--horizon", "2",
            "--out", str(tmp_path)]
    assert mod.main(argv) == 0
    data = json.loads((tmp_path / "peers_realdata_quick.json").read_text())
    rows = {(r["model"], r["h"]) for r in data["table"]}
    assert {("persistence", 1), ("autotheta", 2), ("autotheta", "all")} <= rows
    assert "Summary over series" in (tmp_path / "peers_realdata_quick.md").read_text()
