"""``cpjax compare`` and ``cpjax backtest`` (thin wrappers; see ``../shared/spec/cli.md``)."""

from __future__ import annotations

import argparse

from ._cli import _csv_list, _levels, add_data_options, data_and_target, positive_int

__all__ = ["register"]


def _step(text: str) -> str | int:
    if text == "month":
        return text
    try:
        return positive_int(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"expected 'month' or a positive number of rows, got "
                                         f"{text!r}") from None


def _config(args):
    from ._config import ForecasterConfig

    return ForecasterConfig(
        optimizer=args.optimizer, learning_rate=args.learning_rate, loss=args.loss,
        lookback=args.lookback, horizon=args.horizon, epochs=args.epochs,
        batch_size=args.batch_size, patience=args.patience, seeds=args.seeds, seed=args.seed,
        residual=True if args.residual else None, progress=args.progress)


def _common(args) -> dict:
    return dict(models=args.models, reference=args.reference, features=args.features,
                select=args.select, levels=args.level, spike_threshold=args.spike_threshold,
                price_level=args.price_level, unique_id=args.unique_id)


def _print(table, cols, out, quiet):
    if not quiet:
        cols = [c for c in cols if c in table.columns]
        print(table[cols].to_string(index=False, float_format=lambda v: f"{v:.4g}"))
        print(f"wrote {out}")


def _compare(args: argparse.Namespace) -> int:
    from ._compare import compare_models

    data, target = data_and_target(args)
    run = compare_models(data, args.out, config=_config(args), target=target, split=args.split,
                         test_start=args.test_start, settings={"demo": bool(args.demo)},
                         **_common(args))
    _print(run.table, ["model", "n_seeds", "rmse", "mae", "mase", "spike_f1", "train_s",
                       "latency_ms", "coverage_95"], args.out, args.quiet)
    return 0


def _backtest(args: argparse.Namespace) -> int:
    from .._errors import CpjaxInputError
    from ._backtest import backtest

    if args.split is not None or args.test_start is not None:
        raise CpjaxInputError("backtest splits the data by rolling origins; fix: drop --split / "
                              "--test-start and use --windows and --step")
    data, target = data_and_target(args)
    run = backtest(data, args.out, config=_config(args), target=target, n_windows=args.windows,
                   step=args.step, refit=args.refit, mode=args.mode,
                   settings={"demo": bool(args.demo)}, **_common(args))
    _print(run.overall, ["model", "rmse", "mae", "mae_cutoff_std", "coverage_95", "fit_s_mean"],
           args.out, args.quiet)
    return 0


def _shared(p: argparse.ArgumentParser) -> None:
    add_data_options(p)
    p.add_argument("--models", type=_csv_list, metavar="A,B,...",
                   help="registry names (cpjax models); NAME-residual predicts the change from "
                   "the last value. Default persistence,arima,lstm (+ hybrid when registered)")
    p.add_argument("--reference", help="model the others are tested against (default: hybrid "
                   "when compared, else lstm); every model is also tested against persistence")
    p.add_argument("--level", type=_levels, default=[80.0, 95.0], metavar="80,95",
                   help="split-conformal interval levels in percent ('none' for no intervals)")
    p.add_argument("--spike-threshold", type=float, default=0.05,
                   help="daily relative rise counted as a spike (default 0.05 = 5 %%)")
    p.add_argument("--price-level", type=float, default=80.0,
                   help="price level of the hit rate (default 80, seed 003's CNY/t)")
    p.add_argument("--optimizer", default="adam", help="adam, adamw, rmsprop, sgd or sophia")
    p.add_argument("--learning-rate", type=float, default=1e-3)
    p.add_argument("--loss", default="mse", choices=["mse", "mae", "huber"])
    p.add_argument("--batch-size", type=positive_int, default=32)
    p.add_argument("--patience", type=int, default=20, help="early-stopping patience (0: off)")
    p.add_argument("--residual", action="store_true",
                   help="every network predicts the change from the last value")
    p.add_argument("--quiet", action="store_true", help="print nothing on success")


def register(sub) -> None:
    c = sub.add_parser("compare", help="compare models on one split: accuracy, spikes, times, "
                       "tests, intervals",
                       description="Fit several models on the same split; write table.csv/.md "
                       "(accuracy, spike recall/F1, training time, prediction latency, interval "
                       "coverage), tests.csv (Wilcoxon, paired t, Diebold-Mariano HLN against "
                       "the reference and persistence), forecasts.csv, forecast.png, config.json.")
    _shared(c)
    c.set_defaults(func=_compare)
    b = sub.add_parser("backtest", help="rolling-origin backtest (12 monthly origins by default)",
                       description="Train at each origin on the data up to it and forecast the "
                       "next block; write cv.csv, metrics_by_cutoff.csv, overall.csv/.md, "
                       "tests.csv, backtest.png, config.json.")
    _shared(b)
    b.add_argument("--windows", type=positive_int, default=12, help="number of origins")
    b.add_argument("--step", type=_step, default="month",
                   help="'month' (calendar months) or rows per block")
    b.add_argument("--refit", action=argparse.BooleanOptionalAction, default=True,
                   help="retrain at every origin (default) or train once at the first")
    b.add_argument("--mode", choices=["expanding", "sliding"], default="expanding")
    b.set_defaults(func=_backtest)
