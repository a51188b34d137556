"""Shared type aliases for cpjax.evaluate (annotations only; nothing is checked at run time)."""

from __future__ import annotations

from jaxtyping import Float
from numpy.typing import ArrayLike

__all__ = ["Vector"]

#: One value per forecast day: a NumPy array, a pandas Series, a list or a JAX array.
Vector = Float[ArrayLike, " n"]
