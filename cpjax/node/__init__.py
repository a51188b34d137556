"""Neural ODE paths (seed 001 §1): ``dz/dt = f(z, t; θ)`` with an equinox MLP, solved by diffrax.

Data -> :func:`prepare` -> :func:`fit` (or :func:`train_node`; training runs through the engine
of :mod:`cpjax.train`, kit ``"ode"``, with an optimizer of :mod:`cpjax.optim`) -> :class:`NodeModel` ->
:func:`generate_trajectories` -> :class:`Trajectories` (original units, with a plausibility
record from :func:`check_plausibility`). This package produces trajectories only: turning them
into CGE drivers is :func:`cpjax.cge.map_to_drivers` / :func:`cpjax.cge.drivers_from_trajectories`.
"""

from ._api import (
    BASELINES as BASELINES,
    TrainResult as TrainResult,
    forecast_levels as forecast_levels,
    generate_to_dir as generate_to_dir,
    train_node as train_node,
    train_to_dir as train_to_dir,
)
from ._config import (
    STATES as STATES,
    NodeConfig as NodeConfig,
    PreprocessConfig as PreprocessConfig,
)
from ._data import (
    NodeData as NodeData,
    demo_data as demo_data,
    load_power_generation as load_power_generation,
    ytd_to_monthly as ytd_to_monthly,
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
    generate as generate,
    generate_ensemble as generate_ensemble,
    generate_trajectories as generate_trajectories,
)
from ._kit import OdeSpec as OdeSpec, ode_spec as ode_spec, trajectory_loss as trajectory_loss
from ._model import NodeModel as NodeModel, load_model as load_model, save_model as save_model
from ._plausibility import annual_table as annual_table, check_plausibility as check_plausibility
from ._preprocess import Prepared as Prepared, prepare as prepare, split_sizes as split_sizes
from ._solve import (
    ADJOINTS as ADJOINTS,
    RK4 as RK4,
    solve as solve,
    solve_with_stats as solve_with_stats,
)
from ._train import (
    FitResult as FitResult,
    fit as fit,
    fit_many as fit_many,
    forecast_from as forecast_from,
    node_optimizer as node_optimizer,
    steps_per_epoch as steps_per_epoch,
)
from ._trajectories import (
    Trajectories as Trajectories,
    read_trajectories as read_trajectories,
    write_trajectories as write_trajectories,
)
from ._trend import trend_trajectory as trend_trajectory
