"""Frozen, JSON-serialisable settings of the Neural ODE (model, solver, training, preprocessing)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from .._errors import CpjaxInputError

__all__ = ["NodeConfig", "PreprocessConfig", "ACTIVATIONS", "SOLVERS", "TIME_FEATURES", "STATES",
           "OUTLIER_RULES"]

ACTIVATIONS = ("relu", "softplus", "tanh")
STATES = ("level", "log", "growth")
OUTLIER_RULES = ("spike", "iqr", "ksigma", "none")
SOLVERS = ("tsit5", "dopri5", "rk4")
TIME_FEATURES = ("none", "raw", "seasonal", "annual")


@dataclass(frozen=True)
class PreprocessConfig:
    """Cleaning steps of seed 001 §1.1, applied per panel and series.

    Attributes:
        max_missing_frac: mask a panel-series whose share of missing points exceeds this (0..1).
        outlier_method: ``"spike"`` (default: :func:`cpjax.data.seasonal_spikes`, a value is
            replaced only when it disagrees in the same direction with both its neighbours and
            the seasonal pattern), ``"iqr"`` (box plot on the levels), ``"ksigma"`` (k-sigma on
            the levels) or ``"none"``. All run through :func:`cpjax.data.handle_outliers`.
        outlier_k: multiplier of the rule (default: 3 for ``spike`` and ``ksigma``, 1.5 for
            ``iqr``).
        outlier_replace: ``"median"`` or ``"mean"`` of the training part (``iqr``/``ksigma``).
        train_frac, val_frac: time split; the test part is the rest (70/15/15 by default).
    """

    max_missing_frac: float = 0.5
    outlier_method: str = "spike"
    outlier_k: float | None = None
    outlier_replace: str = "median"
    train_frac: float = 0.70
    val_frac: float = 0.15

    def __post_init__(self) -> None:
        if self.outlier_method not in OUTLIER_RULES:
            raise CpjaxInputError(f"outlier_method must be one of {', '.join(OUTLIER_RULES)}, "
                                  f"got {self.outlier_method!r}; fix: pick one of those")
        if self.outlier_replace not in ("median", "mean"):
            raise CpjaxInputError(f"outlier_replace must be median or mean, got "
                                  f"{self.outlier_replace!r}")
        if not 0 <= self.max_missing_frac <= 1:
            raise CpjaxInputError(f"max_missing_frac must be in [0, 1], got "
                                  f"{self.max_missing_frac!r}; fix: e.g. 0.5")
        if self.outlier_k is not None and not self.outlier_k > 0:
            raise CpjaxInputError(f"outlier_k must be positive, got {self.outlier_k!r}; fix: "
                                  "e.g. 1.5 (box plot) or 3 (k-sigma, spike)")
        if not (0 < self.train_frac < 1 and 0 <= self.val_frac < 1
                and self.train_frac + self.val_frac < 1):
            raise CpjaxInputError("train_frac and val_frac must be in (0, 1) and sum to < 1; "
                                  "fix: e.g. train_frac=0.7, val_frac=0.15")


@dataclass(frozen=True)
class NodeConfig:
    """Every hyperparameter of a Neural ODE ``dz/dt = f(z, t; θ)`` and of its training.

    Time is measured in **years** (a monthly grid has spacing 1/12); the state ``z`` is the vector
    of z-scored series of one panel (province), in the representation ``state``.

    Attributes:
        state: what the ODE state represents, per series: ``"level"`` (the values, seed 001's
            formulation), ``"log"`` (log levels) or ``"growth"`` (year-on-year log growth
            ``ln x_t - ln x_{t-12}``; a path's levels are the same month a year earlier times
            ``exp(growth)``). Each is z-scored with training statistics. Default ``"log"``
            (chosen on held-back months, ``scripts/node_select.py``; docs/node.md).
        decay: ``κ >= 0`` (1/year): the field is ``f(z, t) - κ z``, a pull towards the training
            mean of the state (``0`` = the plain MLP; default 1, chosen with ``state``).
        refit: after the evaluation fit (training part, early stopping on the validation
            part, scored on the test part), fit the model used for generating paths again on
            every month, for as many epochs as the evaluation fit selected, so that paths start
            from dynamics that saw the latest years (default). ``False``: generate with the
            evaluation fit.
        plausible_years: when > 0, an epoch is selected only if the rollout of this many years
            from the end of the validation part passes :func:`cpjax.node.check_plausibility`
            (bounds from the training and validation months only); ``0`` = off.
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
        optimizer: a name of the optimizer registry, :func:`cpjax.optim.optimizer_names`
            (``adam``, ``adamw``, ``rmsprop``, ``sgd``, ``sophia``; default ``adam``). Training
            builds it with :func:`cpjax.node.node_optimizer`; a full
            :class:`cpjax.optim.OptimizerConfig` (e.g. Sophia-G) can be passed to :func:`fit` /
            :func:`train_node` instead.
        learning_rate: step size of the optimizer.
        weight_decay: decoupled weight decay of ``adamw`` and ``sophia`` (ignored by the
            others, which have none).
        grad_clip: global-norm clip applied before the optimizer (0 disables it).
        epochs: maximum number of epochs. One epoch is one pass over every training window
            (panel, start month) in shuffled batches of ``batch_size`` (the last partial batch
            is dropped, as in :mod:`cpjax.train`), i.e. ``floor(windows / batch_size)`` optimizer
            steps; the validation loss is computed after every epoch.
        window: length of a training window in time points: every window starts at an observed
            state and is integrated ``window - 1`` points ahead (``0`` = whole training series from
            its first point, the seed's formulation: one window per panel).
        batch_size: windows per optimizer step (at most the number of windows).
        patience: stop after this many epochs without a validation improvement larger than
            ``min_delta`` (``0``: never stop early, run all ``epochs``); the parameters of the
            best validation epoch are returned.
        min_delta: smallest decrease of the validation loss that counts as an improvement.
        series_weights: optional per-series weights of the MSE (same order as the series).
        seed: PRNG seed of initialisation and window shuffling.
    """

    state: str = "log"
    decay: float = 1.0
    refit: bool = True
    plausible_years: int = 0
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
    epochs: int = 200
    window: int = 25
    batch_size: int = 32
    patience: int = 20
    min_delta: float = 0.0
    series_weights: tuple[float, ...] | None = None
    seed: int = 0
    preprocess: PreprocessConfig = field(default_factory=PreprocessConfig)

    def __post_init__(self) -> None:
        def bad(msg: str) -> None:
            raise CpjaxInputError(msg)

        if self.state not in STATES:
            bad(f"state must be one of {', '.join(STATES)}, got {self.state!r}")
        if not self.decay >= 0:
            bad(f"decay must be >= 0 (1/year), got {self.decay}")
        if isinstance(self.plausible_years, bool) or not isinstance(self.plausible_years, int) \
                or self.plausible_years < 0:
            bad(f"plausible_years must be an integer >= 0, got {self.plausible_years!r}")
        if self.activation not in ACTIVATIONS:
            bad(f"activation must be one of {', '.join(ACTIVATIONS)}, got {self.activation!r}")
        if self.solver not in SOLVERS:
            bad(f"solver must be one of {', '.join(SOLVERS)}, got {self.solver!r}")
        if self.time_features not in TIME_FEATURES:
            bad(f"time_features must be one of {', '.join(TIME_FEATURES)}, "
                f"got {self.time_features!r}")
        from ..optim import optimizer_names

        if self.optimizer not in optimizer_names():
            from .._errors import unknown_name_message

            bad(unknown_name_message("optimizer", str(self.optimizer), optimizer_names(),
                                     where="the optimizer registry (cpjax.optim)"))
        if self.width < 1 or self.depth < 0:
            bad(f"width must be >= 1 and depth >= 0, got width={self.width}, depth={self.depth}")
        for name in ("epochs", "batch_size"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                bad(f"{name} must be a positive integer, got {v!r}; fix: e.g. {name}=50")
        if isinstance(self.patience, bool) or not isinstance(self.patience, int) \
                or self.patience < 0:
            bad(f"patience must be an integer >= 0 (0: no early stopping), got {self.patience!r}")
        if not self.min_delta >= 0:
            bad(f"min_delta must be >= 0, got {self.min_delta}")
        if self.window == 1 or self.window < 0:
            bad(f"window must be 0 (whole series) or >= 2 time points, got {self.window}")
        if not (self.learning_rate > 0 and self.rtol > 0 and self.atol > 0 and self.dt0_years > 0):
            bad("learning_rate, rtol, atol and dt0_years must be positive")
        if not (self.weight_decay >= 0 and self.grad_clip >= 0):
            bad(f"weight_decay and grad_clip must be >= 0, got {self.weight_decay}, "
                f"{self.grad_clip}")
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
