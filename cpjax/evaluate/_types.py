"""Shared type aliases for cpjax.evaluate (annotations only; nothing is checked at run time)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from jax import Array
from jaxtyping import Float

__all__ = ["Vector"]

#: One value per forecast day: a NumPy array, a pandas Series, a list or a JAX array.
#: (jaxtyping needs concrete array classes: ``numpy.typing.ArrayLike`` became a type alias
#: in numpy 2.5 and cannot be subscripted.)
Vector = Float[np.ndarray, " n"] | Float[Array, " n"] | pd.Series | Sequence[float]
