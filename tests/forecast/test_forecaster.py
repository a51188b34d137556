"""Forecaster: fit/predict contract, no leakage, save/load in a new process, backtests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cpjax import CpjaxInputError
from cpjax.data import demo_market
from cpjax.forecast import Forecaster, ForecasterConfig
from cpjax.nn import is_residual

SMALL = dict(epochs=3, hidden_size=8, num_layers=1, batch_size=64)


@pytest.fixture(scope="module")
def df():
    return demo_market(n_days=300)


def test_persistence_predicts_previous_day(df):
    f = Forecaster("persistence").fit(df, "close", split=0.7)
    p = f.predict()
    assert list(p.columns) == ["unique_id", "ds", "cutoff", "h", "y", "persistence"]
    closes = df.set_index("ds")["close"]
    np.testing.assert_allclose(p["persistence"], closes.loc[p["cutoff"]].to_numpy(), rtol=1e-9)
    np.testing.assert_allclose(p["y"], closes.loc[p["ds"]].to_numpy())
    assert p["ds"].min() > f.train_end_ and len(p) == len(df) - 210


def test_test_values_do_not_change_the_fit(df):
    """Scaler and parameters see only training rows: perturbing the test part changes nothing."""
    a = Forecaster("lstm", **SMALL).fit(df, "close", split=0.7)
    df2 = df.copy()
    df2.loc[250:, "close"] *= 3.0
    b = Forecaster("lstm", **SMALL).fit(df2, "close", split=0.7)
    assert a.scaler_.to_dict() == b.scaler_.to_dict()
    pa, pb = a.predict(df.iloc[:240]), b.predict(df.iloc[:240])
    np.testing.assert_array_equal(pa["lstm"].to_numpy(), pb["lstm"].to_numpy())


def test_multi_seed_columns_and_horizon(df):
    f = Forecaster("lstm", seeds=2, horizon=3, **SMALL).fit(df, "close")
    p = f.predict()
    assert {"lstm-seed0", "lstm-seed1"} <= set(p.columns)
    np.testing.assert_allclose(p["lstm"], (p["lstm-seed0"] + p["lstm-seed1"]) / 2, rtol=1e-6)
    assert sorted(p["h"].unique()) == [1, 2, 3]
    fut = f.forecast()
    assert len(fut) == 3 and (fut["ds"] > df["ds"].max()).all()


def test_save_load_new_process_identical(df, tmp_path):
    f = Forecaster("lstm", seeds=2, **SMALL).fit(df, "close")
    f.save(tmp_path / "m")
    df.to_csv(tmp_path / "d.csv", index=False)
    here = f.predict(tmp_path / "d.csv")["lstm"].to_numpy()
    code = textwrap.dedent(f"""
        import json, sys
        from cpjax.forecast import Forecaster
        p = Forecaster.load({str(tmp_path / 'm')!r}).predict({str(tmp_path / 'd.csv')!r})
        json.dump(p["lstm"].tolist(), sys.stdout)
    """)
    root = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": root + os.pathsep + os.environ.get("PYTHONPATH", "")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=str(tmp_path), env=env)
    np.testing.assert_array_equal(np.array(json.loads(out.stdout)), here)
    meta = json.loads((tmp_path / "m" / "forecaster.json").read_text())
    assert meta["format"] == "cpjax.Forecaster" and not list((tmp_path / "m").glob("*.pkl"))


@pytest.mark.parametrize("model", ["arima", "svr", "drift"])
def test_estimators_roundtrip(df, tmp_path, model):
    f = Forecaster(model).fit(df, "close")
    f.save(tmp_path / model)
    g = Forecaster.load(tmp_path / model)
    np.testing.assert_allclose(g.predict(df)[model], f.predict()[model], rtol=1e-9)


def test_long_form_input(df):
    long = pd.concat([df.assign(unique_id="a"), df.assign(unique_id="b", close=df.close * 2)])
    long = long.rename(columns={"close": "y"})[["unique_id", "ds", "y", "open"]]
    p = Forecaster("persistence").fit(long, unique_id="b").predict()
    assert p["y"].iloc[0] == pytest.approx(2 * df.set_index("ds").close.loc[p["ds"].iloc[0]])


def test_cross_validation_has_cutoffs_and_no_lookahead(df):
    cv = Forecaster("persistence").cross_validation(df, "close", n_windows=3, step_size=10)
    assert cv["cutoff"].nunique() == 3 and len(cv) == 30
    assert (cv["ds"] > cv["cutoff"]).all()
    cv2 = Forecaster("lstm", **SMALL).cross_validation(df, "close", n_windows=2, step_size=10,
                                                       refit=False)
    assert cv2["cutoff"].nunique() == 2 and cv2["lstm"].notna().all()


def test_residual_switch_and_bad_settings(df):
    f = Forecaster("lstm", residual=True, **SMALL)
    assert f.config.residual is True and "residual" not in f.config.model_params
    assert is_residual(f._build()) and not is_residual(Forecaster("lstm", **SMALL)._build())
    with pytest.raises(CpjaxInputError, match="'arima' cannot run in residual mode.*fix:"):
        Forecaster("arima", residual=True)
    with pytest.raises(CpjaxInputError, match="recursive=False"):
        Forecaster("svr", residual=True, recursive=True)
    with pytest.raises(CpjaxInputError, match="hidden_sise"):
        Forecaster("lstm", hidden_sise=3)
    with pytest.raises(CpjaxInputError, match="did you mean 'lstm'"):
        Forecaster("lstn")
    with pytest.raises(CpjaxInputError, match="adam"):
        Forecaster("lstm", optimizer="adamm")
    with pytest.raises(CpjaxInputError, match="not fitted"):
        Forecaster("persistence").predict()


@pytest.mark.parametrize("estimator", ["hutchinson", "gnb"])
def test_sophia_through_the_engine_logs_diagnostics(df, estimator):
    f = Forecaster("lstm", optimizer="sophia", optimizer_params={"estimator": estimator},
                   seeds=2, patience=0, **SMALL).fit(df, "close")
    h = f.history_
    assert h["opt_win_rate"].shape == (SMALL["epochs"], 2)
    assert np.all((h["opt_win_rate"] >= 0) & (h["opt_win_rate"] <= 1))
    assert np.all(h["opt_num_refreshes"][-1] >= 1)  # the Hessian estimate was refreshed
    assert np.all(np.isfinite(h["train_loss"]))
    # per-seed probe keys: the two seeds' Hessian estimates differ
    assert not np.allclose(h["opt_h_norm"][-1, 0], h["opt_h_norm"][-1, 1])


def test_an_input_that_copies_the_next_target_is_refused(df):
    """A column equal to the next row's target (a shifted file) would leak the answer."""
    leaky = df.assign(tomorrow=df["close"].shift(-1))
    with pytest.raises(CpjaxInputError, match=r"'tomorrow'.*next row.*drop 'tomorrow'"):
        Forecaster("persistence").fit(leaky, "close", features=["open", "tomorrow"], split=0.7)
    # the same values one row later (yesterday's close) are fine
    Forecaster("persistence").fit(df.assign(yesterday=df["close"].shift(1)), "close",
                                  features=["open", "yesterday"], split=0.7)


