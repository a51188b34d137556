"""Training engine: one compiled program trains a batch of problems (seeds x settings x
origins x series); epochs, early stopping and the NaN guard run on the device."""

from ._adversarial import (
    discriminator_loss as discriminator_loss,
    fit_adversarial as fit_adversarial,
    generator_adversarial_loss as generator_adversarial_loss,
)
from ._checkpoint import load_pytree as load_pytree, save_pytree as save_pytree
from ._config import TrainConfig as TrainConfig
from ._engine import (
    CHUNK_EPOCHS as CHUNK_EPOCHS,
    DYNAMIC_TRAIN_SETTINGS as DYNAMIC_TRAIN_SETTINGS,
    Problem as Problem,
    TrainingDivergedError as TrainingDivergedError,
    TrainResult as TrainResult,
    fit_network as fit_network,
    fit_problems as fit_problems,
    predict_network as predict_network,
    program_cache_info as program_cache_info,
    register_kit as register_kit,
    resolve_seed_strategy as resolve_seed_strategy,
)
from ._losses import (
    LOSSES as LOSSES,
    get_loss as get_loss,
    loss_elements as loss_elements,
    loss_outputs as loss_outputs,
    pinball_levels as pinball_levels,
    pinball_loss_name as pinball_loss_name,
)
from ._steps import (
    ExtraArgsContext as ExtraArgsContext,
    Kit as Kit,
    ProgramKey as ProgramKey,
    apply_train as apply_train,
    dynamic_fields as dynamic_fields,
    init_optimizer as init_optimizer,
    init_variables as init_variables,
    sown_losses as sown_losses,
)
from ._trainers import TRAINERS as TRAINERS, get_trainer as get_trainer
