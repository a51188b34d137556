"""cpjax: a JAX toolkit for carbon-market modeling.

Subpackages: ``cpjax.data`` (loading, alignment, imputation, scaling, selection, windows),
``cpjax.nn`` (Flax models and the registry), ``cpjax.optim`` (Sophia), ``cpjax.train`` (training
engine), ``cpjax.forecast`` (the user-facing Forecaster), ``cpjax.evaluate`` (metrics, tests,
plots), ``cpjax.node`` (Neural ODE), ``cpjax.cge`` (computable general equilibrium with emissions
trading), ``cpjax.quota`` (power-unit allowance accounting).
"""

from ._cache import enable_compilation_cache as _enable_compilation_cache
from ._xla import apply_xla_flags as _apply_xla_flags

_apply_xla_flags()
_enable_compilation_cache()

from ._cache import CompileCount as CompileCount  # noqa: E402
from ._errors import CpjaxInputError as CpjaxInputError  # noqa: E402
from ._precision import (  # noqa: E402
    PRECISION_ENV as PRECISION_ENV,
    matmul_precision as matmul_precision,
    matmul_precision_policy as matmul_precision_policy,
)

__version__ = "0.1.0"
