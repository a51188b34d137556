"""Market calendar: holiday/deadline files, calendar features, and checks against real trading days."""

from __future__ import annotations

import datetime as dt
import shutil

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from cpjax._errors import CpjaxInputError
from cpjax.data import (
    CALENDAR_DIR,
    MARKET_CALENDARS,
    PILOT_MARKETS,
    calendar_covariates,
    calendar_features,
    compliance_deadlines,
    load_eua,
    load_pilot_closes,
    load_pilot_ohlcv,
    market_calendar,
    market_holidays,
    trading_days,
)

MARKETS = sorted(MARKET_CALENDARS)


def test_markets_cover_the_pilots_and_every_market_has_deadlines():
    assert set(PILOT_MARKETS.values()) | {"eua", "china_national"} == set(MARKETS)
    table = compliance_deadlines()
    assert set(table["market"]) == set(MARKETS)
    assert table["source"].str.len().min() > 10  # every row names a source
    assert (table["deadline"] > pd.Timestamp("2013-01-01")).all()


def test_unknown_market_names_close_matches():
    with pytest.raises(CpjaxInputError, match=r"'guangdong'\?.*Choose one of: beijing"):
        calendar_features(["2020-01-02"], "Guangdon")
    with pytest.raises(CpjaxInputError, match="unknown market 'eu_ets'"):
        trading_days("eu_ets", "2020-01-01", "2020-02-01")
    assert calendar_features(["2020-01-02"], " Hubei ")["trading_day"].iloc[0] == 1


@pytest.mark.parametrize("dates, match", [
    (["2020-01-02", None], "NaT"),
    (pd.date_range("2020-01-01", periods=3, tz="UTC"), "time zone"),
    (pd.to_datetime(["2020-01-02 10:00"]), "times of day"),
    ([], "no dates"),
    (["not a date"], "could not be read"),
])
def test_bad_dates(dates, match):
    with pytest.raises(CpjaxInputError, match=match):
        calendar_features(dates, "eua")


def test_bad_options():
    d = ["2021-03-01"]
    with pytest.raises(CpjaxInputError, match="encoding"):
        calendar_features(d, "eua", encoding="sincos")
    with pytest.raises(CpjaxInputError, match="outside"):
        calendar_features(d, "eua", outside="ignore")
    with pytest.raises(CpjaxInputError, match="season_days"):
        calendar_features(d, "eua", season_days=0)
    with pytest.raises(CpjaxInputError, match="not a frame"):
        calendar_features(pd.DataFrame({"ds": d}), "eua")
    with pytest.raises(CpjaxInputError, match="start <= end"):
        trading_days("eua", "2021-02-01", "2021-01-01")


def test_outside_encoded_years_raises_or_flags():
    with pytest.raises(CpjaxInputError, match=r"holiday file covers 2013-01-01 .. 2026-12-31"):
        calendar_features(["2027-02-10"], "china_national")
    with pytest.raises(CpjaxInputError, match="leaves the encoded years"):
        trading_days("hubei", "2026-12-01", "2027-01-31")
    with pytest.raises(CpjaxInputError, match="last encoded fujian deadline is 2025-06-30"):
        calendar_features(["2025-09-01"], "fujian")
    # December 2026: the next holiday (New Year 2027) is not encoded, so the distance is unknown
    with pytest.raises(CpjaxInputError, match="not encoded"):
        calendar_features(["2026-12-20"], "china_national")
    days = pd.date_range("2027-01-25", "2027-02-20")  # Spring Festival 2027 is not encoded
    f = calendar_features(days, "china_national", outside="flag")
    assert f["extrapolated"].eq(1).all() and f["holiday"].eq(0).all()
    # the stated rule: only weekends are non-trading days
    assert (f["trading_day"].to_numpy() == (days.day_of_week < 5)).all()
    g = calendar_features(["2013-06-03", "2025-06-01"], "china_national")
    assert g["extrapolated"].eq(0).all()


def test_deadline_recurs_yearly_when_flagged():
    f = calendar_features(["2025-09-01", "2026-07-01"], "fujian", outside="flag")
    # last encoded Fujian deadline 2025-06-30 -> 2026-06-30, 2027-06-30
    assert f["days_to_deadline"].tolist() == [(dt.date(2026, 6, 30) - dt.date(2025, 9, 1)).days,
                                              (dt.date(2027, 6, 30) - dt.date(2026, 7, 1)).days]
    assert f["extrapolated"].tolist() == [1, 1]


def test_eu_surrender_deadline_moves_to_september_from_2024():
    eu = compliance_deadlines("eua").set_index("cycle")["deadline"]
    assert eu["2022"] == pd.Timestamp("2023-04-30")  # Directive 2003/87/EC Art. 12(3)
    assert eu["2023"] == pd.Timestamp("2024-09-30")  # as amended by Directive (EU) 2023/959
    f = calendar_features(["2023-04-30", "2023-05-01"], "eua")
    assert f["days_to_deadline"].tolist() == [0, 518]  # 2023-05-01 -> 2024-09-30


