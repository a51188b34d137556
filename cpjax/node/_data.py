"""Panels of monthly series for the Neural ODE: the provincial power loader and the demo set.

The loader here is deliberately small and self-contained (it reads one long-format file); the
project's generic loaders live in :mod:`cpjax.data`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .._errors import CpjaxInputError, unknown_name_message

__all__ = ["NodeData", "load_power_generation", "demo_data", "ytd_to_monthly", "POWER_FILE"]

POWER_FILE = "power/provincial_generation_monthly_ytd.csv"
# 10^4 kWh -> TWh (1 TWh = 10^9 kWh = 10^5 x 10^4 kWh)
_TWH_PER_1E4KWH = 1e-5


@dataclass(frozen=True)
class NodeData:
    """Several panels (e.g. provinces) observed on one monthly grid.

    Attributes:
        panels: panel names (P,).
        series: series names (S,), the components of the ODE state.
        dates: first day of each month, ``numpy.datetime64[M]`` (T,).
        values: (P, T, S) in ``units``; NaN marks a missing value.
        units: unit of ``values``.
        source: file the data came from, or a description of the generator.
    """

    panels: tuple[str, ...]
    series: tuple[str, ...]
    dates: np.ndarray
    values: np.ndarray
    units: str
    source: str
    notes: dict = field(default_factory=dict)

    @property
    def times(self) -> np.ndarray:
        """Time in years since January of the first year (monthly spacing 1/12)."""
        return month_to_years(self.dates, self.dates[0])

    def select(self, panels: list[str] | None = None, series: list[str] | None = None,
               where: str = "") -> NodeData:
        """A copy restricted to ``panels`` and ``series`` (unknown names: an actionable error)."""
        p_idx = _indices("province/panel", panels, self.panels, where)
        s_idx = _indices("series", series, self.series, where)
        vals = self.values[np.ix_(p_idx, np.arange(len(self.dates)), s_idx)]
        return NodeData(tuple(self.panels[i] for i in p_idx), tuple(self.series[i] for i in s_idx),
                        self.dates, vals, self.units, self.source, dict(self.notes))


def month_to_years(dates: np.ndarray, origin: np.datetime64) -> np.ndarray:
    """Months since ``origin`` divided by 12 (float64 years)."""
    months = (np.asarray(dates, dtype="datetime64[M]") - np.datetime64(origin, "M")).astype(int)
    return months.astype(np.float64) / 12.0


def _indices(kind: str, wanted: list[str] | None, have: tuple[str, ...], where: str) -> list[int]:
    if wanted is None:
        return list(range(len(have)))
    lower = {h.lower(): i for i, h in enumerate(have)}
    out = []
    for w in wanted:
        if w.lower() not in lower:
            raise CpjaxInputError(unknown_name_message(kind, w, have, where))
        out.append(lower[w.lower()])
    return out


def ytd_to_monthly(ytd: np.ndarray, months: np.ndarray, year_len_feb: np.ndarray) -> np.ndarray:
    """Monthly values from year-to-date cumulative values of ONE year.

    Arguments:
        ytd: YTD values for months 1..12 of one year (NaN where not reported).
        months: calendar months 1..12 (same length as ``ytd``; here always 1..12).
        year_len_feb: days in February of that year (28 or 29), broadcastable.

    Rules (documented in docs/node.md):
      * a YTD of 0 is "not reported" (NaN);
      * month m >= 2: ``ytd[m] - ytd[m-1]``; NaN if either is missing or the difference is
        negative (a downward revision of the cumulative figure);
      * January + February reported together (January missing, February present): the February
        YTD is split between the two months in proportion to their days (31 : 28 or 29);
      * January alone: its YTD.
    """
    del months
    y = np.where(ytd == 0, np.nan, ytd.astype(np.float64))
    out = np.full(12, np.nan)
    out[1:] = y[1:] - y[:-1]
    out[0] = y[0]
    if np.isnan(y[0]) and not np.isnan(y[1]):
        feb = float(year_len_feb)
        out[0] = y[1] * 31.0 / (31.0 + feb)
        out[1] = y[1] * feb / (31.0 + feb)
    out[out < 0] = np.nan
    return out


def load_power_generation(path: str | os.PathLike, provinces: list[str] | None = None,
                          sources: list[str] | None = None) -> NodeData:
    """Monthly generation (TWh) by province and source from the NBS year-to-date table.

    Arguments:
        path: CSV with columns ``month`` (YYYY-MM), ``province``, ``source``,
            ``generation_ytd_1e4kwh`` (year-to-date generation, 10^4 kWh), e.g.
            ``../shared/data/power/provincial_generation_monthly_ytd.csv``.
        provinces, sources: optional selections (case-insensitive; unknown names raise
            :class:`~cpjax.CpjaxInputError` with close matches).

    Returns:
        :class:`NodeData` with panels = provinces, series = sources, values in TWh per month
        (NaN = missing), converted by :func:`ytd_to_monthly`.
    """
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise CpjaxInputError(f"data file {str(path)!r} not found; fix: pass the path of "
                              f"provincial_generation_monthly_ytd.csv (or use --demo)")
    try:
        df = pd.read_csv(path)
    except Exception as err:  # malformed CSV
        raise CpjaxInputError(f"cannot read {str(path)!r} as CSV ({err}); fix: pass a CSV file") from err
    need = ["month", "province", "source", "generation_ytd_1e4kwh"]
    missing = [c for c in need if c not in df.columns]
    if missing:
        raise CpjaxInputError(f"{str(path)!r} lacks column(s) {missing}; found {list(df.columns)}; "
                              f"fix: the file needs columns {need}")
    try:
        dates = pd.PeriodIndex(df["month"].astype(str), freq="M")
    except Exception as err:
        raise CpjaxInputError(f"column 'month' of {str(path)!r} must hold YYYY-MM dates ({err})") from err
    df = df.assign(year=dates.year, m=dates.month)
    vals = pd.to_numeric(df["generation_ytd_1e4kwh"], errors="coerce")
    df = df.assign(v=vals)
    all_prov = tuple(sorted(df["province"].astype(str).unique()))
    all_src = tuple(sorted(df["source"].astype(str).unique()))
    prov = [all_prov[i] for i in _indices("province", provinces, all_prov, str(path))]
    src = [all_src[i] for i in _indices("source (series)", sources, all_src, str(path))]
    years = np.arange(int(df["year"].min()), int(df["year"].max()) + 1)
    cube = np.full((len(prov), len(years), 12, len(src)), np.nan)
    pi = {p: i for i, p in enumerate(prov)}
    si = {s: i for i, s in enumerate(src)}
    sub = df[df["province"].isin(prov) & df["source"].isin(src)]
    cube[sub["province"].map(pi).to_numpy(), (sub["year"] - years[0]).to_numpy(),
         (sub["m"] - 1).to_numpy(), sub["source"].map(si).to_numpy()] = sub["v"].to_numpy()
    feb = np.array([29 if (y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)) else 28 for y in years])
    monthly = np.full_like(cube, np.nan)
    for p in range(len(prov)):
        for k in range(len(years)):
            for s in range(len(src)):
                monthly[p, k, :, s] = ytd_to_monthly(cube[p, k, :, s], np.arange(1, 13), feb[k])
    monthly = monthly.reshape(len(prov), len(years) * 12, len(src)) * _TWH_PER_1E4KWH
    month_dates = np.arange(np.datetime64(f"{years[0]}-01", "M"),
                            np.datetime64(f"{years[-1] + 1}-01", "M"))
    # trim trailing months that no series reports (e.g. a year not yet finished)
    any_obs = ~np.all(np.isnan(monthly), axis=(0, 2))
    last = int(np.nonzero(any_obs)[0][-1]) + 1 if any_obs.any() else 0
    return NodeData(tuple(prov), tuple(src), month_dates[:last], monthly[:, :last], "TWh/month",
                    str(path), {"converted_from": "year-to-date, 10^4 kWh"})


def demo_data(n_panels: int = 3, start: str = "2008-01", end: str = "2021-12",
              seed: int = 0) -> NodeData:
    """A generated (synthetic, deterministic) multi-series monthly data set.

    Panels ``Demo-A``, ``Demo-B``, ... each with series ``thermal``, ``hydro``, ``wind`` (TWh/month):
    ``x_s(t) = L_s exp(g_s t) (1 + a_s sin(2π(t - φ_s))) (1 + 0.03 ε)`` with t in years since
    ``start``, panel- and series-specific levels L, growth g, seasonal amplitudes a and phases φ,
    wind following a logistic build-out, and ε i.i.d. standard normal from ``numpy`` seed ``seed``.
    Nothing here is real data.
    """
    rng = np.random.default_rng(seed)
    dates = np.arange(np.datetime64(start, "M"), np.datetime64(end, "M") + np.timedelta64(1, "M"))
    t = month_to_years(dates, dates[0])
    series = ("thermal", "hydro", "wind")
    vals = np.empty((n_panels, len(t), 3))
    for p in range(n_panels):
        scale = 1.0 + 0.5 * p
        thermal = 20 * scale * np.exp(0.04 * t) * (1 + 0.12 * np.cos(2 * np.pi * (t - 0.05)))
        hydro = 6 * scale * np.exp(0.02 * t) * (1 + 0.45 * np.sin(2 * np.pi * (t - 0.3)))
        wind_cap = 4 * scale / (1 + np.exp(-(t - 7.0) / 2.0))
        wind = wind_cap * (1 + 0.2 * np.cos(2 * np.pi * (t - 0.2)))
        clean = np.stack([thermal, hydro, wind + 0.05], axis=-1)
        vals[p] = clean * (1 + 0.03 * rng.standard_normal(clean.shape))
    panels = tuple(f"Demo-{chr(ord('A') + p)}" for p in range(n_panels))
    return NodeData(panels, series, dates, vals, "TWh/month",
                    f"cpjax.node.demo_data(n_panels={n_panels}, start={start}, end={end}, "
                    f"seed={seed}) (synthetic)")
