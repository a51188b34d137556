"""Forecasting models and their registry.

Networks are Flax modules ``(B, L, F) -> (B, H)``; estimators are statistical models with
``fit``/``predict``.  ``list_models()`` (and ``cpjax models``) lists them all.
"""

from ._arima import ARIMAConfig as ARIMAConfig
from ._arima import ARIMAModel as ARIMAModel
from ._lstm import LSTMConfig as LSTMConfig
from ._lstm import LSTMForecaster as LSTMForecaster
from ._naive import Drift as Drift
from ._naive import DriftConfig as DriftConfig
from ._naive import Persistence as Persistence
from ._naive import PersistenceConfig as PersistenceConfig
from ._registry import (
    Estimator as Estimator,
)
from ._registry import (
    ModelSpec as ModelSpec,
)
from ._registry import (
    get_model as get_model,
)
from ._registry import (
    list_models as list_models,
)
from ._registry import (
    make_config as make_config,
)
from ._registry import (
    model_names as model_names,
)
from ._registry import (
    register_model as register_model,
)
from ._svr import SVRConfig as SVRConfig
from ._svr import SVRModel as SVRModel
