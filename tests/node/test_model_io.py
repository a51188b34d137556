"""Save/load without pickle (exact predictions, also in a fresh process) and generation."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from cpjax import CpjaxInputError
from cpjax.node import (
    NodeConfig,
    NodeData,
    NodeModel,
    generate,
    generate_ensemble,
    generate_trajectories,
    load_model,
    make_field,
    read_trajectories,
    save_model,
    write_trajectories,
)

ROOT = Path(__file__).resolve().parents[2]


def _data() -> NodeData:
    """Two panels, 2010-01..2021-12, thermal and hydro with growth, season and noise."""
    dates = np.arange(np.datetime64("2010-01", "M"), np.datetime64("2022-01", "M"))
    t = np.arange(dates.size) / 12.0
    rng = np.random.default_rng(0)
    vals = np.empty((2, dates.size, 2))
    for p, (lt, lh) in enumerate(((40.0, 5.0), (20.0, 2.0))):
        vals[p, :, 0] = lt * np.exp(0.02 * t) * (1 + 0.1 * np.cos(2 * np.pi * t))
        vals[p, :, 1] = lh * (1 + 0.4 * np.sin(2 * np.pi * t))
    vals *= 1 + 0.03 * rng.standard_normal(vals.shape)
    return NodeData(("A", "B"), ("thermal", "hydro"), dates, vals, "TWh/month", "test")


def _model(cfg: NodeConfig, make_model) -> NodeModel:
    return make_model(_data(), cfg)


@pytest.fixture(scope="module")
def saved(tmp_path_factory, make_model):
    cfg = NodeConfig(width=8, depth=1, solver="rk4", series_weights=(1.0, 0.5))
    model = _model(cfg, make_model)
    folder = tmp_path_factory.mktemp("m") / "model"
    save_model(model, folder)
    traj = generate_trajectories(model, "2023-12")
    return model, folder, traj


def test_round_trip_is_exact_and_json_header(saved):
    model, folder, traj = saved
    head = json.loads((folder / "hyperparams.json").read_text())
    assert head["format"] == "cpjax.node.model/2" and head["config"]["width"] == 8
    assert not any(p.suffix in (".pkl", ".pickle") for p in folder.iterdir())
    loaded = load_model(folder.parent)  # the train --out folder also works
    assert loaded.config == model.config
    again = generate_trajectories(loaded, "2023-12")
    np.testing.assert_array_equal(again.values, traj.values)
    assert traj.values.shape == (2, 25, 2)
    np.testing.assert_allclose(traj.values[:, 0], model.last_values, rtol=1e-6)
    assert traj.compile_seconds > 0 and traj.run_seconds > 0
    assert traj.status in ("plausible", "implausible") and "violations" in traj.plausibility


def test_trajectories_file_round_trip(saved, tmp_path):
    _, _, traj = saved
    write_trajectories(traj, tmp_path)
    back = read_trajectories(tmp_path / "trajectories.csv")
    np.testing.assert_allclose(back.values, traj.values, rtol=1e-12)
    assert back.panels == traj.panels and back.series == traj.series
    assert list(back.dates) == list(traj.dates) and back.plausibility == traj.plausibility
    (tmp_path / "plausibility.json").unlink()
    assert read_trajectories(tmp_path).status == "unchecked"
    with pytest.raises(CpjaxInputError, match="not found"):
        read_trajectories(tmp_path / "nope.csv")


def test_fresh_process_reproduces_predictions(saved, tmp_path):
    _, folder, traj = saved
    out = tmp_path / "pred.npy"
    code = ("import sys, numpy as np; from cpjax.node import load_model, generate_trajectories;"
            "m = load_model(sys.argv[1]); "
            "np.save(sys.argv[2], generate_trajectories(m, '2023-12').values)")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "JAX_PLATFORMS": "cpu"}
    subprocess.run([sys.executable, "-c", code, str(folder), str(out)], check=True, env=env,
                   cwd=ROOT, capture_output=True)
    np.testing.assert_array_equal(np.load(out), traj.values)


def test_initial_conditions_grids_and_ensembles(saved):
    model, _, _ = saved
    t = generate_trajectories(model, "2030-12", initial={"thermal": 50.0}, grid="annual",
                              panels=["B"])
    assert [str(d) for d in t.dates[:2]] == ["2021-12", "2022-12"] and t.values.shape == (1, 10, 2)
    assert t.values[0, 0, 0] == pytest.approx(50.0)
    assert t.values[0, 0, 1] == pytest.approx(model.history[1, -1, 1])
    df = t.to_frame()
    assert list(df.columns) == ["panel", "date", "thermal", "hydro"]
    # an ensemble over parameter sets equals a loop over them
    cfg = model.config
    fields = [make_field(2, cfg, seed=s) for s in range(3)]
    stacked = jax.tree.map(lambda *a: jnp.stack(a) if isinstance(a[0], jax.Array) else a[0],
                           *fields)
    z0, ts = jnp.zeros((4, 2)), jnp.linspace(0.0, 1.0, 5)
    ens = generate_ensemble(stacked, z0, ts, cfg)
    loop = jnp.stack([generate(f, z0, ts, cfg) for f in fields])
    np.testing.assert_allclose(ens, loop, rtol=1e-5, atol=1e-6)


def test_bad_model_folder_and_dates(tmp_path, saved):
    with pytest.raises(CpjaxInputError, match="no Neural ODE model"):
        load_model(tmp_path)
    model, _, _ = saved
    with pytest.raises(CpjaxInputError, match="after the start"):
        generate_trajectories(model, "2020-01")
    with pytest.raises(CpjaxInputError, match="not a month of the model's history"):
        generate_trajectories(model, "2030-01", start="2022-06")
    with pytest.raises(CpjaxInputError, match="did you mean 'thermal'"):
        generate_trajectories(model, "2023-01", initial={"termal": 1.0})
