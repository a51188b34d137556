"""Allowance arithmetic by hand, loop equivalence, backends and aggregation identities."""

from __future__ import annotations

import math

import hypothesis.strategies as st
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings

from cpjax.quota import (
    AccountingConfig,
    account,
    load_factor,
    load_rules,
    rule_arrays,
    summarize,
    unit_arrays,
)

# Three units, all fields given (no fill rules involved).
HAND = pd.DataFrame({
    "unit_id": ["A", "B", "C"], "category": ["coal_large", "coal_small", "gas"],
    "fuel": ["coal", "coal", "gas"], "capacity_mw": [600.0, 300.0, 400.0],
    "aux_rate": [0.05, 0.075, 0.025], "net_coal_rate_gce_per_kwh": [300.0, 330.0, np.nan],
    "gas_heat_rate_gj_per_mwh": [np.nan, np.nan, 6.7], "cooling": ["water", "air", "water"],
    "heat_ratio": [0.0, 0.25, 0.12], "heat_efficiency": [0.86, 0.86, 0.86],
})
GEN = np.array([3.0e6, 1.5e6, 1.2e6])  # MWh; A and B both at load 3.0e6/(600*8760) = 0.570776


def test_load_factor_spec_points():
    assert float(load_factor(np.float64(0.49))) == pytest.approx(1.0967, abs=5e-5)  # spec example
    assert load_factor(np.array([0.90, 0.85]))[0] == 1.0
    assert float(load_factor(np.float64(0.82))) == pytest.approx(1 + 0.0014 * 3)
    assert float(load_factor(np.float64(0.77))) == pytest.approx(1.007 + 0.0016 * 3)
    # continuous at the 75% and 80% joints within the rounding of the published constants
    assert float(load_factor(np.float64(0.7499999))) == pytest.approx(1.015, abs=1e-6)
    assert float(load_factor(np.float64(0.75))) == pytest.approx(1.015)


def test_hand_example_2023_and_2022():
    res = account(unit_arrays(HAND), GEN, rule_arrays([load_rules("2023"), load_rules("2022")]))
    # Unit A: supply 3.0e6 x 0.95 = 2,850,000 MWh; coal 2,850,000 x 300 / 1000 = 855,000 tce
    # = 25,057,485 GJ; emissions 25,057,485 x 0.0275 x 0.99 x 44/12 = 2,501,363.44 t.
    assert res["supply_mwh"][0, 0] == pytest.approx(2_850_000.0)
    assert res["fuel_gj"][0, 0] == pytest.approx(25_057_485.0)
    assert res["emissions_t"][0, 0] == pytest.approx(2_501_363.44, abs=0.01)
    # load 0.570776 -> F_load = 1.015^(16 - 11.415525) = 1.070640
    fl = 1.015 ** (16 - 20 * 3.0e6 / (600 * 8760))
    assert fl == pytest.approx(1.070640, abs=1e-6)
    assert res["allowances_t"][0, 0] == pytest.approx(2_850_000 * 0.7861 * fl)  # 2,398,645.5
    assert res["allowances_t"][1, 0] == pytest.approx(2_850_000 * 0.8177 * fl)  # 2,495,067.3
    assert res["surplus_t"][0, 0] == pytest.approx(2_398_645.48 - 2_501_363.44, abs=0.05)
    # Unit B (CHP, air-cooled, 2022 rules): supply 1,387,500 MWh; power fuel 13,418,942.6 GJ;
    # heat fuel x 0.25/0.75 = 4,472,980.9 GJ; heat supplied x 0.86 = 3,846,763.6 GJ;
    # emissions (13,418,942.6 + 4,472,980.9) x 0.0275 x 0.99 x 44/12 = 1,786,061.3 t;
    # allowances 1,387,500 x 0.8729 x 1.05 x (1 - 0.22 x 0.25) x F_load + 3,846,763.6 x 0.1105.
    assert res["heat_supply_gj"][1, 1] == pytest.approx(3_846_763.55, abs=0.01)
    assert res["emissions_t"][1, 1] == pytest.approx(1_786_061.26, abs=0.01)
    assert res["allowances_t"][1, 1] == pytest.approx(1_711_722.04, abs=0.01)
    # In 2023 the heat factor is gone: F_heat = 1 and the heat benchmark is the assumed one.
    hb = load_rules("2023").benchmarks["heat_coal"]
    assert res["allowances_t"][0, 1] == pytest.approx(1_387_500 * 0.7984 * 1.05 * fl + 3_846_763.5525 * hb)
    # Unit C (gas, 2022): supply 1,170,000 MWh x 6.7 = 7,839,000 GJ; heat fuel x 0.12/0.88;
    # emissions 8,907,954.5 GJ x 0.01532 x 0.99 x 44/12 = 495,385.6 t; 22,881.4 x 10^4 Nm3;
    # allowances 1,170,000 x 0.3901 x (1 - 0.6 x 0.12) + 919,300.9 x 0.0557 (no load factor).
    assert res["emissions_t"][1, 2] == pytest.approx(495_385.60, abs=0.01)
    assert res["gas_1e4nm3"][1, 2] == pytest.approx(22_881.39, abs=0.01)
    assert res["allowances_t"][1, 2] == pytest.approx(474_760.04, abs=0.01)


