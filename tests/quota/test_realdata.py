"""Smoke test on the real GEM trackers and NBS generation (skips without ../shared/data)."""

from __future__ import annotations

import numpy as np
import pytest

from cpjax.quota import QuotaConfig, build_inventory, compute_quota


def test_real_inventory_counts(shared_data):
    plants = shared_data / "plants"
    inv = build_inventory([plants / "gcpt_jul2023_china_units.csv", plants / "gogpt_feb2024_china_units.csv"])
    u = inv.units
    coal = u[u["fuel"] == "coal"]
    assert len(coal) == 3115  # data README: 3,115 operating coal units, 1,108.9 GW
    assert coal["capacity_mw"].sum() / 1e3 == pytest.approx(1108.9, abs=0.05)
    assert set(u.loc[u["fuel"].isin(["bfg", "cog", "cmm"]), "category"]) == {"excluded"}
    assert int(inv.counts.to_numpy().sum()) == len(u)
    w = coal["capacity_mw"] * coal["load_weight"]
    assert 295 < np.average(coal["net_coal_rate_gce_per_kwh"], weights=w) < 310


def test_real_accounts_on_observed_year(shared_data):
    plants = shared_data / "plants"
    res = compute_quota(QuotaConfig(units=str(plants / "gcpt_jul2023_china_units.csv"),
                                    gas_units=str(plants / "gogpt_feb2024_china_units.csv"),
                                    rules="2021", compare_rules=("2019-2020",), year=2021))
    nat = res.by_category[res.by_category["category"] == "national"].set_index("rules")
    # NBS thermal generation 2021 is 5,770 TWh; all of it is shared over the inventory
    gen = res.units.loc[res.units["rules"] == "2021", "generation_mwh"].sum() / 1e6
    assert gen == pytest.approx(5770.3, rel=1e-3)
    assert 3500 < nat.loc["2021", "emissions_mt"] < 6000
    assert nat.loc["2021", "surplus_mt"] < nat.loc["2019-2020", "surplus_mt"]  # stricter benchmarks
