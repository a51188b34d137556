"""DataSpec: the one data specification of run_forecast, compare_models, run_ablation, backtest
and tune."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from cpjax import CpjaxInputError
from cpjax.data import demo_market
from cpjax.forecast import (
    DataConfig,
    DataSpec,
    Forecaster,
    ForecasterConfig,
    backtest,
    compare_models,
    run_forecast,
)


@pytest.fixture(scope="module")
def market():
    return demo_market(n_days=260)


@pytest.mark.parametrize("kw, match", [
    (dict(split=0.7, test_start="2021-01-01"), "either split"),
    (dict(features=["open"], select="pcc"), "either features"),
    (dict(select="pearson"), "unknown feature selection"),
    (dict(split=1.5), "fraction in"),
    (dict(split=True), "fraction in"),
    (dict(features=["open", 3]), "column names"),
])
def test_contradictory_or_invalid_settings_are_refused_when_made(market, kw, match):
    with pytest.raises(CpjaxInputError, match=match):
        DataSpec(market, **kw)


def test_data_must_be_a_table_or_a_path():
    with pytest.raises(CpjaxInputError, match="DataFrame or the path"):
        DataSpec(np.zeros((3, 2)))


def test_frozen_and_features_kept_as_a_tuple(market):
    spec = DataSpec(market, features=["open", "high"])
    assert spec.features == ("open", "high")
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.split = 0.5  # type: ignore[misc]


def test_load_split_and_test_start(market):
    d = DataSpec(market, target="close").load()
    assert d.n_train == int(np.floor(0.7 * len(market))) and d.target == "close"
    assert d.features is None and d.selection is None
    start = market["ds"].iloc[200]
    d2 = DataSpec(market, test_start=start).load()
    assert d2.n_train == 200 and d2.target == "close"  # no y column: close


def test_long_table_series_is_picked(market):
    long = pd.concat([market[["ds", "close"]].rename(columns={"close": "y"}).assign(unique_id=u)
                      for u in ("a", "b")])
    long.loc[long["unique_id"] == "b", "y"] += 100.0
    d = DataSpec(long, unique_id="b").load()
    assert len(d.frame) == len(market)
    assert np.allclose(d.frame["y"].to_numpy(), market["close"].to_numpy() + 100.0)


def test_selection_reads_the_training_rows_only(market):
    spec = DataSpec(market, target="close", select="pcc", split=0.7)
    a = spec.load()
    changed = market.copy()
    n = a.n_train
    cols = [c for c in market.columns if c not in ("ds", "close")]
    rng = np.random.default_rng(0)
    changed.loc[n:, cols] = rng.normal(size=(len(market) - n, len(cols)))  # test part only
    b = dataclasses.replace(spec, data=changed).load()
    assert a.features == b.features
    pd.testing.assert_frame_equal(a.selection, b.selection)


def test_harnesses_agree_on_the_training_end(market):
    spec = DataSpec(market, target="close", test_start=market["ds"].iloc[190])
    cfg = ForecasterConfig(model="drift", data=DataConfig(lookback=5))
    run = run_forecast(spec, None, config=cfg, references=())
    cmp = compare_models(spec, models=["drift"], config=cfg, levels=())
    assert run.forecasters["drift"].train_end_ == market["ds"].iloc[189]
    assert cmp.info["train_end"] == str(market["ds"].iloc[189].date())
    assert cmp.info["data_spec"]["test_start"] == str(market["ds"].iloc[190])


def test_backtest_refuses_a_split(market):
    with pytest.raises(CpjaxInputError, match="rolling origins"):
        backtest(DataSpec(market, split=0.7), models=["drift"], n_windows=2, step=20)


def test_search_with_train_rows_reads_only_those_rows(market):
    """Forecaster(search=...).fit(train_rows=n) (a backtest's refit) tunes on rows < n only."""
    space = {"method": "grid", "params": {"lookback": [3, 6]},
             "validation": {"windows": 2, "step": 15}}
    n = 180
    changed = market.copy()
    changed.loc[n:, [c for c in market.columns if c != "ds"]] *= 3.0
    res = []
    for df in (market, changed):
        f = Forecaster(config=ForecasterConfig(model="drift"), search=space)
        f.fit(df, target="close", train_rows=n)
        res.append(f.search_result_)
    pd.testing.assert_frame_equal(res[0].trials, res[1].trials)
    assert res[0].info["training_end"] == str(market["ds"].iloc[n - 1].date())


def test_harnesses_refuse_a_foreign_output_folder_before_training(market, tmp_path, monkeypatch):
    from cpjax.forecast import run_ablation
    from cpjax.forecast._forecaster import Forecaster as F

    def no_training(*a, **k):
        raise AssertionError("trained before the output folder was checked")

    monkeypatch.setattr(F, "fit", no_training)
    monkeypatch.setattr("cpjax.forecast._backtest.fit_forecasters", no_training)

    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("not a cpjax run")
    spec = DataSpec(market, target="close")
    cfg = ForecasterConfig(model="drift", data=DataConfig(lookback=5))
    for call in (lambda: compare_models(spec, out, models=["drift"], config=cfg),
                 lambda: backtest(spec, out, models=["drift"], config=cfg, n_windows=2, step=20),
                 lambda: run_ablation(spec, out, config=cfg, rows=[], references=("drift",))):
        with pytest.raises(CpjaxInputError, match="out"):
            call()
    assert [p.name for p in out.iterdir()] == ["notes.txt"]
