"""Persistence and drift: the reference rows of every table (forecasting.md §2)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np

from ._registry import ModelSpec, register_model

__all__ = ["PersistenceConfig", "Persistence", "DriftConfig", "Drift"]


@dataclasses.dataclass(frozen=True)
class PersistenceConfig:
    """Persistence (random walk): every horizon step equals the last observed target value."""

    target_index: int = 0


class Persistence:
    def __init__(self, config: PersistenceConfig, horizon: int):
        self.config, self.horizon = config, horizon

    def fit(self, X, y, origin, series):
        return self

    def predict(self, X: np.ndarray, origin: np.ndarray, series: np.ndarray) -> np.ndarray:
        last = np.asarray(series)[np.asarray(origin)]
        return np.repeat(last[:, None], self.horizon, axis=1)

    def state_dict(self) -> dict[str, Any]:
        return {}


@dataclasses.dataclass(frozen=True)
class DriftConfig:
    """Drift (random walk with drift, Hyndman & Athanasopoulos §5.2).

    ``y_{o+h} = y_o + h * (y_o - y_{o-w}) / w`` with ``w = window`` rows before the origin, or the
    whole history up to the origin when ``window`` is 0.
    """

    window: int = 0
    target_index: int = 0


class Drift:
    def __init__(self, config: DriftConfig, horizon: int):
        self.config, self.horizon = config, horizon

    def fit(self, X, y, origin, series):
        return self

    def predict(self, X: np.ndarray, origin: np.ndarray, series: np.ndarray) -> np.ndarray:
        series = np.asarray(series, dtype=np.float64)
        origin = np.asarray(origin)
        w = origin if self.config.window <= 0 else np.minimum(origin, self.config.window)
        start = origin - w
        slope = np.where(w > 0, (series[origin] - series[start]) / np.maximum(w, 1), 0.0)
        steps = np.arange(1, self.horizon + 1)
        return series[origin][:, None] + slope[:, None] * steps[None, :]

    def state_dict(self) -> dict[str, Any]:
        return {}


def _load_stateless(cls):
    def load(config: Any, horizon: int, state: Mapping[str, Any]):
        return cls(config, horizon)
    return load


register_model(ModelSpec(
    name="persistence", kind="estimator", config_cls=PersistenceConfig,
    build=lambda cfg, h: Persistence(cfg, h), load=_load_stateless(Persistence),
    description="last observed value (random walk); the reference row of every table",
    source="forecasting.md §2 reference baselines",
))
register_model(ModelSpec(
    name="drift", kind="estimator", config_cls=DriftConfig,
    build=lambda cfg, h: Drift(cfg, h), load=_load_stateless(Drift),
    description="last value plus the average change over the history (random walk with drift)",
    source="Hyndman & Athanasopoulos, FPP3 §5.2",
))
