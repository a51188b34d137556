"""Support-vector regression on flattened windows (scikit-learn, RBF kernel).

Fitted with scikit-learn; saved as its support vectors, dual coefficients, intercept and kernel
width, and predicted from those arrays with the RBF formula — so a saved model needs no pickle.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np

from ._registry import ModelSpec, register_model

__all__ = ["SVRConfig", "SVRModel"]


@dataclasses.dataclass(frozen=True)
class SVRConfig:
    """Attributes: C, epsilon and gamma of sklearn.svm.SVR (RBF kernel); one SVR per horizon step.
    ``residual``: fit the change from the last observed target (``X[:, -1, target_index]``) and
    add it back, so forecasts can leave the range of the training levels."""

    C: float = 1.0
    epsilon: float = 0.01
    gamma: str | float = "scale"
    target_index: int = 0
    residual: bool = False


class SVRModel:
    def __init__(self, config: SVRConfig, horizon: int):
        self.config, self.horizon = config, horizon
        self.parts: list[dict[str, np.ndarray]] = []

    def fit(self, X, y, origin, series):
        from sklearn.svm import SVR

        flat = np.asarray(X, dtype=np.float64).reshape(len(X), -1)
        y = np.asarray(y, dtype=np.float64) - self._base(X)
        self.parts = []
        for h in range(self.horizon):
            svr = SVR(kernel="rbf", C=self.config.C, epsilon=self.config.epsilon,
                      gamma=self.config.gamma).fit(flat, y[:, h])
            self.parts.append({"sv": svr.support_vectors_, "coef": svr.dual_coef_[0],
                               "b": np.asarray(svr.intercept_[0]),
                               "gamma": np.asarray(svr._gamma)})
        return self

    def predict(self, X: np.ndarray, origin: np.ndarray, series: np.ndarray) -> np.ndarray:
        if not self.parts:
            raise RuntimeError("SVRModel.predict called before fit")
        flat = np.asarray(X, dtype=np.float64).reshape(len(X), -1)
        cols = []
        for part in self.parts:
            d2 = ((flat[:, None, :] - part["sv"][None, :, :]) ** 2).sum(-1)
            cols.append(np.exp(-float(part["gamma"]) * d2) @ part["coef"] + float(part["b"]))
        return np.stack(cols, axis=1) + self._base(X)

    def _base(self, X) -> np.ndarray:
        if not self.config.residual:
            return np.zeros((len(X), 1))
        return np.asarray(X, dtype=np.float64)[:, -1, self.config.target_index][:, None]

    def state_dict(self) -> dict[str, Any]:
        return {"parts": [{k: np.asarray(v).tolist() for k, v in p.items()} for p in self.parts]}


def _load(config: SVRConfig, horizon: int, state: Mapping[str, Any]) -> SVRModel:
    m = SVRModel(config, horizon)
    m.parts = [{k: np.asarray(v, dtype=np.float64) for k, v in p.items()} for p in state["parts"]]
    return m


register_model(ModelSpec(
    name="svr", kind="estimator", config_cls=SVRConfig,
    build=lambda cfg, h: SVRModel(cfg, h), load=_load,
    description="support-vector regression (RBF) on flattened windows (scikit-learn)",
    source="Drucker et al. 1997; seeds 002/003 comparison models",
))
