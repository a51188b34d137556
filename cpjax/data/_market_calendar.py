"""Market calendars: holidays, trading days and compliance deadlines from shipped data files.

The files live in ``cpjax/data/calendars/`` (package data), each with its sources and the date
it was checked in its header, and one status per compliance deadline (``law``, ``notice``,
``reported``, ``rule``, ``unverified``; see the header of ``compliance_deadlines.csv``):

- ``china_holidays.csv``: the State Council's holiday breaks and adjusted working days,
  2013-2026 (mainland China; used by the national ETS and the eight pilots);
- ``eu_holidays.csv``: TARGET2 closing days plus EEX's 24 and 31 December, 2013-2035 (EUA);
- ``compliance_deadlines.csv``: surrender deadlines per market and compliance cycle.

A trading day is a weekday that is not a holiday. Chinese adjusted working days (weekend days
worked to pay for a break) are not trading days: exchanges stay closed on them. Dates outside a
calendar's years are refused here; :func:`cpjax.data.calendar_features` can flag them instead.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import numpy as np
import pandas as pd

from cpjax._errors import CpjaxInputError, unknown_name_message

__all__ = ["CALENDAR_DIR", "DEADLINE_STATUSES", "MARKET_CALENDARS", "compliance_deadlines",
           "market_calendar", "market_holidays", "trading_days"]

#: folder of the shipped calendar files
CALENDAR_DIR = Path(__file__).resolve().parent / "calendars"
#: market -> holiday calendar ("china" or "eu"); pilot names as in :data:`PILOT_MARKETS`
MARKET_CALENDARS = {"eua": "eu", "china_national": "china",
                    **{m: "china" for m in ("guangdong", "hubei", "shanghai", "beijing", "fujian",
                                            "chongqing", "tianjin", "shenzhen")}}
#: allowed values of compliance_deadlines.csv's status column, most to least certain
DEADLINE_STATUSES = ("law", "notice", "reported", "unverified", "rule")
_FILES = {"china": "china_holidays.csv", "eu": "eu_holidays.csv"}
_DAY = np.timedelta64(1, "D")


def _check_market(market) -> str:
    if not isinstance(market, str) or market.strip().lower() not in MARKET_CALENDARS:
        raise CpjaxInputError(unknown_name_message("market", str(market), MARKET_CALENDARS)
                              + " Fix: pass one of these names (pilots as in "
                              "cpjax.data.PILOT_MARKETS).")
    return market.strip().lower()


def _folder(calendar_dir) -> Path:
    return Path(calendar_dir) if calendar_dir is not None else CALENDAR_DIR


def _read(path: Path, columns: tuple[str, ...]) -> pd.DataFrame:
    if not path.is_file():
        raise CpjaxInputError(f"calendar file not found: {path}; fix: restore it from the cpjax "
                              "package or pass calendar_dir= pointing to a folder holding it")
    df = pd.read_csv(path, comment="#", dtype=str, keep_default_na=False)
    if tuple(df.columns) != columns:
        raise CpjaxInputError(f"{path}: columns {list(df.columns)}, expected {list(columns)}; "
                              "fix: keep the header line of the shipped file")
    return df


def _dates(path: Path, values: pd.Series, column: str) -> np.ndarray:
    out = pd.to_datetime(values, format="%Y-%m-%d", errors="coerce")
    if out.isna().any():
        bad = values[out.isna()].iloc[0]
        raise CpjaxInputError(f"{path}: column {column!r} has {bad!r}, not a YYYY-MM-DD date; "
                              "fix: correct that row")
    return out.to_numpy(dtype="datetime64[D]")


@functools.cache
def _holiday_calendar(name: str, folder: Path) -> dict:
    """Days off (sorted datetime64[D]), Chinese working days, covered days and the table."""
    path = folder / _FILES[name]
    if name == "china":
        df = _read(path, ("year", "holiday", "first_day", "last_day", "working_days",
                          "notice_url"))
        first = _dates(path, df["first_day"], "first_day")
        last = _dates(path, df["last_day"], "last_day")
        if (last < first).any() or ((last - first) > 14 * _DAY).any():
            raise CpjaxInputError(f"{path}: a break ends before it starts or lasts over 15 days; "
                                  "fix: check first_day/last_day")
        off = np.concatenate([np.arange(a, b + _DAY, dtype="datetime64[D]")
                              for a, b in zip(first, last)])
        work = [w for cell in df["working_days"] for w in cell.split()]
        work = _dates(path, pd.Series(work, dtype=str), "working_days")
        years = pd.to_numeric(df["year"], errors="coerce")
        if years.isna().any():
            raise CpjaxInputError(f"{path}: column 'year' must hold years; fix: correct that row")
        y0, y1 = int(years.min()), int(years.max())
        rows = pd.DataFrame({"date": [d for a, b in zip(first, last)
                                      for d in np.arange(a, b + _DAY, dtype="datetime64[D]")],
                             "holiday": np.repeat(df["holiday"].to_numpy(),
                                                  ((last - first) // _DAY + 1).astype(int))})
    else:
        df = _read(path, ("date", "name", "closed_by"))
        off = _dates(path, df["date"], "date")
        work = np.array([], dtype="datetime64[D]")
        y0, y1 = int(off.min().astype(object).year), int(off.max().astype(object).year)
        rows = pd.DataFrame({"date": off, "holiday": df["name"].to_numpy()})
    if np.intersect1d(off, work).size:
        raise CpjaxInputError(f"{path}: a day is both a day off and a working day; "
                              "fix: correct the file")
    off = np.unique(off)
    rows = rows.drop_duplicates("date").sort_values("date").reset_index(drop=True)
    rows["date"] = pd.to_datetime(rows["date"])
    return {"off": off, "work": np.unique(work), "first": np.datetime64(f"{y0}-01-01", "D"),
            "last": np.datetime64(f"{y1}-12-31", "D"), "table": rows, "file": str(path)}


def market_calendar(market: str, *, calendar_dir: str | os.PathLike | None = None) -> dict:
    """The holiday calendar of ``market``: ``off`` and ``work`` days, covered ``first``/``last``.

    Arrays are sorted ``datetime64[D]``; ``work`` holds China's adjusted working days (empty for
    the EU); ``file`` names the source file. Raises CpjaxInputError for an unknown market.
    """
    return _holiday_calendar(MARKET_CALENDARS[_check_market(market)], _folder(calendar_dir))


def market_holidays(market: str, *, calendar_dir: str | os.PathLike | None = None
                    ) -> pd.DataFrame:
    """Every encoded holiday (day off) of the market's calendar: columns ``date, holiday``.

    China: every day of each official break, weekends inside a break included; EU: the closing
    days. ``attrs`` give the covered years and the source file.
    """
    cal = market_calendar(market, calendar_dir=calendar_dir)
    out = cal["table"].copy()
    out.attrs.update(covered=f"{cal['first']} .. {cal['last']}", source=cal["file"])
    return out


def _day_range(start, end, what: str) -> tuple[np.datetime64, np.datetime64]:
    try:
        a, b = pd.Timestamp(start), pd.Timestamp(end)
    except (TypeError, ValueError) as err:
        raise CpjaxInputError(f"{what}: start/end must be dates; fix: pass e.g. '2024-01-31' "
                              f"({err})") from None
    if pd.isna(a) or pd.isna(b) or b < a:
        raise CpjaxInputError(f"{what}: need start <= end, got {start!r} .. {end!r}")
    return np.datetime64(a.date(), "D"), np.datetime64(b.date(), "D")


def trading_days(market: str, start, end, *, calendar_dir: str | os.PathLike | None = None
                 ) -> pd.DatetimeIndex:
    """Trading days of ``market`` from ``start`` to ``end`` (inclusive): weekdays off no holiday.

    Raises CpjaxInputError when the range leaves the calendar's covered years (the holidays
    there are unknown, so ordinary-looking days cannot be vouched for).

    Example:
        >>> trading_days("hubei", "2024-02-01", "2024-02-29")  # doctest: +SKIP
    """
    cal = market_calendar(market, calendar_dir=calendar_dir)
    a, b = _day_range(start, end, "trading_days")
    if a < cal["first"] or b > cal["last"]:
        raise CpjaxInputError(
            f"trading_days({market!r}): {a} .. {b} leaves the encoded years {cal['first']} .. "
            f"{cal['last']} of {Path(cal['file']).name}; fix: ask for dates inside them or add "
            "the new years' holidays to the file (with their sources)")
    days = np.arange(a, b + _DAY, dtype="datetime64[D]")
    keep = np.is_busday(days) & ~np.isin(days, cal["off"])
    return pd.DatetimeIndex(days[keep].astype("datetime64[ns]"), name="ds")


@functools.cache
def _deadline_table(folder: Path) -> pd.DataFrame:
    path = folder / "compliance_deadlines.csv"
    df = _read(path, ("market", "cycle", "deadline", "status", "source", "note"))
    unknown = sorted(set(df["market"]) - set(MARKET_CALENDARS))
    if unknown:
        raise CpjaxInputError(unknown_name_message("market", unknown[0], MARKET_CALENDARS,
                                                   str(path)))
    bad = sorted(set(df["status"]) - set(DEADLINE_STATUSES))
    if bad:
        raise CpjaxInputError(f"{path}: status {bad[0]!r} is not one of "
                              f"{', '.join(DEADLINE_STATUSES)}; fix: correct that row")
    df["deadline"] = pd.to_datetime(pd.Series(_dates(path, df["deadline"], "deadline")))
    if df.duplicated(["market", "deadline"]).any():
        raise CpjaxInputError(f"{path}: a market lists the same deadline twice; fix: keep one row")
    return df.sort_values(["market", "deadline"]).reset_index(drop=True)


def compliance_deadlines(market: str | None = None, *,
                         calendar_dir: str | os.PathLike | None = None) -> pd.DataFrame:
    """Surrender deadlines with their sources: ``market, cycle, deadline, status, source, note``.

    Arguments:
        market: one market (see :data:`MARKET_CALENDARS`), or ``None`` for all.
        calendar_dir: folder with an edited ``compliance_deadlines.csv`` (default: shipped).

    Returns:
        One row per compliance cycle, sorted by deadline. ``status`` says how sure the date is:
        ``law``/``notice`` (read in the rule or that cycle's notice), ``reported`` (news report,
        day inferred), ``unverified`` (notice recalled, not re-read) and ``rule`` (the market's
        standing date; the cycle's notice not checked: uncertain).
    """
    df = _deadline_table(_folder(calendar_dir))
    if market is not None:
        df = df[df["market"] == _check_market(market)].reset_index(drop=True)
    return df.copy()
