"""Parsers of ``cpjax cge solve``, ``cpjax scenarios`` and ``cpjax calibrate`` (commands in
``cpjax/cge/_cli.py``, ``_scenarios_cli.py`` and ``_calibrate_cli.py``)."""

from __future__ import annotations

import argparse
import re

from ._parser import (
    add_output_options,
    handler,
    nonneg_int,
    positive_float,
    positive_int,
    unit_fraction,
)

__all__ = ["register"]


def _years(text: str) -> str:
    m = re.match(r"^\s*(\d{4})\s*-\s*(\d{4})\s*$", text)
    if not m:
        raise argparse.ArgumentTypeError(f"expected FIRST-LAST, e.g. 2022-2030, got {text!r}")
    if int(m.group(2)) <= int(m.group(1)):
        raise argparse.ArgumentTypeError(f"{text!r}: the last year must come after the first")
    return f"{m.group(1)}-{m.group(2)}"


def _model_source(p: argparse.ArgumentParser, required: bool = True) -> None:
    src = p.add_mutually_exclusive_group(required=required)
    src.add_argument("--demo", action="store_true",
                     help="stylized 2022 coal-province SAM (synthetic) and its specification")
    src.add_argument("--sam", metavar="PATH", help="SAM file (CSV/Excel; rows receive, columns "
                     "pay), with --spec")
    p.add_argument("--spec", metavar="PATH", help="specification file (TOML/YAML), with --sam")


def register(subparsers: argparse._SubParsersAction) -> None:
    cge = subparsers.add_parser("cge", help="computable general equilibrium (SAM-based)")
    sub = cge.add_subparsers(dest="cge_command", metavar="COMMAND", parser_class=type(cge))
    sub.required = True
    p = sub.add_parser("solve", help="solve a counterfactual equilibrium and run the model checks",
                       description="Solve one counterfactual equilibrium; write solution.json, "
                       "summary.csv, checks.json (replication, Walras, homogeneity), "
                       "config.json and run.json.")
    _model_source(p)
    p.add_argument("--set", dest="sets", action="append", metavar="NAME=VALUE",
                   help="change a parameter, e.g. tfp.STEEL=1.05, tariff.CHEM=0, supply.LAB=1.1 "
                   "(repeatable)")
    # kept in step with cpjax.cge._solve.METHODS / LINEAR_SOLVERS (a test checks; not imported
    # here so that the parser stays light)
    p.add_argument("--method", choices=["newton", "dogleg", "levenberg_marquardt", "optimistix",
                                        "fixed_point"], default="newton",
                   help="newton (line search), dogleg, levenberg_marquardt, optimistix (plain "
                   "Newton) or fixed_point")
    p.add_argument("--linear-solver", choices=["auto", "lu", "gmres"], default="auto",
                   help="Newton's linear systems: dense LU, GMRES, or auto (LU up to 3,000 unknowns)")
    p.add_argument("--no-homotopy", action="store_true",
                   help="do not walk from the benchmark when the direct solve fails")
    p.add_argument("--homotopy-steps", type=positive_int, default=100,
                   help="most homotopy steps tried")
    p.add_argument("--tol", type=positive_float, default=1e-11, help="max-norm residual tolerance")
    p.add_argument("--max-steps", type=positive_int, default=None,
                   help="iteration limit (default: the solver's)")
    p.add_argument("--damping", type=unit_fraction, default=1.0,
                   help="fixed-point step length in (0, 1]")
    p.add_argument("--balance", choices=["ras"], default=None, help="balance the SAM first")
    p.add_argument("--seed", type=nonneg_int, default=0,
                   help="recorded; the solve is deterministic")
    add_output_options(p, bar=False)
    handler(p, "cpjax.cge._cli:solve", inputs=("sam", "spec"), name="cge solve",
            together=(("sam", "spec"),))

    s = subparsers.add_parser(
        "scenarios", help="emissions-trading scenarios S1-S5 along the 2022-2030 dynamic CGE path",
        description="Run the scenarios along the recursive-dynamic path; write scenarios.csv, "
                    "sectors.csv, peaks.csv, drivers.csv, energy/volume/price/emissions.png, "
                    "timing.json, config.json and run.json.")
    _model_source(s)
    s.add_argument("--years", type=_years, default="2022-2030",
                   help="FIRST-LAST (the SAM is the first year)")
    s.add_argument("--drivers", choices=["trend", "node"], default="trend",
                   help="exogenous drivers: smooth trends or Neural ODE trajectories")
    s.add_argument("--scenarios", default=None,
                   help="comma-separated shipped scenarios (default S1,S2,S3,S4,S5)")
    s.add_argument("--scenario-file", action="append", default=[], metavar="PATH",
                   help="a scenario TOML of your own (repeatable; see cpjax/cge/data/scenarios)")
    s.add_argument("--node-trajectories", default=None, metavar="PATH",
                   help="trajectories.csv of `cpjax node generate` (for --drivers node)")
    s.add_argument("--panel", default=None, help="panel (province) of the trajectories")
    s.add_argument("--allow-implausible-drivers", action="store_true",
                   help="run --drivers node on paths outside their plausibility bounds (or "
                   "never checked); refused by default")
    s.add_argument("--seed", type=nonneg_int, default=0,
                   help="recorded; nothing in the scenario run is random")
    add_output_options(s)
    handler(s, "cpjax.cge._scenarios_cli:scenarios",
            inputs=("sam", "spec", "scenario_file", "node_trajectories"),
            together=(("sam", "spec"),))

    c = subparsers.add_parser(
        "calibrate", help="fit CGE growth drivers or policy paths to targets (implicit gradients)",
        description="Gradient-based calibration of the CGE path to the targets in a TOML/JSON file "
                    "(format: docs/calibration.md). Writes calibrated.json, fit.csv, trace.csv, "
                    "gradient_check.csv, config.json and run.json.")
    c.add_argument("--targets", required=True, metavar="PATH|NAME",
                   help="targets file (.toml/.json) or a shipped name: baseline_energy, "
                   "s5_price_path, trend_emissions")
    _model_source(c, required=False)
    c.add_argument("--no-gradient-check", action="store_true",
                   help="skip the implicit vs finite-difference gradient check")
    c.add_argument("--seed", type=nonneg_int, default=0,
                   help="recorded; the calibration is deterministic")
    add_output_options(c)
    handler(c, "cpjax.cge._calibrate_cli:calibrate", inputs=("sam", "spec"),
            together=(("sam", "spec"),))
