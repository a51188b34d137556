"""Scenarios S1–S5 as data (seed 001 Table 1) and ``cpjax scenarios`` through cpjax.cli.main."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from cpjax import cge
from cpjax._errors import CpjaxInputError

FOUR = {"STEEL", "NFM", "BMAT", "CHEM"}
SIX = FOUR | {"PAPER", "AVIA"}


def test_shipped_scenarios_follow_table_1():
    sc = {s.name: s for s in cge.demo_scenarios()}
    assert list(sc) == ["S1", "S2", "S3", "S4", "S5"]
    # (free allowances to high-energy industries, trading by them), the power sector always covered
    table = {"S1": (set(), False), "S2": (FOUR, False), "S3": (SIX, False),
             "S4": (FOUR, True), "S5": (SIX, True)}
    for name, (alloc, trades) in table.items():
        s = sc[name]
        assert "TPOW" in s.market_sectors
        industries = set(s.market_sectors) - {"TPOW"} if trades else set(s.without_trading)
        assert industries == alloc, name
        assert (s.regime == "trading") == trades
        if not trades:
            assert set(s.market_sectors) == {"TPOW"} and s.regime == "exogenous"


def test_scenario_policy_masks(demo):
    s5 = cge.demo_scenarios(["S5"])[0]
    pol = cge.scenario_policy(demo, s5, 9)
    names = [demo.sectors[i] for i in np.nonzero(pol.trade)[0]]
    assert set(names) == SIX | {"TPOW"} and pol.exo.sum() == 0 and pol.own.sum() == 0
    np.testing.assert_allclose(pol.reduction, np.linspace(0.02, 0.10, 9))


def test_bad_scenario_files(tmp_path, demo):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "X"\n[market]\nregime = "trading"\nsectors = ["STEL"]\n')
    with pytest.raises(CpjaxInputError, match="STEEL"):
        cge.scenario_policy(demo, cge.load_scenario(bad), 9)
    bad.write_text('name = "X"\n[market]\nregime = "auction"\n')
    with pytest.raises(CpjaxInputError, match="regime"):
        cge.load_scenario(bad)
    bad.write_text('name = "X"\ncolour = 1\n')
    with pytest.raises(CpjaxInputError, match="unknown key"):
        cge.load_scenario(bad)


def test_peak_years():
    res = {"A": {"energy_mtce": np.array([1.0, 3.0, 2.0]), "emissions_mt": np.array([1.0, 2.0, 3.0])}}
    (row,) = cge.peak_years(res, [2022, 2023, 2024])
    assert row["energy_mtce_peak_year"] == 2023 and row["energy_mtce_peaked"]
    assert row["emissions_mt_peak_year"] == 2024 and not row["emissions_mt_peaked"]


def test_cli_demo_writes_table_and_figures(cli, tmp_path):
    out = tmp_path / "sc"
    assert cli(["scenarios", "--demo", "--out", str(out)]) == 0
    names = {p.name for p in out.iterdir()}
    assert {"scenarios.csv", "energy.png", "volume.png", "price.png", "emissions.png",
            "peaks.csv", "sectors.csv", "drivers.csv", "config.json"} <= names
    with open(out / "scenarios.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 5 * 9
    keys = {"scenario", "year", "energy_mtce", "emissions_mt", "trading_volume_mt",
            "carbon_price_cny", "gdp", "welfare_ev"}
    assert keys <= set(rows[0])
    by = {(r["scenario"], int(r["year"])): r for r in rows}
    assert float(by[("S1", 2022)]["energy_mtce"]) == pytest.approx(217, abs=2)   # near 219 Mtce
    assert float(by[("S5", 2030)]["carbon_price_cny"]) > float(by[("S1", 2030)]["carbon_price_cny"])
    assert float(by[("S1", 2025)]["welfare_ev"]) == 0.0
    cfg = json.loads((out / "config.json").read_text())
    assert [s["name"] for s in cfg["scenarios"]] == ["S1", "S2", "S3", "S4", "S5"]


def _bad(cli, tmp_path, capsys, args, match):
    out = tmp_path / "never"
    assert cli(["scenarios", *args, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert match in err, err
    assert not out.exists()


def test_cli_bad_inputs(cli, tmp_path, capsys):
    _bad(cli, tmp_path, capsys, ["--demo", "--scenarios", "S9"], "S9")
    _bad(cli, tmp_path, capsys, ["--demo", "--years", "2030-2022"], "after the first")
    _bad(cli, tmp_path, capsys, ["--demo", "--years", "2022"], "FIRST-LAST")
    _bad(cli, tmp_path, capsys, ["--demo", "--drivers", "node", "--node-trajectories",
                                 str(tmp_path / "nope.csv")], "not found")
    _bad(cli, tmp_path, capsys, ["--demo", "--scenario-file", str(tmp_path / "none.toml")], "not found")
    _bad(cli, tmp_path, capsys, ["--sam", str(tmp_path / "x.csv")], "--spec")


@pytest.mark.slow
def test_make_study_matches_run_scenarios_and_differentiates(demo):
    import jax

    scen = cge.demo_scenarios(["S1", "S4"])
    with cge.x64():
        drivers = cge.trend_drivers()
        res = cge.run_scenarios(demo, drivers, scen)
        study = cge.make_study(demo, scen, 9)
        prm = cge.as_float64(cge.dynamic_params(demo))
        d = cge.as_float64(drivers._replace(years=None))
        red = cge.as_float64(np.stack([cge.reduction_path(s, 9) for s in scen]))
        out = jax.jit(study)(prm, d, red)
        np.testing.assert_allclose(out["carbon_price"][1], res["S4"]["carbon_price"], rtol=1e-9)
        g = jax.jit(jax.grad(lambda r: study(prm, d, r)["carbon_price"][1, -1]))(red)
    g = np.asarray(g)
    assert g[1, -1] > 0 and np.all(g[0] == 0)  # S1's price is exogenous


@pytest.mark.slow
def test_seed001_script_smoke(tmp_path, monkeypatch):
    import importlib.util
    import sys
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "scripts" / "seed001_scenarios.py"
    spec = importlib.util.spec_from_file_location("seed001_scenarios", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    monkeypatch.setattr(sys, "argv", ["x", "--seeds", "0", "--epochs", "2", "--out", str(tmp_path)])
    mod.main()
    assert (tmp_path / "seed001_scenarios.md").is_file()
    assert (tmp_path / "seed001_scenarios" / "price_node.png").is_file()


@pytest.mark.slow
def test_cli_demo_node_drivers(cli, tmp_path):
    """The documented flow: node train --demo, node generate, scenarios --drivers node (a tiny
    model: its paths are used whatever their plausibility status, by explicit override)."""
    model, traj, out = tmp_path / "m", tmp_path / "traj", tmp_path / "node"
    assert cli(["node", "train", "--demo", "--epochs", "3", "--width", "8", "--depth", "1",
                "--baselines", "", "--out", str(model)]) == 0
    assert cli(["node", "generate", "--model", str(model), "--start", "2021-01", "--until",
                "2030-12", "--out", str(traj)]) == 0
    assert cli(["scenarios", "--demo", "--drivers", "node", "--node-trajectories",
                str(traj / "trajectories.csv"), "--allow-implausible-drivers",
                "--scenarios", "S1,S5", "--out", str(out)]) == 0
    with open(out / "drivers.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 9 and rows[0]["drivers"] == "node"
