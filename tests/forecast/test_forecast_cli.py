"""``cpjax forecast`` / ``cpjax models``: the files of cli.md, and exit 2 on every bad input."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from cpjax.cli import main
from cpjax.data import demo_market


def _run(args, capsys):
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(scope="module")
def csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "market.csv"
    demo_market(n_days=260).to_csv(path, index=False)
    return path


def test_models_lists_registry(capsys):
    code, out, _ = _run(["models"], capsys)
    assert code == 0 and "lstm" in out and "persistence" in out and "autoets" in out
    code, out, _ = _run(["models", "--json"], capsys)
    assert {r["name"] for r in json.loads(out)} >= {"lstm", "svr", "drift"}


def test_forecast_writes_cli_files(csv, tmp_path, capsys):
    out = tmp_path / "run"
    code, _, err = _run(["forecast", "--data", str(csv), "--target", "close", "--epochs", "2",
                         "--select", "pcc", "--references", "persistence", "--quiet",
                         "--out", str(out)], capsys)
    assert code == 0, err
    names = {p.name for p in out.iterdir()}
    assert {"forecasts.csv", "metrics.csv", "metrics.md", "config.json", "forecast.png",
            "model", "selection.csv"} <= names
    fc = pd.read_csv(out / "forecasts.csv")
    assert {"ds", "y", "lstm", "persistence"} <= set(fc.columns)
    m = pd.read_csv(out / "metrics.csv").set_index("model")
    assert {"mse", "rmse", "mae", "r2", "mape", "rmse_mm"} <= set(m.columns)
    err_p = fc["y"] - fc["persistence"]
    assert m.loc["persistence", "rmse"] == pytest.approx(float(np.sqrt(np.mean(err_p ** 2))))
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["settings"]["train"]["epochs"] == 2 and "jax" in cfg["versions"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".run.tmp")]


def _bad(tmp_path, name, frame=None, text=None):
    path = tmp_path / name
    if frame is not None:
        frame.to_csv(path, index=False)
    if text is not None:
        path.write_text(text)
    return str(path)


def _cases(tmp_path, csv):
    base = demo_market(n_days=120)
    dup = pd.concat([base.iloc[:5], base.iloc[4:]])
    nonnum = base.astype({"open": object})
    nonnum.loc[7, "open"] = "n/a?"
    allnan = base.assign(shibor=np.nan)
    const = base.assign(close=5.0)
    d = ["forecast", "--epochs", "1"]
    return {
        "missing file": (d + ["--data", str(tmp_path / "nope.csv")], "not found"),
        "unknown target": (d + ["--data", str(csv), "--target", "closee"], "close"),
        "unknown feature": (d + ["--data", str(csv), "--features", "open,csi30"], "csi300"),
        "bad dates": (d + ["--data", _bad(tmp_path, "dates.csv",
                           text="ds,close\n2020-01-01,1\nnot-a-date,2\n")], "not-a-date"),
        "duplicate dates": (d + ["--data", _bad(tmp_path, "dup.csv", dup)], "duplicate"),
        "non-numeric": (d + ["--data", _bad(tmp_path, "nn.csv", nonnum)], "n/a?"),
        "all-NaN column": (d + ["--data", _bad(tmp_path, "nan.csv", allnan)], "shibor"),
        "too few rows": (d + ["--data", _bad(tmp_path, "short.csv", base.iloc[:12])], "rows"),
        "constant target": (d + ["--data", _bad(tmp_path, "const.csv", const)], "constant"),
        "unknown model": (d + ["--data", str(csv), "--model", "lstmm"], "lstm"),
        "unknown optimizer": (d + ["--data", str(csv), "--optimizer", "adamx"], "adam"),
        "unknown optimizer option": (d + ["--data", str(csv), "--optimizer", "sophia",
                                          "--optimizer-option", "estimatr=gnb"], "estimator"),
        "zero lookback": (d + ["--data", str(csv), "--lookback", "0"], "positive"),
        "zero epochs": (["forecast", "--data", str(csv), "--epochs", "0"], "positive"),
        "negative seeds": (d + ["--data", str(csv), "--seeds", "-2"], "positive"),
    }


CASES = ["missing file", "unknown target", "unknown feature", "bad dates", "duplicate dates",
         "non-numeric", "all-NaN column", "too few rows", "constant target", "unknown model",
         "unknown optimizer", "unknown optimizer option", "zero lookback", "zero epochs", "negative seeds"]


@pytest.mark.parametrize("case", CASES)
def test_bad_input_exit_2_one_line_nothing_written(case, tmp_path, csv, capsys):
    args, expect = _cases(tmp_path, csv)[case]
    out = tmp_path / "out"
    code, _, err = _run(args + ["--out", str(out)], capsys)  # usage errors too: exit 2, no raise
    assert code == 2
    lines = [ln for ln in err.strip().splitlines() if ln]
    assert len(lines) == 1, err
    assert expect in lines[0] and "Traceback" not in err
    assert not out.exists()


