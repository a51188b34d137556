"""Point metrics and spike metrics against scikit-learn, hand computations and invariants."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings, strategies as st
from hypothesis.extra.numpy import arrays
from sklearn import metrics as skm

from cpjax._errors import CpjaxInputError
from cpjax.evaluate import (
    directional_accuracy,
    hit_rate_above,
    mae,
    mape,
    mase,
    mse,
    persistence_scale,
    r2,
    rmse,
    smape,
    spike_scores,
)

RNG = np.random.default_rng(20261121)
Y = 50.0 + RNG.normal(size=40).cumsum()
P = Y + RNG.normal(scale=0.7, size=40)

finite = st.floats(min_value=-1e3, max_value=1e3, allow_nan=False, allow_infinity=False)
positive = st.floats(min_value=1.0, max_value=1e3, allow_nan=False, allow_infinity=False)


def pair(elements, min_size=3, max_size=30):
    return st.integers(min_size, max_size).flatmap(
        lambda n: st.tuples(
            arrays(np.float64, n, elements=elements), arrays(np.float64, n, elements=elements)
        )
    )


# --- against scikit-learn -------------------------------------------------------------------


def test_against_sklearn():
    assert mse(Y, P) == pytest.approx(skm.mean_squared_error(Y, P), rel=1e-12)
    assert rmse(Y, P) == pytest.approx(skm.root_mean_squared_error(Y, P), rel=1e-12)
    assert mae(Y, P) == pytest.approx(skm.mean_absolute_error(Y, P), rel=1e-12)
    assert r2(Y, P) == pytest.approx(skm.r2_score(Y, P), rel=1e-12)
    # sklearn's MAPE is a fraction; ours is percent.
    assert mape(Y, P) == pytest.approx(100 * skm.mean_absolute_percentage_error(Y, P), rel=1e-12)


def test_mape_zeros():
    y = np.array([0.0, 2.0, 4.0])
    p = np.array([1.0, 1.0, 5.0])
    assert mape(y, p) == pytest.approx(100 * (0.5 + 0.25) / 2)  # zero day skipped
    assert mape(y, p, zeros="eps") == pytest.approx(
        100 * skm.mean_absolute_percentage_error(y, p), rel=1e-12
    )
    assert math.isnan(mape([0.0, 0.0], [1.0, 2.0]))
    with pytest.raises(CpjaxInputError, match="zeros"):
        mape(y, p, zeros="drop")


# --- hand computations ----------------------------------------------------------------------


def test_hand_values():
    y, p = [1.0, 2.0, 3.0, 4.0], [2.0, 2.0, 2.0, 6.0]
    assert mse(y, p) == pytest.approx((1 + 0 + 1 + 4) / 4)
    assert rmse(y, p) == pytest.approx(math.sqrt(1.5))
    assert mae(y, p) == pytest.approx(1.0)
    assert r2(y, p) == pytest.approx(1 - 6 / 5)
    # sMAPE: 2|e|/(|y|+|p|) = 2/3, 0, 2/5, 4/10
    assert smape(y, p) == pytest.approx(100 * (2 / 3 + 0 + 0.4 + 0.4) / 4)
    assert smape([0.0, 1.0], [0.0, 1.0]) == 0.0  # 0/0 days count as zero error
    # persistence scale of [1, 3, 2, 6] is mean(2, 1, 4) = 7/3
    assert persistence_scale([1.0, 3.0, 2.0, 6.0]) == pytest.approx(7 / 3)
    assert mase(y, p, y_train=[1.0, 3.0, 2.0, 6.0]) == pytest.approx(1.0 / (7 / 3))
    assert mase(y, p, scale=0.5) == pytest.approx(2.0)
    assert persistence_scale([1.0, 5.0, 2.0, 6.0, 3.0], m=2) == pytest.approx((1 + 1 + 1) / 3)


def test_directional_accuracy_hand():
    last = [10.0, 10.0, 10.0, 10.0]
    y = [11.0, 9.0, 10.0, 12.0]
    p = [10.5, 9.5, 10.0, 9.0]  # up/up, down/down, flat/flat, up/down
    assert directional_accuracy(y, p, last=last) == pytest.approx(0.75)
    # without last: previous actual value; days 2..n: (9 vs 11): y down, p 9.5<11 down -> hit;
    # (10 vs 9): y up, p 10 > 9 up -> hit; (12 vs 10): y up, p 9 < 10 -> miss
    assert directional_accuracy(y, p) == pytest.approx(2 / 3)


def test_spike_scores_hand():
    last = np.full(6, 100.0)
    y = np.array([106.0, 104.0, 110.0, 100.0, 107.0, 95.0])  # spikes: days 0, 2, 4
    p = np.array([107.0, 106.0, 101.0, 100.0, 108.0, 99.0])  # predicted: days 0, 1, 4
    s = spike_scores(y, p, last)
    assert s["n_spikes"] == 3 and s["n_predicted"] == 3
    assert s["precision"] == pytest.approx(2 / 3)
    assert s["recall"] == pytest.approx(2 / 3)
    assert s["f1"] == pytest.approx(2 / 3)
    # a rise of exactly 5 % is not a spike (strictly greater)
    assert spike_scores([105.0], [105.0], [100.0])["n_spikes"] == 0
    none = spike_scores([100.0, 101.0], [100.0, 101.0], [100.0, 100.0])
    assert math.isnan(none["precision"]) and math.isnan(none["recall"]) and math.isnan(none["f1"])
    miss = spike_scores([110.0, 100.0], [100.0, 110.0], [100.0, 100.0])
    assert miss["precision"] == 0.0 and miss["recall"] == 0.0 and miss["f1"] == 0.0
    with pytest.raises(CpjaxInputError, match="non-positive"):
        spike_scores([1.0], [1.0], [0.0])


def test_hit_rate_above_hand():
    y = [79.0, 81.0, 85.0, 90.0, 70.0]
    p = [82.0, 80.0, 86.0, 95.0, 85.0]
    assert hit_rate_above(y, p, level=80.0) == pytest.approx(2 / 3)
    assert math.isnan(hit_rate_above([10.0], [90.0]))


# --- edge cases ----------------------------------------------------------------------------


@pytest.mark.parametrize("f", [mse, rmse, mae, r2, mape, smape, directional_accuracy])
def test_length_mismatch_and_bad_values(f):
    with pytest.raises(CpjaxInputError, match="3 values but y_pred has 2"):
        f([1.0, 2.0, 3.0], [1.0, 2.0])
    with pytest.raises(CpjaxInputError, match="NaN"):
        f([1.0, float("nan"), 3.0], [1.0, 2.0, 3.0])
    with pytest.raises(CpjaxInputError, match="empty"):
        f([], [])


def test_other_edge_cases():
    assert math.isnan(r2([2.0, 2.0, 2.0], [1.0, 2.0, 3.0]))
    with pytest.raises(CpjaxInputError, match="exactly one"):
        mase([1.0], [1.0])
    with pytest.raises(CpjaxInputError, match="constant training"):
        mase([1.0], [2.0], y_train=[3.0, 3.0, 3.0])
    with pytest.raises(CpjaxInputError, match="too few"):
        persistence_scale([1.0])
    with pytest.raises(CpjaxInputError, match="last has 1 values"):
        directional_accuracy([1.0, 2.0], [1.0, 2.0], last=[1.0])
    with pytest.raises(CpjaxInputError, match="one series"):
        mse(np.ones((3, 2)), np.ones((3, 2)))
    # column vectors are fine
    assert mse(np.ones((3, 1)), np.zeros(3)) == 1.0


# --- properties ----------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(pair(finite))
def test_rmse_squared_is_mse(yp):
    y, p = yp
    assert rmse(y, p) ** 2 == pytest.approx(mse(y, p), rel=1e-9, abs=1e-12)
    assert mae(y, p) <= rmse(y, p) * (1 + 1e-12) + 1e-12


@settings(max_examples=60, deadline=None)
@given(pair(finite), st.floats(0.01, 100.0), st.floats(-100.0, 100.0))
def test_r2_affine_invariant(yp, a, b):
    y, p = yp
    assume(np.ptp(y) > 1e-3)
    assert r2(a * y + b, a * p + b) == pytest.approx(r2(y, p), rel=1e-6, abs=1e-8)


@settings(max_examples=60, deadline=None)
@given(pair(positive), st.floats(0.01, 100.0))
def test_percentage_metrics_scale_invariant(yp, c):
    y, p = yp
    assert mape(c * y, c * p) == pytest.approx(mape(y, p), rel=1e-9)
    assert smape(c * y, c * p) == pytest.approx(smape(y, p), rel=1e-9)
    assert 0.0 <= smape(y, p) <= 200.0


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, st.integers(3, 40), elements=finite), st.floats(0.01, 100.0))
def test_mase_of_persistence_on_training_is_one(y, c):
    assume(np.sum(np.abs(np.diff(y))) > 1e-6)
    assert mase(y[1:], y[:-1], y_train=y) == pytest.approx(1.0, rel=1e-9)
    assert mase(c * y[1:], c * y[:-1] + 0.0, y_train=c * y) == pytest.approx(1.0, rel=1e-9)


@settings(max_examples=60, deadline=None)
@given(pair(finite), arrays(np.float64, 30, elements=finite))
def test_directional_accuracy_bounds(yp, last_pool):
    y, p = yp
    last = last_pool[: y.size]
    da = directional_accuracy(y, p, last=last)
    assert 0.0 <= da <= 1.0
    assert directional_accuracy(y, y, last=last) == 1.0


def test_accepts_jax_and_pandas_inputs():
    jnp = pytest.importorskip("jax.numpy")
    assert mse(jnp.arange(3.0), jnp.arange(3.0) + 1.0) == 1.0
    # Series are used by position (their index is ignored)
    import pandas as pd

    assert mae(pd.Series([1.0, 2.0], index=[5, 6]), pd.Series([1.0, 3.0], index=[6, 5])) == 0.5
