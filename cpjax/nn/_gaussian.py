"""Statistical estimators with a Gaussian predictive distribution (on the level or the log).

Every statistical peer (persistence, drift, seasonal naive, ARIMA, exponential smoothing, theta)
computes, at each origin, the mean and the standard deviation of its ``h``-step forecast under
its own model.  :class:`GaussianEstimator` turns them into the two methods of the estimator
protocol that need them:

* ``predict`` returns the mean (with ``log=True``: ``exp`` of the log mean, the median);
* ``predict_quantiles(X, origin, series, quantiles)`` returns ``(N, H, Q)`` quantiles
  ``mean + sd * Phi^-1(q)`` (with ``log=True``: their ``exp``), the model's own prediction
  intervals in the style of statsforecast's ``level=``: the interval at level ``L`` is the pair of
  quantiles ``(1 -+ L/100) / 2``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import stats

from .._errors import CpjaxInputError

__all__ = ["GaussianEstimator", "check_quantiles"]


def check_quantiles(quantiles: Sequence[float]) -> np.ndarray:
    """Quantile levels as a float array, each strictly inside (0, 1)."""
    q = np.asarray(quantiles, dtype=np.float64).reshape(-1)
    if q.size == 0 or not np.all((q > 0) & (q < 1)):
        raise CpjaxInputError(f"quantiles must lie strictly between 0 and 1, got {list(q)}; "
                              "fix: e.g. 0.1,0.5,0.9")
    return q


class GaussianEstimator:
    """Base class: subclasses implement ``_moments(origin, series) -> (mean, sd)``, each
    ``(N, H)``, reading only ``series[: o + 1]`` for the origin ``o`` of each row."""

    horizon: int
    log: bool = False

    def _moments(self, origin: np.ndarray, series: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def _transformed(self, series: np.ndarray, upto: int) -> np.ndarray:
        """``series[:upto]`` as float64, on the log scale when ``log`` is set (checked > 0)."""
        x = np.asarray(series[:upto], dtype=np.float64)
        if not np.all(np.isfinite(x)):
            raise CpjaxInputError("the series has NaN or infinite values; fix: impute them first")
        if self.log:
            if np.any(x <= 0):
                raise CpjaxInputError("log=True needs a positive series; fix: drop log or pass "
                                      "values > 0 (a min-max scaled target has zeros)")
            x = np.log(x)
        return x

    def _checked_origin(self, origin) -> np.ndarray:
        origin = np.asarray(origin, dtype=int).reshape(-1)
        if origin.size == 0:
            raise CpjaxInputError("no forecast origins given; fix: pass at least one window")
        return origin

    def predict(self, X, origin, series) -> np.ndarray:
        mean, _ = self._moments(self._checked_origin(origin), np.asarray(series))
        return np.exp(mean) if self.log else mean

    def predict_quantiles(self, X, origin, series, quantiles: Sequence[float]) -> np.ndarray:
        """``(N, H, Q)`` quantiles of the model's predictive distribution."""
        q = check_quantiles(quantiles)
        mean, sd = self._moments(self._checked_origin(origin), np.asarray(series))
        out = mean[..., None] + sd[..., None] * stats.norm.ppf(q)
        return np.exp(out) if self.log else out
