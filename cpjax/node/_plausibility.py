"""Plausibility of generated paths: growth against history, thermal levels against capacity.

A path (monthly, original units) is spliced after the history it starts from (history up to the
month before its start, then the path). The base year ``b`` is the calendar year of the start
month (the last complete year before it if the path ends before December). Every later year
``y > b`` is checked, against ``b`` and against every year in between, so that a path is
judged on what it adds to the observations, never on what the observations did before it; with
``A_y`` the annual mean of a series in year ``y`` (history months and path months alike):

* **growth** (every modelled series): for every checked year ``y`` and every horizon ``h >= 1``
  with ``y - h >= b``, ``g = ln A_y - ln A_{y-h}`` must lie within
  ``[min(L_h, L_1, 0) - margin·sqrt(h), max(U_h, U_1, 0) + margin·sqrt(h)]``, where ``[L_h, U_h]``
  is the range of the ``h``-year log growth of the same panel and series over its ``Y`` complete
  history years (``margin`` = 0.1, about 10 % for one year). In words: over ``h`` years a path
  may rise as much as, but not more than, the strongest rise that province and source showed
  over ``h`` years or over one year, fall as much as the deepest such fall, and may always stay
  flat (a young series that only ever grew fast may slow down). Horizons longer than
  ``K = max(1, floor((Y - 1) / 2))`` (so that every range has at least two samples) use the
  per-year extremes of the ``K``-year range times ``h``;
* **level** (series ``thermal`` in TWh/month of a province the plant trackers know): the annual
  total ``12 A_y`` must not exceed installed capacity x hours (no margin: the bound already
  counts the whole construction pipeline and the highest utilisation observed;
  :func:`._capacity.thermal_upper_bounds`, sources there);
* no month may be negative.

The status is ``"implausible"`` when any check fails, else ``"plausible"``; the record lists the
checks, their bounds, what was not checked and why, and every violation with a message.
"""

from __future__ import annotations

import numpy as np

from ._capacity import CAPACITY_SOURCES, thermal_upper_bounds

__all__ = ["check_plausibility", "growth_bounds", "annual_table", "capacity_bounds", "MARGIN"]

MARGIN = 0.1


