"""End to end: table -> imputation -> selection -> scaling -> windows, without leakage."""

from __future__ import annotations

import numpy as np
import pytest

import cpjax.data as D
from cpjax._errors import CpjaxInputError


def _pipeline(df, lookback=10):
    df, _ = D.impute(df)
    split = D.ratio_split(len(df), 0.7)
    _, inputs = D.pearson_select(df, "close", train_end=split.train.size)
    scaler = D.CategoryScaler().fit(df, split.train)
    z = scaler.transform(df)
    w = D.make_windows(z[inputs].to_numpy(), z["close"].to_numpy(), lookback)
    return df, split, inputs, scaler, w


def test_demo_pipeline_round_trips_to_prices():
    raw = D.demo_market(seed=0, n_days=400)
    raw.loc[[50, 51, 200], "csi300"] = np.nan
    df, split, inputs, scaler, w = _pipeline(raw)
    assert len(inputs) == 9 and w.X.shape[1:] == (10, 9)
    te = D.window_indices(w, split.test)
    back = scaler.inverse_transform(w.y[te, 0].astype(np.float64), "close")
    np.testing.assert_allclose(back, df["close"].to_numpy()[w.origin[te] + 1], rtol=1e-5)


def test_guangdong_pipeline(shared_data):
    df, split, inputs, scaler, w = _pipeline(D.load_pilot_ohlcv("guangdong"))
    assert inputs[:5] == ["open", "close", "high", "low", "volume"]
    assert np.isfinite(w.X).all() and len(D.window_indices(w, split.test)) == split.test.size
    assert scaler.params["close"]["category"] == "minmax"
    with pytest.raises(CpjaxInputError, match="csi30"):
        D.validate_columns(df, "close", ["csi30"])
