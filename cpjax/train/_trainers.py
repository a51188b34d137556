"""Which training routine a model uses: ``ModelSpec.trainer`` names one of these."""

from __future__ import annotations

from collections.abc import Callable

from .._errors import CpjaxInputError, unknown_name_message
from ._adversarial import fit_adversarial
from ._engine import TrainResult, fit_network

__all__ = ["TRAINERS", "get_trainer"]

#: name -> routine with the signature of :func:`fit_network`
#: ``(module, tx, X, Y, X_val, Y_val, config, extra_args_fn=None, on_epoch=None)``.
TRAINERS: dict[str, Callable[..., TrainResult]] = {
    "supervised": fit_network,
    "adversarial": fit_adversarial,
}


def get_trainer(name: str) -> Callable[..., TrainResult]:
    """The training routine registered as ``name`` (``"supervised"`` or ``"adversarial"``)."""
    try:
        return TRAINERS[name]
    except KeyError:
        raise CpjaxInputError(unknown_name_message("trainer", name, TRAINERS)) from None
