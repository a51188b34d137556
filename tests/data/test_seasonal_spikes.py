"""The seasonal-spike outlier rule: a value is replaced only when it disagrees with both its
neighbours and the seasonal pattern (built from the Shandong thermal 2018-11 / 2019-11 case)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cpjax import CpjaxInputError
from cpjax.data import handle_outliers, load_provincial_generation, seasonal_spikes


def _seasonal(n_years: int = 12, seed: int = 0) -> np.ndarray:
    """Monthly series with 3 %/yr growth, a 10 % annual cycle and 2 % noise (like generation)."""
    rng = np.random.default_rng(seed)
    t = np.arange(12 * n_years) / 12.0
    return 30 * np.exp(0.03 * t) * (1 + 0.1 * np.cos(2 * np.pi * t)) * (
        1 + 0.02 * rng.standard_normal(t.size))


def test_spike_replaced_but_the_same_month_a_year_later_kept():
    """The Shandong pattern: month k spikes (+50 %), so month k+12 looks like a deep fall
    against it; the rule replaces k only, and k+12 keeps its value."""
    x = _seasonal()
    k = 12 * 9 + 10  # a November
    clean_k = x[k]
    x[k] *= 1.5
    mask, rep = seasonal_spikes(x, fit_rows=slice(0, 12 * 8))
    assert np.flatnonzero(mask).tolist() == [k]
    # replacement: mean (in logs) of the neighbour and seasonal expectations, recomputed here
    y = np.log(x)
    step = np.diff(y, prepend=np.nan)
    fit = np.arange(x.size) < 12 * 8
    c = [np.nanmedian(step[fit & (np.arange(x.size) % 12 == m)]) for m in range(12)]
    g = np.median(y[12:12 * 8] - y[:12 * 8 - 12])
    n_k = 0.5 * ((y[k - 1] + c[k % 12]) + (y[k + 1] - c[(k + 1) % 12]))
    s_k = 0.5 * ((y[k - 12] + g) + (y[k + 12] - g))
    assert rep[k] == pytest.approx(np.exp(0.5 * (n_k + s_k)), rel=1e-12)
    assert abs(rep[k] / clean_k - 1) < 0.05


def test_level_shift_and_last_value_are_kept():
    """A lasting 20 % level shift agrees with the following months (not a spike); a value at the
    end that only disagrees with last year (one-sided) is kept too."""
    x = _seasonal(seed=1)
    x[100:] *= 1.2
    mask, _ = seasonal_spikes(x, fit_rows=slice(0, 96))
    assert not mask.any()
    y = _seasonal(seed=2)
    y[-13] *= 1.5  # a spike a year before the last month
    mask, _ = seasonal_spikes(y, fit_rows=slice(0, 96))
    assert np.flatnonzero(mask).tolist() == [y.size - 13]


def test_downward_spike_zero_and_missing_values():
    x = _seasonal(seed=3)
    x[50] = 0.0  # a month reported as zero in a positive series
    x[70] = np.nan
    mask, rep = seasonal_spikes(x)
    assert mask[50] and not mask[70] and np.isfinite(rep[50]) and rep[50] > 20
    assert mask.sum() == 1


def test_handle_outliers_spike_method_and_bad_input():
    x = _seasonal(seed=4)
    x[60] *= 0.5
    df = pd.DataFrame({"ds": pd.date_range("2010-01-01", periods=x.size, freq="MS"), "gen": x})
    out, rep = handle_outliers(df, ["gen"], method="spike", fit_rows=slice(0, 96))
    assert rep["row"].tolist() == [60] and out["gen"].iloc[60] == rep["replacement"].iloc[0]
    assert np.array_equal(np.delete(out["gen"].to_numpy(), 60), np.delete(x, 60))
    with pytest.raises(CpjaxInputError, match="unknown outlier method"):
        handle_outliers(df, ["gen"], method="stl")
    with pytest.raises(CpjaxInputError, match="1-D"):
        seasonal_spikes(np.ones((3, 12)))


@pytest.mark.realdata
def test_shandong_thermal_2018_11_replaced_2019_11_kept(shared_data):
    """Real case: NBS Shandong thermal 2018-11 = 65.18 TWh (neighbours 51.59, 48.12) is a spike;
    2019-11 = 43.04 TWh agrees with its neighbours (40.75, 46.70) and with 2020-11 (44.01), so it
    stays as published. Fences from 2008-01..2017-10 (the training months of the README run)."""
    df = load_provincial_generation(data_dir=shared_data)
    sd = df[(df.province == "Shandong") & (df.source == "thermal")
            & (df.ds >= "2008-01-01") & (df.ds <= "2019-11-01")]
    x = sd["generation_1e4kwh"].to_numpy() * 1e-5  # TWh
    dates = sd["ds"].dt.strftime("%Y-%m").tolist()
    assert x[dates.index("2019-11")] == pytest.approx(43.04)
    mask, rep = seasonal_spikes(x, fit_rows=slice(0, dates.index("2017-10") + 1))
    flagged = [dates[i] for i in np.flatnonzero(mask)]
    assert "2018-11" in flagged and "2019-11" not in flagged
    assert 38 < rep[dates.index("2018-11")] < 48
