"""Plots render headless to PNG without warnings and draw the expected artists."""

from __future__ import annotations

import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.axes import Axes

from cpjax._errors import CpjaxInputError
from cpjax.evaluate import (
    conformal_intervals,
    plot_error_distribution,
    plot_forecast,
    plot_metrics_by_cutoff,
    save_figure,
)

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
RNG = np.random.default_rng(0)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _is_png(path):
    with open(path, "rb") as fh:
        return fh.read(8) == PNG_MAGIC


def test_plot_forecast(tmp_path):
    ds = pd.date_range("2024-01-01", periods=40, freq="B")
    y = 70 + RNG.normal(size=40).cumsum()
    preds = {"lstm": y + RNG.normal(size=40), "persistence": np.r_[y[0], y[:-1]]}
    iv = {"lstm": conformal_intervals(RNG.normal(size=50), preds["lstm"], levels=(80, 95))}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ax = plot_forecast(ds, y, preds, intervals=iv, title="t", path=tmp_path / "a" / "f.png")
    assert isinstance(ax, Axes)
    assert len(ax.get_lines()) == 3  # actual + 2 models
    assert len(ax.collections) == 2  # one band per level
    assert ax.get_title() == "t"
    assert _is_png(tmp_path / "a" / "f.png")
    with pytest.raises(CpjaxInputError, match="no forecasts"):
        plot_forecast(ds, y, preds, intervals={"gru": iv["lstm"]})
    with pytest.raises(CpjaxInputError, match="forecasts of 'x' has 3 values"):
        plot_forecast(ds, y, {"x": [1.0, 2.0, 3.0]})


def test_plot_forecast_on_given_axes(tmp_path):
    fig, axes = plt.subplots(1, 2)
    ax = plot_forecast(np.arange(5), np.arange(5.0), {"m": np.arange(5.0)}, ax=axes[1])
    assert ax is axes[1]
    path = save_figure(fig, tmp_path / "two.png")
    assert _is_png(path)


def test_plot_error_distribution(tmp_path):
    runs = {"combined": [RNG.normal(scale=s, size=200) for s in (0.5, 0.6, 0.7, 0.8)]}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ax = plot_error_distribution(runs, path=tmp_path / "e.png")
        assert len(ax.patches) == 4  # one step histogram per run
        assert len(ax.get_lines()) == 1  # the zero line
        ax2 = plot_error_distribution(runs, kind="kde")
        assert len(ax2.get_lines()) == 5
    assert _is_png(tmp_path / "e.png")
    wide = pd.DataFrame({f"run {i}": RNG.normal(size=50) for i in range(3)})
    assert len(plot_error_distribution(wide).patches) == 3
    long = pd.DataFrame(
        {
            "model": ["a"] * 40 + ["b"] * 40,
            "run": ([1] * 20 + [2] * 20) * 2,
            "error": RNG.normal(size=80),
        }
    )
    ax3 = plot_error_distribution(long)
    assert len(ax3.patches) == 4
    assert [t.get_text() for t in ax3.get_legend().get_texts()] == ["a 1", "a 2", "b 1", "b 2"]
    with pytest.raises(CpjaxInputError, match="kind"):
        plot_error_distribution(runs, kind="violin")


def test_plot_metrics_by_cutoff(tmp_path):
    cut = pd.date_range("2024-01-01", periods=6, freq="MS")
    long = pd.DataFrame(
        {
            "cutoff": np.tile(cut, 2),
            "model": ["lstm"] * 6 + ["arima"] * 6,
            "rmse": RNG.uniform(1, 2, size=12),
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ax = plot_metrics_by_cutoff(long, "rmse", path=tmp_path / "m.png")
    assert len(ax.get_lines()) == 2
    assert _is_png(tmp_path / "m.png")
    single = long[long["model"] == "lstm"].drop(columns="model")
    assert len(plot_metrics_by_cutoff(single).get_lines()) == 1
    with pytest.raises(CpjaxInputError, match="no column 'mae'"):
        plot_metrics_by_cutoff(long, "mae")


def test_plot_forecast_with_infinite_bounds(tmp_path):
    # 4 calibration residuals: the 95 % interval is infinite and is simply not drawn
    iv = conformal_intervals([0.1, -0.2, 0.3, 0.4], [1.0, 2.0, 3.0], levels=(95, 50))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ax = plot_forecast(
            np.arange(3),
            [1.0, 2.0, 3.0],
            {"m": [1.0, 2.0, 3.0]},
            intervals={"m": iv},
            path=tmp_path / "inf.png",
        )
    lo, hi = ax.get_ylim()
    assert np.isfinite(lo) and np.isfinite(hi) and len(ax.collections) == 2
