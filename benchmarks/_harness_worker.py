"""One workload of benchmarks/harness_speed.py, run in a fresh process against whichever cpjax
is first on PYTHONPATH (today's engine or the one tagged before the change).  Uses only the
public API both have; prints one JSON line: wall seconds, XLA compilations, accuracy."""

from __future__ import annotations

import json
import sys
import time


def main(workload: str, quick: bool) -> None:
    import jax
    import jax.monitoring
    import numpy as np

    counts = {"compiles": 0, "compile_s": 0.0}

    def listen(event, duration, **kw):
        if event == "/jax/core/compile/backend_compile_duration":
            counts["compiles"] += 1
            counts["compile_s"] += duration

    jax.monitoring.register_event_duration_secs_listener(listen)
    import cpjax
    from cpjax.data import demo_market, load_pilot_ohlcv
    from cpjax.forecast import ForecasterConfig, backtest, run_ablation

    try:  # today's API: one DataSpec; the old engine took the data settings as keywords
        from cpjax.forecast import DataSpec

        def data(df, **spec):
            return (DataSpec(df, **spec),), {}
    except ImportError:
        def data(df, **spec):
            return (df,), spec

    def config(**flat):  # the flat settings form, which both versions read
        return ForecasterConfig.from_dict(flat)

    if quick:
        df = demo_market(n_days=500)
        windows, seeds, epochs, patience = 3, 2, 4, 2
    else:
        df = load_pilot_ohlcv("guangdong", covariates=None)
        windows, seeds, epochs, patience = 12, 5, 30, 10
    features = ["open", "high", "low", "volume"]
    t0 = time.perf_counter()
    if workload in ("backtest_lstm", "backtest_combined"):
        if workload == "backtest_lstm":
            cfg = config(lookback=10, epochs=epochs, patience=patience, seeds=seeds,
                         residual=True, optimizer="adamw")
            model = "lstm"
        else:
            cfg = config(lookback=10, epochs=epochs, patience=patience, seeds=seeds,
                         residual=True, optimizer="sophia", refiner="xgboost")
            model = "aspp_ema_lstm"
        args, kw = data(df, target="close", features=features)
        run = backtest(*args, None, models=[model], config=cfg, n_windows=windows,
                       step="month", levels=(), **kw)
        o = run.overall.set_index("model")
        acc = {"mae": float(o.loc[model, "mae"]), "mae_persistence": float(o.loc["persistence", "mae"])}
    elif workload == "ablation":
        cfg = config(lookback=10, epochs=epochs, patience=patience, seeds=seeds, residual=True)
        args, kw = data(df, target="close", select="pcc")
        run = run_ablation(*args, None, config=cfg, references=("persistence",), **kw)
        t = run.table.set_index("model")
        acc = {f"rmse_{k}": float(v) for k, v in t["rmse"].items()}
    else:
        raise SystemExit(f"unknown workload {workload}")
    wall = time.perf_counter() - t0
    print(json.dumps({"workload": workload, "wall_s": wall, "compiles": counts["compiles"],
                      "compile_s": counts["compile_s"], "accuracy": acc,
                      "cpjax": getattr(cpjax, "__file__", "?"), "jax": jax.__version__,
                      "numpy": np.__version__}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2] == "quick")
