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
    NodeModel,
    Scaler,
    generate,
    generate_ensemble,
    generate_trajectories,
    load_model,
    make_field,
    save_model,
)

ROOT = Path(__file__).resolve().parents[2]


def _model(cfg: NodeConfig) -> NodeModel:
    mean = np.array([[40.0, 5.0], [20.0, 2.0]])
    std = np.array([[4.0, 1.5], [2.0, 0.5]])
    return NodeModel(make_field(2, cfg, seed=7), cfg, ("thermal", "hydro"), ("A", "B"),
                     "TWh/month", Scaler(mean, std), "2010-01", "2021-12",
                     np.array([[42.0, 4.0], [21.0, 2.5]]), "test")


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    cfg = NodeConfig(width=8, depth=1, solver="rk4", series_weights=(1.0, 0.5))
    model = _model(cfg)
    folder = tmp_path_factory.mktemp("m") / "model"
    save_model(model, folder)
    traj = generate_trajectories(model, "2023-12")
    return model, folder, traj


def test_round_trip_is_exact_and_json_header(saved):
    model, folder, traj = saved
    head = json.loads((folder / "hyperparams.json").read_text())
    assert head["format"] == "cpjax.node.model/1" and head["config"]["width"] == 8
    assert not any(p.suffix in (".pkl", ".pickle") for p in folder.iterdir())
    loaded = load_model(folder.parent)  # the train --out folder also works
    assert loaded.config == model.config
    again = generate_trajectories(loaded, "2023-12")
    np.testing.assert_array_equal(again.values, traj.values)
    assert traj.values.shape == (2, 25, 2)
    np.testing.assert_allclose(traj.values[:, 0], model.last_values, rtol=1e-6)
    assert traj.compile_seconds > 0 and traj.run_seconds > 0


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
    assert t.values[0, 0, 0] == pytest.approx(50.0) and t.values[0, 0, 1] == pytest.approx(2.5)
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
    with pytest.raises(CpjaxInputError, match="did you mean 'thermal'"):
        generate_trajectories(model, "2023-01", initial={"termal": 1.0})
