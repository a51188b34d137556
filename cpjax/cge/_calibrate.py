"""Gradient-based calibration of a CGE path to targets (spec ``cge.md`` §7).

The loss is a weighted sum over :class:`Target` s of squared relative misses (``value``), one-sided
misses (``upper``/``lower``), and, for ``peak``, the squared increases after the peak year and
decreases before it; plus an optional cost term per parameter (``penalty * sum(theta^2)``, for
"at least cost" policies).  Parameters live in an unconstrained space (:class:`Parameter`
``transform``: ``sigmoid`` between two bounds, ``softplus`` above a lower bound, ``exp`` for
positive values, ``identity``), so every step stays in range.  Gradients come from
``jax.value_and_grad`` of loss ∘ path, i.e. by the implicit function theorem through every
year's equilibrium.

The optimizer is any optax transformation (``adam``, ``sgd`` or ``lbfgs``) wrapped in a step
controller: an update is first capped to ``max_step`` (norm in the unconstrained space) and
multiplied by a step scale; a trial point is **accepted** only if every year's equilibrium
converged and the loss is finite and not higher than the current loss; otherwise it is rejected
(parameters and optimizer state stay as they were) and the scale is halved; from the second rejection in a row
the optimizer state is reset too (momentum or curvature pairs may point the wrong way).  So a failed
equilibrium never reaches the parameters.  Stops: loss below ``loss_tol``, gradient norm below
``gtol``, relative loss change below ``rtol`` for ``patience`` accepted steps, ``max_steps``, or
``max_rejections`` consecutive rejections.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

from .._errors import CpjaxInputError
from ._cache import compiled
from ._calib_paths import PathFunction
from ._calib_targets import (
    Parameter,
    Target,
    _fit_rows,
    _forward,
    _inverse,
    _resolve,
    _scale,
    _target_terms,
    calibration_loss,
)
from ._x64 import with_x64

__all__ = ["CalibrationConfig", "CalibrationResult", "calibrate", "gradient_check", "loss_and_grad",
           "OPTIMIZERS"]

OPTIMIZERS = ("adam", "sgd", "lbfgs")


@dataclasses.dataclass(frozen=True)
class CalibrationConfig:
    """Optimizer and stopping settings.

    Attributes:
        optimizer: ``"adam"``, ``"sgd"`` or ``"lbfgs"`` (optax; L-BFGS uses this module's step control).
        learning_rate: optax learning rate (``lbfgs``: ignored, the quasi-Newton step is used).
        max_step: largest update norm in the unconstrained space (trust region).
        max_steps: iteration limit (trial points, accepted or rejected).
        loss_tol: stop when the loss is at or below this.
        gtol: stop when the gradient norm (unconstrained space) is at or below this.
        rtol: stop when the relative loss change stays below this for ``patience`` accepted steps.
        patience: see ``rtol``.
        max_rejections: stop after this many consecutive rejected trial points.
        grow: step scale multiplier after an accepted step (capped at 1).
        gradient: ``"implicit"`` (one reverse pass through every equilibrium) or
            ``"finite_difference"`` (central differences, two forward paths per parameter entry;
            the reference for timing comparisons).
        fd_rel_step: finite-difference step relative to ``max(1, |value|)``.
    """

    optimizer: str = "lbfgs"
    learning_rate: float = 0.05
    max_step: float = 1.0
    max_steps: int = 200
    loss_tol: float = 1e-16
    gtol: float = 1e-10
    rtol: float = 1e-12
    patience: int = 5
    max_rejections: int = 12
    grow: float = 2.0
    gradient: str = "implicit"
    fd_rel_step: float = 1e-6

    def check(self) -> None:
        if self.optimizer not in OPTIMIZERS:
            raise CpjaxInputError(f"optimizer {self.optimizer!r} is unknown; choose one of "
                                  f"{', '.join(OPTIMIZERS)}")
        for name in ("learning_rate", "max_step"):
            if not getattr(self, name) > 0:
                raise CpjaxInputError(f"{name} = {getattr(self, name)} must be > 0")
        if self.gradient not in ("implicit", "finite_difference"):
            raise CpjaxInputError(f"gradient {self.gradient!r} is unknown; choose 'implicit' or "
                                  "'finite_difference'")
        if self.max_steps < 1 or self.patience < 1 or self.max_rejections < 1:
            raise CpjaxInputError("max_steps, patience and max_rejections must be >= 1")


@dataclasses.dataclass
class CalibrationResult:
    """What :func:`calibrate` found.

    Attributes:
        params: calibrated values (name -> float or list of floats, physical units).
        loss: final loss; converged: whether a stopping test (not a limit) ended the run.
        reason: why it stopped; steps: trial points made; accepted: accepted steps.
        outputs: the path's outputs at ``params`` (name -> list per year); status: per year.
        fit: one dict per target (target, model, miss, met).
        trace: one dict per trial point (step, loss, accepted, step_scale, grad_norm, failed_years).
        wall_s: wall time of the optimisation (compile included).
    """

    params: dict[str, Any]
    loss: float
    converged: bool
    reason: str
    steps: int
    accepted: int
    outputs: dict[str, list[float]]
    status: list[int]
    fit: list[dict[str, Any]]
    trace: list[dict[str, Any]]
    wall_s: float


# ---------------------------------------------------------------- optimisation


def _optimizer(cfg: CalibrationConfig) -> optax.GradientTransformation:
    if cfg.optimizer == "adam":
        return optax.adam(cfg.learning_rate)
    if cfg.optimizer == "sgd":
        return optax.sgd(cfg.learning_rate)
    return optax.scale_by_lbfgs()  # direction only: the step controller below picks its length


def loss_and_grad(path: PathFunction, targets: Sequence[Target],
                  params: Sequence[Parameter] = ()) -> Callable:
    """Jitted ``vg(theta) -> ((loss, (outputs, status)), d loss / d theta)`` over **every** path
    parameter (physical units; ``theta`` must hold them all, e.g. ``{**path.defaults, ...}``).

    Cached per (path function, targets, penalties): calibration, gradient checks and benchmarks
    share one compilation.
    """
    pen = tuple(sorted((p.name, p.penalty) for p in params if p.penalty))
    return compiled(path.fn, ("loss_and_grad", tuple(targets), pen), lambda: jax.jit(
        jax.value_and_grad(calibration_loss(path, targets, params), has_aux=True)))


def loss_forward(path: PathFunction, targets: Sequence[Target], params: Sequence[Parameter] = ()) -> Callable:
    """Jitted ``f(theta) -> (loss, (outputs, status))`` (no gradient; cached like :func:`loss_and_grad`)."""
    pen = tuple(sorted((p.name, p.penalty) for p in params if p.penalty))
    return compiled(path.fn, ("loss_forward", tuple(targets), pen),
                    lambda: jax.jit(calibration_loss(path, targets, params)))


def _full(path: PathFunction, theta: Mapping[str, Any]) -> dict[str, jax.Array]:
    return {k: jnp.asarray(theta[k] if k in theta else v, jnp.float64) for k, v in path.defaults.items()}


@with_x64
def calibrate(path: PathFunction, targets: Sequence[Target], params: Sequence[Parameter],
              config: CalibrationConfig | None = None,
              callback: Callable[[dict[str, Any]], None] | None = None) -> CalibrationResult:
    """Fit ``params`` so that ``path``'s outputs meet ``targets`` (gradient descent, implicit gradients).

    Arguments:
        path: a :class:`~cpjax.cge.PathFunction` (``trend_path``, ``static_path`` or your own).
        targets: the :class:`Target` s.
        params: the :class:`Parameter` s to fit (the others keep the path's defaults).
        config: :class:`CalibrationConfig`.
        callback: called with each trace row (progress bars).

    Returns:
        :class:`CalibrationResult`.  Raises :class:`~cpjax.CpjaxInputError` when the path does not
        solve at the starting values (nothing to calibrate from).

    Example:
        >>> path = trend_path(load_demo())  # doctest: +SKIP
        >>> res = calibrate(path, [Target("energy_mtce.total", 272.0, year=2030)],
        ...                 [Parameter("growth.tfp", 0.01, lower=-0.05, upper=0.15)])  # doctest: +SKIP
    """
    cfg = config or CalibrationConfig()
    cfg.check()
    resolved = _resolve(path, params)
    _target_terms(path, targets)  # bad targets are input errors before any compilation
    vg = loss_and_grad(path, targets, params)
    if cfg.gradient == "finite_difference":
        fwd = loss_forward(path, targets, params)
    spec = {p.name: (kind, p.lower, p.upper, _scale(p, x0)) for p, kind, x0 in resolved}
    u_np = {n: np.asarray(_inverse(k, x0, lo, hi, sc)) for (p, _, x0), (n, (k, lo, hi, sc))
            in zip(resolved, spec.items())}
    opt = _optimizer(cfg)
    t0 = time.perf_counter()

    def to_theta(u: Mapping[str, Any]) -> dict[str, jax.Array]:
        return {n: _forward(k, jnp.asarray(u[n]), lo, hi, sc) for n, (k, lo, hi, sc) in spec.items()}

    def evaluate(u: dict) -> tuple[float, dict, dict, np.ndarray]:
        theta, dtheta = {}, {}
        for n, (k, lo, hi, sc) in spec.items():
            x = jnp.asarray(u[n])
            theta[n], dtheta[n] = jax.jvp(lambda v, k=k, lo=lo, hi=hi, sc=sc: _forward(k, v, lo, hi, sc),
                                          (x,), (jnp.ones_like(x),))
        if cfg.gradient == "implicit":
            (val, (outs, status)), g = vg(_full(path, theta))
        else:
            val, (outs, status) = fwd(_full(path, theta))
            g = _central_differences(fwd, path, theta, cfg.fd_rel_step)
        gu = {n: np.asarray(g[n] * dtheta[n]) for n in spec}  # chain rule through the transform
        return float(val), gu, outs, np.asarray(status)

    u = {k: np.asarray(v, dtype=np.float64) for k, v in u_np.items()}
    loss, g, outs, status = evaluate(u)
    if np.any(status != 0) or not math.isfinite(loss):
        bad = [path.years[i] for i in np.flatnonzero(status != 0)]
        raise CpjaxInputError(f"the path does not solve at the starting parameters (years {bad} "
                              f"failed, loss {loss}); fix: start closer to the benchmark (init)")
    state = opt.init({k: jnp.asarray(v) for k, v in u.items()})
    trace = [{"step": 0, "loss": loss, "accepted": True, "step_scale": 1.0,
              "grad_norm": _norm(g), "failed_years": ""}]
    scale, rejections, quiet, accepted, reason = 1.0, 0, 0, 0, "step limit reached"
    converged, fresh = False, True
    for step in range(1, cfg.max_steps + 1):
        if loss <= cfg.loss_tol:
            reason, converged = "loss below loss_tol", True
            break
        if _norm(g) <= cfg.gtol:
            reason, converged = "gradient norm below gtol", True
            break
        jg = {k: jnp.asarray(v) for k, v in g.items()}
        # optax's L-BFGS mixes int32 and int64 indices under x64: standard promotion inside it
        with jax.numpy_dtype_promotion("standard"):
            upd, new_state = opt.update(jg, state, {k: jnp.asarray(v) for k, v in u.items()})
        upd = {k: np.asarray(v) for k, v in upd.items()}
        if cfg.optimizer == "lbfgs":
            upd = {k: -v for k, v in upd.items()}  # scale_by_lbfgs returns the ascent direction
        n = _norm(upd)
        # the first L-BFGS direction (after init or a reset) is the raw gradient: give it the
        # trust-region length; later directions carry their own length, capped at max_step
        cap = (cfg.max_step / n if fresh and cfg.optimizer == "lbfgs" else min(1.0, cfg.max_step / n)
               ) if n > 0 else 1.0
        trial = {k: u[k] + scale * cap * upd[k] for k in u}
        l2, g2, o2, s2 = evaluate(trial)
        ok = bool(np.all(s2 == 0)) and math.isfinite(l2) and l2 <= loss
        row = {"step": step, "loss": l2, "accepted": ok, "step_scale": scale * cap,
               "grad_norm": _norm(g2), "failed_years": " ".join(str(path.years[i]) for i in
                                                                  np.flatnonzero(s2 != 0))}
        trace.append(row)
        if callback is not None:
            callback(row)
        if ok:
            rel = abs(loss - l2) / max(abs(loss), 1e-300)
            u, loss, g, outs, status, state = trial, l2, g2, o2, s2, new_state
            accepted += 1
            rejections, fresh = 0, False
            scale = min(1.0, scale * cfg.grow)
            quiet = quiet + 1 if rel < cfg.rtol else 0
            if quiet >= cfg.patience:
                reason, converged = "relative loss change below rtol", True
                break
        else:
            rejections += 1
            scale *= 0.5
            if rejections >= 2:  # the direction itself may be stale (momentum, curvature pairs)
                state, fresh = opt.init({k: jnp.asarray(v) for k, v in u.items()}), True
            if rejections >= cfg.max_rejections:
                reason = f"{rejections} consecutive rejected steps (step too small to improve)"
                break
    else:
        step = cfg.max_steps
    theta = {k: np.asarray(v) for k, v in to_theta(u).items()}
    out_lists = {k: np.asarray(v, dtype=np.float64).reshape(-1).tolist() for k, v in outs.items()}
    return CalibrationResult(
        params={k: (v.tolist() if v.ndim else float(v)) for k, v in theta.items()}, loss=loss,
        converged=converged or loss <= cfg.loss_tol, reason=reason, steps=len(trace) - 1,
        accepted=accepted, outputs=out_lists, status=status.reshape(-1).astype(int).tolist(),
        fit=_fit_rows(path, targets, outs), trace=trace, wall_s=time.perf_counter() - t0)


def _central_differences(fwd: Callable, path: PathFunction, theta: Mapping[str, jax.Array],
                         rel_step: float) -> dict[str, np.ndarray]:
    """Central differences of the loss in physical units (two forward paths per entry)."""
    out = {}
    for n, x in theta.items():
        x = np.asarray(x, np.float64)
        g = np.zeros_like(x)
        for i in np.ndindex(x.shape):
            h = rel_step * max(1.0, abs(float(x[i])))
            vals = []
            for sgn in (1.0, -1.0):
                xs = x.copy()
                xs[i] += sgn * h
                vals.append(float(fwd(_full(path, {**theta, n: xs}))[0]))
            g[i] = (vals[0] - vals[1]) / (2 * h)
        out[n] = g
    return out


def _norm(tree: Mapping[str, np.ndarray]) -> float:
    return float(math.sqrt(sum(float(np.sum(np.asarray(v) ** 2)) for v in tree.values())))


@with_x64
def gradient_check(path: PathFunction, targets: Sequence[Target], params: Sequence[Parameter],
                   values: Mapping[str, Any] | None = None, rel_step: float = 1e-6,
                   forward_only: bool = True) -> list[dict[str, Any]]:
    """Implicit gradient of the calibration loss vs central finite differences, per parameter entry.

    Arguments:
        values: where to check (physical units; default: the parameters' starting values).
        rel_step: finite-difference step relative to ``max(1, |value|)``.
        forward_only: finite differences with a separately compiled forward-only loss (fair
            timing); ``False`` reuses the value-and-gradient function (one compilation less).

    Returns:
        One dict per parameter entry: name, index, value, implicit, finite_difference, abs_error,
        rel_error, and the wall times of both (``implicit_s`` includes compilation once).
    """
    resolved = _resolve(path, params)
    _target_terms(path, targets)
    theta = {p.name: np.asarray(values[p.name] if values and p.name in values else x0, np.float64)
             for p, _, x0 in resolved}
    vg = loss_and_grad(path, targets, params)
    # forward-only differences are the fair reference for timing; reusing the compiled
    # value-and-gradient function saves one compilation when only agreement matters
    if forward_only:
        f1 = loss_forward(path, targets, params)
        fwd = lambda th: f1(th)[0]  # noqa: E731
    else:
        fwd = lambda th: vg(th)[0][0]  # noqa: E731
    jt = _full(path, theta)
    vg(jt)[0][0].block_until_ready()  # compile outside the timing
    t0 = time.perf_counter()
    _, grad = vg(jt)
    grad = {k: np.asarray(v) for k, v in grad.items()}
    t_imp = time.perf_counter() - t0
    fwd(jt).block_until_ready()
    rows, t_fd = [], 0.0
    for p, _, _ in resolved:
        x = theta[p.name]
        for i in np.ndindex(x.shape):
            h = rel_step * max(1.0, abs(float(x[i])))
            vals = []
            t0 = time.perf_counter()
            for sgn in (1.0, -1.0):
                xs = x.copy()
                xs[i] += sgn * h
                vals.append(float(fwd({**jt, p.name: jnp.asarray(xs)})))
            t_fd += time.perf_counter() - t0
            fd = (vals[0] - vals[1]) / (2 * h)
            gi = float(grad[p.name][i])
            err = abs(gi - fd)
            rows.append({"name": p.name, "index": int(i[0]) if i else 0, "value": float(x[i]),
                         "implicit": gi, "finite_difference": fd, "abs_error": err,
                         "rel_error": err / max(abs(fd), 1e-12)})
    for r in rows:
        r["implicit_s"], r["finite_difference_s"] = t_imp, t_fd
    return rows
