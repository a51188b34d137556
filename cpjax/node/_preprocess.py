"""Seed 001 §1.1 preprocessing: drop mostly-missing series, interpolate, replace outliers,
z-score on the training part, and the 70/15/15 time split."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from .._errors import CpjaxInputError
from ._config import PreprocessConfig
from ._data import NodeData

__all__ = ["Prepared", "Scaler", "prepare", "split_sizes", "interpolate_missing", "outlier_mask"]

MIN_POINTS = 24  # fewer time points than this cannot be split 70/15/15 into useful parts


@dataclass(frozen=True)
class Scaler:
    """Per panel and series z-score: ``z = (x - mean) / std`` (fit on the training part)."""

    mean: np.ndarray  # (P, S)
    std: np.ndarray  # (P, S)

    def transform(self, x: np.ndarray) -> np.ndarray:
        """(P, T, S) or (T, S) for a single panel given as (S,) statistics."""
        return (x - self.mean[..., None, :]) / self.std[..., None, :]

    def inverse(self, z: np.ndarray) -> np.ndarray:
        return z * self.std[..., None, :] + self.mean[..., None, :]

    def to_dict(self) -> dict:
        return {"mean": self.mean.tolist(), "std": self.std.tolist()}

    @classmethod
    def from_dict(cls, d: dict) -> Scaler:
        return cls(np.asarray(d["mean"], dtype=np.float64), np.asarray(d["std"], dtype=np.float64))


@dataclass(frozen=True)
class Prepared:
    """Cleaned, scaled data ready for training.

    Attributes:
        data: cleaned :class:`NodeData` (dropped series removed; gaps interpolated; outliers
            replaced in the training and validation parts only, so the test part is scored
            against the data as published).
        z: (P, T, S) standardised values (float64).
        mask: (P, S) True where a panel's series is used (False: mostly missing in that panel;
            its values are set to the scaler mean, z = 0, and it is left out of the loss).
        scaler: the :class:`Scaler` fit on the training part.
        n_train, n_val: sizes of the first two parts; the test part is the rest.
        report: what was dropped, interpolated and replaced (for config.json).
    """

    data: NodeData
    z: np.ndarray
    mask: np.ndarray
    scaler: Scaler
    n_train: int
    n_val: int
    report: dict

    @property
    def n_test(self) -> int:
        return self.z.shape[1] - self.n_train - self.n_val


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


def outlier_mask(x: np.ndarray, ref: np.ndarray, method: str, k: float) -> np.ndarray:
    """True where ``x`` is an outlier by the statistics of ``ref`` (NaNs are never flagged).

    ``"iqr"``: outside ``[Q1 - k IQR, Q3 + k IQR]`` (box plot); ``"sigma"``: ``|x - mean| > k std``.
    """
    ref = ref[~np.isnan(ref)]
    if method == "none" or ref.size < 4:
        return np.zeros(x.shape, dtype=bool)
    with np.errstate(invalid="ignore"):
        if method == "iqr":
            q1, q3 = np.percentile(ref, [25, 75])
            return (x < q1 - k * (q3 - q1)) | (x > q3 + k * (q3 - q1))
        mu, sd = ref.mean(), ref.std()
        return np.abs(x - mu) > k * sd


def _replace_outliers(t: np.ndarray, x: np.ndarray, n_fit: int, cfg: PreprocessConfig,
                      monthly: bool) -> tuple[np.ndarray, int]:
    """Replace outliers among the first ``n_fit`` points; thresholds from the training part."""
    stat = np.median if cfg.outlier_replace == "median" else np.mean
    x = x.copy()
    if cfg.outlier_on == "yoy" and monthly and n_fit > 24 and np.all(x[:n_fit] > 0):
        r = np.full_like(x, np.nan)
        with np.errstate(divide="ignore", invalid="ignore"):
            r[12:] = np.log(x[12:]) - np.log(x[:-12])
        n_tr = int(round(cfg.train_frac / (cfg.train_frac + cfg.val_frac) * n_fit))
        bad = outlier_mask(r, r[:n_tr], cfg.outlier_method, cfg.outlier_k)
        bad[n_fit:] = False
        typical = float(stat(r[12:n_tr][~np.isnan(r[12:n_tr])]))
        for i in np.nonzero(bad)[0]:  # in time order, so a replaced point feeds the next year
            x[i] = x[i - 12] * np.exp(typical)
        return x, int(bad.sum())
    n_tr = int(round(cfg.train_frac / (cfg.train_frac + cfg.val_frac) * n_fit))
    bad = outlier_mask(x, x[:n_tr], cfg.outlier_method, cfg.outlier_k)
    bad[n_fit:] = False
    x[bad] = float(stat(x[:n_tr]))
    return x, int(bad.sum())


def prepare(data: NodeData, config: PreprocessConfig | None = None) -> Prepared:
    """Clean and scale ``data`` (see :class:`Prepared`); errors name the fix.

    Example:
        >>> from cpjax.node import demo_data, prepare
        >>> p = prepare(demo_data())
        >>> p.z.shape, p.n_train, p.n_val
        ((3, 168, 3), 118, 25)
    """
    cfg = config or PreprocessConfig()
    P, T, S = data.values.shape
    if T < MIN_POINTS:
        raise CpjaxInputError(f"series in {data.source!r} have only {T} time points; fix: supply "
                              f"at least {MIN_POINTS} (the 70/15/15 split needs them)")
    n_train, n_val = split_sizes(T, cfg.train_frac, cfg.val_frac)
    if n_val < 2 or T - n_train - n_val < 2:
        raise CpjaxInputError(f"{T} time points leave too few for validation/test; fix: supply "
                              "a longer series or change train_frac/val_frac")
    n_fit = n_train + n_val
    t = data.times
    monthly = bool(np.allclose(np.diff(t), 1.0 / 12.0))
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
    vals = data.values[:, :, keep].copy()
    mask = mask[:, keep]
    series = tuple(s for s, k in zip(data.series, keep) if k)
    n_interp = int(np.isnan(vals[mask[:, None, :].repeat(T, axis=1)]).sum())
    n_out = 0
    for p in range(P):
        for s in range(len(series)):
            if not mask[p, s]:
                continue
            x = interpolate_missing(t, vals[p, :, s])
            x, n = _replace_outliers(t, x, n_fit, cfg, monthly)
            vals[p, :, s] = x
            n_out += n
    train = np.where(mask[:, None, :], vals[:, :n_train], np.nan)
    with warnings.catch_warnings():  # all-NaN slices of masked panel-series
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(train, axis=1)
        std = np.nanstd(train, axis=1)
    mean = np.where(mask, mean, 0.0)
    std = np.where(mask & (std > 0), std, 1.0)
    scaler = Scaler(mean, std)
    vals = np.where(mask[:, None, :], vals, mean[:, None, :])
    z = scaler.transform(vals)
    masked = [f"{data.panels[p]}/{series[s]}" for p in range(P) for s in range(len(series))
              if not mask[p, s]]
    report = {"dropped_series": dropped, "masked_panel_series": masked,
              "interpolated_points": n_interp, "outliers_replaced": n_out,
              "n_train": n_train, "n_val": n_val, "n_test": T - n_fit,
              "train_end": str(data.dates[n_train - 1]), "val_end": str(data.dates[n_fit - 1]),
              "test_end": str(data.dates[-1])}
    clean = NodeData(data.panels, series, data.dates, vals, data.units, data.source,
                     dict(data.notes))
    return Prepared(clean, z, mask, scaler, n_train, n_val, report)
