"""``cpjax scenarios --drivers node`` refuses implausible or unchecked trajectories unless
--allow-implausible-drivers; it never trains a Neural ODE itself."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd


def _write(folder, record):
    folder.mkdir(parents=True, exist_ok=True)
    dates = np.arange(np.datetime64("2021-01", "M"), np.datetime64("2031-01", "M"))
    t = np.arange(dates.size) / 12.0
    pd.DataFrame({"panel": "P", "date": [str(d) for d in dates], "thermal": 40 * 1.25 ** t,
                  "wind": 4 * 1.05 ** t}).to_csv(folder / "trajectories.csv", index=False)
    if record is not None:
        (folder / "plausibility.json").write_text(json.dumps(record))
    return folder / "trajectories.csv"


def _refused(cli, capsys, tmp_path, args, *needles):
    out = tmp_path / "never"
    assert cli(["scenarios", "--demo", "--drivers", "node", *args, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    for n in needles:
        assert n in err, err
    assert not out.exists()


def test_scenarios_refuse_implausible_unchecked_and_missing_trajectories(cli, capsys, tmp_path):
    bad = {"status": "implausible", "violations": [
        {"message": "P thermal 2030: 3596 TWh above capacity x hours 802 TWh (134 GW x 5991 h)"}]}
    path = _write(tmp_path / "bad", bad)
    _refused(cli, capsys, tmp_path, ["--node-trajectories", str(path)], "implausible",
             "3596 TWh above capacity", "--allow-implausible-drivers")
    path = _write(tmp_path / "hand", None)
    _refused(cli, capsys, tmp_path, ["--node-trajectories", str(path)],
             "no plausibility record", "--allow-implausible-drivers")
    _refused(cli, capsys, tmp_path, [], "--node-trajectories", "cpjax node generate")
