"""Parse a date column the same way for every value, or say exactly why it cannot be done.

The format is decided over the whole column, never value by value: ``03/04/2021`` is read the
same way in every row.  A column whose dates fit both day-first and month-first (no day above 12)
is refused, with a message naming ``--date-format`` / ``date_format=``.  Different formats in
one column, time zones that differ between rows and dates outside what a timestamp can hold are
refused with the row and value.  Dates carrying one and the same UTC offset keep their local
(wall-clock) date and time.
"""

from __future__ import annotations

import datetime
import re

import numpy as np
import pandas as pd

from cpjax._errors import CpjaxInputError

__all__ = ["parse_dates"]

# day-month-year and year-month-day with one separator, optional time and UTC offset
_NUMERIC = re.compile(
    r"^(?P<a>\d{1,4})(?P<sep>[-/.])(?P<b>\d{1,2})(?P=sep)(?P<c>\d{1,4})"
    r"(?P<time>[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?\s*(?P<tz>Z|[+-]\d{2}:?\d{2})?$")
# whole-column formats tried when the values are not of the numeric form above
_OTHER_FORMATS = ("%Y%m%d", "%Y-%m", "%Y/%m", "%Y.%m", "%Y年%m月%d日", "%Y年%m月", "%b %d, %Y",
                  "%B %d, %Y", "%d %b %Y", "%d %B %Y", "%b %Y", "%B %Y", "%Y-%m-%d %H:%M:%S",
                  "%Y-%m-%dT%H:%M:%S")
_LO, _HI = pd.Timestamp.min.ceil("D"), pd.Timestamp.max.floor("D")
_HINT = ("fix: pass the format with --date-format (Python: date_format=), e.g. %d/%m/%Y for "
         "31/12/2021 or %m/%d/%Y for 12/31/2021, or write the dates as YYYY-MM-DD")


def _shape(text: str) -> str:
    """``2021-03-04`` -> ``dddd-dd-dd``: what a value looks like, to name differing formats."""
    return re.sub(r"\d", "d", re.sub(r"[A-Za-z]+", "A", text))


def _numeric_format(parts: pd.DataFrame, col: str, where: str, ref) -> str:
    """The strftime format of values that all match :data:`_NUMERIC` with the same layout."""
    sep = parts["sep"].iloc[0]
    a_len = parts["a"].str.len()
    c_len = parts["c"].str.len()
    if (a_len == 4).all() and (c_len <= 2).all():
        date = f"%Y{sep}%m{sep}%d"
    elif (c_len == 4).all() or ((c_len == 2).all() and (a_len <= 2).all()):
        a, b = parts["a"].astype(int), parts["b"].astype(int)
        day_first, month_first = bool((a > 12).any()), bool((b > 12).any())
        year = "%Y" if (c_len == 4).all() else "%y"
        if day_first and month_first:
            i = int(np.flatnonzero((b > 12).to_numpy())[0])
            j = int(np.flatnonzero((a > 12).to_numpy())[0])
            raise CpjaxInputError(
                f"dates in column {col!r} of {where} are day-first in some rows and month-first "
                f"in others ({parts.index[j]!s} at {ref(j)}, {parts.index[i]!s} at {ref(i)}); "
                "fix: write every date in one format, e.g. YYYY-MM-DD")
        if not day_first and not month_first:
            raise CpjaxInputError(
                f"dates in column {col!r} of {where} such as {parts.index[0]!s} can be read "
                "day-first or month-first (no day above 12 in any row), so the order is "
                f"ambiguous; {_HINT}")
        date = f"%d{sep}%m{sep}{year}" if day_first else f"%m{sep}%d{sep}{year}"
    else:
        raise CpjaxInputError(
            f"cannot tell the year in the dates of column {col!r} of {where} (e.g. "
            f"{parts.index[0]!s}); {_HINT}")
    return date


def _time_part(times: pd.Series) -> str:
    t = times.dropna()
    if t.empty:
        return ""
    sample = t.iloc[0]
    fmt = ("T" if sample.startswith("T") else " ") + "%H:%M"
    if sample.count(":") == 2:
        fmt += ":%S" + (".%f" if "." in sample else "")
    return fmt


