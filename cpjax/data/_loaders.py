"""Loaders for the real development data in ``../shared/data`` (never copied into the repo).

Each loader maps the file's columns to clean names (see docs/data.md for the tables), returns a
DataFrame with ``ds`` dates where the data are dated, and records what it changed in
``df.attrs["cpjax_report"]`` (rows dropped, values filled, duplicates merged) and the licence
notice in ``df.attrs["licence"]``. When the folder is absent a CpjaxInputError says where it was
looked for.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from cpjax._errors import CpjaxInputError, unknown_name_message
from cpjax._paths import SHARED_DATA_ENV, shared_data_dir

from ._read import read_table
from ._ytd import ytd_to_monthly

__all__ = ["COVARIATE_COLUMNS", "EUA_COLUMNS", "PILOT_MARKETS", "data_file", "load_coal_units",
           "load_eua", "load_gas_units", "load_pilot_closes", "load_pilot_ohlcv",
           "load_provincial_generation", "load_thermal_hours"]

_CCPRED = "Xinyi-Lai/CCpred (MIT), see LICENSE-source-ccpred.txt"
_OHLCV_LIC = "FateMurphy/CEEMDAN_LSTM datasets (MIT), see LICENSE-source-ohlcv.txt"
_GEM = "Global Energy Monitor, {tracker}, CC BY 4.0"
_NBS = ("National Bureau of Statistics series as compiled in energyandcleanair/china_co2 "
        "(GPL-3.0 repository)")

#: pilot_close_with_covariates.csv: pilot close columns -> clean names (CNY/t)
PILOT_MARKETS = {f"{m}_cny": m for m in ("guangdong", "hubei", "shanghai", "beijing", "fujian",
                                          "chongqing", "tianjin", "shenzhen")}
#: pilot_close_with_covariates.csv: covariate columns -> clean names
COVARIATE_COLUMNS = {
    "eua_fut_eur": "eua_futures", "wti_usd": "wti", "brent_usd": "brent",
    "zce_thermal_coal_cny": "thermal_coal", "dce_coking_coal_cny": "coking_coal",
    "rotterdam_coal_usd": "rotterdam_coal", "us_natgas_usd": "us_natgas",
    "shfe_fuel_oil_cny": "shfe_fuel_oil", "us_fuel_oil_usd": "us_fuel_oil", "csi300": "csi300",
    "djia": "djia", "usd_cny": "usdcny",
}
#: eua_daily_with_covariates.csv -> clean names
EUA_COLUMNS = {
    "eua_eur": "eua", "de_power_eur_mwh": "de_power", "brent_usd": "brent",
    "wti_fut_usd": "wti_futures", "ttf_eur_mwh": "ttf_gas", "henryhub_fut_usd": "henryhub_futures",
    "api2_coal_usd": "api2_coal", "gasoline_fut_usd": "gasoline_futures", "djia": "djia",
    "sp500": "sp500", "usd_eur": "usdeur",
}
_OHLCV = {"open": "open", "high": "high", "low": "low", "close": "close", "volume_t": "volume",
          "amount_cny": "amount"}


def _looked_in() -> list[str]:
    env = os.environ.get(SHARED_DATA_ENV)
    places = [f"${SHARED_DATA_ENV}={env}" if env else f"${SHARED_DATA_ENV} (unset)"]
    places += [str(Path.cwd().parent / "shared" / "data"),
               str(Path(__file__).resolve().parents[3] / "shared" / "data")]
    return places


def data_file(relative: str, data_dir: str | os.PathLike | None = None) -> Path:
    """Path of a development-data file; CpjaxInputError when the folder or file is absent."""
    root = Path(data_dir) if data_dir is not None else shared_data_dir()
    if root is None or not root.is_dir():
        where = [str(data_dir)] if data_dir is not None else _looked_in()
        raise CpjaxInputError(
            f"development data folder not found (looked in: {'; '.join(where)}); fix: set "
            f"{SHARED_DATA_ENV} to the folder holding china_pilots/, eu_ets/, power/, plants/, "
            "or use the synthetic cpjax.data.demo_market()")
    path = root / relative
    if not path.is_file():
        raise CpjaxInputError(f"development data file not found: {path}; fix: restore "
                              f"{relative} under {root} or point {SHARED_DATA_ENV} elsewhere")
    return path


def _covariates(data_dir) -> pd.DataFrame:
    df = read_table(data_file("china_pilots/pilot_close_with_covariates.csv", data_dir))
    return df.rename(columns={**PILOT_MARKETS, **COVARIATE_COLUMNS})


def load_pilot_closes(*, include_covariates: bool = False, data_dir=None) -> pd.DataFrame:
    """Closing prices (CNY/t) of the 8 Chinese pilot markets, NaN where a market did not trade.

    Source: ``china_pilots/pilot_close_with_covariates.csv`` (2016-07-21 .. 2023-07-24).
    Columns ``ds`` + :data:`PILOT_MARKETS` values (+ :data:`COVARIATE_COLUMNS` values).
    """
    df = _covariates(data_dir)
    if not include_covariates:
        df = df[["ds", *PILOT_MARKETS.values()]]
    df.attrs["licence"] = _CCPRED
    return df


def load_pilot_ohlcv(market: str = "guangdong",
                     covariates: Sequence[str] | str | None = ("csi300", "usdcny", "eua_futures"),
                     *, fill_high_low: bool = True, max_stale_days: float | None = None,
                     data_dir=None) -> pd.DataFrame:
    """Daily OHLCV of the Guangdong or Hubei pilot joined with covariates on its trading days.

    Join rule: the OHLCV trading days are the calendar. Each covariate takes its last value
    published on or before the trading day (forward fill, never a later value). Rows with no
    such value (the OHLCV days before the covariate table starts, 2016-07-21) are dropped, as
    are rows whose value is older than ``max_stale_days`` calendar days when that is set
    (default: no limit, so no holes appear inside the series); ``attrs["cpjax_report"]`` counts
    the dropped rows and the rows whose covariates are more than 10 days old. Blank high/low cells (18 Guangdong rows, 2015-2018) are set to
    ``max(open, close)`` / ``min(open, close)`` when ``fill_high_low``. Other values are as
    published (637 Guangdong rows have low > min(open, close) or high < max(open, close)).
    The Hubei file's open and close columns are swapped in the source (its "open" equals the
    next row's "close" on 99.7% of rows); the loader swaps them back and says so in the report.

    Arguments:
        market: ``"guangdong"`` or ``"hubei"``.
        covariates: clean covariate names (:data:`COVARIATE_COLUMNS` values), ``"all"``, or
            ``None`` for OHLCV only.
        fill_high_low: fill blank high/low as above (else they stay NaN).
        max_stale_days: oldest covariate value accepted, in calendar days (``None``: any).
        data_dir: development-data folder (default: :func:`cpjax._paths.shared_data_dir`).

    Returns:
        ``ds, open, high, low, close, volume, amount, <covariates>``; close in CNY/t,
        volume in t, amount in CNY.

    Example:
        >>> df = load_pilot_ohlcv("hubei", covariates="all")  # doctest: +SKIP
    """
    if market not in ("guangdong", "hubei"):
        raise CpjaxInputError(unknown_name_message("pilot market", market, ["guangdong", "hubei"])
                              + " Fix: OHLCV files exist for these two markets.")
    df = read_table(data_file(f"china_pilots/{market}_ohlcv.csv", data_dir)).rename(
        columns=_OHLCV)
    report = {"file": f"china_pilots/{market}_ohlcv.csv", "rows_in_file": len(df)}
    # hubei_ohlcv.csv has its open and close columns swapped: its 'open' is the day's close (it
    # lies in [low, high] on 99.7% of rows and tracks the pilot table's Hubei close best) and
    # its 'close' is the previous day's close, so open(t) == close(t+1) on 99.7% of rows and a
    # model given 'open' would see the next close. Guangdong's 'open' equals the previous close
    # (99.9%). Swap when the file shows the pattern.
    op, cl = df["open"].to_numpy(np.float64), df["close"].to_numpy(np.float64)
    ok = np.isfinite(op[:-1]) & np.isfinite(cl[1:])
    swapped = float(np.mean(np.isclose(op[:-1][ok], cl[1:][ok]))) if ok.any() else 0.0
    if swapped > 0.9:
        df[["open", "close"]] = df[["close", "open"]].to_numpy()
        report["open_close_swapped"] = (f"open(t) == close(t+1) on {swapped:.1%} of rows: "
                                        "columns swapped on load")
    blank = df["high"].isna() | df["low"].isna()
    if fill_high_low:
        df.loc[df["high"].isna(), "high"] = df[["open", "close"]].max(axis=1)
        df.loc[df["low"].isna(), "low"] = df[["open", "close"]].min(axis=1)
    report["high_low_filled" if fill_high_low else "high_low_blank"] = int(blank.sum())
    if covariates is not None:
        names = list(COVARIATE_COLUMNS.values()) if covariates == "all" else (
            [covariates] if isinstance(covariates, str) else list(covariates))
        for n in names:
            if n not in COVARIATE_COLUMNS.values():
                raise CpjaxInputError(unknown_name_message("covariate", n,
                                                           COVARIATE_COLUMNS.values(),
                                                           "pilot_close_with_covariates.csv"))
        cov = _covariates(data_dir)
        t = df["ds"].to_numpy()
        oldest = np.zeros(len(df))
        for n in names:
            s = cov[["ds", n]].dropna()
            src = s["ds"].to_numpy()
            pos = np.searchsorted(src, t, side="right") - 1
            vals = np.full(len(df), np.nan)
            ok = pos >= 0
            age = np.full(len(df), np.inf)
            age[ok] = (t[ok] - src[pos[ok]]) / np.timedelta64(1, "D")
            oldest = np.maximum(oldest, age)
            if max_stale_days is not None:
                ok &= age <= max_stale_days
            vals[ok] = s[n].to_numpy()[pos[ok]]
            df[n] = vals
        missing = df[names].isna().any(axis=1)
        report["rows_dropped_missing_covariates"] = int(missing.sum())
        report["rows_with_covariates_older_than_10_days"] = int(
            ((oldest > 10) & ~missing.to_numpy()).sum())
        if missing.any():
            report["dropped_dates"] = (f"{df['ds'][missing].min().date()} .. "
                                       f"{df['ds'][missing].max().date()}")
        df = df[~missing].reset_index(drop=True)
        report["covariate_file"] = "china_pilots/pilot_close_with_covariates.csv"
    report["rows"] = len(df)
    report["range"] = f"{df['ds'].iloc[0].date()} .. {df['ds'].iloc[-1].date()}"
    df.attrs["cpjax_report"] = report
    df.attrs["licence"] = f"{_OHLCV_LIC}; covariates {_CCPRED}"
    return df


def load_eua(*, duplicates: str = "mean", data_dir=None) -> pd.DataFrame:
    """EU ETS allowance price (EUR/t) with daily covariates (2018-07-09 .. 2023-05-30).

    The file has 27 dates listed twice (two auction prices; the covariates are identical):
    ``duplicates="mean"`` averages them (default), ``"first"``/``"last"`` keep one row.
    Columns ``ds`` + :data:`EUA_COLUMNS` values.
    """
    if duplicates not in ("mean", "first", "last"):
        raise CpjaxInputError(f"unknown duplicates rule {duplicates!r}; "
                              "fix: use 'mean', 'first' or 'last'")
    raw = pd.read_csv(data_file("eu_ets/eua_daily_with_covariates.csv", data_dir))
    n = len(raw)
    if duplicates == "mean":
        raw = raw.groupby("date", sort=True, as_index=False).mean(numeric_only=True)
    else:
        raw = raw.drop_duplicates("date", keep=duplicates)
    df = read_table(raw).rename(columns=EUA_COLUMNS)
    df.attrs["cpjax_report"] = {"file": "eu_ets/eua_daily_with_covariates.csv",
                                "rows_in_file": n, "duplicate_rows_merged": n - len(df),
                                "rule": duplicates}
    df.attrs["licence"] = "Xinyi-Lai/CCpred (MIT), see eu_ets/LICENSE-source.txt"
    return df


def load_provincial_generation(monthly: bool = True, *, jan_feb: str = "days",
                               data_dir=None) -> pd.DataFrame:
    """Provincial power generation by source (10^4 kWh), year-to-date or monthly.

    Source ``power/provincial_generation_monthly_ytd.csv`` (1997-01 .. 2021-12, 31 provinces;
    thermal, hydro, wind, nuclear, solar). A published YTD of 0 means "not reported" (e.g.
    January, when January and February are released together) unless the whole year is 0.

    Arguments:
        monthly: ``True`` converts YTD to monthly values (:func:`cpjax.data.ytd_to_monthly`:
            differences within a year; a combined release is split over its months in
            proportion to their days with ``jan_feb="days"``, equally with ``"equal"``, or left
            on the last month with ``"combined"``); ``False`` returns the published YTD.

    Returns:
        Long table ``ds`` (first day of the month), ``province``, ``source`` and
        ``generation_1e4kwh`` (+ ``generation_ytd_1e4kwh``, ``months_combined``) when monthly,
        ``generation_ytd_1e4kwh`` otherwise.
    """
    raw = pd.read_csv(data_file("power/provincial_generation_monthly_ytd.csv", data_dir))
    raw["ds"] = pd.to_datetime(raw["month"], format="%Y-%m")
    raw = raw.drop(columns="month")[["ds", "province", "source", "generation_ytd_1e4kwh"]]
    raw = raw.sort_values(["province", "source", "ds"]).reset_index(drop=True)
    if monthly:
        raw = ytd_to_monthly(raw, "generation_ytd_1e4kwh", "generation_1e4kwh",
                             groups=("province", "source"), split=jan_feb)
    raw.attrs["licence"] = _NBS
    return raw


def load_thermal_hours(monthly: bool = False, *, jan_feb: str = "days",
                       data_dir=None) -> pd.DataFrame:
    """National average utilisation hours of thermal units (h), year-to-date (2000-12 .. 2021-12).

    The file lists only the months published (annual values before 2003). ``monthly=True``
    returns every month of each year present with ``hours`` per month by the rule of
    :func:`cpjax.data.ytd_to_monthly` (a year published only as a December total is spread over
    its twelve months; ``hours_ytd`` is NaN on months absent from the file).
    """
    raw = pd.read_csv(data_file("power/national_thermal_utilization_hours_ytd.csv", data_dir))
    raw["ds"] = pd.to_datetime(raw["month"], format="%Y-%m")
    df = raw.rename(columns={"thermal_utilization_hours_ytd": "hours_ytd"})[["ds", "hours_ytd"]]
    if monthly:
        df = ytd_to_monthly(df, "hours_ytd", "hours", groups=(), split=jan_feb)
    df.attrs["licence"] = _NBS
    return df


_COAL = {
    "GEM unit/phase ID": "unit_id", "GEM location ID": "location_id", "Country": "country",
    "Wiki URL": "wiki_url", "Plant name": "plant", "Unit name": "unit",
    "Plant name (local)": "plant_local", "Plant name (other)": "plant_other", "Owner": "owner",
    "Parent": "parent", "Capacity (MW)": "capacity_mw", "Status": "status",
    "Start year": "start_year", "Retired year": "retired_year",
    "Planned retirement": "planned_retirement", "Combustion technology": "technology",
    "Coal type": "coal_type", "Coal source": "coal_source", "Alternate Fuel": "alternate_fuel",
    "Location": "location", "Local area (taluk, county)": "county",
    "Major area (prefecture, district)": "prefecture",
    "Subnational unit (province, state)": "province", "Subregion": "subregion",
    "Region": "region", "Previous Region": "previous_region", "Latitude": "latitude",
    "Longitude": "longitude", "Location accuracy": "location_accuracy", "Permits": "permits",
    "Captive": "captive", "Captive industry use": "captive_industry_use",
    "Captive residential use": "captive_residential_use",
    "Heat rate (Btu per kWh)": "heat_rate_btu_per_kwh",
    "Emission factor (kg of CO2 per TJ)": "emission_factor_kg_co2_per_tj",
    "Capacity factor": "capacity_factor", "Annual CO2 (million tonnes / annum)": "annual_co2_mt",
    "Lifetime CO2": "lifetime_co2_mt", "Remaining plant lifetime (years)": "remaining_life_years",
}
_GAS = {
    "Wiki URL": "wiki_url", "Country": "country", "Plant name": "plant",
    "Plant name (local script)": "plant_local", "Unit name": "unit", "Fuel": "fuel",
    "Capacity (MW)": "capacity_mw", "Status": "status", "Technology": "technology", "CHP": "chp",
    "Hydrogen capable?": "hydrogen_capable", "CCS attachment?": "ccs_attachment",
    "Coal-to-gas conversion/replacement?": "coal_to_gas", "Start year": "start_year",
    "Retired year": "retired_year", "Planned retire": "planned_retirement",
    "Operator": "operator", "Owner": "owner", "Parent": "parent", "Latitude": "latitude",
    "Longitude": "longitude", "Location accuracy": "location_accuracy", "City": "city",
    "Local area (taluk/county)": "county", "Major area (prefecture/district)": "prefecture",
    "Subnational unit (province/state)": "province", "Region": "region",
    "Sub-region": "subregion", "Other IDs (location)": "other_ids_location",
    "Other IDs (unit)": "other_ids_unit", "Other plant names": "plant_other",
    "Captive [heat/power/both]": "captive", "Captive industry type": "captive_industry_type",
    "Captive non-industry use [heat/power/both/none]": "captive_non_industry_use",
    "GEM location ID": "location_id", "GEM unit ID": "unit_id",
}


def _units(relative: str, mapping: dict, status, data_dir, tracker: str) -> pd.DataFrame:
    df = pd.read_csv(data_file(relative, data_dir))
    df = df.rename(columns=mapping)
    for c in ("start_year", "retired_year", "planned_retirement", "capacity_mw"):
        if c in df.columns:  # 'not found' and blanks become NaN
            df[c] = pd.to_numeric(df[c], errors="coerce")
    if status is not None:
        wanted = [status] if isinstance(status, str) else list(status)
        known = sorted(df["status"].dropna().unique())
        for s in wanted:
            if s not in known:
                raise CpjaxInputError(unknown_name_message("unit status", s, known, relative))
        df = df[df["status"].isin(wanted)].reset_index(drop=True)
    df.attrs["licence"] = _GEM.format(tracker=tracker)
    return df


def load_coal_units(status: str | Sequence[str] | None = None, *, data_dir=None) -> pd.DataFrame:
    """Chinese coal units of the Global Coal Plant Tracker (July 2023), clean column names.

    ``status="operating"`` keeps the 3,115 operating units (1,108.9 GW). Attribution:
    "Global Energy Monitor, Global Coal Plant Tracker, July 2023" (CC BY 4.0).
    """
    return _units("plants/gcpt_jul2023_china_units.csv", _COAL, status, data_dir,
                  "Global Coal Plant Tracker, July 2023")


def load_gas_units(status: str | Sequence[str] | None = None, *, data_dir=None) -> pd.DataFrame:
    """Chinese oil and gas units (>= 50 MW) of the Global Oil and Gas Plant Tracker (Feb 2024).

    ``start_year`` 'not found' becomes NaN; other fields are as published. Attribution:
    "Global Energy Monitor, Global Oil and Gas Plant Tracker, February 2024" (CC BY 4.0).
    """
    return _units("plants/gogpt_feb2024_china_units.csv", _GAS, status, data_dir,
                  "Global Oil and Gas Plant Tracker, February 2024")
