"""Training engine: jit step, ``lax.scan`` epochs, early stopping, seeds by vmap or loop."""

from ._checkpoint import load_pytree as load_pytree, save_pytree as save_pytree
from ._config import TrainConfig as TrainConfig
from ._engine import (
    ExtraArgsContext as ExtraArgsContext,
    TrainingDivergedError as TrainingDivergedError,
    TrainResult as TrainResult,
    fit_network as fit_network,
    init_variables as init_variables,
    predict_network as predict_network,
    resolve_seed_strategy as resolve_seed_strategy,
)
from ._losses import LOSSES as LOSSES, get_loss as get_loss