def _check_range(parsed: pd.Series, text: pd.Series, col: str, where: str, ref) -> None:
    bad = (parsed < _LO) | (parsed > _HI)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise CpjaxInputError(
            f"date {text.iloc[i]!r} in column {col!r} of {where} at {ref(i)} is outside the "
            f"supported range {_LO.date()} .. {_HI.date()}; fix: correct it or delete that row "
            "(a placeholder such as 9999-12-31 is not a date)")


def _strict(text: pd.Series, fmt: str, col: str, where: str, ref, given: bool) -> pd.Series:
    """Parse every value with ``fmt``; name the first value that does not fit."""
    try:
        parsed = pd.to_datetime(text, format=fmt, errors="coerce")
    except ValueError as err:  # e.g. different UTC offsets under a %z format
        raise CpjaxInputError(
            f"dates in column {col!r} of {where} cannot be read with format {fmt!r} "
            f"({str(err).splitlines()[0]}); fix: write every date in one format and time zone, "
            "e.g. YYYY-MM-DD") from None
    bad = parsed.isna().to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        value = text.iloc[i]
        try:  # a real date that a timestamp cannot hold
            datetime.datetime.strptime(value, fmt)
            in_format = True
        except ValueError:
            in_format = False
        if in_format:
            raise CpjaxInputError(
                f"date {value!r} in column {col!r} of {where} at {ref(i)} is outside the "
                f"supported range {_LO.date()} .. {_HI.date()}; fix: correct it or delete that "
                "row (a placeholder such as 9999-12-31 is not a date)")
        origin = "the --date-format (date_format=)" if given else "the format of the other rows"
        raise CpjaxInputError(
            f"unparsable date {value!r} in column {col!r} of {where} at {ref(i)}: it does not "
            f"match {origin} {fmt!r} ({int(bad.sum())} such value(s)); fix: correct those cells"
            + ("" if given else ", or give the format with --date-format"))
    _check_range(parsed, text, col, where, ref)
    return parsed


def _one_zone(parsed: pd.Series) -> pd.Series:
    """Drop a single UTC offset, keeping the wall-clock date and time."""
    if getattr(parsed.dt, "tz", None) is not None:
        return parsed.dt.tz_localize(None)
    return parsed


def _zones(text: pd.Series, tz: pd.Series, col: str, where: str, ref) -> None:
    has = tz.notna().to_numpy()
    if has.any() and not has.all():
        i, j = int(np.flatnonzero(has)[0]), int(np.flatnonzero(~has)[0])
        raise CpjaxInputError(
            f"column {col!r} of {where} mixes dates with and without a time zone ({text.iloc[i]!r} "
            f"at {ref(i)} has UTC offset {tz.iloc[i]}, {text.iloc[j]!r} at {ref(j)} has none); "
            "fix: write every date without a time zone (the market's local dates), or all with "
            "the same offset")
    zones = tz.dropna().str.replace(":", "").replace({"Z": "+0000"})
    if zones.nunique() > 1:
        first = zones.iloc[0]
        i = int(np.flatnonzero((zones != first).to_numpy())[0])
        raise CpjaxInputError(
            f"column {col!r} of {where} mixes time zones ({text.iloc[0]!r} and "
            f"{text.iloc[i]!r} at {ref(i)}); fix: write every date in the market's local time "
            "without an offset, or all with the same offset")


