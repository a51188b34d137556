"""``cpjax ablation``: the files of cli.md, seed 000's rows, and exit 2 on bad input."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from cpjax.cli import main
from cpjax.data import demo_market
from cpjax.forecast import ABLATION_ROWS, DataSpec, ForecasterConfig, run_ablation
from cpjax.train import TrainConfig


def test_rows_are_seed_000_table_3():
    assert list(ABLATION_ROWS) == ["LSTM", "LSTM+EMA", "LSTM+ASPP", "LSTM+Sophia",
                                   "LSTM+XGBoost", "combined"]
    comb = ABLATION_ROWS["combined"]
    assert comb == {"model": "aspp_ema_lstm", "optimizer": "sophia", "refiner": "xgboost"}
    others = [r for n, r in ABLATION_ROWS.items() if n not in ("LSTM+Sophia", "combined")]
    assert all(r["optimizer"] == "adamw" for r in others)


def test_run_ablation_scores_each_seed_against_an_independent_computation(tmp_path):
    df = demo_market(n_days=200)
    run = run_ablation(DataSpec(df, target="close", features=["open", "csi300"]), tmp_path / "a",
                       config=ForecasterConfig(residual=True,
                                               train=TrainConfig(epochs=1, n_seeds=2)),
                       rows=["LSTM"], references=("persistence",))
    fc, t = run.forecasts, run.table.set_index("model")
    assert set(t.index) == {"LSTM", "persistence"} and t.loc["LSTM", "n_seeds"] == 2
    rmses = [float(np.sqrt(np.mean((fc["y"] - fc[f"LSTM-seed{k}"]) ** 2))) for k in range(2)]
    assert t.loc["LSTM", "rmse"] == pytest.approx(np.mean(rmses))
    assert t.loc["LSTM", "rmse_std"] == pytest.approx(np.std(rmses, ddof=1))
    lo, hi = df["close"].iloc[: run_len(df)].min(), df["close"].iloc[: run_len(df)].max()
    rm = np.sqrt(np.mean(((fc["y"] - fc["persistence"]) / (hi - lo)) ** 2))
    assert t.loc["persistence", "rmse_mm"] == pytest.approx(rm)
    assert t.loc["persistence", "rmse_vs_persistence"] == pytest.approx(1.0)
    names = {p.name for p in (tmp_path / "a").iterdir()}
    assert {"table.csv", "table.md", "forecasts.csv", "errors.png", "config.json"} <= names


def run_len(df):
    return int(np.floor(len(df) * 0.7))


def _bad(args, tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["ablation", *args, "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "error" in err
    assert not out.exists()
    return err


def test_bad_inputs_exit_2_and_write_nothing(tmp_path, capsys):
    _bad(["--data", str(tmp_path / "missing.csv")], tmp_path, capsys)
    csv = tmp_path / "m.csv"
    demo_market(n_days=120).to_csv(csv, index=False)
    err = _bad(["--data", str(csv), "--target", "clsoe"], tmp_path, capsys)
    assert "close" in err
    short = tmp_path / "short.csv"
    demo_market(n_days=30).iloc[:12].to_csv(short, index=False)
    _bad(["--data", str(short)], tmp_path, capsys)
    _bad(["--data", str(csv), "--features", "open,nope"], tmp_path, capsys)


@pytest.mark.slow
def test_demo_writes_table_and_figure(tmp_path, capsys):
    out = tmp_path / "demo"
    code = main(["ablation", "--demo", "--epochs", "2", "--seeds", "2", "--residual",
                 "--naive-stacking", "--quiet", "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    table = pd.read_csv(out / "table.csv")
    assert list(table["model"]) == [*ABLATION_ROWS, "LSTM+XGBoost (in-sample)", "persistence",
                                    "arima"]
    for m in ("mse", "rmse", "mae", "r2", "mse_mm", "rmse_mm", "mae_mm", "r2_mm"):
        assert m in table and f"{m}_std" in table
    assert (out / "errors.png").stat().st_size > 10_000
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["run"]["rows"]["combined"]["model"] == "aspp_ema_lstm"
