"""Pieces shared by the Flax forecasting networks."""

from __future__ import annotations

from jaxtyping import Array, Float

__all__ = ["residual_output"]


def residual_output(
    x: Float[Array, "batch lookback features"],
    out: Float[Array, "batch horizon"],
    residual: bool,
    target_index: int,
) -> Float[Array, "batch horizon"]:
    """Add the last observed target value when the network predicts a change.

    With ``residual=True`` the network's output is read as the change from the last observed
    (scaled) target, ``x[:, -1, target_index]``; the level is that value plus the change.  The
    Forecaster always places the target at feature index 0.
    """
    if not residual:
        return out
    last = x[:, -1, target_index]
    return out + last[:, None].astype(out.dtype)


def check_input(x: Float[Array, "batch lookback features"], name: str) -> None:
    if x.ndim != 3:
        raise ValueError(f"{name} expects a batch of windows (B, L, F); got shape {x.shape}")
