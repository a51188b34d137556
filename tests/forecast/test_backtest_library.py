"""backtest: origins, no look-ahead, refit modes, per-cutoff metrics and intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cpjax._errors import CpjaxInputError
from cpjax.data import demo_market
from cpjax.forecast import DataConfig, DataSpec, ForecasterConfig, backtest
from cpjax.train import TrainConfig

CFG = ForecasterConfig(data=DataConfig(lookback=5), train=TrainConfig(epochs=1))


@pytest.fixture(scope="module")
def market():
    return demo_market(n_days=400)


@pytest.fixture(scope="module")
def run(market):
    return backtest(DataSpec(market, target="close"), models=["drift"], config=CFG, levels=(80, 95))


def test_twelve_monthly_origins(run, market):
    cv = run.cv
    cutoffs = pd.DatetimeIndex(sorted(cv["cutoff"].unique()))
    assert len(cutoffs) == 12
    months = pd.DatetimeIndex(market["ds"]).to_period("M").unique()[-12:]
    for c, m, (_, g) in zip(cutoffs, months, cv.groupby("cutoff")):
        assert (g["ds"] > c).all()
        assert (pd.DatetimeIndex(g["ds"]).to_period("M") == m).all()
    # every trading day of the last 12 months is forecast exactly once
    last12 = market[pd.DatetimeIndex(market["ds"]).to_period("M").isin(months)]
    assert len(cv) == len(last12) and set(cv["ds"]) == set(last12["ds"])
    # persistence's forecast is the previous close
    prev = market.set_index("ds")["close"].shift(1)
    assert np.allclose(cv["persistence"], prev.reindex(cv["ds"]).to_numpy())


def test_metrics_by_cutoff_match_forecasts(run):
    m = run.metrics_by_cutoff
    assert set(m["model"]) == {"persistence", "drift"} and len(m) == 24
    g = run.cv[run.cv["cutoff"] == run.cv["cutoff"].iloc[0]]
    row = m[(m["model"] == "drift") & (m["cutoff"] == g["cutoff"].iloc[0])].iloc[0]
    assert row["mae"] == pytest.approx(float(np.mean(np.abs(g["y"] - g["drift"]))))
    inside = (g["drift-lo-95"] <= g["y"]) & (g["y"] <= g["drift-hi-95"])
    assert row["coverage_95"] == pytest.approx(inside.mean())
    o = run.overall.set_index("model")
    assert o.loc["drift", "mae"] == pytest.approx(float(np.mean(np.abs(run.cv["y"] - run.cv["drift"]))))
    assert o.loc["drift", "n_fits"] == 12
    assert set(run.tests["reference"]) == {"drift", "persistence"}


def test_no_look_ahead(market):
    """Forecasts and intervals of an origin do not change when later rows change."""
    kw = dict(models=["svr"], config=CFG, n_windows=3, step=20, levels=(90,))
    a = backtest(DataSpec(market, target="close"), **kw).cv
    changed = market.copy()
    cols = [c for c in market.columns if c != "ds"]
    changed.loc[len(market) - 20:, cols] *= 1.5  # only the last block
    b = backtest(DataSpec(changed, target="close"), **kw).cv
    first_two = a["cutoff"] < a["cutoff"].max()
    for c in ("svr", "svr-lo-90", "svr-hi-90"):
        assert np.allclose(a.loc[first_two, c], b.loc[first_two, c])
    assert not np.allclose(a.loc[~first_two, "y"], b.loc[~first_two, "y"])


def test_no_refit_trains_once_and_sliding_mode(market):
    run = backtest(DataSpec(market, target="close"), models=["svr"], config=CFG, n_windows=3,
                   step=20, refit=False, mode="sliding", levels=())
    assert run.overall.set_index("model").loc["svr", "n_fits"] == 1
    assert len(run.cv) == 60 and not [c for c in run.cv.columns if "-lo-" in c]
    refit = backtest(DataSpec(market, target="close"), models=["svr"], config=CFG, n_windows=3,
                     step=20, refit=True, mode="sliding", levels=())
    first = run.cv["cutoff"] == run.cv["cutoff"].min()
    assert np.allclose(run.cv.loc[first, "svr"], refit.cv.loc[first, "svr"])
    assert not np.allclose(run.cv.loc[~first, "svr"], refit.cv.loc[~first, "svr"])


def test_too_few_rows_for_the_origins(market):
    with pytest.raises(CpjaxInputError, match="rolling windows"):
        backtest(DataSpec(market.iloc[:150], target="close"), models=["drift"], config=CFG)
    with pytest.raises(CpjaxInputError, match="lookback"):
        backtest(DataSpec(market.iloc[:290], target="close"), models=["drift"],
                 config=ForecasterConfig(data=DataConfig(lookback=60)))
    with pytest.raises(CpjaxInputError, match="n_windows"):
        backtest(DataSpec(market, target="close"), models=["drift"], config=CFG, n_windows=0)
