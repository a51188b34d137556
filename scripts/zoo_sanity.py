"""Quick sanity run of the comparison zoo on the synthetic demo market (not a benchmark).

Trains every zoo model through :class:`cpjax.forecast.Forecaster` for a few epochs on
``cpjax.data.demo_market()`` (900 synthetic business days, target ``close``, 70/30 split,
15 % of the training windows for early stopping) and reports the first and last epoch's
training loss, the best validation loss and the test RMSE next to persistence.  Writes
``benchmarks/results/zoo_sanity.json`` and prints a Markdown table.

    python scripts/zoo_sanity.py            # 20 epochs, lookback 10 (60 for the hybrids)
    python scripts/zoo_sanity.py --epochs 5 --models mlp gru
    python scripts/zoo_sanity.py --residual --out benchmarks/results/zoo_sanity_residual.json
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np

from cpjax.data import demo_market
from cpjax.forecast import Forecaster

RUNS = {
    "mlp": {}, "rnn": {}, "gru": {}, "bilstm": {}, "cnn": {}, "transformer": {},
    "autoencoder": {}, "vae": {}, "gan": {}, "lstm": {},
    # seed 003's recipe: lookback 60, Huber, RMSProp 0.01 halved every 100 epochs, batch 64
    "hybrid": {"lookback": 60, "loss": "huber", "optimizer": "rmsprop", "learning_rate": 1e-3,
               "batch_size": 64, "optimizer_params": {"schedule": "step", "decay_every": 100}},
    "hybrid_cascade": {"lookback": 60, "loss": "huber", "optimizer": "rmsprop",
                       "learning_rate": 1e-3, "batch_size": 64,
                       "optimizer_params": {"schedule": "step", "decay_every": 100}},
}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--models", nargs="*", default=list(RUNS))
    ap.add_argument("--residual", action="store_true",
                    help="networks predict the change from the last value")
    ap.add_argument("--out", default="benchmarks/results/zoo_sanity.json")
    args = ap.parse_args(argv)
    df = demo_market()
    rows = []
    for name in args.models:
        settings = {"lookback": 10, "epochs": args.epochs, "patience": args.epochs, "seed": 0,
                    **RUNS[name], "residual": True if args.residual else None}
        t0 = time.perf_counter()
        f = Forecaster(name, **settings).fit(df, target="close")
        seconds = time.perf_counter() - t0
        pred = f.predict()
        err = pred[name].to_numpy() - pred["y"].to_numpy()
        last = Forecaster("persistence", lookback=settings["lookback"]).fit(df, target="close")
        p_err = last.predict()["persistence"].to_numpy() - pred["y"].to_numpy()
        tl = f.history_["train_loss"][:, 0]
        rows.append({"model": name, "residual": bool(args.residual),
                     "lookback": settings["lookback"],
                     "loss": settings.get("loss", "mse"),
                     "optimizer": settings.get("optimizer", "adam"),
                     "first_train_loss": float(tl[0]), "last_train_loss": float(tl[-1]),
                     "best_val_loss": float(np.nanmin(f.history_["val_loss"][:, 0])),
                     "test_rmse": float(np.sqrt(np.mean(err ** 2))),
                     "persistence_rmse": float(np.sqrt(np.mean(p_err ** 2))),
                     "fit_seconds": seconds})
        print(json.dumps(rows[-1]), flush=True)
    meta = {"data": "cpjax.data.demo_market() (synthetic, seed 0, 900 business days)",
            "target": "close", "split": "first 70 % of rows train (15 % of its windows for "
            "early stopping), rest test", "seed": 0, "epochs": args.epochs,
            "residual": bool(args.residual),
            "device": f"{platform.machine()} CPU (shared 2-core machine)",
            "date": time.strftime("%Y-%m-%d"), "rows": rows}
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(meta, indent=2))
    print("| model | lookback | loss | first train loss | last train loss | best val loss "
          "| test RMSE | persistence RMSE | fit s |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['model']} | {r['lookback']} | {r['loss']} | {r['first_train_loss']:.4g} | "
              f"{r['last_train_loss']:.4g} | {r['best_val_loss']:.4g} | {r['test_rmse']:.3f} | "
              f"{r['persistence_rmse']:.3f} | {r['fit_seconds']:.0f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
