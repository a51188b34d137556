"""compare_models: metrics, tests and intervals checked against direct computations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from cpjax._errors import CpjaxInputError
from cpjax.data import demo_market
from cpjax.evaluate import conformal_quantile
from cpjax.forecast import (
    DataConfig,
    DataSpec,
    ForecasterConfig,
    RefinerConfig,
    calibration_residuals,
    compare_models,
    parse_models,
)
from cpjax.forecast._compare import default_reference
from cpjax.train import TrainConfig

CFG = ForecasterConfig(data=DataConfig(lookback=5), train=TrainConfig(epochs=1))


@pytest.fixture(scope="module")
def market():
    return demo_market(n_days=260)


@pytest.fixture(scope="module")
def run(market):
    return compare_models(DataSpec(market, target="close", split=0.7), models=["drift", "svr"],
                          config=CFG, price_level=40.0)


def test_table_numbers_match_the_forecasts(run):
    fc, t = run.forecasts, run.table.set_index("model")
    assert list(t.index) == ["persistence", "drift", "svr"]
    for m in t.index:
        e = fc["y"] - fc[m]
        assert t.loc[m, "rmse"] == pytest.approx(float(np.sqrt(np.mean(e**2))))
        assert t.loc[m, "mae"] == pytest.approx(float(np.mean(np.abs(e))))
    # persistence forecasts the last observed value; its forecast of day t is y_{t-1}
    assert np.allclose(fc["persistence"].to_numpy()[1:], fc["y"].to_numpy()[:-1])
    # spike recall by hand for svr
    last = fc["persistence"].to_numpy()
    actual = (fc["y"] - last) / last > 0.05
    pred = (fc["svr"] - last) / last > 0.05
    rec = (actual & pred).sum() / actual.sum() if actual.sum() else np.nan
    assert t.loc["svr", "spike_recall"] == pytest.approx(rec, nan_ok=True)
    hit = ((fc["y"] > 40) & (fc["svr"] > 40)).sum() / (fc["y"] > 40).sum()
    assert t.loc["svr", "hit_rate"] == pytest.approx(hit)
    for c in ("train_s", "predict_s", "latency_ms"):
        assert (t[c] >= 0).all()


def test_tests_table_matches_scipy(run):
    fc, tests = run.forecasts, run.tests
    assert run.reference == "drift"  # no hybrid or lstm compared: first non-persistence model
    assert set(tests["reference"]) == {"drift", "persistence"}
    row = tests[(tests["model"] == "svr") & (tests["reference"] == "persistence")].iloc[0]
    la = np.abs(fc["y"] - fc["svr"]).to_numpy()
    lb = np.abs(fc["y"] - fc["persistence"]).to_numpy()
    assert row["ttest_p"] == pytest.approx(stats.ttest_rel(la, lb).pvalue)
    assert row["wilcoxon_p"] == pytest.approx(stats.wilcoxon(la, lb).pvalue)
    assert row["dm_stat"] == pytest.approx(stats.ttest_1samp(la - lb, 0.0).statistic)
    assert row["mean_loss_diff"] == pytest.approx(float(np.mean(la - lb)))


def test_intervals_use_calibration_before_the_test_period(run):
    fc = run.forecasts
    f = run.forecasters["drift"]
    res = calibration_residuals(f)
    assert pd.Timestamp(res["cutoff"].max()) < f.train_end_
    q95 = conformal_quantile(np.abs(res["residual"]), 95)
    assert np.allclose(fc["drift-hi-95"] - fc["drift"], q95)
    assert np.allclose(fc["drift"] - fc["drift-lo-95"], q95)
    t = run.table.set_index("model")
    inside = (fc["drift-lo-80"] <= fc["y"]) & (fc["y"] <= fc["drift-hi-80"])
    assert t.loc["drift", "coverage_80"] == pytest.approx(inside.mean())
    assert (t["width_95"] >= t["width_80"]).all()


def test_future_values_do_not_change_the_intervals(market):
    """Changing the test period changes neither the forecasts' calibration nor the SVR fit."""
    n_train = int(np.floor(len(market) * 0.7))
    changed = market.copy()
    cols = [c for c in market.columns if c != "ds"]
    changed.loc[n_train + 5:, cols] = changed.loc[n_train + 5:, cols] * 1.3
    kw = dict(models=["svr"], config=CFG, levels=(90,))
    a = compare_models(DataSpec(market, target="close", split=0.7), **kw).forecasts
    b = compare_models(DataSpec(changed, target="close", split=0.7), **kw).forecasts
    wa = (a["svr-hi-90"] - a["svr"]).to_numpy()
    wb = (b["svr-hi-90"] - b["svr"]).to_numpy()
    assert np.allclose(wa, wb)
    assert np.allclose(a["svr"].to_numpy()[:5], b["svr"].to_numpy()[:5])


def test_parse_models_and_reference():
    ch = parse_models(["lstm-residual", "svr-residual", "lstm"])
    assert [(c.label, c.model, c.residual) for c in ch] == [
        ("lstm-residual", "lstm", True), ("svr-residual", "svr", True), ("lstm", "lstm", None)]
    assert default_reference(["persistence", "arima", "lstm"]) == "lstm"
    assert default_reference(["persistence", "lstm", "hybrid"]) == "hybrid"
    with pytest.raises(CpjaxInputError, match="lstm"):
        parse_models(["lstmm"])
    with pytest.raises(CpjaxInputError, match="twice"):
        parse_models(["drift", "drift"])
    with pytest.raises(CpjaxInputError, match="residual"):
        parse_models(["arima-residual"])


@pytest.mark.slow
def test_network_with_seeds_and_residual(market):
    cfg = ForecasterConfig(data=DataConfig(lookback=5), train=TrainConfig(epochs=2, n_seeds=2))
    run = compare_models(DataSpec(market, target="close", split=0.7), models=["lstm-residual"],
                         config=cfg, levels=(80,))
    t = run.table.set_index("model")
    assert t.loc["lstm-residual", "n_seeds"] == 2
    fc = run.forecasts
    seeds = [f"lstm-residual-seed{k}" for k in range(2)]
    assert np.allclose(fc[seeds].mean(axis=1), fc["lstm-residual"])
    r = [float(np.sqrt(np.mean((fc["y"] - fc[s]) ** 2))) for s in seeds]
    assert t.loc["lstm-residual", "rmse"] == pytest.approx(np.mean(r))
    assert t.loc["lstm-residual", "rmse_std"] == pytest.approx(np.std(r, ddof=1))
    assert run.forecasters["lstm-residual"].config.residual is True
    assert run.reference == "lstm-residual"


def test_statistical_peer_in_a_refined_comparison_runs_without_the_refiner():
    # a comparison whose base settings refine the network must still run persistence beside it
    from cpjax.forecast import ForecasterConfig
    from cpjax.forecast._compare import ModelChoice, model_config

    base = ForecasterConfig(model="lstm", refiner=RefinerConfig())
    assert model_config(base, ModelChoice("persistence", "persistence")).refiner is None
    assert model_config(base, ModelChoice("lstm", "lstm")).refiner == RefinerConfig()
