"""The one cache of compiled functions in ``cpjax.cge``.

Compiled functions are kept per **owner** (a :class:`~cpjax.cge.Model`, a path function, a user's
sweep function) and a hashable **key** (solver settings, mode, targets...), in a weak-key mapping
so that they go when their owner goes.  Parameter values, outputs and parameter selections are
arguments of the compiled functions, never part of the key: a new scenario, a new output or a new
parameter list reuses the compiled program (``tests/cge/test_compile_once.py`` counts compilations).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Hashable
from typing import Any

__all__ = ["compiled", "clear"]

_STORE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def compiled(owner: Any, key: Hashable, build: Callable[[], Any]) -> Any:
    """The object ``build()`` made for ``(owner, key)``, built on first use.

    Arguments:
        owner: a weak-referenceable object whose lifetime bounds the entry (model, function).
        key: hashable settings that change the compiled program.
        build: makes the entry (usually a ``jax.jit``-ed function).
    """
    per = _STORE.get(owner)
    if per is None:
        per = {}
        _STORE[owner] = per
    if key not in per:
        per[key] = build()
    return per[key]


def clear() -> None:
    """Drop every cached entry (tests; memory)."""
    _STORE.clear()
