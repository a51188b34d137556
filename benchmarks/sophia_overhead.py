"""Per-step cost of Sophia-H / Sophia-G vs AdamW and optax.contrib.sophia on the forecasting LSTM.

Model and sizes follow seed 000: windows of lookback 10 with 9 features, batch 32, one LSTM layer
of 64 units (Flax ``nn.RNN(nn.OptimizedLSTMCell)``) and a Dense(1) head, MSE loss.  Data are
synthetic standard-normal windows (seed 0): the cost of a step does not depend on the values.

Two timings per optimizer, each a full training step (loss, gradient, optimizer update, apply):
* ``loop``: the jitted step called from Python, one call per step (dispatch overhead included);
* ``scan``: ``n_steps`` steps fused in one jitted ``lax.scan`` (what cpjax.train's epochs do).
Warm-up (compile and the first runs) is excluded and compile time reported separately; the
optimizers are timed round-robin within each repeat (shared, noisy machine) and the median over
repeats of the per-step mean is reported, with ratios to AdamW.

    python benchmarks/sophia_overhead.py --quick    # CI-sized
    python benchmarks/sophia_overhead.py            # full: writes benchmarks/results/sophia_overhead.*
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import statistics
import sys
import time
from pathlib import Path

import flax.linen as nn
import jax
import jax.numpy as jnp
import optax

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from cpjax._io import versions, write_json  # noqa: E402
from cpjax.optim import sophia  # noqa: E402

LOOKBACK, FEATURES, BATCH, HIDDEN = 10, 9, 32, 64


class LSTMForecaster(nn.Module):
    hidden: int = HIDDEN

    @nn.compact
    def __call__(self, x):
        h = nn.RNN(nn.OptimizedLSTMCell(self.hidden))(x)
        return nn.Dense(1)(h[:, -1])


def optimizers(lr: float = 1e-3) -> dict[str, tuple[optax.GradientTransformation, str | None]]:
    """name -> (transformation, extra argument it needs: 'loss_fn', 'output_fn', 'obj_fn', None)."""
    wd = 1e-4
    return {
        "adamw": (optax.adamw(lr, weight_decay=wd), None),
        "sophia-H k=10": (sophia(lr, weight_decay=wd, update_interval=10), "loss_fn"),
        "sophia-H k=1": (sophia(lr, weight_decay=wd, update_interval=1), "loss_fn"),
        "sophia-G k=10": (sophia(lr, weight_decay=wd, update_interval=10, estimator="gnb"),
                          "output_fn"),
        "sophia-G k=1": (sophia(lr, weight_decay=wd, update_interval=1, estimator="gnb"),
                         "output_fn"),
        "optax.contrib.sophia k=10": (optax.contrib.sophia(lr, weight_decay=wd), "obj_fn"),
    }


def make_step(model, tx, needs):
    def step(params, opt_state, x, y):
        def loss_fn(p):
            return jnp.mean(jnp.square(model.apply(p, x) - y))

        loss, grads = jax.value_and_grad(loss_fn)(params)
        extra = {}
        if needs in ("loss_fn", "obj_fn"):
            extra[needs] = loss_fn
        elif needs == "output_fn":
            extra[needs] = lambda p: model.apply(p, x) - y  # mean (f - y)^2, gnb_loss="mse"
        updates, opt_state = tx.update(grads, opt_state, params, **extra)
        return optax.apply_updates(params, updates), opt_state, loss

    return step


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="few steps and repeats (CI)")
    ap.add_argument("--out", default=str(Path(__file__).parent / "results"))
    args = ap.parse_args(argv)
    # n_steps a multiple of 10 (the refresh interval): each block has exactly n_steps/10 refreshes
    n_steps, repeats = (20, 3) if args.quick else (50, 25)

    key = jax.random.PRNGKey(0)
    kx, ky, kp = jax.random.split(key, 3)
    xs = jax.random.normal(kx, (n_steps, BATCH, LOOKBACK, FEATURES), jnp.float32)
    ys = jax.random.normal(ky, (n_steps, BATCH, 1), jnp.float32)
    model = LSTMForecaster()
    params0 = model.init(kp, xs[0])

    runs = {}
    for name, (tx, needs) in optimizers().items():
        step = make_step(model, tx, needs)
        jstep = jax.jit(step)

        def scan_all(params, opt_state, xs, ys, step=step):
            def body(c, b):
                p, s, _ = step(c[0], c[1], *b)
                return (p, s), None

            return jax.lax.scan(body, (params, opt_state), (xs, ys))[0]

        jscan = jax.jit(scan_all)
        s0 = tx.init(params0)
        t0 = time.perf_counter()
        jstep.lower(params0, s0, xs[0], ys[0]).compile()
        t_compile_step = time.perf_counter() - t0
        t0 = time.perf_counter()
        jscan.lower(params0, s0, xs, ys).compile()
        t_compile_scan = time.perf_counter() - t0
        # warm-up: both branches of the refresh cond run at least once
        p, s = params0, s0
        for i in range(min(n_steps, 12)):
            p, s, _ = jstep(p, s, xs[i], ys[i])
        jax.block_until_ready(jscan(params0, s0, xs, ys))
        runs[name] = dict(step=jstep, scan=jscan, s0=s0, loop=[], fused=[],
                          compile_step_s=t_compile_step, compile_scan_s=t_compile_scan)

    for _ in range(repeats):
        for r in runs.values():  # round-robin: every optimizer sees the same machine noise
            p, s = params0, r["s0"]
            t0 = time.perf_counter()
            for i in range(n_steps):
                p, s, loss = r["step"](p, s, xs[i], ys[i])
            jax.block_until_ready((p, s))
            r["loop"].append((time.perf_counter() - t0) / n_steps)
            t0 = time.perf_counter()
            jax.block_until_ready(r["scan"](params0, r["s0"], xs, ys))
            r["fused"].append((time.perf_counter() - t0) / n_steps)

    base = {m: statistics.median(runs["adamw"][m]) for m in ("loop", "fused")}
    base_min = {m: min(runs["adamw"][m]) for m in ("loop", "fused")}
    rows = []
    for name, r in runs.items():
        med = {m: statistics.median(r[m]) for m in ("loop", "fused")}
        low = {m: min(r[m]) for m in ("loop", "fused")}
        rows.append(dict(
            optimizer=name,
            loop_ms_per_step=1e3 * med["loop"], loop_ratio_vs_adamw=med["loop"] / base["loop"],
            scan_ms_per_step=1e3 * med["fused"], scan_ratio_vs_adamw=med["fused"] / base["fused"],
            loop_min_ratio_vs_adamw=low["loop"] / base_min["loop"],
            scan_min_ratio_vs_adamw=low["fused"] / base_min["fused"],
            compile_step_s=r["compile_step_s"], compile_scan_s=r["compile_scan_s"],
            loop_samples_ms=[1e3 * v for v in r["loop"]],
            scan_samples_ms=[1e3 * v for v in r["fused"]],
        ))

    meta = dict(
        benchmark="sophia_overhead", mode="quick" if args.quick else "full",
        date_utc=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        device=f"{jax.devices()[0].device_kind} ({jax.default_backend()}), "
               f"{platform.processor() or platform.machine()}",
        model=f"Flax LSTM({HIDDEN}) + Dense(1), lookback {LOOKBACK}, {FEATURES} features, "
              f"batch {BATCH}, MSE", data="synthetic N(0,1) windows, seed 0",
        n_steps=n_steps, repeats=repeats, statistic="median over repeats of mean time per step",
        command="python benchmarks/sophia_overhead.py" + (" --quick" if args.quick else ""),
        versions=versions(),
    )
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = "sophia_overhead" + ("_quick" if args.quick else "")
    write_json(out / f"{stem}.json", dict(meta=meta, results=rows))
    lines = [
        f"# Sophia per-step overhead ({meta['mode']})", "",
        f"{meta['model']}; {meta['data']}; device: {meta['device']}; {meta['date_utc']}; "
        f"{n_steps} steps x {repeats} repeats, {meta['statistic']}. "
        f"Command: `{meta['command']}`.", "",
        "Ratios: median time / AdamW's median time (in brackets: fastest repeat / AdamW's "
        "fastest, less sensitive to other load on the machine).", "",
        "| optimizer | loop ms/step | loop ratio vs AdamW | scan ms/step | scan ratio vs AdamW "
        "| compile step (s) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['optimizer']} | {r['loop_ms_per_step']:.3f} | {r['loop_ratio_vs_adamw']:.2f} "
            f"({r['loop_min_ratio_vs_adamw']:.2f}) | {r['scan_ms_per_step']:.3f} "
            f"| {r['scan_ratio_vs_adamw']:.2f} ({r['scan_min_ratio_vs_adamw']:.2f}) "
            f"| {r['compile_step_s']:.2f} |")
    (out / f"{stem}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
