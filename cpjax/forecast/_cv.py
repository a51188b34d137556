"""Rolling-origin backtests (``Forecaster.cross_validation``; seed 003's 12 monthly origins)."""

from __future__ import annotations

import pandas as pd

from ..data import rolling_origins
from ._prepare import load_frame

__all__ = ["cross_validation"]


def cross_validation(forecaster, data, target=None, features=None, *, n_windows: int = 12,
                     step_size: str | int = "month", refit: bool = True,
                     mode: str = "expanding", unique_id=None) -> pd.DataFrame:
    """Forecast each test block from a model trained only on data up to its cutoff.

    Arguments:
        forecaster: an unfitted :class:`~cpjax.forecast.Forecaster` (its settings are reused).
        data, target, features: as in ``Forecaster.fit``.
        n_windows: number of origins (test blocks) at the end of the data.
        step_size: ``"month"`` (one calendar month per block) or a number of rows.
        refit: retrain at every origin (``True``) or train once at the first origin and roll
            the same parameters forward (``False``); both use only data up to each cutoff.
        mode: ``"expanding"`` (all history) or ``"sliding"`` (a fixed-length training window).

    Returns:
        ``unique_id, ds, cutoff, h, y, <model>`` for every forecast; ``cutoff`` is the last
        training date of the origin that produced it.
    """
    from ._batch import FitJob, fit_forecasters
    from ._forecaster import Forecaster

    df, _ = load_frame(data, unique_id)
    folds = rolling_origins(pd.DatetimeIndex(df["ds"]), n_windows, step_size, mode)
    windows = [df.iloc[int(f.train[0]): int(f.test[-1]) + 1].reset_index(drop=True)
               for f in folds]
    fitted = fit_forecasters([  # every origin's networks train as one batch
        FitJob(Forecaster(config=forecaster.config), w, target, features,
               train_rows=len(f.train))
        for f, w in zip(folds if refit else folds[:1], windows, strict=False)])
    parts = []
    for i, fold in enumerate(folds):
        stop = int(fold.test[-1]) + 1
        if refit:
            pred = fitted[i].predict()
        else:
            pred = fitted[0].predict(df.iloc[:stop].reset_index(drop=True))
            pred = pred[pred["ds"] > fold.cutoff]
        pred = pred[pred["ds"].isin(df["ds"].iloc[fold.test])].copy()
        pred["cutoff"] = fold.cutoff
        parts.append(pred)
    out = pd.concat(parts, ignore_index=True)
    return out.sort_values(["cutoff", "ds", "h"], kind="stable").reset_index(drop=True)


