"""AutoTheta: statsforecast's automatic Theta method as the ``autotheta`` peer.

statsforecast's ``AutoTheta`` fits the standard, optimised, dynamic standard and dynamic
optimised Theta models (STM, OTM, DSTM, DOTM; Fiorucci et al. 2016) by in-sample MSE and keeps
the best; with ``season_length`` > 1 it first removes a season that passes its seasonality test
(``decomposition_type``).  Forecasts at each origin come from ``forward`` (the chosen model with
its smoothing weight, theta and initial level fixed, run over the history up to the origin).

Its intervals are statsforecast's: quantiles of 200 simulated paths (fixed seed, so repeatable),
whose median is the level-0 "interval" and so the ``q = 0.5`` quantile; it differs slightly from
the point forecast (the analytic mean).
"""

from __future__ import annotations

import dataclasses

from .._errors import CpjaxInputError
from ._registry import ModelSpec, register_model
from ._residual import forecasts_from_history
from ._statsforecast import StatsForecastEstimator

__all__ = ["AutoThetaConfig", "AutoThetaEstimator"]

_THETA_MODELS = ("STM", "OTM", "DSTM", "DOTM")


@dataclasses.dataclass(frozen=True)
class AutoThetaConfig:
    """Attributes:
        model: None (choose among STM, OTM, DSTM, DOTM) or one of them.
        season_length: m; a season is removed only when m > 1 and the series tests seasonal.
        decomposition_type: ``"multiplicative"`` or ``"additive"`` seasonal decomposition.
        max_train: fit on at most this many most recent training rows (0 = all).
    """

    model: str | None = None
    season_length: int = 1
    decomposition_type: str = "multiplicative"
    max_train: int = 0
    target_index: int = 0

    def __post_init__(self):
        if self.model is not None and self.model not in _THETA_MODELS:
            raise CpjaxInputError(f"Theta model {self.model!r} is unknown; fix: None or one of "
                                  f"{', '.join(_THETA_MODELS)}")
        if self.decomposition_type not in ("multiplicative", "additive"):
            raise CpjaxInputError(f"decomposition_type must be 'multiplicative' or 'additive', "
                                  f"got {self.decomposition_type!r}")
        if isinstance(self.season_length, bool) or int(self.season_length) < 1:
            raise CpjaxInputError(f"season_length must be a positive integer, got "
                                  f"{self.season_length!r}")


class AutoThetaEstimator(StatsForecastEstimator):
    # what statsforecast's forward_theta reads
    _SAVED_FIELDS = ("m", "modeltype", "par")

    def _statsforecast_model(self):
        from statsforecast.models import AutoTheta

        c = self.config
        return AutoTheta(season_length=int(c.season_length), model=c.model,
                         decomposition_type=c.decomposition_type)

    def _min_history(self) -> int:
        return max(5, 2 * int(self.config.season_length) + 1)

    @property
    def theta_model(self) -> str | None:
        """The chosen Theta variant (``"OTM"``, ...)."""
        return None if self.model is None else self.model.model_["modeltype"]


register_model(ModelSpec(
    name="autotheta", kind="estimator", config_cls=AutoThetaConfig,
    build=lambda cfg, h: AutoThetaEstimator(cfg, h), load=AutoThetaEstimator.load,
    description="the statistical peer AutoTheta (statsforecast): best of STM/OTM/DSTM/DOTM; "
                "fixed parameters, rolling history; statsforecast's simulated intervals",
    source="Assimakopoulos & Nikolopoulos 2000; Fiorucci et al. 2016; "
           "statsforecast.models.AutoTheta",
    residual_refusal=forecasts_from_history,
))
