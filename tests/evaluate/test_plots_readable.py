"""Plots a person can read: labelled axes with units, overlapping lines told apart, Chinese
labels drawn (CJK font) or transliterated, never as empty boxes (a missing glyph warns, and
warnings are errors in this suite)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from cpjax.evaluate import plot_forecast, plot_metrics_by_cutoff, plot_text  # noqa: E402
from cpjax.evaluate._plots import _cjk_family  # noqa: E402


def test_identical_forecasts_stay_distinguishable(tmp_path):
    ds = pd.bdate_range("2021-01-01", periods=60)
    same = np.linspace(40, 50, 60) + 0.5
    y = np.linspace(40, 50, 60)
    y[10] = np.nan  # a missing actual value is a gap, not an error
    ax = plot_forecast(ds, y, {"persistence": same, "arima": same}, ylabel="close",
                       units="CNY/t", title="close (prices.csv)", path=tmp_path / "f.png")
    actual, a, b = ax.get_lines()
    assert (a.get_linestyle(), a.get_marker()) != (b.get_linestyle(), b.get_marker())
    assert a.get_linewidth() > b.get_linewidth()  # the earlier line shows under the later one
    assert a.get_markevery() != b.get_markevery()
    assert ax.get_xlabel() == "date" and ax.get_ylabel() == "close (CNY/t)"
    assert (tmp_path / "f.png").stat().st_size > 0


def test_chinese_labels_are_drawn_or_transliterated(tmp_path):
    ds = pd.bdate_range("2021-01-01", periods=20)
    y = np.linspace(1, 2, 20)
    ax = plot_forecast(ds, y, {"持续预测": y}, ylabel="收盘价", units="元/吨",
                       title="广东碳价", path=tmp_path / "cjk.png")  # no glyph warning
    if _cjk_family() is None:
        assert ax.get_ylabel() == "ShouPanJia (Yuan/Dun)"
        assert ax.get_title() == "GuangDongTanJia"
        assert all(ord(c) < 128 for c in ax.get_legend().get_texts()[1].get_text())
    else:
        assert ax.get_ylabel() == "收盘价 (元/吨)"
    assert plot_text("close") == "close"


def test_metrics_by_cutoff_lines_and_labels(tmp_path):
    cut = pd.date_range("2021-01-31", periods=4, freq="ME")
    df = pd.DataFrame({"cutoff": list(cut) * 2, "model": ["a"] * 4 + ["b"] * 4,
                       "mae": np.r_[np.ones(4), np.ones(4)]})
    ax = plot_metrics_by_cutoff(df, "mae", ylabel="MAE (CNY/t)", path=tmp_path / "m.png")
    a, b = ax.get_lines()
    assert (a.get_linestyle(), a.get_marker()) != (b.get_linestyle(), b.get_marker())
    assert ax.get_ylabel() == "MAE (CNY/t)" and "origin" in ax.get_xlabel()
