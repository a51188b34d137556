"""Networks of the model registry as quota output models (seed 002's LSTM, GRU, RNN, MLP rows).

``compare_output_models(..., models=["lstm"])`` and ``--output-model lstm`` reach this adapter
through :func:`cpjax.quota.output_forecast`.  ``network_output_model("lstm")`` returns a
``fit_predict(train, horizon, season)`` that fits a :class:`cpjax.forecast.Forecaster` (networks
train through ``cpjax.train``, which only the forecast package drives) on one monthly series (lookback = one season, a direct
``horizon``-step output, residual mode: the network predicts changes from the last month, min-max
scaled on the training months, early stopping on the last 15% of windows) and forecasts the
``horizon`` months after it.  It uses only the forecaster's public API.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["network_output_model"]


def network_output_model(model: str = "lstm", *, epochs: int = 200, seeds: int = 1,
                         seed: int = 0, **hyper):
    """A quota output model backed by the forecasting registry name ``model``."""
    from ..forecast import Forecaster

    Forecaster(model, **hyper)  # unknown model or hyperparameter: fail now, not per province

    def fit_predict(train: np.ndarray, horizon: int, season: int = 12) -> np.ndarray:
        y = np.asarray(train, dtype=np.float64)
        df = pd.DataFrame({"ds": pd.date_range("2000-01-01", periods=len(y), freq="MS"), "y": y})
        f = Forecaster(model, lookback=season, horizon=horizon, epochs=epochs, seeds=seeds,
                       seed=seed, residual=True, min_test=0, batch_size=16, patience=30,
                       learning_rate=3e-3, **hyper)
        f.fit(df, "y", [], train_rows=len(y))
        return f.forecast()[model].to_numpy()

    return fit_predict
