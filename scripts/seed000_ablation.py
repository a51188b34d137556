"""Reproduce seed 000's protocol (Table 3, Fig. 9) on a data file or a development pilot.

Protocol: Pearson screening on the training part (the target's OHLCV plus the factors with
|r| >= 0.5; seed 000 ends with 9 inputs), lookback 10, one day ahead, chronological 7:3 split;
the six ablation rows (LSTM, LSTM+EMA, LSTM+ASPP, LSTM+Sophia, LSTM+XGBoost, combined) plus
persistence and ARIMA, mean ± std over seeds, on the price and the min-max scale; one
error-distribution panel per row with one histogram per seed.

Each output folder gets table.csv/.md, forecasts.csv, errors.png, selection.csv and
config.json. With ``--mode both`` the networks run once predicting the level (as in the seed)
and once predicting the change from the last close (``residual``), into ``OUT/level`` and
``OUT/residual``. ``--results NAME`` also writes benchmarks/results/NAME.{json,md}.

    python scripts/seed000_ablation.py --data my_prices.csv --out runs/seed000
    python scripts/seed000_ablation.py --market guangdong --seeds 5 --epochs 100 --mode both \\
        --out /tmp/gd --results seed000_ablation_guangdong
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import cpjax  # noqa: F401


def load(args):
    if args.data:
        return args.data, args.data
    from cpjax._paths import shared_data_dir
    from cpjax.data import load_pilot_ohlcv

    if shared_data_dir() is None:
        return None, None
    df = load_pilot_ohlcv(args.market, covariates="all").drop(columns=["amount"], errors="ignore")
    src = (f"china_pilots/{args.market}_ohlcv.csv + pilot_close_with_covariates.csv (all "
           f"covariates, forward-filled to trading days), {df['ds'].min().date()} .. "
           f"{df['ds'].max().date()}, {len(df)} days")
    df.attrs["source"] = src
    return df, src


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    src = ap.add_mutually_exclusive_group()
    src.add_argument("--data", help="CSV/Excel file with ds, close (and open/high/low/volume, factors)")
    src.add_argument("--market", default="guangdong", choices=["guangdong", "hubei"],
                     help="development pilot from ../shared/data (default)")
    ap.add_argument("--target", default="close")
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--epochs", type=int, default=100)
    ap.add_argument("--patience", type=int, default=20)
    ap.add_argument("--mode", choices=["level", "residual", "both"], default="both")
    ap.add_argument("--naive-stacking", action="store_true")
    ap.add_argument("--rows", help="comma-separated subset of the ablation rows (default all six)")
    ap.add_argument("--progress", action="store_true", help="report each row and epoch")
    ap.add_argument("--out", required=True)
    ap.add_argument("--results", help="also write benchmarks/results/RESULTS.{json,md}")
    args = ap.parse_args(argv)
    data, source = load(args)
    if data is None:
        print("skipped: ../shared/data not found (set CPJAX_SHARED_DATA)")
        return 0
    from cpjax.forecast import DataSpec, ForecasterConfig, run_ablation
    from cpjax.forecast._ablation import ablation_table

    modes = ["level", "residual"] if args.mode == "both" else [args.mode]
    out = Path(args.out)
    summary, md = {"source": source, "settings": vars(args), "runs": {}}, []
    for mode in modes:
        cfg = ForecasterConfig().with_settings({
            "lookback": 10, "horizon": 1, "epochs": args.epochs, "seeds": args.seeds,
            "patience": args.patience, "residual": True if mode == "residual" else None,
            "progress": args.progress})
        t0 = time.perf_counter()
        run = run_ablation(DataSpec(data, target=args.target, select="pcc", split=0.7),
                           out / mode if len(modes) > 1 else out, config=cfg,
                           naive_stacking=args.naive_stacking,
                           rows=args.rows.split(",") if args.rows else None,
                           settings={"script": "scripts/seed000_ablation.py", "mode": mode})
        wall = time.perf_counter() - t0
        fc = run.forecasts
        summary["runs"][mode] = {"table": run.table.to_dict(orient="records"), "wall_s": wall,
                                 "features": run.features, "test_start": str(fc["ds"].min().date()),
                                 "test_end": str(fc["ds"].max().date()), "n_test": len(fc)}
        md += [f"## {mode} output ({'change from the last close' if mode == 'residual' else 'price level'})", "",
               f"Inputs (PCC): {', '.join(run.features)}; test {fc['ds'].min().date()} .. "
               f"{fc['ds'].max().date()} ({len(fc)} days); wall {wall:.0f} s.", "",
               ablation_table(run.table), ""]
        print("\n".join(md[-5:]), flush=True)
    head = (f"# Seed 000 ablation: {source}\n\nLookback 10, horizon 1, 7:3 split, PCC selection; "
            f"networks up to {args.epochs} epochs (early stopping, patience {args.patience}, on "
            f"the last 15% of training windows), seeds 0..{args.seeds - 1}; AdamW/Sophia 1e-3, "
            "batch 32; XGBoost refiner on out-of-fold predictions (3 folds).\n\n")
    (out / "summary.md").write_text(head + "\n".join(md))
    (out / "summary.json").write_text(json.dumps(summary, indent=2, default=str))
    if args.results:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
        from _common import machine, write

        summary["machine"] = machine()
        write(args.results, summary, head + "\n".join(md))
    return 0


if __name__ == "__main__":
    sys.exit(main())
