"""`cpjax quota` through cpjax.cli.main: demo run and bad input (exit 2, one line, nothing written)."""

from __future__ import annotations

import json

import pandas as pd
import pytest


def test_demo_run_writes_all_outputs(cli_main, tmp_path):
    out = tmp_path / "out"
    assert cli_main(["quota", "--demo", "--rules", "2023", "--compare-rules", "2022",
                     "--out", str(out)]) == 0
    for f in ("units.csv", "summary_by_category.csv", "summary_by_province.csv", "surplus.png",
              "config.json", "inventory_counts.csv", "assumptions.csv"):
        assert (out / f).is_file(), f
    cat = pd.read_csv(out / "summary_by_category.csv")
    assert set(cat["rules"].astype(str)) == {"2023", "2022"}
    nat = cat[cat["category"] == "national"]
    nat = nat.set_index(nat["rules"].astype(str))
    # the stricter 2023 benchmark gives less surplus on the same activity
    assert nat.loc["2023", "surplus_mt"] < nat.loc["2022", "surplus_mt"]
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["settings"]["rules"] == "2023" and cfg["compliance_year"] == 2023
    assert any("assumed" in n for n in cfg["notes"])
    units = pd.read_csv(out / "units.csv")
    assert {"category", "province", "supply_mwh", "emissions_t", "allowances_t", "surplus_t"} <= set(units.columns)


def test_demo_is_deterministic(cli_main, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for o in (a, b):
        assert cli_main(["quota", "--demo", "--seed", "3", "--output-model", "seasonal_naive",
                         "--out", str(o)]) == 0
    assert (a / "units.csv").read_text() == (b / "units.csv").read_text()


def _bad(tmp_path, capsys, cli_main, argv, words):
    out = tmp_path / "never"
    code = cli_main(["quota", *argv, "--out", str(out)])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1, err
    for w in words:
        assert w in err, err
    assert not out.exists()


def test_missing_units_file(cli_main, tmp_path, capsys):
    _bad(tmp_path, capsys, cli_main, ["--units", str(tmp_path / "none.csv")], ["does not exist"])


def test_missing_columns_with_close_matches(cli_main, tmp_path, capsys):
    p = tmp_path / "u.csv"
    pd.DataFrame({"unit_id": ["a"], "Province": ["Anhui"], "capacity": [300], "fuel": ["coal"]}).to_csv(p, index=False)
    _bad(tmp_path, capsys, cli_main, ["--units", str(p)], ["'province'", "'Province'", "capacity_mw"])


def test_unknown_rules_year_lists_available(cli_main, tmp_path, capsys):
    _bad(tmp_path, capsys, cli_main, ["--demo", "--rules", "2030"],
         ["unknown rules year '2030'", "2019-2020, 2021, 2022, 2023, 2024"])


def test_rule_file_missing_benchmark(cli_main, tmp_path, capsys):
    from cpjax.quota._rules import RULES_DIR

    text = (RULES_DIR / "2022.toml").read_text().replace("[benchmarks.gas]\nvalue = 0.3901\n", "[benchmarks.gas]\n")
    p = tmp_path / "r.toml"
    p.write_text(text)
    _bad(tmp_path, capsys, cli_main, ["--demo", "--rules", str(p)], ["benchmarks.gas", "neither value nor fill"])


def test_negative_capacity_and_unknown_category(cli_main, tmp_path, capsys):
    p = tmp_path / "u.csv"
    pd.DataFrame({"unit_id": ["a", "b"], "province": ["Anhui"] * 2, "capacity_mw": [300, -1],
                  "fuel": ["coal"] * 2}).to_csv(p, index=False)
    _bad(tmp_path, capsys, cli_main, ["--units", str(p)], ["row 3", "unit b", "capacity_mw"])
    pd.DataFrame({"unit_id": ["a"], "province": ["Anhui"], "capacity_mw": [300], "fuel": ["coal"],
                  "category": ["small coal"]}).to_csv(p, index=False)
    _bad(tmp_path, capsys, cli_main, ["--units", str(p)], ["unknown category 'small coal'"])


def test_generation_year_missing_and_unknown_model(cli_main, tmp_path, capsys):
    u = tmp_path / "u.csv"
    pd.DataFrame({"unit_id": ["a"], "province": ["Anhui"], "capacity_mw": [300], "fuel": ["coal"]}).to_csv(u, index=False)
    g = tmp_path / "g.csv"
    pd.DataFrame({"province": ["Anhui"], "year": [2022], "generation_mwh": [1e6]}).to_csv(g, index=False)
    _bad(tmp_path, capsys, cli_main, ["--units", str(u), "--generation", str(g)], ["no year 2023"])
    _bad(tmp_path, capsys, cli_main, ["--demo", "--output-model", "lstn"], ["unknown output model 'lstn'", "arima"])


def test_annual_generation_file_works(cli_main, tmp_path):
    u = tmp_path / "u.csv"
    pd.DataFrame({"unit_id": ["a", "b"], "province": ["Anhui", "Anhui"], "capacity_mw": [600, 50],
                  "fuel": ["coal", "gas"]}).to_csv(u, index=False)
    g = tmp_path / "g.csv"
    pd.DataFrame({"province": ["Anhui"], "year": [2023], "generation_mwh": [3e6]}).to_csv(g, index=False)
    out = tmp_path / "o"
    assert cli_main(["quota", "--units", str(u), "--generation", str(g), "--out", str(out)]) == 0
    units = pd.read_csv(out / "units.csv")
    assert units["generation_mwh"].sum() == pytest.approx(3e6)


def test_heat_history_is_projected_by_arima(cli_main, tmp_path):
    import numpy as np

    months = pd.period_range("2018-01", "2021-12", freq="M").astype(str)
    heat = pd.DataFrame({"unit_id": "DEMO0001", "month": months,
                         "heat_gj": 1e5 * (1.5 + np.cos(np.arange(len(months)) * 2 * np.pi / 12))})
    p = tmp_path / "heat.csv"
    heat.to_csv(p, index=False)
    out = tmp_path / "o"
    assert cli_main(["quota", "--demo", "--heat", str(p), "--output-model", "seasonal_naive",
                     "--out", str(out)]) == 0
    u = pd.read_csv(out / "units.csv").set_index("unit_id")
    assert u.loc["DEMO0001", "fuel"] == "coal"  # demo seed 0: a 330 MW CHP coal unit
    assert u.loc["DEMO0001", "heat_supply_gj"] == pytest.approx(1.8e6, rel=0.05)  # 12 x 1.5e5
    bad = tmp_path / "bad.csv"
    heat.assign(unit_id="NOPE").to_csv(bad, index=False)
    assert cli_main(["quota", "--demo", "--heat", str(bad), "--out", str(tmp_path / "x")]) == 2
    assert not (tmp_path / "x").exists()


def test_jax_backend_cli_matches_numpy(cli_main, tmp_path):
    outs = {}
    for backend in ("numpy", "jax"):
        o = tmp_path / backend
        assert cli_main(["quota", "--demo", "--output-model", "seasonal_naive", "--backend", backend,
                         "--out", str(o)]) == 0
        outs[backend] = pd.read_csv(o / "summary_by_category.csv")
    a, b = outs["numpy"], outs["jax"]
    assert ((b["surplus_mt"] - a["surplus_mt"]).abs() <= 1e-4 * a["emissions_mt"].abs().max()).all()
