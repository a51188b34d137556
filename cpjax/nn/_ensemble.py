"""Ensembles of registered estimators: a mean or median, and a stacked ensemble whose weights
are fitted out of fold on rolling origins inside the training part.

* ``ensemble``: the mean (or median) of the members' forecasts; quantiles are the mean (median)
  of the members' quantiles (quantile averaging, "Vincentisation", Ratcliff 1979; Lichtendahl,
  Grushka-Cockayne & Winkler 2013), so the ensemble has intervals when every member has them.
* ``stacked``: per horizon step ``h`` a convex combination ``sum_j w_hj f_j`` with weights on the
  simplex (``w >= 0``, ``sum w = 1``) minimising the squared error of *out-of-fold* forecasts:
  the training windows' origins are cut into ``n_folds`` consecutive blocks inside the last
  ``val_fraction`` of them; for each block the members are fitted on the rows before it
  (targets included) and forecast its windows.  No test row is ever read.  The members are then
  refitted on the whole training part; quantiles are the weighted average of theirs.

Members are estimators of the registry (``persistence``, ``autoets``, ``autotheta``, ...) with
optional per-member settings, e.g. ``member_params={"seasonal_naive": {"season_length": 12}}``.
Networks train through ``cpjax.train`` and are combined at the Forecaster level, not here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .._errors import CpjaxInputError
from ._gaussian import check_quantiles
from ._registry import ModelSpec, get_model, make_config, register_model

__all__ = ["EnsembleConfig", "StackedConfig", "Ensemble", "StackedEnsemble", "simplex_weights"]

_DEFAULT_MEMBERS = ("persistence", "autoets", "autotheta")


@dataclasses.dataclass(frozen=True)
class EnsembleConfig:
    """Attributes:
        members: registry names of the estimators combined.
        member_params: ``{name: {hyperparameter: value}}`` overrides per member.
        combine: ``"mean"`` or ``"median"``.
    """

    members: tuple[str, ...] = _DEFAULT_MEMBERS
    member_params: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)
    combine: str = "mean"
    target_index: int = 0

    def __post_init__(self):
        if self.combine not in ("mean", "median"):
            raise CpjaxInputError(f"combine must be 'mean' or 'median', got {self.combine!r}")
        _check_members(self.members, self.member_params)


@dataclasses.dataclass(frozen=True)
class StackedConfig:
    """Attributes:
        members, member_params: as in :class:`EnsembleConfig`.
        n_folds: out-of-fold blocks of training origins.
        val_fraction: share of the training windows (the latest) the blocks cover.
    """

    members: tuple[str, ...] = _DEFAULT_MEMBERS
    member_params: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)
    n_folds: int = 4
    val_fraction: float = 0.3
    target_index: int = 0

    def __post_init__(self):
        _check_members(self.members, self.member_params)
        if isinstance(self.n_folds, bool) or int(self.n_folds) < 1:
            raise CpjaxInputError(f"n_folds must be >= 1, got {self.n_folds!r}")
        if not 0 < float(self.val_fraction) < 1:
            raise CpjaxInputError(f"val_fraction must be in (0, 1), got {self.val_fraction!r}")


def _check_members(members: Sequence[str], params: Mapping[str, Any]) -> None:
    members = list(members)
    if len(members) < 2:
        raise CpjaxInputError(f"an ensemble needs at least two members, got {members}; fix: e.g. "
                              "members=('persistence', 'autoets', 'autotheta')")
    if len(set(members)) != len(members):
        raise CpjaxInputError(f"ensemble members {members} repeat a name; fix: list each once")
    for name in members:
        spec = get_model(name)  # unknown names raise with close matches
        if spec.kind != "estimator":
            raise CpjaxInputError(f"ensemble member {name!r} is a network; members must be "
                                  "estimators (networks are trained by cpjax.train); fix: use "
                                  "statistical members such as autoets, autotheta, persistence")
        if spec.config_cls in (EnsembleConfig, StackedConfig):
            raise CpjaxInputError(f"ensemble member {name!r} is itself an ensemble; fix: list "
                                  "its members directly")
    unknown = sorted(set(params) - set(members))
    if unknown:
        raise CpjaxInputError(f"member_params names {unknown[0]!r}, which is not a member "
                              f"({', '.join(members)}); fix: remove it or add the member")


_NO_RESIDUAL = ("its members (statistical peers) forecast from the series history, not from the "
                "windows; fix: drop residual mode for the ensemble")


def _members(cfg, horizon: int) -> list[Any]:
    return [get_model(n).build(make_config(n, cfg.member_params.get(n)), horizon)
            for n in cfg.members]


def simplex_weights(P: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Weights ``w >= 0``, ``sum w = 1`` minimising ``||y - P w||^2`` (``P``: ``(n, k)``).

    Solved by SLSQP from equal weights (a small convex quadratic programme).
    """
    from scipy.optimize import minimize

    P = np.asarray(P, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    k = P.shape[1]
    scale = max(float(np.mean(y ** 2)), 1e-12)
    G, g = P.T @ P / scale, P.T @ y / scale
    res = minimize(lambda w: w @ G @ w - 2 * g @ w, np.full(k, 1.0 / k),
                   jac=lambda w: 2 * (G @ w - g), method="SLSQP", bounds=[(0.0, 1.0)] * k,
                   constraints=[{"type": "eq", "fun": lambda w: np.sum(w) - 1.0,
                                 "jac": lambda w: np.ones_like(w)}],
                   options={"ftol": 1e-12, "maxiter": 200})
    if not res.success:
        raise RuntimeError(f"stacking weights did not converge: {res.message}")
    w = np.clip(res.x, 0.0, None)
    return w / w.sum()


class Ensemble:
    """Mean or median of registry estimators."""

    def __init__(self, config: EnsembleConfig, horizon: int):
        self.config, self.horizon = config, horizon
        self.models = _members(config, horizon)

    def fit(self, X, y, origin, series):
        for m in self.models:
            m.fit(X, y, origin, series)
        return self

    def _combine(self, stacked: np.ndarray) -> np.ndarray:
        if self.config.combine == "median":
            return np.median(stacked, axis=0)
        return np.mean(stacked, axis=0)

    def predict(self, X, origin, series) -> np.ndarray:
        return self._combine(np.stack([m.predict(X, origin, series) for m in self.models]))

    def predict_quantiles(self, X, origin, series, quantiles) -> np.ndarray:
        q = check_quantiles(quantiles)
        return self._combine(np.stack([_quantiles(m, n, X, origin, series, q)
                                       for m, n in zip(self.models, self.config.members)]))

    def state_dict(self) -> dict[str, Any]:
        return {"members": {n: m.state_dict() for n, m in zip(self.config.members, self.models)}}

    @classmethod
    def load(cls, config, horizon: int, state: Mapping[str, Any]):
        self = cls(config, horizon)
        self.models = [get_model(n).load(make_config(n, config.member_params.get(n)), horizon,
                                          state["members"][n]) for n in config.members]
        return self


def _quantiles(model, name: str, X, origin, series, q) -> np.ndarray:
    if not hasattr(model, "predict_quantiles"):
        raise CpjaxInputError(f"ensemble member {name!r} has no quantiles; fix: drop it or ask "
                              "for point forecasts only")
    return model.predict_quantiles(X, origin, series, q)


class StackedEnsemble(Ensemble):
    """Convex combination per horizon step with out-of-fold weights (see the module doc)."""

    def __init__(self, config: StackedConfig, horizon: int):
        self.config, self.horizon = config, horizon
        self.models = _members(config, horizon)
        self.weights: np.ndarray | None = None  # (H, k)

    def fit(self, X, y, origin, series):
        cfg, H = self.config, self.horizon
        origin = np.asarray(origin)
        order = np.argsort(origin, kind="stable")
        n_val = int(round(cfg.val_fraction * origin.size))
        if n_val < max(cfg.n_folds, 2) or origin.size - n_val < 2:
            raise CpjaxInputError(f"stacking needs more training windows ({origin.size}) for "
                                  f"{cfg.n_folds} folds over val_fraction={cfg.val_fraction}; "
                                  "fix: use a longer training part or fewer folds")
        blocks = np.array_split(order[origin.size - n_val:], cfg.n_folds)
        preds, targets = [], []
        for block in blocks:
            first = int(origin[block].min())
            # fit on windows whose targets end at or before the block's first origin
            fit_idx = np.flatnonzero(origin + H <= first)
            if fit_idx.size < 2:
                raise CpjaxInputError("a stacking fold has fewer than 2 training windows; fix: "
                                      "lower val_fraction or n_folds")
            Xf = None if X is None else X[fit_idx]
            models = _members(cfg, H)
            for m in models:
                m.fit(Xf, None if y is None else y[fit_idx], origin[fit_idx], series)
            Xb = None if X is None else X[block]
            preds.append(np.stack([m.predict(Xb, origin[block], series) for m in models], -1))
            targets.append(np.stack([np.asarray(series)[origin[block] + k]
                                     for k in range(1, H + 1)], axis=1))
        P = np.concatenate(preds)  # (n_val, H, k)
        T = np.concatenate(targets)  # (n_val, H)
        self.weights = np.stack([simplex_weights(P[:, h], T[:, h]) for h in range(H)])
        for m in self.models:
            m.fit(X, y, origin, series)
        return self

    def _combine(self, stacked: np.ndarray) -> np.ndarray:
        if self.weights is None:
            raise RuntimeError("StackedEnsemble.predict called before fit")
        w = self.weights  # (H, k); stacked: (k, N, H[, Q])
        if stacked.ndim == 3:
            return np.einsum("knh,hk->nh", stacked, w)
        return np.einsum("knhq,hk->nhq", stacked, w)

    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), "weights": np.asarray(self.weights).tolist()}

    @classmethod
    def load(cls, config, horizon: int, state: Mapping[str, Any]):
        self = super().load(config, horizon, state)
        self.weights = np.asarray(state["weights"], dtype=np.float64)
        return self


register_model(ModelSpec(
    name="ensemble", kind="estimator", config_cls=EnsembleConfig,
    build=lambda cfg, h: Ensemble(cfg, h), load=Ensemble.load,
    description="mean or median of registered estimators (default persistence, autoets, "
                "autotheta); quantiles averaged",
    source="Clemen 1989; Lichtendahl, Grushka-Cockayne & Winkler 2013",
    residual_refusal=lambda cfg: _NO_RESIDUAL,
))
register_model(ModelSpec(
    name="stacked", kind="estimator", config_cls=StackedConfig,
    build=lambda cfg, h: StackedEnsemble(cfg, h), load=StackedEnsemble.load,
    description="convex combination of registered estimators per horizon step, weights fitted "
                "out of fold on rolling origins inside the training part",
    source="Wolpert 1992; Breiman 1996 (stacked regressions)",
    residual_refusal=lambda cfg: _NO_RESIDUAL,
))
