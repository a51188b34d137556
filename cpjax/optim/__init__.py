"""cpjax.optim: Sophia (Hutchinson / Gauss–Newton–Bartlett) and an optimizer registry."""

from ._compat import standard_promotion as standard_promotion
from ._estimators import (
    GNB_LOSSES as GNB_LOSSES,
    GNBLoss as GNBLoss,
    gnb_diag as gnb_diag,
    hutchinson_diag as hutchinson_diag,
)
from ._registry import (
    INJECTABLE as INJECTABLE,
    SCHEDULES as SCHEDULES,
    OptimizerConfig as OptimizerConfig,
    SophiaConfig as SophiaConfig,
    extra_update_args as extra_update_args,
    learning_rate_schedule as learning_rate_schedule,
    make_injectable_optimizer as make_injectable_optimizer,
    make_optimizer as make_optimizer,
    optimizer_config as optimizer_config,
    optimizer_hyperparams as optimizer_hyperparams,
    optimizer_names as optimizer_names,
    optimizer_structure as optimizer_structure,
    register_optimizer as register_optimizer,
    required_extra_args as required_extra_args,
    set_injected_hyperparams as set_injected_hyperparams,
)
from ._sophia import (
    SophiaState as SophiaState,
    SophiaStats as SophiaStats,
    scale_by_sophia as scale_by_sophia,
    sophia as sophia,
)
from ._tools import set_sophia_key as set_sophia_key, sophia_diagnostics as sophia_diagnostics
