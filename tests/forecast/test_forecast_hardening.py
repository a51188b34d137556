"""run_forecast and prepare on awkward data: missing test targets, extreme values, splits and
lookbacks at the edge, names checked before any training.  Only statistical models (no
training), so these are quick."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from cpjax import CpjaxInputError
from cpjax.data import data_report, demo_market
from cpjax.forecast import DataConfig, DataSpec, Forecaster, ForecasterConfig, run_forecast
from cpjax.forecast._prepare import check_split

CFG = ForecasterConfig(model="persistence", data=DataConfig(lookback=5))


@pytest.fixture(scope="module")
def market():
    return demo_market(n_days=260)[["ds", "close", "open"]]


def test_missing_test_targets_are_blank_flagged_and_not_scored(market, tmp_path):
    df = market.copy()
    n = len(df)
    gap = list(range(n - 30, n - 27))  # 3 missing test-period targets (filled linearly)
    df.loc[gap, "close"] = np.nan
    run = run_forecast(DataSpec(df, target="close"), tmp_path / "o", config=CFG,
                       references=("drift",))
    fc = pd.read_csv(tmp_path / "o" / "forecasts.csv", parse_dates=["ds"])
    missing = set(df["ds"].iloc[gap])
    flagged = fc.loc[~fc["y_observed"], "ds"]
    assert set(flagged) == missing and fc.loc[~fc["y_observed"], "y"].isna().all()
    ok = fc[fc["y_observed"]]
    metrics = pd.read_csv(tmp_path / "o" / "metrics.csv").set_index("model")
    for m in ("persistence", "drift"):
        rmse = float(np.sqrt(np.mean((ok["y"] - ok[m]) ** 2)))
        assert metrics.loc[m, "rmse"] == pytest.approx(rmse, rel=1e-12)
        assert metrics.loc[m, "n_scored"] == len(ok) == len(fc) - len(gap)
    imp = pd.read_csv(tmp_path / "o" / "imputation.csv")
    assert set(imp["part"]) == {"test"} and imp["rows"].sum() == len(gap)
    assert {"column", "first_date", "method", "ks_pvalue", "ks_check"} <= set(imp.columns)
    assert any("not scored" in n for n in run.notes)


def test_training_gap_reported_in_imputation_csv(market, tmp_path):
    df = market.copy()
    df.loc[[20, 21, 60], "open"] = np.nan
    run_forecast(DataSpec(df, target="close"), tmp_path / "o", config=CFG, references=())
    imp = pd.read_csv(tmp_path / "o" / "imputation.csv")
    assert list(imp["column"]) == ["open", "open"] and list(imp["rows"]) == [2, 1]
    assert set(imp["part"]) == {"training"} and set(imp["method"]) == {"linear"}
    assert imp["first_date"].tolist() == [str(df["ds"].iloc[20].date()),
                                          str(df["ds"].iloc[60].date())]


def test_absurd_value_refused_before_it_flattens_the_scaling(market):
    df = market.copy()
    df.loc[50, "close"] = 1e300
    with pytest.raises(CpjaxInputError, match=r"1e\+300 at row 50.*flatten the scaling"):
        Forecaster(config=CFG).fit(df, "close")


def test_extreme_values_and_jumps_in_the_data_report(market, tmp_path):
    df = market.copy()
    level = float(df["close"].median())
    df.loc[100, "close"] = level * 20        # one wild value: extreme, and two jumps
    df.loc[150:, "open"] = df.loc[150:, "open"] + 40 * df["open"].diff().abs().median() * 30
    run_forecast(DataSpec(df, target="close"), tmp_path / "o", config=CFG, references=())
    rep = json.loads((tmp_path / "o" / "data_report.json").read_text())
    close = rep["columns"]["close"]
    assert [e["date"] for e in close["extreme"]] == [str(df["ds"].iloc[100].date())]
    assert {100, 101} <= {j["row"] for j in close["jumps"]}  # (the demo market has spikes too)
    assert 150 in {j["row"] for j in rep["columns"]["open"]["jumps"]}
    assert rep["rows"] == len(df) and rep["target"] == "close"


def test_data_report_robust_z_matches_an_independent_computation(market):
    v = market["close"].to_numpy()
    rep = data_report(market.assign(close=np.where(np.arange(len(v)) == 7, v * 10, v)),
                      ["close"], target="close")
    x = np.where(np.arange(len(v)) == 7, v * 10, v)
    med = np.median(x)
    z = abs(x[7] - med) / (1.4826 * np.median(np.abs(x - med)))
    assert rep["columns"]["close"]["extreme"][0]["robust_z"] == pytest.approx(z)


def test_split_too_close_to_the_end_suggests_a_split_that_works(market):
    dates = pd.DatetimeIndex(market["ds"])
    n = len(dates)
    with pytest.raises(CpjaxInputError) as err:
        check_split(dates, int(0.99 * n), lookback=10, horizon=1, min_test=5)
    msg = str(err.value)
    assert "at least 5" in msg
    split = float(re.search(r"--split ([0-9.]+) or less", msg).group(1))
    start = re.search(r"--test-start (\S+) or earlier", msg).group(1)
    check_split(dates, int(np.floor(n * split)), lookback=10, horizon=1, min_test=5)
    n_train = int(np.searchsorted(dates.values, np.datetime64(start)))
    check_split(dates, n_train, lookback=10, horizon=1, min_test=5)
    f = Forecaster(config=CFG).fit(market, "close", split=split)
    assert len(f.predict()) >= 5


def test_lookback_suggestion_actually_works(market):
    short = market.iloc[:60]
    with pytest.raises(CpjaxInputError, match=r"--lookback (\d+) or less") as err:
        Forecaster(config=ForecasterConfig(model="persistence", data=DataConfig(lookback=55))).fit(short, "close")
    most = int(re.search(r"--lookback (\d+) or less", str(err.value)).group(1))
    Forecaster(config=ForecasterConfig(model="persistence", data=DataConfig(lookback=most))).fit(short, "close")
    with pytest.raises(CpjaxInputError):
        Forecaster(config=ForecasterConfig(model="persistence", data=DataConfig(lookback=most + 1))
                   ).fit(short, "close")


def test_unknown_reference_refused_before_any_fit(market, monkeypatch):
    def no_fit(self, *a, **k):
        raise AssertionError("a model was fitted before the references were checked")

    monkeypatch.setattr(Forecaster, "fit", no_fit)
    with pytest.raises(CpjaxInputError, match="persistance.*did you mean 'persistence'"):
        run_forecast(market, None, config=ForecasterConfig(model="lstm"),
                     references=("persistance",))


def test_test_start_that_is_not_a_date(market):
    with pytest.raises(CpjaxInputError, match="'yesterday' is not a date"):
        Forecaster(config=CFG).fit(market, "close", test_start="yesterday")


def test_undefined_metrics_are_flagged_in_their_row(tmp_path):
    ds = pd.bdate_range("2021-01-01", periods=80)
    y = np.concatenate([np.linspace(10, 20, 60), np.full(20, 20.0)])  # constant test part
    df = pd.DataFrame({"ds": ds, "y": y})
    run = run_forecast(DataSpec(df, split=0.75), None,
                       config=ForecasterConfig(model="persistence", data=DataConfig(lookback=5)),
                       references=())
    row = run.metrics.iloc[0]
    assert np.isnan(row["r2"]) and "r2" in row["note"]
    finite = [c for c in run.metrics.columns if c not in ("model", "note")
              and c not in row["note"] and isinstance(row[c], float)]
    assert all(np.isfinite(row[c]) for c in finite if not c.endswith("_std"))