def test_period_caveats_cap_and_gas_exemption():
    res = account(unit_arrays(HAND), GEN * np.array([1.0, 1.0, 1.0]), rule_arrays([load_rules("2020")]))
    # gas never buys in 2019-20: obligation = min(emissions, allowances)
    assert res["surplus_t"][0, 2] == pytest.approx(max(res["surplus_raw_t"][0, 2], 0.0))
    # coal obligation capped at 120% of allocation
    tiny = HAND.assign(net_coal_rate_gce_per_kwh=[900.0, 330.0, np.nan])
    r2 = account(unit_arrays(tiny), GEN, rule_arrays([load_rules("2020")]))
    assert r2["surplus_t"][0, 0] == pytest.approx(-0.2 * r2["allowances_t"][0, 0])
    assert r2["surplus_raw_t"][0, 0] < r2["surplus_t"][0, 0]


def test_default_carbon_content_follows_rule_year():
    r = account(unit_arrays(HAND), GEN, rule_arrays([load_rules("2021"), load_rules("2022")]),
                AccountingConfig(carbon="default"))
    ratio = r["emissions_t"][0, 0] / r["emissions_t"][1, 0]
    assert ratio == pytest.approx(0.03356 / 0.03085)
    measured = HAND.assign(carbon_content_tc_per_gj=[0.026, np.nan, np.nan])
    r2 = account(unit_arrays(measured), GEN, rule_arrays([load_rules("2022")]), AccountingConfig(carbon="default"))
    assert r2["emissions_t"][0, 0] == pytest.approx(25_057_485.0 * 0.026 * 0.99 * 44 / 12)


def _loop_reference(units: pd.DataFrame, gen: np.ndarray, rs) -> list[float]:
    """Independent scalar re-implementation, one unit at a time (plain Python floats)."""
    out = []
    for (_, u), g in zip(units.iterrows(), gen):
        supply = g * (1 - u.aux_rate)
        coal = u.fuel == "coal"
        fuel_p = supply * u.net_coal_rate_gce_per_kwh / 1000 * 29.307 if coal else supply * u.gas_heat_rate_gj_per_mwh
        h = u.heat_ratio
        heat = fuel_p * h / (1 - h) * 0.86
        c = 0.0275 if coal else 0.01532
        emis = (fuel_p + fuel_p * h / (1 - h)) * c * 0.99 * 44 / 12
        load = g / (u.capacity_mw * 8760)
        pct = 100 * load
        if pct >= 85:
            fl = 1.0
        elif pct >= 80:
            fl = 1 + 0.0014 * (85 - pct)
        elif pct >= 75:
            fl = 1.007 + 0.0016 * (80 - pct)
        else:
            fl = 1.015 ** (16 - 20 * load)
        if u.category not in ("coal_large", "coal_small") or not rs.load_correction:
            fl = 1.0
        fc = rs.cooling_air if coal and u.cooling == "air" else 1.0
        fh = 1 - (rs.heat_coeff_coal if coal else rs.heat_coeff_gas) * h
        bh = rs.benchmarks["heat_coal" if coal else "heat_gas"]
        allow = supply * rs.benchmarks[u.category] * fc * fh * fl + heat * bh
        oblig = emis
        if coal and rs.obligation_cap > 0:
            oblig = min(emis, allow * (1 + rs.obligation_cap))
        if not coal and rs.gas_never_buy:
            oblig = min(emis, allow)
        out.append(allow - oblig)
    return out


