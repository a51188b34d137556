"""Where a flat setting name goes in a :class:`~cpjax.forecast.ForecasterConfig`.

The one home of that rule, used by ``Forecaster(**keywords)``, search spaces (``tune``), the
command line (``_cli.base_config``), comparisons and the previous flat JSON form.  A name is
placed by the first rule that knows it:

1. a field of the previous flat ``ForecasterConfig`` (:data:`FLAT_FIELDS`): ``model``,
   ``model_params``, ``residual``, ``refiner`` and ``refiner_params`` at the top;
   ``lookback``, ``horizon``, ``val_fraction``, ``scaling``, ``max_linear_gap``, ``outliers``,
   ``min_test`` in ``data``; ``epochs``, ``batch_size``, ``loss``, ``patience``, ``seed``,
   ``seeds`` (``n_seeds``), ``seed_strategy``, ``progress`` in ``train``; ``optimizer`` (the
   name), ``learning_rate`` and ``optimizer_params`` in ``optimizer``.  Whole sections are
   names too: ``data``, ``train``, ``optimizer`` (a name or an OptimizerConfig), ``refiner``
   (``None``, ``"xgboost"`` or a RefinerConfig);
2. a field of the model's own config: a hyperparameter (``hidden``, ``dropout``; the hybrid's
   own ``l1``/``l2``, the SVR's ``gamma``), merged into ``model_params``;
3. any other field of :class:`~cpjax.train.TrainConfig` (``l1``, ``l2``, ``min_delta``, ...),
   of :class:`~cpjax.optim.OptimizerConfig` (``weight_decay``, ``schedule``, ...) or, with the
   optimizer ``sophia``, of its ``SophiaConfig`` (``gamma``, ``estimator``, ...).

``seed`` is always the training's first seed; Sophia's probe seed is set through
``optimizer_params={"seed": ...}`` (or ``optimizer=OptimizerConfig(...)``).  The ``*_params``
names replace what they hold (as the flat fields did): ``model_params`` the hyperparameters,
``optimizer_params`` every optimizer setting except the name and learning rate,
``refiner_params`` the refiner's settings.  Unknown names are errors.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from .._errors import CpjaxInputError, unknown_name_message
from ..optim import OptimizerConfig, SophiaConfig, optimizer_config
from ..train import TrainConfig
from ._config import ForecasterConfig
from ._data_config import DataConfig
from ._refiner import REFINERS, RefinerConfig

__all__ = ["FLAT_FIELDS", "from_flat", "is_flat", "place_settings"]

#: The fields of the previous flat ForecasterConfig (and its JSON form), in that order.
FLAT_FIELDS = ("model", "model_params", "optimizer", "optimizer_params", "learning_rate",
               "loss", "lookback", "horizon", "epochs", "batch_size", "patience",
               "val_fraction", "seeds", "seed", "seed_strategy", "scaling", "residual",
               "max_linear_gap", "outliers", "min_test", "progress", "refiner",
               "refiner_params")


def _names(cls) -> set[str]:
    return {f.name for f in dataclasses.fields(cls)}


_WHOLE = ("model", "model_params", "residual", "data", "train", "optimizer", "refiner")
_DATA = _names(DataConfig)
_TRAIN = _names(TrainConfig)
_OPTIMIZER = _names(OptimizerConfig) - {"name", "sophia"}
_SOPHIA = _names(SophiaConfig) - _TRAIN  # seed is the training's
_TRAIN_FLAT = {"loss", "epochs", "batch_size", "patience", "seed", "seed_strategy", "progress"}


def is_flat(d: Mapping[str, Any]) -> bool:
    """Whether ``d`` is the previous flat JSON form (a flat-only key, or the optimizer or
    refiner given by name)."""
    only = set(FLAT_FIELDS) - set(_WHOLE)
    return (any(k in only for k in d) or isinstance(d.get("optimizer"), str)
            or isinstance(d.get("refiner"), str))


def from_flat(d: Mapping[str, Any], where: str = "") -> ForecasterConfig:
    """The config of the previous flat JSON form (its fields only; others are errors)."""
    for k in d:
        if k not in FLAT_FIELDS:
            raise CpjaxInputError(unknown_name_message(
                "forecaster setting", str(k), FLAT_FIELDS,
                f"the flat form{' of ' + where if where else ''}") + " Fix: remove or rename it.")
    return place_settings(ForecasterConfig(), d, where)


def place_settings(config: ForecasterConfig, settings: Mapping[str, Any],
                   where: str = "") -> ForecasterConfig:
    """``config`` with each flat setting put where it belongs (module notes); ``where`` names
    the source in an error message."""
    if not isinstance(settings, Mapping):
        raise CpjaxInputError(f"settings must be a mapping of names to values, got "
                              f"{type(settings).__name__}")
    c = _whole(config, {k: v for k, v in settings.items() if k in _WHOLE})
    if "optimizer_params" in settings:
        c = dataclasses.replace(c, optimizer=_optimizer_params(c, settings["optimizer_params"]))
    if "refiner_params" in settings:
        c = dataclasses.replace(c, refiner=_refiner_params(c, settings["refiner_params"]))
    parts: dict[str, dict[str, Any]] = {"data": {}, "train": {}, "optimizer": {}, "sophia": {},
                                        "model": {}}
    model_fields = None
    for k, v in settings.items():
        if k in _WHOLE or k in ("optimizer_params", "refiner_params"):
            continue
        if k in _DATA:
            parts["data"][k] = v
        elif k in _TRAIN_FLAT or k == "seeds":
            parts["train"]["n_seeds" if k == "seeds" else k] = v
        elif k == "learning_rate":
            parts["optimizer"][k] = v
        else:
            if model_fields is None:
                model_fields = _model_fields(c.model)
            parts[_fine_section(c, k, model_fields, where)][k] = v
    o = c.optimizer
    return dataclasses.replace(
        c, model_params={**c.model_params, **parts["model"]},
        data=dataclasses.replace(c.data, **parts["data"]),
        train=dataclasses.replace(c.train, **parts["train"]),
        optimizer=dataclasses.replace(o, **parts["optimizer"],
                                      sophia=dataclasses.replace(o.sophia, **parts["sophia"])))


def _fine_section(c: ForecasterConfig, k: str, model_fields: set[str], where: str) -> str:
    """Rules 2 and 3 of the module notes for name ``k``."""
    if k in model_fields:
        return "model"
    if k in _TRAIN:
        return "train"
    if k in _OPTIMIZER:
        return "optimizer"
    if k in _SOPHIA and c.optimizer.name == "sophia":
        return "sophia"
    if k in _SOPHIA:
        raise CpjaxInputError(f"{k!r} is a setting of the optimizer 'sophia', but the optimizer "
                              f"is {c.optimizer.name!r}; fix: set optimizer='sophia' or drop "
                              f"{k!r}")
    known = (set(FLAT_FIELDS) | set(_WHOLE) | model_fields | _TRAIN | _OPTIMIZER
             | (_SOPHIA if c.optimizer.name == "sophia" else set()))
    raise CpjaxInputError(unknown_name_message(
        "setting", k, known, where or f"the settings of model {c.model!r} (optimizer "
                                      f"{c.optimizer.name!r})"))


def _model_fields(model: str) -> set[str]:
    from ..nn import get_model

    return _names(get_model(model).config_cls)


def _whole(c: ForecasterConfig, d: Mapping[str, Any]) -> ForecasterConfig:
    """``c`` with the top-level names and whole sections of ``d``."""
    d = dict(d)
    if "model_params" in d:
        if not isinstance(d["model_params"], Mapping):
            raise CpjaxInputError(f"model_params must be a mapping of hyperparameters, got "
                                  f"{d['model_params']!r}")
        d["model_params"] = dict(d["model_params"])
    if isinstance(d.get("optimizer"), str):
        d["optimizer"] = dataclasses.replace(c.optimizer, name=d["optimizer"])
    if isinstance(d.get("refiner"), str):
        if d["refiner"] not in REFINERS:
            raise CpjaxInputError(unknown_name_message("refiner", d["refiner"], REFINERS))
        d["refiner"] = c.refiner or RefinerConfig()
    return dataclasses.replace(c, **d)


def _optimizer_params(c: ForecasterConfig, params: Any) -> OptimizerConfig:
    """The optimizer of ``c`` with exactly ``params`` besides its name and learning rate."""
    if not isinstance(params, Mapping):
        raise CpjaxInputError(f"optimizer_params must be a mapping of optimizer settings, got "
                              f"{params!r}")
    return optimizer_config(c.optimizer.name, c.optimizer.learning_rate, **params)


def _refiner_params(c: ForecasterConfig, params: Any) -> RefinerConfig | None:
    """The refiner with exactly ``params`` (``refiner`` must be on)."""
    if not isinstance(params, Mapping):
        raise CpjaxInputError(f"refiner_params must be a mapping of refiner settings, got "
                              f"{params!r}")
    if c.refiner is None:
        if params:
            raise CpjaxInputError("refiner_params given without refiner; fix: set "
                                  "refiner='xgboost' or drop refiner_params")
        return None
    fields = _names(RefinerConfig)
    bad = sorted(set(params) - fields)
    if bad:
        raise CpjaxInputError(unknown_name_message("refiner setting", bad[0], fields))
    return RefinerConfig(**params)
