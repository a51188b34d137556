"""Plausibility bounds of generated paths: historical growth ranges and thermal capacity x hours."""

from __future__ import annotations

import numpy as np
import pytest

from cpjax.node import check_plausibility
from cpjax.node._plausibility import annual_table, growth_bounds

HIST = np.arange(np.datetime64("2010-01", "M"), np.datetime64("2022-01", "M"))  # 12 years
PATH = np.arange(np.datetime64("2021-12", "M"), np.datetime64("2031-01", "M"))


def _history(growth: float = 0.03, seed: int = 0) -> np.ndarray:
    """(1, T, 2) thermal (TWh/month) and wind growing ``growth``/yr with season and noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(HIST.size) / 12.0
    season = 1 + 0.1 * np.cos(2 * np.pi * t)
    x = np.stack([40 * np.exp(growth * t) * season, 2 * np.exp(0.2 * t) * season], axis=1)
    return (x * (1 + 0.03 * rng.standard_normal(x.shape)))[None]


def _path(hist: np.ndarray, growth) -> np.ndarray:
    """Continue each series from the last year's months at ``growth``/yr (log, per series)."""
    last_year = hist[0, -12:]
    g = np.broadcast_to(np.asarray(growth, dtype=float), (hist.shape[2],))
    cont = np.stack([last_year[(i % 12)] * np.exp(g * (1 + i // 12))
                     for i in range(PATH.size - 1)])
    return np.concatenate([hist[0, -1:], cont])[None]


def test_growth_bounds_by_hand():
    a = np.array([[1.0], [2.0], [1.5], [3.0], [3.3]])  # Y = 5 complete years, K = 2
    lo, hi = growth_bounds(a, margin=0.1, horizons=4)
    la = np.log(a[:, 0])
    one, two = np.diff(la), la[2:] - la[:-2]
    assert lo[0, 0] == pytest.approx(min(one.min(), 0) - 0.1)
    assert hi[0, 0] == pytest.approx(max(one.max(), 0) + 0.1)
    assert lo[1, 0] == pytest.approx(min(two.min(), one.min(), 0) - 0.1 * np.sqrt(2))
    assert hi[1, 0] == pytest.approx(max(two.max(), one.max(), 0) + 0.1 * np.sqrt(2))
    # beyond K = 2: per-year extremes of the 2-year range, times h
    assert hi[3, 0] == pytest.approx(max(two.max() * 2, one.max(), 0) + 0.2)
    assert lo[3, 0] == pytest.approx(min(two.min() * 2, one.min(), 0) - 0.2)


def test_annual_table_keeps_complete_years_only():
    d = np.arange(np.datetime64("2020-03", "M"), np.datetime64("2022-02", "M"))
    x = np.arange(d.size, dtype=float)[:, None]
    years, means = annual_table(d, x)
    assert years.tolist() == [2021] and means[0, 0] == pytest.approx(x[10:22, 0].mean())


def test_history_like_paths_pass_explosive_negative_paths_fail():
    hist = _history()
    args = (("P",), ("thermal", "wind"), "TWh/month", HIST, hist)
    ok = check_plausibility(PATH, _path(hist, [0.03, 0.2]), *args, capacity=None)
    assert ok["status"] == "plausible" and ok["checked_years"] == list(range(2022, 2031))
    assert {"panel": "P", "series": "thermal", "reason": "level: no capacity data for this panel"
            } in ok["not_checked"]
    flat = check_plausibility(PATH, _path(hist, 0.0), *args, capacity=None)
    assert flat["status"] == "plausible"  # a series may always stay flat
    boom = check_plausibility(PATH, _path(hist, [0.25, 0.2]), *args, capacity=None)
    assert boom["status"] == "implausible"
    assert {v["series"] for v in boom["violations"]} == {"thermal"}  # wind grew 20 %/yr before
    assert "outside the bounds" in boom["violations"][0]["message"]
    neg = _path(hist, [0.03, 0.2])
    neg[0, 30:, 1] = -0.1
    rec = check_plausibility(PATH, neg, *args, capacity=None)
    assert rec["violations"][0]["check"] == "negative"
    assert "negative from 2024-06" in rec["violations"][0]["message"]


def test_thermal_level_against_given_capacity():
    hist = _history(growth=0.0)
    path = _path(hist, 0.0)  # ~ 40 TWh/month, ~480 TWh/year
    cap = {"P": {"upper_twh": {y: 450.0 for y in range(2021, 2031)},
                 "capacity_gw": dict.fromkeys(range(2021, 2031), 90.0), "hours": 5000.0}}
    rec = check_plausibility(PATH, path, ("P",), ("thermal", "wind"), "TWh/month", HIST, hist,
                             capacity=cap)
    level = [v for v in rec["violations"] if v["check"] == "level"]
    assert [v["year"] for v in level] == list(range(2022, 2031))
    assert level[0]["value"] == pytest.approx(12 * path[0, 1:13, 0].mean())
    assert "above capacity x hours 450 TWh (90 GW x 5000 h)" in level[0]["message"]
    other = check_plausibility(PATH, path, ("P",), ("thermal", "wind"), "GWh/month", HIST, hist)
    assert not [v for v in other["violations"] if v["check"] == "level"]


@pytest.mark.realdata
def test_shandong_capacity_bound_and_the_issue_path(shared_data):
    """Shandong's 2030 bound from the GEM trackers, recomputed with pandas; the path of the issue
    (thermal 522 TWh in 2021 -> 3,596 TWh in 2030) is refused, a flat one is not."""
    import pandas as pd

    from cpjax.node import load_power_generation
    from cpjax.node._capacity import thermal_upper_bounds

    coal = pd.read_csv(shared_data / "plants" / "gcpt_jul2023_china_units.csv")
    gas = pd.read_csv(shared_data / "plants" / "gogpt_feb2024_china_units.csv")
    cols = {"Capacity (MW)": "mw", "Status": "status", "Start year": "start",
            "Retired year": "retired"}
    units = pd.concat([
        coal[coal["Subnational unit (province, state)"] == "Shandong"].rename(columns=cols),
        gas[gas["Subnational unit (province/state)"] == "Shandong"].rename(columns=cols)])
    for c in ("mw", "start", "retired"):
        units[c] = pd.to_numeric(units[c], errors="coerce")
    built = units.status.isin(["operating", "mothballed"]) | (
        (units.status == "retired") & (units.retired > 2030))
    built &= ~(units.start > 2030)
    pipe = units.status.isin(["construction", "permitted", "pre-permit", "announced",
                              "pre-construction"]) & ~(units.start > 2030)
    cap_2030 = (units.loc[built, "mw"].sum() + units.loc[pipe, "mw"].sum()) / 1e3
    got = thermal_upper_bounds(["Shandong"], [2030], data_dir=shared_data)["Shandong"]
    assert got["capacity_gw"][2030] == pytest.approx(cap_2030)
    assert got["hours"] == pytest.approx(5991.0)  # national maximum (2004); no history given
    assert got["upper_twh"][2030] == pytest.approx(cap_2030 * 5991.0 / 1e3)

    d = load_power_generation(shared_data / "power" / "provincial_generation_monthly_ytd.csv",
                              provinces=["Shandong"], sources=["thermal", "hydro", "wind"])
    hist = d.values[:, d.dates >= np.datetime64("2008-01", "M")]
    hd = d.dates[d.dates >= np.datetime64("2008-01", "M")]
    hist = np.where(np.isfinite(hist), hist, np.nanmean(hist, axis=1, keepdims=True))
    years = np.arange(PATH.size) / 12.0
    growth = np.log(3596.0 / 521.73) / 9.0  # the issue's path
    path = hist[:, -1:] * np.exp(growth * years)[None, :, None]
    rec = check_plausibility(PATH, path, d.panels, d.series, d.units, hd, hist)
    assert rec["status"] == "implausible"
    checks = {(v["series"], v["check"]) for v in rec["violations"]}
    assert ("thermal", "level") in checks and ("thermal", "growth") in checks
    flat = np.concatenate([hist[:, -12:]] * 10, axis=1)[:, -PATH.size:]
    assert check_plausibility(PATH, flat, d.panels, d.series, d.units, hd, hist)["status"] == \
        "plausible"