def _random_units(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    cats = rng.choice(["coal_large", "coal_small", "coal_unconventional", "gas"], size=n)
    fuel = np.where(cats == "gas", "gas", "coal")
    cap = rng.uniform(50, 1000, n)
    df = pd.DataFrame({
        "unit_id": [f"u{i}" for i in range(n)], "category": cats, "fuel": fuel, "capacity_mw": cap,
        "aux_rate": rng.uniform(0.02, 0.1, n), "net_coal_rate_gce_per_kwh": rng.uniform(270, 360, n),
        "gas_heat_rate_gj_per_mwh": rng.uniform(6, 11, n), "cooling": rng.choice(["air", "water"], n),
        "heat_ratio": rng.uniform(0, 0.4, n) * (rng.random(n) < 0.5), "heat_efficiency": 0.86,
        "province": rng.choice(["Anhui", "Hebei", "Jilin"], n),
    })
    return df, cap * 8760 * rng.uniform(0.3, 0.95, n)


@pytest.mark.parametrize("backend", ["numpy", "jax"])
def test_vectorized_equals_per_unit_loop(backend):
    units, gen = _random_units(60, 1)
    sets = [load_rules(n) for n in ("2019-2020", "2021", "2022", "2023", "2024")]
    res = account(unit_arrays(units), gen, rule_arrays(sets), AccountingConfig(backend=backend))
    for i, rs in enumerate(sets):
        ref = np.asarray(_loop_reference(units, gen, rs))
        if backend == "numpy":
            np.testing.assert_allclose(res["surplus_t"][i], ref, rtol=1e-9, atol=1e-6)
        else:  # float32: surplus is a difference of ~1e6 t numbers, so compare on that scale
            scale = res["emissions_t"][i].max()
            np.testing.assert_allclose(res["surplus_t"][i], ref, rtol=0, atol=2e-6 * scale)


def test_jax_backend_matches_numpy_on_every_field():
    units, gen = _random_units(40, 2)
    r = rule_arrays([load_rules("2022"), load_rules("2023")])
    a = account(unit_arrays(units), gen, r)
    b = account(unit_arrays(units), gen, r, AccountingConfig(backend="jax"))
    for k in a:  # float32 vs float64; differences (surplus) compared on the emissions scale
        np.testing.assert_allclose(b[k], a[k], rtol=3e-5, atol=2e-6 * np.abs(a["emissions_t"]).max())


@settings(max_examples=15, deadline=None)
@given(n=st.integers(1, 40), seed=st.integers(0, 10_000))
def test_units_sum_to_categories_sum_to_nation(n, seed):
    units, gen = _random_units(n, seed)
    sets = [load_rules("2023"), load_rules("2022")]
    res = account(unit_arrays(units), gen, rule_arrays(sets))
    frames = []
    for i, rs in enumerate(sets):
        f = units.assign(rules=rs.name, generation_mwh=gen)
        for k, v in res.items():
            f[k] = v[i]
        frames.append(f)
    long = pd.concat(frames, ignore_index=True)
    for by in ("category", "province"):
        s = summarize(long, by)
        for rs in sets:
            part = s[(s["rules"] == rs.name) & (s[by] != "national")]
            nat = s[(s["rules"] == rs.name) & (s[by] == "national")]
            unit_total = long.loc[long["rules"] == rs.name, "surplus_t"].sum() / 1e6
            assert math.isclose(part["surplus_mt"].sum(), nat["surplus_mt"].item(), rel_tol=1e-9, abs_tol=1e-9)
            assert math.isclose(nat["surplus_mt"].item(), unit_total, rel_tol=1e-9, abs_tol=1e-9)
            assert int(part["units"].sum()) == n


def test_default_carbon_share_interpolates_between_measured_and_default():
    sets = rule_arrays([load_rules("2022")])
    e = {s: account(unit_arrays(HAND), GEN, sets, AccountingConfig(default_carbon_share=s))["emissions_t"][0, 0]
         for s in (0.0, 0.3, 1.0)}
    assert e[0.0] == pytest.approx(25_057_485.0 * 0.0275 * 0.99 * 44 / 12)
    assert e[1.0] == pytest.approx(25_057_485.0 * 0.03085 * 0.99 * 44 / 12)
    assert e[0.3] == pytest.approx(0.7 * e[0.0] + 0.3 * e[1.0])
    with pytest.raises(Exception, match="default_carbon_share"):
        AccountingConfig(default_carbon_share=1.5)


@settings(max_examples=25, deadline=None)
@given(a=st.floats(0.0, 1.0), b=st.floats(0.0, 1.0))
def test_load_factor_at_least_one_and_non_increasing(a, b):
    lo, hi = min(a, b), max(a, b)
    f_lo, f_hi = float(load_factor(np.float64(lo))), float(load_factor(np.float64(hi)))
    assert f_hi >= 1.0 and f_lo >= 1.0
    assert f_hi <= f_lo + 1e-3  # the published piecewise constants jump by < 1e-3 at 75% and 80%


@settings(max_examples=15, deadline=None)
@given(scale=st.floats(1.0, 1.3), seed=st.integers(0, 1000))
def test_looser_benchmarks_never_lower_a_raw_surplus(scale, seed):
    units, gen = _random_units(20, seed)
    base = rule_arrays([load_rules("2023")])
    loose = base._replace(bench_power=base.bench_power * scale, bench_heat_coal=base.bench_heat_coal * scale,
                          bench_heat_gas=base.bench_heat_gas * scale)
    ra, rb = account(unit_arrays(units), gen, base), account(unit_arrays(units), gen, loose)
    assert np.all(rb["surplus_raw_t"] >= ra["surplus_raw_t"] - 1e-6)
    # with the 20% cap a capped unit owes 1.2 x allocation, so its (negative) surplus -0.2 x
    # allocation grows with the allocation: monotone only where the cap does not bind in either
    free = (ra["obligation_t"] == ra["emissions_t"]) & (rb["obligation_t"] == rb["emissions_t"])
    assert np.all(rb["surplus_t"][free] >= ra["surplus_t"][free] - 1e-6)
