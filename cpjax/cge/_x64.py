"""64-bit floats for the CGE without switching them on for the whole process.

The rest of cpjax trains networks in float32.  An equilibrium needs float64: the benchmark must
replicate to 1e-10 and implicit gradients are compared with finite differences.  Every public
``cpjax.cge`` entry point therefore runs inside ``jax.enable_x64(True)`` (a context manager, not a
global ``jax.config.update``), so importing or using the CGE never changes the dtype of arrays made
elsewhere.  Users who call ``jax.grad``/``jax.vmap``/``jax.jit`` on CGE functions themselves wrap
that code in :func:`x64` as well, so that tracing and execution see the same setting.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import jax

__all__ = ["x64", "with_x64"]

F = TypeVar("F", bound=Callable[..., Any])


@contextlib.contextmanager
def x64() -> Iterator[None]:
    """Context in which JAX makes float64 arrays (``with cpjax.cge.x64(): ...``)."""
    with jax.enable_x64(True):
        yield


def with_x64(fn: F) -> F:
    """Decorator: run ``fn`` inside :func:`x64`."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with jax.enable_x64(True):
            return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
