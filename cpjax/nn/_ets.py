"""AutoETS: additive exponential smoothing with the model chosen by AICc (statsmodels).

The candidates are the additive-error ETS models of Hyndman et al. (2008): error A, trend
N (none), A (additive) or Ad (damped), season N or A (only when ``season_length > 1``):
``ANN``, ``AAN``, ``AAdN``, ``ANA``, ``AAA``, ``AAdA``.  Each is fitted by maximum likelihood as a
linear Gaussian state-space model (``statsmodels.tsa.statespace.exponential_smoothing``, initial
states estimated as parameters) and the one with the smallest AICc is kept, as statsforecast's
AutoETS does.  Multiplicative components are not candidates: the Forecaster hands estimators the
min-max scaled target, which touches 0, where multiplicative models are undefined (statsforecast's
AutoETS drops them on non-positive data as well).

Forecasts at each origin use the fitted parameters and the history up to the origin (one Kalman
filter pass, :func:`cpjax.nn._statespace.statespace_forecasts`); intervals are Gaussian with the
exact forecast variance.
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
from ._statespace import statespace_forecasts

__all__ = ["ETSConfig", "ETSModel", "ETS_MODELS"]

#: code -> (trend, damped, seasonal)
ETS_MODELS = {"ANN": (False, False, False), "AAN": (True, False, False),
              "AAdN": (True, True, False), "ANA": (False, False, True),
              "AAA": (True, False, True), "AAdA": (True, True, True)}


@dataclasses.dataclass(frozen=True)
class ETSConfig:
    """Attributes:
        model: ``"auto"`` (smallest AICc among the candidates) or one code of ``ETS_MODELS``.
        season_length: m; seasonal candidates only when m > 1.
        max_train: fit on at most this many most recent training rows (0 = all); the fitted
            initial states belong to the first of them, so forecasts start there too.
    """

    model: str = "auto"
    season_length: int = 1
    max_train: int = 0
    target_index: int = 0

    def __post_init__(self):
        if self.model != "auto" and self.model not in ETS_MODELS:
            raise CpjaxInputError(f"ETS model {self.model!r} is unknown; fix: use 'auto' or one "
                                  f"of {', '.join(ETS_MODELS)}")
        if ETS_MODELS.get(self.model, (0, 0, False))[2] and int(self.season_length) < 2:
            raise CpjaxInputError(f"ETS model {self.model!r} is seasonal; fix: give "
                                  "season_length >= 2")


def _statsmodel(code: str, x: np.ndarray, m: int):
    from statsmodels.tsa.statespace.exponential_smoothing import ExponentialSmoothing

    trend, damped, seasonal = ETS_MODELS[code]
    # the innovation variance is a parameter (not concentrated out), so that it stays fixed at
    # its training estimate when later histories are filtered
    return ExponentialSmoothing(x, trend=trend, damped_trend=damped,
                                seasonal=m if seasonal else None, concentrate_scale=False)


class ETSModel(GaussianEstimator):
    def __init__(self, config: ETSConfig, horizon: int):
        self.config, self.horizon = config, horizon
        self.code: str | None = None
        self.params: np.ndarray | None = None
        self.start = 0

    def _candidates(self) -> list[str]:
        if self.config.model != "auto":
            return [self.config.model]
        seasonal = int(self.config.season_length) > 1
        return [c for c, (_, _, s) in ETS_MODELS.items() if seasonal or not s]

    def fit(self, X, y, origin, series):
        cfg = self.config
        x = self._transformed(series, int(np.max(origin)) + self.horizon + 1)
        self.start = max(0, x.size - cfg.max_train) if cfg.max_train > 0 else 0
        x = x[self.start:]
        best = None
        for code in self._candidates():
            if ETS_MODELS[code][2] and x.size < 2 * int(cfg.season_length) + 2:
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # optimizer chatter
                try:
                    res = _statsmodel(code, x, int(cfg.season_length)).fit(disp=False)
                except (ValueError, np.linalg.LinAlgError):
                    continue
            if np.isfinite(res.aicc) and np.all(np.isfinite(res.params)) and (
                    best is None or res.aicc < best[0]):
                best = (float(res.aicc), code, np.asarray(res.params, dtype=np.float64))
        if best is None:
            raise CpjaxInputError(f"no ETS model could be fitted to {x.size} training rows; fix: "
                                  "use a longer training part")
        _, self.code, self.params = best
        return self

    def _moments(self, origin, series):
        if self.params is None:
            raise RuntimeError("ETSModel.predict called before fit")
        if origin.min() < self.start:
            raise CpjaxInputError(f"ETS was fitted from row {self.start}; it cannot forecast from "
                                  f"row {int(origin.min())}; fix: max_train=0 (all rows)")
        x = self._transformed(series, int(origin.max()) + 1)[self.start:]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = _statsmodel(self.code, x, int(self.config.season_length)).filter(self.params)
        mean, var = statespace_forecasts(res, origin - self.start, self.horizon)
        return mean, np.sqrt(var)

    def state_dict(self) -> dict[str, Any]:
        return {"model": self.code, "params": np.asarray(self.params).tolist(),
                "start": self.start}


def _load(config: ETSConfig, horizon: int, state: Mapping[str, Any]) -> ETSModel:
    m = ETSModel(config, horizon)
    if state["model"] not in ETS_MODELS:
        raise CpjaxInputError(f"saved ETS model {state['model']!r} is unknown; fix: refit it")
    m.code = state["model"]
    m.params = np.asarray(state["params"], dtype=np.float64)
    m.start = int(state.get("start", 0))
    return m


register_model(ModelSpec(
    name="autoets", kind="estimator", config_cls=ETSConfig,
    build=lambda cfg, h: ETSModel(cfg, h), load=_load,
    description="the statistical peer AutoETS: additive ETS chosen by AICc (statsmodels); fixed "
                "parameters, rolling history; Gaussian intervals",
    source="Hyndman, Koehler, Ord & Snyder 2008; statsmodels.tsa.statespace.exponential_smoothing",
))
