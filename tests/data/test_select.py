"""pearson_select against scipy/numpy; granger_filter against statsmodels on synthetic data."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from cpjax._errors import CpjaxInputError
from cpjax.data import demo_market, granger_filter, pcc_class, pearson_select


@pytest.mark.parametrize("r,cls", [(0.704, "significant"), (-0.5, "significant"),
                                   (-0.45, "low"), (0.3, "low"), (0.29, "weak"), (0.0, "weak")])
def test_pcc_classes(r, cls):
    assert pcc_class(r) == cls


def test_pearson_matches_scipy_on_train_rows_and_selects_seed000_inputs():
    df = demo_market(seed=0, n_days=900)
    rep, selected = pearson_select(df, "close", train_end=630)
    y = df["close"].to_numpy()[:630]
    for _, row in rep.iterrows():
        ref = stats.pearsonr(df[row["feature"]].to_numpy()[:630], y)
        assert row["r"] == pytest.approx(np.corrcoef(df[row["feature"]][:630], y)[0, 1])
        assert row["p_value"] == pytest.approx(ref.pvalue, rel=1e-6, abs=1e-300)
    assert selected[:5] == ["open", "close", "high", "low", "volume"]
    assert sorted(selected[5:]) == sorted(["csi300", "usdcny", "eua_futures",
                                           "new_energy_index"])
    assert len(selected) == 9  # seed 000: OHLCV + 4 factors
    assert set(rep.loc[rep["class"] == "weak", "feature"]) >= {"aqi", "low_carbon_search"}
    assert rep.loc[rep["feature"] == "shibor", "class"].item() == "low"


def test_pearson_uses_only_training_rows():
    df = demo_market(seed=1, n_days=300)
    a = pearson_select(df, "close", ["csi300"], train_end=200).report
    df2 = df.copy()
    df2.loc[200:, "csi300"] = -df2.loc[200:, "csi300"]
    b = pearson_select(df2, "close", ["csi300"], train_end=200).report
    pd.testing.assert_frame_equal(a, b)


def test_pearson_unknown_candidate():
    with pytest.raises(CpjaxInputError, match=r"unknown feature column 'csi30'.*'csi300'"):
        pearson_select(demo_market(n_days=60), "close", ["csi30"], train_end=40)


def _causal_data(n=400, seed=0):
    rng = np.random.default_rng(seed)
    x, z, e = rng.standard_normal((3, n))
    y = np.zeros(n)
    for t in range(3, n):
        y[t] = 0.3 * y[t - 1] + 0.8 * x[t - 2] + 0.5 * e[t]
    return pd.DataFrame({"ds": pd.bdate_range("2020-01-01", periods=n), "y": y, "x": x, "z": z})


def test_granger_keeps_cause_rejects_noise_and_matches_statsmodels():
    from statsmodels.tsa.stattools import grangercausalitytests

    df = _causal_data()
    rep, selected = granger_filter(df, "y", ["x", "z"], train_end=len(df))
    assert selected == ["x"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = grangercausalitytests(df[["y", "z"]].to_numpy(), maxlag=[2, 3, 4])
    for k in (2, 3, 4):
        p = rep.loc[rep["feature"] == "z", f"p_lag{k}"].item()
        assert p == pytest.approx(ref[k][0]["ssr_ftest"][1])
    assert rep.loc[rep["feature"] == "x", "min_p"].item() < 1e-10
    assert rep.loc[rep["feature"] == "z", "min_p"].item() > 0.05


def test_granger_bad_lags():
    with pytest.raises(CpjaxInputError, match=r"lags must be positive"):
        granger_filter(_causal_data(60), "y", ["x"], lags=(0,), train_end=60)
