"""``cpjax ablation`` (a thin wrapper over :func:`cpjax.forecast.run_ablation`; see cli.md)."""

from __future__ import annotations

import argparse

from ._cli import add_data_options, data_and_target, positive_int

__all__ = ["register"]


def _ablation(args: argparse.Namespace) -> int:
    from ._ablation import ablation_table, run_ablation
    from ._config import ForecasterConfig

    data, target = data_and_target(args)
    cfg = ForecasterConfig(
        learning_rate=args.learning_rate, lookback=args.lookback, horizon=args.horizon,
        epochs=args.epochs, batch_size=args.batch_size, patience=args.patience, seeds=args.seeds,
        seed=args.seed, residual=True if args.residual else None, progress=args.progress)
    run = run_ablation(data, args.out, config=cfg, target=target, features=args.features,
                       select=args.select, split=args.split, test_start=args.test_start,
                       unique_id=args.unique_id, naive_stacking=args.naive_stacking,
                       settings={"demo": bool(args.demo)})
    if not args.quiet:
        print(ablation_table(run.table))
        print(f"wrote {args.out}")
    return 0


def register(sub) -> None:
    p = sub.add_parser("ablation", help="seed 000 Table 3: the combined model's components",
                       description="Fit LSTM, LSTM+EMA, LSTM+ASPP, LSTM+Sophia, LSTM+XGBoost and "
                       "the combined ASPP+EMA+LSTM (Sophia, XGBoost refiner) plus persistence and "
                       "ARIMA on one split; write table.csv/.md (mean and std over seeds, price "
                       "and min-max scale), forecasts.csv, errors.png, config.json.")
    add_data_options(p)
    p.add_argument("--learning-rate", type=float, default=1e-3)
    p.add_argument("--batch-size", type=positive_int, default=32)
    p.add_argument("--patience", type=int, default=20, help="early-stopping patience (0: off)")
    p.add_argument("--residual", action="store_true",
                   help="networks predict the change from the last value")
    p.add_argument("--naive-stacking", action="store_true",
                   help="add the in-sample (leaking) XGBoost stacking row for comparison")
    p.add_argument("--quiet", action="store_true", help="print nothing on success")
    p.set_defaults(func=_ablation)
