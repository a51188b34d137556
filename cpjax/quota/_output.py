"""Output forecast: models of cpjax's one model registry, the seed's comparison table and projections.

An output model is a name of the model registry (``cpjax models``), fitted on one positive monthly
series and forecasting ``horizon`` months from its end.  :data:`OUTPUT_SETTINGS` holds the
monthly settings of the statistical ones (the registry models themselves live in ``cpjax.nn``):

* ``seasonal_naive`` - the last season repeated (baseline);
* ``arima`` - seasonal ARIMA(1,0,1)(0,1,0)_12 with a constant (a drift) on the log series, ARMA part
  by the Hannan-Rissanen estimator (statsmodels; ~0.02 s per series, where state-space MLE took
  0.5-4 s each on this shared 2-core machine and the full "airline" SARIMA(1,1,1)(0,1,1) ~8 s
  with similar accuracy);
* ``svr`` - RBF SVR on the previous 12 values scaled by their mean, forecast recursively.

Any other registry estimator (``autoets``, ``autotheta``, ``ensemble``, ...) runs with its
defaults; a registry network (``lstm``, ``gru``, ``rnn``, ``mlp``, ...) trains through
:func:`cpjax.quota.network_output_model` (one model per province, so it is slow).  A statistical
model that cannot be fitted to a series (shorter than two seasons plus four months, or a failed
estimate) falls back to seasonal naive for that series, as in seed 002.

Example::

    >>> table, preds = compare_output_models(monthly, test_start="2019-01")
    >>> proj = project_generation(monthly, years=[2023, 2024], model="arima")
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._errors import CpjaxInputError, unknown_name_message
from ..nn import forecast_series, get_model, model_names

__all__ = ["OUTPUT_SETTINGS", "output_forecast", "check_output_model", "compare_output_models",
           "project_generation", "forecast_heat"]

#: Monthly settings of the registry models used as output models (``season`` = 12 months).
OUTPUT_SETTINGS: dict[str, dict[str, Any]] = {
    "seasonal_naive": {"season_length": 12},
    "arima": {"order": (1, 0, 1), "seasonal_order": (0, 1, 0), "season_length": 12,
              "constant": True, "log": True, "method": "hannan_rissanen", "max_train": 0},
    "svr": {"C": 3.0, "epsilon": 0.01, "recursive": True, "normalize": "window_mean",
            "lookback": 12},
}
#: The models of seed 002's table, in its order.
DEFAULT_OUTPUT_MODELS = ("seasonal_naive", "arima", "svr")


def check_output_model(name: str) -> str:
    """``name`` if it is a registry model, else a CpjaxInputError listing the choices."""
    if name not in model_names():
        raise CpjaxInputError(unknown_name_message("output model", name, model_names())
                              + " (run `cpjax models`)")
    return name


def _settings(name: str, season: int) -> dict[str, Any]:
    """:data:`OUTPUT_SETTINGS` of ``name`` with its season (and SVR lookback) set to ``season``."""
    out = dict(OUTPUT_SETTINGS.get(name, {}))
    return {k: (season if k in ("season_length", "lookback") else v) for k, v in out.items()}


def output_forecast(name: str, train: np.ndarray, horizon: int, season: int = 12,
                    **network_options: Any) -> np.ndarray:
    """The ``horizon`` values after ``train`` forecast by registry model ``name``.

    Statistical models use :data:`OUTPUT_SETTINGS` and fall back to seasonal naive where they
    cannot be fitted (see the module doc); networks go through
    :func:`cpjax.quota.network_output_model` with ``network_options``.
    """
    spec = get_model(check_output_model(name))
    y = np.asarray(train, dtype=np.float64)
    if spec.kind == "network":
        from ._neural import network_output_model

        return network_output_model(name, **network_options)(y, horizon, season)
    naive = forecast_series("seasonal_naive", y, horizon, season_length=season)
    if name == "seasonal_naive" or len(y) < 2 * season + 4:
        return naive
    try:
        fc = forecast_series(name, y, horizon, **_settings(name, season))
    except (CpjaxInputError, np.linalg.LinAlgError, ValueError):
        return naive
    return fc if np.all(np.isfinite(fc)) else naive


def _clean(monthly: pd.DataFrame, min_annual_mwh: float) -> pd.DataFrame:
    m = monthly.dropna(axis=1, how="any")
    annual = m.groupby(m.index.year).sum().mean()
    return m.loc[:, annual >= min_annual_mwh]


def compare_output_models(monthly: pd.DataFrame, test_start: str = "2019-01",
                          train_start: str = "2010-01", models: Sequence[str] | None = None,
                          min_annual_mwh: float = 1e6, **network_options: Any
                          ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train on ``[train_start, test_start)`` and forecast the whole test window for each province.

    Metrics (seed 002's table; errors in percent): ``max_error_pct`` the largest provincial MAPE,
    ``mean_error_pct`` the mean provincial MAPE, ``r2`` pooled over all province-months (levels),
    plus ``mape_national_pct`` (error of the national monthly total).  Provinces producing less than
    ``min_annual_mwh`` a year (Tibet) or with gaps are left out.  ``models`` are registry names
    (default seasonal naive, ARIMA, SVR); ``network_options`` go to the networks among them
    (:func:`cpjax.quota.network_output_model`, e.g. ``epochs=200, hidden_size=32``).

    Returns:
        ``(table, predictions)``: one row per model; predictions long (month, province, model, y, yhat).
    """
    names = list(models) if models is not None else list(DEFAULT_OUTPUT_MODELS)
    for n in names:
        check_output_model(n)
    data = _clean(monthly.loc[train_start:], min_annual_mwh)
    train = data.loc[: pd.Period(test_start, "M") - 1]
    test = data.loc[test_start:]
    if len(train) < 36 or len(test) < 1:
        raise CpjaxInputError(f"need >= 36 training months and >= 1 test month, got {len(train)} "
                              f"and {len(test)}; fix: move test_start/train_start")
    rows, preds = [], []
    for name in names:
        yhat = np.column_stack([output_forecast(name, train[c].to_numpy(), len(test), 12,
                                                **network_options) for c in data.columns])
        y = test.to_numpy()
        mape = np.mean(np.abs(yhat - y) / y, axis=0) * 100.0
        r2 = 1.0 - np.sum((y - yhat) ** 2) / np.sum((y - y.mean()) ** 2)
        nat = np.mean(np.abs(yhat.sum(1) - y.sum(1)) / y.sum(1)) * 100.0
        rows.append({"model": name, "max_error_pct": float(mape.max()),
                     "mean_error_pct": float(mape.mean()), "r2": float(r2),
                     "mape_national_pct": float(nat), "provinces": int(y.shape[1]),
                     "test_months": int(y.shape[0])})
        long = pd.DataFrame(yhat, index=test.index, columns=data.columns).stack().rename("yhat")
        preds.append(pd.concat([test.stack().rename("y"), long], axis=1).assign(model=name))
    pred = pd.concat(preds).reset_index()
    pred.columns = ["month", "province", "y", "yhat", "model"]
    return pd.DataFrame(rows), pred


