"""What a table holds before a model sees it: missing, extreme and jumping values, and the
imputation done (``data_report.json`` and ``imputation.csv`` beside a command's outputs).

Extreme values and jumps are measured robustly, so that one wild value cannot hide itself:
``robust z = |x - median| / (1.4826 MAD)`` (the MAD is the median absolute deviation; the mean
absolute deviation stands in when half the values are equal), and a jump is a change between
consecutive rows whose robust z among all changes exceeds :data:`JUMP_Z`.  Values so far out
that they would wreck any scaling (:data:`ABSURD_Z`) are refused by :func:`check_plausible`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from cpjax._errors import CpjaxInputError

__all__ = ["ABSURD_Z", "EXTREME_Z", "JUMP_Z", "check_plausible", "data_report",
           "imputation_table", "robust_z"]

EXTREME_Z = 10.0    # reported as extreme
JUMP_Z = 20.0       # a change this many robust standard deviations of all changes
ABSURD_Z = 1e6      # refused: a sentinel such as 1e300 or 9999999 among ordinary values
_LISTED = 20        # at most this many values listed per column and kind


def robust_z(values: np.ndarray) -> np.ndarray:
    """``|x - median| / scale`` with scale ``1.4826 MAD`` (mean absolute deviation if the MAD is
    0); NaN where ``x`` is NaN, 0 everywhere when every value is the same."""
    x = np.asarray(values, dtype=np.float64)
    ok = np.isfinite(x)
    out = np.full(x.shape, np.nan)
    if not ok.any():
        return out
    dev = np.abs(x[ok] - np.median(x[ok]))
    scale = 1.4826 * float(np.median(dev))
    if scale == 0.0:
        scale = float(np.mean(dev))
    with np.errstate(over="ignore", invalid="ignore"):
        out[ok] = dev / scale if scale > 0 else 0.0
    out[ok & ~np.isfinite(out)] = np.inf
    return out


def _listed(dates: pd.Series, values: np.ndarray, z: np.ndarray, mask: np.ndarray,
            prev: np.ndarray | None = None) -> list[dict[str, Any]]:
    idx = np.flatnonzero(mask)
    idx = idx[np.argsort(-z[idx], kind="stable")][:_LISTED]
    rows = []
    for i in sorted(idx.tolist()):
        row = {"date": str(pd.Timestamp(dates.iloc[i]).date()), "row": int(i),
               "value": float(values[i]), "robust_z": float(min(z[i], 1e300))}
        if prev is not None:
            row["previous"] = float(prev[i])
        rows.append(row)
    return rows


def check_plausible(df: pd.DataFrame, columns: list[str], *, source: str = "the table") -> None:
    """Refuse a value so far from the rest (robust z >= :data:`ABSURD_Z`) that it must be an
    error: it would squeeze every other value into one point of the scaling."""
    for c in columns:
        v = df[c].to_numpy(dtype=np.float64)
        z = robust_z(v)
        if np.nanmax(z, initial=0.0) >= ABSURD_Z:
            i = int(np.nanargmax(z))
            when = f" ({pd.Timestamp(df['ds'].iloc[i]).date()})" if "ds" in df.columns else ""
            raise CpjaxInputError(
                f"column {c!r} of {source} holds {v[i]:.6g} at row {i}{when}, about "
                f"{min(z[i], 1e300):.3g} robust standard deviations from its median "
                f"{np.nanmedian(v):.6g}; such a value (a placeholder or a unit error?) would "
                "flatten the scaling of every other value; fix: correct that cell or blank it "
                "(blank cells are imputed and listed in imputation.csv)")


def data_report(df: pd.DataFrame, columns: list[str], *, target: str | None = None,
                source: str = "the table", n_train: int | None = None) -> dict[str, Any]:
    """A JSON-ready summary of ``df[columns]`` as read (before imputation).

    Returns:
        ``{"source", "rows", "first_date", "last_date", "date_format", "target",
        "train_end", "columns": {name: {"observed", "missing", "min", "median", "max",
        "extreme": [...], "jumps": [...], "n_extreme", "n_jumps"}}}``; each listed value has
        its date, row, value and robust z (jumps also the previous value).
    """
    dates = df["ds"].reset_index(drop=True)
    out: dict[str, Any] = {
        "source": source, "rows": int(len(df)),
        "first_date": str(pd.Timestamp(dates.iloc[0]).date()) if len(df) else None,
        "last_date": str(pd.Timestamp(dates.iloc[-1]).date()) if len(df) else None,
        "date_format": df.attrs.get("date_format"), "target": target,
        "train_end": (str(pd.Timestamp(dates.iloc[n_train - 1]).date())
                      if n_train and 0 < n_train <= len(df) else None),
        "thresholds": {"extreme_robust_z": EXTREME_Z, "jump_robust_z": JUMP_Z},
        "columns": {},
    }
    for c in columns:
        v = df[c].to_numpy(dtype=np.float64)
        ok = np.isfinite(v)
        z = robust_z(v)
        extreme = ok & (z > EXTREME_Z)
        prev = pd.Series(v).ffill().shift(1).to_numpy()  # a jump over a gap counts once
        with np.errstate(invalid="ignore", over="ignore"):
            d = np.where(ok & np.isfinite(prev), v - prev, np.nan)
        dz = robust_z(d)
        jumps = np.isfinite(d) & (dz > JUMP_Z)
        out["columns"][c] = {
            "observed": int(ok.sum()), "missing": int((~ok).sum()),
            "min": float(np.min(v[ok])) if ok.any() else None,
            "median": float(np.median(v[ok])) if ok.any() else None,
            "max": float(np.max(v[ok])) if ok.any() else None,
            "n_extreme": int(extreme.sum()), "n_jumps": int(jumps.sum()),
            "extreme": _listed(dates, v, z, extreme),
            "jumps": _listed(dates, v, dz, jumps, prev),
        }
    return out


def imputation_table(report: pd.DataFrame | None, dates: pd.Series,
                     n_train: int | None = None) -> pd.DataFrame:
    """One row per filled gap: what (column), where (dates, rows, training or test part), how
    (method) and the column's Kolmogorov-Smirnov check (from :func:`cpjax.data.impute`).

    Arguments:
        report: the report returned by ``impute`` (``attrs["gaps"]`` lists the gaps).
        dates: the dates of the table that was imputed (before leading rows were dropped).
        n_train: rows of the training part, to say which part each gap is in.
    """
    cols = ["column", "first_date", "last_date", "first_row", "rows", "part", "method",
            "ks_pvalue", "ks_pvalue_imputed", "ks_check"]
    if report is None or not len(report):
        return pd.DataFrame(columns=cols)
    ks = report.set_index("column")
    dates = pd.Series(pd.DatetimeIndex(dates))
    rows = []
    for g in report.attrs.get("gaps", []):
        start, stop, c = int(g["start"]), int(g["stop"]), g["column"]
        if n_train is None:
            part = ""
        else:
            part = "training" if stop <= n_train else ("test" if start >= n_train else "both")
        p = float(ks.loc[c, "ks_pvalue"]) if c in ks.index else float("nan")
        p_imp = float(ks.loc[c, "ks_pvalue_imputed"]) if c in ks.index else float("nan")
        check = ("not tested" if not np.isfinite(p) else
                 "distribution unchanged (p > 0.05)" if p > 0.05 else
                 "distribution changed (p <= 0.05): check this column")
        method = "dropped (before the first value)" if g["method"] == "leading" else g["method"]
        rows.append({"column": c, "first_date": dates.iloc[start].date(),
                     "last_date": dates.iloc[stop - 1].date(), "first_row": start,
                     "rows": stop - start, "part": part, "method": method, "ks_pvalue": p,
                     "ks_pvalue_imputed": p_imp, "ks_check": check})
    return pd.DataFrame(rows, columns=cols)
