"""Panel data for global models: long tables (``unique_id, ds, y`` + covariates) to packed,
per-series-scaled windows (the layout of :class:`cpjax.nn.GlobalMLP`).

* Each series has its own :class:`~cpjax.data.CategoryScaler`, fitted on that series' training
  rows only (rows on or before its cutoff); the target is min-max scaled like the single-series
  forecaster's.
* Historical covariates (``hist_exog``) are forward-filled within a series (leading rows without
  a value are dropped) and known only up to the origin.
* Future-known covariates: calendar features of :func:`cpjax.data.calendar_features` for the
  series' market (the default) and user columns ``futr_exog``; beyond the data they come from a
  ``futr_df`` (calendar features are derived from its dates).
* Static covariates (``static_df``: one row per ``unique_id``): text columns one-hot, numeric
  columns standardised across series.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from .._errors import CpjaxInputError
from ..data import MARKET_CALENDARS, CategoryScaler, calendar_features, make_windows, read_table

__all__ = ["CALENDAR_COLUMNS", "PanelLayout", "SeriesData", "build_layout", "build_series",
           "future_rows", "packed_windows", "read_panel", "resolve_markets"]

#: calendar features used as future-known channels (cyclic weekday/month, trading-day gaps,
#: holidays, compliance deadlines)
CALENDAR_COLUMNS = ("dow_sin", "dow_cos", "month_sin", "month_cos", "days_since_trading",
                    "days_to_trading", "holiday", "days_to_holiday", "days_since_holiday",
                    "days_to_deadline", "in_compliance_season")


@dataclasses.dataclass(frozen=True)
class PanelLayout:
    """The channel layout shared by every series of a panel (saved with a fitted model).

    Attributes:
        series: the ``unique_id`` values in index order (the series index channel).
        hist_exog, futr_exog: user covariate columns (historical / future-known).
        calendar: calendar feature columns used (empty: none).
        markets: ``unique_id -> market`` of the calendar features.
        static: ``unique_id -> encoded static values`` (``static_names`` in order).
        static_names: names of the encoded static channels (``market=guangdong``, ...).
        scaling: scaling categories overriding :func:`cpjax.data.guess_category`.
    """

    series: tuple[str, ...]
    hist_exog: tuple[str, ...]
    futr_exog: tuple[str, ...]
    calendar: tuple[str, ...]
    markets: dict[str, str]
    static: dict[str, list[float]]
    static_names: tuple[str, ...]
    scaling: dict[str, str]

    @property
    def n_hist(self) -> int:
        return 1 + len(self.hist_exog)

    @property
    def n_futr(self) -> int:
        return len(self.futr_exog) + len(self.calendar)

    @property
    def channels(self) -> list[str]:
        return ["y", *self.hist_exog, *self.futr_exog, *self.calendar, *self.static_names,
                "series_index"]

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: Mapping) -> PanelLayout:
        d = dict(d)
        for k in ("series", "hist_exog", "futr_exog", "calendar", "static_names"):
            d[k] = tuple(d[k])
        return cls(**d)


@dataclasses.dataclass(frozen=True)
class SeriesData:
    """One series ready for windows: ``values`` ``(T, C)`` scaled channels (layout order),
    ``y`` ``(T,)`` the target in original units, ``n_train`` rows on or before the cutoff."""

    uid: str
    index: int
    dates: pd.DatetimeIndex
    y: np.ndarray
    values: np.ndarray
    scaler: CategoryScaler
    n_train: int


def read_panel(data, *, date_format: str | None = None) -> pd.DataFrame:
    """Read a long table and check it has ``unique_id``, ``ds`` and a numeric ``y``."""
    df = read_table(data, date_format=date_format)
    source = df.attrs.get("source", "the table")
    missing = [c for c in ("unique_id", "y") if c not in df.columns]
    if missing:
        raise CpjaxInputError(f"{source} is not a long table: column(s) {missing} missing; fix: "
                              "give columns unique_id, ds, y (+ covariates), as neuralforecast "
                              "reads them")
    if not pd.api.types.is_numeric_dtype(df["y"]):
        raise CpjaxInputError(f"column 'y' of {source} is not numeric; fix: clean the values")
    df = df.dropna(subset=["y"]).copy()
    df["unique_id"] = df["unique_id"].astype(str)
    df.attrs["source"] = source
    return df.sort_values(["unique_id", "ds"], kind="stable").reset_index(drop=True)


def resolve_markets(series: Sequence[str], static_df: pd.DataFrame | None,
                    markets) -> dict[str, str] | None:
    """The calendar market of each series: ``markets`` (one name or a mapping), else a static
    ``market`` column, else the ``unique_id`` itself when it names a market; ``None`` when some
    series has no known market (then no calendar features)."""
    if isinstance(markets, str):
        return {s: markets for s in series}
    out = {}
    stat = {}
    if static_df is not None and "market" in static_df.columns:
        stat = dict(zip(static_df["unique_id"].astype(str), static_df["market"].astype(str)))
    for s in series:
        m = (markets or {}).get(s) or stat.get(s) or s
        m = str(m).strip().lower()
        if m not in MARKET_CALENDARS:
            if markets is not None and s in markets:
                raise CpjaxInputError(f"unknown market {m!r} for series {s!r}; fix: use one of "
                                      f"{', '.join(MARKET_CALENDARS)}")
            return None
        out[s] = m
    return out


def _encode_static(series: Sequence[str], static_df: pd.DataFrame | None
                   ) -> tuple[dict[str, list[float]], tuple[str, ...]]:
    if static_df is None or len(static_df.columns) <= 1:
        return {s: [] for s in series}, ()
    if "unique_id" not in static_df.columns:
        raise CpjaxInputError("static_df needs a 'unique_id' column (one row per series); fix: "
                              "add it")
    st = static_df.assign(unique_id=static_df["unique_id"].astype(str)).set_index("unique_id")
    if st.index.duplicated().any():
        raise CpjaxInputError("static_df has several rows for one unique_id; fix: one row each")
    absent = [s for s in series if s not in st.index]
    if absent:
        raise CpjaxInputError(f"static_df has no row for series {absent[:5]}; fix: add them")
    st = st.loc[list(series)]
    cols, names = [], []
    for c in st.columns:
        v = st[c]
        if pd.api.types.is_numeric_dtype(v):
            x = v.to_numpy(np.float64)
            sd = x.std()
            cols.append((x - x.mean()) / (sd if sd > 0 else 1.0))
            names.append(str(c))
        else:
            for level in sorted(v.astype(str).unique()):
                cols.append((v.astype(str) == level).to_numpy(np.float64))
                names.append(f"{c}={level}")
    mat = np.stack(cols, axis=1)
    return {s: mat[i].tolist() for i, s in enumerate(series)}, tuple(names)


def build_layout(df: pd.DataFrame, static_df: pd.DataFrame | None = None, *,
                 hist_exog: Sequence[str] | None = None, futr_exog: Sequence[str] = (),
                 calendar: bool = True, markets=None,
                 scaling: Mapping[str, str] | None = None) -> PanelLayout:
    """The channel layout of a panel (see module notes); ``hist_exog=None``: every numeric
    column besides ``y`` and ``futr_exog``."""
    source = df.attrs.get("source", "the table")
    futr_exog = tuple(futr_exog or ())
    if hist_exog is None:
        hist_exog = [c for c in df.columns if c not in ("unique_id", "ds", "y", *futr_exog)
                     and pd.api.types.is_numeric_dtype(df[c])]
    for c in (*hist_exog, *futr_exog):
        if c not in df.columns:
            raise CpjaxInputError(f"covariate {c!r} is not a column of {source} (columns: "
                                  f"{', '.join(map(str, df.columns))}); fix: correct the name")
        if not pd.api.types.is_numeric_dtype(df[c]):
            raise CpjaxInputError(f"covariate {c!r} of {source} is not numeric; fix: encode it")
    series = tuple(sorted(df["unique_id"].unique()))
    mk = resolve_markets(series, static_df, markets) if calendar else None
    if calendar and markets is not None and mk is None:
        raise CpjaxInputError("no calendar market for some series; fix: pass markets=")
    static, names = _encode_static(series, static_df)
    return PanelLayout(series, tuple(hist_exog), futr_exog,
                       CALENDAR_COLUMNS if mk else (), mk or {}, static, names,
                       dict(scaling or {}))


def _calendar(layout: PanelLayout, uid: str, dates) -> pd.DataFrame:
    cal = calendar_features(pd.DatetimeIndex(dates), layout.markets[uid], outside="flag")
    return cal[list(layout.calendar)].reset_index(drop=True)


def build_series(df: pd.DataFrame, layout: PanelLayout, uid: str, cutoff,
                 scaler: CategoryScaler | None = None) -> SeriesData:
    """Series ``uid`` of long table ``df`` scaled with its own scaler, fitted on the rows on or
    before ``cutoff`` (``None``: every row) unless a fitted ``scaler`` is given."""
    part = df[df["unique_id"] == uid].sort_values("ds")
    frame = part[["ds", "y", *layout.hist_exog, *layout.futr_exog]].reset_index(drop=True)
    if layout.hist_exog:  # known up to each row: carry the last value forward
        frame[list(layout.hist_exog)] = frame[list(layout.hist_exog)].ffill()
        frame = frame.dropna(subset=list(layout.hist_exog)).reset_index(drop=True)
    if frame[list(layout.futr_exog)].isna().to_numpy().any():
        raise CpjaxInputError(f"future-known covariates of series {uid!r} have missing values; "
                              "fix: fill them (they must be known on every date)")
    if layout.calendar:
        frame = pd.concat([frame, _calendar(layout, uid, frame["ds"])], axis=1)
    dates = pd.DatetimeIndex(frame["ds"])
    n_train = len(dates) if cutoff is None else int(np.searchsorted(
        dates.values, pd.Timestamp(cutoff).to_datetime64(), side="right"))
    cols = ["y", *layout.hist_exog, *layout.futr_exog, *layout.calendar]
    if scaler is None:
        if n_train < 2:
            raise CpjaxInputError(f"series {uid!r} has {n_train} row(s) on or before the training "
                                  f"end {pd.Timestamp(cutoff).date()}; fix: a later cutoff or "
                                  "drop the series")
        cats = {c: "minmax" for c in layout.calendar}
        cats.update({"y": "minmax", **layout.scaling})
        scaler = CategoryScaler(cats).fit(frame, train_mask=np.arange(len(frame)) < n_train,
                                          columns=cols)
    scaled = scaler.transform(frame)[cols].to_numpy(np.float64)
    index = layout.series.index(uid)
    const = np.array([*layout.static.get(uid, []), float(index)], np.float64)
    values = np.concatenate([scaled, np.broadcast_to(const, (len(frame), const.size))], axis=1)
    return SeriesData(uid, index, dates, frame["y"].to_numpy(np.float64), values, scaler,
                      n_train)


def packed_windows(sd: SeriesData, layout: PanelLayout, lookback: int, horizon: int,
                   future: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Packed windows ``(N, L + H, C)`` with targets ``(N, H)`` (scaled) and origins ``(N,)``.

    Without ``future``: every origin whose ``H`` targets are in the data.  With ``future``
    (``(H, C)`` scaled rows after the last date, hist channels ignored): the one window at the
    last row, with NaN targets.
    """
    L, H, nh = lookback, horizon, layout.n_hist
    y_scaled = sd.values[:, 0]
    if future is None:
        w = make_windows(sd.values, y_scaled, L, H, source=f"series {sd.uid!r}")
        rows = w.origin[:, None] + np.arange(1, H + 1)
        fut = sd.values[rows]
        X_hist, Y, origin = w.X, w.y, w.origin
    else:
        if len(sd.values) < L:
            raise CpjaxInputError(f"series {sd.uid!r} has {len(sd.values)} rows, fewer than the "
                                  f"lookback {L}; fix: a shorter lookback")
        X_hist = sd.values[-L:][None].astype(np.float32)
        fut = np.asarray(future, np.float64)[None]
        Y = np.full((1, H), np.nan, np.float32)
        origin = np.array([len(sd.values) - 1])
    fut = fut.copy()
    fut[..., :nh] = 0.0
    X = np.concatenate([X_hist, fut.astype(np.float32)], axis=1)
    bad = ~np.isfinite(X)
    if bad.any():
        raise CpjaxInputError(f"series {sd.uid!r}: windows contain NaN/Inf; fix: fill the "
                              "covariates")
    return X, np.asarray(Y, np.float32), origin


