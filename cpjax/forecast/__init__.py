"""The user-facing forecaster, evaluation runs, model comparisons and rolling backtests."""

from ._backtest import BacktestRun as BacktestRun, backtest as backtest
from ._compare import (
    CompareRun as CompareRun,
    ModelChoice as ModelChoice,
    compare_models as compare_models,
    parse_models as parse_models,
)
from ._config import ForecasterConfig as ForecasterConfig
from ._forecaster import Forecaster as Forecaster
from ._intervals import (
    add_conformal_intervals as add_conformal_intervals,
    calibration_residuals as calibration_residuals,
)
