"""Accuracy on real data: a Chinese pilot's close price with CSI 300, USD/CNY and EUA futures.

Data: ../shared/data/china_pilots/<market>_ohlcv.csv joined with pilot_close_with_covariates.csv
(cpjax.data.load_pilot_ohlcv; covariates forward-filled to the pilot's trading days).
Inputs: close (target, first), open, high, low, volume, csi300, usdcny, eua_futures.
Lookback 10, horizon 1, chronological 7:3 split; persistence, drift, ARIMA, SVR, LSTM and
LSTM in residual mode (predicting the change from the last close), the networks over 5 seeds.
Writes benchmarks/results/accuracy_<market>.{json,md}. Skips with a message when the data is absent.

    python benchmarks/accuracy_pilot.py [--market guangdong|hubei] [--seeds 5] [--epochs 100] [--quick]
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import pandas as pd
from _common import machine, write

import cpjax  # noqa: F401


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--market", default="guangdong")
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--epochs", type=int, default=100)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--optimizers", action="store_true",
                    help="compare AdamW, Sophia-H and Sophia-G on the residual LSTM instead "
                         "(fixed epochs, no early stopping)")
    args = ap.parse_args()
    from cpjax._paths import shared_data_dir
    if shared_data_dir() is None:
        print("skipped: ../shared/data not found (set CPJAX_SHARED_DATA)")
        return 0
    from cpjax.data import load_pilot_ohlcv
    from cpjax.evaluate import format_table
    from cpjax.forecast import Forecaster, ForecasterConfig
    from cpjax.forecast._run import score_forecasts

    seeds, epochs = (2, 5) if args.quick else (args.seeds, args.epochs)
    df = load_pilot_ohlcv(args.market, covariates=("csi300", "usdcny", "eua_futures"))
    df = df.drop(columns=["amount"], errors="ignore")
    feats = ["open", "high", "low", "volume", "csi300", "usdcny", "eua_futures"]
    base = dict(lookback=10, horizon=1, epochs=epochs, seeds=seeds, batch_size=32, patience=20)
    runs = [("persistence", {}), ("drift", {}), ("arima", {}), ("svr", {}),
            ("svr", {"residual": True}), ("lstm", {}), ("lstm", {"residual": True})]
    if args.optimizers:
        base["patience"] = 0  # the same number of epochs for every optimizer
        runs = [("persistence", {}), ("arima", {})] + [
            ("lstm", {"residual": True, "optimizer": o, "optimizer_params": p, "label": lab})
            for lab, o, p in [("lstm-adamw", "adamw", {}),
                              ("lstm-sophia-h", "sophia", {"estimator": "hutchinson"}),
                              ("lstm-sophia-g", "sophia", {"estimator": "gnb"})]]
    frames, n_seeds, times = [], {}, {}
    for model, extra in runs:
        name = model + ("-residual" if extra.get("residual") else "")
        extra = dict(extra)
        name = extra.pop("label", name)
        cfg = ForecasterConfig().with_settings({"model": model, **base, **extra,
                                                "seeds": seeds if model == "lstm" else 1})
        t0 = time.perf_counter()
        f = Forecaster(config=cfg).fit(df, "close", feats, split=0.7)
        p = f.predict()
        times[name] = time.perf_counter() - t0
        p = p.rename(columns={c: c.replace(model, name, 1) for c in p.columns if c.startswith(model)})
        frames.append(p)
        n_seeds[name] = f.n_seeds_
        print(name, f"{times[name]:.1f}s", flush=True)
    fc = frames[0]
    for fr in frames[1:]:
        cols = [c for c in fr.columns if c not in ("unique_id", "ds", "cutoff", "h", "y")]
        fc = fc.merge(fr[["ds", *cols]], on="ds")
    y_train = f.prepared_.frame["close"].to_numpy()[: f.prepared_.n_train]
    level = f.prepared_.frame.set_index("ds")["close"]
    last = level.reindex(pd.DatetimeIndex(fc["cutoff"])).to_numpy(dtype=np.float64)
    metrics = score_forecasts(fc, list(n_seeds), n_seeds, y_train, last)
    show = metrics.set_index("model")
    cols = ["mse", "rmse", "mae", "r2", "mase", "mse_mm", "rmse_mm", "mae_mm", "r2_mm"]
    table = pd.DataFrame(index=show.index)
    for c in cols:
        table[c] = [f"{m:.4f} ± {s:.4f}" if n > 1 else f"{m:.4f}"
                    for m, s, n in zip(show[c], show[f"{c}_std"], show["n_seeds"])]
    table["n_seeds"] = show["n_seeds"]
    table["fit+predict_s"] = [f"{times[m]:.1f}" for m in show.index]
    test = fc["ds"]
    head = (f"# {args.market.title()} close, one day ahead ({machine()['cpu']}, CPU)\n\n"
            f"Data: china_pilots/{args.market}_ohlcv.csv + pilot_close_with_covariates.csv, "
            f"{df['ds'].min().date()} .. {df['ds'].max().date()} ({len(df)} days); inputs close, "
            f"{', '.join(feats)}; lookback 10; 7:3 split, test {test.min().date()} .. "
            f"{test.max().date()} ({len(test)} days); LSTM 2x64, {'optimizer per row' if args.optimizers else 'Adam'} 1e-3, batch 32, up to {epochs} "
            f"epochs, {'no early stopping' if args.optimizers else 'early stopping (patience 20) on the last 15% of training windows'}; seeds 0..{seeds - 1}. "
            "`_mm` columns are on the training min-max scale (seed 000 Table 3).\n\n")
    md = head + format_table(table) + "\n"
    write(f"accuracy_{args.market}" + ("_optimizers" if args.optimizers else "")
          + ("_quick" if args.quick else ""),
          {"machine": machine(), "metrics": metrics.to_dict(orient="records"), "times_s": times,
           "settings": {**base, "features": feats}}, md)
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
