"""validate_columns, check_length, calendar alignment."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.interpolate import CubicSpline

from cpjax._errors import CpjaxInputError
from cpjax.data import align, align_to_calendar, check_length, validate_columns


@pytest.fixture
def wide():
    return pd.DataFrame({"ds": pd.bdate_range("2021-01-04", periods=6),
                         "close": [1.0, 2, 3, 2, 1, 2], "csi300": np.arange(6.0)})


def test_unknown_target_suggests_close_match(wide):
    with pytest.raises(CpjaxInputError,
                       match=r"unknown target column 'Close' in gd\.csv; did you mean 'close'"):
        validate_columns(wide, "Close", [], source="gd.csv")


def test_unknown_feature_suggests_close_match(wide):
    with pytest.raises(CpjaxInputError, match=r"unknown feature column 'csi30'.*'csi300'"):
        validate_columns(wide, "close", ["csi30"])


def test_constant_target(wide):
    wide["close"] = 5.0
    with pytest.raises(CpjaxInputError, match=r"target column 'close' .* is constant.*fix"):
        validate_columns(wide, "close", ["csi300"])


def test_valid_columns_pass(wide):
    assert validate_columns(wide, "close", ["csi300", "csi300"]) == ["csi300"]


def test_check_length_message_has_numbers():
    check_length(100, 10, 1, 20)
    with pytest.raises(CpjaxInputError, match=r"has 30 rows but lookback 60 \+ horizon 1 \+ "
                                              r"minimum test size 5 = 66 .*lookback=24"):
        check_length(30, 60, 1, 5)


def test_daily_reindex_drops_extra_days_and_marks_missing():
    base = pd.bdate_range("2021-01-04", periods=5)
    other = pd.Series([1.0, 2.0, 9.0, 4.0], index=pd.to_datetime(
        ["2021-01-04", "2021-01-05", "2021-01-09", "2021-01-08"]))  # 01-09 is a Saturday
    out = align_to_calendar(base, other, "daily", name="x")
    np.testing.assert_array_equal(out.iloc[:, 1].to_numpy(), [1.0, 2.0, np.nan, np.nan, 4.0])


def test_point_in_time_forward_fills_without_lookahead():
    base = pd.bdate_range("2021-01-01", "2021-03-31")
    monthly = pd.DataFrame({"ds": pd.to_datetime(["2021-01-15", "2021-02-15"]),
                            "cap": [10.0, 20.0]})
    out = align_to_calendar(base, monthly, "point_in_time")
    s = out.set_index("ds")["cap"]
    assert np.isnan(s[:"2021-01-14"]).all()
    assert (s["2021-01-15":"2021-02-12"] == 10.0).all() and (s["2021-02-15":] == 20.0).all()


def test_low_frequency_matches_scipy_spline_and_release_dummy():
    base = pd.bdate_range("2021-01-01", "2021-12-31")
    rel = pd.to_datetime(["2021-01-15", "2021-04-15", "2021-07-17", "2021-10-15"])  # 07-17 Sat
    q = pd.DataFrame({"ds": rel, "gdp": [2.0, 5.0, 3.0, 4.0]})
    out = align_to_calendar(base, q, "low_frequency", name="gdp")
    t = lambda d: np.asarray(d, dtype="datetime64[D]").astype(float)  # noqa: E731
    inside = (base >= rel[0]) & (base <= rel[-1])
    ref = CubicSpline(t(rel), [2.0, 5.0, 3.0, 4.0])(t(base[inside]))
    np.testing.assert_allclose(out["gdp"].to_numpy()[inside], ref, rtol=1e-12)
    assert np.isnan(out["gdp"].to_numpy()[base < rel[0]]).all()
    assert (out["gdp"].to_numpy()[base > rel[-1]] == 4.0).all()
    flagged = out.loc[out["gdp_release"] == 1.0, "ds"].tolist()
    assert flagged == list(pd.to_datetime(["2021-01-15", "2021-04-15", "2021-07-19",
                                           "2021-10-15"]))


def test_align_joins_and_names(wide):
    a = pd.DataFrame({"date": wide["ds"][::2], "v": [1.0, 2.0, 3.0]})
    b = pd.DataFrame({"ds": wide["ds"][:2], "p": [1.0, 2.0], "q": [3.0, 4.0]})
    out = align(wide, {"eua": (a, "daily"), "ppi": (b, "point_in_time")})
    assert out.columns.tolist() == ["ds", "close", "csi300", "eua", "ppi_p", "ppi_q"]
    assert out["ppi_q"].tolist() == [3.0, 4.0, 4.0, 4.0, 4.0, 4.0]
    with pytest.raises(CpjaxInputError, match=r"unknown alignment kind 'weekly'"):
        align(wide, {"x": (a, "weekly")})
    with pytest.raises(CpjaxInputError, match=r"already exists"):
        align(wide, {"close": (a, "daily")})


def test_other_series_with_duplicate_dates_rejected(wide):
    dup = pd.DataFrame({"ds": [wide["ds"][0], wide["ds"][0]], "v": [1.0, 2.0]})
    with pytest.raises(CpjaxInputError, match=r"duplicate date"):
        align(wide, {"x": (dup, "daily")})
