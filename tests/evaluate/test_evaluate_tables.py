"""metric_table, mean_std_table and the Markdown writer."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from cpjax._errors import CpjaxInputError
from cpjax.evaluate import (
    DEFAULT_METRICS,
    METRICS,
    directional_accuracy,
    format_table,
    mase,
    mean_std_table,
    metric_table,
    mse,
    r2,
    spike_scores,
)

RNG = np.random.default_rng(1)
TRAIN = 60 + RNG.normal(size=100).cumsum()
Y = TRAIN[-1] + RNG.normal(size=30).cumsum()
LAST = np.r_[TRAIN[-1], Y[:-1]]
PREDS = {"persistence": LAST, "noisy": Y + RNG.normal(scale=0.5, size=30)}


def test_metric_table_values():
    t = metric_table(Y, PREDS, last=LAST, y_train=TRAIN)
    assert list(t.columns) == list(DEFAULT_METRICS)
    assert list(t.index) == ["persistence", "noisy"] and t.index.name == "model"
    assert t.loc["noisy", "mse"] == pytest.approx(mse(Y, PREDS["noisy"]))
    assert t.loc["noisy", "mase"] == pytest.approx(mase(Y, PREDS["noisy"], y_train=TRAIN))
    assert t.loc["noisy", "da"] == pytest.approx(directional_accuracy(Y, PREDS["noisy"], last=LAST))
    # persistence never moves: sign(0) matches only flat days, of which there are none
    assert t.loc["persistence", "da"] == 0.0


def test_metric_table_missing_inputs_and_minmax():
    t = metric_table(Y, PREDS)
    assert t["mase"].isna().all() and t["da"].isna().all()
    with pytest.raises(CpjaxInputError, match="needs y_train"):
        metric_table(Y, PREDS, metrics=["mase"])
    with pytest.raises(CpjaxInputError, match="did you mean 'rmse'"):
        metric_table(Y, PREDS, metrics=["rmsee"])
    lo, hi = TRAIN.min(), TRAIN.max()
    t = metric_table(Y, PREDS, minmax=(lo, hi), metrics=["mse", "mae", "r2", "mase"], y_train=TRAIN)
    assert list(t.columns) == ["mse", "mae", "r2", "mase", "mse_mm", "mae_mm", "r2_mm"]
    assert t.loc["noisy", "mse_mm"] == pytest.approx(t.loc["noisy", "mse"] / (hi - lo) ** 2)
    assert t.loc["noisy", "mae_mm"] == pytest.approx(t.loc["noisy", "mae"] / (hi - lo))
    assert t.loc["noisy", "r2_mm"] == pytest.approx(r2(Y, PREDS["noisy"]))
    with pytest.raises(CpjaxInputError, match="lo < hi"):
        metric_table(Y, PREDS, minmax=(1.0, 1.0))
    with pytest.raises(CpjaxInputError, match="forecasts of 'x' has 2 values"):
        metric_table(Y, {"x": [1.0, 2.0]})


def test_metric_table_spike_columns_and_dataframe_input():
    up = LAST * 1.06
    level = float(np.median(Y))
    t = metric_table(
        Y,
        pd.DataFrame({"up": up}),
        last=LAST,
        metrics=["spike_recall", "spike_precision", "spike_f1", "hit_rate"],
        level=level,
    )
    s = spike_scores(Y, up, LAST)
    assert t.loc["up", "spike_precision"] == pytest.approx(s["precision"], nan_ok=True)
    assert t.loc["up", "spike_recall"] == pytest.approx(s["recall"], nan_ok=True)
    assert t.loc["up", "hit_rate"] == pytest.approx(np.mean(up[Y > level] > level))
    assert s["n_predicted"] == 30 and s["precision"] == pytest.approx(s["n_spikes"] / 30)


def test_mean_std_table():
    runs = [
        metric_table(Y, {"a": Y + s, "b": Y - 2 * s}, metrics=["mae", "mse"])
        for s in (0.1, 0.2, 0.6)
    ]
    m = mean_std_table(runs)
    assert list(m.columns) == ["mae_mean", "mae_std", "mse_mean", "mse_std"]
    assert list(m.index) == ["a", "b"]
    assert m.loc["a", "mae_mean"] == pytest.approx(np.mean([0.1, 0.2, 0.6]))
    assert m.loc["a", "mae_std"] == pytest.approx(np.std([0.1, 0.2, 0.6], ddof=1))
    assert m.loc["b", "mse_mean"] == pytest.approx(np.mean([0.04, 0.16, 1.44]))
    # a "model" column instead of the index works as well
    m2 = mean_std_table([r.reset_index() for r in runs])
    pd.testing.assert_frame_equal(m, m2)
    single = mean_std_table(runs[:1])
    assert single["mae_std"].isna().all()
    with pytest.raises(CpjaxInputError, match="no tables"):
        mean_std_table([])


def test_format_table_exact():
    df = pd.DataFrame(
        {"mse": [0.015, float("nan")], "note": ["a|b", "c"], "n": [3, 4]},
        index=pd.Index(["LSTM", "ARIMA"], name="model"),
    )
    assert format_table(df) == (
        "| model | mse | note | n |\n"
        "|:---|---:|:---|---:|\n"
        "| LSTM | 0.0150 | a\\|b | 3 |\n"
        "| ARIMA | nan | c | 4 |\n"
    )
    assert format_table(df, ".2e", index=False, missing="–").splitlines()[3] == "| – | c | 4 |"
    ms = pd.DataFrame(
        {"mse_mean": [0.015], "mse_std": [0.0012], "r2_mean": [0.7]},
        index=pd.Index(["LSTM"], name="model"),
    )
    assert format_table(ms, combine_mean_std=True) == (
        "| model | mse | r2_mean |\n|:---|---:|---:|\n| LSTM | 0.0150 ± 0.0012 | 0.7000 |\n"
    )
    assert not math.isnan(float(format_table(ms).splitlines()[2].split("|")[2]))


@pytest.mark.parametrize("name", sorted(METRICS))
def test_every_registered_metric_on_a_perfect_forecast(name):
    """Conformance: each registered metric runs through metric_table and scores y itself ideally."""
    t = metric_table(Y, {"perfect": Y}, last=LAST, y_train=TRAIN, metrics=[name], level=60.0)
    value = t.loc["perfect", name]
    ideal = {
        "r2": 1.0,
        "da": 1.0,
        "hit_rate": 1.0,
        "spike_precision": 1.0,
        "spike_recall": 1.0,
        "spike_f1": 1.0,
    }.get(name, 0.0)
    if name.startswith("spike") and spike_scores(Y, Y, LAST)["n_spikes"] == 0:
        assert math.isnan(value)
    elif name == "hit_rate" and not np.any(Y > 60.0):
        assert math.isnan(value)
    else:
        assert value == pytest.approx(ideal, abs=1e-12)
