"""Rule files: shipped values, fill assumptions, validation messages."""

from __future__ import annotations

import tomllib

import pytest

from cpjax._errors import CpjaxInputError
from cpjax.quota import available_rules, load_rules, parse_rules
from cpjax.quota._rules import RULES_DIR

SPEC_TABLE = {  # ../shared/spec/quota.md, benchmarks (t CO2/MWh; heat t CO2/GJ)
    "2019-2020": (0.877, 0.979, 1.146, 0.392, 0.126, 0.059),
    "2021": (0.8218, 0.8773, 0.9350, 0.392, 0.1111, 0.056),
    "2022": (0.8177, 0.8729, 0.9303, 0.3901, 0.1105, 0.0557),
    "2023": (0.7861, 0.7984, None, 0.3305, None, None),
    "2024": (0.7822, 0.7944, None, 0.3288, None, None),
}
KEYS = ("coal_large", "coal_small", "coal_unconventional", "gas", "heat_coal", "heat_gas")


def test_five_rule_sets_match_the_spec_table():
    assert available_rules() == sorted(SPEC_TABLE)
    for name, row in SPEC_TABLE.items():
        rs = load_rules(name)
        for key, v in zip(KEYS, row):
            if v is not None:
                assert rs.benchmarks[key] == pytest.approx(v, abs=1e-12)
        assert all(p.source for p in rs.provenance)


def test_not_found_values_are_assumed_with_the_average_tightening_rule():
    rs = load_rules("2023")
    rate = (0.7861 / 0.8177 + 0.7984 / 0.8729 + 0.3305 / 0.3901) / 3  # computed by hand from the table
    assert rs.benchmarks["coal_unconventional"] == pytest.approx(0.9303 * rate)
    assert rs.benchmarks["heat_coal"] == pytest.approx(0.1105 * rate)
    assumed = {p.key for p in rs.provenance if p.assumed}
    assert assumed == {"coal_unconventional", "heat_coal", "heat_gas"}
    assert len(rs.assumptions) == 3 and "assumed" in rs.assumptions[0]
    rs24 = load_rules("2024")  # chained: 2024 from the assumed 2023 value
    rate24 = (0.7822 / 0.7861 + 0.7944 / 0.7984 + 0.3288 / 0.3305) / 3
    assert rs24.benchmarks["coal_unconventional"] == pytest.approx(0.9303 * rate * rate24)


def test_period_caveats():
    first, second, third = load_rules("2020"), load_rules("2021"), load_rules("2023")
    assert first.name == "2019-2020" and first.gas_never_buy and first.obligation_cap == 0.2
    assert second.borrowing and second.balancing_benchmark and not second.gas_never_buy
    assert not third.borrowing and not third.indirect_emissions and third.heat_coeff_coal == 0.0
    assert load_rules("2022").coal_default_carbon == 0.03085 and second.coal_default_carbon == 0.03356


def _raw(name="2022"):
    with (RULES_DIR / f"{name}.toml").open("rb") as fh:
        return tomllib.load(fh)


def test_missing_benchmark_is_named():
    raw = _raw()
    del raw["benchmarks"]["gas"]
    with pytest.raises(CpjaxInputError, match=r"benchmarks\.gas: missing"):
        parse_rules(raw, "my.toml")


@pytest.mark.parametrize("mutate, match", [
    (lambda r: r["benchmarks"]["gas"].update(value="high"), "not a number"),
    (lambda r: r["benchmarks"]["gas"].update(value=-0.3), "outside"),
    (lambda r: r["benchmarks"]["gas"].pop("source"), "no source"),
    (lambda r: r["benchmarks"]["gas"].update(confidence="sure"), "confidence"),
    (lambda r: r["factors"]["load_correction"].update(value=1), "true/false"),
    (lambda r: r["factors"]["heat_coeff_coal"].update(value=1.5), "heat coefficient"),
    (lambda r: r["benchmarks"].update(gass=r["benchmarks"]["gas"]), "did you mean gas"),
    (lambda r: r.pop("caveats"), "section missing"),
])
def test_validation_messages(mutate, match):
    raw = _raw()
    mutate(raw)
    with pytest.raises(CpjaxInputError, match=match):
        parse_rules(raw, "bad.toml")


def test_unknown_year_lists_available_and_paths_load(tmp_path):
    with pytest.raises(CpjaxInputError, match="2019-2020, 2021, 2022, 2023, 2024"):
        load_rules("2031")
    p = tmp_path / "custom.toml"
    p.write_text((RULES_DIR / "2022.toml").read_text().replace("value = 0.8177", "value = 0.80"))
    assert load_rules(p).benchmarks["coal_large"] == 0.80
    bad = tmp_path / "broken.toml"
    bad.write_text("name = [")
    with pytest.raises(CpjaxInputError, match="cannot be parsed"):
        load_rules(bad)
    with pytest.raises(CpjaxInputError, match="does not exist"):
        load_rules(tmp_path / "nope.toml")
