"""Fit many forecasters at once: their networks train as one batch of problems.

A backtest (one forecaster per rolling origin), cross-validation, the refiner's out-of-fold
networks and a hyperparameter search all fit the same architecture many times on different
data, seeds or settings.  :func:`fit_forecasters` prepares every job (each with its own scaler,
fitted on its own training part), collects the training problems of all of them, trains those
that share a module, optimizer and training settings with one call of
:func:`cpjax.train.fit_problems` (one compiled program per padded shape), and hands each
forecaster its slice of the result.  Statistical estimators are fitted directly.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import jax
import numpy as np

from ..train import TrainResult, fit_problems, get_trainer

__all__ = ["FitJob", "fit_forecasters"]


@dataclasses.dataclass
class FitJob:
    """One ``Forecaster.fit`` call: the (unfitted) forecaster and its arguments.

    ``hyper`` sets dynamic hyperparameters of this job's networks (``learning_rate``,
    ``weight_decay``, ``dropout``, ... see :class:`cpjax.train.Problem`) on top of its config.
    """

    forecaster: Any
    data: Any
    target: str | None = None
    features: list[str] | None = None
    split: float | None = None
    test_start: Any = None
    unique_id: Any = None
    train_rows: int | None = None
    hyper: Mapping[str, float] = dataclasses.field(default_factory=dict)


def fit_forecasters(jobs: Sequence[FitJob]) -> list[Any]:
    """Fit every job's forecaster; networks of the same structure train in one batch.

    Returns:
        The forecasters, fitted, in the order of ``jobs``.
    """
    planned = []
    groups: dict[Any, list[int]] = {}
    for j, job in enumerate(jobs):
        f = job.forecaster
        if getattr(f, "search", None) is not None and f.search_result_ is None:
            from .._errors import CpjaxInputError

            raise CpjaxInputError("a Forecaster with search= chooses its settings in its own "
                                  "fit(); fix: call forecaster.fit(...), or use cpjax.forecast."
                                  "tune and fit the chosen config here")
        X, Y = f._plan(job.data, job.target, job.features, job.split, job.test_start,
                       job.unique_id, job.train_rows)
        planned.append((X, Y))
        if not f.kind.trains_networks:
            f.kind.fit_direct(f, X, Y)
            continue
        module, ocfg, tcfg = f._training()
        key = (module, ocfg, dataclasses.replace(tcfg, seed=0, n_seeds=1), f.spec.trainer)
        groups.setdefault(key, []).append(j)
    for (module, ocfg, tcfg, trainer), members in groups.items():
        problems, owners = [], []
        for j in members:
            X, Y = planned[j]
            for role, prob in jobs[j].forecaster._problems(X, Y):
                if jobs[j].hyper:
                    prob = dataclasses.replace(prob, hyper={**prob.hyper, **jobs[j].hyper})
                problems.append(prob)
                owners.append((j, role))
        get_trainer(trainer)  # checks the name
        res = fit_problems(module, ocfg, problems, tcfg, trainer=trainer)
        for j in members:
            by_role: dict[Any, list[int]] = {}
            for i, (owner, role) in enumerate(owners):
                if owner == j:
                    by_role.setdefault(role, []).append(i)
            X, Y = planned[j]
            jobs[j].forecaster._attach(X, Y, module,
                                       {r: take(res, idx) for r, idx in by_role.items()})
    return [job.forecaster for job in jobs]


def take(res: TrainResult, idx: Sequence[int]) -> TrainResult:
    """The problems ``idx`` of a batch result (their order kept)."""
    idx = np.asarray(idx)
    sub = lambda a: np.asarray(a)[idx]  # noqa: E731
    to_dev = lambda a: jax.device_put(np.asarray(a)[idx])  # noqa: E731 (no program per shape)
    history = {k: v[:, idx] for k, v in res.history.items()}
    ran = np.isfinite(history["train_loss"]).any(axis=1)
    last = int(np.flatnonzero(ran)[-1]) + 1 if ran.any() else 0
    history = {k: v[:last] for k, v in history.items()}
    return TrainResult(jax.tree_util.tree_map(to_dev, res.params),
                       jax.tree_util.tree_map(to_dev, res.batch_stats), history,
                       sub(res.best_epoch), last, tuple(res.seeds[i] for i in idx),
                       None if res.diverged is None else sub(res.diverged),
                       None if res.diverged_at is None else sub(res.diverged_at))
