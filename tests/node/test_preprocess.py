"""Seed §1.1 preprocessing against independent computations."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from cpjax import CpjaxInputError
from cpjax.node import PreprocessConfig, Scaler, demo_data, prepare, split_sizes
from cpjax.node._preprocess import interpolate_missing, outlier_mask


def test_split_is_70_15_15():
    assert split_sizes(100) == (70, 15)
    assert split_sizes(300) == (210, 45)


def test_interpolation_is_linear_in_time():
    t = np.array([0.0, 1, 2, 4, 5])
    x = np.array([np.nan, 1.0, np.nan, 5.0, np.nan])
    np.testing.assert_allclose(interpolate_missing(t, x), [1.0, 1.0, 7 / 3, 5.0, 5.0])


def test_iqr_and_sigma_rules():
    ref = np.arange(1.0, 101.0)  # Q1 = 25.75, Q3 = 75.25, IQR = 49.5
    x = np.array([25.75 - 1.5 * 49.5 - 0.01, 50.0, 75.25 + 1.5 * 49.5 + 0.01])
    assert outlier_mask(x, ref, "iqr", 1.5).tolist() == [True, False, True]
    sd = ref.std()
    x = np.array([50.5 + 2 * sd - 1e-6, 50.5 + 2 * sd + 1e-6])
    assert outlier_mask(x, ref, "sigma", 2.0).tolist() == [False, True]


def _data_with(values):
    d = demo_data(n_panels=1)
    return dataclasses.replace(d, values=values)


def test_scaler_is_fit_on_training_part_only():
    d = demo_data(n_panels=2)
    p = prepare(d, PreprocessConfig(outlier_method="none"))
    train = d.values[:, : p.n_train]
    np.testing.assert_allclose(p.scaler.mean, train.mean(axis=1))
    np.testing.assert_allclose(p.scaler.std, train.std(axis=1))
    np.testing.assert_allclose(p.z[:, : p.n_train].mean(axis=1), 0, atol=1e-12)


def test_mostly_missing_series_dropped_and_gaps_filled():
    d = demo_data(n_panels=1)
    v = d.values.copy()
    v[0, :120, 2] = np.nan  # wind 71 % missing -> dropped
    v[0, 50:53, 0] = np.nan  # thermal gap -> interpolated
    p = prepare(dataclasses.replace(d, values=v), PreprocessConfig(outlier_method="none"))
    assert p.data.series == ("thermal", "hydro") and p.report["dropped_series"] == ["wind"]
    expect = np.interp([50, 51, 52], [49, 53], v[0, [49, 53], 0])
    np.testing.assert_allclose(p.data.values[0, 50:53, 0], expect)


def test_outlier_replaced_in_training_part_but_not_in_test():
    d = demo_data(n_panels=1)
    v = d.values.copy()
    v[0, 60, 0] *= 3.0  # spike in the training part
    v[0, -3, 0] *= 3.0  # spike in the test part
    p = prepare(dataclasses.replace(d, values=v), PreprocessConfig(outlier_on="level",
                                                                  outlier_k=1.5))
    med = np.median(v[0, : p.n_train, 0])
    assert p.data.values[0, 60, 0] == pytest.approx(med)
    assert p.data.values[0, -3, 0] == v[0, -3, 0]
    p = prepare(dataclasses.replace(d, values=v), PreprocessConfig(outlier_on="yoy"))
    assert p.data.values[0, 60, 0] < 1.5 * d.values[0, 60, 0]


def test_too_short_series_is_an_input_error():
    d = demo_data(n_panels=1)
    short = dataclasses.replace(d, dates=d.dates[:12], values=d.values[:, :12])
    with pytest.raises(CpjaxInputError, match="only 12 time points"):
        prepare(short)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(-1e4, 1e4), min_size=3, max_size=3),
       st.lists(st.floats(1e-2, 1e3), min_size=3, max_size=3))
def test_scaler_round_trip(mean, std):
    sc = Scaler(np.array([mean]), np.array([std]))
    x = np.linspace(-50, 50, 12).reshape(1, 4, 3)
    np.testing.assert_allclose(sc.inverse(sc.transform(x)), x, rtol=1e-9, atol=1e-6)
