"""ForecasterConfig: nested JSON form, strict reading, the previous flat form, flat settings."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cpjax import CpjaxInputError
from cpjax.data import demo_market
from cpjax.forecast import DataConfig, Forecaster, ForecasterConfig, RefinerConfig
from cpjax.optim import OptimizerConfig, SophiaConfig
from cpjax.train import TrainConfig

NESTED = ForecasterConfig(
    model="gru", model_params={"hidden_size": 8}, residual=True,
    data=DataConfig(lookback=20, horizon=3, val_fraction=0.2, scaling={"volume": "growth"},
                    outliers="iqr", min_test=4),
    train=TrainConfig(epochs=7, batch_size=16, loss="huber", patience=3, seed=5, n_seeds=2,
                      seed_strategy="loop", progress=None),
    optimizer=OptimizerConfig(name="sophia", learning_rate=3e-3,
                              sophia=SophiaConfig(estimator="gnb", seed=9)),
    refiner=RefinerConfig(folds=2, in_sample=True))

#: the same settings in the previous flat JSON form
FLAT = {"model": "gru", "model_params": {"hidden_size": 8}, "optimizer": "sophia",
        "optimizer_params": {"estimator": "gnb", "seed": 9}, "learning_rate": 3e-3,
        "loss": "huber", "lookback": 20, "horizon": 3, "epochs": 7, "batch_size": 16,
        "patience": 3, "val_fraction": 0.2, "seeds": 2, "seed": 5, "seed_strategy": "loop",
        "scaling": {"volume": "growth"}, "residual": True, "max_linear_gap": 3,
        "outliers": "iqr", "min_test": 4, "progress": None, "refiner": "xgboost",
        "refiner_params": {"folds": 2, "in_sample": True}}


def test_defaults_are_the_previous_flat_defaults():
    c = ForecasterConfig()
    assert (c.model, c.residual, c.refiner) == ("lstm", None, None)
    assert (c.data.lookback, c.data.horizon, c.data.val_fraction, c.data.min_test) == (10, 1, 0.15, 5)
    t = c.train
    assert (t.epochs, t.batch_size, t.loss, t.patience, t.seed, t.n_seeds, t.progress) == (
        100, 32, "mse", 20, 0, 1, False)
    assert (c.optimizer.name, c.optimizer.learning_rate) == ("adam", 1e-3)


def test_nested_round_trip_through_json():
    d = json.loads(json.dumps(NESTED.to_dict()))
    assert set(d) == {"model", "model_params", "residual", "data", "train", "optimizer",
                      "refiner"}
    assert d["data"]["lookback"] == 20 and d["optimizer"]["sophia"]["estimator"] == "gnb"
    assert ForecasterConfig.from_dict(d) == NESTED
    assert ForecasterConfig.from_dict(ForecasterConfig().to_dict()) == ForecasterConfig()
    # a partial section keeps the forecaster's defaults (adam, not OptimizerConfig's adamw)
    part = ForecasterConfig.from_dict({"optimizer": {"learning_rate": 0.01}})
    assert part.optimizer == OptimizerConfig(name="adam", learning_rate=0.01)


@pytest.mark.parametrize("path, section", [
    (("lookbak",), "the top level"), (("data", "lookbak"), "section 'data'"),
    (("train", "epoch"), "section 'train'"), (("optimizer", "lerning_rate"), "section 'optimizer'"),
    (("optimizer", "sophia", "gama"), "section 'optimizer.sophia'"),
    (("refiner", "fold"), "section 'refiner'")])
def test_an_unknown_key_in_any_section_names_it(path, section):
    d = NESTED.to_dict()
    inner = d
    for k in path[:-1]:
        inner = inner[k]
    inner[path[-1]] = 1
    with pytest.raises(CpjaxInputError, match=f"{path[-1]}.*{section} of cfg.json"):
        ForecasterConfig.from_dict(d, where="cfg.json")


def test_a_section_setting_at_the_top_level_points_to_its_section():
    d = {**ForecasterConfig().to_dict(), "lookbak": 5}
    with pytest.raises(CpjaxInputError, match="data.lookback"):
        ForecasterConfig.from_dict(d)
    with pytest.raises(CpjaxInputError, match="section 'train' .*JSON object"):
        ForecasterConfig.from_dict({"train": 5})
    with pytest.raises(CpjaxInputError, match="DataConfig"):
        ForecasterConfig(data={"lookback": 5})


def test_the_previous_flat_form_converts_to_the_nested_config():
    assert ForecasterConfig.from_dict(FLAT) == NESTED
    assert ForecasterConfig.from_dict({"lookback": 7}) == ForecasterConfig(
        data=DataConfig(lookback=7))
    assert ForecasterConfig.from_dict({"optimizer": "sgd"}).optimizer.name == "sgd"
    with pytest.raises(CpjaxInputError, match="lookbak.*flat form.*did you mean 'lookback'"):
        ForecasterConfig.from_dict({**FLAT, "lookbak": 3})
    with pytest.raises(CpjaxInputError, match="weight_decay"):  # flat form: only its fields
        ForecasterConfig.from_dict({"epochs": 3, "weight_decay": 0.1})
    with pytest.raises(CpjaxInputError, match="estimator.*optimizer .adam."):  # Sophia only
        ForecasterConfig.from_dict({**FLAT, "optimizer": "adam"})


def test_a_saved_forecaster_with_a_flat_config_still_loads(tmp_path):
    df = demo_market(n_days=120)
    f = Forecaster("drift", lookback=5).fit(df, target="close")
    f.save(tmp_path / "m")
    meta_file = tmp_path / "m" / "forecaster.json"
    meta = json.loads(meta_file.read_text())
    meta["config"] = {"model": "drift", "model_params": {}, "optimizer": "adam",
                      "optimizer_params": {}, "learning_rate": 0.001, "loss": "mse",
                      "lookback": 5, "horizon": 1, "epochs": 100, "batch_size": 32,
                      "patience": 20, "val_fraction": 0.15, "seeds": 1, "seed": 0,
                      "seed_strategy": "auto", "scaling": {}, "residual": None,
                      "max_linear_gap": 3, "outliers": None, "min_test": 5,
                      "progress": False, "refiner": None, "refiner_params": {}}
    meta_file.write_text(json.dumps(meta))
    g = Forecaster.load(tmp_path / "m")
    assert g.config == f.config
    np.testing.assert_allclose(g.forecast(df)["drift"], f.forecast(df)["drift"])


def test_with_settings_places_each_kind_of_name():
    c = ForecasterConfig().with_settings({
        "lookback": 30, "outliers": "ksigma",  # data
        "epochs": 5, "seeds": 3, "seed": 2, "l2": 1e-4, "min_delta": 0.01,  # train
        "learning_rate": 0.01, "weight_decay": 0.1, "optimizer": "adamw",  # optimizer
        "hidden_size": 16, "dropout": 0.1,  # the model's hyperparameters
        "residual": True})
    assert (c.data.lookback, c.data.outliers) == (30, "ksigma")
    assert (c.train.epochs, c.train.n_seeds, c.train.seed, c.train.l2, c.train.min_delta) == (
        5, 3, 2, 1e-4, 0.01)
    assert c.optimizer == OptimizerConfig(name="adamw", learning_rate=0.01, weight_decay=0.1)
    assert c.model_params == {"hidden_size": 16, "dropout": 0.1} and c.residual is True
    s = c.with_settings({"optimizer": "sophia", "gamma": 0.02, "estimator": "gnb",
                         "optimizer_params": {"seed": 4}})
    # seed is the training's; Sophia's probe seed only through optimizer_params
    assert s.optimizer.sophia == SophiaConfig(gamma=0.02, estimator="gnb", seed=4)
    assert s.train.seed == 2 and s.optimizer.learning_rate == 0.01
    # a model's own field wins over the engine's setting of the same name
    h = ForecasterConfig(model="hybrid").with_settings({"l2": 1e-3})
    assert h.model_params == {"l2": 1e-3} and h.train.l2 == 0.0
    assert ForecasterConfig().with_settings({"train": TrainConfig(epochs=4)}).train.epochs == 4


def test_with_settings_rejects_unknown_and_misplaced_names():
    with pytest.raises(CpjaxInputError, match="hiden_size.*did you mean 'hidden_size'"):
        ForecasterConfig().with_settings({"hiden_size": 8})
    with pytest.raises(CpjaxInputError, match="'gamma' is a setting of the optimizer 'sophia'"):
        ForecasterConfig().with_settings({"gamma": 0.02})
    with pytest.raises(CpjaxInputError, match="lookback must be a positive integer"):
        ForecasterConfig().with_settings({"lookback": 0})
    with pytest.raises(CpjaxInputError, match="learning_rate must be positive"):
        ForecasterConfig().with_settings({"learning_rate": 0.0})
