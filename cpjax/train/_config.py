"""Settings of the training engine."""

from __future__ import annotations

import dataclasses
from typing import Literal

from .._errors import CpjaxInputError
from ._losses import get_loss

__all__ = ["TrainConfig"]


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """How a network is trained (forecasting.md §3).

    Attributes:
        epochs: maximum number of passes over the training windows.
        batch_size: windows per step (the last partial batch of a shuffled epoch is dropped;
            every window is seen across epochs).
        loss: ``"mse"``, ``"mae"``, ``"huber"`` (``huber_delta`` on the scaled target), or a
            distributional loss: ``"pinball:0.1,0.5,0.9"`` or ``"student_t"`` (``_losses.py``).
        patience: epochs without validation improvement before stopping (0: never stop early);
            the parameters of the best validation epoch are restored.
        min_delta: smallest decrease of the validation loss that counts as improvement.
        seed: first seed; seeds ``seed, seed+1, ..., seed+n_seeds-1`` are trained.
        n_seeds: number of independent trainings (different init, shuffling and dropout).
        seed_strategy: ``"vmap"`` (all seeds in one batched program), ``"loop"`` (one after
            another) or ``"auto"`` (the faster one measured on this kind of device; see README).
        l1, l2: penalties on all kernel weights added to the loss (seed 003).
        progress: show a progress bar over epochs (``None``: when stderr is a terminal and quiet
            mode is off, see ``cpjax._progress``).
        label: the bar's name (the model's registry name, or the stage).
    """

    epochs: int = 100
    batch_size: int = 32
    loss: str = "mse"
    huber_delta: float = 1.0
    patience: int = 20
    min_delta: float = 0.0
    seed: int = 0
    n_seeds: int = 1
    seed_strategy: Literal["auto", "vmap", "loop"] = "auto"
    l1: float = 0.0
    l2: float = 0.0
    progress: bool | None = False
    label: str = "training"

    def __post_init__(self):
        for name in ("epochs", "batch_size", "n_seeds"):
            value = getattr(self, name)
            if not isinstance(value, int) or value <= 0:
                raise CpjaxInputError(f"{name} must be a positive integer, got {value!r}")
        if self.patience < 0:
            raise CpjaxInputError(f"patience must be >= 0 (0 disables early stopping), got {self.patience}")
        if self.l1 < 0 or self.l2 < 0:
            raise CpjaxInputError("l1 and l2 penalties must be >= 0")
        if self.seed_strategy not in ("auto", "vmap", "loop"):
            raise CpjaxInputError(
                f"seed_strategy must be 'auto', 'vmap' or 'loop', got {self.seed_strategy!r}")
        get_loss(self.loss, self.huber_delta)  # validates the name
