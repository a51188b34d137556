"""Seed 001 §1.1 preprocessing: mask mostly-missing series, replace outliers, interpolate, encode
the state, z-score on the training part, and the 70/15/15 time split.

Outliers go through :func:`cpjax.data.handle_outliers` (default rule ``"spike"``,
:func:`cpjax.data.seasonal_spikes`) and scaling through :class:`cpjax.data.CategoryScaler`
(category ``"zscore"``, fit on the training rows); this module only applies them per panel.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._errors import CpjaxInputError
from ..data import CategoryScaler, handle_outliers
from ._config import NodeConfig, PreprocessConfig
from ._data import NodeData
from ._state import log_floor, state_offset, to_state

__all__ = ["Prepared", "prepare", "split_sizes", "interpolate_missing", "scaler_arrays",
           "MIN_POINTS"]

MIN_POINTS = 24  # fewer time points than this cannot be split 70/15/15 into useful parts


@dataclass(frozen=True)
class Prepared:
    """Cleaned, encoded, scaled data ready for training.

    Attributes:
        data: cleaned :class:`NodeData` in original units (outliers replaced in the training
            and validation parts only, so the test part is scored against the data as
            published; gaps interpolated).
        z: (P, T - offset, S) standardised state (see :mod:`._state`), float64.
        offset: months without a state at the start (12 for ``state="growth"``, else 0): row
            ``i`` of ``z`` is month ``i + offset`` of ``data``.
        mask: (P, S) True where a panel's series is used (False: mostly missing in that panel;
            its levels are set to 0, its state to 0, and it is left out of the loss).
        scalers: one fitted :class:`cpjax.data.CategoryScaler` per panel (columns = series).
        floor: (P, S) floors of the log states (:func:`._state.log_floor`).
        state: the state representation.
        n_train, n_val: sizes of the first two parts in months; the test part is the rest.
        report: what was masked, dropped, interpolated and replaced (for config.json).
    """

    data: NodeData
    z: np.ndarray
    offset: int
    mask: np.ndarray
    scalers: tuple[CategoryScaler, ...]
    floor: np.ndarray
    state: str
    n_train: int
    n_val: int
    report: dict

    @property
    def n_test(self) -> int:
        return self.data.values.shape[1] - self.n_train - self.n_val

    @property
    def times(self) -> np.ndarray:
        """(T - offset,) model time of the rows of ``z`` (years)."""
        return self.data.times[self.offset:]


def split_sizes(n: int, train_frac: float = 0.7, val_frac: float = 0.15) -> tuple[int, int]:
    """Sizes of the training and validation parts of ``n`` time points (the rest is test)."""
    n_train = int(round(train_frac * n))
    n_val = int(round(val_frac * n))
    return n_train, n_val


def interpolate_missing(t: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Linear interpolation in time over NaNs; the ends take the nearest observed value."""
    ok = ~np.isnan(x)
    if ok.all() or not ok.any():
        return x.copy()
    return np.interp(t, t[ok], x[ok])


def scaler_arrays(scalers: tuple[CategoryScaler, ...], series: tuple[str, ...]
                  ) -> tuple[np.ndarray, np.ndarray]:
    """(P, S) shift and scale of the per-panel z-score scalers: ``z = (s - shift) / scale``."""
    shift = np.array([[sc.params[s]["shift"] for s in series] for sc in scalers])
    scale = np.array([[sc.params[s]["scale"] for s in series] for sc in scalers])
    return shift, scale


def _replace_outliers(data: NodeData, vals: np.ndarray, mask: np.ndarray, n_train: int,
                      n_fit: int, cfg: PreprocessConfig) -> tuple[np.ndarray, list[dict]]:
    """Outliers among the first ``n_fit`` months of each used panel-series (statistics from the
    first ``n_train``); the test months are neither used nor changed."""
    import pandas as pd

    if cfg.outlier_method == "none":
        return vals, []
    replaced = []
    for p in range(vals.shape[0]):
        cols = [s for s in range(vals.shape[2]) if mask[p, s]]
        if not cols:
            continue
        frame = pd.DataFrame({data.series[s]: vals[p, :n_fit, s] for s in cols})
        clean, rep = handle_outliers(frame, method=cfg.outlier_method, k=cfg.outlier_k,
                                     replace=cfg.outlier_replace, fit_rows=slice(0, n_train))
        for s in cols:
            vals[p, :n_fit, s] = clean[data.series[s]].to_numpy()
        for r in rep.itertuples():
            replaced.append({"panel": data.panels[p], "series": r.column,
                             "date": str(data.dates[r.row]), "value": r.value,
                             "replacement": r.replacement})
    return vals, replaced


