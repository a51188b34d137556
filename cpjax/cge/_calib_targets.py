"""Calibration parameters, targets and the loss (used by :func:`~cpjax.cge.calibrate`).

A :class:`Parameter` is mapped from an unconstrained number ``u`` (what the optimizer moves) to its
physical value by a transform that keeps it in range: ``sigmoid`` between two bounds,
``softplus`` above a lower bound, ``exp`` for positive values, ``identity``.  A :class:`Target`
contributes squared scaled misses to the loss: ``value`` (hit it), ``upper``/``lower``
(one-sided), ``peak`` (the output is non-decreasing up to the peak year and non-increasing after
it: each violating year-on-year change counts).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .._errors import CpjaxInputError, unknown_name_message
from ._calib_paths import PathFunction

__all__ = ["Parameter", "Target", "calibration_loss", "TRANSFORMS", "TARGET_KINDS"]

TRANSFORMS = ("auto", "identity", "sigmoid", "softplus", "exp")
TARGET_KINDS = ("value", "upper", "lower", "peak")

@dataclasses.dataclass(frozen=True)
class Parameter:
    """A parameter to calibrate.

    Attributes:
        name: a name the path accepts (``"growth.tfp"``, ``"carbon_price"``, ``"sigma.Y.COAL.E"``).
        init: starting value (scalar; broadcast over years for a path parameter), ``None`` for the
            path's default.
        lower, upper: bounds (``None``: unbounded on that side).
        transform: ``"auto"`` (``sigmoid`` with both bounds, ``softplus`` with a lower bound only,
            ``identity`` otherwise), or one of ``identity``, ``sigmoid``, ``softplus``, ``exp``.
        penalty: cost weight: adds ``penalty * sum(value^2)`` to the loss (0: none).
        scale: typical size of the parameter (``softplus``/``identity``: value = lower +
            scale * transform(u), so that the optimizer works on numbers of order one; default
            ``max(1, |init|)``; ``sigmoid`` uses its bounds and ``exp`` is scale-free).
    """

    name: str
    init: float | tuple[float, ...] | None = None
    lower: float | None = None
    upper: float | None = None
    transform: str = "auto"
    penalty: float = 0.0
    scale: float | None = None

    def kind(self) -> str:
        if self.transform != "auto":
            return self.transform
        if self.lower is not None and self.upper is not None:
            return "sigmoid"
        return "softplus" if self.lower is not None else "identity"


@dataclasses.dataclass(frozen=True)
class Target:
    """A calibration target on one output.

    Attributes:
        output: output name of the path (``"energy_mtce.total"``...).
        value: the target value (``value``/``upper``/``lower``); unused by ``peak``.
        year: the year (``value``/``upper``/``lower``: ``None`` = every year; ``peak``: the peak year).
        kind: ``"value"`` (hit it), ``"upper"`` (stay at or below), ``"lower"`` (at or above),
            ``"peak"`` (non-decreasing up to ``year``, non-increasing after it).
        weight: weight of the squared miss.
        scale: miss is divided by it (default ``|value|``, or the output's first-year value for ``peak``).
    """

    output: str
    value: float | None = None
    year: int | None = None
    kind: str = "value"
    weight: float = 1.0
    scale: float | None = None



# ---------------------------------------------------------------- transforms


def _forward(kind: str, u: jax.Array, lo: float | None, hi: float | None, s: float) -> jax.Array:
    if kind == "sigmoid":
        return lo + (hi - lo) * jax.nn.sigmoid(u)
    if kind == "softplus":
        return (lo or 0.0) + s * jax.nn.softplus(u)
    if kind == "exp":
        return jnp.exp(u)
    return s * u


def _inverse(kind: str, x: np.ndarray, lo: float | None, hi: float | None, s: float) -> np.ndarray:
    if kind == "sigmoid":
        f = (x - lo) / (hi - lo)
        return np.log(f) - np.log1p(-f)
    if kind == "softplus":
        y = (x - (lo or 0.0)) / s
        return y + np.log(-np.expm1(-y))
    if kind == "exp":
        return np.log(x)
    return x / s


def _scale(p: Parameter, x0: np.ndarray) -> float:
    if p.scale is not None:
        return float(p.scale)
    return max(1.0, float(np.mean(np.abs(x0)))) if x0.size else 1.0


def _resolve(path: PathFunction, params: Sequence[Parameter]) -> list[tuple[Parameter, str, np.ndarray]]:
    """Check names, bounds and starting values; return (parameter, transform, start)."""
    if not params:
        raise CpjaxInputError("no parameters to calibrate; fix: list at least one [[parameters]] entry")
    out, seen = [], set()
    for p in params:
        if p.name not in path.params:
            raise CpjaxInputError(unknown_name_message("parameter", p.name, list(path.params),
                                                       where=path.description))
        if p.name in seen:
            raise CpjaxInputError(f"parameter {p.name!r} is listed twice")
        seen.add(p.name)
        kind = p.kind()
        if kind not in TRANSFORMS[1:]:
            raise CpjaxInputError(f"parameter {p.name}: transform {p.transform!r} is unknown; "
                                  f"choose one of {', '.join(TRANSFORMS)}")
        if kind == "sigmoid" and (p.lower is None or p.upper is None or not p.lower < p.upper):
            raise CpjaxInputError(f"parameter {p.name}: transform sigmoid needs lower < upper "
                                  f"(got lower={p.lower}, upper={p.upper})")
        size = path.params[p.name]
        x0 = np.asarray(path.defaults[p.name] if p.init is None else p.init, dtype=np.float64)
        x0 = np.broadcast_to(x0, (size,) if size > 1 else ()).copy() if x0.size in (1, size) else None
        if x0 is None:
            raise CpjaxInputError(f"parameter {p.name}: init must be one number or {size} numbers "
                                  f"(one per year)")
        lo = -np.inf if p.lower is None else p.lower
        hi = np.inf if p.upper is None else p.upper
        inside = (x0 > lo) & (x0 < hi) if kind in ("sigmoid", "softplus") else (x0 >= lo) & (x0 <= hi)
        if kind == "exp":
            inside &= x0 > 0
        if p.scale is not None and not p.scale > 0:
            raise CpjaxInputError(f"parameter {p.name}: scale {p.scale} must be > 0")
        if not np.all(inside):
            raise CpjaxInputError(f"parameter {p.name}: init {x0.tolist()} is not strictly inside "
                                  f"its range [{p.lower}, {p.upper}] for transform {kind}; fix: "
                                  "move init inside the bounds")
        out.append((p, kind, x0))
    return out


# ---------------------------------------------------------------- loss


def _target_terms(path: PathFunction, targets: Sequence[Target]) -> list[tuple[Target, Any]]:
    if not targets:
        raise CpjaxInputError("no targets; fix: list at least one [[targets]] entry")
    out = []
    for t in targets:
        if t.kind not in TARGET_KINDS:
            raise CpjaxInputError(f"target on {t.output}: kind {t.kind!r} is unknown; choose one of "
                                  f"{', '.join(TARGET_KINDS)}")
        if t.output not in path.outputs:
            raise CpjaxInputError(unknown_name_message("target output", t.output, list(path.outputs),
                                                       where=path.description))
        if t.year is not None and t.year not in path.years:
            raise CpjaxInputError(f"target on {t.output}: year {t.year} is not in the path's years "
                                  f"{path.years[0]}-{path.years[-1]}")
        if t.kind != "peak" and t.value is None:
            raise CpjaxInputError(f"target on {t.output}: kind {t.kind} needs a value")
        if t.kind == "peak" and t.year is None:
            raise CpjaxInputError(f"target on {t.output}: kind peak needs the peak year")
        if t.weight < 0 or (t.scale is not None and t.scale <= 0):
            raise CpjaxInputError(f"target on {t.output}: weight must be >= 0 and scale > 0")
        ix = (np.arange(len(path.years)) if t.year is None or t.kind == "peak"
              else np.array([path.years.index(t.year)]))
        out.append((t, ix))
    return out


def _miss(t: Target, y: Any, ix: np.ndarray, path: PathFunction, xp: Any) -> Any:
    """Scaled misses of one target (array; zero when met)."""
    if t.kind == "peak":
        k = path.years.index(t.year)
        scale = t.scale or xp.abs(y[0])
        d = (y[1:] - y[:-1]) / scale
        after = np.arange(len(path.years) - 1) >= k
        return xp.where(after, xp.maximum(d, 0.0), xp.maximum(-d, 0.0))
    scale = t.scale or max(abs(float(t.value)), 1e-12)
    r = (y[ix] - t.value) / scale
    if t.kind == "upper":
        return xp.maximum(r, 0.0)
    if t.kind == "lower":
        return xp.maximum(-r, 0.0)
    return r


def calibration_loss(path: PathFunction, targets: Sequence[Target],
                     params: Sequence[Parameter] = ()) -> Callable[[Mapping[str, jax.Array]], tuple]:
    """``loss(theta) -> (loss, (outputs, status))`` in physical units (pure JAX).

    ``theta`` needs only the calibrated names; the rest take the path's defaults.
    """
    terms = _target_terms(path, targets)
    penalties = {p.name: p.penalty for p in params if p.penalty}
    defaults = path.defaults

    def loss(theta: Mapping[str, jax.Array]) -> tuple[jax.Array, tuple]:
        full = {k: jnp.asarray(theta[k] if k in theta else v, jnp.float64) for k, v in defaults.items()}
        outs, status = path.fn(full)
        total = jnp.asarray(0.0, jnp.float64)
        for t, ix in terms:
            total = total + t.weight * jnp.sum(_miss(t, outs[t.output], ix, path, jnp) ** 2)
        for name, w in penalties.items():
            total = total + w * jnp.sum(full[name] ** 2)
        return total, (outs, status)

    return loss


def _fit_rows(path: PathFunction, targets: Sequence[Target], outs: Mapping[str, Any]) -> list[dict]:
    rows = []
    for t, ix in _target_terms(path, targets):
        y = np.asarray(outs[t.output], dtype=np.float64)
        miss = np.asarray(_miss(t, y, ix, path, np))
        if t.kind == "peak":
            rows.append({"output": t.output, "year": t.year, "kind": "peak", "target": t.year,
                         "model": path.years[int(np.argmax(y))], "miss": float(np.max(np.abs(miss))),
                         "met": bool(np.max(np.abs(miss)) <= 1e-6)})
            continue
        for k, m in zip(ix, np.atleast_1d(miss)):
            rows.append({"output": t.output, "year": path.years[int(k)], "kind": t.kind,
                         "target": float(t.value), "model": float(y[int(k)]), "miss": float(m),
                         "met": bool(abs(m) <= 1e-6)})
    return rows
