"""Seed 003's comparison on the development data: accuracy, spikes, times, tests, intervals.

Datasets (read from ../shared/data, never copied):
  eua        eu_ets/eua_daily_with_covariates.csv (cpjax.data.load_eua), target eua, all ten
             covariates; test from 2022-06-01 to the end (2023-05-30).
  guangdong  china_pilots/guangdong_ohlcv.csv + pilot covariates (load_pilot_ohlcv), target close,
             inputs open, high, low, volume, csi300, usdcny, eua_futures; test from 2020-09-01.
Training part: everything before the test start; its last 15 % of windows are the validation
windows (early stopping) and the conformal calibration windows.

``--part compare`` writes benchmarks/results/compare_<dataset>_L<lookback>.{json,md};
``--part backtest`` writes benchmarks/results/backtest_<dataset>_L<lookback>.{json,md}
(12 monthly origins, expanding, refit at every origin).

    python benchmarks/compare_realdata.py --dataset eua --lookback 60 --seeds 5 --epochs 60
    python benchmarks/compare_realdata.py --dataset guangdong --part backtest --models ...
    python benchmarks/compare_realdata.py --quick        # tiny CI-sized run
"""

from __future__ import annotations

import argparse
import sys
import time

from _common import machine, write

import cpjax  # noqa: F401

DATASETS = {
    "eua": {"target": "eua", "test_start": "2022-06-01", "price_level": 80.0},
    "guangdong": {"target": "close", "test_start": "2020-09-01", "price_level": 40.0,
                  "features": ["open", "high", "low", "volume", "csi300", "usdcny",
                               "eua_futures"]},
}


def load(name: str):
    from cpjax.data import load_eua, load_pilot_ohlcv

    if name == "eua":
        df = load_eua()
        df.attrs["source"] = "eu_ets/eua_daily_with_covariates.csv (load_eua)"
        return df, [c for c in df.columns if c not in ("ds", "eua")]
    df = load_pilot_ohlcv(name, covariates=("csi300", "usdcny", "eua_futures"))
    df = df.drop(columns=["amount"], errors="ignore")
    df.attrs["source"] = (f"china_pilots/{name}_ohlcv.csv + pilot_close_with_covariates.csv "
                          "(load_pilot_ohlcv)")
    return df, DATASETS[name]["features"]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataset", default="eua", choices=sorted(DATASETS))
    ap.add_argument("--part", default="compare", choices=["compare", "backtest"])
    ap.add_argument("--lookback", type=int, default=60)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--epochs", type=int, default=60)
    ap.add_argument("--patience", type=int, default=10)
    ap.add_argument("--models", default=None, help="comma-separated labels")
    ap.add_argument("--reference", default=None)
    ap.add_argument("--windows", type=int, default=12)
    ap.add_argument("--tag", default="", help="suffix of the result file names")
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    from cpjax._paths import shared_data_dir

    if shared_data_dir() is None:
        print("skipped: ../shared/data not found (set CPJAX_SHARED_DATA)")
        return 0
    from cpjax.forecast import DataSpec, ForecasterConfig, compare_models
    from cpjax.forecast._compare import markdown_tables

    ds = DATASETS[args.dataset]
    df, feats = load(args.dataset)
    seeds, epochs = (1, 2) if args.quick else (args.seeds, args.epochs)
    models = args.models.split(",") if args.models else None
    if args.quick:
        models = ["persistence", "lstm"]
    cfg = ForecasterConfig().with_settings(dict(
        lookback=args.lookback, epochs=epochs, seeds=seeds, patience=args.patience,
        batch_size=32))
    name = f"{args.part}_{args.dataset}_L{args.lookback}{args.tag}" + ("_quick" if args.quick else "")
    cmd = "python benchmarks/compare_realdata.py " + " ".join(sys.argv[1:])
    t0 = time.perf_counter()
    if args.part == "compare":
        spec = DataSpec(df, target=ds["target"], features=feats, test_start=ds["test_start"])
        run = compare_models(spec, None, models=models, reference=args.reference, config=cfg,
                             price_level=ds["price_level"])
        md = markdown_tables(run, (80, 95))
        payload = {"table": run.table.to_dict(orient="records"),
                   "tests": run.tests.to_dict(orient="records"), "info": run.info}
    else:
        from cpjax.forecast import backtest
        from cpjax.forecast._backtest import backtest_markdown

        windows = 3 if args.quick else args.windows
        run = backtest(DataSpec(df, target=ds["target"], features=feats), None, models=models,
                       reference=args.reference, config=cfg, n_windows=windows, refit=True,
                       price_level=ds["price_level"])
        md = backtest_markdown(run)
        payload = {"overall": run.overall.to_dict(orient="records"),
                   "by_cutoff": run.metrics_by_cutoff.to_dict(orient="records"),
                   "tests": run.tests.to_dict(orient="records"), "info": run.info}
    wall = time.perf_counter() - t0
    prov = (f"# {args.part}: {args.dataset}, lookback {args.lookback}\n\n"
            f"Machine: {machine()['cpu']} ({machine()['cores']} cores, shared), JAX "
            f"{machine()['jax_backend']}. Networks: up to {epochs} epochs, early stopping "
            f"(patience {args.patience}) on the last 15 % of training windows, Adam 1e-3, batch "
            f"32, MSE loss, seeds 0..{seeds - 1}; each network's forecast in the tests is the "
            f"mean over seeds. Wall time {wall:.0f} s. Command: `{cmd}`.\n\n")
    payload.update({"machine": machine(), "command": cmd, "wall_s": wall,
                    "settings": cfg.to_dict(), "dataset": args.dataset, **ds})
    write(name, payload, prov + md)
    print(prov + md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