def test_saved_config_with_an_unknown_key_is_refused(tmp_path):
    f = Forecaster("persistence", lookback=5).fit(demo_market(n_days=120), target="close")
    f.save(tmp_path / "m")
    meta = json.loads((tmp_path / "m" / "forecaster.json").read_text())
    meta["config"]["data"]["lookbak"] = 20  # a typo must not be dropped silently
    (tmp_path / "m" / "forecaster.json").write_text(json.dumps(meta))
    with pytest.raises(CpjaxInputError, match="lookbak.*section 'data'.*did you mean 'lookback'"):
        Forecaster.load(tmp_path / "m")


def _as_written_before_the_residual_wrapper(folder: Path) -> None:
    """Rewrite a saved forecaster's settings as earlier versions wrote them: residual mode as
    a model hyperparameter (with target_index, which networks had), the ``residual`` setting
    unset."""
    meta = json.loads((folder / "forecaster.json").read_text())
    meta["config"]["model_params"].update(residual=meta["config"]["residual"], target_index=0)
    meta["config"]["residual"] = None
    (folder / "forecaster.json").write_text(json.dumps(meta))


@pytest.mark.parametrize("model, hyper", [("lstm", SMALL), ("svr", {})])
def test_legacy_residual_model_param_loads_and_predicts_the_same(df, tmp_path, model, hyper):
    f = Forecaster(model, residual=True, **hyper).fit(df, "close")
    f.save(tmp_path / "m")
    _as_written_before_the_residual_wrapper(tmp_path / "m")
    g = Forecaster.load(tmp_path / "m")
    assert g.config.residual is True
    assert "residual" not in g.config.model_params
    # a network no longer has target_index (dropped); SVR still reads it (kept)
    assert ("target_index" in g.config.model_params) == (model == "svr")
    np.testing.assert_array_equal(g.predict(df)[model], f.predict()[model])


def test_legacy_residual_model_param_conversion():
    cfg = lambda **kw: ForecasterConfig(model="lstm", **kw)  # noqa: E731
    assert Forecaster(config=cfg(model_params={"residual": True})).config.residual is True
    f = Forecaster(config=cfg(model_params={"residual": False, "hidden_size": 4}))
    assert f.config.residual is False and f.config.model_params == {"hidden_size": 4}
    # the residual setting wins over the old hyperparameter, as it did
    f = Forecaster(config=cfg(residual=False, model_params={"residual": True}))
    assert f.config.residual is False and not is_residual(f._build())
    with pytest.raises(CpjaxInputError, match="target_index=2.*fix: remove it"):
        Forecaster(config=cfg(model_params={"residual": True, "target_index": 2}))
    with pytest.raises(CpjaxInputError, match="residal"):  # other unknown names stay errors
        Forecaster(config=cfg(model_params={"residal": True}))
    with pytest.raises(CpjaxInputError, match="cannot run in residual mode"):
        Forecaster(config=ForecasterConfig(model="autoets", model_params={"residual": True}))