def parse_dates(values: pd.Series, col: str, where: str, ref, date_format: str | None = None
                ) -> tuple[pd.Series, str | None]:
    """Parse a date column; return ``(datetime64[ns] series, format used)`` (``None`` for a
    column that already holds datetimes).

    Arguments:
        values: the column as read (strings, numbers or datetimes).
        col, where: the column and table names used in messages.
        ref: ``ref(i)`` names data row ``i`` in messages (e.g. with its file line).
        date_format: ``strftime`` format to use instead of detection.

    Raises:
        CpjaxInputError: empty, unparsable, ambiguous (day/month), mixed-format, mixed-zone or
        out-of-range dates; the message names the value, its row and the fix.
    """
    values = values.reset_index(drop=True)
    if pd.api.types.is_datetime64_any_dtype(values):
        parsed, fmt = _one_zone(values), None
        if parsed.isna().any():
            i = int(np.flatnonzero(parsed.isna().to_numpy())[0])
            raise CpjaxInputError(f"missing date in column {col!r} of {where} at {ref(i)}; "
                                  "fix: fill or delete that row")
    else:
        text = values.map(lambda v: v.isoformat(sep=" ") if isinstance(v, datetime.datetime)
                          else v).astype("string").str.strip()
        empty = text.isna() | (text == "")
        if empty.any():
            i = int(np.flatnonzero(empty.to_numpy())[0])
            raise CpjaxInputError(f"missing date in column {col!r} of {where} at {ref(i)} "
                                  f"({int(empty.sum())} empty date cell(s)); fix: fill or delete "
                                  "those rows")
        text = text.astype(str)
        if date_format is not None:
            parsed = _one_zone(_strict(text, date_format, col, where, ref, True))
            fmt = date_format
        else:
            parsed, fmt = _detect(text, col, where, ref)
    _check_range(parsed, values.astype("string"), col, where, ref)
    return parsed.astype("datetime64[ns]"), fmt


def _detect(text: pd.Series, col: str, where: str, ref) -> tuple[pd.Series, str]:
    parts = text.str.extract(_NUMERIC)
    numeric = parts["a"].notna().to_numpy()
    if numeric.all():
        _zones(text, parts["tz"], col, where, ref)
        parts.index = text.to_numpy()
        layout = (parts["sep"] + (parts["a"].str.len() > 2).astype(str)
                  + (parts["c"].str.len() > 2).astype(str) + parts["time"].isna().astype(str))
        if layout.nunique() > 1:
            i = int(np.flatnonzero((layout != layout.iloc[0]).to_numpy())[0])
            raise CpjaxInputError(
                f"dates in column {col!r} of {where} are written in more than one format "
                f"({text.iloc[0]!r} at {ref(0)}, {text.iloc[i]!r} at {ref(i)}); fix: write every "
                "date in one format, e.g. YYYY-MM-DD")
        fmt = _numeric_format(parts, col, where, ref) + _time_part(parts["time"])
        bare = text.str.replace(r"\s*(Z|[+-]\d{2}:?\d{2})$", "", regex=True)
        return _strict(bare, fmt, col, where, ref, False), fmt
    if numeric.any():
        i, j = int(np.flatnonzero(numeric)[0]), int(np.flatnonzero(~numeric)[0])
        raise CpjaxInputError(
            f"dates in column {col!r} of {where} are written in more than one format "
            f"({text.iloc[i]!r} at {ref(i)}, {text.iloc[j]!r} at {ref(j)}); fix: write every "
            "date in one format, e.g. YYYY-MM-DD")
    for fmt in _OTHER_FORMATS:
        parsed = pd.to_datetime(text, format=fmt, errors="coerce")
        if parsed.notna().all():
            _check_range(parsed, text, col, where, ref)
            return parsed, fmt
    shapes = text.map(_shape)
    if shapes.nunique() > 1:
        i = int(np.flatnonzero((shapes != shapes.iloc[0]).to_numpy())[0])
        raise CpjaxInputError(
            f"dates in column {col!r} of {where} are written in more than one format "
            f"({text.iloc[0]!r} at {ref(0)}, {text.iloc[i]!r} at {ref(i)}); fix: write every "
            "date in one format, e.g. YYYY-MM-DD")
    first = pd.to_datetime(text.iloc[:1], errors="coerce", format="mixed")
    if first.isna().all():
        raise CpjaxInputError(
            f"unparsable date {text.iloc[0]!r} in column {col!r} of {where} at {ref(0)}; fix: "
            "write dates as YYYY-MM-DD, or give their format with --date-format (date_format=)")
    raise CpjaxInputError(
        f"the date format of column {col!r} of {where} (e.g. {text.iloc[0]!r}) is not one cpjax "
        f"detects; {_HINT}")
