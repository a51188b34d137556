"""Which data a run reads and how it is split: one frozen specification for every harness.

``run_forecast``, ``compare_models``, ``run_ablation``, ``backtest`` and ``tune`` take a
:class:`DataSpec` (or, for the defaults, just the table or its path).  It is the one place that
reads the table, picks the series of a long table, resolves the target, finds where the
training part ends and chooses the input columns (given, or selected on the training rows
only).
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any

import numpy as np
import pandas as pd

from .._errors import CpjaxInputError
from ..data import granger_filter, pearson_select
from ._prepare import load_frame, resolve_features, resolve_target, train_end_row

__all__ = ["DataSpec", "LoadedData", "as_data_spec", "select_features"]

#: feature-selection rules of :attr:`DataSpec.select`
SELECTIONS = ("pcc", "pcc+granger")


@dataclasses.dataclass(frozen=True, eq=False)
class DataSpec:
    """The data of a run (frozen; compare two specs with :meth:`describe`).

    Attributes:
        data: a DataFrame, or the path of a CSV/Excel file: wide (``ds`` + columns) or long
            (``unique_id, ds, y``; pick the series with ``unique_id``).
        target: column to forecast (default ``y``, else ``close``).
        features: input columns besides the target (default: every numeric column); not with
            ``select``.
        select: choose the inputs on the training rows only: ``"pcc"`` (seed 000: OHLCV +
            factors with |r| >= 0.5) or ``"pcc+granger"`` (then keep the factors that
            Granger-cause the target).
        split: training fraction of the rows (default 0.7); not with ``test_start``.
        test_start: first date of the test part.
        unique_id: the series of a long table.
        date_format: ``strftime`` format of the dates of a file (detected when omitted).

    Example:
        >>> from cpjax.data import demo_market
        >>> spec = DataSpec(demo_market(n_days=200), target="close", split=0.8)
        >>> spec.load().n_train
        160
    """

    data: Any
    target: str | None = None
    features: tuple[str, ...] | None = None
    select: str | None = None
    split: float | None = None
    test_start: Any = None
    unique_id: str | None = None
    date_format: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.data, pd.DataFrame | str | os.PathLike):
            raise CpjaxInputError(f"data must be a DataFrame or the path of a CSV/Excel file, "
                                  f"got {type(self.data).__name__}")
        if self.features is not None:
            feats = [self.features] if isinstance(self.features, str) else list(self.features)
            if not all(isinstance(f, str) and f for f in feats):
                raise CpjaxInputError(f"features must be column names, got {self.features!r}")
            object.__setattr__(self, "features", tuple(feats))
        if self.select is not None:
            if self.select not in SELECTIONS:
                raise CpjaxInputError(f"unknown feature selection {self.select!r}; fix: use "
                                      f"{' or '.join(repr(s) for s in SELECTIONS)}")
            if self.features is not None:
                raise CpjaxInputError("give either features (--features) or a selection "
                                      "(--select), not both")
        if self.split is not None:
            if isinstance(self.split, bool) or not isinstance(self.split, int | float) \
                    or not 0 < self.split < 1:
                raise CpjaxInputError(f"split must be a fraction in (0, 1), got "
                                      f"{self.split!r}; fix: e.g. 0.7")
            if self.test_start is not None:
                raise CpjaxInputError("give either split (--split) or test_start "
                                      "(--test-start), not both")

    def read(self) -> tuple[pd.DataFrame, str, str]:
        """``(table, source, target)``: the table as read (one series of a long table), the
        name of its source and the resolved target."""
        df, source = load_frame(self.data, self.unique_id, self.date_format)
        return df, source, resolve_target(df, self.target, source)

    def inputs(self, df: pd.DataFrame, target: str, n_train: int
               ) -> tuple[list[str] | None, pd.DataFrame | None]:
        """``(features, selection report)``: the given features, or those chosen by
        :attr:`select` on the first ``n_train`` rows (``None``: the model's default)."""
        if self.select is None:
            return (None if self.features is None else list(self.features)), None
        resolve_features(df, target, None)
        return select_features(df, target, n_train, self.select)

    def load(self) -> LoadedData:
        """Read, split and choose the inputs (the harnesses' one data path)."""
        df, source, target = self.read()
        n_train = train_end_row(pd.DatetimeIndex(df["ds"]), self.split, self.test_start)
        features, selection = self.inputs(df, target, n_train)
        return LoadedData(df, source, target, n_train, features, selection)

    def describe(self) -> dict[str, Any]:
        """The specification as JSON (the data by its source name), for ``config.json``."""
        source = self.data.attrs.get("source", "a DataFrame") \
            if isinstance(self.data, pd.DataFrame) else os.fspath(self.data)
        return {"data": str(source), "target": self.target,
                "features": None if self.features is None else list(self.features),
                "select": self.select, "split": self.split,
                "test_start": None if self.test_start is None else str(self.test_start),
                "unique_id": self.unique_id, "date_format": self.date_format}


@dataclasses.dataclass(frozen=True, eq=False)
class LoadedData:
    """What :meth:`DataSpec.load` read: ``frame`` (``ds`` + columns), its ``source``, the
    ``target``, ``n_train`` training rows, ``features`` (``None``: every numeric column) and
    the ``selection`` report (``None`` without ``select``)."""

    frame: pd.DataFrame
    source: str
    target: str
    n_train: int
    features: list[str] | None
    selection: pd.DataFrame | None


def as_data_spec(data: Any) -> DataSpec:
    """``data`` as a :class:`DataSpec`: a spec as it is; a DataFrame or a path with every
    other setting at its default."""
    if isinstance(data, DataSpec):
        return data
    return DataSpec(data)


def select_features(df: pd.DataFrame, target: str, n_train: int, how: str
                    ) -> tuple[list[str], pd.DataFrame]:
    """Features chosen on the first ``n_train`` rows: ``"pcc"`` keeps OHLCV and the factors
    with |Pearson r| >= 0.5; ``"pcc+granger"`` then keeps only the factors that Granger-cause the
    target (lags 2-4, 5%).  Returns ``(features, report)``."""
    if how not in SELECTIONS:
        raise CpjaxInputError(f"unknown feature selection {how!r}; fix: use 'pcc' or 'pcc+granger'")
    train = np.arange(len(df)) < n_train
    sel = pearson_select(df, target, train_mask=train)
    features, report = list(sel.selected), sel.report.assign(method="pcc")
    if how == "pcc+granger":
        factors = [f for f in features if f not in ("open", "high", "low", "close", "volume", target)]
        if factors:
            g = granger_filter(df, target, factors, train_mask=train, difference=True)
            keep = set(g.selected)
            features = [f for f in features if f not in factors or f in keep]
            report = pd.concat([report, g.report.assign(method="granger")], ignore_index=True)
    return features, report