def future_rows(sd: SeriesData, layout: PanelLayout, dates: pd.DatetimeIndex,
                futr_df: pd.DataFrame | None) -> np.ndarray:
    """Scaled channel rows ``(H, C)`` for the forecast dates of series ``sd`` (hist channels
    zero): user future covariates from ``futr_df``, calendar features from the dates."""
    H = len(dates)
    frame = pd.DataFrame({"ds": dates, "y": 0.0})
    for c in layout.hist_exog:  # unknown after the origin: placeholders, zeroed in the window
        frame[c] = 1.0
    if layout.futr_exog:
        if futr_df is None:
            raise CpjaxInputError(f"the model uses future-known covariates "
                                  f"{list(layout.futr_exog)}; fix: pass futr_df with columns "
                                  "unique_id, ds and those columns for the forecast dates")
        miss = [c for c in ("unique_id", "ds", *layout.futr_exog) if c not in futr_df.columns]
        if miss:
            raise CpjaxInputError(f"futr_df lacks column(s) {miss} needed as future-known "
                                  f"covariates; fix: add them for the next {H} dates of every "
                                  "series")
        f = futr_df[futr_df["unique_id"].astype(str) == sd.uid].copy()
        f["ds"] = pd.to_datetime(f["ds"])
        f = f.set_index("ds").reindex(dates)
        if f[list(layout.futr_exog)].isna().to_numpy().any():
            gone = [d.date() for d in dates[f[list(layout.futr_exog)].isna().any(axis=1)]][:3]
            raise CpjaxInputError(f"futr_df has no values of {list(layout.futr_exog)} for series "
                                  f"{sd.uid!r} on {gone}; fix: give every forecast date")
        for c in layout.futr_exog:
            frame[c] = f[c].to_numpy(np.float64)
    if layout.calendar:
        frame = pd.concat([frame, _calendar(layout, sd.uid, dates)], axis=1)
    cols = ["y", *layout.hist_exog, *layout.futr_exog, *layout.calendar]
    scaled = sd.scaler.transform(frame)[cols].to_numpy(np.float64)
    const = sd.values[-1, len(cols):]
    return np.concatenate([scaled, np.broadcast_to(const, (H, const.size))], axis=1)
