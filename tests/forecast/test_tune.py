"""Hyperparameter search: rolling-origin validation inside the training part, batched trials."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from cpjax import CpjaxInputError
from cpjax.cli import main as cli_main
from cpjax.data import demo_market
from cpjax.forecast import DataSpec, Forecaster, ForecasterConfig, SearchSpace, tune

BASE = ForecasterConfig().with_settings({"model": "mlp", "lookback": 5, "epochs": 3, "patience": 0,
                                         "model_params": {"hidden_size": 8, "num_layers": 1}})
SPACE = {"method": "grid", "params": {"learning_rate": [1e-3, 1e-2]},
         "validation": {"windows": 2, "step": 15}}


@pytest.fixture(scope="module")
def market():
    return demo_market(n_days=260)


def test_the_test_part_is_never_read(market):
    first = tune(DataSpec(market, target="close", split=0.7), SPACE, config=BASE)
    changed = market.copy()
    n_train = int(round(0.7 * len(market)))
    changed.loc[n_train:, ["open", "high", "low", "close", "volume"]] *= 3.0  # test part only
    second = tune(DataSpec(changed, target="close", split=0.7), SPACE, config=BASE)
    pd.testing.assert_frame_equal(first.trials, second.trials)
    assert first.info["training_end"] < str(market["ds"].iloc[n_train].date())


def test_a_trial_scores_what_a_separate_fit_scores(market):
    res = tune(DataSpec(market, target="close", split=0.7), SPACE, config=BASE)
    train = market.iloc[: int(round(0.7 * len(market)))].reset_index(drop=True)
    from cpjax.data import rolling_origins

    folds = rolling_origins(pd.DatetimeIndex(train["ds"]), 2, 15)
    cfg = BASE.with_settings({"learning_rate": 1e-2})
    errs = []
    for fold in folds:  # the same trial, fitted alone at each origin
        part = train.iloc[: int(fold.test[-1]) + 1].reset_index(drop=True)
        f = Forecaster(config=cfg).fit(part, target="close", train_rows=len(fold.train))
        p = f.predict()
        errs.append((p[f.name] - p["y"]).to_numpy())
    mae = float(np.mean(np.abs(np.concatenate(errs))))
    row = res.trials[res.trials["learning_rate"] == 1e-2].iloc[0]
    assert row["mae"] == pytest.approx(mae, rel=1e-6)
    assert res.trials["chosen"].sum() == 1
    chosen = res.trials.loc[res.trials["chosen"]].iloc[0]
    assert chosen["mae"] == res.trials["mae"].min()
    assert res.config.optimizer.learning_rate == chosen["learning_rate"]


def test_trials_differing_in_dynamic_settings_share_one_program(market):
    tune(DataSpec(market, target="close", split=0.7), SPACE, config=BASE)  # compiles
    other = {**SPACE, "params": {"learning_rate": [3e-3, 5e-3, 2e-2], "epochs": [2, 3]}}
    res = tune(DataSpec(market, target="close", split=0.7), other, config=BASE)
    assert res.info["shape_groups"] == 1 and res.info["trials"] == 6
    assert res.info["compilations"] == 0  # new values, same programs


def test_shape_changing_settings_form_groups(market):
    space = {"method": "grid", "params": {"hidden_size": [4, 8], "learning_rate": [1e-3, 1e-2]},
             "validation": {"windows": 2, "step": 15}}
    res = tune(DataSpec(market, target="close", split=0.7), space, config=BASE)
    assert res.info["shape_groups"] == 2
    assert sorted(res.trials.groupby("group")["hidden_size"].first()) == [4, 8]


def test_random_search_draws_are_seeded_and_in_range():
    space = SearchSpace(params={"learning_rate": {"loguniform": [1e-4, 1e-2]},
                                "hidden_size": {"int": [4, 9]}, "dropout": [0.0, 0.2]},
                        trials=30, seed=3)
    draws = space.draw()
    assert draws == SearchSpace.from_dict(space.to_dict()).draw()
    lr = np.array([d["learning_rate"] for d in draws])
    assert lr.min() >= 1e-4 and lr.max() <= 1e-2 and np.log10(lr).std() > 0.3
    assert {d["hidden_size"] for d in draws} <= set(range(4, 10))
    assert {d["dropout"] for d in draws} == {0.0, 0.2}


@pytest.mark.parametrize("space, message", [
    ({"params": {"learning_rate": [1e-3]}, "trails": 3}, "did you mean 'trials'"),
    ({"params": {"learning_rate": [1e-3]}, "validation": {"window": 3}}, "did you mean 'windows'"),
    ({"method": "grid", "params": {"learning_rate": {"uniform": [0, 1]}}}, "a grid takes lists"),
    ({"params": {"learning_rate": {"loguniform": [0, 1]}}}, "low > 0"),
    ({"params": {}}, "at least one setting"),
    ({"params": {"learning_rate": []}}, "empty list"),
])
def test_bad_search_spaces_are_refused(space, message):
    with pytest.raises(CpjaxInputError, match=message):
        SearchSpace.from_dict(space)


def test_unknown_setting_names_the_close_match(market):
    with pytest.raises(CpjaxInputError, match="did you mean 'hidden_size'"):
        tune(DataSpec(market, target="close"), {"params": {"hiden_size": [4]}}, config=BASE)


def test_forecaster_with_search_fits_the_chosen_setting(market):
    f = Forecaster(config=BASE, search=SPACE).fit(market, target="close", split=0.7)
    assert f.search_result_ is not None
    assert f.config.optimizer.learning_rate == f.search_result_.best["learning_rate"]
    assert f.predict()[f.name].notna().all()


def test_cli_writes_trials_and_refuses_a_bad_space(tmp_path, capsys):
    space = tmp_path / "space.json"
    space.write_text(json.dumps(SPACE))
    out = tmp_path / "run"
    code = cli_main(["tune", "--demo", "--space", str(space), "--model", "mlp", "--lookback", "5",
                     "--epochs", "2", "--quiet", "--out", str(out)])
    assert code == 0
    trials = pd.read_csv(out / "trials.csv")
    assert len(trials) == 2 and trials["chosen"].sum() == 1
    best = json.loads((out / "best_config.json").read_text())
    assert best["optimizer"]["learning_rate"] == trials.loc[trials["chosen"], "learning_rate"].iloc[0]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"params": {"learning_rate": [1e-3]}, "metod": "grid"}))
    out2 = tmp_path / "run2"
    code = cli_main(["tune", "--demo", "--space", str(bad), "--out", str(out2)])
    err = capsys.readouterr().err
    assert code == 2 and "did you mean 'method'" in err and len(err.strip().splitlines()) == 1
    assert not out2.exists()


def test_trial_settings_go_to_their_sections_and_fixed_ones_are_refused():
    from cpjax.forecast._tune import _apply

    c = _apply(BASE, {"lookback": 7, "l2": 1e-4, "learning_rate": 3e-3, "dropout": 0.1})
    assert (c.data.lookback, c.train.l2, c.optimizer.learning_rate) == (7, 1e-4, 3e-3)
    assert c.model_params["dropout"] == 0.1
    with pytest.raises(CpjaxInputError, match="'model' cannot be searched"):
        _apply(BASE, {"model": "gru"})
