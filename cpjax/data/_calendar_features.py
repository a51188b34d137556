"""Future-known calendar covariates for a market: weekday/month, trading-day gaps, holidays,
compliance deadlines (see :mod:`cpjax.data._market_calendar` for the data files).

Every column is known in advance for any date inside the encoded years, so the frame can be
passed as future-known covariates (``futr_df``) for the forecast dates as well as the history.
Columns (all NaN-free):

- ``dow_sin, dow_cos`` (period 7, Monday = 0) and ``month_sin, month_cos`` (period 12, January
  = 0) with ``encoding="cyclic"``; ``dow_mon .. dow_sun`` and ``month_jan .. month_dec`` 0/1
  with ``encoding="onehot"``;
- ``trading_day``: 1 on a weekday that is not a holiday of the market's calendar;
- ``days_since_trading`` / ``days_to_trading``: calendar days back to the previous / on to the
  next trading day (3 on a Monday; large around a long break);
- ``holiday``: 1 on an encoded day off; ``days_to_holiday`` / ``days_since_holiday``: calendar
  days to the next / since the last one (0 on a holiday), capped at ``cap_days``;
- ``days_to_deadline``: calendar days to the next compliance deadline (0 on the day);
  ``in_compliance_season``: 1 when ``days_to_deadline < season_days``;
- ``extrapolated``: 1 where a value used the rule below (always 0 with ``outside="raise"``).

Outside the encoded years: ``outside="raise"`` (default) refuses any date whose features would
need an unencoded day. ``outside="flag"`` computes them with a stated rule and sets
``extrapolated``: beyond the holiday files only weekends are non-trading days (no holidays),
and beyond the last encoded deadline the deadline recurs yearly on its month and day.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import numpy as np
import pandas as pd

from cpjax._errors import CpjaxInputError

from ._market_calendar import _check_market, compliance_deadlines, market_calendar

__all__ = ["CALENDAR_ENCODINGS", "calendar_covariates", "calendar_features"]

CALENDAR_ENCODINGS = ("cyclic", "onehot")
_DAY = np.timedelta64(1, "D")
_DOW = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MARGIN = 40  # extra grid days so every date has a trading day on either side


def _as_days(dates) -> np.ndarray:
    if isinstance(dates, pd.DataFrame):
        raise CpjaxInputError("calendar_features takes dates, not a frame; fix: pass df['ds'] "
                              "or use calendar_covariates(df, market)")
    try:
        idx = pd.DatetimeIndex(pd.to_datetime(dates))
    except (TypeError, ValueError) as err:
        raise CpjaxInputError(f"dates could not be read as dates ({err}); fix: pass a "
                              "DatetimeIndex or ISO strings") from None
    if len(idx) == 0:
        raise CpjaxInputError("no dates given; fix: pass the history and forecast dates")
    if idx.hasnans:
        raise CpjaxInputError("dates contain NaT; fix: drop or fill the missing dates first")
    if idx.tz is not None:
        raise CpjaxInputError("dates carry a time zone; fix: pass local calendar dates "
                              "(dates.tz_localize(None))")
    if (idx != idx.normalize()).any():
        raise CpjaxInputError("dates carry times of day; fix: pass days (dates.normalize())")
    return idx.to_numpy(dtype="datetime64[D]")


def _count(unknown_cum: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Number of unknown grid days in [lo, hi] (grid positions, inclusive)."""
    return unknown_cum[hi + 1] - unknown_cum[lo]


def _deadline_days(days: np.ndarray, market: str, calendar_dir) -> tuple:
    table = compliance_deadlines(market, calendar_dir=calendar_dir)
    dl = table["deadline"].to_numpy(dtype="datetime64[D]")
    pos = np.searchsorted(dl, days, side="left")
    beyond = pos >= len(dl)
    nxt = dl[np.minimum(pos, len(dl) - 1)].copy()
    if beyond.any():  # yearly recurrence of the last deadline's month and day (flagged)
        last = pd.Timestamp(dl[-1])
        for i in np.flatnonzero(beyond):
            d = pd.Timestamp(days[i])
            cand = last.replace(year=d.year)
            if cand < d:
                cand = last.replace(year=d.year + 1)
            nxt[i] = np.datetime64(cand.date(), "D")
    used = table.iloc[np.unique(pos[~beyond])]
    return (nxt - days) // _DAY, beyond, used, dl[-1]


