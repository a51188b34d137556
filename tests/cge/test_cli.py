"""``cpjax cge solve`` through cpjax.cli.main: outputs, and one-line exit 2 on bad input."""

from __future__ import annotations

import csv
import json

import pytest


def test_demo_run_writes_all_files(cli, tmp_path):
    out = tmp_path / "run"
    assert cli(["cge", "solve", "--demo", "--set", "tfp.STEEL=1.05", "--set", "tariff.CHEM=0",
                "--out", str(out)]) == 0
    assert {p.name for p in out.iterdir()} == {"solution.json", "summary.csv", "checks.json",
                                                "config.json", "run.json"}
    checks = json.loads((out / "checks.json").read_text())
    assert checks["replication_residual"] < 1e-10
    assert checks["walras_residual"] < 1e-10
    assert checks["homogeneity_error"] < 1e-9
    assert checks["status"] == 0 and checks["iterations"] >= 1
    sol = json.loads((out / "solution.json").read_text())["variables"]
    assert sol["activity.Y.STEEL"] > 1.0
    assert "price.ROW" in sol and "emissions_mt.total" in sol
    with open(out / "summary.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 15 and rows[0]["sector"] == "AGR"
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["settings"]["sets"] == [["tfp.STEEL", 1.05], ["tariff.CHEM", 0.0]]


def test_user_files_and_fixed_point(cli, tmp_path, mpsge_paths):
    out = tmp_path / "mp"
    assert cli(["cge", "solve", "--sam", str(mpsge_paths[0]), "--spec", str(mpsge_paths[1]),
                "--set", "endow.RA.L=77", "--method", "fixed_point", "--out", str(out)]) == 0
    sol = json.loads((out / "solution.json").read_text())["variables"]
    assert sol["price.L"] == pytest.approx(0.9534626, abs=5e-7)


def _bad(cli, tmp_path, capsys, args, match):
    out = tmp_path / "never"
    assert cli(["cge", "solve", *args, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert match in err, err
    assert not out.exists()


def test_missing_file(cli, tmp_path, capsys, mpsge_paths):
    _bad(cli, tmp_path, capsys, ["--sam", str(tmp_path / "nope.csv"), "--spec", str(mpsge_paths[1])],
         "not found")


def test_unbalanced_sam_names_accounts(cli, tmp_path, capsys, mpsge_paths):
    bad = tmp_path / "bad.csv"
    bad.write_text(mpsge_paths[0].read_text().replace("K,50,30", "K,50,33"))
    _bad(cli, tmp_path, capsys, ["--sam", str(bad), "--spec", str(mpsge_paths[1])],
         "worst accounts: ")


def test_unknown_parameter(cli, tmp_path, capsys):
    _bad(cli, tmp_path, capsys, ["--demo", "--set", "tfp.STEL=1.1"], "did you mean 'tfp.STEEL'")


def test_malformed_set(cli, tmp_path, capsys):
    _bad(cli, tmp_path, capsys, ["--demo", "--set", "tfp.STEEL"], "expected NAME=VALUE")


def test_bad_spec_field(cli, tmp_path, capsys, mpsge_paths):
    spec = tmp_path / "s.toml"
    spec.write_text(mpsge_paths[1].read_text().replace("sigma = 1.0", "sigma = -2"))
    _bad(cli, tmp_path, capsys, ["--sam", str(mpsge_paths[0]), "--spec", str(spec)], "must be >= 0")


def test_unreachable_counterfactual(cli, tmp_path, capsys, mpsge_paths):
    _bad(cli, tmp_path, capsys, ["--sam", str(mpsge_paths[0]), "--spec", str(mpsge_paths[1]),
                                 "--set", "endow.RA.L=500", "--method", "fixed_point",
                                 "--max-steps", "2"], "equilibrium was not reached")