def test_weekday_and_month_encodings_match_pandas():
    days = pd.date_range("2015-01-01", "2016-12-31")
    cyc = calendar_features(days, "shenzhen")
    ang = 2 * np.pi * days.day_of_week.to_numpy() / 7
    np.testing.assert_allclose(cyc["dow_sin"], np.sin(ang), atol=1e-12)
    np.testing.assert_allclose(cyc["dow_cos"], np.cos(ang), atol=1e-12)
    np.testing.assert_allclose(cyc["month_cos"], np.cos(2 * np.pi * (days.month - 1) / 12),
                               atol=1e-12)
    one = calendar_features(days, "shenzhen", encoding="onehot")
    dow = one.filter(like="dow_").to_numpy()
    assert (dow.sum(axis=1) == 1).all() and (dow.argmax(axis=1) == days.day_of_week).all()
    mon = one.filter(like="month_").to_numpy()
    assert (mon.argmax(axis=1) + 1 == days.month).all()
    same = [c for c in cyc.columns if c in one.columns]
    pd.testing.assert_frame_equal(cyc[same], one[same])


def _brute_force(day: dt.date, off: set, deadlines: list, cap: int) -> dict:
    """Day-by-day walk, independent of the vectorised implementation."""
    def trading(d):
        return d.weekday() < 5 and d not in off

    back = 1
    while not trading(day - dt.timedelta(back)):
        back += 1
    fwd = 1
    while not trading(day + dt.timedelta(fwd)):
        fwd += 1
    to_h = next((k for k in range(cap) if day + dt.timedelta(k) in off), cap)
    since_h = next((k for k in range(cap) if day - dt.timedelta(k) in off), cap)
    nxt = min(d for d in deadlines if d >= day)
    return {"trading_day": int(trading(day)), "days_since_trading": back, "days_to_trading": fwd,
            "holiday": int(day in off), "days_to_holiday": to_h, "days_since_holiday": since_h,
            "days_to_deadline": (nxt - day).days}


@settings(max_examples=40, deadline=None)
@given(market=st.sampled_from(MARKETS),
       day=st.dates(min_value=dt.date(2013, 4, 1), max_value=dt.date(2024, 10, 1)),
       cap=st.integers(1, 90))
def test_features_match_a_day_by_day_walk(market, day, cap):
    off = set(market_holidays(market)["date"].dt.date)
    deadlines = list(compliance_deadlines(market)["deadline"].dt.date)
    got = calendar_features([day], market, cap_days=cap).iloc[0]
    for key, value in _brute_force(day, off, deadlines, cap).items():
        assert got[key] == value, (key, day)


@settings(max_examples=30, deadline=None)
@given(market=st.sampled_from(MARKETS),
       start=st.dates(min_value=dt.date(2014, 1, 1), max_value=dt.date(2023, 12, 31)),
       gaps=st.lists(st.integers(1, 20), min_size=5, max_size=40),
       season=st.integers(1, 60))
def test_days_to_deadline_falls_by_the_gap_and_resets_after_a_deadline(market, start, gaps,
                                                                      season):
    days = pd.DatetimeIndex([pd.Timestamp(start) + pd.Timedelta(int(s), unit="D")
                             for s in np.cumsum([0, *gaps])])
    f = calendar_features(days, market, season_days=season)
    dl = compliance_deadlines(market)["deadline"]
    left = f["days_to_deadline"].to_numpy()
    gap = np.diff(days.to_numpy()) // np.timedelta64(1, "D")
    for k in range(len(gap)):
        passed = ((dl >= days[k]) & (dl < days[k + 1])).any()
        if passed:  # reset: the next deadline lies after the one just passed
            assert left[k + 1] + gap[k] > left[k]
        else:
            assert left[k + 1] == left[k] - gap[k]
    assert (f["in_compliance_season"].to_numpy() == (left < season)).all()
    assert (left >= 0).all()


def test_calendar_covariates_per_series():
    long = pd.DataFrame({"unique_id": ["eua", "gd", "eua", "gd"],
                         "ds": pd.to_datetime(["2021-04-02", "2021-04-02", "2021-04-06",
                                               "2021-02-12"])})
    out = calendar_covariates(long, {"eua": "eua", "gd": "guangdong"})
    assert out["unique_id"].tolist() == long["unique_id"].tolist()
    ref = calendar_features(long["ds"][[1, 3]], "guangdong").reset_index(drop=True)
    pd.testing.assert_frame_equal(out.iloc[[1, 3]].drop(columns="unique_id")
                                  .reset_index(drop=True), ref)
    assert out["holiday"].tolist() == [1, 0, 0, 1]  # Good Friday; Spring Festival 2021
    with pytest.raises(CpjaxInputError, match=r"no market given for series \['gd'\]"):
        calendar_covariates(long, {"eua": "eua"})
    single = calendar_covariates(long[["ds"]], "hubei")
    assert list(single.columns[:2]) == ["ds", "dow_sin"]


