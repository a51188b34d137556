"""The user-facing forecaster, the XGBoost refiner, evaluation runs, the ablation, model
comparisons and rolling backtests."""

from ._ablation import (
    ABLATION_ROWS as ABLATION_ROWS,
    AblationRun as AblationRun,
    run_ablation as run_ablation,
)
from ._backtest import BacktestRun as BacktestRun, backtest as backtest
from ._batch import FitJob as FitJob, fit_forecasters as fit_forecasters
from ._compare import (
    CompareRun as CompareRun,
    ModelChoice as ModelChoice,
    compare_models as compare_models,
    parse_models as parse_models,
)
from ._config import ForecasterConfig as ForecasterConfig
from ._data_config import DataConfig as DataConfig
from ._data_spec import DataSpec as DataSpec, LoadedData as LoadedData
from ._forecaster import Forecaster as Forecaster
from ._global import (
    GlobalConfig as GlobalConfig,
    GlobalForecaster as GlobalForecaster,
    fit_global as fit_global,
)
from ._intervals import (
    add_conformal_intervals as add_conformal_intervals,
    calibration_residuals as calibration_residuals,
)
from ._refiner import RefinerConfig as RefinerConfig, XGBoostRefiner as XGBoostRefiner
from ._run import ForecastRun as ForecastRun, run_forecast as run_forecast
from ._search import SearchSpace as SearchSpace
from ._tune import TuneResult as TuneResult, tune as tune
