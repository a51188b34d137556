"""Neural ODE drivers (seed 001 §1): ``dz/dt = f(z, t; θ)`` with an equinox MLP, solved by diffrax.

Data -> :func:`prepare` -> :func:`fit` (or :func:`train_node`) -> :class:`NodeModel` ->
:func:`generate_trajectories` -> :func:`map_to_drivers` (yearly CGE drivers, differentiable).
"""

from ._api import (
    BASELINES as BASELINES,
    TrainResult as TrainResult,
    generate_to_dir as generate_to_dir,
    train_node as train_node,
    train_to_dir as train_to_dir,
)
from ._config import NodeConfig as NodeConfig, PreprocessConfig as PreprocessConfig
from ._data import (
    NodeData as NodeData,
    demo_data as demo_data,
    load_power_generation as load_power_generation,
    ytd_to_monthly as ytd_to_monthly,
)
from ._drivers import (
    CGEDrivers as CGEDrivers,
    DriverSpec as DriverSpec,
    annual_means as annual_means,
    map_to_drivers as map_to_drivers,
    trend_path as trend_path,
)
from ._evaluate import (
    arima_forecast as arima_forecast,
    error_metrics as error_metrics,
    persistence as persistence,
    seasonal_naive as seasonal_naive,
)
from ._field import (
    VectorField as VectorField,
    make_field as make_field,
    time_features as time_features,
)
from ._generate import (
    Trajectories as Trajectories,
    generate as generate,
    generate_ensemble as generate_ensemble,
    generate_trajectories as generate_trajectories,
)
from ._model import NodeModel as NodeModel, load_model as load_model, save_model as save_model
from ._preprocess import (
    Prepared as Prepared,
    Scaler as Scaler,
    prepare as prepare,
    split_sizes as split_sizes,
)
from ._solve import RK4 as RK4, solve as solve, solve_with_stats as solve_with_stats
from ._train import (
    FitResult as FitResult,
    fit as fit,
    forecast_from as forecast_from,
    make_optimizer as make_optimizer,
    trajectory_loss as trajectory_loss,
)
