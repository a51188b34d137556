"""ARIMA reference model (statsmodels), order chosen by a unit-root test and AIC.

``d`` comes from the augmented Dickey–Fuller test on the training series (difference while the
unit root is not rejected at 5%, at most ``max_d``), then ``(p, q)`` by AIC over a small grid —
AIC values are only comparable at equal ``d``, which is why ``d`` is fixed first (as in
Hyndman & Khandakar's auto.arima).  Parameters are fitted once on the training period; forecasts
at each origin condition on the observed history up to that origin with the parameters held
fixed (no refit, no look-ahead).
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np

from ._registry import ModelSpec, register_model

__all__ = ["ARIMAConfig", "ARIMAModel", "select_arima_order"]


@dataclasses.dataclass(frozen=True)
class ARIMAConfig:
    """Attributes:
        max_p, max_q: AR and MA orders searched (0..max).
        max_d: largest differencing order tried by the ADF rule.
        order: a fixed (p, d, q) that skips the search when given.
        max_train: fit on at most this many most recent training rows (speed; 0 = all).
    """

    max_p: int = 2
    max_q: int = 2
    max_d: int = 1
    order: tuple[int, int, int] | None = None
    max_train: int = 1000
    target_index: int = 0


def _quiet_fit(series: np.ndarray, order: tuple[int, int, int]):
    from statsmodels.tsa.arima.model import ARIMA

    trend = "c" if order[1] == 0 else "n"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ARIMA(series, order=order, trend=trend).fit()


def select_arima_order(series: np.ndarray, max_p: int = 2, max_q: int = 2, max_d: int = 1
                       ) -> tuple[int, int, int]:
    """Choose ``d`` by repeated ADF tests (5%), then ``(p, q)`` by AIC."""
    from statsmodels.tsa.stattools import adfuller

    x = np.asarray(series, dtype=np.float64)
    d = 0
    while d < max_d:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pvalue = adfuller(x, autolag="AIC")[1]
        if pvalue < 0.05:
            break
        x = np.diff(x)
        d += 1
    best, best_aic = (0, d, 0), np.inf
    for p in range(max_p + 1):
        for q in range(max_q + 1):
            try:
                aic = _quiet_fit(series, (p, d, q)).aic
            except (ValueError, np.linalg.LinAlgError):
                continue
            if np.isfinite(aic) and aic < best_aic:
                best, best_aic = (p, d, q), aic
    return best


class ARIMAModel:
    def __init__(self, config: ARIMAConfig, horizon: int):
        self.config, self.horizon = config, horizon
        self.order: tuple[int, int, int] | None = None
        self.params: np.ndarray | None = None

    def fit(self, X, y, origin, series):
        end = int(np.max(origin)) + self.horizon + 1
        train = np.asarray(series[:end], dtype=np.float64)
        if self.config.max_train > 0:
            train = train[-self.config.max_train:]
        cfg = self.config
        self.order = tuple(cfg.order) if cfg.order else select_arima_order(
            train, cfg.max_p, cfg.max_q, cfg.max_d)
        self.params = np.asarray(_quiet_fit(train, self.order).params)
        return self

    def _filtered(self, history: np.ndarray):
        from statsmodels.tsa.arima.model import ARIMA

        trend = "c" if self.order[1] == 0 else "n"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ARIMA(history, order=self.order, trend=trend).filter(self.params)

    def predict(self, X: np.ndarray, origin: np.ndarray, series: np.ndarray) -> np.ndarray:
        if self.params is None:
            raise RuntimeError("ARIMAModel.predict called before fit")
        series = np.asarray(series, dtype=np.float64)
        origin = np.asarray(origin)
        top = int(origin.max())
        if self.horizon == 1:
            # One filter pass over the history up to the last origin: the one-step-ahead
            # prediction for row t uses rows < t only.
            res = self._filtered(series[: top + 1])
            inside = res.predict(start=0, end=top)  # prediction of row t given rows < t
            ahead = res.forecast(1)
            path = np.concatenate([inside, ahead])  # path[t] predicts row t
            return path[origin + 1][:, None]
        out = np.empty((origin.size, self.horizon))
        for i, o in enumerate(origin):
            out[i] = self._filtered(series[: o + 1]).forecast(self.horizon)
        return out

    def state_dict(self) -> dict[str, Any]:
        return {"order": list(self.order), "params": np.asarray(self.params).tolist()}


def _load(config: ARIMAConfig, horizon: int, state: Mapping[str, Any]) -> ARIMAModel:
    m = ARIMAModel(config, horizon)
    m.order = tuple(int(v) for v in state["order"])
    m.params = np.asarray(state["params"], dtype=np.float64)
    return m


register_model(ModelSpec(
    name="arima", kind="estimator", config_cls=ARIMAConfig,
    build=lambda cfg, h: ARIMAModel(cfg, h), load=_load,
    description="ARIMA(p,d,q): d by ADF test, (p,q) by AIC; fixed parameters, rolling history",
    source="Box & Jenkins; statsmodels.tsa.arima; forecasting.md §2",
))