def annual_table(dates: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Complete calendar years of a monthly (T, S) series and their annual means (Y, S)."""
    d = np.asarray(dates, dtype="datetime64[M]")
    yr = d.astype("datetime64[Y]").astype(int) + 1970
    years = [y for y in np.unique(yr) if np.sum(yr == y) == 12]
    if not years:
        return np.zeros(0, dtype=int), np.zeros((0, x.shape[1]))
    return np.asarray(years), np.stack([x[yr == y].mean(axis=0) for y in years])


def growth_bounds(annual: np.ndarray, margin: float = MARGIN, horizons: int = 1
                  ) -> tuple[np.ndarray, np.ndarray]:
    """(H, S) lower and upper ``h``-year log growth, h = 1..``horizons`` (module notes).

    ``annual``: (Y, S) annual means of complete history years (positive; a non-positive mean
    makes that series' bounds NaN = not checked).
    """
    Y, S = annual.shape
    lo, hi = np.full((horizons, S), np.nan), np.full((horizons, S), np.nan)
    if Y < 2:
        return lo, hi
    with np.errstate(divide="ignore", invalid="ignore"):
        la = np.where(annual > 0, np.log(np.where(annual > 0, annual, 1.0)), np.nan)
    longest = max(1, (Y - 1) // 2)
    one = la[1:] - la[:-1]
    lo1, hi1 = np.min(one, axis=0), np.max(one, axis=0)  # NaN propagates: not checked
    for h in range(1, horizons + 1):
        k = min(h, longest)
        g = la[k:] - la[:-k]
        a, b = np.min(g, axis=0), np.max(g, axis=0)
        if h > longest:
            a, b = a * h / longest, b * h / longest
        a, b = np.minimum(np.minimum(a, lo1), 0.0), np.maximum(np.maximum(b, hi1), 0.0)
        lo[h - 1], hi[h - 1] = a - margin * np.sqrt(h), b + margin * np.sqrt(h)
    return lo, hi


def capacity_bounds(panels, series, units: str, history_dates: np.ndarray, history: np.ndarray,
                    years) -> tuple[dict | None, str | None]:
    """Thermal upper bounds for ``panels`` and ``years`` from the plant trackers, or
    ``(None, reason)`` when no level check is possible (no thermal series, other units, no data).
    """
    thermal = [s for s, name in enumerate(series) if name.lower() == "thermal"]
    if not thermal:
        return None, "no thermal series"
    if units != "TWh/month":
        return None, f"units {units!r} are not TWh/month"
    hist = {}
    for p, name in enumerate(panels):
        yy, am = annual_table(history_dates, history[p])
        hist[name] = {int(y): 12.0 * float(am[i, thermal[0]]) for i, y in enumerate(yy)}
    cap = thermal_upper_bounds(list(panels), sorted(int(y) for y in years), hist)
    if cap is None:
        return None, "plant trackers not found (set CPJAX_SHARED_DATA)"
    return cap, None


def check_plausibility(dates: np.ndarray, values: np.ndarray, panels, series, units: str,
                       history_dates: np.ndarray, history: np.ndarray,
                       modelled: np.ndarray | None = None, margin: float = MARGIN,
                       capacity: dict | str | None = "auto") -> dict:
    """Check generated paths against their history (module notes) and return the record.

    Arguments:
        dates: (T,) months of the paths; values: (P, T, S) paths in original units.
        panels, series: names; units: unit of the values (level checks need ``"TWh/month"``).
        history_dates: (Th,) months of the history; history: (P, Th, S) observed values.
        modelled: (P, S) which panel-series were modelled (default all); others are reported as
            not checked.
        margin: widening of every bound (log points).
        capacity: ``"auto"`` (read the plant trackers when the development data are found),
            ``None`` (no level check) or a dict as returned by
            :func:`cpjax.node._capacity.thermal_upper_bounds`.

    Returns:
        A JSON-able dict: ``status``, ``units``, ``margin``, ``rules``, ``checked_years``,
        ``bounds``, ``not_checked``, ``violations`` (each with a ``message``), ``sources``.
    """
    dates = np.asarray(dates, dtype="datetime64[M]")
    hd = np.asarray(history_dates, dtype="datetime64[M]")
    P, _, S = values.shape
    modelled = np.ones((P, S), dtype=bool) if modelled is None else np.asarray(modelled, bool)
    keep = hd < dates[0]
    spliced_dates = np.concatenate([hd[keep], dates])
    violations, not_checked, bounds = [], [], {}
    years_checked: list[int] = []
    thermal = [s for s, name in enumerate(series) if name.lower() == "thermal"]
    level_note = None
    if capacity == "auto":
        capacity, level_note = capacity_bounds(panels, series, units, hd, history,
                                               {int(str(d)[:4]) for d in dates})
    elif units != "TWh/month":
        capacity, level_note = None, f"units {units!r} are not TWh/month"
    for p, pname in enumerate(panels):
        x = np.concatenate([history[p, keep], values[p]], axis=0)
        years, annual = annual_table(spliced_dates, x)
        hy, ha = annual_table(hd, history[p])
        start_year = int(str(dates[0])[:4])
        base = years[years <= start_year]
        b = int(base.max()) if base.size else start_year
        checked = years > b
        years_checked = sorted(set(years_checked) | {int(y) for y in years[checked]})
        H = int(max(1, years[checked].max() - b) if checked.any() else 1)
        lo, hi = growth_bounds(ha, margin, H)
        bounds[pname] = {}
        for s, sname in enumerate(series):
            if not modelled[p, s]:
                not_checked.append({"panel": pname, "series": sname,
                                    "reason": "not modelled (mostly missing)"})
                continue
            entry = {"growth_lower": lo[:, s].tolist(), "growth_upper": hi[:, s].tolist()}
            neg = np.flatnonzero(values[p, :, s] < 0)
            if neg.size:
                d0 = str(dates[neg[0]])
                violations.append({"panel": pname, "series": sname, "check": "negative",
                                   "date": d0, "value": float(values[p, neg[0], s]),
                                   "message": f"{pname} {sname} is negative from {d0}"})
            if not np.isfinite(lo[0, s]):
                not_checked.append({"panel": pname, "series": sname, "reason":
                                    "growth: fewer than 2 complete history years or a "
                                    "non-positive annual mean"})
            else:
                la = np.log(np.maximum(annual[:, s], 1e-300))
                for i in np.flatnonzero(checked):
                    for j in np.flatnonzero((years >= b) & (years < years[i])):
                        h = int(years[i] - years[j])
                        g = la[i] - la[j]
                        if not lo[h - 1, s] <= g <= hi[h - 1, s]:
                            violations.append({
                                "panel": pname, "series": sname, "check": "growth",
                                "year": int(years[i]), "base_year": int(years[j]),
                                "value": float(g), "lower": float(lo[h - 1, s]),
                                "upper": float(hi[h - 1, s]),
                                "message": (f"{pname} {sname} {int(years[j])}->{int(years[i])}: "
                                            f"x{np.exp(g):.2f} outside the bounds "
                                            f"x{np.exp(lo[h - 1, s]):.2f}..x"
                                            f"{np.exp(hi[h - 1, s]):.2f} from its history "
                                            f"over {h} year(s)")})
                            break  # one violation per year and series is enough
            if s in thermal:
                cap = (capacity or {}).get(pname)
                if cap is None:
                    not_checked.append({"panel": pname, "series": sname, "reason": "level: " + (
                        level_note or "no capacity data for this panel")})
                else:
                    entry["level_upper_twh"] = {}
                    for i in np.flatnonzero(checked):
                        y = int(years[i])
                        ub = float(cap["upper_twh"].get(y, np.nan))
                        entry["level_upper_twh"][y] = ub
                        total = 12.0 * float(annual[i, s])
                        if np.isfinite(ub) and total > ub:
                            violations.append({
                                "panel": pname, "series": sname, "check": "level", "year": y,
                                "value": total, "upper": ub,
                                "message": (f"{pname} thermal {y}: {total:.0f} TWh above "
                                            f"capacity x hours {ub:.0f} TWh "
                                            f"({cap['capacity_gw'][y]:.0f} GW x "
                                            f"{cap['hours']:.0f} h)")})
            bounds[pname][sname] = entry
    order = {"negative": 0, "level": 1, "growth": 2}
    violations.sort(key=lambda v: (v.get("year", 0), order[v["check"]]))
    return {"status": "implausible" if violations else "plausible", "units": units,
            "start": str(dates[0]),
            "margin": margin, "checked_years": years_checked,
            "history": [str(hd[0]), str(hd[-1])],
            "rules": {"growth": "h-year log growth of annual means within [min(L_h, L_1, 0), "
                                "max(U_h, U_1, 0)] +/- margin * sqrt(h), [L_h, U_h] the "
                                "historical h-year range of the panel and series",
                      "level": "thermal annual TWh <= capacity x hours",
                      "negative": "no negative month"},
            "sources": {"level": CAPACITY_SOURCES}, "bounds": bounds,
            "not_checked": not_checked, "violations": violations}
