"""Settings of a :class:`~cpjax.forecast.Forecaster` (JSON-serialisable)."""

from __future__ import annotations

import dataclasses
from typing import Any

from .._errors import CpjaxInputError

__all__ = ["ForecasterConfig"]


@dataclasses.dataclass(frozen=True)
class ForecasterConfig:
    """Everything that defines a forecasting run.

    Attributes:
        model: registry name (``cpjax models``).
        model_params: hyperparameter overrides for the model's config dataclass.
        optimizer: ``adam``, ``adamw``, ``rmsprop``, ``sgd`` or ``sophia`` (networks only).
        optimizer_params: extra optimizer settings (``cpjax.optim.optimizer_config`` keywords,
            e.g. ``{"estimator": "gnb"}`` for Sophia-G).
        learning_rate: peak step size.
        loss: ``mse``, ``mae`` or ``huber``.
        lookback: L, rows per input window.
        horizon: H, steps predicted from each window.
        epochs, batch_size, patience: training loop (see :class:`cpjax.train.TrainConfig`).
        val_fraction: share of the training windows (the latest ones) held out for early
            stopping; 0 trains on all and keeps the last epoch.
        seeds: number of seeds; ``seed`` the first one.
        seed_strategy: ``auto``, ``vmap`` or ``loop``.
        scaling: per-column scaling category overrides (``zscore``/``minmax``/``growth``); the
            target is min-max scaled unless overridden.
        residual: networks predict the change from the last value (``None``: model default).
        max_linear_gap: gaps up to this many rows are interpolated linearly, longer by ARIMA.
        outliers: ``None`` (off), ``"iqr"`` or ``"ksigma"`` (replaced by the median).
        min_test: fewest test rows accepted.
        progress: show a progress bar while training.
        refiner: ``None`` or ``"xgboost"``: seed 000's second stage, fitted on out-of-fold
            network predictions over the training part (networks only).
        refiner_params: :class:`~cpjax.forecast.RefinerConfig` settings, e.g.
            ``{"in_sample": True}`` for the naive (leaking) stacking.
    """

    model: str = "lstm"
    model_params: dict[str, Any] = dataclasses.field(default_factory=dict)
    optimizer: str = "adam"
    optimizer_params: dict[str, Any] = dataclasses.field(default_factory=dict)
    learning_rate: float = 1e-3
    loss: str = "mse"
    lookback: int = 10
    horizon: int = 1
    epochs: int = 100
    batch_size: int = 32
    patience: int = 20
    val_fraction: float = 0.15
    seeds: int = 1
    seed: int = 0
    seed_strategy: str = "auto"
    scaling: dict[str, str] = dataclasses.field(default_factory=dict)
    residual: bool | None = None
    max_linear_gap: int = 3
    outliers: str | None = None
    min_test: int = 5
    progress: bool = False
    refiner: str | None = None
    refiner_params: dict[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self):
        for name in ("lookback", "horizon", "epochs", "seeds", "batch_size"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
                raise CpjaxInputError(f"{name} must be a positive integer, got {v!r}; "
                                      f"fix: pass {name}=1 or more")
        if not 0 <= self.val_fraction < 1:
            raise CpjaxInputError(f"val_fraction must be in [0, 1), got {self.val_fraction}")
        if self.learning_rate <= 0:
            raise CpjaxInputError(f"learning_rate must be positive, got {self.learning_rate}")
        if self.outliers not in (None, "iqr", "ksigma"):
            raise CpjaxInputError(f"outliers must be None, 'iqr' or 'ksigma', got {self.outliers!r}")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any], where: str = "") -> ForecasterConfig:
        """The config of ``d``; an unknown key is an error (a typo must not be ignored).
        ``where`` names the source in the message (e.g. the file)."""
        from .._errors import unknown_name_message

        if not isinstance(d, dict):
            raise CpjaxInputError(f"a forecaster config must be a JSON object, got "
                                  f"{type(d).__name__}{' in ' + where if where else ''}")
        known = {f.name for f in dataclasses.fields(cls)}
        for k in d:
            if k not in known:
                raise CpjaxInputError(unknown_name_message("forecaster setting", str(k), known,
                                                           where) + " Fix: remove or rename it.")
        return cls(**d)
