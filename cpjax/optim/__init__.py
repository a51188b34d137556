"""cpjax.optim: Sophia (Hutchinson / Gauss–Newton–Bartlett) and an optimizer registry."""

from ._compat import standard_promotion as standard_promotion
from ._estimators import GNB_LOSSES as GNB_LOSSES
from ._estimators import GNBLoss as GNBLoss
from ._estimators import gnb_diag as gnb_diag
from ._estimators import hutchinson_diag as hutchinson_diag
from ._registry import OptimizerConfig as OptimizerConfig
from ._registry import SophiaConfig as SophiaConfig
from ._registry import extra_update_args as extra_update_args
from ._registry import make_optimizer as make_optimizer
from ._registry import optimizer_config as optimizer_config
from ._registry import optimizer_names as optimizer_names
from ._registry import register_optimizer as register_optimizer
from ._registry import required_extra_args as required_extra_args
from ._sophia import SophiaState as SophiaState
from ._sophia import SophiaStats as SophiaStats
from ._sophia import scale_by_sophia as scale_by_sophia
from ._sophia import sophia as sophia
from ._tools import set_sophia_key as set_sophia_key
from ._tools import sophia_diagnostics as sophia_diagnostics
