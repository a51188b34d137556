"""Optimizer registry: one config, one factory, one rule for the extra ``update`` arguments.

The training engine needs three calls and nothing optimizer-specific::

    tx = make_optimizer(config)                                   # OptimizerConfig
    state = tx.init(params)
    extra = extra_update_args(config, loss_fn=lambda p: loss(p, batch),
                              output_fn=lambda p: model.apply(p, batch.x))
    updates, state = tx.update(grads, state, params, **extra)

``extra_update_args`` returns ``{}`` for first-order optimizers, ``{"loss_fn": ...}`` for
Sophia-H and ``{"output_fn": ...}`` for Sophia-G, and raises if the needed closure is missing.
(Passing unused closures is harmless too: optax's ``chain`` ignores extra keywords.)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from .._errors import CpjaxInputError, unknown_name_message
from ._compat import standard_promotion
from ._sophia import REQUIRED_EXTRA_ARG, sophia
from ._validate import check_int, check_range

__all__ = [
    "OptimizerConfig",
    "SophiaConfig",
    "SCHEDULES",
    "extra_update_args",
    "learning_rate_schedule",
    "make_optimizer",
    "optimizer_config",
    "optimizer_names",
    "register_optimizer",
    "required_extra_args",
    "INJECTABLE",
    "make_injectable_optimizer",
    "optimizer_hyperparams",
    "optimizer_structure",
    "set_injected_hyperparams",
]


@dataclass(frozen=True)
class SophiaConfig:
    """Sophia-only settings (see :func:`cpjax.optim.sophia`; b1, b2, eps live in OptimizerConfig)."""

    estimator: str = "hutchinson"  # "hutchinson" (Sophia-H) | "gnb" (Sophia-G)
    gamma: float | None = None  # None: 0.01 Hutchinson / 0.05 GNB
    update_interval: int = 10  # steps between Hessian refreshes (k)
    num_probes: int = 1
    probe: str = "rademacher"  # "rademacher" | "gaussian"
    gnb_loss: str = "mse"  # "mse" | "half_mse" | "cross_entropy"; must match the training loss
    clip_threshold: float | None = 1.0
    refresh: str = "before"  # "before" (seed 000) | "after" (official code, optax.contrib)
    bias_correction: bool = False
    seed: int = 0  # probe PRNG seed (per-run keys: cpjax.optim.set_sophia_key)


@dataclass(frozen=True)
class OptimizerConfig:
    """Which optimizer and its settings; JSON-serialisable (``cpjax._io.to_jsonable``).

    ``None`` means "the optimizer's own default" (adam/adamw b1 0.9, b2 0.999, eps 1e-8;
    sophia b1 0.965, b2 0.99, eps 1e-12; adamw/sophia weight_decay 1e-4; rmsprop decay = b2 0.9).
    """

    name: str = "adamw"  # one of optimizer_names()
    learning_rate: float = 1e-3  # peak step size
    weight_decay: float | None = None  # decoupled (adamw, sophia only)
    b1: float | None = None
    b2: float | None = None
    eps: float | None = None
    momentum: float | None = None  # sgd, rmsprop
    warmup_steps: int = 0  # linear warm-up of the learning rate from 0 over this many steps
    # Learning-rate schedule after warm-up (see make_optimizer): "constant", "step" (multiply by
    # decay_rate every decay_every units; seed 003: RMSProp 0.01 halved every 100 epochs),
    # "inverse_time" (lr / (1 + decay_rate t); Keras' legacy ``decay``, seed 003's Adam 1e-4 per
    # step) or "cosine" (to decay_rate * lr over decay_every units, then flat).
    schedule: str = "constant"
    decay_rate: float | None = None  # None: 0.5 step, 1e-4 inverse_time, 0.0 cosine
    decay_every: int = 100  # period (step) or length (cosine), in decay_unit
    decay_unit: str = "epoch"  # "epoch" (needs steps_per_epoch) or "step" (optimizer updates)
    clip_grad_norm: float | None = None  # clip gradients to this global L2 norm first
    sophia: SophiaConfig = field(default_factory=SophiaConfig)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> OptimizerConfig:
        """Rebuild a config from its JSON form (``cpjax._io.to_jsonable(config)``)."""
        data = dict(data)
        fields = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - fields)
        if unknown:
            raise CpjaxInputError(unknown_name_message(
                "optimizer config field", unknown[0], fields, where="OptimizerConfig"))
        if isinstance(data.get("sophia"), dict):
            data["sophia"] = SophiaConfig(**data["sophia"])
        return cls(**data)


class OptimizerSpec(NamedTuple):
    """A registry entry: ``factory(config, learning_rate) -> tx`` and its update keywords."""

    factory: Callable[[OptimizerConfig, Any], optax.GradientTransformation]
    extra_args: Callable[[OptimizerConfig], tuple[str, ...]]
    description: str


_REGISTRY: dict[str, OptimizerSpec] = {}


def register_optimizer(
    name: str,
    factory: Callable[[OptimizerConfig, Any], optax.GradientTransformation],
    *,
    extra_args: Callable[[OptimizerConfig], tuple[str, ...]] = lambda config: (),
    description: str = "",
) -> None:
    """Add ``name`` to the registry (``factory(config, learning_rate_or_schedule) -> tx``)."""
    _REGISTRY[name] = OptimizerSpec(factory, extra_args, description)


def optimizer_names() -> tuple[str, ...]:
    """Registered optimizer names, sorted."""
    return tuple(sorted(_REGISTRY))


def _spec(name: str) -> OptimizerSpec:
    if name not in _REGISTRY:
        raise CpjaxInputError(unknown_name_message("optimizer", str(name), _REGISTRY))
    return _REGISTRY[name]


def _given(config: OptimizerConfig, *names: str) -> dict[str, Any]:
    return {n: getattr(config, n) for n in names if getattr(config, n) is not None}


def _no_decay(config: OptimizerConfig) -> None:
    if config.weight_decay not in (None, 0, 0.0):
        raise CpjaxInputError(
            f"optimizer {config.name!r} has no decoupled weight decay (weight_decay="
            f"{config.weight_decay!r}); fix: use name='adamw' or 'sophia', or weight_decay=None"
        )


def _sgd(config, lr):
    _no_decay(config)
    return standard_promotion(optax.sgd(lr, momentum=config.momentum))


def _adam(config, lr):
    _no_decay(config)
    return standard_promotion(optax.adam(lr, **_given(config, "b1", "b2", "eps")))


def _adamw(config, lr):
    return standard_promotion(
        optax.adamw(lr, **_given(config, "b1", "b2", "eps", "weight_decay")))


def _rmsprop(config, lr):
    _no_decay(config)
    kw = _given(config, "eps", "momentum")
    if config.b2 is not None:
        kw["decay"] = config.b2
    return standard_promotion(optax.rmsprop(lr, **kw))


def _sophia(config, lr):
    return sophia(lr, **_given(config, "b1", "b2", "eps", "weight_decay"),
                  **{f.name: getattr(config.sophia, f.name)  # not asdict: no deepcopy of
                     for f in dataclasses.fields(config.sophia)})  # traced (injected) values


register_optimizer("sgd", _sgd, description="SGD (optional momentum)")
register_optimizer("adam", _adam, description="Adam (Kingma & Ba 2015)")
register_optimizer("adamw", _adamw, description="AdamW, decoupled weight decay")
register_optimizer("rmsprop", _rmsprop, description="RMSProp")
register_optimizer(
    "sophia", _sophia,
    extra_args=lambda config: (REQUIRED_EXTRA_ARG.get(config.sophia.estimator, "loss_fn"),),
    description="Sophia-H / Sophia-G (Liu et al. 2023; seed 000)",
)


SCHEDULES = ("constant", "step", "inverse_time", "cosine")
_DEFAULT_DECAY = {"step": 0.5, "inverse_time": 1e-4, "cosine": 0.0}


def learning_rate_schedule(config: OptimizerConfig, steps_per_epoch: int | None = None
                           ) -> float | Callable[[Any], Any]:
    """The learning rate of ``config``: a float, or an optax schedule ``count -> lr``.

    Arguments:
        config: the optimizer config (``learning_rate``, ``warmup_steps``, ``schedule``,
            ``decay_rate``, ``decay_every``, ``decay_unit``).
        steps_per_epoch: optimizer updates per epoch; needed when ``decay_unit="epoch"``
            (the Forecaster passes ``floor(training windows / batch_size)``).

    Returns:
        ``config.learning_rate`` when nothing changes it over training, else a schedule.

    Example:
        >>> cfg = optimizer_config("rmsprop", 0.01, schedule="step", decay_every=100)
        >>> round(float(learning_rate_schedule(cfg, steps_per_epoch=10)(1000)), 6)  # epoch 100
        0.005
    """
    lr = config.learning_rate
    name = config.schedule
    if name not in SCHEDULES:
        raise CpjaxInputError(unknown_name_message("learning-rate schedule", str(name), SCHEDULES))
    check_int("warmup_steps", config.warmup_steps, 0)
    if name == "constant":
        if config.warmup_steps > 0:
            return optax.linear_schedule(0.0, lr, config.warmup_steps)
        return lr
    check_int("decay_every", config.decay_every, 1)
    if config.decay_unit not in ("epoch", "step"):
        raise CpjaxInputError(f"decay_unit must be 'epoch' or 'step', got {config.decay_unit!r}")
    if config.decay_unit == "epoch":
        if steps_per_epoch is None:
            raise CpjaxInputError(
                "schedule with decay_unit='epoch' needs the number of steps per epoch; fix: "
                "make_optimizer(config, steps_per_epoch=...) or decay_unit='step'")
        check_int("steps_per_epoch", steps_per_epoch, 1)
    unit = _number(config.decay_every * (steps_per_epoch if config.decay_unit == "epoch" else 1))
    rate = _DEFAULT_DECAY[name] if config.decay_rate is None else _number(config.decay_rate)
    if name == "step":
        check_range("decay_rate", rate, 0.0, 1.0, lo_open=True)
    elif name == "inverse_time":
        check_range("decay_rate", rate, 0.0, None)
        unit = unit / config.decay_every  # t counts decay_unit's (steps or epochs), not periods
    else:
        check_range("decay_rate", rate, 0.0, 1.0)
    warm = config.warmup_steps

    def schedule(count):
        t = jnp.maximum(jnp.asarray(count, jnp.float32) - warm, 0.0) / unit
        if name == "step":
            value = lr * rate ** jnp.floor(t)
        elif name == "inverse_time":
            value = lr / (1.0 + rate * t)
        else:
            cos = 0.5 * (1.0 + jnp.cos(jnp.pi * jnp.minimum(t, 1.0)))
            value = lr * (rate + (1.0 - rate) * cos)
        if warm > 0:
            value = jnp.where(count < warm, lr * jnp.asarray(count, jnp.float32) / warm, value)
        return value

    return schedule


def _number(value: Any) -> Any:
    """``float(value)`` for concrete numbers; traced values (injected hyperparameters) as is."""
    return value if isinstance(value, jax.core.Tracer) else float(value)


def optimizer_config(name: str, learning_rate: float = 1e-3, **kwargs: Any) -> OptimizerConfig:
    """Build an :class:`OptimizerConfig` from flat keywords (Sophia fields go into ``sophia``).

    Example:
        >>> optimizer_config("sophia", 1e-3, estimator="gnb", weight_decay=0.01)
    """
    _spec(name)
    top = {f.name for f in dataclasses.fields(OptimizerConfig)} - {"name", "learning_rate"}
    soph = {f.name for f in dataclasses.fields(SophiaConfig)}
    unknown = sorted(set(kwargs) - top - (soph if name == "sophia" else set()))
    if unknown:
        raise CpjaxInputError(unknown_name_message(
            "optimizer setting", unknown[0], sorted(top | (soph if name == "sophia" else set())),
            where=f"optimizer {name!r}"))
    sub = {k: v for k, v in kwargs.items() if k in soph and k not in top}
    rest = {k: v for k, v in kwargs.items() if k in top}
    if sub:
        rest["sophia"] = SophiaConfig(**sub)
    return OptimizerConfig(name=name, learning_rate=learning_rate, **rest)


def make_optimizer(
    config: OptimizerConfig | str, learning_rate: Any = None, *,
    steps_per_epoch: int | None = None, **kwargs: Any
) -> optax.GradientTransformationExtraArgs:
    """Build the optax transformation for a config (or a name plus keywords).

    Arguments:
        config: an :class:`OptimizerConfig`, or a registered name (``optimizer_names()``).
        learning_rate: overrides ``config.learning_rate``; may be an optax schedule
            (``warmup_steps`` and ``schedule`` are then ignored: put them in the schedule).
        steps_per_epoch: optimizer updates per epoch, for schedules in epochs
            (:func:`learning_rate_schedule`).
        **kwargs: with a name, settings as in :func:`optimizer_config`.

    Returns:
        ``optax.GradientTransformationExtraArgs``; pass it :func:`extra_update_args` at update.

    Example:
        >>> tx = make_optimizer("sophia", 1e-3, estimator="gnb")
    """
    if isinstance(config, str):
        lr0 = learning_rate if isinstance(learning_rate, int | float) else 1e-3
        config = optimizer_config(config, lr0, **kwargs)
    elif kwargs:
        raise CpjaxInputError("make_optimizer: pass settings either in the OptimizerConfig or as "
                              "keywords with a name, not both")
    lr = config.learning_rate if learning_rate is None else learning_rate
    check_range("learning_rate", lr, 0.0, None, lo_open=True)
    if config.clip_grad_norm is not None:
        check_range("clip_grad_norm", config.clip_grad_norm, 0.0, None, lo_open=True)
    return _build(config, lr, steps_per_epoch)


def _build(config: OptimizerConfig, lr: Any, steps_per_epoch: Any
           ) -> optax.GradientTransformationExtraArgs:
    """The transformation of ``config`` with step size ``lr`` (a number, traced array or schedule)."""
    spec = _spec(config.name)
    if not callable(lr):
        lr = learning_rate_schedule(dataclasses.replace(config, learning_rate=lr), steps_per_epoch)
    tx = spec.factory(config, lr)
    if config.clip_grad_norm is not None:
        tx = optax.chain(optax.clip_by_global_norm(config.clip_grad_norm), tx)
    return optax.with_extra_args_support(tx)


#: Settings of OptimizerConfig (and of its ``sophia`` part) that change no array shape: they are
#: arguments of the compiled training program (``optax.inject_hyperparams``), not constants, so
#: a new value (another learning rate in a search, another seed's setting) reuses the program.
INJECTABLE = ("learning_rate", "weight_decay", "b1", "b2", "eps", "momentum", "decay_rate",
              "clip_grad_norm")
SOPHIA_INJECTABLE = ("gamma", "clip_threshold")
_DEFAULT_WEIGHT_DECAY = {"adamw": 1e-4, "sophia": 1e-4}


def optimizer_hyperparams(config: OptimizerConfig, steps_per_epoch: int | None = None
                          ) -> dict[str, float]:
    """The injectable settings of ``config`` as numbers (``None`` settings are left out, except
    those whose default is resolved here so that they are always injectable: learning rate,
    AdamW/Sophia weight decay, Sophia's gamma), plus ``steps_per_epoch`` for schedules counted in
    epochs.  :func:`make_injectable_optimizer` takes them at ``init`` (see
    :func:`set_injected_hyperparams`)."""
    check_range("learning_rate", config.learning_rate, 0.0, None, lo_open=True)
    out: dict[str, float] = {}
    for name in INJECTABLE:
        value = getattr(config, name)
        if value is None and name == "weight_decay":
            value = _DEFAULT_WEIGHT_DECAY.get(config.name)
        if value is not None:
            out[name] = float(value)
    if config.name == "sophia":
        from ._sophia import DEFAULT_GAMMA

        s = config.sophia
        out["gamma"] = float(DEFAULT_GAMMA[s.estimator] if s.gamma is None else s.gamma)
        if s.clip_threshold is not None:
            out["clip_threshold"] = float(s.clip_threshold)
    if config.schedule != "constant" and config.decay_unit == "epoch":
        if steps_per_epoch is None:
            raise CpjaxInputError(
                "schedule with decay_unit='epoch' needs the number of steps per epoch; fix: "
                "pass steps_per_epoch=... or decay_unit='step'")
        check_int("steps_per_epoch", steps_per_epoch, 1)
        out["steps_per_epoch"] = float(steps_per_epoch)
    return out


def optimizer_structure(config: OptimizerConfig, steps_per_epoch: int | None = None
                        ) -> tuple[OptimizerConfig, tuple[str, ...]]:
    """What a compiled program depends on: ``config`` with every injectable value replaced by a
    placeholder (hashable, equal for configs that differ only in those values), and the names
    that are injected."""
    names = tuple(optimizer_hyperparams(config, steps_per_epoch))
    top = {n: 1.0 for n in INJECTABLE if n in names}
    soph = {n: 1.0 for n in SOPHIA_INJECTABLE if n in names}
    structure = dataclasses.replace(config, **top,
                                    sophia=dataclasses.replace(config.sophia, **soph))
    return structure, names


def make_injectable_optimizer(structure: OptimizerConfig, names: tuple[str, ...]
                              ) -> optax.GradientTransformationExtraArgs:
    """``optax.inject_hyperparams`` over the optimizer of ``structure``: the settings in ``names``
    live in the optimizer state (``state.hyperparams``) and are read at every update, so they
    can be traced values, one per problem of a batch.  Set them with
    :func:`set_injected_hyperparams` after ``init``."""
    import inspect

    def factory(**h: Any) -> optax.GradientTransformationExtraArgs:
        top = {n: h[n] for n in INJECTABLE if n in h and n != "learning_rate"}
        soph = {n: h[n] for n in SOPHIA_INJECTABLE if n in h}
        cfg = dataclasses.replace(structure, **top,
                                  sophia=dataclasses.replace(structure.sophia, **soph))
        return _build(cfg, h["learning_rate"], h.get("steps_per_epoch"))

    factory.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY) for n in names])
    tx = optax.inject_hyperparams(factory)(**{n: 1.0 for n in names})
    return standard_promotion(tx)


def set_injected_hyperparams(opt_state: Any, values: dict[str, Any]) -> Any:
    """Return ``opt_state`` (made by :func:`make_injectable_optimizer`) with its injected
    settings replaced by ``values`` (name -> scalar; names it does not hold are an error)."""
    hyper = dict(opt_state.hyperparams)
    unknown = set(values) - set(hyper)
    if unknown:
        raise CpjaxInputError(f"optimizer has no injected setting {sorted(unknown)[0]!r}; it has "
                              f"{', '.join(sorted(hyper))}")
    for k, v in values.items():
        hyper[k] = jnp.asarray(v, hyper[k].dtype)
    return opt_state._replace(hyperparams=hyper)


def required_extra_args(config: OptimizerConfig) -> tuple[str, ...]:
    """Keyword arguments ``tx.update`` needs for this config: (), ('loss_fn',) or ('output_fn',)."""
    return tuple(_spec(config.name).extra_args(config))


def extra_update_args(
    config: OptimizerConfig,
    *,
    loss_fn: Callable[[Any], Any] | None = None,
    output_fn: Callable[[Any], Any] | None = None,
    num_terms: int | None = None,
    probe_key: Any = None,
) -> dict[str, Any]:
    """The keywords to pass to ``tx.update`` for this config, checked for presence.

    Arguments:
        config: the optimizer config.
        loss_fn: ``params -> scalar`` training loss on the current batch (Sophia-H).
        output_fn: ``params -> model outputs`` on the current batch (Sophia-G); the loss must be
            the mean of ``config.sophia.gnb_loss`` over the outputs.
        num_terms: optional N for Sophia-G (default: from the output shape).
        probe_key: optional PRNG key for this step's probes (e.g. the engine's per-seed step key);
            default: the key carried in Sophia's state.

    Returns:
        A dict to splat into ``tx.update(grads, state, params, **extra)``.
    """
    given = {"loss_fn": loss_fn, "output_fn": output_fn}
    out: dict[str, Any] = {}
    for name in required_extra_args(config):
        if given.get(name) is None:
            raise CpjaxInputError(
                f"optimizer {config.name!r} ({config.sophia.estimator}) needs {name}= at every "
                f"update; fix: extra_update_args(config, {name}=...)")
        out[name] = given[name]
    if num_terms is not None and "output_fn" in out:
        out["num_terms"] = num_terms
    if probe_key is not None and out:
        out["probe_key"] = probe_key
    return out
