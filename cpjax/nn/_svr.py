"""Support-vector regression on flattened windows (scikit-learn, RBF kernel).

Fitted with scikit-learn; saved as its support vectors, dual coefficients, intercept and kernel
width, and predicted from those arrays with the RBF formula — so a saved model needs no pickle.

Two strategies: ``recursive=False`` (default) fits one SVR per horizon step on the flattened
window (direct); ``recursive=True`` fits one one-step SVR on the target's own lags (windows of
``lookback`` values, built from the training rows) and feeds its forecasts back in, as seed 002's
output model does.  ``normalize="window_mean"`` divides each window and its target by the mean of
the window's target values (and multiplies the forecast back), which makes the model scale-free.
Residual mode (fit the change from the last value) is :func:`cpjax.nn.residual`, direct only.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np

from .._errors import CpjaxInputError
from ._registry import ModelSpec, register_model

__all__ = ["SVRConfig", "SVRModel"]


@dataclasses.dataclass(frozen=True)
class SVRConfig:
    """Attributes: C, epsilon and gamma of sklearn.svm.SVR (RBF kernel).
    ``recursive``: one one-step SVR iterated over the horizon (target-only windows).
    ``normalize``: ``"none"`` or ``"window_mean"``."""

    C: float = 1.0
    epsilon: float = 0.01
    gamma: str | float = "scale"
    target_index: int = 0
    recursive: bool = False
    normalize: str = "none"

    def __post_init__(self):
        if self.normalize not in ("none", "window_mean"):
            raise CpjaxInputError(f"normalize must be 'none' or 'window_mean', got "
                                  f"{self.normalize!r}")


class SVRModel:
    def __init__(self, config: SVRConfig, horizon: int):
        self.config, self.horizon = config, horizon
        self.parts: list[dict[str, np.ndarray]] = []

    @staticmethod
    def _fit_one(flat: np.ndarray, target: np.ndarray, cfg: SVRConfig) -> dict[str, np.ndarray]:
        from sklearn.svm import SVR

        svr = SVR(kernel="rbf", C=cfg.C, epsilon=cfg.epsilon, gamma=cfg.gamma).fit(flat, target)
        return {"sv": svr.support_vectors_, "coef": svr.dual_coef_[0],
                "b": np.asarray(svr.intercept_[0]), "gamma": np.asarray(svr._gamma)}

    @staticmethod
    def _eval(part: dict[str, np.ndarray], flat: np.ndarray) -> np.ndarray:
        d2 = ((flat[:, None, :] - part["sv"][None, :, :]) ** 2).sum(-1)
        return np.exp(-float(part["gamma"]) * d2) @ part["coef"] + float(part["b"])

    def _scale(self, windows: np.ndarray) -> np.ndarray:
        """``(N, 1)`` divisor of each ``(N, L)`` target window."""
        if self.config.normalize == "none":
            return np.ones((len(windows), 1))
        m = windows.mean(axis=1, keepdims=True)
        if np.any(m == 0):
            raise CpjaxInputError("normalize='window_mean' met a window with mean 0; fix: use "
                                  "normalize='none' for series that cross zero")
        return m

    def _target_windows(self, X) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        if self.config.recursive and X.shape[2] != 1:
            raise CpjaxInputError(f"recursive SVR forecasts its own lags only, but the windows "
                                  f"have {X.shape[2]} features; fix: features=[] or "
                                  "recursive=False")
        return X[:, :, self.config.target_index]

    def fit(self, X, y, origin, series):
        cfg = self.config
        if cfg.recursive:
            L = np.asarray(X).shape[1]
            self._target_windows(X)
            s = np.asarray(series, dtype=np.float64)[: int(np.max(origin)) + self.horizon + 1]
            w = np.lib.stride_tricks.sliding_window_view(s[:-1], L)
            scale = self._scale(w)
            self.parts = [self._fit_one(w / scale, s[L:] / scale[:, 0], cfg)]
            return self
        X = np.asarray(X, dtype=np.float64)
        scale = self._scale(X[:, :, cfg.target_index])
        flat = X.reshape(len(X), -1) / scale
        y = np.asarray(y, dtype=np.float64) / scale
        self.parts = [self._fit_one(flat, y[:, h], cfg) for h in range(self.horizon)]
        return self

    def predict(self, X: np.ndarray, origin: np.ndarray, series: np.ndarray) -> np.ndarray:
        if not self.parts:
            raise RuntimeError("SVRModel.predict called before fit")
        X = np.asarray(X, dtype=np.float64)
        if self.config.recursive:
            w = self._target_windows(X).copy()
            out = np.empty((len(w), self.horizon))
            for h in range(self.horizon):
                scale = self._scale(w)
                out[:, h] = self._eval(self.parts[0], w / scale) * scale[:, 0]
                w = np.concatenate([w[:, 1:], out[:, h:h + 1]], axis=1)
            return out
        scale = self._scale(X[:, :, self.config.target_index])
        flat = X.reshape(len(X), -1) / scale
        cols = [self._eval(part, flat) for part in self.parts]
        return np.stack(cols, axis=1) * scale

    def state_dict(self) -> dict[str, Any]:
        return {"parts": [{k: np.asarray(v).tolist() for k, v in p.items()} for p in self.parts]}


def _load(config: SVRConfig, horizon: int, state: Mapping[str, Any]) -> SVRModel:
    m = SVRModel(config, horizon)
    m.parts = [{k: np.asarray(v, dtype=np.float64) for k, v in p.items()} for p in state["parts"]]
    return m


register_model(ModelSpec(
    name="svr", kind="estimator", config_cls=SVRConfig,
    build=lambda cfg, h: SVRModel(cfg, h), load=_load,
    description="support-vector regression (RBF) on flattened windows (scikit-learn); direct "
                "or recursive",
    source="Drucker et al. 1997; seeds 002/003 comparison models",
    residual_refusal=lambda cfg: (
        "the recursive strategy feeds its own one-step forecasts back as lags and fits on the "
        "series, not on the window targets; fix: recursive=False (direct) or drop residual "
        "mode" if cfg.recursive else None),
))
