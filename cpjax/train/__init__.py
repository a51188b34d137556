"""Training engine: jit step, ``lax.scan`` epochs, early stopping, seeds by vmap or loop."""

from ._adversarial import (
    discriminator_loss as discriminator_loss,
    fit_adversarial as fit_adversarial,
    generator_adversarial_loss as generator_adversarial_loss,
)
from ._checkpoint import load_pytree as load_pytree, save_pytree as save_pytree
from ._config import TrainConfig as TrainConfig
from ._engine import (
    ExtraArgsContext as ExtraArgsContext,
    TrainingDivergedError as TrainingDivergedError,
    TrainResult as TrainResult,
    apply_train as apply_train,
    fit_network as fit_network,
    init_variables as init_variables,
    predict_network as predict_network,
    resolve_seed_strategy as resolve_seed_strategy,
    sown_losses as sown_losses,
)
from ._losses import LOSSES as LOSSES, get_loss as get_loss
from ._trainers import TRAINERS as TRAINERS, get_trainer as get_trainer
