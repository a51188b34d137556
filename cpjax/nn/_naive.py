"""Persistence, drift and seasonal naive: the reference rows of every table (forecasting.md §2).

Each has its textbook Gaussian prediction intervals (Hyndman & Athanasopoulos, FPP3 §5.5, the
formulas statsforecast's ``Naive``/``SeasonalNaive``/``RandomWalkWithDrift`` use), with ``sigma``
the root mean square of the one-step residuals on the training rows:

* persistence ``y_{o+h} = y_o``, sd ``sigma sqrt(h)``;
* drift ``y_{o+h} = y_o + h b``, sd ``sigma sqrt(h (1 + h / w))`` with ``w`` the rows the slope
  ``b`` spans;
* seasonal naive ``y_{o+h} = y_{o+h-m ceil(h/m)}`` (the last season repeated), sd
  ``sigma sqrt(floor((h-1)/m) + 1)``.

Point forecasts need no fit; intervals need ``fit`` (or a loaded state with ``sigma``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np

from .._errors import CpjaxInputError
from ._gaussian import GaussianEstimator
from ._registry import ModelSpec, register_model

__all__ = ["PersistenceConfig", "Persistence", "DriftConfig", "Drift", "SeasonalNaiveConfig",
           "SeasonalNaive"]


def _fit_end(origin, horizon: int) -> int:
    """Rows ``0 .. fit_end - 1`` are the training data of windows with these origins."""
    return int(np.max(origin)) + horizon + 1


class _Naive(GaussianEstimator):
    def __init__(self, config, horizon: int):
        self.config, self.horizon = config, horizon
        self.sigma: float | None = None

    def _residuals(self, train: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def fit(self, X, y, origin, series):
        train = self._transformed(series, _fit_end(origin, self.horizon))
        e = self._residuals(train)
        if e.size == 0:
            raise CpjaxInputError(f"{type(self).__name__} needs more training rows to estimate "
                                  "its interval width; fix: use a longer training part")
        self.sigma = float(np.sqrt(np.mean(e ** 2)))
        return self

    def _sd(self, origin: np.ndarray) -> np.ndarray:
        if self.sigma is None:
            raise CpjaxInputError(f"{type(self).__name__} has no fitted interval width; fix: "
                                  "call fit(...) before asking for quantiles")
        return self.sigma * self._spread(origin)

    def state_dict(self) -> dict[str, Any]:
        return {} if self.sigma is None else {"sigma": self.sigma}

    @classmethod
    def load(cls, config: Any, horizon: int, state: Mapping[str, Any]):
        m = cls(config, horizon)
        m.sigma = float(state["sigma"]) if "sigma" in state else None
        return m

    def predict(self, X, origin, series) -> np.ndarray:
        origin = self._checked_origin(origin)
        mean = self._mean(origin, np.asarray(series, dtype=np.float64))
        return mean

    def _moments(self, origin, series):
        return self._mean(origin, np.asarray(series, dtype=np.float64)), self._sd(origin)


@dataclasses.dataclass(frozen=True)
class PersistenceConfig:
    """Persistence (random walk): every horizon step equals the last observed target value."""

    target_index: int = 0


class Persistence(_Naive):
    def _residuals(self, train):
        return np.diff(train)

    def _mean(self, origin, series):
        return np.repeat(series[origin][:, None], self.horizon, axis=1)

    def _spread(self, origin):
        return np.broadcast_to(np.sqrt(np.arange(1, self.horizon + 1)), (origin.size, self.horizon))


@dataclasses.dataclass(frozen=True)
class DriftConfig:
    """Drift (random walk with drift, Hyndman & Athanasopoulos §5.2).

    ``y_{o+h} = y_o + h * (y_o - y_{o-w}) / w`` with ``w = window`` rows before the origin, or the
    whole history up to the origin when ``window`` is 0.
    """

    window: int = 0
    target_index: int = 0


class Drift(_Naive):
    def _span(self, origin):
        return origin if self.config.window <= 0 else np.minimum(origin, self.config.window)

    def _residuals(self, train):
        dy = np.diff(train)
        w = dy.size if self.config.window <= 0 else min(dy.size, self.config.window)
        return dy - (train[-1] - train[-1 - w]) / max(w, 1) if w > 0 else dy

    def _mean(self, origin, series):
        w = self._span(origin)
        start = origin - w
        slope = np.where(w > 0, (series[origin] - series[start]) / np.maximum(w, 1), 0.0)
        steps = np.arange(1, self.horizon + 1)
        return series[origin][:, None] + slope[:, None] * steps[None, :]

    def _spread(self, origin):
        h = np.arange(1, self.horizon + 1)[None, :]
        w = np.maximum(self._span(origin), 1)[:, None]
        return np.sqrt(h * (1.0 + h / w))


@dataclasses.dataclass(frozen=True)
class SeasonalNaiveConfig:
    """Seasonal naive: the last ``season_length`` observations repeated (5 = a trading week;
    12 for monthly data)."""

    season_length: int = 5
    target_index: int = 0

    def __post_init__(self):
        if isinstance(self.season_length, bool) or int(self.season_length) < 1:
            raise CpjaxInputError(f"season_length must be a positive integer, got "
                                  f"{self.season_length!r}; fix: e.g. season_length=12")


class SeasonalNaive(_Naive):
    def _residuals(self, train):
        m = self.config.season_length
        return train[m:] - train[:-m]

    def _mean(self, origin, series):
        m = self.config.season_length
        if origin.min() < m - 1:
            raise CpjaxInputError(f"seasonal naive needs {m} observations before an origin "
                                  f"(origin at row {int(origin.min())}); fix: use later origins "
                                  "or a shorter season_length")
        h = np.arange(1, self.horizon + 1)
        idx = origin[:, None] + h[None, :] - m * np.ceil(h / m).astype(int)[None, :]
        return series[idx]

    def _spread(self, origin):
        h = np.arange(1, self.horizon + 1)
        k = (h - 1) // self.config.season_length
        return np.broadcast_to(np.sqrt(k + 1.0), (origin.size, self.horizon))


register_model(ModelSpec(
    name="persistence", kind="estimator", config_cls=PersistenceConfig,
    build=lambda cfg, h: Persistence(cfg, h), load=Persistence.load,
    description="last observed value (random walk, statsforecast's Naive); the reference row of "
                "every table; Gaussian intervals sigma*sqrt(h)",
    source="forecasting.md §2 reference baselines; FPP3 §5.2, §5.5",
))
register_model(ModelSpec(
    name="drift", kind="estimator", config_cls=DriftConfig,
    build=lambda cfg, h: Drift(cfg, h), load=Drift.load,
    description="last value plus the average change over the history (random walk with drift)",
    source="Hyndman & Athanasopoulos, FPP3 §5.2, §5.5",
))
register_model(ModelSpec(
    name="seasonal_naive", kind="estimator", config_cls=SeasonalNaiveConfig,
    build=lambda cfg, h: SeasonalNaive(cfg, h), load=SeasonalNaive.load,
    description="the last season repeated (statsforecast's SeasonalNaive); intervals "
                "sigma*sqrt(floor((h-1)/m)+1)",
    source="Hyndman & Athanasopoulos, FPP3 §5.2, §5.5",
))
