"""``cpjax calibrate``: outputs on a small targets file; every bad input exits 2 and writes nothing."""

from __future__ import annotations

import csv
import json

import pytest

from cpjax import cge

GOOD = """
description = "test"
[path]
kind = "trend"
years = [2022, 2025]
[path.fixed]
"growth.capital" = 0.04
[optimizer]
name = "lbfgs"
max_steps = 40
[[parameters]]
name = "growth.tfp"
init = 0.01
lower = -0.05
upper = 0.15
[[targets]]
output = "energy_mtce.total"
year = 2025
value = 240.0
"""


STATIC = """
[path]
kind = "static"
[[parameters]]
name = "tfp.BRD"
init = 1.0
lower = 0.5
upper = 2.0
[[targets]]
output = "real_consumption.HOH"
value = 52.0
"""


def test_calibrate_cli_writes_fit_trace_and_checks(cli, tmp_path):
    """The textbook model from its own SAM and spec: fit TFP of bread so that real consumption is 52 (50 at the benchmark)."""
    from pathlib import Path

    data = Path(__file__).parent / "data"
    t = tmp_path / "t.toml"
    t.write_text(STATIC)
    out = tmp_path / "out"
    assert cli(["calibrate", "--sam", str(data / "stdcge_sam.csv"), "--spec", str(data / "stdcge_spec.yaml"),
                "--targets", str(t), "--out", str(out)]) == 0
    names = {p.name for p in out.iterdir()}
    assert {"calibrated.json", "fit.csv", "trace.csv", "gradient_check.csv", "config.json"} <= names
    fit = list(csv.DictReader((out / "fit.csv").read_text().splitlines()))
    assert float(fit[0]["model"]) == pytest.approx(52.0, rel=1e-8)
    assert float(fit[0]["resolved"]) == pytest.approx(52.0, rel=1e-8)  # independent re-solve
    cal = json.loads((out / "calibrated.json").read_text())
    assert cal["converged"] and cal["gradient_check_max_rel_error"] < 1e-5
    trace = list(csv.DictReader((out / "trace.csv").read_text().splitlines()))
    assert trace[0]["step"] == "0" and float(trace[-1]["loss"]) < float(trace[0]["loss"])


def test_json_targets_file(tmp_path):
    t = tmp_path / "t.json"
    t.write_text(json.dumps({"path": {"kind": "static"}, "parameters": [{"name": "tfp.STEEL", "init": 1.0,
                             "lower": 0.5, "upper": 2.0}], "targets": [{"output": "gdp", "value": 24400.0}]}))
    task = cge.load_targets(t)
    assert task.path_kind == "static" and task.parameters[0].name == "tfp.STEEL"


@pytest.mark.parametrize(("text", "match"), [
    (GOOD.replace("value = 240.0", "valeu = 240.0"), r"targets\[0\].valeu.*did you mean 'value'"),
    (GOOD.replace("value = 240.0", 'value = "high"'), r"targets\[0\].value = 'high' must be a number"),
    (GOOD.replace('kind = "trend"', 'kind = "spline"'), "path.kind = 'spline' is unknown"),
    (GOOD.replace('name = "growth.tfp"', 'name = "growth.tpf"'), "did you mean 'growth.tfp'"),
    (GOOD.replace('name = "lbfgs"', 'name = "newton"'), "optimizer 'newton' is unknown"),
    (GOOD.replace("year = 2025", "year = 2031"), "year 2031 is not in the path"),
    (GOOD.replace("[[targets]]", "[[target]]"), "unknown field target;"),
    (GOOD.replace("init = 0.01", "init = 0.5"), "not strictly inside"),
    (GOOD + "\n[broken", "could not be parsed as TOML"),
    (GOOD.replace('output = "energy_mtce.total"\n', ""), r"targets\[0\] has no 'output' field"),
])
def test_bad_targets_files_exit_2_and_write_nothing(cli, tmp_path, capsys, text, match):
    import re

    t = tmp_path / "t.toml"
    t.write_text(text)
    out = tmp_path / "out"
    assert cli(["calibrate", "--demo", "--targets", str(t), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert re.search(match, err), err
    assert len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_sam_without_spec(cli, tmp_path, capsys):
    t = tmp_path / "t.toml"
    t.write_text(GOOD)
    assert cli(["calibrate", "--sam", str(t), "--targets", str(t), "--out", str(tmp_path / "o")]) == 2
    assert "both --sam PATH and --spec PATH" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_missing_targets_file(cli, tmp_path, capsys):
    assert cli(["calibrate", "--demo", "--targets", "no_such_name", "--out", str(tmp_path / "o")]) == 2
    assert "shipped names" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("name", ["baseline_energy", "s5_price_path", "trend_emissions"])
def test_shipped_targets_files_load(name):
    from cpjax.cge._calib_run import TARGETS_DIR

    task = cge.load_targets(TARGETS_DIR / f"{name}.toml")
    assert task.parameters and task.targets


@pytest.mark.slow
def test_seed001_calibrate_script_smoke(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run([sys.executable, str(root / "scripts" / "seed001_calibrate.py"), "--out",
                           str(tmp_path)], capture_output=True, text=True, cwd=root, timeout=3000)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (tmp_path / "summary.md").is_file() and (tmp_path / "scenarios.csv").is_file()
