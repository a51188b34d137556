"""The model registry: every forecasting model has a name, a config dataclass and a builder.

Two kinds of model share one registry:

* ``"network"``: a Flax module mapping a batch ``(B, L, F)`` to ``(B, H)``; trained by
  :mod:`cpjax.train`.  Its builder is ``build(config, horizon) -> flax.linen.Module``.
* ``"estimator"``: a statistical model (persistence, drift, ARIMA, SVR) with ``fit``/``predict`` on
  windows plus the full scaled target series, and a ``state_dict``/``from_state`` pair for saving
  without pickle.  Its builder is ``build(config, horizon) -> Estimator``.

Every registered model passes the conformance suite in ``tests/nn/test_conformance.py``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any, Literal, Protocol

import numpy as np

from .._errors import CpjaxInputError, unknown_name_message

__all__ = [
    "Estimator",
    "ModelSpec",
    "get_model",
    "list_models",
    "model_names",
    "register_model",
    "make_config",
]


class Estimator(Protocol):
    """What a statistical model provides (see ``cpjax.nn._naive`` for the simplest one).

    ``X`` is ``(N, L, F)`` scaled windows whose feature ``target_index`` is the target,
    ``origin`` is ``(N,)`` the row index of each window's last observation in ``series``,
    ``series`` is the full scaled target ``(T,)`` (only rows ``<= origin`` are ever read).
    """

    def fit(self, X: np.ndarray, y: np.ndarray, origin: np.ndarray, series: np.ndarray) -> Estimator: ...

    def predict(self, X: np.ndarray, origin: np.ndarray, series: np.ndarray) -> np.ndarray: ...

    def state_dict(self) -> dict[str, Any]: ...


@dataclasses.dataclass(frozen=True)
class ModelSpec:
    """A registry entry.

    Attributes:
        name: registry name used by ``--model`` and ``Forecaster(model=...)``.
        kind: ``"network"`` (Flax) or ``"estimator"`` (statistical).
        config_cls: frozen dataclass of hyperparameters (with defaults).
        build: ``build(config, horizon)`` -> Flax module or estimator.
        description: one line shown by ``cpjax models``.
        source: where the architecture comes from (paper / seed section).
        load: for estimators, ``load(config, horizon, state) -> Estimator``.
        trainer: for networks, the training routine (``cpjax.train.get_trainer``):
            ``"supervised"`` (default) or ``"adversarial"`` (GAN).
        residual_refusal: whether the model can run in residual mode (predict the change from
            the last observed target, :func:`cpjax.nn.residual`): ``None`` when every
            configuration can (every network), else ``why_not(config) -> str | None``, the
            reason a configuration cannot (``None`` when it can), shown to the user.  An
            estimator that forecasts from the series history sets
            :func:`cpjax.nn.forecasts_from_history`.
    """

    name: str
    kind: Literal["network", "estimator"]
    config_cls: type
    build: Callable[[Any, int], Any]
    description: str
    source: str = ""
    load: Callable[[Any, int, Mapping[str, Any]], Any] | None = None
    trainer: str = "supervised"
    residual_refusal: Callable[[Any], str | None] | None = None


_REGISTRY: dict[str, ModelSpec] = {}


def register_model(spec: ModelSpec) -> ModelSpec:
    """Add ``spec`` to the registry (names are unique)."""
    if spec.name in _REGISTRY:
        raise ValueError(f"model name {spec.name!r} is registered twice")
    if spec.kind == "estimator" and spec.load is None:
        raise ValueError(f"estimator {spec.name!r} needs a load function")
    _REGISTRY[spec.name] = spec
    return spec


def model_names() -> list[str]:
    return sorted(_REGISTRY)


def get_model(name: str) -> ModelSpec:
    """Return the registry entry for ``name`` or raise a CpjaxInputError with close names."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise CpjaxInputError(
            unknown_name_message("model", name, _REGISTRY) + " (run `cpjax models` for details)"
        ) from None


def make_config(name: str, overrides: Mapping[str, Any] | None = None) -> Any:
    """Build the config dataclass of model ``name`` with ``overrides`` applied (checked)."""
    spec = get_model(name)
    overrides = dict(overrides or {})
    fields = {f.name for f in dataclasses.fields(spec.config_cls)}
    bad = sorted(set(overrides) - fields)
    if bad:
        raise CpjaxInputError(
            unknown_name_message(f"hyperparameter of model {name!r}", bad[0], fields)
        )
    return spec.config_cls(**overrides)


def list_models() -> list[dict[str, Any]]:
    """One dict per registered model: name, kind, description, source, default settings and
    ``residual``: whether residual mode applies to those settings."""
    from ._residual import residual_refusal  # imports this module

    rows = []
    for name in model_names():
        spec = _REGISTRY[name]
        defaults = dataclasses.asdict(spec.config_cls())
        rows.append({"name": name, "kind": spec.kind, "description": spec.description,
                     "source": spec.source, "defaults": defaults,
                     "residual": residual_refusal(spec) is None})
    return rows
