"""The user-facing forecaster, evaluation runs and rolling backtests."""

from ._ablation import (
    ABLATION_ROWS as ABLATION_ROWS,
    AblationRun as AblationRun,
    run_ablation as run_ablation,
)
from ._config import ForecasterConfig as ForecasterConfig
from ._forecaster import Forecaster as Forecaster
from ._refiner import RefinerConfig as RefinerConfig, XGBoostRefiner as XGBoostRefiner
