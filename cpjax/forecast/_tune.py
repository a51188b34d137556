"""Hyperparameter search scored on rolling-origin validation inside the training part.

Every trial is fitted at every validation origin, all in one :func:`fit_forecasters` call:
settings that keep array shapes (learning rate, weight decay, dropout, epochs, patience, L1/L2,
Sophia's gamma, ...) are dynamic hyperparameters of the training engine, so the trials of one
shape group train side by side through one compiled program; settings that change shapes
(hidden size, layers, lookback, batch size) form their own groups, one program each.  The data
after the training end (``split``/``test_start``) is never read: the origins roll over the
training part only, and the chosen setting is what a test period is later scored with.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from .._cache import CompileCount
from .._errors import CpjaxInputError
from .._io import atomic_output_dir, check_output_dir, write_config, write_json
from .._progress import status
from ..data import rolling_origins
from ._batch import FitJob, fit_forecasters
from ._config import ForecasterConfig
from ._data_spec import DataSpec, as_data_spec
from ._forecaster import Forecaster
from ._prepare import train_end_row
from ._run import observed_by_date
from ._search import SearchSpace, as_search_space

__all__ = ["TuneResult", "tune"]

#: Settings a search space does not vary (the model is the base config's; a mapping is no
#: point of a search).
_NOT_SEARCHED = ("model", "model_params", "optimizer_params", "scaling", "refiner_params",
                 "progress", "data", "train")


@dataclasses.dataclass
class TuneResult:
    """What :func:`tune` found.

    Attributes:
        trials: one row per trial: ``trial``, ``group`` (shape group), the tried settings,
            ``mae``, ``rmse``, ``mae_origin_std`` (spread over origins), ``n_forecasts`` and
            ``chosen``.
        best: the chosen trial's settings.
        config: the base configuration with those settings (fit it on the whole training part).
        info: data, origins, counts of trials, groups and compilations, seconds.
    """

    trials: pd.DataFrame
    best: dict[str, Any]
    config: ForecasterConfig
    info: dict[str, Any]


def _apply(base: ForecasterConfig, settings: Mapping[str, Any]) -> ForecasterConfig:
    """``base`` with one trial's settings put where they belong
    (:meth:`ForecasterConfig.with_settings`)."""
    where = f"the search space (model {base.model!r}, optimizer {base.optimizer.name!r})"
    for k in settings:
        if k in _NOT_SEARCHED:
            raise CpjaxInputError(f"{k!r} cannot be searched in {where}; fix: set it in the "
                                  "base config and drop it from params")
    return base.with_settings(settings, where)


def tune(data: DataSpec | Any, search: SearchSpace | Mapping[str, Any] | str | os.PathLike, *,
         config: ForecasterConfig | None = None, out: str | os.PathLike | None = None,
         overwrite: bool = False) -> TuneResult:
    """Search ``search`` on rolling-origin validation inside the training part of ``data``.

    Arguments:
        data: :class:`~cpjax.forecast.DataSpec`, or a DataFrame / path with its defaults; its
            ``split`` / ``test_start`` mark where the training part ends: nothing after it is
            read; ``select`` chooses the inputs on the rows before the first validation origin.
        search: a :class:`SearchSpace`, its JSON form (dict) or a JSON file.
        config: the base settings (the model and everything not searched).
        out: folder for ``trials.csv``, ``best_config.json``, ``config.json`` (``None``: none).

    Returns:
        :class:`TuneResult` (the trial with the lowest validation metric is chosen; ties go to
        the earlier trial).

    Example:
        >>> from cpjax.data import demo_market
        >>> r = tune(DataSpec(demo_market(n_days=300), target="close"),
        ...          {"method": "grid", "params": {"lookback": [5, 10]},
        ...           "validation": {"windows": 2, "step": 20}},
        ...          config=ForecasterConfig(model="drift"))  # doctest: +SKIP
        >>> len(r.trials)  # doctest: +SKIP
        2
    """
    space = as_search_space(search)
    base = config or ForecasterConfig()
    if out is not None:
        check_output_dir(out, overwrite=overwrite, option="out")
    spec = as_data_spec(data)
    df, source, target = spec.read()
    n_train = train_end_row(pd.DatetimeIndex(df["ds"]), spec.split, spec.test_start)
    train = df.iloc[:n_train].reset_index(drop=True)  # the test part is never read
    folds = rolling_origins(pd.DatetimeIndex(train["ds"]), space.windows, space.step)
    features, _ = spec.inputs(train, target, len(folds[0].train))  # before the 1st origin
    trials = space.draw()
    configs = [_apply(base, t) for t in trials]
    checked = [Forecaster(config=c) for c in configs]  # every setting checked before training
    need = max(c.data.lookback for c in configs) + max(c.data.horizon for c in configs) + 2
    if len(folds[0].train) < need:
        raise CpjaxInputError(
            f"the training part of {source} has {len(folds[0].train)} rows before the first of "
            f"{space.windows} validation origins, fewer than lookback + horizon + 2 = {need}; "
            "fix: fewer validation windows, a smaller step, shorter lookbacks, or a later "
            "split")
    jobs, owner, groups, group_of = [], [], {}, []
    for i, (t, f) in enumerate(zip(trials, checked, strict=True)):
        dyn = f.kind.dynamic_settings(f)
        hyper = {k: float(v) for k, v in t.items() if k in dyn}
        # dynamic settings stay at the base value in the job's config, so that trials that
        # differ only in them share a batch (they reach the engine as hyperparameters)
        job_cfg = _apply(base, {k: v for k, v in t.items() if k not in dyn})
        group_of.append(groups.setdefault(repr({k: v for k, v in t.items() if k not in dyn}),
                                          len(groups)))
        for fold in folds:
            stop = int(fold.test[-1]) + 1
            jobs.append(FitJob(Forecaster(config=job_cfg), train.iloc[:stop].reset_index(drop=True),
                               target, features, train_rows=len(fold.train), hyper=hyper))
            owner.append((i, fold))
    status(f"tune: {len(trials)} trial(s) x {len(folds)} origin(s), {len(groups)} shape "
           f"group(s), {base.model}")
    t0 = time.perf_counter()
    with CompileCount() as cc:
        fitted = fit_forecasters(jobs)
    fit_s = time.perf_counter() - t0
    errors: dict[int, list[np.ndarray]] = {i: [] for i in range(len(trials))}
    by_origin: dict[int, list[float]] = {i: [] for i in range(len(trials))}
    for f, (i, fold) in zip(fitted, owner, strict=True):
        pred = f.predict()
        pred = pred[pred["ds"].isin(train["ds"].iloc[fold.test])]
        pred = observed_by_date(pred, train, target)
        pred = pred[pred["y_observed"]]
        e = pred[f.name].to_numpy(np.float64) - pred["y"].to_numpy(np.float64)
        errors[i].append(e)
        by_origin[i].append(float(np.mean(np.abs(e))) if e.size else np.nan)
    rows = []
    for i, t in enumerate(trials):
        e = np.concatenate(errors[i])
        if e.size == 0:
            raise CpjaxInputError("no observed target in the validation blocks; fix: check the "
                                  "target column or use other validation windows")
        finite = np.isfinite(e)
        rows.append({"trial": i, "group": group_of[i], **t,
                     "mae": float(np.mean(np.abs(e))) if finite.all() else np.inf,
                     "rmse": float(np.sqrt(np.mean(e ** 2))) if finite.all() else np.inf,
                     "mae_origin_std": float(np.nanstd(by_origin[i], ddof=1))
                     if len(by_origin[i]) > 1 else np.nan,
                     "n_forecasts": int(e.size)})
    table = pd.DataFrame(rows)
    best_i = int(np.argmin(table[space.metric].to_numpy()))  # first of equal scores
    table["chosen"] = table["trial"] == best_i
    best = dict(trials[best_i])
    chosen = configs[best_i]
    info = {"data": str(source), "target": target, "model": base.model,
            "data_spec": spec.describe(),
            "training_rows": int(n_train), "rows": int(len(df)),
            "training_end": str(pd.Timestamp(train["ds"].iloc[-1]).date()),
            "origins": [str(pd.Timestamp(f.cutoff).date()) for f in folds],
            "trials": len(trials), "shape_groups": len(groups), "fits": len(jobs),
            "metric": space.metric, "chosen_trial": best_i, "fit_seconds": fit_s,
            "compilations": cc.compiles, "search": space.to_dict()}
    result = TuneResult(table, best, chosen, info)
    if out is not None:
        with atomic_output_dir(out, overwrite=overwrite) as tmp:
            table.to_csv(tmp / "trials.csv", index=False)
            write_json(tmp / "best_config.json", chosen.to_dict())
            write_config(tmp, base, command="tune", **{k: v for k, v in info.items()
                                                        if k != "model"})
    return result
