"""Parsers of ``cpjax node train`` and ``cpjax node generate`` (commands in
``cpjax/node/_cli.py``)."""

from __future__ import annotations

import argparse

from ._parser import (
    add_output_options,
    handler,
    month_text,
    nonneg_int,
    positive_float,
    positive_int,
)

__all__ = ["register"]


def _window(text: str) -> int:
    value = nonneg_int(text)
    if value == 1:
        raise argparse.ArgumentTypeError("must be 0 (the whole series) or at least 2 months")
    return value


def register(subparsers) -> None:
    """Add ``node train`` and ``node generate`` to the ``cpjax`` parser."""
    node = subparsers.add_parser("node", help="Neural ODE: train on monthly series, generate paths")
    sub = node.add_subparsers(dest="node_command", metavar="{train,generate}",
                              parser_class=type(node))
    sub.required = True
    t = sub.add_parser("train", help="fit a Neural ODE; write model/, metrics.csv, fit.png",
                       description="Fit a Neural ODE to monthly provincial series and compare it "
                       "with the baselines; write model/, metrics.csv, forecasts.csv, "
                       "history.csv, fit.png, config.json and run.json.")
    src = t.add_argument_group("data").add_mutually_exclusive_group(required=True)
    src.add_argument("--demo", action="store_true", help="generated synthetic 3-panel data set")
    src.add_argument("--data", metavar="PATH", help="provincial_generation_monthly_ytd.csv")
    t.add_argument("--series", help="comma-separated series (sources), default all")
    t.add_argument("--province", help="comma-separated provinces (panels) or 'all' (default)")
    t.add_argument("--start", type=month_text, metavar="YYYY-MM",
                   help="drop months before this one")
    # defaults: NodeConfig's (a test keeps them equal; not imported, so the parser stays light)
    t.add_argument("--epochs", type=positive_int, default=200,
                   help="maximum epochs; an epoch is one pass over every training window "
                   "(province, start month) in shuffled batches")
    t.add_argument("--patience", type=nonneg_int, default=20,
                   help="stop after this many epochs without a validation improvement and keep "
                   "the best epoch (0: never stop early, run all --epochs)")
    t.add_argument("--state", default="log", choices=["level", "log", "growth"],
                   help="what the ODE state is: values, log values or year-on-year log growth")
    t.add_argument("--width", type=positive_int, default=64, help="hidden units per layer")
    t.add_argument("--depth", type=nonneg_int, default=2, help="hidden layers")
    t.add_argument("--activation", default="relu", choices=["relu", "softplus", "tanh"],
                   help="activation of the vector field")
    t.add_argument("--solver", default="tsit5", choices=["tsit5", "dopri5", "rk4"],
                   help="ODE solver")
    t.add_argument("--window", type=_window, default=25,
                   help="training window in months (0 = the whole series)")
    t.add_argument("--optimizer", default="adam",
                   help="a name of the optimizer registry: adam, adamw, rmsprop, sgd or sophia "
                   "(Sophia-H; see docs/node.md)")
    t.add_argument("--lr", type=positive_float, default=1e-3, help="learning rate")
    t.add_argument("--baselines", default="persistence,seasonal_naive,arima",
                   help="comma-separated from persistence, seasonal_naive, arima ('' for none)")
    t.add_argument("--seed", type=nonneg_int, default=0, help="random seed")
    add_output_options(t)
    handler(t, "cpjax.node._cli:train", inputs=("data",), name="node train")

    g = sub.add_parser("generate", help="trajectories from a trained model",
                       description="Integrate a trained Neural ODE from an initial state; write "
                       "trajectories.csv (panel, date, unit, one column per series), "
                       "config.json and run.json.")
    g.add_argument("--model", required=True, metavar="DIR",
                   help="the --out folder of 'cpjax node train' (or its model/ folder)")
    g.add_argument("--initial", metavar="S=V,...",
                   help="initial values in original units (default: last observed month)")
    g.add_argument("--start", type=month_text, metavar="YYYY-MM", help="month of the initial state")
    g.add_argument("--until", type=month_text, default="2030-12", metavar="YYYY-MM",
                   help="last month generated")
    g.add_argument("--grid", default="monthly", choices=["monthly", "annual"],
                   help="output points")
    g.add_argument("--province", help="comma-separated panels (default all)")
    g.add_argument("--seed", type=nonneg_int, default=0, help="unused (generation is deterministic)")
    add_output_options(g, bar=False)
    handler(g, "cpjax.node._cli:generate", name="node generate")
