"""The XGBoost refiner (seed 000): a second stage on the network's prediction.

Inputs of the second stage for a window ending at day t (all on the scaled axis): the network's
prediction for every step of the horizon, the last ``n_lags`` observed target values and the
exogenous inputs at t.  It predicts the network's error (``target="residual"``, the default: the
refined forecast is the network's plus a correction, so trees never have to extrapolate a price
level) or the target itself (``target="level"``).

It is fitted on **out-of-fold** network predictions over the training period (forecasting.md
§4): the training windows are cut into ``folds + 1`` consecutive blocks; for k = 1..folds a
network is trained (same settings and seeds) on blocks ``0..k-1`` and predicts block k, with
``horizon - 1`` windows purged before each block so no training target lies inside it. The
final network, trained on all training windows, then feeds the refiner at prediction time.
``in_sample=True`` instead fits it on the final network's own in-sample predictions: the
naive stacking kept only to measure its leakage in the ablation.

One booster per seed and horizon step, saved in XGBoost's own JSON format.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import numpy as np
from jaxtyping import Float

from .._errors import CpjaxInputError

__all__ = ["REFINERS", "RefinerConfig", "XGBoostRefiner", "oof_blocks", "refiner_features"]

REFINERS = ("xgboost",)


@dataclasses.dataclass(frozen=True)
class RefinerConfig:
    """Settings of the XGBoost refiner (``ForecasterConfig.refiner``; ``None`` there: off).

    Attributes:
        n_estimators: boosting rounds.
        max_depth: depth of each tree.
        learning_rate: shrinkage (XGBoost ``eta``).
        subsample: row subsampling per tree.
        min_child_weight: XGBoost's minimum hessian per leaf.
        n_lags: last observed target values given to the trees.
        folds: out-of-fold blocks (networks trained: ``folds`` extra per seed).
        target: ``"residual"`` (the network's error) or ``"level"`` (the target).
        inputs: ``"changes"`` (default): the trees read the prediction and the lags as changes
            from the last observed target and the exogenous inputs as their last one-step
            change, so that prices outside the training range do not send every test day to
            the trees' edge leaves; ``"levels"``: the scaled values themselves.
        in_sample: fit on the final network's in-sample predictions (leaks; ablation only).
    """

    n_estimators: int = 200
    max_depth: int = 3
    learning_rate: float = 0.05
    subsample: float = 0.8
    min_child_weight: float = 1.0
    n_lags: int = 5
    folds: int = 3
    target: Literal["residual", "level"] = "residual"
    inputs: Literal["changes", "levels"] = "changes"
    in_sample: bool = False

    def __post_init__(self):
        if self.target not in ("residual", "level"):
            raise CpjaxInputError(f"refiner target must be 'residual' or 'level', got "
                                  f"{self.target!r}")
        if self.inputs not in ("changes", "levels"):
            raise CpjaxInputError(f"refiner inputs must be 'changes' or 'levels', got "
                                  f"{self.inputs!r}")
        for name in ("n_estimators", "max_depth", "n_lags", "folds"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise CpjaxInputError(f"refiner setting {name} must be a positive integer, got {v!r}")


def refiner_features(pred: Float[np.ndarray, "n horizon"], X: Float[np.ndarray, "n lookback features"],
                     n_lags: int, inputs: str = "levels") -> Float[np.ndarray, "n k"]:
    """Second-stage inputs: network prediction, last ``n_lags`` targets, exogenous values at t.

    With ``inputs="changes"`` the prediction and lags are taken relative to the last observed
    target and the exogenous values are replaced by their change over the last step.
    """
    X = np.asarray(X, np.float64)
    pred = np.asarray(pred, np.float64)
    lags = X[:, -min(n_lags, X.shape[1]):, 0]
    if inputs == "levels":
        return np.concatenate([pred, lags, X[:, -1, 1:]], axis=1)
    last = X[:, -1, 0:1]
    exog = X[:, -1, 1:] - X[:, -2, 1:] if X.shape[1] > 1 else np.zeros_like(X[:, -1, 1:])
    return np.concatenate([pred - last, lags[:, :-1] - last, exog], axis=1)


def oof_blocks(n: int, folds: int, horizon: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """``[(train_positions, predict_positions), ...]`` over ``n`` chronological windows.

    Block k (1..folds) is predicted by a model trained on blocks before it, minus the last
    ``horizon - 1`` windows, whose multi-step targets would reach into block k.
    """
    edges = np.linspace(0, n, folds + 2).round().astype(int)
    out = []
    for k in range(1, folds + 1):
        train = np.arange(0, max(0, edges[k] - (horizon - 1)))
        pred = np.arange(edges[k], edges[k + 1])
        if train.size < 2 or pred.size < 1:
            raise CpjaxInputError(f"{n} training windows are too few for {folds} out-of-fold "
                                  "blocks; fix: lower refiner_params folds or use more data")
        out.append((train, pred))
    return out


class XGBoostRefiner:
    """Fitted boosters: ``boosters[seed][step]``.

    Example:
        >>> r = XGBoostRefiner(RefinerConfig(n_estimators=10)).fit(pred, X, Y)  # doctest: +SKIP
        >>> refined = r.predict(pred_test, X_test)  # (n_seeds, n, H)  # doctest: +SKIP
    """

    def __init__(self, config: RefinerConfig):
        self.config = config
        self.boosters: list[list[Any]] = []

    def _params(self, seed: int) -> dict[str, Any]:
        c = self.config
        return {"objective": "reg:squarederror", "eta": c.learning_rate, "max_depth": c.max_depth,
                "subsample": c.subsample, "min_child_weight": c.min_child_weight,
                "tree_method": "hist", "nthread": 1, "seed": seed}

    def fit(self, pred: Float[np.ndarray, "seeds n horizon"], X: Float[np.ndarray, "n lookback features"],
            Y: Float[np.ndarray, "n horizon"]) -> XGBoostRefiner:
        """Fit one booster per seed and step on the network's (out-of-fold) predictions."""
        import xgboost as xgb

        pred, Y = np.asarray(pred, np.float64), np.asarray(Y, np.float64)
        self.boosters = []
        for s in range(pred.shape[0]):
            feats = refiner_features(pred[s], X, self.config.n_lags, self.config.inputs)
            row = []
            for h in range(Y.shape[1]):
                label = Y[:, h] - pred[s, :, h] if self.config.target == "residual" else Y[:, h]
                d = xgb.DMatrix(feats, label=label)
                row.append(xgb.train(self._params(s), d, num_boost_round=self.config.n_estimators))
            self.boosters.append(row)
        return self

    def predict(self, pred: Float[np.ndarray, "seeds n horizon"],
                X: Float[np.ndarray, "n lookback features"]) -> Float[np.ndarray, "seeds n horizon"]:
        """Refined scaled forecasts, one set per seed (seed s uses network seed s)."""
        import xgboost as xgb

        pred = np.asarray(pred, np.float64)
        if pred.shape[0] != len(self.boosters):
            raise CpjaxInputError(f"the refiner has {len(self.boosters)} seed(s) but got "
                                  f"{pred.shape[0]} network prediction set(s)")
        out = np.empty_like(pred)
        for s, row in enumerate(self.boosters):
            d = xgb.DMatrix(refiner_features(pred[s], X, self.config.n_lags, self.config.inputs))
            for h, b in enumerate(row):
                v = b.predict(d)
                out[s, :, h] = v + pred[s, :, h] if self.config.target == "residual" else v
        return out

    def save(self, folder: str | Path) -> None:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        for s, row in enumerate(self.boosters):
            for h, b in enumerate(row):
                b.save_model(str(folder / f"seed{s}_h{h + 1}.json"))
        (folder / "refiner.json").write_text(json.dumps(
            {"config": dataclasses.asdict(self.config), "n_seeds": len(self.boosters),
             "horizon": len(self.boosters[0]) if self.boosters else 0}, indent=2))

    @classmethod
    def load(cls, folder: str | Path) -> XGBoostRefiner:
        import xgboost as xgb

        folder = Path(folder)
        meta = json.loads((folder / "refiner.json").read_text())
        self = cls(RefinerConfig(**meta["config"]))
        for s in range(meta["n_seeds"]):
            row = []
            for h in range(meta["horizon"]):
                b = xgb.Booster()
                b.load_model(str(folder / f"seed{s}_h{h + 1}.json"))
                row.append(b)
            self.boosters.append(row)
        return self


def fit_refiner(config: RefinerConfig, train_predict: Callable[[np.ndarray, np.ndarray], np.ndarray],
                X: np.ndarray, Y: np.ndarray, final_pred: np.ndarray, horizon: int) -> XGBoostRefiner:
    """Fit the refiner on out-of-fold (or, with ``in_sample``, in-sample) network predictions.

    Arguments:
        train_predict: ``(train_positions, predict_positions) -> (n_seeds, m, H)`` trains a
            fresh network (all seeds) on the given training windows and predicts the others.
        X, Y: the training windows and targets (chronological).
        final_pred: ``(n_seeds, n, H)`` the final network's predictions on ``X`` (in-sample).
    """
    if config.in_sample:
        return XGBoostRefiner(config).fit(final_pred, X, Y)
    parts, rows = [], []
    for train, pred in oof_blocks(len(X), config.folds, horizon):
        parts.append(train_predict(train, pred))
        rows.append(pred)
    idx = np.concatenate(rows)
    return XGBoostRefiner(config).fit(np.concatenate(parts, axis=1), X[idx], Y[idx])
