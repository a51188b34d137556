"""Forecasting models and their registry.

Networks are Flax modules ``(B, L, F) -> (B, H)``; estimators are statistical models with
``fit``/``predict``.  ``list_models()`` (and ``cpjax models``) lists them all.
"""

from ._arima import ARIMAConfig as ARIMAConfig, ARIMAModel as ARIMAModel
from ._aspp import ASPP1D as ASPP1D, AtrousConv1D as AtrousConv1D
from ._combined import CombinedConfig as CombinedConfig, CombinedForecaster as CombinedForecaster
from ._condconv import CondConv1D as CondConv1D, conv1d as conv1d
from ._ema import EMA1D as EMA1D
from ._lstm import LSTMConfig as LSTMConfig, LSTMForecaster as LSTMForecaster
from ._naive import (
    Drift as Drift,
    DriftConfig as DriftConfig,
    Persistence as Persistence,
    PersistenceConfig as PersistenceConfig,
)
from ._registry import (
    Estimator as Estimator,
    ModelSpec as ModelSpec,
    get_model as get_model,
    list_models as list_models,
    make_config as make_config,
    model_names as model_names,
    register_model as register_model,
)
from ._svr import SVRConfig as SVRConfig, SVRModel as SVRModel
