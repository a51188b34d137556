"""AutoARIMA: statsforecast's automatic ARIMA as the ``autoarima`` peer.

statsforecast's ``AutoARIMA`` is Hyndman & Khandakar's (2008) ``auto.arima``: ``d`` by KPSS tests,
``D`` by a seasonal-strength test (when ``season_length`` > 1), then a stepwise search over
``(p, q)(P, Q)`` by AICc, with a mean or a drift where the differencing allows one.  Forecasts at
each origin come from ``forward`` (the chosen orders and coefficients fixed, the Kalman filter run
over the history up to the origin); intervals are statsforecast's Gaussian ones with the
training innovation variance.

The registry's ``arima`` (statsmodels, :mod:`cpjax.nn._arima`) is a different model: a fixed or
ADF/AIC-chosen (seasonal) ARIMA with log, drift and Hannan–Rissanen options, used by node and
quota.
"""

from __future__ import annotations

import dataclasses

from .._errors import CpjaxInputError
from ._registry import ModelSpec, register_model
from ._residual import forecasts_from_history
from ._statsforecast import StatsForecastEstimator

__all__ = ["AutoARIMAConfig", "AutoARIMAEstimator"]


@dataclasses.dataclass(frozen=True)
class AutoARIMAConfig:
    """Attributes (statsforecast's ``AutoARIMA`` arguments of the same names):
        max_p, max_q, max_d: largest non-seasonal AR, MA and differencing orders searched.
        max_P, max_Q, max_D: the same for the seasonal part (when ``season_length`` > 1).
        d, D: fixed differencing orders (None: chosen by the tests).
        season_length: m.
        stepwise: stepwise search (False: every model up to the maxima).
        approximation: conditional sum of squares during the search (faster on long series).
        ic: ``"aicc"``, ``"aic"`` or ``"bic"``.
        allowdrift, allowmean: whether a drift / mean may be included.
        max_train: fit on at most this many most recent training rows (0 = all).
    """

    max_p: int = 5
    max_q: int = 5
    max_d: int = 2
    max_P: int = 2
    max_Q: int = 2
    max_D: int = 1
    d: int | None = None
    D: int | None = None
    season_length: int = 1
    stepwise: bool = True
    approximation: bool = False
    ic: str = "aicc"
    allowdrift: bool = True
    allowmean: bool = True
    max_train: int = 0
    target_index: int = 0

    def __post_init__(self):
        if self.ic not in ("aicc", "aic", "bic"):
            raise CpjaxInputError(f"ic must be 'aicc', 'aic' or 'bic', got {self.ic!r}")
        for name in ("max_p", "max_q", "max_d", "max_P", "max_Q", "max_D"):
            v = getattr(self, name)
            if isinstance(v, bool) or int(v) < 0:
                raise CpjaxInputError(f"{name} must be an integer >= 0, got {v!r}")
        if isinstance(self.season_length, bool) or int(self.season_length) < 1:
            raise CpjaxInputError(f"season_length must be a positive integer, got "
                                  f"{self.season_length!r}")


class AutoARIMAEstimator(StatsForecastEstimator):
    # what statsforecast's forward_arima (Arima with model=..., arima2) reads; x and xreg carry
    # the training length and drift regressor
    _SAVED_FIELDS = ("arma", "coef", "sigma2", "lambda", "xreg", "x")

    def _statsforecast_model(self):
        from statsforecast.models import AutoARIMA

        c = self.config
        return AutoARIMA(d=c.d, D=c.D, max_p=int(c.max_p), max_q=int(c.max_q),
                         max_P=int(c.max_P), max_Q=int(c.max_Q), max_d=int(c.max_d),
                         max_D=int(c.max_D), season_length=int(c.season_length),
                         stepwise=bool(c.stepwise), approximation=bool(c.approximation),
                         ic=c.ic, allowdrift=bool(c.allowdrift), allowmean=bool(c.allowmean))

    def _min_history(self) -> int:
        return 2 * int(self.config.season_length) + 4

    @property
    def order(self) -> tuple[int, int, int, int, int, int, int] | None:
        """statsforecast's ``arma`` vector (p, q, P, Q, m, d, D) of the chosen model."""
        return None if self.model is None else tuple(int(v) for v in self.model.model_["arma"])


register_model(ModelSpec(
    name="autoarima", kind="estimator", config_cls=AutoARIMAConfig,
    build=lambda cfg, h: AutoARIMAEstimator(cfg, h), load=AutoARIMAEstimator.load,
    description="the statistical peer AutoARIMA (statsforecast): stepwise auto.arima by AICc; "
                "fixed coefficients, rolling history; statsforecast's intervals",
    source="Hyndman & Khandakar 2008; statsforecast.models.AutoARIMA",
    residual_refusal=forecasts_from_history,
))
