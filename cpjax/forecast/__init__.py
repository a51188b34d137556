"""The user-facing forecaster, evaluation runs and rolling backtests."""

from ._config import ForecasterConfig as ForecasterConfig
from ._forecaster import Forecaster as Forecaster
