"""``cpjax node train`` and ``cpjax node generate`` (thin wrappers over :mod:`._api`)."""

from __future__ import annotations

import argparse
import dataclasses
import sys

from .._errors import CpjaxInputError

__all__ = ["register"]


def _names(text: str | None) -> list[str] | None:
    if text is None or text.strip().lower() in ("", "all"):
        return None
    return [t.strip() for t in text.split(",") if t.strip()]


def _initial(text: str | None) -> dict[str, float] | None:
    if not text:
        return None
    out = {}
    for part in text.split(","):
        name, sep, value = part.partition("=")
        try:
            if not sep:
                raise ValueError
            out[name.strip()] = float(value)
        except ValueError:
            raise CpjaxInputError(f"--initial {text!r}: expected SERIES=VALUE pairs separated by "
                                  "commas in original units, e.g. thermal=40.5,hydro=1.2") from None
    return out


def _train(args: argparse.Namespace) -> int:
    from ._api import BASELINES, train_to_dir
    from ._config import NodeConfig, PreprocessConfig
    if args.demo == (args.data is not None):
        raise CpjaxInputError("give exactly one of --demo or --data PATH")
    if args.epochs is not None and args.epochs < 1:
        raise CpjaxInputError(f"--epochs must be a positive integer, got {args.epochs}; fix: "
                              "e.g. --epochs 50")
    baselines = tuple(_names(args.baselines) or ())
    bad = [b for b in baselines if b not in BASELINES]
    if bad:
        raise CpjaxInputError(f"unknown baseline(s) {bad}; fix: choose from {', '.join(BASELINES)}")
    if args.patience < 0:
        raise CpjaxInputError(f"--patience must be >= 0 (0: no early stopping), got "
                              f"{args.patience}")
    base = NodeConfig()
    cfg = dataclasses.replace(base, width=args.width, depth=args.depth,
                              activation=args.activation, solver=args.solver,
                              learning_rate=args.lr, seed=args.seed, window=args.window,
                              state=args.state or base.state, epochs=args.epochs or base.epochs,
                              patience=args.patience, preprocess=PreprocessConfig())
    train_to_dir(args.out, data=args.data, demo=args.demo, series=_names(args.series),
                 provinces=_names(args.province), start=args.start, config=cfg,
                 baselines=baselines, progress=args.progress)
    return 0


def _generate(args: argparse.Namespace) -> int:
    from ._api import generate_to_dir

    traj = generate_to_dir(args.model, args.out, initial=_initial(args.initial),
                           until=args.until, start=args.start, panels=_names(args.province),
                           grid=args.grid)
    if traj.status != "plausible":
        bad = traj.plausibility["violations"]
        print(f"warning: {len(bad)} plausibility violation(s), e.g. {bad[0]['message']}; see "
              f"{args.out}/plausibility.json (cpjax scenarios --drivers node refuses these "
              "paths unless --allow-implausible-drivers)", file=sys.stderr)
    return 0


def register(subparsers) -> None:
    """Add ``node train`` and ``node generate`` to the ``cpjax`` parser."""
    node = subparsers.add_parser("node", help="Neural ODE: train on monthly series, generate paths")
    sub = node.add_subparsers(dest="node_command", metavar="{train,generate}",
                              parser_class=type(node))
    sub.required = True
    t = sub.add_parser("train", help="fit a Neural ODE; write model/, metrics.csv, fit.png")
    src = t.add_argument_group("data")
    src.add_argument("--demo", action="store_true", help="generated synthetic 3-panel data set")
    src.add_argument("--data", metavar="PATH", help="provincial_generation_monthly_ytd.csv")
    t.add_argument("--series", help="comma-separated series (sources), default all")
    t.add_argument("--province", help="comma-separated provinces (panels) or 'all' (default)")
    t.add_argument("--start", metavar="YYYY-MM", help="drop months before this one")
    t.add_argument("--epochs", type=int, default=None,
                   help="maximum epochs; an epoch is one pass over every training window "
                        "(province, start month) in shuffled batches (default 200)")
    t.add_argument("--patience", type=int, default=20,
                   help="stop after this many epochs without a validation improvement and keep "
                        "the best epoch (0: never stop early, run all --epochs)")
    t.add_argument("--state", default=None, choices=["level", "log", "growth"],
                   help="what the ODE state is: values, log values or year-on-year log growth")
    t.add_argument("--width", type=int, default=64)
    t.add_argument("--depth", type=int, default=2)
    t.add_argument("--activation", default="relu", choices=["relu", "softplus", "tanh"])
    t.add_argument("--solver", default="tsit5", choices=["tsit5", "dopri5", "rk4"])
    t.add_argument("--window", type=int, default=25, help="training window in months (0 = all)")
    t.add_argument("--lr", type=float, default=1e-3)
    t.add_argument("--baselines", default="persistence,seasonal_naive,arima",
                   help="comma-separated from persistence, seasonal_naive, arima ('' for none)")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--progress", action="store_true")
    t.add_argument("--out", required=True, metavar="DIR")
    t.set_defaults(func=_train)

    g = sub.add_parser("generate", help="trajectories from a trained model")
    g.add_argument("--model", required=True, metavar="DIR", help="--out of 'cpjax node train'")
    g.add_argument("--initial", metavar="S=V,...",
                   help="initial values in original units (default: last observed month)")
    g.add_argument("--start", metavar="YYYY-MM", help="month of the initial state")
    g.add_argument("--until", default="2030-12", metavar="YYYY-MM")
    g.add_argument("--grid", default="monthly", choices=["monthly", "annual"])
    g.add_argument("--province", help="comma-separated panels (default all)")
    g.add_argument("--seed", type=int, default=0, help="unused (generation is deterministic)")
    g.add_argument("--progress", action="store_true", help="unused (generation is quick)")
    g.add_argument("--out", required=True, metavar="DIR")
    g.set_defaults(func=_generate)
