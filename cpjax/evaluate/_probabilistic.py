"""Probabilistic forecast scores: pinball loss, CRPS (from quantiles and exact), summaries.

Formulas (``y`` the outcome, ``q_k`` the forecast quantile at level ``tau_k``, ``k = 1..K``):

* pinball (quantile) loss ``rho_tau(y, q) = max(tau (y - q), (tau - 1)(y - q))``;
* CRPS from quantiles, the quantile-score form of Laio & Tamea (2007) / Gneiting & Ranjan (2011),
  ``CRPS(F, y) = 2 int_0^1 rho_tau(y, F^-1(tau)) dtau``, approximated by the mean over the given
  levels: ``CRPS_K = (2 / K) sum_k rho_{tau_k}(y, q_k)``.  With the midpoints
  ``tau_k = (k - 1/2) / K`` this is the midpoint rule and converges to the exact CRPS as ``K``
  grows (checked against the Gaussian closed form in the tests); with a few levels such as
  (0.1, 0.5, 0.9) it is the common coarse version (neuralforecast/utilsforecast's ``scaled_crps``
  uses the same sum) and ignores the tails beyond the outer levels;
* exact CRPS of a Gaussian ``N(mu, sigma^2)`` (Gneiting et al. 2005), ``z = (y - mu)/sigma``:
  ``sigma [z (2 Phi(z) - 1) + 2 phi(z) - 1/sqrt(pi)]``;
* exact CRPS of a Student-t with ``nu > 1`` degrees of freedom, location ``mu``, scale ``sigma``
  (Jordan, Krüger & Lerch 2019, scoringRules' ``crps_t``):
  ``sigma [z (2 F_nu(z) - 1) + 2 f_nu(z) (nu + z^2)/(nu - 1)
  - 2 sqrt(nu) B(1/2, nu - 1/2) / ((nu - 1) B(1/2, nu/2)^2)]``;
* scaled CRPS relative to a reference: ``mean CRPS(model) / mean CRPS(reference)`` (< 1: better
  than the reference), over the same forecasts;
* interval coverage and the Winkler (interval) score of the central intervals formed by
  symmetric quantile pairs ``(tau, 1 - tau)``, level ``100 (1 - 2 tau)``:
  :func:`cpjax.evaluate.empirical_coverage` and :func:`cpjax.evaluate.interval_score`;
* MASE with a seasonal period ``m``: :func:`cpjax.evaluate.mase` (scale = in-sample MAE of the
  lag-``m`` naive forecast on the training series).

:func:`probabilistic_table` puts them side by side per horizon step and pooled, with
Diebold–Mariano tests of the CRPS against a reference (:func:`cpjax.evaluate.diebold_mariano`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from jaxtyping import Float
from scipy import special, stats

from .._errors import CpjaxInputError
from ._conformal import empirical_coverage, interval_score
from ._metrics import as_vector, mase, persistence_scale
from ._tests import diebold_mariano
from ._types import Vector

__all__ = ["crps_gaussian", "crps_quantiles", "crps_student_t", "pinball_loss",
           "probabilistic_table", "quantile_column", "scaled_crps"]


def quantile_column(model: str, q: float) -> str:
    """Column name of the ``q`` quantile of ``model``: ``lstm-q10``, ``lstm-q2.5``."""
    return f"{model}-q{100.0 * float(q):g}"


def _levels(quantiles: Sequence[float]) -> np.ndarray:
    q = np.asarray(quantiles, dtype=np.float64).reshape(-1)
    if q.size == 0 or not np.all((q > 0) & (q < 1)):
        raise CpjaxInputError(f"quantile levels must lie strictly between 0 and 1, got "
                              f"{list(q)}; fix: e.g. 0.1,0.5,0.9")
    return q


def _quantile_matrix(y: Vector, yq, quantiles) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    yv = as_vector(y, "y")
    q = _levels(quantiles)
    m = np.asarray(yq, dtype=np.float64)
    if m.ndim == 1 and q.size == 1:
        m = m[:, None]
    if m.shape != (yv.size, q.size):
        raise CpjaxInputError(f"quantile forecasts have shape {m.shape}, expected "
                              f"({yv.size}, {q.size}) (one column per level); fix: pass an "
                              "(n, Q) array in the order of `quantiles`")
    if not np.all(np.isfinite(m)):
        raise CpjaxInputError("quantile forecasts contain NaN or infinite values; fix: drop "
                              "those rows first")
    return yv, m, q


def pinball_loss(y: Vector, yq: Float[np.ndarray, "n q"], quantiles: Sequence[float], *,
                 mean: bool = True) -> np.ndarray:
    """Pinball loss per quantile level.

    Arguments:
        y: ``(n,)`` outcomes; yq: ``(n, Q)`` forecast quantiles; quantiles: the ``Q`` levels.
        mean: average over the ``n`` rows (default) or return the ``(n, Q)`` losses.

    Returns:
        ``(Q,)`` mean losses (or ``(n, Q)``).

    Example:
        >>> np.round(pinball_loss([1.0], [[0.0, 2.0]], [0.1, 0.9]), 12).tolist()  # 0.1*1, 0.1*1
        [0.1, 0.1]
    """
    yv, m, q = _quantile_matrix(y, yq, quantiles)
    u = yv[:, None] - m
    loss = np.maximum(q * u, (q - 1.0) * u)
    return loss.mean(axis=0) if mean else loss


def crps_quantiles(y: Vector, yq: Float[np.ndarray, "n q"], quantiles: Sequence[float], *,
                   mean: bool = True) -> float | np.ndarray:
    """CRPS approximated from quantiles: ``(2/Q) sum_k pinball_{tau_k}`` (module doc).

    Returns the mean over rows, or the ``(n,)`` per-row values with ``mean=False``.
    """
    per_row = 2.0 * pinball_loss(y, yq, quantiles, mean=False).mean(axis=1)
    return float(per_row.mean()) if mean else per_row


def _loc_scale(y: Vector, loc, scale) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    yv = as_vector(y, "y")
    mu = np.broadcast_to(np.asarray(loc, dtype=np.float64), yv.shape)
    s = np.broadcast_to(np.asarray(scale, dtype=np.float64), yv.shape)
    if not (np.all(np.isfinite(mu)) and np.all(np.isfinite(s)) and np.all(s > 0)):
        raise CpjaxInputError("location must be finite and scale positive and finite; fix: check "
                              "the predictive distribution's parameters")
    return yv, mu, s


def crps_gaussian(y: Vector, mu, sigma, *, mean: bool = True) -> float | np.ndarray:
    """Exact CRPS of ``N(mu, sigma^2)`` at ``y`` (closed form, module doc)."""
    yv, m, s = _loc_scale(y, mu, sigma)
    z = (yv - m) / s
    c = s * (z * (2.0 * stats.norm.cdf(z) - 1.0) + 2.0 * stats.norm.pdf(z) - 1.0 / np.sqrt(np.pi))
    return float(c.mean()) if mean else c


def crps_student_t(y: Vector, df: float, loc, scale, *, mean: bool = True) -> float | np.ndarray:
    """Exact CRPS of a location-scale Student-t with ``df > 1`` at ``y`` (module doc)."""
    nu = float(df)
    if not nu > 1.0:
        raise CpjaxInputError(f"the Student-t CRPS needs df > 1 (finite mean), got {df}; fix: "
                              "use more degrees of freedom")
    yv, m, s = _loc_scale(y, loc, scale)
    z = (yv - m) / s
    t = stats.t(df=nu)
    const = (2.0 * np.sqrt(nu) * special.beta(0.5, nu - 0.5)
             / ((nu - 1.0) * special.beta(0.5, nu / 2.0) ** 2))
    c = s * (z * (2.0 * t.cdf(z) - 1.0) + 2.0 * t.pdf(z) * (nu + z ** 2) / (nu - 1.0) - const)
    return float(c.mean()) if mean else c


def scaled_crps(crps: Vector, crps_reference: Vector) -> float:
    """``mean(crps) / mean(crps_reference)`` over the same forecasts (< 1: better)."""
    a, b = as_vector(crps, "crps"), as_vector(crps_reference, "crps_reference")
    if a.size != b.size:
        raise CpjaxInputError(f"{a.size} CRPS values against {b.size} of the reference; fix: "
                              "score the same forecasts")
    den = float(b.mean())
    if not den > 0:
        raise CpjaxInputError("the reference's mean CRPS is 0; fix: choose another reference")
    return float(a.mean()) / den


def _score_block(g: pd.DataFrame, m: str, q: np.ndarray, scale: float) -> dict[str, float]:
    y = g["y"].to_numpy(np.float64)
    cols = [quantile_column(m, v) for v in q]
    yq = g[cols].to_numpy(np.float64)
    point = g[m].to_numpy(np.float64)
    row = {"n": int(len(g)), "rmse": float(np.sqrt(np.mean((y - point) ** 2))),
           "mae": float(np.mean(np.abs(y - point))),
           "mase": mase(y, point, scale=scale),
           "pinball": float(pinball_loss(y, yq, q).mean()),
           "crps": crps_quantiles(y, yq, q)}
    for lo in q[q < 0.5]:
        hi = 1.0 - lo
        if np.any(np.isclose(q, hi)):
            level = round(100.0 * (1.0 - 2.0 * lo), 6)
            lv = int(level) if float(level).is_integer() else level
            h_col = cols[int(np.argmin(np.abs(q - hi)))]
            l_col = cols[int(np.argmin(np.abs(q - lo)))]
            row[f"coverage_{lv}"] = empirical_coverage(y, g[l_col], g[h_col])
            row[f"winkler_{lv}"] = interval_score(y, g[l_col], g[h_col], level)
    return row


def probabilistic_table(fc: pd.DataFrame, models: Sequence[str], quantiles: Sequence[float], *,
                        y_train: Vector, season: int = 1,
                        reference: str | None = None) -> pd.DataFrame:
    """Per-horizon and pooled probabilistic scores of several models on the same forecasts.

    Arguments:
        fc: long forecasts with ``cutoff``, ``h``, ``y``, a point column ``<model>`` and quantile
            columns ``<model>-q<100 tau>`` (:func:`quantile_column`) per model; rows without
            ``y`` are dropped.
        models: models to score; quantiles: the levels present for every model.
        y_train: training series of the MASE scale (lag ``season`` naive MAE).
        reference: a model among ``models``; adds ``scaled_crps`` (ratio of mean CRPS) and the
            Diebold–Mariano test of the per-forecast CRPS against it (``dm_stat > 0``: the
            reference is more accurate), HLN-corrected with lag ``h``; the pooled test uses each
            origin's mean CRPS over the steps with lag ``H`` (the largest step).

    Returns:
        One row per model and step ``h`` plus one per model with ``h = "all"`` (every step
        pooled): ``n, rmse, mae, mase, pinball, crps, coverage_L, winkler_L`` (``L`` from the
        symmetric quantile pairs) and, with a reference, ``scaled_crps, dm_stat, dm_p``.
    """
    q = _levels(quantiles)
    missing = [c for m in models for c in [m, *(quantile_column(m, v) for v in q)]
               if c not in fc.columns]
    if missing or not {"y", "h", "cutoff"} <= set(fc.columns):
        need = missing[:3] or sorted({"y", "h", "cutoff"} - set(fc.columns))
        raise CpjaxInputError(f"the forecast table lacks columns {need}; fix: pass forecasts with "
                              "cutoff, h, y and <model>, <model>-q<level> columns")
    if reference is not None and reference not in models:
        raise CpjaxInputError(f"reference {reference!r} is not among the models {list(models)}")
    fc = fc.dropna(subset=["y"]).sort_values(["cutoff", "h"], kind="stable")
    scale = persistence_scale(y_train, season)
    H = int(fc["h"].max())
    rows = []
    groups = [(int(h), g) for h, g in fc.groupby("h", sort=True)] + [("all", fc)]
    for h, g in groups:
        y = g["y"].to_numpy(np.float64)
        crps = {m: crps_quantiles(y, g[[quantile_column(m, v) for v in q]].to_numpy(np.float64),
                                  q, mean=False) for m in models}
        for m in models:
            row = {"model": m, "h": h, **_score_block(g, m, q, scale)}
            if reference is not None:
                row["scaled_crps"] = scaled_crps(crps[m], crps[reference])
                a, b = crps[m], crps[reference]
                lag = h if h != "all" else H
                if h == "all":  # one loss per origin: the mean over its steps
                    key = g["cutoff"].to_numpy()
                    a = pd.Series(a).groupby(key).mean().to_numpy()
                    b = pd.Series(b).groupby(key).mean().to_numpy()
                if m == reference or a.size <= lag:
                    row["dm_stat"], row["dm_p"] = float("nan"), float("nan")
                else:
                    res = diebold_mariano(a, b, h=lag, power=1.0)
                    row["dm_stat"], row["dm_p"] = res.statistic, res.pvalue
            rows.append(row)
    out = pd.DataFrame(rows)
    out["h"] = out["h"].astype(object)
    return out
