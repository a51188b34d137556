"""Neural ODE drivers (seed 001 §1): ``dz/dt = f(z, t; θ)`` with an equinox MLP, solved by diffrax.

Data -> :func:`prepare` -> :func:`fit` (or :func:`train_node`) -> :class:`NodeModel` ->
:func:`generate_trajectories` -> :func:`map_to_drivers` (yearly CGE drivers, differentiable).
"""

from ._api import BASELINES as BASELINES
from ._api import TrainResult as TrainResult
from ._api import generate_to_dir as generate_to_dir
from ._api import train_node as train_node
from ._api import train_to_dir as train_to_dir
from ._config import NodeConfig as NodeConfig
from ._config import PreprocessConfig as PreprocessConfig
from ._data import NodeData as NodeData
from ._data import demo_data as demo_data
from ._data import load_power_generation as load_power_generation
from ._data import ytd_to_monthly as ytd_to_monthly
from ._drivers import CGEDrivers as CGEDrivers
from ._drivers import DriverSpec as DriverSpec
from ._drivers import annual_means as annual_means
from ._drivers import map_to_drivers as map_to_drivers
from ._drivers import trend_path as trend_path
from ._evaluate import arima_forecast as arima_forecast
from ._evaluate import error_metrics as error_metrics
from ._evaluate import persistence as persistence
from ._evaluate import seasonal_naive as seasonal_naive
from ._field import VectorField as VectorField
from ._field import make_field as make_field
from ._field import time_features as time_features
from ._generate import Trajectories as Trajectories
from ._generate import generate as generate
from ._generate import generate_ensemble as generate_ensemble
from ._generate import generate_trajectories as generate_trajectories
from ._model import NodeModel as NodeModel
from ._model import load_model as load_model
from ._model import save_model as save_model
from ._preprocess import Prepared as Prepared
from ._preprocess import Scaler as Scaler
from ._preprocess import prepare as prepare
from ._preprocess import split_sizes as split_sizes
from ._solve import RK4 as RK4
from ._solve import solve as solve
from ._solve import solve_with_stats as solve_with_stats
from ._train import FitResult as FitResult
from ._train import fit as fit
from ._train import forecast_from as forecast_from
from ._train import make_optimizer as make_optimizer
from ._train import trajectory_loss as trajectory_loss
