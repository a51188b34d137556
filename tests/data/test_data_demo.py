"""The SYNTHETIC demo market: deterministic, OHLC consistent, correlations like seed 000."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cpjax.data import DEMO_FACTOR_TARGETS, demo_market, demo_panel, read_table


def test_deterministic_and_business_days():
    a, b = demo_market(seed=3, n_days=200), demo_market(seed=3, n_days=200)
    pd.testing.assert_frame_equal(a, b)
    assert not demo_market(seed=4, n_days=200)["close"].equals(a["close"])
    assert (a["ds"].dt.day_of_week < 5).all() and a["ds"].is_monotonic_increasing
    pd.testing.assert_frame_equal(read_table(a), a.astype({"ds": "datetime64[ns]"}),
                                  check_dtype=False)


@pytest.mark.parametrize("seed", [0, 1, 7])
def test_ohlc_consistent_and_positive_volume(seed):
    d = demo_market(seed=seed)
    assert (d["low"] <= d[["open", "close"]].min(axis=1)).all()
    assert (d["high"] >= d[["open", "close"]].max(axis=1)).all()
    assert (d["volume"] > 0).all() and (d["low"] > 0).all()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_factor_correlations_resemble_seed000_table2(seed):
    d = demo_market(seed=seed, n_days=900)
    for name, target in DEMO_FACTOR_TARGETS.items():
        r_full = np.corrcoef(d[name], d["close"])[0, 1]
        r_train = np.corrcoef(d[name][:630], d["close"][:630])[0, 1]
        assert abs(r_full - target) < 0.1, (name, r_full)
        assert abs(r_train - target) < 0.1, (name, r_train)
    for weak in ("temperature", "aqi", "low_carbon_search"):
        assert abs(np.corrcoef(d[weak], d["close"])[0, 1]) < 0.3


def test_spikes_exist():
    d = demo_market(seed=0)
    assert (d["close"].pct_change() > 0.07).sum() >= 3


def test_panel_long_form():
    p = demo_panel(3, seed=0, n_days=100)
    assert p.columns.tolist()[:3] == ["unique_id", "ds", "y"]
    assert p.groupby("unique_id").size().tolist() == [100, 100, 100]
    np.testing.assert_array_equal(p.loc[p["unique_id"] == "market_1", "y"].to_numpy(),
                                  demo_market(1, 100)["close"].to_numpy())
