"""What the ODE state represents: levels, log levels or year-on-year log growth (and back).

For a series ``x_t > 0`` (original units) and a floor ``c > 0``:

* ``"level"``: ``s_t = x_t``;
* ``"log"``: ``s_t = ln max(x_t, c)``; back: ``x_t = exp(s_t)``;
* ``"growth"``: ``s_t = ln max(x_t, c) - ln max(x_{t-12}, c)`` (defined from the 13th month on);
  back: ``ln x_t = ln x_{t-12} + s_t``, i.e. a path is the same month a year earlier times
  ``exp(growth)`` (last year's seasonal shape, this year's growth), chained along the path.

The floor ``c`` is 5 % of the median of the series' positive training values, so months reported
as 0 (e.g. a small hydro series) do not give ``-inf``; it is stored with the model.
"""

from __future__ import annotations

import numpy as np

__all__ = ["LAG", "state_offset", "log_floor", "to_state", "from_state"]

LAG = 12  # months: the growth state compares a month with the same month a year earlier


def state_offset(kind: str) -> int:
    """Number of leading months that have no state (12 for ``"growth"``, else 0)."""
    return LAG if kind == "growth" else 0


def log_floor(x_train: np.ndarray) -> np.ndarray:
    """Per panel and series floor ``c`` (P, S) from the training values (P, T, S)."""
    P, _, S = x_train.shape
    out = np.ones((P, S))
    for p in range(P):
        for s in range(S):
            v = x_train[p, :, s]
            v = v[np.isfinite(v) & (v > 0)]
            if v.size:
                out[p, s] = 0.05 * float(np.median(v))
    return out


def to_state(x: np.ndarray, kind: str, floor: np.ndarray) -> np.ndarray:
    """Levels (P, T, S) -> state (P, T - offset, S) (module notes)."""
    if kind == "level":
        return np.asarray(x, dtype=np.float64)
    lx = np.log(np.maximum(x, floor[:, None, :]))
    return lx if kind == "log" else lx[:, LAG:] - lx[:, :-LAG]


def from_state(s: np.ndarray, kind: str, floor: np.ndarray, before: np.ndarray | None = None
               ) -> np.ndarray:
    """A state path (H, S) of one panel -> levels (H, S).

    Arguments:
        s: the state at H consecutive months.
        kind: the representation; floor: (S,) the panel's floors.
        before: (>= 12, S) levels of the months just before the path (needed for ``"growth"``:
            month ``h`` of the path is month ``h - 12`` times ``exp(s_h)``, from ``before`` for
            the first year, then from the path itself).
    """
    if kind == "level":
        return np.asarray(s, dtype=np.float64)
    if kind == "log":
        return np.exp(s)
    if before is None or before.shape[0] < LAG:
        raise ValueError("the growth state needs the 12 months before the path")
    lx = list(np.log(np.maximum(before[-LAG:], floor[None, :])))
    for h in range(s.shape[0]):
        lx.append(lx[-LAG] + s[h])
    return np.exp(np.asarray(lx[LAG:]))
