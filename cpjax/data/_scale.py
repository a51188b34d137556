"""Scaling by category (seed 003), fitted on the training rows only, JSON round trip.

Categories:

- ``"zscore"`` (ratios, rates, exchange rates): ``(x - mean) / std``;
- ``"minmax"`` (absolute levels: prices, volumes, generation): ``(x - min) / (max - min)``;
  test values outside the training range map outside [0, 1];
- ``"growth"`` (index-type series): the period-over-period growth ``g_t = x_t / x_{t-1} - 1``,
  then standardised with the training mean/std of ``g``. The first row of a transformed frame has
  no previous value: its growth is set to 0 (it is the mean-free "no change" value). Inverting
  needs the level before each value (``previous=``): ``x_t = x_{t-1} (1 + g_t)``, chained with a
  cumulative product along a path.

Transform the whole frame, then cut windows and splits: transforming the test part alone would
lose its first growth value. A constant training column gets scale 1 (no division by zero).
Nothing is pickled:
``to_dict``/``from_dict`` give plain JSON.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping

import numpy as np
import pandas as pd

from cpjax._errors import CpjaxInputError, unknown_name_message

__all__ = ["CATEGORIES", "CategoryScaler", "guess_category", "train_rows"]

CATEGORIES = ("zscore", "minmax", "growth")

_FX = re.compile(r"^(usd|eur|cny|gbp|jpy)_?(usd|eur|cny|gbp|jpy)$|fx|exchange", re.I)
_GROWTH = re.compile(r"(index|csi|djia|sp500|s&p|nasdaq|hsi|^ppi|^cpi|_idx)", re.I)
_ZSCORE = re.compile(r"(rate|ratio|pct|percent|yield|shibor|libor|spread|return|share|"
                     r"usd|eur|cny|fx|exchange|temperature|temp|aqi|sentiment|search)", re.I)
# 0/1 indicators (release-day dummies from calendar alignment, flags): never growth-scaled
_DUMMY = re.compile(r"(_release$|_dummy$|_flag$|^is_|^d_)", re.I)
_LEVEL_HINT = re.compile(r"(^open$|^high$|^low$|^close$|^y$|volume|amount|price|_cny$|_eur$|"
                         r"_usd$|generation|capacity)", re.I)


def guess_category(column: str) -> str:
    """Guess a scaling category from a column name (override with ``categories=``).

    Index-like names (``*index*``, ``csi300``, ``djia``, ``sp500``) -> ``"growth"``; rates and
    exchange rates (``*rate*``, ``usdcny``, ``shibor``, ``*ratio*``) -> ``"zscore"``; prices,
    volumes, 0/1 indicators (``*_release``, ``*_dummy``, ``*_flag``) and other levels ->
    ``"minmax"``.

    Example:
        >>> guess_category("csi300"), guess_category("usdcny"), guess_category("close")
        ('growth', 'zscore', 'minmax')
    """
    if _DUMMY.search(column):
        return "minmax"
    if _FX.search(column):
        return "zscore"
    if _GROWTH.search(column):
        return "growth"
    if _LEVEL_HINT.search(column):
        return "minmax"
    if _ZSCORE.search(column):
        return "zscore"
    return "minmax"


def train_rows(df: pd.DataFrame, train_mask=None, train_end=None) -> np.ndarray:
    """Boolean mask of the training rows.

    ``train_mask``: boolean mask, integer row indices (e.g. ``ratio_split(n).train``) or a slice;
    otherwise ``train_end``: a row count (first ``train_end`` rows) or an inclusive end date.
    """
    n = len(df)
    if isinstance(train_mask, slice):
        train_mask = np.arange(n)[train_mask]
    if train_mask is not None:
        m = np.asarray(train_mask)
        if m.dtype == bool:
            if m.shape != (n,):
                raise CpjaxInputError(f"train_mask has shape {m.shape}, the table has {n} rows; "
                                      "fix: pass one boolean per row")
            return m
        mask = np.zeros(n, dtype=bool)
        mask[m.astype(np.int64)] = True
        return mask
    if train_end is None:
        raise CpjaxInputError("fitting needs the training part (train_mask= or train_end=); "
                              "fix: pass train_end=<last training date or row count> so that "
                              "test data never enters the fit")
    if isinstance(train_end, int | np.integer):
        if not 0 < train_end <= n:
            raise CpjaxInputError(f"train_end={train_end} rows is outside 1..{n}; "
                                  "fix: pass a row count within the table")
        return np.arange(n) < train_end
    if "ds" not in df.columns:
        raise CpjaxInputError("train_end is a date but the table has no 'ds' column; "
                              "fix: read it with read_table or pass a row count")
    mask = (df["ds"] <= pd.Timestamp(train_end)).to_numpy()
    if not mask.any():
        raise CpjaxInputError(f"no rows on or before train_end={train_end} (data start "
                              f"{df['ds'].min().date()}); fix: pass a later date")
    return mask


def _growth(x: np.ndarray, name: str) -> np.ndarray:
    prev = x[:-1]
    if np.any(prev[np.isfinite(prev)] == 0):
        raise CpjaxInputError(f"column {name!r} has a zero level, so its growth rate is "
                              "undefined; fix: use categories={%r: 'zscore'}" % name)
    return np.concatenate([[0.0], x[1:] / prev - 1.0])


@dataclasses.dataclass
class CategoryScaler:
    """Per-column scaling by category; ``fit`` on the training part only.

    Arguments:
        categories: ``{column: "zscore"|"minmax"|"growth"}`` overriding :func:`guess_category`.

    Example:
        >>> sc = CategoryScaler({"close": "minmax"}).fit(df, train_end="2022-12-30")  # doctest: +SKIP
        >>> z = sc.transform(df)                                        # doctest: +SKIP
        >>> price = sc.inverse_transform(pred, "close")                 # doctest: +SKIP
    """

    categories: Mapping[str, str] = dataclasses.field(default_factory=dict)
    params: dict[str, dict] = dataclasses.field(default_factory=dict)

    def __post_init__(self):
        self.categories = dict(self.categories)
        for c, cat in self.categories.items():
            if cat not in CATEGORIES:
                raise CpjaxInputError(f"unknown scaling category {cat!r} for column {c!r}; "
                                      f"fix: use one of {', '.join(CATEGORIES)}")

    def fit(self, df: pd.DataFrame, train_mask=None, *, train_end=None,
            columns: list[str] | None = None) -> CategoryScaler:
        """Learn each column's parameters from the training rows; returns ``self``."""
        mask = train_rows(df, train_mask, train_end)
        if columns is None:
            columns = [c for c in df.columns
                       if c not in ("ds", "unique_id") and pd.api.types.is_numeric_dtype(df[c])]
        self.params = {}
        for c in columns:
            if c not in df.columns:
                raise CpjaxInputError(unknown_name_message("column", c, map(str, df.columns))
                                      + " Fix: correct the column name.")
            cat = self.categories.get(c, guess_category(c))
            x = df[c].to_numpy(dtype=np.float64)
            if cat == "growth":
                x = _growth(x, c)
            x = x[mask]
            x = x[np.isfinite(x)]
            if x.size == 0:
                raise CpjaxInputError(f"column {c!r} has no finite training values; "
                                      "fix: impute it or drop it before scaling")
            if cat == "minmax":
                a, b = float(x.min()), float(x.max() - x.min())
            else:
                a, b = float(x.mean()), float(x.std())
            # (near-)constant training column: scale 1 rather than a division by ~0
            tiny = max(1e-12 * float(np.abs(x).max()), 1e-200)
            self.params[c] = {"category": cat, "shift": a, "scale": b if b > tiny else 1.0}
        return self

    def _p(self, column: str) -> dict:
        if column not in self.params:
            raise CpjaxInputError(unknown_name_message("fitted column", column, self.params)
                                  + " Fix: fit the scaler on a table containing it.")
        return self.params[column]

    def transform(self, df: pd.DataFrame) -> pd.DataFrame:
        """Scale every fitted column of ``df`` (other columns are returned unchanged)."""
        if not self.params:
            raise CpjaxInputError("the scaler is not fitted; fix: call fit(df, train_end=...)")
        out = df.copy()
        for c, p in self.params.items():
            if c not in out.columns:
                continue
            x = out[c].to_numpy(dtype=np.float64)
            if p["category"] == "growth":
                x = _growth(x, c)
            out[c] = (x - p["shift"]) / p["scale"]
        return out

    def transform_values(self, values, column: str, *, previous=None) -> np.ndarray:
        """Scale raw values of one column; growth columns need ``previous`` (see module notes)."""
        p = self._p(column)
        x = np.asarray(values, dtype=np.float64)
        if p["category"] == "growth":
            if previous is None:
                raise CpjaxInputError(f"column {column!r} is scaled as growth; fix: pass "
                                      "previous=<level before the first value>")
            prev = np.asarray(previous, dtype=np.float64)
            if prev.ndim == 0 and x.ndim == 1:
                prev = np.concatenate([[prev], x[:-1]])
            elif x.ndim == 2:
                prev = np.concatenate([prev.reshape(-1, 1), x[:, :-1]], axis=1)
            x = x / prev - 1.0
        return (x - p["shift"]) / p["scale"]

    def inverse_transform(self, values, column: str, *, previous=None) -> np.ndarray:
        """Map scaled values of ``column`` back to its original units (e.g. CNY/t).

        For a growth column pass ``previous``: a scalar (the level before a 1-D path, chained),
        one level per row for a 1-D array of one-step forecasts, or one per row of an
        ``(N, H)`` array of multi-step paths (chained along H).
        """
        p = self._p(column)
        x = np.asarray(values, dtype=np.float64) * p["scale"] + p["shift"]
        if p["category"] != "growth":
            return x
        if previous is None:
            raise CpjaxInputError(f"column {column!r} is scaled as growth; fix: pass "
                                  "previous=<level before the first value>")
        prev = np.asarray(previous, dtype=np.float64)
        if prev.ndim == 0:
            return prev * np.cumprod(1.0 + x, axis=-1)
        if x.ndim == 2:
            return prev.reshape(-1, 1) * np.cumprod(1.0 + x, axis=1)
        return prev * (1.0 + x)

    def to_dict(self) -> dict:
        """Plain-JSON state (``json.dumps`` works on it)."""
        return {"format": "cpjax.CategoryScaler", "version": 1,
                "categories": dict(self.categories), "params": self.params}

    @classmethod
    def from_dict(cls, state: Mapping) -> CategoryScaler:
        """Rebuild a fitted scaler from :meth:`to_dict` output (or its JSON text)."""
        if isinstance(state, str):
            state = json.loads(state)
        if state.get("format") != "cpjax.CategoryScaler":
            raise CpjaxInputError("not a cpjax CategoryScaler state; fix: pass the dict "
                                  "written by CategoryScaler.to_dict()")
        sc = cls(state.get("categories", {}))
        sc.params = {c: {"category": str(p["category"]), "shift": float(p["shift"]),
                         "scale": float(p["scale"])} for c, p in state["params"].items()}
        return sc
