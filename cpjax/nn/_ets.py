"""AutoETS: statsforecast's automatic exponential smoothing as the ``autoets`` peer.

statsforecast's ``AutoETS`` (a port of R's ``forecast::ets``, Hyndman et al. 2008) fits the ETS
models its ``model`` string allows (``"ZZZ"``: every error, trend and season type, damped or not)
by maximum likelihood and keeps the one with the smallest AICc.  Multiplicative components need a
positive series; the Forecaster hands estimators its min-max scaled target, which touches 0 on
the training part, so there statsforecast considers the additive models only.

Forecasts at each origin come from ``forward`` (the chosen model with its parameters and initial
states fixed, run over the history up to the origin); intervals are statsforecast's, with the
innovation variance of that history (:mod:`cpjax.nn._statsforecast`).
"""

from __future__ import annotations

import dataclasses

from .._errors import CpjaxInputError
from ._registry import ModelSpec, register_model
from ._residual import forecasts_from_history
from ._statsforecast import StatsForecastEstimator

__all__ = ["AutoETSConfig", "AutoETSEstimator"]


@dataclasses.dataclass(frozen=True)
class AutoETSConfig:
    """Attributes:
        model: statsforecast's three letters error, trend, season; each ``Z`` (choose), or
            ``A``/``M``/``N`` (``N`` not for the error), e.g. ``"ZZZ"`` (default), ``"AAN"``.
        damped: None (try both), True or False for the trend.
        season_length: m; seasonal models only when m > 1.
        max_train: fit on at most this many most recent training rows (0 = all); forecasts then
            run the model from the first of them.
    """

    model: str = "ZZZ"
    damped: bool | None = None
    season_length: int = 1
    max_train: int = 0
    target_index: int = 0

    def __post_init__(self):
        code = str(self.model)
        if (len(code) != 3 or code[0] not in "AMZ" or code[1] not in "NAMZ"
                or code[2] not in "NAMZ"):
            raise CpjaxInputError(f"ETS model {self.model!r} is not three letters error/trend/"
                                  "season from A, M, N, Z; fix: e.g. model='ZZZ' or 'AAN'")
        if isinstance(self.season_length, bool) or int(self.season_length) < 1:
            raise CpjaxInputError(f"season_length must be a positive integer, got "
                                  f"{self.season_length!r}")


class AutoETSEstimator(StatsForecastEstimator):
    # what statsforecast's forward_ets reads (m, components, par, n_params) and copies (fit)
    _SAVED_FIELDS = ("m", "components", "par", "n_params")
    _RESTORED_DEFAULTS = {"fit": None}

    def _statsforecast_model(self):
        from statsforecast.models import AutoETS

        c = self.config
        return AutoETS(season_length=int(c.season_length), model=str(c.model), damped=c.damped)

    def _min_history(self) -> int:
        return 2 * int(self.config.season_length) + 2

    @property
    def components(self) -> str | None:
        """statsforecast's code of the chosen model, e.g. ``"AAND"`` (error, trend, season,
        damped)."""
        return None if self.model is None else self.model.model_["components"]


register_model(ModelSpec(
    name="autoets", kind="estimator", config_cls=AutoETSConfig,
    build=lambda cfg, h: AutoETSEstimator(cfg, h), load=AutoETSEstimator.load,
    description="the statistical peer AutoETS (statsforecast): ETS chosen by AICc; fixed "
                "parameters, rolling history; statsforecast's intervals",
    source="Hyndman, Koehler, Ord & Snyder 2008; statsforecast.models.AutoETS",
    residual_refusal=forecasts_from_history,
))
