"""The one (seasonal) ARIMA of cpjax (statsmodels), used by forecast, node and quota alike.

``ARIMA(p, d, q)(P, D, Q)_m`` on the target, or on its log (``log=True``), estimated by state-space
maximum likelihood (``method="mle"``) or by the Hannan–Rissanen regression estimator
(``method="hannan_rissanen"``, fast, for ARMA parts without seasonal AR/MA terms).

* **Order.** ``order=None`` chooses it as Hyndman & Khandakar's auto.arima does in spirit: ``d``
  by repeated augmented Dickey–Fuller tests at 5% (difference while the unit root is not
  rejected, at most ``max_d``), then ``(p, q)`` by AIC over ``0..max_p`` x ``0..max_q`` at that
  ``d`` (AIC values are only comparable at equal differencing).  The seasonal part
  ``seasonal_order`` / ``season_length`` is given, not searched.
* **Constant.** ``constant=None`` adds one when nothing is differenced (``d + D = 0``,
  statsmodels' ``trend="c"``, estimated jointly).  With one difference (``d + D = 1``) a constant
  is a drift ``b`` per row, estimated as the mean of the differenced training series divided by
  the lag; the model is then fitted to ``y_t - b t``.  With more differencing there is none.
* **Rolling origins without look-ahead.** Parameters are fitted once on the training rows (the
  last ``max_train`` of them); forecasts at each origin condition on the observed history up to
  that origin with the parameters held fixed (one Kalman filter pass,
  :func:`cpjax.nn._statespace.statespace_forecasts`).
* **Intervals.** Gaussian with the exact Kalman forecast variance; with ``log=True`` they are
  log-normal (quantiles ``exp`` of the log quantiles, and the point forecast the median).

The statistical peer ``autoarima`` is statsforecast's AutoARIMA (:mod:`cpjax.nn._autoarima`), not
this class.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np

from .._errors import CpjaxInputError
from ._gaussian import GaussianEstimator
from ._registry import ModelSpec, register_model
from ._residual import forecasts_from_history
from ._statespace import statespace_forecasts

__all__ = ["ARIMAConfig", "ARIMAModel", "select_arima_order"]

_METHODS = ("mle", "hannan_rissanen")


@dataclasses.dataclass(frozen=True)
class ARIMAConfig:
    """Attributes:
        max_p, max_q: AR and MA orders searched (0..max) when ``order`` is None.
        max_d: largest differencing order tried by the ADF rule.
        order: a fixed (p, d, q) that skips the search when given.
        seasonal_order: (P, D, Q) of the seasonal part at lag ``season_length``.
        season_length: m, the seasonal period (12 for monthly data); 1 = none.
        constant: None (automatic, see the module doc), True or False.
        log: model the log of the series (positive series only).
        method: ``"mle"`` or ``"hannan_rissanen"``.
        enforce: keep MLE estimates stationary and invertible.
        max_train: fit on at most this many most recent training rows (speed; 0 = all).
    """

    max_p: int = 2
    max_q: int = 2
    max_d: int = 1
    order: tuple[int, int, int] | None = None
    seasonal_order: tuple[int, int, int] = (0, 0, 0)
    season_length: int = 1
    constant: bool | None = None
    log: bool = False
    method: str = "mle"
    enforce: bool = True
    max_train: int = 1000
    target_index: int = 0

    def __post_init__(self):
        if self.method not in _METHODS:
            raise CpjaxInputError(f"ARIMA method {self.method!r} is unknown; fix: use one of "
                                  f"{', '.join(_METHODS)}")
        seas = tuple(self.seasonal_order)
        if len(seas) != 3 or any(int(v) < 0 for v in seas):
            raise CpjaxInputError(f"seasonal_order must be (P, D, Q) >= 0, got {seas!r}")
        if any(seas) and int(self.season_length) < 2:
            raise CpjaxInputError("a seasonal_order needs season_length >= 2; fix: e.g. "
                                  "season_length=12 for monthly data")
        if self.order is not None and (len(self.order) != 3 or min(self.order) < 0):
            raise CpjaxInputError(f"order must be (p, d, q) >= 0, got {self.order!r}")


def _spec(cfg: ARIMAConfig, order) -> dict[str, Any]:
    P, D, Q = (int(v) for v in cfg.seasonal_order)
    m = int(cfg.season_length) if (P or D or Q) else 0
    return {"order": tuple(int(v) for v in order), "seasonal_order": (P, D, Q, m),
            "enforce_stationarity": cfg.enforce, "enforce_invertibility": cfg.enforce}


def _constant_kind(cfg: ARIMAConfig, order) -> str:
    """``"c"`` (statsmodels constant), ``"drift"`` (b t removed first) or ``"n"`` (none)."""
    diffs = int(order[1]) + int(cfg.seasonal_order[1])
    want = (diffs == 0) if cfg.constant is None else bool(cfg.constant)
    if not want:
        return "n"
    if diffs == 0:
        return "c"
    if diffs == 1:
        return "drift"
    raise CpjaxInputError(f"a constant with {diffs} differences is not identified; fix: "
                          "constant=False or less differencing")


def _drift(cfg: ARIMAConfig, order, x: np.ndarray) -> float:
    lag = 1 if int(order[1]) == 1 else int(cfg.season_length)
    if x.size <= lag:
        raise CpjaxInputError(f"too few rows ({x.size}) to estimate a drift; fix: use a longer "
                              "training part")
    return float(np.mean(x[lag:] - x[:-lag]) / lag)


def _model(cfg: ARIMAConfig, order, u: np.ndarray, trend: str):
    from statsmodels.tsa.arima.model import ARIMA

    return ARIMA(u, trend="c" if trend == "c" else "n", **_spec(cfg, order))


def _fit(cfg: ARIMAConfig, order, x: np.ndarray, t0: int):
    """Fitted statsmodels results and the drift for training values ``x`` (rows from ``t0``)."""
    kind = _constant_kind(cfg, order)
    b = _drift(cfg, order, x) if kind == "drift" else 0.0
    u = x - b * np.arange(t0, t0 + x.size)
    kw = {"method": "hannan_rissanen"} if cfg.method == "hannan_rissanen" else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter on short or flat series
        return _model(cfg, order, u, kind).fit(**kw), b


def _seasonal_diff(x: np.ndarray, cfg: ARIMAConfig) -> np.ndarray:
    for _ in range(int(cfg.seasonal_order[1])):
        m = int(cfg.season_length)
        x = x[m:] - x[:-m]
    return x


def select_arima_order(series: np.ndarray, max_p: int = 2, max_q: int = 2, max_d: int = 1,
                       config: ARIMAConfig | None = None) -> tuple[int, int, int]:
    """Choose ``d`` by repeated ADF tests (5%), then ``(p, q)`` by AIC (see the module doc)."""
    from statsmodels.tsa.stattools import adfuller

    cfg = config or ARIMAConfig(max_p=max_p, max_q=max_q, max_d=max_d)
    x = _seasonal_diff(np.asarray(series, dtype=np.float64), cfg)
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
                aic = _fit(cfg, (p, d, q), np.asarray(series, dtype=np.float64), 0)[0].aic
            except (ValueError, np.linalg.LinAlgError):
                continue
            if np.isfinite(aic) and aic < best_aic:
                best, best_aic = (p, d, q), aic
    return best


class ARIMAModel(GaussianEstimator):
    def __init__(self, config: ARIMAConfig, horizon: int):
        self.config, self.horizon = config, horizon
        self.log = bool(config.log)
        self.order: tuple[int, int, int] | None = None
        self.params: np.ndarray | None = None
        self.drift: float = 0.0

    def fit(self, X, y, origin, series):
        cfg = self.config
        end = int(np.max(origin)) + self.horizon + 1
        x = self._transformed(series, end)
        t0 = max(0, x.size - cfg.max_train) if cfg.max_train > 0 else 0
        train = x[t0:]
        self.order = tuple(int(v) for v in cfg.order) if cfg.order else select_arima_order(
            train, cfg.max_p, cfg.max_q, cfg.max_d, cfg)
        try:
            res, self.drift = _fit(cfg, self.order, train, t0)
        except np.linalg.LinAlgError as exc:
            raise CpjaxInputError(f"ARIMA{self.order} could not be fitted ({exc}); fix: choose "
                                  "another order or a longer series") from None
        self.params = np.asarray(res.params, dtype=np.float64)
        if not np.all(np.isfinite(self.params)):
            raise CpjaxInputError(f"ARIMA{self.order} estimation gave non-finite parameters; "
                                  "fix: choose another order or method")
        return self

    def _moments(self, origin, series):
        if self.params is None:
            raise RuntimeError("ARIMAModel.predict called before fit")
        top = int(origin.max())
        x = self._transformed(series, top + 1)
        kind = _constant_kind(self.config, self.order)
        u = x - self.drift * np.arange(x.size)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = _model(self.config, self.order, u, kind).filter(self.params)
        mean, var = statespace_forecasts(res, origin, self.horizon)
        steps = origin[:, None] + np.arange(1, self.horizon + 1)[None, :]
        return mean + self.drift * steps, np.sqrt(var)

    def state_dict(self) -> dict[str, Any]:
        return {"order": list(self.order), "params": np.asarray(self.params).tolist(),
                "drift": self.drift}


def _load(config: ARIMAConfig, horizon: int, state: Mapping[str, Any]) -> ARIMAModel:
    m = ARIMAModel(config, horizon)
    m.order = tuple(int(v) for v in state["order"])
    m.params = np.asarray(state["params"], dtype=np.float64)
    m.drift = float(state.get("drift", 0.0))
    return m


register_model(ModelSpec(
    name="arima", kind="estimator", config_cls=ARIMAConfig,
    build=lambda cfg, h: ARIMAModel(cfg, h), load=_load,
    description="(seasonal) ARIMA: d by ADF test, (p,q) by AIC unless order= is given; fixed "
                "parameters, rolling history; Gaussian (or log-normal) intervals",
    source="Box & Jenkins; statsmodels.tsa.arima; forecasting.md §2",
    residual_refusal=forecasts_from_history,
))
