"""What a :class:`~cpjax.forecast.Forecaster` does differently for each kind of model.

A registry entry is a trained network (Flax module, trained by :mod:`cpjax.train`) or an
estimator (``fit``/``predict`` on windows, state in JSON).  The forecaster chooses its kind once
(:func:`kind_of`) and hands it everything that differs: checks, fitting, prediction, quantiles,
saving, loading, the settings a comparison gives it and the settings a search may batch.  The
harnesses (compare, intervals, tune, fit_forecasters) ask the kind instead of testing names.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jax
import numpy as np

from .._errors import CpjaxInputError

__all__ = ["EstimatorKind", "ModelKind", "NetworkKind", "kind_of"]


class ModelKind:
    """The interface; see :class:`NetworkKind` and :class:`EstimatorKind`."""

    name = ""
    #: trained as problems of the training engine (batched by ``fit_forecasters``)
    trains_networks = False
    #: conformal calibration refits on the earlier part (an estimator's in-sample fit would be
    #: optimistic); a network's early-stopping block was never fitted, so it is used as it is
    refit_for_calibration = False

    def check(self, f) -> None:
        """Validate ``f.config`` for this kind (called by ``Forecaster.__init__``)."""

    def fit_direct(self, f, X: np.ndarray, Y: np.ndarray) -> None:
        """Fit without the training engine (estimators)."""
        raise NotImplementedError

    def predict_scaled(self, f, X: np.ndarray, origin: np.ndarray, series: np.ndarray
                       ) -> np.ndarray:
        """Scaled forecasts ``(n_seeds, n, H)`` of windows ``X`` ending at rows ``origin``."""
        raise NotImplementedError

    def quantiles_scaled(self, f, X, origin, series, quantiles) -> np.ndarray:
        raise CpjaxInputError(f"{f.name!r} has no quantiles of its own; fix: use conformal "
                              "intervals (level=...) or a statistical peer such as autoets")

    def save(self, f, path: Path) -> None:
        raise NotImplementedError

    def load(self, f, path: Path) -> None:
        raise NotImplementedError

    def comparison_settings(self, c, residual: bool | None, same_model: bool):
        """The :class:`ForecasterConfig` of this model in a comparison whose base is ``c``."""
        return c

    def dynamic_settings(self, f) -> set[str]:
        """Settings a search may vary without a new compiled program."""
        return set()

    def warm_predict_fn(self, f, X, origin, series):
        """A no-argument function predicting ``X`` (timed by ``compare``)."""
        return lambda: self.predict_scaled(f, X, origin, series)


class NetworkKind(ModelKind):
    name = "network"
    trains_networks = True
    refit_for_calibration = False

    def check(self, f) -> None:
        from ..optim import make_optimizer

        make_optimizer(f._optimizer(), steps_per_epoch=1)  # validates settings

    def predict_scaled(self, f, X, origin, series) -> np.ndarray:
        return f._network_predict(X)

    def save(self, f, path: Path) -> None:
        from ..train import save_pytree

        save_pytree(path / "params.msgpack", {"params": f.params_, "batch_stats": f.batch_stats_})
        if f.refiner_ is not None:
            f.refiner_.save(path / "refiner")  # XGBoost's own JSON format

    def load(self, f, path: Path) -> None:
        from ..train import load_pytree
        from ._refiner import XGBoostRefiner

        state = load_pytree(path / "params.msgpack")
        f.module_ = f._build()
        f.params_ = jax.device_put(state["params"])
        f.batch_stats_ = jax.device_put(state.get("batch_stats") or {})
        if (path / "refiner" / "refiner.json").is_file():
            f.refiner_ = XGBoostRefiner.load(path / "refiner")

    def comparison_settings(self, c, residual, same_model):
        settings: dict[str, Any] = {}
        if residual is not None:
            settings["residual"] = residual
        if not same_model:
            settings["model_params"] = {}  # the base model's hyperparameters are not this model's
        return c.with_settings(settings)

    def dynamic_settings(self, f) -> set[str]:
        from ..optim import optimizer_structure
        from ..train import DYNAMIC_TRAIN_SETTINGS, dynamic_fields

        module, ocfg, _ = f._training()
        _, injected = optimizer_structure(ocfg, 1)
        return (set(DYNAMIC_TRAIN_SETTINGS) | (set(injected) - {"steps_per_epoch"})
                | set(dynamic_fields(module)))

    def warm_predict_fn(self, f, X, origin, series):
        module = f.module_

        def one(params, stats, x):
            variables = {"params": params, **({"batch_stats": stats} if stats else {})}
            return module.apply(variables, x, train=False)

        fn = jax.jit(jax.vmap(one, in_axes=(0, 0, None)))
        x = jax.device_put(np.asarray(X, np.float32))
        return lambda: jax.block_until_ready(fn(f.params_, f.batch_stats_, x))


class EstimatorKind(ModelKind):
    name = "estimator"
    trains_networks = False
    refit_for_calibration = True

    def check(self, f) -> None:
        if f.config.refiner is not None:
            raise CpjaxInputError(f"the refiner (xgboost) refines a network; {f.config.model!r} "
                                  "is a statistical model; fix: drop it (refiner=None)")

    def fit_direct(self, f, X, Y) -> None:
        p = f.prepared_
        tr = p.train_windows()
        f.estimator_ = f._build().fit(X, Y, p.windows.origin[tr], p.series)
        f.history_ = None
        f.n_seeds_ = 1
        f.fitted_ = True

    def predict_scaled(self, f, X, origin, series) -> np.ndarray:
        return f.estimator_.predict(X, origin, series)[None]

    def quantiles_scaled(self, f, X, origin, series, quantiles) -> np.ndarray:
        if not hasattr(f.estimator_, "predict_quantiles"):
            return super().quantiles_scaled(f, X, origin, series, quantiles)
        return f.estimator_.predict_quantiles(X, origin, series, quantiles)

    def save(self, f, path: Path) -> None:
        (path / "estimator.json").write_text(json.dumps(f.estimator_.state_dict()))

    def load(self, f, path: Path) -> None:
        from ..nn import make_config

        state = json.loads((path / "estimator.json").read_text())
        cfg = make_config(f.config.model, f._model_params())
        f.estimator_ = f._as_configured(f.spec.load(cfg, f.config.data.horizon, state), cfg)

    def comparison_settings(self, c, residual, same_model):
        return c.with_settings({
            "seeds": 1,  # deterministic: one fit
            "residual": True if residual else None,  # only a NAME-residual label, not the base's
            "model_params": {},
            "refiner": None,  # the refiner corrects a network; statistical peers run as they are
        })


_KINDS = {"network": NetworkKind(), "estimator": EstimatorKind()}


def kind_of(spec) -> ModelKind:
    """The kind object of a registry entry (``spec.kind`` names it)."""
    try:
        return _KINDS[spec.kind]
    except KeyError:
        raise CpjaxInputError(f"registry entry {spec.name!r} has kind {spec.kind!r}; known kinds: "
                              f"{', '.join(_KINDS)}") from None

