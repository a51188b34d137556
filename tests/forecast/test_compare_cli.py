"""``cpjax compare`` / ``cpjax backtest``: the files of cli.md, and exit 2 on every bad input."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from cpjax.cli import main
from cpjax.data import demo_market


@pytest.fixture(scope="module")
def csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("cmpdata") / "market.csv"
    demo_market(n_days=300).to_csv(path, index=False)
    return path


def _run(args, capsys):
    code = main(args)
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def test_compare_demo_writes_files(tmp_path, capsys):
    out = tmp_path / "cmp"
    code, stdout, err = _run(["compare", "--demo", "--models", "drift,svr", "--lookback", "5",
                              "--level", "80,95", "--out", str(out)], capsys)
    assert code == 0, err
    assert {"table.csv", "table.md", "tests.csv", "forecasts.csv", "forecast.png",
            "config.json"} <= {p.name for p in out.iterdir()}
    t = pd.read_csv(out / "table.csv").set_index("model")
    assert list(t.index) == ["persistence", "drift", "svr"]
    assert {"rmse", "mae", "spike_recall", "spike_f1", "hit_rate", "train_s", "latency_ms",
            "coverage_80", "coverage_95"} <= set(t.columns)
    tests = pd.read_csv(out / "tests.csv")
    assert {"wilcoxon_p", "ttest_p", "dm_p"} <= set(tests.columns)
    fc = pd.read_csv(out / "forecasts.csv")
    assert {"svr-lo-95", "svr-hi-95", "drift-lo-80"} <= set(fc.columns)
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["run"]["reference"] == "drift" and cfg["demo"] is True
    assert "SYNTHETIC" in (out / "table.md").read_text() or "synthetic" in cfg["run"]["data"]
    assert "wrote" in stdout


def test_backtest_file_writes_files(csv, tmp_path, capsys):
    out = tmp_path / "bt"
    code, _, err = _run(["backtest", "--data", str(csv), "--target", "close", "--models",
                         "drift", "--windows", "3", "--step", "15", "--no-refit",
                         "--mode", "sliding", "--lookback", "5", "--quiet", "--out", str(out)],
                        capsys)
    assert code == 0, err
    assert {"cv.csv", "metrics_by_cutoff.csv", "overall.csv", "overall.md", "tests.csv",
            "backtest.png", "config.json"} <= {p.name for p in out.iterdir()}
    cv = pd.read_csv(out / "cv.csv")
    assert list(cv.columns[:5]) == ["unique_id", "ds", "cutoff", "h", "y"]
    assert cv["cutoff"].nunique() == 3 and len(cv) == 45
    m = pd.read_csv(out / "metrics_by_cutoff.csv")
    assert len(m) == 6 and np.isfinite(m["mae"]).all()
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["run"]["refit"] is False and cfg["run"]["mode"] == "sliding"


def _bad_cases(tmp_path, csv):
    short = tmp_path / "short.csv"
    demo_market(n_days=100).to_csv(short, index=False)
    d = ["--data", str(csv), "--target", "close", "--lookback", "5"]
    return {
        "compare unknown model": (["compare", *d, "--models", "drift,lstmm"], "lstm"),
        "backtest unknown model": (["backtest", *d, "--models", "arimaa"], "arima"),
        "unknown reference": (["compare", *d, "--models", "drift", "--reference", "drfit"],
                              "drift"),
        "duplicate model": (["compare", *d, "--models", "drift,drift"], "twice"),
        "level out of range": (["compare", *d, "--models", "drift", "--level", "150"], "level"),
        "fraction level": (["compare", *d, "--models", "drift", "--level", "0.9"], "90"),
        "too few rows for the origins": (["backtest", "--data", str(short), "--target", "close",
                                          "--models", "drift", "--windows", "12"],
                                         "rolling windows"),
        "too few rows before the first origin": (["backtest", *d[:4], "--lookback", "60",
                                                  "--models", "drift"], "lookback"),
        "split with backtest": (["backtest", *d, "--models", "drift", "--split", "0.7"],
                                "rolling origins"),
        "unknown target": (["compare", "--data", str(csv), "--target", "closee"], "close"),
        "missing file": (["backtest", "--data", str(tmp_path / "nope.csv")], "not found"),
        "zero windows": (["backtest", *d, "--windows", "0"], "positive"),
        "text windows": (["backtest", *d, "--windows", "twelve"], "positive"),
        "bad step": (["backtest", *d, "--step", "week"], "month"),
        "bad level text": (["compare", *d, "--level", "high"], "percent"),
    }


CASES = [
    "compare unknown model", "backtest unknown model", "unknown reference", "duplicate model",
    "level out of range", "fraction level", "too few rows for the origins",
    "too few rows before the first origin", "split with backtest", "unknown target",
    "missing file", "zero windows", "text windows", "bad step", "bad level text"]


@pytest.mark.parametrize("case", CASES)
def test_bad_input_exit_2_one_line_nothing_written(case, tmp_path, csv, capsys):
    args, expect = _bad_cases(tmp_path, csv)[case]
    out = tmp_path / "out"
    code, _, err = _run(args + ["--out", str(out)], capsys)  # usage errors too: exit 2
    assert code == 2
    lines = [ln for ln in err.strip().splitlines() if ln]
    assert len(lines) == 1, err
    assert expect in lines[0] and "Traceback" not in err
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.tmp")]


def test_forecast_level_adds_intervals_and_coverage(csv, tmp_path, capsys):
    out = tmp_path / "fc"
    code, _, err = _run(["forecast", "--data", str(csv), "--target", "close", "--model", "drift",
                         "--references", "persistence", "--lookback", "5", "--level", "80,95",
                         "--quiet", "--out", str(out)], capsys)
    assert code == 0, err
    fc = pd.read_csv(out / "forecasts.csv")
    assert {"drift-lo-80", "drift-hi-95", "persistence-lo-95"} <= set(fc.columns)
    m = pd.read_csv(out / "metrics.csv").set_index("model")
    inside = (fc["drift-lo-95"] <= fc["y"]) & (fc["y"] <= fc["drift-hi-95"])
    assert m.loc["drift", "coverage_95"] == pytest.approx(inside.mean())
    assert (m["width_95"] > m["width_80"]).all()
    code = main(["forecast", "--data", str(csv), "--model", "drift", "--level", "120",
                 "--out", str(tmp_path / "bad")])
    assert code == 2 and not (tmp_path / "bad").exists()
