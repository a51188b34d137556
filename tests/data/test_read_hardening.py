"""read_table on real-world files: date formats decided over the whole column, time zones,
out-of-range dates, colliding column names, other delimiters; validate_columns' messages."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cpjax import CpjaxInputError
from cpjax.data import read_table, validate_columns


def _csv(tmp_path, text, name="t.csv"):
    p = tmp_path / name
    p.write_text(text)
    return p


def _dates_file(tmp_path, dates, name="t.csv"):
    rows = "".join(f"{d},{i + 1}\n" for i, d in enumerate(dates))
    return _csv(tmp_path, "date,close\n" + rows, name)


def test_day_first_dates_read_the_same_way_in_every_row(tmp_path):
    days = pd.bdate_range("2021-06-01", "2021-08-31")
    df = read_table(_dates_file(tmp_path, days.strftime("%d/%m/%Y")))
    assert list(df["ds"]) == list(days)  # not scrambled: the data end on 2021-08-31
    assert df.attrs["date_format"] == "%d/%m/%Y"


def test_month_first_dates_detected(tmp_path):
    days = pd.date_range("2021-01-25", periods=10)
    df = read_table(_dates_file(tmp_path, days.strftime("%m/%d/%Y")))
    assert list(df["ds"]) == list(days)


def test_ambiguous_day_month_refused_naming_the_option(tmp_path):
    p = _dates_file(tmp_path, ["01/02/2021", "02/02/2021", "03/02/2021"])
    with pytest.raises(CpjaxInputError, match="ambiguous.*--date-format"):
        read_table(p)
    df = read_table(p, date_format="%d/%m/%Y")
    assert list(df["ds"]) == list(pd.to_datetime(["2021-02-01", "2021-02-02", "2021-02-03"]))


def test_mixed_formats_diagnosed_as_such(tmp_path):
    p = _dates_file(tmp_path, ["31/05/2021", "2021-06-01", "2021-06-02"])
    with pytest.raises(CpjaxInputError, match="more than one format.*'31/05/2021'.*'2021-06-01'"):
        read_table(p)


def test_same_utc_offset_kept_as_local_dates(tmp_path):
    p = _dates_file(tmp_path, ["2021-06-01T00:00:00+08:00", "2021-06-02T00:00:00+08:00"])
    df = read_table(p)
    assert list(df["ds"]) == list(pd.to_datetime(["2021-06-01", "2021-06-02"]))


@pytest.mark.parametrize("dates, match", [
    (["2021-06-01", "2021-06-02T00:00:00+08:00"], "with and without a time zone"),
    (["2021-06-01T00:00:00+08:00", "2021-06-02T00:00:00+00:00"], "mixes time zones"),
])
def test_mixed_time_zones_refused(tmp_path, dates, match):
    with pytest.raises(CpjaxInputError, match=match):
        read_table(_dates_file(tmp_path, dates))


@pytest.mark.parametrize("bad", ["9999-12-31", "1066-10-14"])
def test_out_of_range_date_named_with_its_line(tmp_path, bad):
    with pytest.raises(CpjaxInputError, match=rf"'{bad}'.*line 4.*outside the supported range"):
        read_table(_dates_file(tmp_path, ["2021-06-01", "2021-06-02", bad]))


def test_out_of_range_datetime_column_in_a_dataframe():
    ds = np.array(["2021-06-01", "9999-12-31"], dtype="datetime64[s]")
    with pytest.raises(CpjaxInputError, match="outside the supported range"):
        read_table(pd.DataFrame({"ds": ds, "y": [1.0, 2.0]}))


@pytest.mark.parametrize("header", ["date,close, close", "date,close ,close", "date,close,close"])
def test_columns_colliding_after_stripping_refused(tmp_path, header):
    p = _csv(tmp_path, f"{header}\n2021-06-01,1,2\n2021-06-02,2,3\n")
    with pytest.raises(CpjaxInputError, match="two columns named 'close'"):
        read_table(p)


def test_semicolon_file_gets_a_delimiter_hint(tmp_path):
    p = _csv(tmp_path, "date;close\n2021-06-01;1,5\n2021-06-02;2,5\n")
    with pytest.raises(CpjaxInputError, match="separated by semicolons.*comma-separated"):
        read_table(p)


def test_one_row_is_not_called_constant(tmp_path):
    df = read_table(_csv(tmp_path, "date,close\n2021-06-01,1\n"))
    with pytest.raises(CpjaxInputError, match="1 data row") as err:
        validate_columns(df, "close", [], source="one.csv")
    assert "constant" not in str(err.value)


def test_infinite_target_named_as_target_without_python_advice(tmp_path):
    df = read_table(_csv(tmp_path, "date,close,open\n2021-06-01,1,1\n2021-06-02,inf,2\n"
                                   "2021-06-03,3,3\n"))
    with pytest.raises(CpjaxInputError, match=r"target column 'close'.*infinite.*2021-06-02") as e:
        validate_columns(df, "close", ["open"], source="t.csv")
    assert "cpjax.data" not in str(e.value) and "features" not in str(e.value)


def test_iso_dates_with_single_digit_month_and_day(tmp_path):
    df = read_table(_dates_file(tmp_path, ["2021-6-1", "2021-06-02", "2021-6-3"]))
    assert df["ds"].dt.day.tolist() == [1, 2, 3]


def test_chinese_dates_and_columns(tmp_path):
    p = _csv(tmp_path, "日期,收盘价\n2021年6月1日,1\n2021年6月2日,2\n")
    df = read_table(p)
    assert list(df.columns) == ["ds", "收盘价"] and df["ds"].dt.day.tolist() == [1, 2]
