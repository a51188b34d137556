"""Docstring examples run, and the metrics behave on the real development data."""

from __future__ import annotations

import doctest
import importlib

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from cpjax.evaluate import (
    comparison_tests,
    conformal_intervals,
    diebold_mariano,
    empirical_coverage,
    mase,
    metric_table,
)


@pytest.mark.parametrize(
    "module", ["_metrics", "_spikes", "_tables", "_tests", "_conformal", "_plots", "_probabilistic"]
)
def test_docstring_examples(module):
    mod = importlib.import_module(f"cpjax.evaluate.{module}")
    result = doctest.testmod(mod, globs={"np": np, **vars(mod)}, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


@pytest.mark.realdata
def test_guangdong_persistence(shared_data):
    df = pd.read_csv(shared_data / "china_pilots" / "guangdong_ohlcv.csv", parse_dates=["date"])
    y = df["close"].to_numpy(dtype=np.float64)
    n_train = int(0.7 * y.size)
    y_train, y_test, last = y[:n_train], y[n_train:], y[n_train - 1 : -1]
    # persistence scored on its own training data has MASE exactly 1
    assert mase(y_train[1:], y_train[:-1], y_train=y_train) == pytest.approx(1.0)
    preds = {
        "persistence": last,
        "ma5": np.array([y[i - 5 : i].mean() for i in range(n_train, y.size)]),
    }
    table = metric_table(
        y_test, preds, last=last, y_train=y_train, minmax=(y_train.min(), y_train.max())
    )
    assert np.isfinite(
        table[["mse", "rmse", "mae", "r2", "mape", "smape", "mase"]].to_numpy()
    ).all()
    tests = comparison_tests(y_test, preds, "persistence")
    d = np.abs(y_test - preds["ma5"]) - np.abs(y_test - last)
    assert tests.loc[0, "dm_stat"] == pytest.approx(stats.ttest_1samp(d, 0.0).statistic)
    e1, e2 = y_test - preds["ma5"], y_test - last
    assert np.isfinite(diebold_mariano(e1, e2, h=5).pvalue)
    cal = y_train[-250:] - y_train[-251:-1]
    lo, hi = conformal_intervals(cal, last, levels=(95,))[95]
    assert 0.5 < empirical_coverage(y_test, lo, hi) <= 1.0
