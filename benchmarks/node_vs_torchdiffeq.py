"""Neural ODE training step: cpjax (diffrax + equinox + optax, jit) vs torchdiffeq (PyTorch eager).

Same MLP (weights copied from the equinox model), same vector field input (state + sin/cos of
time), same solver (Dopri5), same tolerances (rtol 1e-3, atol 1e-6), same data (a batch of
trajectories on a monthly grid over one year), same loss (MSE) and optimizer (Adam, lr 1e-3).
One training step = forward solve + backward + Adam update. Warm-up (and jit compilation, reported
separately) excluded; median over repeats. Two cpjax formulations are timed:

* ``joint``: the batch is one ODE system of shape (B, n), as torchdiffeq solves it (one step size
  for the batch, error norm over all entries) — the like-for-like comparison;
* ``vmap``: what ``cpjax.node.fit`` does — ``vmap`` over trajectories, each with its own steps.

    python benchmarks/node_vs_torchdiffeq.py --quick    # CI-sized
    python benchmarks/node_vs_torchdiffeq.py            # full
Writes benchmarks/results/node_vs_torchdiffeq[_quick].{json,md}.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from pathlib import Path

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax

from cpjax.node import NodeConfig, make_field, solve_with_stats

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import describe, machine, torch_device, torch_sync  # noqa: E402

RTOL, ATOL, LR = 1e-3, 1e-6, 1e-3


def make_data(batch: int, n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    ts = np.arange(13, dtype=np.float32) / 12.0
    z0 = rng.standard_normal((batch, n)).astype(np.float32)
    rot = np.array([[-0.2, 2.0], [-2.0, -0.2]], dtype=np.float32)
    A = np.kron(np.eye(n // 2, dtype=np.float32), rot)
    ys = np.stack([z0 @ np.asarray(_expm(A * t)).T for t in ts], axis=1)  # (B, T, n)
    ys += 0.05 * rng.standard_normal(ys.shape).astype(np.float32)
    return ts, z0, ys.astype(np.float32)


def _expm(a):
    import scipy.linalg

    return scipy.linalg.expm(a.astype(np.float64))


class Joint(eqx.Module):
    field: eqx.Module

    def __call__(self, t, z, args):
        return jax.vmap(lambda zi: self.field(t, zi, args))(z)


def cpjax_step_fn(cfg, ts, z0, ys, mode):
    ts_j, z0_j, ys_j = jnp.asarray(ts), jnp.asarray(z0), jnp.asarray(ys)
    opt = optax.adam(LR)

    def loss(field):
        if mode == "joint":
            sol = solve_with_stats(Joint(field), z0_j, ts_j, cfg)
            pred = jnp.moveaxis(sol.ys, 0, 1)
            steps = sol.stats["num_steps"]
        else:
            sols = jax.vmap(lambda y0: solve_with_stats(field, y0, ts_j, cfg))(z0_j)
            pred = sols.ys
            steps = jnp.max(sols.stats["num_steps"])  # vmap runs until the slowest finishes
        return jnp.mean((pred - ys_j) ** 2), steps

    @eqx.filter_jit
    def step(field, state):
        (val, steps), grads = eqx.filter_value_and_grad(loss, has_aux=True)(field)
        with jax.numpy_dtype_promotion("standard"):
            updates, state = opt.update(grads, state, eqx.filter(field, eqx.is_array))
        return eqx.apply_updates(field, updates), state, val, steps

    return step, opt


def torch_model(field, n, width, depth):
    import torch

    layers = []
    for i, lin in enumerate(field.mlp.layers):
        t_lin = torch.nn.Linear(lin.in_features, lin.out_features)
        with torch.no_grad():
            t_lin.weight.copy_(torch.from_numpy(np.array(lin.weight)))
            t_lin.bias.copy_(torch.from_numpy(np.array(lin.bias)))
        layers.append(t_lin)
        if i < len(field.mlp.layers) - 1:
            layers.append(torch.nn.ReLU())
    mlp = torch.nn.Sequential(*layers)

    class F(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.mlp = mlp
            self.nfe = 0

        def forward(self, t, z):
            self.nfe += 1
            w = 2 * math.pi * t
            feats = torch.stack([torch.sin(w), torch.cos(w)]).expand(z.shape[0], 2)
            return self.mlp(torch.cat([z, feats], dim=1))

    return F()


def bench(batch, n, width, depth, repeats, warmup):
    import torch
    from torchdiffeq import odeint

    cfg = NodeConfig(width=width, depth=depth, activation="relu", time_features="seasonal",
                     solver="dopri5", rtol=RTOL, atol=ATOL)
    ts, z0, ys = make_data(batch, n)
    field0 = make_field(n, cfg)
    out = {"batch": batch, "state": n, "width": width, "depth": depth, "points": len(ts)}
    for mode in ("joint", "vmap"):
        step, opt = cpjax_step_fn(cfg, ts, z0, ys, mode)
        field, state = field0, opt.init(eqx.filter(field0, eqx.is_array))
        t0 = time.perf_counter()
        field, state, val, steps = jax.block_until_ready(step(field, state))
        compile_s = time.perf_counter() - t0
        for _ in range(warmup):
            field, state, val, steps = jax.block_until_ready(step(field, state))
        times, nsteps = [], []
        for _ in range(repeats):
            t0 = time.perf_counter()
            field, state, val, steps = jax.block_until_ready(step(field, state))
            times.append(time.perf_counter() - t0)
            nsteps.append(int(steps))
        out[f"cpjax_{mode}"] = {"median_s": statistics.median(times), "compile_s": compile_s,
                                "solver_steps": statistics.median(nsteps),
                                "nfe_forward": 6 * statistics.median(nsteps) + 1,
                                "final_loss": float(val)}
    torch.manual_seed(0)
    dev = torch_device()  # CUDA when JAX runs on a GPU: like with like
    f = torch_model(field0, n, width, depth).to(dev)
    opt = torch.optim.Adam(f.parameters(), lr=LR)
    t_ts, t_z0, t_ys = (torch.from_numpy(a).to(dev) for a in (ts, z0, ys))

    def tstep():
        opt.zero_grad()
        f.nfe = 0
        pred = odeint(f, t_z0, t_ts, rtol=RTOL, atol=ATOL, method="dopri5").transpose(0, 1)
        loss = torch.mean((pred - t_ys) ** 2)
        nfe = f.nfe
        loss.backward()
        opt.step()
        return float(loss.detach()), nfe

    for _ in range(warmup + 1):
        tstep()
    times, nfes = [], []
    for _ in range(repeats):
        torch_sync(dev)
        t0 = time.perf_counter()
        val, nfe = tstep()
        torch_sync(dev)
        times.append(time.perf_counter() - t0)
        nfes.append(nfe)
    out["torchdiffeq"] = {"median_s": statistics.median(times), "nfe_forward":
                          statistics.median(nfes), "final_loss": val,
                          "threads": torch.get_num_threads(), "device": dev}
    out["ratio_torch_over_cpjax_joint"] = out["torchdiffeq"]["median_s"] / out["cpjax_joint"]["median_s"]
    out["ratio_torch_over_cpjax_vmap"] = out["torchdiffeq"]["median_s"] / out["cpjax_vmap"]["median_s"]
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--out", default=str(Path(__file__).parent / "results"))
    args = ap.parse_args()
    import torchdiffeq

    cases = [(32, 4, 64, 2)] if args.quick else [(16, 4, 64, 2), (64, 4, 64, 2), (256, 4, 64, 2)]
    repeats, warmup = (10, 2) if args.quick else (30, 3)
    rows = [bench(*c, repeats=repeats, warmup=warmup) for c in cases]
    mach = machine()
    device = f"{describe(mach)}, torchdiffeq {torchdiffeq.__version__}"
    meta = {"device": device, "machine": mach, "rtol": RTOL, "atol": ATOL, "solver": "dopri5", "repeats": repeats,
            "warmup": warmup, "lr": LR, "results": rows}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    tag = "_quick" if args.quick else ""
    (out / f"node_vs_torchdiffeq{tag}.json").write_text(json.dumps(meta, indent=2) + "\n")
    md = [f"Neural ODE training step (forward Dopri5 solve rtol {RTOL} atol {ATOL} + backward + "
          f"Adam), median of {repeats} after {warmup} warm-up steps. Device: {device}.", "",
          "| batch | MLP | torchdiffeq ms (NFE) | cpjax joint ms (NFE) | ratio | cpjax vmap ms "
          "(NFE of slowest) | ratio | cpjax compile s |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        t, j, v = r["torchdiffeq"], r["cpjax_joint"], r["cpjax_vmap"]
        md.append(f"| {r['batch']} | {r['state']}+2 -> {r['width']}x{r['depth']} -> {r['state']} "
                  f"| {1e3 * t['median_s']:.1f} ({t['nfe_forward']}) | {1e3 * j['median_s']:.1f} "
                  f"({j['nfe_forward']}) | {r['ratio_torch_over_cpjax_joint']:.1f}x | "
                  f"{1e3 * v['median_s']:.1f} ({v['nfe_forward']}) | "
                  f"{r['ratio_torch_over_cpjax_vmap']:.1f}x | {j['compile_s']:.1f} / "
                  f"{v['compile_s']:.1f} |")
    (out / f"node_vs_torchdiffeq{tag}.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))


if __name__ == "__main__":
    main()
