"""Imputation (linear / ARIMA / leading policy / KS report) and outlier handling."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.stats import ks_2samp

from cpjax._errors import CpjaxInputError
from cpjax.data import handle_outliers, impute, nan_runs


def _frame(values, name="x"):
    return pd.DataFrame({"ds": pd.bdate_range("2020-01-01", periods=len(values)),
                         name: np.asarray(values, dtype=float)})


def test_nan_runs():
    assert nan_runs(np.array([np.nan, 1, np.nan, np.nan, 2, np.nan])) == [(0, 1), (2, 4), (5, 6)]


def test_short_gaps_match_pandas_linear_interpolation():
    rng = np.random.default_rng(0)
    x = np.cumsum(rng.standard_normal(80)) + 50
    x[[5, 20, 21, 40, 41, 42]] = np.nan
    filled, rep = impute(_frame(x))
    ref = pd.Series(x).interpolate(method="linear").to_numpy()
    np.testing.assert_allclose(filled["x"].to_numpy(), ref, rtol=0, atol=1e-12)
    assert rep.loc[0, "n_linear"] == 6 and rep.loc[0, "n_arima"] == 0


def test_long_gap_is_statsmodels_arima_forecast_from_history():
    from statsmodels.tsa.arima.model import ARIMA

    rng = np.random.default_rng(1)
    e = rng.standard_normal(120)
    x = np.empty(120)
    x[0] = 10.0
    for t in range(1, 120):
        x[t] = x[t - 1] + 0.5 * (x[t - 1] - x[t - 2] if t > 1 else 0) + e[t]
    x[70:76] = np.nan
    filled, rep = impute(_frame(x), arima_order=(1, 1, 0), refit=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = ARIMA(x[:70], order=(1, 1, 0)).fit().forecast(6)
        # default: parameters estimated once on the whole column (NaNs skipped), forecast
        # from the data before the gap
        params = ARIMA(x, order=(1, 1, 0)).fit().params
        ref_once = ARIMA(x[:70], order=(1, 1, 0)).filter(params).forecast(6)
    np.testing.assert_allclose(filled["x"].to_numpy()[70:76], ref, rtol=1e-8)
    once, _ = impute(_frame(x), arima_order=(1, 1, 0))
    np.testing.assert_allclose(once["x"].to_numpy()[70:76], ref_once, rtol=1e-8)
    np.testing.assert_array_equal(filled["x"].to_numpy()[:70], x[:70])
    assert rep.loc[0, "n_arima"] == 6
    assert rep.attrs["gaps"][0]["method"] == "arima(1, 1, 0)"


def test_trailing_gap_by_arima_and_auto_order():
    rng = np.random.default_rng(2)
    x = np.cumsum(rng.standard_normal(60))
    x[-2:] = np.nan
    filled, rep = impute(_frame(x))
    assert np.isfinite(filled["x"]).all() and rep.loc[0, "n_arima"] == 2


def test_short_history_falls_back_and_reports():
    x = np.array([1.0, 2.0, 3.0] + [np.nan] * 5 + [9.0, 10.0])
    filled, rep = impute(_frame(x))
    np.testing.assert_allclose(filled["x"].to_numpy(), np.arange(1.0, 11.0))
    assert rep.loc[0, "n_fallback"] == 5
    assert rep.attrs["gaps"][0]["method"] == "linear_fallback"


def test_leading_nans_policies():
    df = pd.DataFrame({"ds": pd.bdate_range("2020-01-01", periods=6),
                       "a": [np.nan, np.nan, 1.0, 2.0, 3.0, 4.0],
                       "b": [1.0, np.nan, 3.0, 4.0, 5.0, 6.0]})
    dropped, rep = impute(df)
    assert len(dropped) == 4 and rep.attrs["rows_dropped"] == 2
    assert dropped["ds"].iloc[0] == df["ds"].iloc[2]
    kept, _ = impute(df, leading="keep")
    assert np.isnan(kept["a"].iloc[:2]).all() and kept["b"].iloc[1] == 2.0
    back, _ = impute(df, leading="backfill")
    assert back["a"].iloc[:2].tolist() == [1.0, 1.0]
    with pytest.raises(CpjaxInputError, match=r"unknown leading-NaN policy"):
        impute(df, leading="zero")


def test_ks_report_matches_scipy():
    rng = np.random.default_rng(3)
    x = rng.standard_normal(200) + 5
    orig = x.copy()
    orig[[10, 11, 50, 120]] = np.nan
    filled, rep = impute(_frame(orig))
    f = filled["x"].to_numpy()
    obs = orig[np.isfinite(orig)]
    assert rep.loc[0, "ks_pvalue"] == pytest.approx(ks_2samp(f, obs).pvalue)
    imp = f[np.isnan(orig)]
    assert rep.loc[0, "ks_pvalue_imputed"] == pytest.approx(ks_2samp(imp, obs).pvalue)
    assert rep.loc[0, "ks_pvalue"] > 0.05  # a few interpolated points do not move the law


def test_long_form_imputed_per_series():
    df = pd.DataFrame({"unique_id": ["a"] * 4 + ["b"] * 4,
                       "ds": list(pd.bdate_range("2020-01-01", periods=4)) * 2,
                       "y": [1.0, np.nan, 3.0, 4.0, 10.0, 20.0, np.nan, 40.0]})
    out, rep = impute(df)
    assert out["y"].tolist() == [1.0, 2.0, 3.0, 4.0, 10.0, 20.0, 30.0, 40.0]
    assert rep["unique_id"].tolist() == ["a", "b"]


def test_iqr_outliers_replaced_by_median_with_numpy_reference():
    x = np.array([10.0, 11, 12, 11, 10, 50, 11, 12, -20, 11])
    out, rep = handle_outliers(_frame(x), ["x"], method="iqr", replace="median")
    q1, q3 = np.percentile(x, [25, 75])
    lo, hi = q1 - 1.5 * (q3 - q1), q3 + 1.5 * (q3 - q1)
    bad = (x < lo) | (x > hi)
    assert rep["row"].tolist() == np.flatnonzero(bad).tolist() == [5, 8]
    np.testing.assert_allclose(out["x"].to_numpy()[bad], np.median(x[~bad]))
    np.testing.assert_array_equal(out["x"].to_numpy()[~bad], x[~bad])


def test_ksigma_mean_and_fit_rows():
    x = np.r_[np.zeros(30), 1.0, 0.0, 100.0]
    x[:30] = np.linspace(-1, 1, 30)
    out, rep = handle_outliers(_frame(x), method="ksigma", k=3, replace="mean",
                               fit_rows=np.arange(30))
    m, s = x[:30].mean(), x[:30].std(ddof=1)
    assert rep["row"].tolist() == [int(i) for i in np.flatnonzero(np.abs(x - m) > 3 * s)]
    assert rep["replacement"].iloc[0] == pytest.approx(x[:30].mean())
    with pytest.raises(CpjaxInputError, match=r"unknown outlier method 'mad'"):
        handle_outliers(_frame(x), method="mad")
