"""Upper bounds on provincial thermal generation from installed capacity x utilisation hours.

Sources (development data, never copied into the repository):

* capacity: Global Energy Monitor's Global Coal Plant Tracker (July 2023) and Global Oil and Gas
  Plant Tracker (February 2024), CC BY 4.0, via :func:`cpjax.data.load_coal_units` and
  :func:`cpjax.data.load_gas_units` (units >= 30 MW coal, >= 50 MW oil/gas, with province, status,
  start and retirement years);
* hours: the national average utilisation hours of thermal units 2000–2021 (NBS via
  energyandcleanair/china_co2), :func:`cpjax.data.load_thermal_hours`.

Rule, for province ``p`` and year ``y``:

* ``C_p(y)`` (GW) = units that exist in ``y`` (status operating, mothballed or retired, started by
  ``y`` or with an unknown start year, and not retired by ``y``; a retired unit without a
  retirement year is not counted) plus every unit in the pipeline (coal: construction,
  permitted, pre-permit, announced; gas: construction, pre-construction, announced) from its
  planned start year (from the first year when unknown): an upper estimate (no planned
  retirement is subtracted);
* ``H_p`` (hours/year) = the larger of the highest national thermal utilisation (5,991 h in 2004)
  and the highest effective provincial utilisation observed (NBS thermal generation divided by
  the capacity existing that year, over the years of the history given): the trackers miss
  small units, biomass and waste plants, which NBS counts as thermal;
* upper bound ``U_p(y) = C_p(y) · H_p`` (TWh/year).

On 2008–2021 the ratio of NBS thermal generation to existing tracker capacity x national hours is
0.8–1.3 in 29 of 31 provinces (Yunnan and Tibet lower), so the bound is of the right size.
"""

from __future__ import annotations

import numpy as np

__all__ = ["thermal_upper_bounds", "CAPACITY_SOURCES"]

CAPACITY_SOURCES = (
    "Global Energy Monitor, Global Coal Plant Tracker, July 2023 (CC BY 4.0); Global Energy "
    "Monitor, Global Oil and Gas Plant Tracker, February 2024 (CC BY 4.0); national thermal "
    "utilisation hours 2000-2021, NBS via energyandcleanair/china_co2")
_BUILT = ("operating", "mothballed", "retired")
_PIPELINE = ("construction", "permitted", "pre-permit", "announced", "pre-construction")
_PROVINCE_FIXES = {"Jangsu": "Jiangsu"}  # a misspelling in the gas tracker


def _units(data_dir):
    import pandas as pd

    from ..data import load_coal_units, load_gas_units

    cols = ["province", "capacity_mw", "status", "start_year", "retired_year"]
    coal = load_coal_units(data_dir=data_dir)[cols]
    gas = load_gas_units(data_dir=data_dir)[cols]
    units = pd.concat([coal, gas], ignore_index=True)
    units["province"] = units["province"].replace(_PROVINCE_FIXES)
    return units


def _capacity_gw(units, province: str, year: int, pipeline: bool) -> float:
    u = units[units["province"] == province]
    start, ret = u["start_year"], u["retired_year"]
    built = u["status"].isin(_BUILT) & ~(start > year) & ~(ret <= year)
    built &= ~((u["status"] == "retired") & ret.isna())
    cap = u.loc[built, "capacity_mw"].sum()
    if pipeline:
        pipe = u["status"].isin(_PIPELINE) & ~(start > year)
        cap += u.loc[pipe, "capacity_mw"].sum()
    return float(cap) / 1e3


def thermal_upper_bounds(provinces, years, history: dict | None = None,
                         data_dir=None) -> dict | None:
    """``U_p(y)`` for each province and year (module notes), or ``None`` without the data.

    Arguments:
        provinces: names as in the NBS table (e.g. ``"Shandong"``); names the trackers do not
            know get no bound.
        years: the years to bound.
        history: optional ``{province: {year: observed thermal TWh}}`` for the effective hours.
        data_dir: development-data folder (default :func:`cpjax._paths.shared_data_dir`).

    Returns:
        ``{province: {"upper_twh": {year: U}, "capacity_gw": {year: C}, "hours": H}}``
        (provinces the trackers do not know are left out).
    """
    from .._errors import CpjaxInputError
    from ..data import load_thermal_hours

    try:
        units = _units(data_dir)
        hours = load_thermal_hours(data_dir=data_dir)
    except CpjaxInputError:
        return None
    national = float(hours.loc[hours["ds"].dt.month == 12, "hours_ytd"].max())
    known = set(units["province"].dropna())
    out = {}
    for prov in provinces:
        if prov not in known:
            continue
        h = national
        for y, gen in (history or {}).get(prov, {}).items():
            cap = _capacity_gw(units, prov, int(y), pipeline=False)
            if cap > 0 and np.isfinite(gen):
                h = max(h, 1e3 * gen / cap)
        caps = {int(y): _capacity_gw(units, prov, int(y), pipeline=True) for y in years}
        out[prov] = {"upper_twh": {y: c * h / 1e3 for y, c in caps.items()},
                     "capacity_gw": caps, "hours": h}
    return out
