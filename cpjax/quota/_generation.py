"""Provincial thermal generation: year-to-date tables -> monthly series, and sharing over units.

``provincial_generation_monthly_ytd.csv`` (NBS via energyandcleanair/china_co2) is cumulative
within each year, unit 10^4 kWh.  Monthly values are differences of the YTD series with this
handling, applied per province and year and counted in the returned log:

* **January/February.**  From 2013 January is mostly not reported (YTD 0) and February's YTD holds
  both months.  The combined value is split with the province's average January share of
  January+February over the years where January was reported (1997-2012 and 2015 in this file; mean 0.524);
  without such years by days (31/59).
* **Other gaps.**  A YTD of 0 after February, or a YTD lower than the month before, is a reporting
  gap: the YTD is interpolated linearly between its neighbours in the same year (carried forward
  at the year end), so no month is negative.

The result is in MWh (x 10).  A user's ``--generation`` file may instead give annual values
directly: columns ``province, year, generation_mwh``.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from .._errors import CpjaxInputError, close_matches
from ._inventory import PROVINCES

__all__ = ["read_generation", "read_heat", "monthly_from_ytd", "annual_table", "share_generation"]

_YTD_COLS = ("month", "province", "source", "generation_ytd_1e4kwh")
_ANNUAL_COLS = ("province", "year", "generation_mwh")


def read_generation(path: str | os.PathLike, source: str = "thermal") -> tuple[pd.DataFrame, str]:
    """Read a generation file; returns ``(table, kind)``.

    ``kind == "monthly"``: a month x province DataFrame of MWh (from a YTD long table);
    ``kind == "annual"``: a year x province DataFrame of MWh (from ``province, year, generation_mwh``).
    """
    p = Path(path)
    if not p.is_file():
        raise CpjaxInputError(f"generation file {p} does not exist; fix: check the path")
    try:
        raw = pd.read_csv(p)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise CpjaxInputError(f"generation file {p.name} is not a readable CSV ({err})") from None
    cols = set(raw.columns)
    if set(_ANNUAL_COLS) <= cols:
        _check_provinces(raw["province"], p.name)
        vals = pd.to_numeric(raw["generation_mwh"], errors="coerce")
        if vals.isna().any() or (vals < 0).any():
            i = int(np.flatnonzero((vals.isna() | (vals < 0)).to_numpy())[0])
            raise CpjaxInputError(f"generation file {p.name}, row {i + 2}: generation_mwh "
                                  f"{raw['generation_mwh'].iloc[i]!r} is not a number >= 0")
        table = raw.assign(generation_mwh=vals).pivot_table(
            index="year", columns="province", values="generation_mwh", aggfunc="sum")
        return table, "annual"
    missing = [c for c in _YTD_COLS if c not in cols]
    if missing:
        near = {m: close_matches(m, [str(c) for c in raw.columns]) for m in missing}
        hint = "; ".join(f"{m!r} (close: {', '.join(near[m])})" for m in missing if near[m])
        raise CpjaxInputError(
            f"generation file {p.name} lacks column(s) {', '.join(map(repr, missing))}"
            + (f" [{hint}]" if hint else "") + f"; fix: give {', '.join(_YTD_COLS)} (year-to-date, "
            f"10^4 kWh) or {', '.join(_ANNUAL_COLS)} (annual)")
    raw = raw[raw["source"].astype(str).str.lower() == source]
    if raw.empty:
        raise CpjaxInputError(f"generation file {p.name} has no rows with source {source!r}; "
                              "fix: include the thermal series")
    _check_provinces(raw["province"], p.name)
    ytd = raw.pivot_table(index="month", columns="province", values="generation_ytd_1e4kwh",
                          aggfunc="sum")
    try:
        ytd.index = pd.PeriodIndex(ytd.index.astype(str), freq="M")
    except (ValueError, TypeError):
        raise CpjaxInputError(f"generation file {p.name}: column month must be YYYY-MM") from None
    monthly, _ = monthly_from_ytd(ytd)
    return monthly * 10.0, "monthly"


def _check_provinces(col: pd.Series, name: str) -> None:
    bad = sorted(set(col.astype(str)) - set(PROVINCES))
    if bad:
        near = close_matches(bad[0], PROVINCES)
        raise CpjaxInputError(f"generation file {name}: unknown province {bad[0]!r}"
                              + (f" (did you mean {near[0]}?)" if near else "")
                              + "; fix: use the English province names of the unit trackers")


def monthly_from_ytd(ytd: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    """Monthly values from a YTD table (PeriodIndex months x provinces), with a handling log."""
    ytd = ytd.sort_index().astype(float)
    idx = ytd.index
    years = np.asarray(idx.year)
    months = np.asarray(idx.month)
    log = {"jan_feb_split": 0, "gap_months_interpolated": 0}
    out = pd.DataFrame(np.nan, index=idx, columns=ytd.columns)
    # January share of Jan+Feb from years that report January
    jan = ytd[months == 1]
    feb = ytd[months == 2]
    jan.index, feb.index = jan.index.year, feb.index.year
    both = (jan > 0) & (feb > jan)
    share = (jan / feb).where(both).mean().fillna(31.0 / 59.0)
    for prov in ytd.columns:
        for y in np.unique(years):
            sel = years == y
            v = ytd.loc[sel, prov].to_numpy(dtype=float).copy()
            m = months[sel]
            if len(v) == 0:
                continue
            valid = np.isfinite(v) & (v > 0)
            if 1 in m and 2 in m:
                j, f = int(np.flatnonzero(m == 1)[0]), int(np.flatnonzero(m == 2)[0])
                if not valid[j] and valid[f]:
                    v[j] = v[f] * share[prov]
                    valid[j] = True
                    log["jan_feb_split"] += 1
            # non-increasing YTD after a valid month is a gap too
            best = -np.inf
            for i in range(len(v)):
                if valid[i] and v[i] < best:
                    valid[i] = False
                if valid[i]:
                    best = v[i]
            if (~valid).any() and valid.any():
                log["gap_months_interpolated"] += int((~valid).sum())
                pos = np.arange(len(v))
                v = np.interp(pos, pos[valid], v[valid], left=0.0)
            elif not valid.any():
                v = np.full(len(v), np.nan)
            out.loc[sel, prov] = np.diff(np.concatenate([[0.0], v]))
    return out, log


def annual_table(monthly: pd.DataFrame) -> pd.DataFrame:
    """Sum complete years of a monthly table (year x province); incomplete years are dropped."""
    year = monthly.index.year
    counts = monthly.groupby(year).count().min(axis=1)
    sums = monthly.groupby(year).sum(min_count=1)
    return sums[counts.reindex(sums.index) == 12]


def share_generation(units: pd.DataFrame, provincial_mwh: pd.Series,
                     hours_per_year: float = 8760.0, max_load: float = 0.95) -> tuple[np.ndarray, list[str]]:
    """Share provincial thermal generation over the units of each province.

    Unit ``i`` gets ``G_prov x w_i / sum w`` with ``w_i = capacity x load_weight``; a unit's
    ``generation_mwh`` given in the file is kept and the others share what is left.  Shares are
    clipped at ``max_load`` (the excess goes to the other units of the province, iterating) and
    provinces with units but no generation figure get 0 with a note.

    Returns:
        ``(generation_mwh, notes)`` with one value per unit (same order as ``units``).
    """
    cap = units["capacity_mw"].to_numpy(dtype=float)
    w = cap * units["load_weight"].to_numpy(dtype=float)
    given = units["generation_mwh"].to_numpy(dtype=float) if "generation_mwh" in units else np.full(len(units), np.nan)
    gen = np.where(np.isfinite(given), given, 0.0)
    notes: list[str] = []
    prov = units["province"].to_numpy()
    for p in np.unique(prov):
        sel = (prov == p) & ~np.isfinite(given)
        if not sel.any():
            continue
        if p not in provincial_mwh.index or not np.isfinite(provincial_mwh[p]):
            notes.append(f"no thermal generation for {p}: its {int(sel.sum())} units get 0")
            continue
        left = max(float(provincial_mwh[p]) - gen[(prov == p) & np.isfinite(given)].sum(), 0.0)
        limit = cap[sel] * hours_per_year * max_load
        share = np.zeros(int(sel.sum()))
        free = np.ones_like(share, dtype=bool)
        for _ in range(50):  # water-filling under the load limit
            if not free.any() or left <= 0:
                break
            s = left * w[sel][free] / w[sel][free].sum()
            over = share[free] + s > limit[free]
            if not over.any():
                share[free] += s
                left = 0.0
                break
            idx = np.flatnonzero(free)[over]
            left -= (limit[idx] - share[idx]).sum()
            share[idx] = limit[idx]
            free[idx] = False
        if left > 1e-6 * float(provincial_mwh[p]):
            notes.append(f"{p}: units cannot absorb {left / 1e6:.2f} TWh at {max_load:.0%} load; dropped")
        gen[sel] = share
    return gen, notes


def read_heat(path: str | os.PathLike) -> pd.DataFrame:
    """Monthly heat supply history per unit: CSV ``unit_id, month (YYYY-MM), heat_gj``.

    Returns a month (PeriodIndex) x unit_id table of GJ, the input of :func:`forecast_heat`.
    """
    p = Path(path)
    if not p.is_file():
        raise CpjaxInputError(f"heat file {p} does not exist; fix: check the path")
    raw = pd.read_csv(p)
    need = ("unit_id", "month", "heat_gj")
    missing = [c for c in need if c not in raw.columns]
    if missing:
        near = [n for m in missing for n in close_matches(m, [str(c) for c in raw.columns])]
        raise CpjaxInputError(f"heat file {p.name} lacks column(s) {', '.join(map(repr, missing))}"
                              + (f" (close: {', '.join(map(repr, near))})" if near else "")
                              + f"; fix: give {', '.join(need)}")
    vals = pd.to_numeric(raw["heat_gj"], errors="coerce")
    bad = vals.isna() | (vals < 0)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise CpjaxInputError(f"heat file {p.name}, row {i + 2}: heat_gj {raw['heat_gj'].iloc[i]!r} "
                              "is not a number >= 0")
    try:
        month = pd.PeriodIndex(raw["month"].astype(str), freq="M")
    except (ValueError, TypeError):
        raise CpjaxInputError(f"heat file {p.name}: column month must be YYYY-MM") from None
    table = pd.DataFrame({"unit_id": raw["unit_id"].astype(str), "month": month, "heat_gj": vals})
    return table.pivot_table(index="month", columns="unit_id", values="heat_gj", aggfunc="sum")
