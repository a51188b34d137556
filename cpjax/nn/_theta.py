"""AutoTheta: the Theta method (Assimakopoulos & Nikolopoulos 2000) with theta chosen in-sample.

Parameters come from statsmodels' ``ThetaModel`` on the training rows (no deseasonalisation; the
daily price series this package forecasts have no stable season): the slope ``b0`` of an OLS
line, the smoothing weight ``alpha`` of simple exponential smoothing (SES) started at the first
value, and the innovation variance ``sigma2`` of the equivalent ARIMA(0,1,1) with drift.  With
these held fixed, the forecast from origin ``o`` (``n`` rows of history from the fit start) is
statsmodels' formula (Hyndman & Billah 2003; Fioruci et al. 2015)

    y_{o+h} = l_o + (1 - 1/theta) b0 [h - 1 + 1/alpha - (1 - alpha)^n / alpha],

``l_o`` the SES level after ``y_o``.  The predictive sd is that of SES with drift,
``sqrt(sigma2 (1 + (h - 1) alpha^2))`` (the psi-weights of ARIMA(0,1,1) with MA coefficient
``alpha - 1``; statsmodels' ``prediction_intervals`` uses ``1 + (h-1)(1 + (alpha-1)^2)`` instead,
which is not the variance of that model unless ``alpha = 1``).

``theta=None`` chooses ``theta`` from ``theta_grid`` by the mean squared 1..H-step error over the
training origins (in-sample, as statsforecast's optimised theta does); ``theta=2`` is the
standard Theta method.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
from scipy.signal import lfilter

from .._errors import CpjaxInputError
from ._gaussian import GaussianEstimator
from ._registry import ModelSpec, register_model

__all__ = ["ThetaConfig", "ThetaModel"]


@dataclasses.dataclass(frozen=True)
class ThetaConfig:
    """Attributes:
        theta: the theta coefficient (>= 1), or None to choose it from ``theta_grid``.
        theta_grid: candidates when ``theta`` is None.
        max_train: fit on at most this many most recent training rows (0 = all).
    """

    theta: float | None = None
    theta_grid: tuple[float, ...] = (1.0, 1.5, 2.0, 2.5, 3.0)
    max_train: int = 0
    target_index: int = 0

    def __post_init__(self):
        values = [self.theta] if self.theta is not None else list(self.theta_grid)
        if not values or any(float(v) < 1 for v in values):
            raise CpjaxInputError(f"theta values must be >= 1, got {values}; fix: e.g. theta=2")


class ThetaModel(GaussianEstimator):
    def __init__(self, config: ThetaConfig, horizon: int):
        self.config, self.horizon = config, horizon
        self.state: dict[str, float] | None = None

    @staticmethod
    def _levels(x: np.ndarray, alpha: float) -> np.ndarray:
        """SES levels ``l_t = alpha x_t + (1 - alpha) l_{t-1}``, ``l_{-1} = x_0``."""
        return lfilter([alpha], [1.0, alpha - 1.0], x, zi=[(1.0 - alpha) * x[0]])[0]

    def _forecast(self, x: np.ndarray, origin: np.ndarray, theta: float, st) -> np.ndarray:
        alpha, b0 = st["alpha"], st["b0"]
        level = self._levels(x, alpha)[origin]
        h = np.arange(1, self.horizon + 1)[None, :]
        n = (origin + 1)[:, None]
        trend = h - 1 + 1 / alpha - (1 - alpha) ** n / alpha
        return level[:, None] + (1 - 1 / theta) * b0 * trend

    def fit(self, X, y, origin, series):
        from statsmodels.tsa.forecasting.theta import ThetaModel as SMTheta

        cfg = self.config
        x = self._transformed(series, int(np.max(origin)) + self.horizon + 1)
        start = max(0, x.size - cfg.max_train) if cfg.max_train > 0 else 0
        x = x[start:]
        if x.size < self.horizon + 3:
            raise CpjaxInputError(f"theta needs more than {self.horizon + 2} training rows, got "
                                  f"{x.size}; fix: use a longer training part")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = SMTheta(x, period=1, deseasonalize=False).fit()
            st = {"alpha": float(res.params["alpha"]), "b0": float(res.params["b0"]),
                  "sigma2": float(res.sigma2), "start": start}
        if not all(np.isfinite(v) for v in st.values()) or st["alpha"] <= 0:
            raise CpjaxInputError("theta estimation failed (non-finite parameters); fix: check "
                                  "the series for constant stretches")
        if cfg.theta is not None:
            st["theta"] = float(cfg.theta)
        else:
            o = np.arange(0, x.size - self.horizon)
            target = np.stack([x[o + k] for k in range(1, self.horizon + 1)], axis=1)
            mse = [np.mean((self._forecast(x, o, float(t), st) - target) ** 2)
                   for t in cfg.theta_grid]
            st["theta"] = float(cfg.theta_grid[int(np.argmin(mse))])
        self.state = st
        return self

    def _moments(self, origin, series):
        if self.state is None:
            raise RuntimeError("ThetaModel.predict called before fit")
        st = self.state
        start = int(st["start"])
        if origin.min() < start:
            raise CpjaxInputError(f"theta was fitted from row {start}; fix: max_train=0")
        x = self._transformed(series, int(origin.max()) + 1)[start:]
        mean = self._forecast(x, origin - start, st["theta"], st)
        h = np.arange(1, self.horizon + 1)
        sd = np.sqrt(st["sigma2"] * (1 + (h - 1) * st["alpha"] ** 2))
        return mean, np.broadcast_to(sd, mean.shape)

    def state_dict(self) -> dict[str, Any]:
        return dict(self.state)


def _load(config: ThetaConfig, horizon: int, state: Mapping[str, Any]) -> ThetaModel:
    m = ThetaModel(config, horizon)
    m.state = {k: float(state[k]) for k in ("alpha", "b0", "sigma2", "theta", "start")}
    return m


register_model(ModelSpec(
    name="autotheta", kind="estimator", config_cls=ThetaConfig,
    build=lambda cfg, h: ThetaModel(cfg, h), load=_load,
    description="the statistical peer AutoTheta: Theta method (SES + half the OLS slope at "
                "theta=2), theta chosen in-sample; fixed parameters, rolling history",
    source="Assimakopoulos & Nikolopoulos 2000; Hyndman & Billah 2003; statsmodels ThetaModel",
))
