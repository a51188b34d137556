"""Drift (random walk with drift): a reference row beside the statsforecast peers.

``y_{o+h} = y_o + h b`` with ``b`` the mean change over the ``w`` rows before the origin (the
whole history when ``window`` is 0), and the textbook Gaussian interval (Hyndman &
Athanasopoulos, FPP3 §5.5) of sd ``sigma sqrt(h (1 + h / w))``, ``sigma`` the root mean square of
the training rows' one-step residuals ``dy_t - b``.  Unlike statsforecast's
``RandomWalkWithDrift`` it can restrict the slope to a recent ``window``, so it stays a
closed form here.  Point forecasts need no fit; intervals need ``fit`` (or a loaded ``sigma``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np

from .._errors import CpjaxInputError
from ._gaussian import GaussianEstimator
from ._registry import ModelSpec, register_model
from ._residual import forecasts_from_history

__all__ = ["DriftConfig", "Drift"]


@dataclasses.dataclass(frozen=True)
class DriftConfig:
    """Drift (random walk with drift, Hyndman & Athanasopoulos §5.2).

    ``y_{o+h} = y_o + h * (y_o - y_{o-w}) / w`` with ``w = window`` rows before the origin, or the
    whole history up to the origin when ``window`` is 0.
    """

    window: int = 0
    target_index: int = 0


class Drift(GaussianEstimator):
    def __init__(self, config: DriftConfig, horizon: int):
        self.config, self.horizon = config, horizon
        self.sigma: float | None = None

    def fit(self, X, y, origin, series):
        train = self._transformed(series, int(np.max(origin)) + self.horizon + 1)
        dy = np.diff(train)
        w = dy.size if self.config.window <= 0 else min(dy.size, self.config.window)
        e = dy - (train[-1] - train[-1 - w]) / max(w, 1) if w > 0 else dy
        if e.size == 0:
            raise CpjaxInputError("Drift needs more training rows to estimate its interval "
                                  "width; fix: use a longer training part")
        self.sigma = float(np.sqrt(np.mean(e ** 2)))
        return self

    def _span(self, origin):
        return origin if self.config.window <= 0 else np.minimum(origin, self.config.window)

    def _mean(self, origin, series):
        w = self._span(origin)
        start = origin - w
        slope = np.where(w > 0, (series[origin] - series[start]) / np.maximum(w, 1), 0.0)
        steps = np.arange(1, self.horizon + 1)
        return series[origin][:, None] + slope[:, None] * steps[None, :]

    def predict(self, X, origin, series) -> np.ndarray:
        return self._mean(self._checked_origin(origin), np.asarray(series, dtype=np.float64))

    def _moments(self, origin, series):
        if self.sigma is None:
            raise CpjaxInputError("Drift has no fitted interval width; fix: call fit(...) before "
                                  "asking for quantiles")
        h = np.arange(1, self.horizon + 1)[None, :]
        w = np.maximum(self._span(origin), 1)[:, None]
        sd = self.sigma * np.sqrt(h * (1.0 + h / w))
        return self._mean(origin, np.asarray(series, dtype=np.float64)), sd

    def state_dict(self) -> dict[str, Any]:
        return {} if self.sigma is None else {"sigma": self.sigma}

    @classmethod
    def load(cls, config: Any, horizon: int, state: Mapping[str, Any]) -> Drift:
        m = cls(config, horizon)
        m.sigma = float(state["sigma"]) if "sigma" in state else None
        return m


register_model(ModelSpec(
    name="drift", kind="estimator", config_cls=DriftConfig,
    build=lambda cfg, h: Drift(cfg, h), load=Drift.load,
    description="last value plus the average change over the history (random walk with drift)",
    source="Hyndman & Athanasopoulos, FPP3 §5.2, §5.5",
    residual_refusal=forecasts_from_history,
))
