"""Loaders of ../shared/data (skipped when absent) and the absent-folder message."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cpjax._errors import CpjaxInputError
from cpjax.data import (
    COVARIATE_COLUMNS,
    load_coal_units,
    load_eua,
    load_gas_units,
    load_pilot_closes,
    load_pilot_ohlcv,
    load_provincial_generation,
    load_thermal_hours,
    ytd_to_monthly,
)


def test_absent_folder_message(tmp_path, monkeypatch):
    monkeypatch.setenv("CPJAX_SHARED_DATA", str(tmp_path / "nowhere"))
    monkeypatch.chdir(tmp_path)
    import cpjax.data._loaders as L

    monkeypatch.setattr(L, "shared_data_dir", lambda: None)
    with pytest.raises(CpjaxInputError, match=r"development data folder not found .*"
                                              r"CPJAX_SHARED_DATA=.*nowhere.*demo_market"):
        load_pilot_ohlcv()
    with pytest.raises(CpjaxInputError, match=r"not found"):
        load_eua(data_dir=tmp_path / "nowhere")


def test_ytd_rules_synthetic():
    ds = pd.date_range("2020-01-01", periods=12, freq="MS")  # 2020 is a leap year
    ytd = [0, 60, 91, 121, 152, 0, 213, 244, 274, 305, 335, 0]
    out = ytd_to_monthly(pd.DataFrame({"ds": ds, "v": np.array(ytd, float)}), "v", "m")
    m = out["m"].to_numpy()
    np.testing.assert_allclose(m[:2], [31.0, 29.0])            # Jan+Feb split by days
    np.testing.assert_allclose(m[2:5], [31.0, 30.0, 31.0])
    np.testing.assert_allclose(m[5:7], [61 * 30 / 61, 61 * 31 / 61])  # missing June spread
    assert np.isnan(m[11])                                     # nothing after the last report
    assert out["months_combined"].tolist()[:7] == [2, 2, 1, 1, 1, 2, 2]
    eq = ytd_to_monthly(pd.DataFrame({"ds": ds, "v": np.array(ytd, float)}), "v", "m",
                        split="combined")["m"].to_numpy()
    assert np.isnan(eq[0]) and eq[1] == 60.0
    zero = ytd_to_monthly(pd.DataFrame({"ds": ds, "v": np.zeros(12)}), "v", "m")
    assert (zero["m"] == 0).all()


def test_pilot_ohlcv_join(shared_data):
    df = load_pilot_ohlcv("guangdong")
    assert df.columns.tolist() == ["ds", "open", "high", "low", "close", "volume", "amount",
                                   "csi300", "usdcny", "eua_futures"]
    assert df.notna().all().all() and df["ds"].is_monotonic_increasing
    rep = df.attrs["cpjax_report"]
    assert rep["rows_in_file"] == 1600 and rep["rows"] == len(df)
    assert rep["rows_dropped_missing_covariates"] == 1600 - len(df)
    # covariate values come from the last covariate row on or before each trading day
    raw = pd.read_csv(shared_data / "china_pilots" / "pilot_close_with_covariates.csv",
                      parse_dates=["date"])
    day = df["ds"].iloc[200]
    ref = raw.loc[raw["date"] <= day, ["date", "csi300"]].dropna().iloc[-1]
    assert df["csi300"].iloc[200] == ref["csi300"]
    assert rep["dropped_dates"] == "2014-03-14 .. 2016-07-20"  # only before the covariates
    strict = load_pilot_ohlcv("hubei", max_stale_days=10)
    assert pd.Timestamp("2019-04-16") not in set(strict["ds"]) and len(strict) == 1021
    hub = load_pilot_ohlcv("hubei", covariates="all")
    assert set(COVARIATE_COLUMNS.values()) <= set(hub.columns)
    assert load_pilot_ohlcv("hubei", covariates=None).shape == (1024, 7)
    with pytest.raises(CpjaxInputError, match=r"unknown covariate 'usd_cny'.*usdcny"):
        load_pilot_ohlcv("hubei", covariates=["usd_cny"])
    with pytest.raises(CpjaxInputError, match=r"unknown pilot market 'hubie'"):
        load_pilot_ohlcv("hubie")


def test_hubei_open_close_swap_is_undone(shared_data):
    """The Hubei file's 'open' is the day's close and its 'close' the previous close (checked
    against the raw file: open(t) == close(t+1) on 99.7% of rows); after loading, the close lies
    in [low, high] and the open is the previous close, as in the Guangdong file."""
    raw = pd.read_csv(shared_data / "china_pilots" / "hubei_ohlcv.csv")
    assert np.mean(np.isclose(raw["open"].to_numpy()[:-1], raw["close"].to_numpy()[1:])) > 0.99
    df = load_pilot_ohlcv("hubei", covariates=None)
    assert "open_close_swapped" in df.attrs["cpjax_report"]
    close, low, high = (df[c].to_numpy() for c in ("close", "low", "high"))
    assert np.mean((close >= low - 1e-9) & (close <= high + 1e-9)) > 0.99
    assert np.mean(np.isclose(df["open"].to_numpy()[1:], close[:-1])) > 0.99
    assert np.array_equal(df["close"].to_numpy(), raw["open"].to_numpy())
    gd = load_pilot_ohlcv("guangdong", covariates=None)
    assert "open_close_swapped" not in gd.attrs["cpjax_report"]


def test_other_loaders(shared_data):
    closes = load_pilot_closes()
    assert closes.shape == (1456, 9) and closes["ds"].iloc[0] == pd.Timestamp("2016-07-21")
    eua = load_eua()
    assert eua["ds"].is_unique and len(eua) == 1071 - 27
    assert eua.attrs["cpjax_report"]["duplicate_rows_merged"] == 27
    gen = load_provincial_generation()
    g = gen[(gen["province"] == "Guangdong") & (gen["source"] == "thermal")
            & (gen["ds"].dt.year == 2021)]
    ytd = g["generation_ytd_1e4kwh"].to_numpy()
    assert g["generation_1e4kwh"].sum() == pytest.approx(ytd[-1])
    assert g["generation_1e4kwh"].iloc[0] == pytest.approx(ytd[1] * 31 / 59)
    hours = load_thermal_hours(monthly=True)
    y2021 = hours[hours["ds"].dt.year == 2021]
    assert y2021["hours"].sum() == pytest.approx(4448.0)
    coal = load_coal_units("operating")
    assert len(coal) == 3115 and coal["capacity_mw"].sum() / 1000 == pytest.approx(1108.9,
                                                                                   abs=0.05)
    gas = load_gas_units()
    assert {"fuel", "technology", "chp", "province", "start_year"} <= set(gas.columns)
    assert gas["start_year"].dtype == np.float64
    with pytest.raises(CpjaxInputError, match=r"unknown unit status 'operational'"):
        load_coal_units("operational")
