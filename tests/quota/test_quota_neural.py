"""The adapter that lets a forecasting-registry network serve as a quota output model."""

from __future__ import annotations

import numpy as np
import pytest

from cpjax import CpjaxInputError
from cpjax.quota import network_output_model


def test_lstm_output_model_follows_a_trend():
    t = np.arange(96, dtype=np.float64)
    y = 100.0 + 2.0 * t + 5.0 * np.sin(2 * np.pi * t / 12)
    fp = network_output_model("lstm", epochs=60, hidden_size=8, num_layers=1)
    pred = fp(y[:84], 12, 12)
    assert pred.shape == (12,) and np.all(np.isfinite(pred))
    # a flat forecast at the training mean is far off a trending series; the network must beat it
    flat = np.full(12, y[:84].mean())
    assert np.abs(pred - y[84:]).mean() < 0.5 * np.abs(flat - y[84:]).mean()


def test_unknown_network_fails_early():
    with pytest.raises(CpjaxInputError, match="lstm"):
        network_output_model("lstmm")
