"""CategoryScaler: categories, train-only fit (no leakage), inverse, JSON round trip."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra.numpy import arrays

from cpjax._errors import CpjaxInputError
from cpjax.data import CategoryScaler, guess_category


def _df(n=50, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"ds": pd.bdate_range("2021-01-01", periods=n),
                         "close": 40 + np.cumsum(rng.standard_normal(n)),
                         "usdcny": 6.5 + 0.01 * rng.standard_normal(n),
                         "csi300": 4000 * np.exp(np.cumsum(0.01 * rng.standard_normal(n)))})


@pytest.mark.parametrize("name,cat", [("close", "minmax"), ("volume", "minmax"),
                                      ("usdcny", "zscore"), ("usd_cny", "zscore"),
                                      ("shibor", "zscore"), ("csi300", "growth"),
                                      ("new_energy_index", "growth"), ("eua_futures", "minmax"),
                                      ("guangdong_cny", "minmax"),
                                      ("ppi_release", "minmax"), ("cpi_release", "minmax"),
                                      ("ppi", "growth"), ("holiday_dummy", "minmax")])
def test_guess_category(name, cat):
    assert guess_category(name) == cat


def test_parameters_match_numpy_on_train_rows():
    df = _df()
    sc = CategoryScaler().fit(df, train_end=30)
    c = df["close"].to_numpy()[:30]
    assert sc.params["close"]["shift"] == pytest.approx(c.min())
    assert sc.params["close"]["scale"] == pytest.approx(c.max() - c.min())
    u = df["usdcny"].to_numpy()[:30]
    assert sc.params["usdcny"]["shift"] == pytest.approx(u.mean())
    assert sc.params["usdcny"]["scale"] == pytest.approx(u.std())
    x = df["csi300"].to_numpy()
    g = np.r_[0.0, x[1:] / x[:-1] - 1][:30]
    assert sc.params["csi300"]["shift"] == pytest.approx(g.mean())
    z = sc.transform(df)
    np.testing.assert_allclose(z["close"], (df["close"] - c.min()) / (c.max() - c.min()))
    assert z["ds"].equals(df["ds"])


def test_no_leakage_test_values_do_not_change_fit():
    df = _df()
    a = CategoryScaler().fit(df, train_end=df["ds"].iloc[29])
    df2 = df.copy()
    df2.loc[30:, ["close", "usdcny", "csi300"]] *= 1000.0
    b = CategoryScaler().fit(df2, train_end=df["ds"].iloc[29])
    assert a.to_dict() == b.to_dict()
    mask = np.arange(len(df)) < 30
    assert CategoryScaler().fit(df2, mask).to_dict() == a.to_dict()
    assert CategoryScaler().fit(df2, np.arange(30)).to_dict() == a.to_dict()
    assert CategoryScaler().fit(df2, slice(0, 30)).to_dict() == a.to_dict()
    assert CategoryScaler().fit(df2, train_end=30).to_dict() == a.to_dict()


def test_fit_requires_training_part():
    with pytest.raises(CpjaxInputError, match=r"train_mask= or train_end="):
        CategoryScaler().fit(_df())


def test_json_round_trip_and_override():
    df = _df()
    sc = CategoryScaler({"csi300": "minmax"}).fit(df, train_end=40)
    text = json.dumps(sc.to_dict())
    back = CategoryScaler.from_dict(text)
    assert back.params["csi300"]["category"] == "minmax"
    pd.testing.assert_frame_equal(back.transform(df), sc.transform(df))
    with pytest.raises(CpjaxInputError, match=r"unknown scaling category 'log'"):
        CategoryScaler({"close": "log"})


def test_growth_inverse_forms():
    df = _df()
    sc = CategoryScaler().fit(df, train_end=40)
    x = df["csi300"].to_numpy()
    z = sc.transform(df)["csi300"].to_numpy()
    # one-step forecasts, one previous level each
    np.testing.assert_allclose(sc.inverse_transform(z[1:], "csi300", previous=x[:-1]), x[1:])
    # a path chained from one level
    np.testing.assert_allclose(sc.inverse_transform(z[10:20], "csi300", previous=x[9]),
                               x[10:20])
    # multi-step paths (N, H)
    paths = np.stack([z[i:i + 3] for i in range(1, 6)])
    np.testing.assert_allclose(sc.inverse_transform(paths, "csi300", previous=x[0:5]),
                               np.stack([x[i:i + 3] for i in range(1, 6)]))
    with pytest.raises(CpjaxInputError, match=r"previous="):
        sc.inverse_transform(z, "csi300")


finite = st.floats(min_value=-1e4, max_value=1e4, allow_nan=False)
positive = st.floats(min_value=0.5, max_value=1e4, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(values=arrays(np.float64, st.integers(3, 40), elements=finite),
       cat=st.sampled_from(["zscore", "minmax"]))
def test_property_level_round_trip(values, cat):
    df = pd.DataFrame({"v": values})
    sc = CategoryScaler({"v": cat}).fit(df, train_end=max(1, len(values) // 2))
    back = sc.inverse_transform(sc.transform(df)["v"].to_numpy(), "v")
    np.testing.assert_allclose(back, values, rtol=1e-9, atol=1e-9 * (1 + np.abs(values).max()))


@settings(max_examples=60, deadline=None)
@given(values=arrays(np.float64, st.integers(3, 40), elements=positive))
def test_property_growth_round_trip(values):
    df = pd.DataFrame({"idx": values})
    sc = CategoryScaler({"idx": "growth"}).fit(df, train_end=len(values))
    z = sc.transform(df)["idx"].to_numpy()
    back = sc.inverse_transform(z[1:], "idx", previous=values[0])
    np.testing.assert_allclose(back, values[1:], rtol=1e-6)  # chained ratios up to 2e4
    np.testing.assert_allclose(sc.transform_values(values[1:], "idx", previous=values[0]), z[1:],
                               rtol=1e-8, atol=1e-8)
