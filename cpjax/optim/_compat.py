"""Make optax pieces that are not clean under strict dtype promotion usable in strict mode."""

from __future__ import annotations

import jax
import optax

__all__ = ["standard_promotion"]


def standard_promotion(tx: optax.GradientTransformation | optax.MultiSteps) -> optax.GradientTransformationExtraArgs:
    """Run ``tx`` under jax's standard dtype promotion.

    optax 0.2.8's bias correction computes ``b1 ** count`` (Python float ** int32 array), which
    raises under ``jax_numpy_dtype_promotion="strict"`` (cpjax's test setting).  Wrapping the
    built-in optax optimizers, schedules and ``optax.MultiSteps`` (whose ``emit * count`` mixes int
    and float) keeps them usable in strict mode; Sophia's own arithmetic is strict-clean.
    """
    if not isinstance(tx, optax.GradientTransformationExtraArgs | optax.MultiSteps):
        tx = optax.with_extra_args_support(tx)  # MultiSteps.update already forwards extra args

    def init_fn(params):
        with jax.numpy_dtype_promotion("standard"):
            return tx.init(params)

    def update_fn(updates, state, params=None, **extra):
        with jax.numpy_dtype_promotion("standard"):
            return tx.update(updates, state, params, **extra)

    return optax.GradientTransformationExtraArgs(init_fn, update_fn)
