"""Forecasting models and their registry.

Networks are Flax modules ``(B, L, F) -> (B, H)``; estimators are statistical models with
``fit``/``predict`` (and ``predict_quantiles`` for the statistical peers and ensembles); the peers
``persistence``, ``seasonal_naive``, ``autoets``, ``autotheta`` and ``autoarima`` are
statsforecast's Naive, SeasonalNaive, AutoETS, AutoTheta and AutoARIMA.
``residual(model, spec)`` makes a model predict the change from the last observed target.
``list_models()`` (and ``cpjax models``) lists them all; ``forecast_series`` fits an estimator on
one series and forecasts from its end.
"""

from ._arima import ARIMAConfig as ARIMAConfig, ARIMAModel as ARIMAModel
from ._aspp import ASPP1D as ASPP1D, AtrousConv1D as AtrousConv1D
from ._autoarima import (
    AutoARIMAConfig as AutoARIMAConfig,
    AutoARIMAEstimator as AutoARIMAEstimator,
)
from ._autoencoder import (
    AutoencoderConfig as AutoencoderConfig,
    AutoencoderForecaster as AutoencoderForecaster,
)
from ._cnn import (
    CNNConfig as CNNConfig,
    CNNForecaster as CNNForecaster,
    receptive_field as receptive_field,
)
from ._combined import CombinedConfig as CombinedConfig, CombinedForecaster as CombinedForecaster
from ._common import INITS as INITS, kernel_penalty as kernel_penalty
from ._condconv import CondConv1D as CondConv1D, conv1d as conv1d
from ._drift import Drift as Drift, DriftConfig as DriftConfig
from ._ema import EMA1D as EMA1D
from ._ensemble import (
    Ensemble as Ensemble,
    EnsembleConfig as EnsembleConfig,
    StackedConfig as StackedConfig,
    StackedEnsemble as StackedEnsemble,
    simplex_weights as simplex_weights,
)
from ._ets import AutoETSConfig as AutoETSConfig, AutoETSEstimator as AutoETSEstimator
from ._gan import GANConfig as GANConfig, GANForecaster as GANForecaster
from ._global import (
    GLOBAL_HEADS as GLOBAL_HEADS,
    GlobalMLP as GlobalMLP,
    GlobalMLPConfig as GlobalMLPConfig,
    head_outputs as head_outputs,
    split_output as split_output,
)
from ._hybrid import (
    AttentionGate as AttentionGate,
    HybridCascadeConfig as HybridCascadeConfig,
    HybridConfig as HybridConfig,
    HybridForecaster as HybridForecaster,
)
from ._lstm import LSTMConfig as LSTMConfig, LSTMForecaster as LSTMForecaster
from ._mlp import MLPConfig as MLPConfig, MLPForecaster as MLPForecaster
from ._naive import (
    Persistence as Persistence,
    PersistenceConfig as PersistenceConfig,
    SeasonalNaive as SeasonalNaive,
    SeasonalNaiveConfig as SeasonalNaiveConfig,
)
from ._recurrent import (
    RecurrentConfig as RecurrentConfig,
    RecurrentForecaster as RecurrentForecaster,
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
from ._residual import (
    ResidualEstimator as ResidualEstimator,
    add_last as add_last,
    forecasts_from_history as forecasts_from_history,
    is_residual as is_residual,
    residual as residual,
    residual_refusal as residual_refusal,
)
from ._series import forecast_series as forecast_series
from ._statsforecast import StatsForecastEstimator as StatsForecastEstimator
from ._svr import SVRConfig as SVRConfig, SVRModel as SVRModel
from ._theta import AutoThetaConfig as AutoThetaConfig, AutoThetaEstimator as AutoThetaEstimator
from ._transformer import (
    TransformerConfig as TransformerConfig,
    TransformerForecaster as TransformerForecaster,
    sinusoidal_positions as sinusoidal_positions,
)
from ._vae import VAEConfig as VAEConfig, VAEForecaster as VAEForecaster, gaussian_kl as gaussian_kl
