"""Category assignment and inventory reading edge cases."""

from __future__ import annotations

import pandas as pd
import pytest

from cpjax._errors import CpjaxInputError
from cpjax.quota import assign_categories, build_inventory, read_units
from cpjax.quota._inventory import _gas_fuel


def _cats(tmp_path, minimal_units, rows):
    p = tmp_path / "u.csv"
    minimal_units(rows).to_csv(p, index=False)
    df = read_units(p)
    return dict(zip(df["unit_id"], assign_categories(df)[0]))


def test_size_threshold_exactly_300_is_small(tmp_path, minimal_units):
    c = _cats(tmp_path, minimal_units, [("a", "Anhui", 300.0, "coal", {}), ("b", "Anhui", 300.5, "coal", {}),
                         ("c", "Anhui", 299.0, "coal", {}), ("d", "Anhui", 1000.0, "coal", {})])
    assert c == {"a": "coal_small", "b": "coal_large", "c": "coal_small", "d": "coal_large"}


def test_unconventional_by_coal_type_technology_and_name(tmp_path, minimal_units):
    c = _cats(tmp_path, minimal_units, [
        ("waste", "Shanxi", 660.0, "coal", {"coal_type": "waste coal", "technology": "supercritical"}),
        ("cfb", "Shanxi", 135.0, "coal", {"technology": "CFB"}),
        ("name", "Shanxi", 300.0, "coal", {"plant": "Pingshuo Coal Gangue power station"}),
        ("plain", "Shanxi", 660.0, "coal", {"technology": "supercritical", "coal_type": "bituminous"}),
    ])
    assert c == {"waste": "coal_unconventional", "cfb": "coal_unconventional",
                 "name": "coal_unconventional", "plain": "coal_large"}


def test_blast_furnace_and_coke_oven_gas_excluded():
    fuels = _gas_fuel(pd.Series(["NG", "LNG", "BFG", "BFG/COG", "COG", "CM", "NG/FO", "BFG/CM"]))
    assert list(fuels) == ["gas", "gas", "bfg", "bfg", "cog", "cmm", "gas", "bfg"]
    df = pd.DataFrame({"unit_id": list("abc"), "fuel": ["gas", "bfg", "cog"], "capacity_mw": [400.0] * 3,
                       "coal_type": "", "technology": "cc", "plant": ""})
    cat, why = assign_categories(df)
    assert list(cat) == ["gas", "excluded", "excluded"]
    assert "not an ETS power fuel" in why.iloc[1]


def test_user_category_overrides_and_threshold_is_configurable(tmp_path, minimal_units):
    c = _cats(tmp_path, minimal_units, [("a", "Hebei", 350.0, "coal", {"category": "coal_unconventional"})])
    assert c["a"] == "coal_unconventional"
    df = pd.DataFrame({"unit_id": ["x"], "fuel": ["coal"], "capacity_mw": [350.0], "coal_type": "",
                       "technology": "subcritical", "plant": ""})
    assert assign_categories(df, large_threshold_mw=400.0)[0].iloc[0] == "coal_small"


def test_non_operating_units_dropped_and_overrides_kept(tmp_path, minimal_units):
    p = tmp_path / "u.csv"
    minimal_units([("a", "Anhui", 600.0, "coal", {"status": "operating", "aux_rate": 0.03}),
                   ("b", "Anhui", 600.0, "coal", {"status": "retired", "aux_rate": None})]).to_csv(p, index=False)
    inv = build_inventory([p])
    assert list(inv.units["unit_id"]) == ["a"]
    assert inv.units["aux_rate"].iloc[0] == 0.03
    assert not inv.units["aux_rate_assumed"].iloc[0]
    assert inv.units["net_coal_rate_gce_per_kwh_assumed"].iloc[0]
    assert (inv.fill_report["rule"] == "given in the unit file").any()


@pytest.mark.parametrize("rows, words", [
    ([("a", "Anhui", -5.0, "coal", {})], ["row 2", "capacity_mw"]),
    ([("a", "Anhui", 300.0, "coal", {"aux_rate": 1.5})], ["aux_rate", "unit a"]),
    ([("a", "Anhui", 300.0, "coal", {"heat_ratio": -0.1})], ["heat_ratio"]),
    ([("a", "Anhwei", 300.0, "coal", {})], ["unknown province", "Anhui"]),
    ([("a", "Anhui", 300.0, "lignite", {})], ["unknown fuel"]),
    ([("a", "Anhui", 300.0, "coal", {"category": "coal_big"})], ["unknown category", "coal_"]),
    ([("a", "Anhui", 300.0, "coal", {}), ("a", "Anhui", 300.0, "coal", {})], ["more than once"]),
])
def test_bad_unit_rows_name_row_and_field(tmp_path, rows, words, minimal_units):
    p = tmp_path / "u.csv"
    minimal_units(rows).to_csv(p, index=False)
    with pytest.raises(CpjaxInputError) as err:
        read_units(p)
    for w in words:
        assert w in str(err.value)


def test_missing_columns_suggest_close_matches(tmp_path):
    p = tmp_path / "u.csv"
    pd.DataFrame({"unit_id": ["a"], "provence": ["Anhui"], "capacity_MW": [1.0], "fuel": ["coal"]}).to_csv(p, index=False)
    with pytest.raises(CpjaxInputError, match="provence") as err:
        read_units(p)
    assert "capacity_MW" in str(err.value)


def test_fill_rule_file_validation(tmp_path):
    from cpjax.quota import load_fill_rules
    from cpjax.quota._fill import DEFAULT_FILL_RULES

    text = DEFAULT_FILL_RULES.read_text()
    p = tmp_path / "f.toml"
    p.write_text(text.replace("when = { min_mw = 1000 }", "when = { size_mw = 1000 }", 1))
    with pytest.raises(CpjaxInputError, match=r"unknown key aux_rate\[\d+\]\.when\.size_mw; did you mean .min_mw."):
        load_fill_rules(p)
    p.write_text(text.replace("heat_efficiency = 0.86", "heat_efficiency = 1.6"))
    with pytest.raises(CpjaxInputError, match="heat_efficiency"):
        load_fill_rules(p)
    # the catch-all of load_weight removed -> rejected
    head, _, _ = text.rpartition("[[load_weight]]")
    p.write_text(head)
    with pytest.raises(CpjaxInputError, match="catch-all"):
        load_fill_rules(p)
