"""Frozen, JSON-serialisable settings of the Neural ODE (model, solver, training, preprocessing)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from .._errors import CpjaxInputError

__all__ = ["NodeConfig", "PreprocessConfig", "ACTIVATIONS", "SOLVERS", "TIME_FEATURES"]

ACTIVATIONS = ("relu", "softplus", "tanh")
SOLVERS = ("tsit5", "dopri5", "rk4")
TIME_FEATURES = ("none", "raw", "seasonal", "annual")
OPTIMIZERS = ("adam", "adabelief", "adamw", "sgd")


@dataclass(frozen=True)
class PreprocessConfig:
    """Cleaning steps of seed 001 §1.1, applied per panel and series.

    Attributes:
        max_missing_frac: drop a series whose share of missing points exceeds this (0..1).
        outlier_method: ``"iqr"`` (box plot: outside ``[Q1 - k IQR, Q3 + k IQR]``), ``"sigma"``
            (``|x - mean| > k std``) or ``"none"``.
        outlier_k: the ``k`` above (1.5 for box plots, 3 for k-sigma are the usual values).
        outlier_replace: ``"median"`` or ``"mean"`` of the series' training part.
        outlier_on: ``"yoy"`` detects outliers on year-on-year log changes (robust to trend and
            season; a flagged point is replaced by the median/mean *level* of the same calendar
            month in the training part) or ``"level"`` (on the raw values, as in the seed).
        train_frac, val_frac: time split; the test part is the rest (70/15/15 by default).
    """

    max_missing_frac: float = 0.5
    outlier_method: str = "iqr"
    outlier_k: float = 3.0
    outlier_replace: str = "median"
    outlier_on: str = "yoy"
    train_frac: float = 0.70
    val_frac: float = 0.15

    def __post_init__(self) -> None:
        if self.outlier_method not in ("iqr", "sigma", "none"):
            raise CpjaxInputError(f"outlier_method must be iqr, sigma or none, got "
                                  f"{self.outlier_method!r}; fix: pick one of those")
        if self.outlier_replace not in ("median", "mean"):
            raise CpjaxInputError(f"outlier_replace must be median or mean, got "
                                  f"{self.outlier_replace!r}")
        if self.outlier_on not in ("yoy", "level"):
            raise CpjaxInputError(f"outlier_on must be yoy or level, got {self.outlier_on!r}")
        if not 0 <= self.max_missing_frac <= 1:
            raise CpjaxInputError(f"max_missing_frac must be in [0, 1], got "
                                  f"{self.max_missing_frac!r}; fix: e.g. 0.5")
        if not self.outlier_k > 0:
            raise CpjaxInputError(f"outlier_k must be positive, got {self.outlier_k!r}; fix: "
                                  "e.g. 1.5 (box plot) or 3 (k-sigma)")
        if not (0 < self.train_frac < 1 and 0 <= self.val_frac < 1
                and self.train_frac + self.val_frac < 1):
            raise CpjaxInputError("train_frac and val_frac must be in (0, 1) and sum to < 1; "
                                  "fix: e.g. train_frac=0.7, val_frac=0.15")


@dataclass(frozen=True)
class NodeConfig:
    """Every hyperparameter of a Neural ODE ``dz/dt = f(z, t; θ)`` and of its training.

    Time is measured in **years** (a monthly grid has spacing 1/12); the state ``z`` is the vector
    of z-scored series of one panel (province).

    Attributes:
        width, depth: hidden units per layer and number of hidden layers of the MLP ``f``.
        activation: ``"relu"`` (seed 001 eq. 4), ``"softplus"`` or ``"tanh"``.
        time_features: what ``f`` sees of ``t``: ``"seasonal"`` (sin 2πt, cos 2πt: a periodic
            forcing that lets ``f`` learn the annual cycle without extrapolating in t), ``"raw"``
            (t in years since the data's origin), ``"annual"`` (t, sin 2πt, cos 2πt) or
            ``"none"`` (autonomous).
        solver: ``"tsit5"`` / ``"dopri5"`` (adaptive, PID controller) or ``"rk4"`` (fixed step).
        rtol, atol: tolerances of the PID controller.
        dt0_years: first step (adaptive) or the step (rk4), in years.
        max_steps: solver step budget per solve (a solve that needs more returns inf loss).
        optimizer: ``"adam"``, ``"adabelief"``, ``"adamw"`` or ``"sgd"``; any
            ``optax.GradientTransformation`` can be passed to :func:`fit` instead.
        learning_rate: step size of the optimizer.
        weight_decay: used by ``adamw`` only.
        grad_clip: global-norm clip applied before the optimizer (0 disables it).
        steps: maximum number of optimizer steps (one step = one batch of windows).
        window: length of a training window in time points: every window starts at an observed
            state and is integrated ``window - 1`` points ahead (``0`` = whole training series from
            its first point, the seed's formulation).
        batch_size: windows per step (sampled with replacement over panels and start points).
        eval_every: validate every this many steps.
        patience: stop after this many validations without improvement (best parameters kept).
        series_weights: optional per-series weights of the MSE (same order as the series).
        seed: PRNG seed of initialisation and window sampling.
    """

    width: int = 64
    depth: int = 2
    activation: str = "relu"
    time_features: str = "seasonal"
    solver: str = "tsit5"
    rtol: float = 1e-3
    atol: float = 1e-6
    dt0_years: float = 1.0 / 24.0
    max_steps: int = 4096
    optimizer: str = "adam"
    learning_rate: float = 1e-3
    weight_decay: float = 1e-4
    grad_clip: float = 1.0
    steps: int = 1500
    window: int = 25
    batch_size: int = 64
    eval_every: int = 25
    patience: int = 12
    series_weights: tuple[float, ...] | None = None
    seed: int = 0
    preprocess: PreprocessConfig = field(default_factory=PreprocessConfig)

    def __post_init__(self) -> None:
        def bad(msg: str) -> None:
            raise CpjaxInputError(msg)

        if self.activation not in ACTIVATIONS:
            bad(f"activation must be one of {', '.join(ACTIVATIONS)}, got {self.activation!r}")
        if self.solver not in SOLVERS:
            bad(f"solver must be one of {', '.join(SOLVERS)}, got {self.solver!r}")
        if self.time_features not in TIME_FEATURES:
            bad(f"time_features must be one of {', '.join(TIME_FEATURES)}, "
                f"got {self.time_features!r}")
        if self.optimizer not in OPTIMIZERS:
            bad(f"optimizer must be one of {', '.join(OPTIMIZERS)}, got {self.optimizer!r}; "
                "fix: or pass any optax.GradientTransformation to cpjax.node.fit(optimizer=...)")
        if self.width < 1 or self.depth < 0:
            bad(f"width must be >= 1 and depth >= 0, got width={self.width}, depth={self.depth}")
        if self.steps < 1:
            bad(f"steps (epochs) must be a positive integer, got {self.steps}; fix: e.g. 500")
        if self.batch_size < 1 or self.eval_every < 1 or self.patience < 1:
            bad("batch_size, eval_every and patience must be positive integers")
        if self.window == 1 or self.window < 0:
            bad(f"window must be 0 (whole series) or >= 2 time points, got {self.window}")
        if not (self.learning_rate > 0 and self.rtol > 0 and self.atol > 0 and self.dt0_years > 0):
            bad("learning_rate, rtol, atol and dt0_years must be positive")
        if isinstance(self.preprocess, dict):  # from JSON
            object.__setattr__(self, "preprocess", PreprocessConfig(**self.preprocess))
        if self.series_weights is not None:
            object.__setattr__(self, "series_weights", tuple(float(w) for w in
                                                             self.series_weights))

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> NodeConfig:
        """Rebuild from :func:`cpjax._io.to_jsonable` output (unknown keys are an error)."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(d) - names
        if unknown:
            raise CpjaxInputError(f"unknown Neural ODE settings {sorted(unknown)}; "
                                  f"fix: use only {sorted(names)}")
        from .._config_io import check_dataclass_dict

        checked = check_dataclass_dict(d, cls, "the saved model", "Neural ODE settings of")
        if isinstance(checked.get("preprocess"), dict):
            checked["preprocess"] = PreprocessConfig(**checked["preprocess"])
        return cls(**checked)