def prepare(data: NodeData, config: NodeConfig | PreprocessConfig | None = None) -> Prepared:
    """Clean, encode and scale ``data`` (see :class:`Prepared`); errors name the fix.

    Arguments:
        data: the panels.
        config: a :class:`NodeConfig` (its ``preprocess`` settings and ``state``) or a
            :class:`PreprocessConfig` (state ``"level"``).

    Example:
        >>> from cpjax.node import demo_data, prepare
        >>> p = prepare(demo_data())
        >>> p.z.shape, p.n_train, p.n_val
        ((3, 168, 3), 118, 25)
    """
    if isinstance(config, NodeConfig):
        cfg, kind = config.preprocess, config.state
    else:
        cfg, kind = config or PreprocessConfig(), "level"
    P, T, S = data.values.shape
    off = state_offset(kind)
    if T < MIN_POINTS + off:
        raise CpjaxInputError(f"series in {data.source!r} have only {T} time points; fix: supply "
                              f"at least {MIN_POINTS + off} (the 70/15/15 split"
                              f"{' and the 12-month growth state' if off else ''} need them)")
    n_train, n_val = split_sizes(T, cfg.train_frac, cfg.val_frac)
    if n_val < 2 or T - n_train - n_val < 2 or n_train - off < 2:
        raise CpjaxInputError(f"{T} time points leave too few for training/validation/test; "
                              "fix: supply a longer series or change train_frac/val_frac")
    n_fit = n_train + n_val
    t = data.times
    miss = np.isnan(data.values).mean(axis=1)  # (P, S)
    mask = miss <= cfg.max_missing_frac
    # a panel-series must also have data in the training part to be scaled
    mask &= (~np.isnan(data.values[:, :n_train])).sum(axis=1) >= 2
    keep = mask.any(axis=0)
    if not keep.any():
        raise CpjaxInputError(f"every series in {data.source!r} is mostly missing (> "
                              f"{cfg.max_missing_frac:.0%}); fix: choose other series/provinces "
                              "or a later start date")
    dropped = [s for s, k in zip(data.series, keep) if not k]
    series = tuple(s for s, k in zip(data.series, keep) if k)
    kept = NodeData(data.panels, series, data.dates, data.values[:, :, keep].copy(), data.units,
                    data.source, dict(data.notes))
    vals, mask = kept.values, mask[:, keep]
    n_interp = int(np.isnan(vals[mask[:, None, :].repeat(T, axis=1)]).sum())
    vals, replaced = _replace_outliers(kept, vals, mask, n_train, n_fit, cfg)
    for p in range(P):
        for s in range(len(series)):
            vals[p, :, s] = interpolate_missing(t, vals[p, :, s]) if mask[p, s] else 0.0
    floor = log_floor(vals[:, :n_train])
    st = to_state(vals, kind, floor)
    scalers, z = [], np.empty_like(st)
    import pandas as pd

    for p in range(P):
        frame = pd.DataFrame(st[p], columns=list(series))
        sc = CategoryScaler(dict.fromkeys(series, "zscore")).fit(frame, train_end=n_train - off)
        scalers.append(sc)
        z[p] = sc.transform(frame).to_numpy(dtype=np.float64)
    masked = [f"{data.panels[p]}/{series[s]}" for p in range(P) for s in range(len(series))
              if not mask[p, s]]
    report = {"state": kind, "dropped_series": dropped, "masked_panel_series": masked,
              "interpolated_points": n_interp, "outlier_rule": cfg.outlier_method,
              "outliers_replaced": len(replaced), "outliers": replaced,
              "n_train": n_train, "n_val": n_val, "n_test": T - n_fit,
              "train_end": str(data.dates[n_train - 1]), "val_end": str(data.dates[n_fit - 1]),
              "test_end": str(data.dates[-1])}
    clean = NodeData(data.panels, series, data.dates, vals, data.units, data.source,
                     dict(data.notes))
    return Prepared(clean, z, off, mask, tuple(scalers), floor, kind, n_train, n_val, report)