def project_generation(monthly: pd.DataFrame, years: Sequence[int], model: str = "arima",
                       train_start: str = "2010-01") -> pd.DataFrame:
    """Annual provincial generation (MWh) for ``years`` from a monthly history (year x province).

    Years inside the history are summed from the data; later years are forecast with ``model``
    from the end of the history.  Provinces with gaps in the history use seasonal naive.
    """
    check_output_model(model)
    hist = monthly.loc[train_start:]
    last = hist.index[-1]
    horizon = max(0, (max(years) - last.year) * 12 + (12 - last.month))
    cols = {}
    for c in hist.columns:
        s = hist[c].dropna()
        if len(s) < 24:
            continue
        name = model if s.index[-1] == last and len(s) == len(hist) else "seasonal_naive"
        fc = output_forecast(name, s.to_numpy(), horizon, 12) if horizon else np.zeros(0)
        full = pd.concat([s, pd.Series(fc, index=pd.period_range(last + 1, periods=horizon, freq="M"))])
        cols[c] = full.groupby(full.index.year).sum()
    table = pd.DataFrame(cols)
    missing = [y for y in years if y not in table.index]
    if missing:
        raise CpjaxInputError(f"cannot project generation for {missing}; fix: give history before them")
    return table.loc[list(years)]


def forecast_heat(heat: pd.DataFrame, years: Sequence[int], model: str = "arima") -> pd.DataFrame:
    """Annual heat supply (GJ) per unit from monthly history (month x unit_id PeriodIndex table),
    by ARIMA as in the seed (its history is too short for neural models)."""
    return project_generation(heat, years, model=model, train_start=str(heat.index[0]))
