"""Standard optimisation problems shared by the optimizer tests (loss, model outputs, optimum).

Each problem writes its loss both as ``loss_fn(params)`` and as the mean of a GNB loss over model
outputs ``output_fn(params)`` so that Sophia-G can be run on it, and knows its optimum from an
independent reference (analytic, or numpy least squares).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax.numpy as jnp
import numpy as np


class Problem(NamedTuple):
    name: str
    init: Any  # initial params (float32)
    loss_fn: Any  # params -> scalar
    output_fn: Any  # params -> outputs f, loss = mean of gnb_loss(f, 0 or y)
    gnb_loss: str
    optimum: float  # minimal loss (independent reference)


A_DIAG = np.array([1.0, 4.0, 0.25])
C = np.array([1.0, -1.0, 2.0])


def quadratic() -> Problem:
    """0.5 Σ a_i (θ_i - c_i)^2 = mean over 3 terms of 0.5 f_i^2 with f = sqrt(3 a)(θ - c)."""
    a, c = jnp.asarray(A_DIAG, jnp.float32), jnp.asarray(C, jnp.float32)
    s = jnp.sqrt(3.0 * a)

    def out(p):
        return s.astype(p.dtype) * (p - c.astype(p.dtype))

    def loss(p):
        return jnp.mean(0.5 * jnp.square(out(p)))

    return Problem("quadratic", jnp.array([-1.0, 1.0, 0.0], jnp.float32), loss, out, "half_mse", 0.0)


def rosenbrock() -> Problem:
    """(1 - x)^2 + 100 (y - x^2)^2 = mean of f^2 with f = sqrt(2) [1 - x, 10 (y - x^2)]."""

    def out(p):
        r = jnp.stack([1.0 - p[0], 10.0 * (p[1] - p[0] ** 2)])
        return jnp.asarray(np.sqrt(2.0), p.dtype) * r

    def loss(p):
        return jnp.mean(jnp.square(out(p)))

    return Problem("rosenbrock", jnp.array([0.0, 0.0], jnp.float32), loss, out, "mse", 0.0)


def regression() -> Problem:
    """Least squares y ≈ X w + b on 64 synthetic points; optimum from numpy.linalg.lstsq."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 3))
    y = x @ np.array([[1.5], [-2.0], [0.5]]) + 0.3 + 0.1 * rng.normal(size=(64, 1))
    design = np.concatenate([x, np.ones((64, 1))], axis=1)
    coef = np.linalg.lstsq(design, y, rcond=None)[0]
    optimum = float(np.mean((design @ coef - y) ** 2))
    xj, yj = jnp.asarray(x, jnp.float32), jnp.asarray(y, jnp.float32)

    def out(p):
        return xj.astype(p["w"].dtype) @ p["w"] + p["b"] - yj.astype(p["w"].dtype)

    def loss(p):
        return jnp.mean(jnp.square(out(p)))

    init = {"w": jnp.zeros((3, 1), jnp.float32), "b": jnp.zeros((1, 1), jnp.float32)}
    return Problem("regression", init, loss, out, "mse", optimum)


PROBLEMS = {"quadratic": quadratic, "rosenbrock": rosenbrock, "regression": regression}
