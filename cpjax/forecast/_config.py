"""Settings of a :class:`~cpjax.forecast.Forecaster`: the model and four sections (data,
training, optimizer, refiner), each an existing config class; JSON-serialisable."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from .._errors import CpjaxInputError, close_matches, unknown_name_message
from ..optim import OptimizerConfig
from ..train import TrainConfig
from ._data_config import DataConfig
from ._refiner import RefinerConfig

__all__ = ["ForecasterConfig"]


def _default_optimizer() -> OptimizerConfig:
    return OptimizerConfig(name="adam", learning_rate=1e-3)


@dataclasses.dataclass(frozen=True)
class ForecasterConfig:
    """Everything that defines a forecasting run.

    Attributes:
        model: registry name (``cpjax models``).
        model_params: hyperparameter overrides for the model's config dataclass.
        residual: the model predicts the change from the last value (:func:`cpjax.nn.residual`:
            every network and the direct SVR; ``None`` or ``False``: levels).
        data: windows, validation share, gap filling, outliers, scaling (:class:`DataConfig`).
        train: the training loop (:class:`cpjax.train.TrainConfig`: epochs, batch size, loss,
            patience, ``seed`` and ``n_seeds``, seed strategy, progress, ...; networks only;
            its ``label`` is replaced by the model's name).
        optimizer: :class:`cpjax.optim.OptimizerConfig` (default Adam, learning rate 1e-3).
        refiner: ``None``, or the :class:`~cpjax.forecast.RefinerConfig` of seed 000's XGBoost
            second stage, fitted on out-of-fold network predictions (networks only).

    The JSON form (:meth:`to_dict`) nests the sections; :meth:`from_dict` also reads the
    previous flat form.  :meth:`with_settings` sets flat names (``lookback``, ``epochs``,
    ``learning_rate``, ``hidden``, ...) where they belong.

    Example:
        >>> from cpjax.forecast import DataConfig
        >>> cfg = ForecasterConfig(model="gru", data=DataConfig(lookback=30))
        >>> cfg.with_settings({"epochs": 50, "learning_rate": 3e-3}).train.epochs
        50
    """

    model: str = "lstm"
    model_params: dict[str, Any] = dataclasses.field(default_factory=dict)
    residual: bool | None = None
    data: DataConfig = dataclasses.field(default_factory=DataConfig)
    train: TrainConfig = dataclasses.field(default_factory=TrainConfig)
    optimizer: OptimizerConfig = dataclasses.field(default_factory=_default_optimizer)
    refiner: RefinerConfig | None = None

    def __post_init__(self):
        for name, cls in _SECTIONS.items():
            value = getattr(self, name)
            if not isinstance(value, cls) and not (name == "refiner" and value is None):
                raise CpjaxInputError(
                    f"ForecasterConfig.{name} must be a {cls.__name__}, got "
                    f"{type(value).__name__}; fix: pass {name}={cls.__name__}(...), or read "
                    "JSON with ForecasterConfig.from_dict")
        if self.optimizer.learning_rate <= 0:
            raise CpjaxInputError(f"learning_rate must be positive, got "
                                  f"{self.optimizer.learning_rate}")

    def to_dict(self) -> dict[str, Any]:
        """The nested JSON form (sections as objects)."""
        return dataclasses.asdict(self)

    def with_settings(self, settings: Mapping[str, Any], where: str = "") -> ForecasterConfig:
        """This config with flat settings put in their sections.

        A name of the earlier flat config goes where that field now lives (``lookback`` ->
        ``data``, ``epochs``/``seed``/``seeds`` -> ``train`` (``seeds`` is ``n_seeds``),
        ``optimizer``/``learning_rate``/``optimizer_params`` -> ``optimizer``); otherwise a field
        of the model's config is a hyperparameter (``model_params``); otherwise any other
        TrainConfig, OptimizerConfig or (with Sophia) SophiaConfig field.  ``seed`` is always
        the training's (Sophia's probe seed: ``optimizer_params={"seed": ...}``).  Unknown
        names are errors; ``where`` names the source in the message.  The rule's one home is
        :mod:`cpjax.forecast._settings`.
        """
        from ._settings import place_settings

        return place_settings(self, settings, where)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], where: str = "") -> ForecasterConfig:
        """The config of the JSON form ``d``; an unknown key at any depth is an error (a typo
        must not be ignored).  The previous flat form (``{"lookback": 10, "epochs": 100,
        "optimizer": "adam", ...}``) is read too.  ``where`` names the source (e.g. the file)."""
        from ._settings import from_flat, is_flat

        if not isinstance(d, Mapping):
            raise CpjaxInputError(f"a forecaster config must be a JSON object, got "
                                  f"{type(d).__name__}{' in ' + where if where else ''}")
        if is_flat(d):
            return from_flat(d, where)
        _check_keys(d, [f.name for f in dataclasses.fields(cls)], "", where)
        kw = dict(d)
        default = cls()
        for name in ("data", "train", "optimizer"):
            if name in kw:
                kw[name] = _section(getattr(default, name), kw[name], name, where)
        if kw.get("refiner") is not None:
            kw["refiner"] = _section(RefinerConfig(), kw["refiner"], "refiner", where)
        return cls(**kw)


_SECTIONS = {"data": DataConfig, "train": TrainConfig, "optimizer": OptimizerConfig,
             "refiner": RefinerConfig}


def _section(default: Any, value: Any, name: str, where: str) -> Any:
    """``default`` with the JSON object ``value`` of section ``name`` (strict keys; the
    optimizer's ``sophia`` part is a section of its own)."""
    if not isinstance(value, Mapping):
        raise CpjaxInputError(f"section {name!r} of a forecaster config must be a JSON object, "
                              f"got {value!r}{' in ' + where if where else ''}")
    _check_keys(value, [f.name for f in dataclasses.fields(default)], name, where)
    kw = dict(value)
    if name == "optimizer" and "sophia" in kw:
        kw["sophia"] = _section(default.sophia, kw["sophia"], "optimizer.sophia", where)
    return dataclasses.replace(default, **kw)


def _check_keys(d: Mapping[str, Any], known: list[str], section: str, where: str) -> None:
    for k in d:
        if k in known:
            continue
        place = f"section {section!r}" if section else "the top level"
        msg = unknown_name_message("forecaster config key", str(k), known,
                                   f"{place}{' of ' + where if where else ''}")
        if not section:  # a section's setting written at the top level
            near = [f"{s}.{m}" for s, cls in _SECTIONS.items()
                    for m in close_matches(str(k), [f.name for f in dataclasses.fields(cls)])]
            if near:
                msg += (f" Section settings with a similar name: {', '.join(near)} (nest them, "
                        'e.g. {"data": {"lookback": 10}}).')
        raise CpjaxInputError(msg + " Fix: remove or rename it.")
