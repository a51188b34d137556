"""Output forecast: a pluggable list of monthly models, the seed's comparison table and projections.

A model is a function ``fit_predict(train, horizon, season) -> forecast`` on one positive monthly
series (1-D NumPy arrays).  :data:`OUTPUT_MODELS` holds the built-ins:

* ``seasonal_naive`` - the last season repeated (baseline);
* ``arima`` - seasonal ARIMA(1,0,1)(0,1,0)_12 with a constant on the log series (statsmodels);
* ``svr`` - scikit-learn SVR (RBF) on the previous 12 values scaled by their mean, forecast
  recursively.

**Hook for the neural models.**  ``register_output_model(name, fit_predict)`` adds a model; the
lead attaches LSTM/RNN/GRU/MLP from cpjax's forecasting registry with an adapter of this
signature (train on windows of ``train``, roll ``horizon`` steps ahead).  Nothing here imports the
forecasting package, so the quota part stays usable without it.

Example::

    >>> table, preds = compare_output_models(monthly, test_start="2019-01")
    >>> proj = project_generation(monthly, years=[2023, 2024], model="arima")
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from .._errors import CpjaxInputError, unknown_name_message

__all__ = ["OUTPUT_MODELS", "register_output_model", "seasonal_naive", "arima", "svr",
           "compare_output_models", "project_generation", "forecast_heat"]

FitPredict = Callable[[np.ndarray, int, int], np.ndarray]


def seasonal_naive(train: np.ndarray, horizon: int, season: int = 12) -> np.ndarray:
    """Repeat the last ``season`` values."""
    last = np.asarray(train, dtype=float)[-season:]
    return np.resize(last, horizon)


def arima(train: np.ndarray, horizon: int, season: int = 12) -> np.ndarray:
    """Seasonal ARIMA(1,0,1)(0,1,0)_season with a constant, on log values.

    The year-on-year log change ``d_t = log y_t - log y_{t-season}`` minus its mean is fitted as
    an ARMA(1,1) by the Hannan-Rissanen regression estimator (statsmodels ``ARIMA``; ~0.02 s per
    series, where state-space MLE took 0.5-4 s each on this shared 2-core machine and the
    full "airline" SARIMA(1,1,1)(0,1,1) ~8 s with similar accuracy), forecast, and integrated
    back.  Falls back to seasonal naive if the fit fails.
    """
    from statsmodels.tsa.arima.model import ARIMA

    y = np.log(np.maximum(np.asarray(train, dtype=float), 1e-9))
    if len(y) < 2 * season + 4:
        return seasonal_naive(train, horizon, season)
    d = y[season:] - y[:-season]
    mu = float(d.mean())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # estimator chatter on short/flat series
        try:
            res = ARIMA(d - mu, order=(1, 0, 1), trend="n").fit(method="hannan_rissanen")
            dfc = np.asarray(res.forecast(horizon)) + mu
        except (np.linalg.LinAlgError, ValueError):
            return seasonal_naive(train, horizon, season)
    if not np.all(np.isfinite(dfc)):
        return seasonal_naive(train, horizon, season)
    path = list(y)
    for h in range(horizon):
        path.append(path[-season] + dfc[h])
    return np.exp(np.asarray(path[len(y):]))


def svr(train: np.ndarray, horizon: int, season: int = 12) -> np.ndarray:
    """SVR on the previous ``season`` values divided by their mean; recursive multi-step."""
    from sklearn.svm import SVR

    y = np.asarray(train, dtype=float)
    lag = season
    if len(y) <= lag + 2:
        return seasonal_naive(y, horizon, season)
    windows = np.lib.stride_tricks.sliding_window_view(y[:-1], lag)
    scale = windows.mean(axis=1, keepdims=True)
    x = windows / scale
    t = y[lag:] / scale[:, 0]
    model = SVR(kernel="rbf", C=3.0, epsilon=0.01, gamma="scale").fit(x, t)
    hist = list(y[-lag:])
    out = []
    for _ in range(horizon):
        w = np.asarray(hist[-lag:])
        m = w.mean()
        out.append(float(model.predict((w / m)[None, :])[0]) * m)
        hist.append(out[-1])
    return np.asarray(out)


OUTPUT_MODELS: dict[str, FitPredict] = {"seasonal_naive": seasonal_naive, "arima": arima, "svr": svr}


def register_output_model(name: str, fit_predict: FitPredict) -> None:
    """Add (or replace) a model in :data:`OUTPUT_MODELS` - the hook for the neural models."""
    OUTPUT_MODELS[name] = fit_predict


def _model(name: str) -> FitPredict:
    if name not in OUTPUT_MODELS:
        raise CpjaxInputError(unknown_name_message("output model", name, OUTPUT_MODELS)
                              + " Fix: pick a listed model or register_output_model(...).")
    return OUTPUT_MODELS[name]


def _clean(monthly: pd.DataFrame, min_annual_mwh: float) -> pd.DataFrame:
    m = monthly.dropna(axis=1, how="any")
    annual = m.groupby(m.index.year).sum().mean()
    return m.loc[:, annual >= min_annual_mwh]


def compare_output_models(monthly: pd.DataFrame, test_start: str = "2019-01",
                          train_start: str = "2010-01", models: Sequence[str] | None = None,
                          min_annual_mwh: float = 1e6) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train on ``[train_start, test_start)`` and forecast the whole test window for each province.

    Metrics (seed 002's table; errors in percent): ``max_error_pct`` the largest provincial MAPE,
    ``mean_error_pct`` the mean provincial MAPE, ``r2`` pooled over all province-months (levels),
    plus ``mape_national_pct`` (error of the national monthly total).  Provinces producing less than
    ``min_annual_mwh`` a year (Tibet) or with gaps are left out.

    Returns:
        ``(table, predictions)``: one row per model; predictions long (month, province, model, y, yhat).
    """
    names = list(models) if models is not None else list(OUTPUT_MODELS)
    fns = [_model(n) for n in names]
    data = _clean(monthly.loc[train_start:], min_annual_mwh)
    train = data.loc[: pd.Period(test_start, "M") - 1]
    test = data.loc[test_start:]
    if len(train) < 36 or len(test) < 1:
        raise CpjaxInputError(f"need >= 36 training months and >= 1 test month, got {len(train)} "
                              f"and {len(test)}; fix: move test_start/train_start")
    rows, preds = [], []
    for name, fn in zip(names, fns):
        yhat = np.column_stack([fn(train[c].to_numpy(), len(test), 12) for c in data.columns])
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
    fn = _model(model)
    hist = monthly.loc[train_start:]
    last = hist.index[-1]
    horizon = max(0, (max(years) - last.year) * 12 + (12 - last.month))
    cols = {}
    for c in hist.columns:
        s = hist[c].dropna()
        if len(s) < 24:
            continue
        f = fn if s.index[-1] == last and len(s) == len(hist) else seasonal_naive
        fc = f(s.to_numpy(), horizon, 12) if horizon else np.zeros(0)
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
