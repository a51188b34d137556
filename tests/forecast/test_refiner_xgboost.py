"""The XGBoost refiner: out-of-fold blocks without look-ahead, round trips, Forecaster hook."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cpjax._errors import CpjaxInputError
from cpjax.data import demo_market
from cpjax.forecast import Forecaster, ForecasterConfig, RefinerConfig, XGBoostRefiner
from cpjax.forecast._refiner import fit_refiner, oof_blocks, refiner_features


@pytest.mark.parametrize("n,folds,horizon", [(100, 3, 1), (57, 2, 3), (400, 5, 5)])
def test_oof_blocks_never_train_on_the_predicted_period(n, folds, horizon):
    blocks = oof_blocks(n, folds, horizon)
    assert len(blocks) == folds
    covered = np.concatenate([p for _, p in blocks])
    np.testing.assert_array_equal(covered, np.arange(covered[0], n))  # the tail, each once
    for train, pred in blocks:
        # a training window at position i has targets up to i + horizon - 1 (positions are days)
        assert train.max() + horizon - 1 < pred.min()


def test_fit_refiner_uses_out_of_fold_predictions_only():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(90, 10, 3))
    Y = rng.normal(size=(90, 1))
    calls = []

    def train_predict(train, pred):
        calls.append((train.copy(), pred.copy()))
        return np.zeros((2, pred.size, 1))

    cfg = RefinerConfig(n_estimators=5, folds=3)
    r = fit_refiner(cfg, train_predict, X, Y, final_pred=np.full((2, 90, 1), 99.0), horizon=1)
    assert len(calls) == 3 and all(t.max() < p.min() for t, p in calls)
    assert len(r.boosters) == 2 and len(r.boosters[0]) == 1
    # in-sample stacking never retrains and reads the final predictions
    calls.clear()
    fit_refiner(RefinerConfig(n_estimators=5, in_sample=True), train_predict, X, Y,
                final_pred=np.zeros((2, 90, 1)), horizon=1)
    assert not calls


def test_refiner_features_layout():
    X = np.arange(2 * 4 * 3, dtype=float).reshape(2, 4, 3)
    f = refiner_features(np.array([[7.0], [8.0]]), X, n_lags=2)
    # prediction, the last two targets (feature 0), the exogenous values at t (features 1, 2)
    np.testing.assert_array_equal(f[0], [7.0, X[0, 2, 0], X[0, 3, 0], X[0, 3, 1], X[0, 3, 2]])
    g = refiner_features(np.array([[7.0], [8.0]]), X, n_lags=2, inputs="changes")
    last = X[0, 3, 0]
    np.testing.assert_array_equal(g[0], [7.0 - last, X[0, 2, 0] - last, 3.0, 3.0])


def test_residual_refiner_of_a_perfect_network_changes_nothing():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(80, 6, 2))
    Y = rng.normal(size=(80, 2))
    r = XGBoostRefiner(RefinerConfig(n_estimators=20)).fit(Y[None], X, Y)
    np.testing.assert_allclose(r.predict(Y[None], X), Y[None], atol=1e-6)


def test_level_refiner_learns_a_step_function_and_round_trips(tmp_path):
    """Trees recover y = 1[x_t > 0] from the exogenous input; the saved JSON boosters reload
    to identical predictions."""
    rng = np.random.default_rng(2)
    X = rng.normal(size=(300, 5, 2))
    Y = (X[:, -1, 1:2] > 0).astype(float)
    pred = np.zeros((1, 300, 1))
    r = XGBoostRefiner(RefinerConfig(n_estimators=100, target="level", learning_rate=0.3,
                                     inputs="levels")).fit(
        pred, X, Y)
    out = r.predict(pred, X)
    assert np.mean(np.abs(out - Y[None])) < 0.05
    r.save(tmp_path / "ref")
    assert (tmp_path / "ref" / "seed0_h1.json").is_file()
    json.loads((tmp_path / "ref" / "seed0_h1.json").read_text())  # XGBoost's own JSON
    np.testing.assert_array_equal(XGBoostRefiner.load(tmp_path / "ref").predict(pred, X), out)


def test_refiner_settings_are_checked():
    cfg = ForecasterConfig()
    assert cfg.with_settings({"refiner": None, "refiner_params": {}}).refiner is None
    assert cfg.with_settings({"refiner": "xgboost", "refiner_params": {"folds": 2}}).refiner \
        == RefinerConfig(folds=2)
    with pytest.raises(CpjaxInputError, match="refiner"):
        cfg.with_settings({"refiner": "lightgbm"})
    with pytest.raises(CpjaxInputError, match="n_estimatrs"):
        cfg.with_settings({"refiner": "xgboost", "refiner_params": {"n_estimatrs": 3}})
    with pytest.raises(CpjaxInputError, match="without refiner"):
        cfg.with_settings({"refiner_params": {"folds": 2}})
    with pytest.raises(CpjaxInputError, match="statistical"):
        Forecaster("persistence", refiner="xgboost")


def test_forecaster_with_refiner_saves_and_reloads(tmp_path):
    df = demo_market(n_days=220)
    f = Forecaster("lstm", epochs=2, seeds=2, hidden_size=8, num_layers=1, refiner="xgboost",
                   refiner_params={"n_estimators": 10, "folds": 1}, residual=True)
    f.fit(df, "close", ["open", "csi300"])
    assert f.refiner_ is not None and len(f.refiner_.boosters) == 2
    pred = f.predict()
    raw = f.prepared_
    net_only = Forecaster._raw_predict.__get__(f)  # the refined path is the default
    assert np.isfinite(pred["lstm"]).all()
    f.save(tmp_path / "m")
    assert (tmp_path / "m" / "refiner" / "refiner.json").is_file()
    g = Forecaster.load(tmp_path / "m")
    again = g.predict(df)
    np.testing.assert_allclose(again["lstm"].to_numpy(), pred["lstm"].to_numpy(), rtol=1e-6)
    idx = raw.test_windows()
    unrefined = f.refiner_
    f.refiner_ = None
    plain = net_only(raw, idx)
    f.refiner_ = unrefined
    assert not np.allclose(plain, net_only(raw, idx))  # the refiner changes the forecasts


@pytest.mark.slow
def test_forecast_cli_refiner_writes_boosters(tmp_path):
    from cpjax.cli import main

    out = tmp_path / "fc"
    code = main(["forecast", "--demo", "--epochs", "1", "--refiner", "xgboost", "--residual",
                 "--references", "persistence", "--quiet", "--out", str(out)])
    assert code == 0
    assert (out / "model" / "refiner" / "seed0_h1.json").is_file()
    again = Forecaster.load(out / "model")
    assert again.refiner_ is not None
