"""``cpjax forecast`` and ``cpjax models`` (thin wrappers; see ``../shared/spec/cli.md``)."""

from __future__ import annotations

import argparse
import json
import sys

__all__ = ["register", "positive_int", "add_data_options"]


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {value}")
    return value


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a fraction like 0.7, got {text!r}") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1 (exclusive), got {value}")
    return value


def _csv_list(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


def _levels(text: str) -> list[float]:
    if text.strip().lower() in ("", "none", "0"):
        return []
    try:
        return [float(t) for t in _csv_list(text)]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected levels in percent like 80,95, got {text!r}") from None


def _option(text: str) -> tuple[str, object]:
    """``NAME=VALUE`` with VALUE read as JSON when it parses (numbers, true/false), else text."""
    if "=" not in text:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    name, value = text.split("=", 1)
    try:
        return name.strip(), json.loads(value)
    except json.JSONDecodeError:
        return name.strip(), value


def add_data_options(p: argparse.ArgumentParser) -> None:
    """Options shared by the forecasting commands: data, columns, windows and split."""
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--demo", action="store_true", help="use the built-in synthetic market")
    src.add_argument("--data", metavar="PATH", help="CSV or Excel file (wide or long form)")
    p.add_argument("--target", help="column to forecast (default: y, else close)")
    cols = p.add_mutually_exclusive_group()
    cols.add_argument("--features", type=_csv_list, metavar="A,B,...",
                      help="input columns besides the target (default: all numeric columns)")
    cols.add_argument("--select", choices=["pcc", "pcc+granger"],
                      help="choose inputs by Pearson screening (seed 000), optionally Granger")
    p.add_argument("--unique-id", help="series to use from a long table")
    p.add_argument("--lookback", type=positive_int, default=10)
    p.add_argument("--horizon", type=positive_int, default=1)
    split = p.add_mutually_exclusive_group()
    split.add_argument("--split", type=_fraction, help="training fraction (default 0.7)")
    split.add_argument("--test-start", metavar="DATE", help="first date of the test part")
    p.add_argument("--seeds", type=positive_int, default=1, help="seeds to train (mean ± std)")
    p.add_argument("--epochs", type=positive_int, default=100)
    p.add_argument("--seed", type=int, default=0, help="first random seed")
    p.add_argument("--progress", action="store_true", help="show a progress bar")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder (created)")


def data_and_target(args: argparse.Namespace):
    """``(data, target)`` of the options from :func:`add_data_options`: the synthetic demo market
    (target ``close`` unless given) or the ``--data`` path."""
    from ..data import demo_market

    if args.demo:
        data = demo_market()
        data.attrs["source"] = "cpjax demo market (synthetic, demo_market seed 0)"
        return data, args.target or "close"
    return args.data, args.target


def _forecast(args: argparse.Namespace) -> int:
    from ._config import ForecasterConfig
    from ._run import run_forecast

    data, target = data_and_target(args)
    cfg = ForecasterConfig(
        model=args.model, optimizer=args.optimizer, learning_rate=args.learning_rate,
        optimizer_params=dict(args.optimizer_option),
        loss=args.loss, lookback=args.lookback, horizon=args.horizon, epochs=args.epochs,
        batch_size=args.batch_size, patience=args.patience, seeds=args.seeds, seed=args.seed,
        residual=True if args.residual else None, progress=args.progress,
        refiner=args.refiner)
    run = run_forecast(data, args.out, config=cfg, target=target, features=args.features,
                       select=args.select, split=args.split, test_start=args.test_start,
                       references=tuple(args.references), unique_id=args.unique_id,
                       settings={"demo": bool(args.demo)}, levels=tuple(args.level))
    if not args.quiet:
        cols = ["model", "n_seeds", "rmse", "mae", "r2", "mase", "rmse_mm"]
        print(run.metrics[cols].to_string(index=False, float_format=lambda v: f"{v:.4g}"))
        print(f"wrote {args.out}")
    return 0


def _models(args: argparse.Namespace) -> int:
    from ..nn import list_models

    rows = list_models()
    if args.json:
        json.dump(rows, sys.stdout, indent=2, default=str)
        print()
        return 0
    width = max(len(r["name"]) for r in rows)
    for r in rows:
        print(f"{r['name']:<{width}}  {r['kind']:<9}  {r['description']}")
    return 0


def register(sub) -> None:
    p = sub.add_parser("forecast", help="fit a model and the reference models; score them",
                       description="Fit one registered model plus persistence and ARIMA on the "
                       "same split; write forecasts.csv, metrics.csv, forecast.png, config.json, "
                       "model/.")
    add_data_options(p)
    p.add_argument("--model", default="lstm", help="registry name (see `cpjax models`)")
    p.add_argument("--optimizer", default="adam",
                   help="adam, adamw, rmsprop, sgd or sophia (networks only)")
    p.add_argument("--optimizer-option", type=_option, action="append", default=[],
                   metavar="NAME=VALUE", help="optimizer setting, repeatable, e.g. "
                   "estimator=gnb update_interval=10 weight_decay=0.01 (Sophia)")
    p.add_argument("--learning-rate", type=float, default=1e-3)
    p.add_argument("--loss", default="mse", choices=["mse", "mae", "huber"])
    p.add_argument("--batch-size", type=positive_int, default=32)
    p.add_argument("--patience", type=int, default=20, help="early-stopping patience (0: off)")
    p.add_argument("--residual", action="store_true",
                   help="networks predict the change from the last value")
    p.add_argument("--refiner", choices=["xgboost"],
                   help="refine the network with XGBoost fitted on out-of-fold predictions")
    p.add_argument("--references", type=_csv_list, default=["persistence", "arima"],
                   help="reference models fitted alongside (default persistence,arima)")
    p.add_argument("--level", type=_levels, default=[], metavar="80,95",
                   help="split-conformal prediction intervals at these levels (percent)")
    p.add_argument("--quiet", action="store_true", help="print nothing on success")
    p.set_defaults(func=_forecast)

    m = sub.add_parser("models", help="list the registered forecasting models")
    m.add_argument("--json", action="store_true", help="machine-readable output with defaults")
    m.set_defaults(func=_models)


