"""Residual mode: any registry model predicting the change from the last observed target.

``residual(model, spec)`` makes ``model`` (built by ``spec.build(config, horizon)``) forecast
``last + change``, where ``last = x[:, -1, target_index]`` is the last observed (scaled) target of
each window and the model's own output is read as the change.  Forecasts can then leave the range
of the training levels (a trending price), and a model that predicts zero is persistence.

* A network (Flax module) keeps its class, fields, methods and **parameter tree**: the wrapper is
  a subclass that adds ``last`` to the output of ``__call__`` and of the methods listed in the
  class attribute ``forecast_methods`` (the GAN's ``generate``).  Parameters saved from a plain
  model load into the residual one and vice versa; the training engine, the adversarial trainer
  (``method="generate"`` / ``"discriminate"``), ``clone(config=...)`` and ``dynamic_fields``
  work unchanged.  The methods listed must not call one another (each adds ``last``).
* An estimator is wrapped by :class:`ResidualEstimator`: it is fitted on the targets minus
  ``last`` and its predictions get ``last`` added back.  Only estimators that learn from the
  windows can do this; a model that forecasts from the series history (the statistical peers, a
  recursive SVR) would ignore the shifted targets.

Whether a registry entry supports residual mode is its ``ModelSpec.residual_refusal``: ``None``
(every configuration can), or a function ``config -> str | None`` giving the reason a
configuration cannot (``None`` when it can).  :func:`residual` raises that reason as a
:class:`~cpjax.CpjaxInputError`.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any

import flax.linen as nn
import numpy as np
from jaxtyping import Array, Float

from .._errors import CpjaxInputError
from ._registry import ModelSpec, get_model

__all__ = ["ResidualEstimator", "add_last", "forecasts_from_history", "is_residual", "residual",
           "residual_refusal"]


def add_last(x: Float[Array, "batch lookback features"], out: Float[Array, "batch horizon"],
             target_index: int = 0) -> Float[Array, "batch horizon"]:
    """``out + x[:, -1, target_index]`` per window (in ``out``'s dtype): change -> level."""
    return out + x[:, -1, target_index][:, None].astype(out.dtype)


def forecasts_from_history(config: Any) -> str:
    """The refusal of every model that forecasts from the series history, not from the windows
    (a ``ModelSpec.residual_refusal``)."""
    return ("it forecasts from the series history, not from the windows, so it cannot learn "
            "the change from the last value; fix: drop residual mode (residual=False, --residual, "
            "the '-residual' label) for it, or use a network or 'svr'")


def residual_refusal(spec: ModelSpec | str, config: Any = None) -> str | None:
    """Why ``spec`` (with ``config``, default its default config) cannot run in residual mode,
    or ``None`` when it can."""
    spec = get_model(spec) if isinstance(spec, str) else spec
    if spec.residual_refusal is None:
        return None
    return spec.residual_refusal(spec.config_cls() if config is None else config)


def residual(model: Any, spec: ModelSpec | str, config: Any = None, *,
             target_index: int = 0) -> Any:
    """``model`` predicting the change from the last observed target (module docstring).

    Arguments:
        model: what ``spec.build(config, horizon)`` returned (a Flax module or an estimator).
        spec: its registry entry (or name); ``spec.residual_refusal`` decides whether it can.
        config: the model's config (default: ``model.config``).
        target_index: feature index of the target in the windows (the Forecaster uses 0).

    Returns:
        For a network, a Flax module with the same fields and parameter tree; for an
        estimator, a :class:`ResidualEstimator`.

    Example:
        >>> import jax, jax.numpy as jnp
        >>> from cpjax.nn import LSTMConfig, get_model
        >>> spec = get_model("lstm")
        >>> m = residual(spec.build(LSTMConfig(hidden_size=4, num_layers=1), 1), spec)
        >>> v = m.init(jax.random.key(0), jnp.ones((2, 5, 3)))
        >>> m.apply(v, jnp.ones((2, 5, 3))).shape
        (2, 1)
    """
    spec = get_model(spec) if isinstance(spec, str) else spec
    if is_residual(model):
        raise CpjaxInputError(f"{spec.name!r} is already in residual mode; fix: wrap it once")
    config = getattr(model, "config", None) if config is None else config
    why = residual_refusal(spec, config)
    if why:
        raise CpjaxInputError(f"{spec.name!r} cannot run in residual mode: {why}")
    if spec.kind == "network":
        attrs = {f.name: getattr(model, f.name) for f in dataclasses.fields(model)
                 if f.init and f.name != "parent"}
        return _residual_class(type(model))(**attrs, target_index=target_index)
    return ResidualEstimator(model, target_index)


def is_residual(model: Any) -> bool:
    """Whether ``model`` was made by :func:`residual`."""
    return isinstance(model, ResidualEstimator) or getattr(type(model), "_residual_of", None) \
        is not None


@functools.cache
def _residual_class(cls: type[nn.Module]) -> type[nn.Module]:
    """The subclass of network class ``cls`` whose forecasts are ``last + cls's output``.

    One class per network class (cached), so that equal configurations give equal (hashable)
    modules: the training engine keys its compiled programs on them.
    """
    names = ("__call__", *getattr(cls, "forecast_methods", ()))

    def shifted(name: str) -> Callable[..., Any]:
        inner = getattr(cls, name)

        @functools.wraps(inner, updated=())  # not inner's __dict__: its "compact" mark stays
        def method(self, x, *args, **kwargs):  # on inner, which this plain method calls
            return add_last(x, inner(self, x, *args, **kwargs), self.target_index)

        return method

    body: dict[str, Any] = {name: shifted(name) for name in names}
    body.update({"__annotations__": {"target_index": "int"}, "target_index": 0,
                 "__module__": __name__, "__qualname__": f"Residual{cls.__name__}",
                 "_residual_of": cls})
    return type(f"Residual{cls.__name__}", (cls,), body)


class ResidualEstimator:
    """An estimator fitted on ``y - last`` that predicts ``inner.predict + last`` (module
    docstring); ``state_dict`` is the inner estimator's, so saving and loading are unchanged
    (wrap the loaded estimator again).  It has no ``predict_quantiles``.

    Arguments:
        inner: an estimator of the registry (``fit``/``predict``/``state_dict``).
        target_index: feature index of the target in the windows.
    """

    def __init__(self, inner: Any, target_index: int = 0):
        self.inner, self.target_index = inner, target_index

    @property
    def config(self) -> Any:
        return getattr(self.inner, "config", None)

    def _last(self, X) -> np.ndarray:
        return np.asarray(X, dtype=np.float64)[:, -1, self.target_index][:, None]

    def fit(self, X, y, origin, series) -> ResidualEstimator:
        self.inner.fit(X, np.asarray(y, dtype=np.float64) - self._last(X), origin, series)
        return self

    def predict(self, X, origin, series) -> np.ndarray:
        return self.inner.predict(X, origin, series) + self._last(X)

    def state_dict(self) -> dict[str, Any]:
        return self.inner.state_dict()
