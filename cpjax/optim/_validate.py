"""Construction-time checks of optimizer hyperparameters (skipped for traced values).

``optax.inject_hyperparams`` rebuilds the optimizer inside ``update`` with hyperparameters as
(possibly traced) arrays; those are checked once, concretely, when the state is initialised.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import jax
import numpy as np

from .._errors import CpjaxInputError, unknown_name_message

__all__ = ["check_choice", "check_int", "check_range"]


def _concrete(name: str, value):
    """Return ``value`` as a Python float, or None when it is traced, a schedule or not a number."""
    if callable(value) or isinstance(value, jax.core.Tracer):
        return None
    if isinstance(value, bool):
        raise CpjaxInputError(f"{name} must be a number, got the boolean {value!r}")
    if isinstance(value, numbers.Real):
        return float(value)
    arr = np.asarray(value) if not isinstance(value, jax.Array) else value
    if getattr(arr, "shape", None) == () and np.issubdtype(arr.dtype, np.number):
        return float(arr)
    raise CpjaxInputError(f"{name} must be a real number, got {value!r}")


def check_range(name, value, lo, hi, *, lo_open=False, hi_open=False) -> None:
    """Raise CpjaxInputError unless ``lo (<|<=) value (<|<=) hi`` (None = unbounded)."""
    v = _concrete(name, value)
    if v is None:
        return
    bad = not np.isfinite(v)
    if lo is not None:
        bad |= v <= lo if lo_open else v < lo
    if hi is not None:
        bad |= v >= hi if hi_open else v > hi
    if bad:
        left = "(" if lo_open else "["
        right = ")" if hi_open else "]"
        rng = f"{left}{'-inf' if lo is None else lo}, {'inf' if hi is None else hi}{right}"
        raise CpjaxInputError(f"{name}={value!r} is outside its valid range {rng}; fix: pass a "
                              f"value in {rng}")


def check_int(name, value, lo: int) -> None:
    """Raise CpjaxInputError unless ``value`` is an integer >= lo (traced values pass)."""
    v = _concrete(name, value)
    if v is None:
        return
    if v != int(v) or v < lo:
        raise CpjaxInputError(f"{name}={value!r} must be an integer >= {lo}; fix: pass e.g. "
                              f"{name}={max(lo, 1)}")


def check_choice(name: str, value, options: Sequence[str]) -> str:
    """Return ``value`` if it is one of ``options``; else raise with close matches."""
    if isinstance(value, str) and value in options:
        return value
    raise CpjaxInputError(unknown_name_message(name, str(value), options))
