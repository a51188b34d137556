"""read_table, to_wide/to_long: every bad-input case has its own clear message."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cpjax._errors import CpjaxInputError
from cpjax.data import read_table, to_long, to_wide


def _csv(tmp_path, text, name="t.csv"):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_wide_csv_sorted_and_parsed(tmp_path):
    p = _csv(tmp_path, "Date,close,vol\n2021-01-05,2.0,10\n2021-01-04,1.0,20\n")
    df = read_table(p)
    assert list(df.columns) == ["ds", "close", "vol"]
    assert df["ds"].dtype == "datetime64[ns]"
    assert df["close"].tolist() == [1.0, 2.0]
    assert df.attrs["source"] == str(p)


@pytest.mark.parametrize("name", ["ds", "date", "trade_date", "DATE"])
def test_date_column_detected(name):
    df = read_table(pd.DataFrame({name: ["2020-01-02", "2020-01-03"], "y": [1, 2]}))
    assert df["ds"].tolist() == list(pd.to_datetime(["2020-01-02", "2020-01-03"]))


def test_date_col_argument_and_datetime_index():
    df = read_table(pd.DataFrame({"when": ["2020-01-02"], "y": [1.0]}), date_col="when")
    assert df.columns.tolist() == ["ds", "y"]
    idx = pd.DataFrame({"y": [1.0, 2.0]}, index=pd.bdate_range("2020-01-01", periods=2))
    assert read_table(idx)["ds"].iloc[1] == pd.Timestamp("2020-01-02")


def test_excel_round_trip(tmp_path):
    p = tmp_path / "t.xlsx"
    pd.DataFrame({"date": pd.bdate_range("2020-01-01", periods=3), "y": [1.0, 2, 3]}).to_excel(
        p, index=False, sheet_name="prices")
    df = read_table(p, sheet="prices")
    assert df["y"].tolist() == [1.0, 2.0, 3.0]


def test_missing_file(tmp_path):
    with pytest.raises(CpjaxInputError, match=r"data file not found: .*nope\.csv.*fix"):
        read_table(tmp_path / "nope.csv")


def test_unreadable_format(tmp_path):
    p = _csv(tmp_path, "x", name="t.parquet")
    with pytest.raises(CpjaxInputError, match=r"unreadable format '\.parquet'.*fix"):
        read_table(p)


def test_corrupt_excel(tmp_path):
    p = _csv(tmp_path, "not a zip", name="t.xlsx")
    with pytest.raises(CpjaxInputError, match=r"cannot read .*t\.xlsx.*fix"):
        read_table(p)


def test_no_date_column(tmp_path):
    p = _csv(tmp_path, "a,b\n1,2\n")
    with pytest.raises(CpjaxInputError, match=r"no date column found in .*t\.csv.*date_col="):
        read_table(p)


def test_unknown_date_col_names_close_match():
    with pytest.raises(CpjaxInputError, match=r"unknown date column 'dat'.*did you mean 'date'"):
        read_table(pd.DataFrame({"date": ["2020-01-01"], "y": [1]}), date_col="dat")


def test_unparsable_date_shows_value_and_line(tmp_path):
    p = _csv(tmp_path, "date,y\n2020-01-01,1\n2020-13-45,2\n2020-01-03,3\n")
    with pytest.raises(CpjaxInputError,
                       match=r"unparsable date '2020-13-45' in column 'date' .*line 3.*fix"):
        read_table(p)


def test_duplicate_dates(tmp_path):
    p = _csv(tmp_path, "date,y\n2020-01-01,1\n2020-01-02,2\n2020-01-02,3\n")
    with pytest.raises(CpjaxInputError, match=r"duplicate date 2020-01-02 .*line 3.*fix"):
        read_table(p)


def test_non_numeric_value(tmp_path):
    p = _csv(tmp_path, "date,close\n2020-01-01,1.5\n2020-01-02,n/a?\n")
    with pytest.raises(CpjaxInputError,
                       match=r"non-numeric value 'n/a\?' in column 'close' .*line 3.*fix"):
        read_table(p)


def test_blank_cells_are_nan_not_errors(tmp_path):
    p = _csv(tmp_path, "date,close,high\n2020-01-01,1.5, \n2020-01-02,2,3\n")
    df = read_table(p)
    assert np.isnan(df["high"].iloc[0]) and df["high"].iloc[1] == 3.0


def test_all_nan_column(tmp_path):
    p = _csv(tmp_path, "date,close,empty\n2020-01-01,1.5,\n2020-01-02,2,\n")
    with pytest.raises(CpjaxInputError, match=r"column 'empty' .* entirely empty.*fix"):
        read_table(p)


def test_long_form_and_duplicates():
    long = pd.DataFrame({"unique_id": ["b", "a", "a"], "ds": ["2020-01-01", "2020-01-02",
                                                            "2020-01-01"], "y": [3, 2, 1]})
    df = read_table(long)
    assert df["unique_id"].tolist() == ["a", "a", "b"] and df["y"].tolist() == [1, 2, 3]
    dup = pd.concat([long, long.iloc[:1]])
    with pytest.raises(CpjaxInputError, match=r"duplicate series 'b' date 2020-01-01"):
        read_table(dup)


def test_to_wide_to_long_round_trip():
    wide = read_table(pd.DataFrame({"date": pd.bdate_range("2020-01-01", periods=4),
                                    "close": [1.0, 2, 3, 4], "x": [5.0, 6, 7, 8]}))
    long = to_long(wide, "close", "gd")
    assert long.columns.tolist() == ["unique_id", "ds", "y", "x"]
    back = to_wide(long, "gd", target="close")
    pd.testing.assert_frame_equal(back[wide.columns], wide, check_like=True)
    with pytest.raises(CpjaxInputError, match=r"unknown unique_id 'gx'.*did you mean 'gd'"):
        to_wide(long, "gx")


def test_date_format_for_day_first_dates():
    raw = pd.DataFrame({"date": ["02.01.2020", "03.01.2020"], "y": [1, 2]})
    df = read_table(raw, date_format="%d.%m.%Y")
    assert df["ds"].tolist() == list(pd.to_datetime(["2020-01-02", "2020-01-03"]))
    with pytest.raises(CpjaxInputError, match=r"unparsable date '2020-01-02'"):
        read_table(pd.DataFrame({"date": ["2020-01-02"], "y": [1]}), date_format="%d.%m.%Y")
