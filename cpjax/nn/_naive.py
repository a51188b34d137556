"""Persistence and seasonal naive: statsforecast's ``Naive`` and ``SeasonalNaive``.

The reference rows of every table (forecasting.md §2).  From an origin ``o``:

* ``persistence``: ``y_{o+h} = y_o`` (random walk), interval sd ``sigma sqrt(h)``;
* ``seasonal_naive``: ``y_{o+h} = y_{o+h-m ceil(h/m)}`` (the last season repeated), interval sd
  ``sigma sqrt(floor((h-1)/m) + 1)``;

with ``sigma`` estimated by statsforecast from the one-step (seasonal) residuals of the history
up to the origin (these models have no parameters to fix, so ``forward`` is ``forecast`` on that
history; Hyndman & Athanasopoulos, FPP3 §5.5).  Nothing needs fitting: ``predict`` works on an
unfitted model, and ``fit`` only checks that the training part is long enough.
"""

from __future__ import annotations

import dataclasses

from .._errors import CpjaxInputError
from ._registry import ModelSpec, register_model
from ._residual import forecasts_from_history
from ._statsforecast import StatsForecastEstimator

__all__ = ["PersistenceConfig", "Persistence", "SeasonalNaiveConfig", "SeasonalNaive"]


@dataclasses.dataclass(frozen=True)
class PersistenceConfig:
    """Persistence (random walk): every horizon step equals the last observed target value."""

    target_index: int = 0


class Persistence(StatsForecastEstimator):
    _NEEDS_FIT = False

    def _statsforecast_model(self):
        from statsforecast.models import Naive

        return Naive()


@dataclasses.dataclass(frozen=True)
class SeasonalNaiveConfig:
    """Seasonal naive: the last ``season_length`` observations repeated (5 = a trading week;
    12 for monthly data)."""

    season_length: int = 5
    target_index: int = 0

    def __post_init__(self):
        if isinstance(self.season_length, bool) or int(self.season_length) < 1:
            raise CpjaxInputError(f"season_length must be a positive integer, got "
                                  f"{self.season_length!r}; fix: e.g. season_length=12")


class SeasonalNaive(StatsForecastEstimator):
    _NEEDS_FIT = False

    def _statsforecast_model(self):
        from statsforecast.models import SeasonalNaive as SFSeasonalNaive

        return SFSeasonalNaive(season_length=int(self.config.season_length))

    def _min_history(self) -> int:
        return int(self.config.season_length)  # one full season


register_model(ModelSpec(
    name="persistence", kind="estimator", config_cls=PersistenceConfig,
    build=lambda cfg, h: Persistence(cfg, h), load=Persistence.load,
    description="statsforecast's Naive: the last observed value (random walk); the reference "
                "row of every table; its Gaussian intervals sigma*sqrt(h)",
    source="forecasting.md §2 reference baselines; statsforecast.models.Naive; FPP3 §5.2, §5.5",
    residual_refusal=forecasts_from_history,
))
register_model(ModelSpec(
    name="seasonal_naive", kind="estimator", config_cls=SeasonalNaiveConfig,
    build=lambda cfg, h: SeasonalNaive(cfg, h), load=SeasonalNaive.load,
    description="statsforecast's SeasonalNaive: the last season repeated; its Gaussian "
                "intervals sigma*sqrt(floor((h-1)/m)+1)",
    source="statsforecast.models.SeasonalNaive; Hyndman & Athanasopoulos, FPP3 §5.2, §5.5",
    residual_refusal=forecasts_from_history,
))
