"""Seed §1.1 preprocessing (through cpjax.data) against independent computations."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from cpjax import CpjaxInputError
from cpjax.node import (
    NodeConfig,
    PreprocessConfig,
    demo_data,
    load_power_generation,
    prepare,
    split_sizes,
)
from cpjax.node._preprocess import interpolate_missing
from cpjax.node._state import from_state, to_state


def test_split_is_70_15_15():
    assert split_sizes(100) == (70, 15)
    assert split_sizes(300) == (210, 45)


def test_interpolation_is_linear_in_time():
    t = np.array([0.0, 1, 2, 4, 5])
    x = np.array([np.nan, 1.0, np.nan, 5.0, np.nan])
    np.testing.assert_allclose(interpolate_missing(t, x), [1.0, 1.0, 7 / 3, 5.0, 5.0])


def test_scaling_is_fit_on_training_part_only():
    d = demo_data(n_panels=2)
    p = prepare(d, PreprocessConfig(outlier_method="none"))
    train = d.values[:, : p.n_train]
    z_train = p.z[:, : p.n_train]
    np.testing.assert_allclose(z_train.mean(axis=1), 0, atol=1e-12)
    np.testing.assert_allclose(z_train.std(axis=1), 1, atol=1e-12)
    np.testing.assert_allclose(p.z * train.std(axis=1)[:, None] + train.mean(axis=1)[:, None],
                               d.values, rtol=1e-10)


def test_growth_state_round_trip_and_offset():
    d = demo_data(n_panels=1)
    cfg = NodeConfig(state="growth", preprocess=PreprocessConfig(outlier_method="none"))
    p = prepare(d, cfg)
    assert p.offset == 12 and p.z.shape[1] == d.values.shape[1] - 12
    g = np.log(d.values[0, 12:]) - np.log(d.values[0, :-12])  # independent: yoy log growth
    sc = p.scalers[0].params
    shift = np.array([sc[s]["shift"] for s in d.series])
    scale = np.array([sc[s]["scale"] for s in d.series])
    np.testing.assert_allclose(p.z[0] * scale + shift, g, rtol=1e-10, atol=1e-12)
    # levels come back from the growth path and the 12 months before it
    back = from_state(g[50:], "growth", p.floor[0], d.values[0, 50:62])  # g[i]: month i + 12
    np.testing.assert_allclose(back, d.values[0, 62:], rtol=1e-10)
    lg = to_state(d.values, "log", p.floor)
    np.testing.assert_allclose(from_state(lg[0], "log", p.floor[0]), d.values[0], rtol=1e-12)


def test_mostly_missing_series_dropped_and_gaps_filled():
    d = demo_data(n_panels=1)
    v = d.values.copy()
    v[0, :120, 2] = np.nan  # wind 71 % missing -> dropped
    v[0, 50:53, 0] = np.nan  # thermal gap -> interpolated
    p = prepare(dataclasses.replace(d, values=v), PreprocessConfig(outlier_method="none"))
    assert p.data.series == ("thermal", "hydro") and p.report["dropped_series"] == ["wind"]
    expect = np.interp([50, 51, 52], [49, 53], v[0, [49, 53], 0])
    np.testing.assert_allclose(p.data.values[0, 50:53, 0], expect)


def test_outliers_replaced_in_training_and_validation_but_not_in_test():
    d = demo_data(n_panels=1)
    v = d.values.copy()
    v[0, 60, 0] *= 1.6  # spike in the training part
    v[0, -3, 0] *= 1.6  # spike in the test part
    p = prepare(dataclasses.replace(d, values=v))  # default rule: spike
    assert p.report["outlier_rule"] == "spike"
    assert [(o["series"], o["date"]) for o in p.report["outliers"]] == [
        ("thermal", str(d.dates[60]))]
    assert abs(p.data.values[0, 60, 0] / d.values[0, 60, 0] - 1) < 0.1
    assert p.data.values[0, -3, 0] == v[0, -3, 0]
    # the box-plot rule on levels through cpjax.data: replaced by the training median
    p = prepare(dataclasses.replace(d, values=v), PreprocessConfig(outlier_method="iqr",
                                                                  outlier_k=1.5))
    train = v[0, : p.n_train, 0]
    q1, q3 = np.percentile(train, [25, 75])
    assert v[0, 60, 0] > q3 + 1.5 * (q3 - q1)
    keep = train[(train >= q1 - 1.5 * (q3 - q1)) & (train <= q3 + 1.5 * (q3 - q1))]
    assert p.data.values[0, 60, 0] == pytest.approx(np.median(keep))


def test_too_short_series_and_bad_settings_are_input_errors():
    d = demo_data(n_panels=1)
    short = dataclasses.replace(d, dates=d.dates[:12], values=d.values[:, :12])
    with pytest.raises(CpjaxInputError, match="only 12 time points"):
        prepare(short)
    with pytest.raises(CpjaxInputError, match="outlier_method"):
        PreprocessConfig(outlier_method="sigma")
    with pytest.raises(CpjaxInputError, match="state"):
        NodeConfig(state="diff")


@pytest.mark.realdata
def test_shandong_published_2019_11_is_kept(shared_data):
    """The README run's data: the default rule replaces the 2018-11 spike (65.18 TWh) and keeps
    2019-11 (43.04 TWh, the last validation month, the origin of the test forecasts)."""
    d = load_power_generation(shared_data / "power" / "provincial_generation_monthly_ytd.csv",
                              provinces=["Shandong"], sources=["thermal", "hydro", "wind"])
    keep = d.dates >= np.datetime64("2008-01", "M")
    d = dataclasses.replace(d, dates=d.dates[keep], values=d.values[:, keep])
    p = prepare(d)
    dates = [str(x) for x in p.data.dates]
    s = p.data.series.index("thermal")
    assert p.report["val_end"] == "2019-11"
    assert p.data.values[0, dates.index("2019-11"), s] == pytest.approx(43.04)
    assert p.data.values[0, dates.index("2018-11"), s] < 50
    thermal = [o["date"] for o in p.report["outliers"] if o["series"] == "thermal"]
    assert thermal == ["2018-11"]
