"""``cpjax node train`` / ``cpjax node generate`` through cpjax.cli.main, good and bad input."""

from __future__ import annotations

import json

import pandas as pd
import pytest

FAST = ["--width", "8", "--depth", "1", "--solver", "rk4", "--epochs", "1",
        "--baselines", "persistence,seasonal_naive"]


def test_train_then_generate_on_demo(cli_main, tmp_path, capsys):
    out = tmp_path / "run"
    assert cli_main(["node", "train", "--demo", *FAST, "--out", str(out)]) == 0
    for name in ("model/hyperparams.json", "model/params.eqx", "metrics.csv", "fit.png",
                 "config.json", "forecasts.csv", "history.csv"):
        assert (out / name).is_file(), name
    m = pd.read_csv(out / "metrics.csv")
    assert {"neural_ode", "persistence", "seasonal_naive"} <= set(m["method"])
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["settings"]["width"] == 8 and "versions" in cfg
    assert cfg["fit"]["epochs_run"] == 1 and cfg["fit"]["steps_per_epoch"] >= 1
    hist = pd.read_csv(out / "history.csv")
    assert list(hist.columns) == ["epoch", "step", "train_loss", "val_loss", "accepted"]
    assert hist["epoch"].tolist() == [0, 1] and hist["step"].iloc[-1] == cfg["fit"]["steps_per_epoch"]
    gen = tmp_path / "gen"
    assert cli_main(["node", "generate", "--model", str(out), "--until", "2023-06",
                     "--initial", "thermal=40", "--province", "Demo-B", "--out", str(gen)]) == 0
    capsys.readouterr()
    plaus = json.loads((gen / "plausibility.json").read_text())
    assert plaus["status"] in ("plausible", "implausible") and plaus["checked_years"] == [2022]  # 2023 incomplete
    traj = pd.read_csv(gen / "trajectories.csv")
    assert list(traj.columns) == ["panel", "date", "unit", "thermal", "hydro", "wind"]
    assert traj["date"].iloc[0] == "2021-12" and traj["date"].iloc[-1] == "2023-06"
    assert traj["thermal"].iloc[0] == pytest.approx(40.0)
    timing = json.loads((gen / "config.json").read_text())["timing"]
    assert timing["run_seconds"] > 0


def _ytd_file(tmp_path, months=12):
    rows = ["month,province,source,generation_ytd_1e4kwh"]
    for i in range(months):
        y, m = 2020 + i // 12, i % 12 + 1
        rows.append(f"{y}-{m:02d},Shandong,thermal,{1e5 * m}")
    f = tmp_path / "ytd.csv"
    f.write_text("\n".join(rows) + "\n")
    return f


@pytest.mark.parametrize("args, message", [
    (["node", "train", "--data", "nope.csv"], "not found"),
    (["node", "train", "--demo", "--series", "termal"], "did you mean 'thermal'"),
    (["node", "train", "--demo", "--province", "Demo-Z"], "unknown province"),
    (["node", "train", "--demo", "--epochs", "0"], "positive integer"),
    (["node", "train", "--demo", "--patience", "-1"], "--patience"),
    (["node", "train", "--demo", "--start", "2021-06"], "only 7 time points"),
    (["node", "train"], "exactly one of --demo or --data"),
    (["node", "train", "--demo", "--baselines", "prophet"], "unknown baseline"),
    (["node", "train", "--demo", "--optimizer", "adabelief"], "unknown optimizer 'adabelief'"),
    (["node", "generate", "--model", "missing_dir"], "no Neural ODE model"),
])
def test_bad_input_exit_2_one_line_nothing_written(cli_main, tmp_path, capsys, monkeypatch,
                                                   args, message):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out"
    assert cli_main([*args, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err and "Traceback" not in err
    assert not out.exists()


def test_bad_data_file_contents(cli_main, tmp_path, capsys):
    short = _ytd_file(tmp_path, months=12)
    out = tmp_path / "out"
    assert cli_main(["node", "train", "--data", str(short), "--out", str(out)]) == 2
    assert "only 12 time points" in capsys.readouterr().err
    assert cli_main(["node", "train", "--data", str(short), "--province", "Shandon",
                     "--out", str(out)]) == 2
    assert "did you mean 'Shandong'" in capsys.readouterr().err
    assert not out.exists()


def test_bad_generate_options(cli_main, tmp_path, capsys, make_model):
    from cpjax.node import NodeConfig, demo_data, save_model

    cfg = NodeConfig(width=4, depth=1, solver="rk4")
    save_model(make_model(demo_data(n_panels=1), cfg), tmp_path / "m" / "model")
    out = tmp_path / "out"
    for extra, msg in ((["--initial", "thermal"], "SERIES=VALUE"),
                       (["--initial", "coal=3"], "unknown series"),
                       (["--until", "2020-01"], "after the start"),
                       (["--until", "20x0"], "YYYY-MM")):
        assert cli_main(["node", "generate", "--model", str(tmp_path / "m"), *extra,
                         "--out", str(out)]) == 2
        assert msg in capsys.readouterr().err
    assert not out.exists()


def test_epochs_and_patience_mean_what_the_help_says(cli_main, tmp_path):
    """--epochs N --patience 0 runs exactly N epochs of floor(windows / batch) steps, counted on
    the months and panels left after --start/--province; the history records both."""
    from cpjax.node import demo_data

    out = tmp_path / "run"
    assert cli_main(["node", "train", "--demo", *FAST, "--epochs", "3", "--patience", "0",
                     "--start", "2019-01", "--province", "Demo-A", "--out", str(out)]) == 0
    cfg = json.loads((out / "config.json").read_text())
    months = int((demo_data().dates >= pd.Timestamp("2019-01").to_datetime64().astype(
        "datetime64[M]")).sum())
    n_train = round(months * 0.70)  # 70/15/15 split
    windows = n_train - min(cfg["settings"]["window"], n_train) + 1  # one panel
    per_epoch = windows // min(cfg["settings"]["batch_size"], windows)
    assert cfg["settings"]["epochs"] == 3 and cfg["fit"]["epochs_run"] == 3
    assert cfg["fit"]["steps_per_epoch"] == per_epoch
    hist = pd.read_csv(out / "history.csv")
    assert hist["epoch"].tolist() == [0, 1, 2, 3]
    assert hist["step"].tolist() == [0, per_epoch, 2 * per_epoch, 3 * per_epoch]