def test_edited_calendar_files_are_validated(tmp_path):
    shutil.copytree(CALENDAR_DIR, tmp_path / "cal")
    path = tmp_path / "cal" / "compliance_deadlines.csv"
    text = path.read_text()
    path.write_text(text.replace(",rule,", ",guess,", 1))
    with pytest.raises(CpjaxInputError, match="status 'guess' is not one of"):
        compliance_deadlines(calendar_dir=tmp_path / "cal")
    path.write_text(text.replace("2016-06-20,notice", "2016-06-31,notice"))
    with pytest.raises(CpjaxInputError, match="'2016-06-31', not a YYYY-MM-DD date"):
        compliance_deadlines(calendar_dir=tmp_path / "cal")
    (tmp_path / "cal" / "eu_holidays.csv").write_text("day,name\n2020-01-01,x\n")
    with pytest.raises(CpjaxInputError, match="expected \\['date', 'name', 'closed_by'\\]"):
        calendar_features(["2020-01-02"], "eua", calendar_dir=tmp_path / "cal")


def test_china_file_agrees_with_python_holidays():
    holidays = pytest.importorskip("holidays")
    cal = market_calendar("china_national")
    years = range(2013, 2027)
    sse = holidays.financial_holidays("XSHG", years=years)  # Shanghai Stock Exchange closures
    cn = holidays.country_holidays("CN", years=years)
    ours = {d.astype(object) for d in cal["off"] if d.astype(object).weekday() < 5}
    assert ours == {d for d in sse if d.weekday() < 5 and d.year in years}
    # the State Council's days off are ours less the one exchange-only closure (2024-02-09)
    assert ours - {dt.date(2024, 2, 9)} == {d for d in cn if d.weekday() < 5 and d.year in years}
    td = trading_days("china_national", "2013-01-01", "2026-12-31")
    days = pd.date_range("2013-01-01", "2026-12-31")
    expect = [d for d in days if d.day_of_week < 5 and d.date() not in sse]
    assert list(td) == expect


def test_eu_file_agrees_with_python_holidays_target():
    holidays = pytest.importorskip("holidays")
    years = range(2013, 2036)
    target = holidays.financial_holidays("XECB", years=years)
    eex_only = {dt.date(y, 12, d) for y in years for d in (24, 31)}
    ours = set(market_holidays("eua")["date"].dt.date)
    assert ours == set(target) | eex_only


# ---- real data (../shared/data) ---------------------------------------------------------------

def test_real_china_trading_days(shared_data):
    table = load_pilot_closes(include_covariates=True, data_dir=shared_data)
    # CSI 300 trades exactly on exchange days: every quote falls on an encoded trading day
    csi = pd.DatetimeIndex(table.loc[table["csi300"].notna(), "ds"])
    assert csi.isin(trading_days("china_national", csi.min(), csi.max())).all()
    off = set(market_holidays("china_national")["date"])
    for market in PILOT_MARKETS.values():
        d = pd.DatetimeIndex(table.loc[table[market].notna(), "ds"])
        assert not d.isin(off).any(), market
    hubei = pd.DatetimeIndex(load_pilot_ohlcv("hubei", covariates=None, data_dir=shared_data)["ds"])
    assert not hubei.isin(off).any()
    gd = load_pilot_ohlcv("guangdong", covariates=None, data_dir=shared_data)
    gd_days = pd.DatetimeIndex(gd["ds"])
    # Guangdong's only sessions on holidays are the weekend/Dragon Boat days just before its
    # 20 June 2018 deadline (extra sessions before the deadline)
    on_holiday = gd_days[gd_days.isin(off)]
    feats = calendar_features(on_holiday, "guangdong")
    assert len(on_holiday) == 3 and (feats["days_to_deadline"] <= 7).all()
    # no Guangdong session falls inside any Spring Festival break, and the market trades within
    # two weeks on both sides of it
    breaks = market_holidays("guangdong")
    sf = breaks[breaks["holiday"] == "spring_festival"]["date"]
    for year in range(2015, 2022):
        days = sf[sf.dt.year == year]
        assert not gd_days.isin(days).any()
        before = gd_days[(gd_days < days.min()) & (gd_days >= days.min() - pd.Timedelta(14, unit="D"))]
        after = gd_days[(gd_days > days.max()) & (gd_days <= days.max() + pd.Timedelta(14, unit="D"))]
        assert len(before) and len(after), year


def test_real_eua_gaps_cover_the_eu_holidays(shared_data):
    eua = load_eua(data_dir=shared_data)
    d = pd.DatetimeIndex(eua["ds"])
    off = market_holidays("eua")["date"]
    inside = off[(off >= d.min()) & (off <= d.max()) & (off.dt.day_of_week < 5)]
    assert len(inside) >= 30 and not d.isin(inside).any()
    f = calendar_features(d, "eua")
    assert f["trading_day"].eq(1).all() and f["extrapolated"].eq(0).all()