def calendar_features(dates, market: str, *, encoding: str = "cyclic", season_days: int = 30,
                      cap_days: int = 60, outside: str = "raise",
                      calendar_dir: str | os.PathLike | None = None) -> pd.DataFrame:
    """Future-known calendar covariates of ``market`` for ``dates`` (history + forecast days).

    Arguments:
        dates: days (DatetimeIndex, Series or array; any order, repeats allowed).
        market: ``"eua"``, ``"china_national"`` or a pilot (``"guangdong"``, ``"hubei"``,
            ``"shanghai"``, ``"beijing"``, ``"tianjin"``, ``"shenzhen"``, ``"chongqing"``,
            ``"fujian"``).
        encoding: ``"cyclic"`` (sin/cos of weekday and month) or ``"onehot"``.
        season_days: width of the compliance season before each deadline, calendar days.
        cap_days: cap of the holiday distances, calendar days.
        outside: ``"raise"`` or ``"flag"`` for dates needing unencoded years (module notes).
        calendar_dir: folder with edited calendar files (default: the shipped ones).

    Returns:
        DataFrame with ``ds`` and the columns listed in the module notes, one row per input date
        in input order. ``attrs["cpjax_report"]`` lists the deadlines used with their status.

    Example:
        >>> futr = calendar_features(pd.bdate_range("2024-01-02", periods=60), "guangdong")
        ... # doctest: +SKIP
    """
    market = _check_market(market)
    if encoding not in CALENDAR_ENCODINGS:
        raise CpjaxInputError(f"unknown encoding {encoding!r}; fix: use 'cyclic' or 'onehot'")
    if outside not in ("raise", "flag"):
        raise CpjaxInputError(f"unknown outside rule {outside!r}; fix: use 'raise' or 'flag'")
    for name, v in (("season_days", season_days), ("cap_days", cap_days)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise CpjaxInputError(f"{name} must be a whole number of days >= 1, got {v!r}")
    days = _as_days(dates)
    cal = market_calendar(market, calendar_dir=calendar_dir)
    lo = days.min() - (cap_days + _MARGIN) * _DAY
    grid = np.arange(lo, days.max() + (cap_days + _MARGIN + 1) * _DAY, dtype="datetime64[D]")
    unknown = (grid < cal["first"]) | (grid > cal["last"])
    off = np.isin(grid, cal["off"]) & ~unknown
    trading = np.is_busday(grid) & ~off
    ucum = np.concatenate([[0], np.cumsum(unknown)])
    i = ((days - lo) // _DAY).astype(np.int64)

    t_idx = np.flatnonzero(trading)
    prev_t = t_idx[np.searchsorted(t_idx, i, side="left") - 1]
    next_t = t_idx[np.searchsorted(t_idx, i, side="right")]
    big = len(grid) + cap_days
    h_idx = np.concatenate([[-big], np.flatnonzero(off), [big]])  # sentinels: no holiday near
    next_h = h_idx[np.searchsorted(h_idx, i, side="left")]
    prev_h = h_idx[np.searchsorted(h_idx, i, side="right") - 1]
    to_h = np.minimum(next_h - i, cap_days)
    since_h = np.minimum(i - prev_h, cap_days)
    to_dl, dl_beyond, used, last_dl = _deadline_days(days, market, calendar_dir)

    cal_extrap = (unknown[i] | (_count(ucum, prev_t, i) > 0) | (_count(ucum, i, next_t) > 0)
                  | (_count(ucum, i, i + to_h) > 0) | (_count(ucum, i - since_h, i) > 0))
    extrap = cal_extrap | dl_beyond
    if outside == "raise" and extrap.any():
        bad = pd.DatetimeIndex(days[extrap].astype("datetime64[ns]"))
        why = [f"the holiday file covers {cal['first']} .. {cal['last']}"] if (
            cal_extrap.any()) else []
        why += [f"the last encoded {market} deadline is {last_dl}"] if dl_beyond.any() else []
        why = "; ".join(why)
        raise CpjaxInputError(
            f"calendar_features({market!r}): {extrap.sum()} date(s) from {bad.min().date()} to "
            f"{bad.max().date()} need calendar days that are not encoded ({why}); fix: pass "
            "outside='flag' to use the documented rule and get an 'extrapolated' column, or "
            "add the missing years (with sources) to the files under cpjax/data/calendars/")

    out = {"ds": pd.DatetimeIndex(days.astype("datetime64[ns]"))}
    dow = ((days - np.datetime64("1970-01-05", "D")) // _DAY) % 7  # 1970-01-05 was a Monday
    month = days.astype("datetime64[M]").astype(np.int64) % 12
    if encoding == "cyclic":
        out["dow_sin"], out["dow_cos"] = np.sin(2 * np.pi * dow / 7), np.cos(2 * np.pi * dow / 7)
        out["month_sin"] = np.sin(2 * np.pi * month / 12)
        out["month_cos"] = np.cos(2 * np.pi * month / 12)
    else:
        out.update({f"dow_{n}": (dow == k).astype(np.int64) for k, n in enumerate(_DOW)})
        out.update({f"month_{n}": (month == k).astype(np.int64) for k, n in enumerate(_MONTHS)})
    out["trading_day"] = trading[i].astype(np.int64)
    out["days_since_trading"] = (i - prev_t).astype(np.int64)
    out["days_to_trading"] = (next_t - i).astype(np.int64)
    out["holiday"] = off[i].astype(np.int64)
    out["days_to_holiday"] = to_h.astype(np.int64)
    out["days_since_holiday"] = since_h.astype(np.int64)
    out["days_to_deadline"] = to_dl.astype(np.int64)
    out["in_compliance_season"] = (to_dl < season_days).astype(np.int64)
    out["extrapolated"] = extrap.astype(np.int64)
    frame = pd.DataFrame(out)
    frame.attrs["cpjax_report"] = {
        "market": market, "holiday_file": cal["file"],
        "holidays_cover": f"{cal['first']} .. {cal['last']}",
        "rows_extrapolated": int(extrap.sum()),
        "deadlines_used": [f"{d.date()} ({s})" for d, s in zip(used["deadline"], used["status"])],
        "deadlines_uncertain": int(used["status"].isin(["rule", "unverified", "reported"]).sum()),
    }
    return frame


def calendar_covariates(frame: pd.DataFrame, market: str | Mapping[str, str], **options
                        ) -> pd.DataFrame:
    """Calendar features for a long frame (``ds`` and optional ``unique_id``), e.g. a futr_df.

    Arguments:
        frame: rows ``unique_id, ds`` (or just ``ds``); other columns are ignored.
        market: one market for every series, or a mapping ``unique_id -> market``.
        **options: passed to :func:`calendar_features`.

    Returns:
        ``unique_id`` (when present), ``ds`` and the feature columns, in the frame's row order.
    """
    if not isinstance(frame, pd.DataFrame) or "ds" not in frame.columns:
        raise CpjaxInputError("calendar_covariates needs a DataFrame with a 'ds' column "
                              "(and 'unique_id' for several series); fix: use to_long(...)")
    if isinstance(market, Mapping):
        if "unique_id" not in frame.columns:
            raise CpjaxInputError("a market per series needs a 'unique_id' column; fix: pass "
                                  "one market name, or a long frame with unique_id")
        missing = sorted(set(frame["unique_id"].astype(str)) - set(map(str, market)))
        if missing:
            raise CpjaxInputError(f"no market given for series {missing[:5]}; fix: add them to "
                                  "the mapping unique_id -> market")
        keys = frame["unique_id"].astype(str)
        mk = {str(k): v for k, v in market.items()}
        parts = []
        for uid, rows in frame.groupby(keys, sort=False):
            f = calendar_features(rows["ds"], mk[uid], **options)
            f.index = rows.index
            parts.append(f)
        feats = pd.concat(parts).loc[frame.index]
    else:
        feats = calendar_features(frame["ds"], market, **options)
        feats.index = frame.index
    if "unique_id" in frame.columns:
        feats.insert(0, "unique_id", frame["unique_id"].to_numpy())
    return feats.reset_index(drop=True)
