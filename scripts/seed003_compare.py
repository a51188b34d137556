"""Seed 003's protocol on a user's file: comparison table, test table and a 12-origin backtest.

Steps (seed 003, "Experimental design" and "Performance evaluation"):

1. The target's trading days are the calendar; macro indicators are aligned to them
   (``cpjax.data.align``: ``low_frequency`` = cubic spline + release dummy, ``point_in_time`` =
   forward fill, ``daily`` = reindex); rows before every indicator has a value are dropped.
2. Lookback 60 (``--lookback``), one day ahead; train / validation / test by date: rows before
   ``--val-start`` train the networks, rows from ``--val-start`` to ``--test-start`` are the
   validation windows (early stopping and conformal calibration), rows from ``--test-start`` on
   are the test period.
3. The comparison table (accuracy, spike recall/F1, hit rate above ``--price-level``, training
   time and prediction latency, 80/95 % interval coverage) and the test table (Wilcoxon, paired t,
   Diebold-Mariano with HLN against the reference model and against persistence):
   ``OUT/compare/``.
4. A rolling backtest over the last ``--windows`` calendar months (expanding, refit at every
   origin): ``OUT/backtest/``.  ``OUT/report.md`` collects both.

Usage:
    python scripts/seed003_compare.py --data prices.csv --target close \\
        --macro gdp=gdp.csv:low_frequency --macro ppi=ppi.csv:low_frequency \\
        --macro capacity=cap.csv:point_in_time --val-start 2023-01-01 --test-start 2024-01-01 \\
        --out results/seed003
    python scripts/seed003_compare.py --eua --out results/eua      # development data
    python scripts/seed003_compare.py --demo --out /tmp/s003      # synthetic, seconds
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from cpjax._errors import CpjaxInputError
from cpjax.data import align, demo_market, read_table
from cpjax.forecast import DataSpec, ForecasterConfig, backtest, compare_models
from cpjax.forecast._backtest import backtest_markdown
from cpjax.forecast._compare import markdown_tables

BASE_MODELS = "persistence,drift,arima,svr,lstm,lstm-residual"


def demo_macro(seed: int = 0) -> dict[str, tuple[pd.DataFrame, str]]:
    """SYNTHETIC macro indicators for the demo: quarterly GDP growth, monthly PPI, capacity."""
    rng = np.random.default_rng(seed)
    q = pd.date_range("2021-01-15", "2025-01-15", freq="QS-JAN") + pd.Timedelta(14, unit="D")
    m = pd.date_range("2021-01-01", "2025-01-01", freq="MS") + pd.Timedelta(9, unit="D")
    gdp = pd.DataFrame({"ds": q, "gdp_growth": 5 + rng.normal(0, 0.8, len(q)).cumsum() * 0.3})
    ppi = pd.DataFrame({"ds": m, "ppi": 100 + rng.normal(0, 0.6, len(m)).cumsum()})
    cap = pd.DataFrame({"ds": m, "renewable_gw": 900 + np.arange(len(m)) * 12.0})
    return {"gdp": (gdp, "low_frequency"), "ppi": (ppi, "low_frequency"),
            "capacity": (cap, "point_in_time")}


def _macro(spec: str) -> tuple[str, tuple[pd.DataFrame, str]]:
    try:
        name, rest = spec.split("=", 1)
        path, kind = rest.rsplit(":", 1)
    except ValueError:
        raise CpjaxInputError(f"--macro {spec!r} must look like NAME=PATH:KIND; fix: e.g. "
                              "gdp=gdp.csv:low_frequency") from None
    return name, (read_table(path), kind)


def prepare_table(prices: pd.DataFrame, macro: dict) -> tuple[pd.DataFrame, int]:
    """Align the indicators to the trading days; drop leading rows without every indicator."""
    df = align(prices, macro)
    cols = [c for c in df.columns if c != "ds"]
    ok = df[cols].notna().all(axis=1).to_numpy()
    first = int(np.argmax(ok)) if ok.any() else len(df)
    return df.iloc[first:].reset_index(drop=True), first


def run(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--data", help="CSV/Excel with a date column and the target (+ columns)")
    src.add_argument("--eua", action="store_true", help="development data (../shared/data)")
    src.add_argument("--demo", action="store_true", help="synthetic market + synthetic macro")
    ap.add_argument("--target", default=None)
    ap.add_argument("--macro", action="append", default=[], metavar="NAME=PATH:KIND")
    ap.add_argument("--val-start", default=None)
    ap.add_argument("--test-start", default=None)
    ap.add_argument("--lookback", type=int, default=60)
    ap.add_argument("--models", default=BASE_MODELS)
    ap.add_argument("--backtest-models", default="persistence,arima,lstm")
    ap.add_argument("--reference", default=None)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--backtest-seeds", type=int, default=1)
    ap.add_argument("--epochs", type=int, default=100)
    ap.add_argument("--patience", type=int, default=10)
    ap.add_argument("--windows", type=int, default=12)
    ap.add_argument("--price-level", type=float, default=80.0)
    ap.add_argument("--out", required=True)
    a = ap.parse_args(argv)
    if a.demo:
        prices, target = demo_market(), a.target or "close"
        macro = demo_macro()
        val_start, test_start = a.val_start or "2023-07-01", a.test_start or "2024-01-01"
        source = "cpjax demo market + demo_macro (SYNTHETIC)"
    elif a.eua:
        from cpjax.data import load_eua

        prices, target, macro = load_eua(), a.target or "eua", {}
        val_start, test_start = a.val_start or "2021-12-01", a.test_start or "2022-06-01"
        source = "eu_ets/eua_daily_with_covariates.csv"
    else:
        prices, target = read_table(a.data), a.target
        macro = dict(_macro(s) for s in a.macro)
        val_start, test_start, source = a.val_start, a.test_start, a.data
        if test_start is None:
            raise CpjaxInputError("--test-start is required with --data; fix: e.g. "
                                  "--test-start 2024-01-01")
    df, dropped = prepare_table(prices, macro)
    df.attrs["source"] = source
    dates = pd.DatetimeIndex(df["ds"])
    n_train = int(np.searchsorted(dates.values, pd.Timestamp(test_start).to_datetime64()))
    val_fraction = 0.15
    if val_start is not None:
        n_val = n_train - int(np.searchsorted(dates.values, pd.Timestamp(val_start).to_datetime64()))
        val_fraction = min(max(n_val / max(n_train - a.lookback, 1), 0.01), 0.9)
    # release dummies are 0/1: min-max (explicit; guess_category maps *_release to minmax too)
    scaling = {c: "minmax" for c in df.columns if c.endswith("_release")}
    cfg = ForecasterConfig().with_settings({
        "lookback": a.lookback, "epochs": a.epochs, "seeds": a.seeds, "patience": a.patience,
        "val_fraction": val_fraction, "scaling": scaling})
    out = Path(a.out)
    cmp = compare_models(DataSpec(df, target=target, test_start=test_start), out / "compare",
                         models=a.models.split(","), reference=a.reference, config=cfg,
                         price_level=a.price_level, settings={"script": "seed003_compare"})
    bcfg = cfg.with_settings({"seeds": a.backtest_seeds, "val_fraction": 0.15})
    bt = backtest(DataSpec(df, target=target), out / "backtest",
                  models=a.backtest_models.split(","), reference=a.reference, config=bcfg,
                  n_windows=a.windows, price_level=a.price_level)
    report = (f"# Seed 003 protocol on {source}\n\nColumns: {', '.join(df.columns[1:])}; "
              f"{dropped} leading rows dropped before every indicator had a value; validation "
              f"from {val_start} (val_fraction {val_fraction:.3f} of training windows), test "
              f"from {test_start}; lookback {a.lookback}; up to {a.epochs} epochs, patience "
              f"{a.patience}; {a.seeds} seeds (backtest {a.backtest_seeds}).\n\n"
              "## Comparison and tests\n\n" + markdown_tables(cmp, (80, 95)) +
              "\n## Rolling backtest\n\n" + backtest_markdown(bt))
    (out / "report.md").write_text(report)
    print(report)
    return 0


def main(argv=None) -> int:
    try:
        return run(argv)
    except CpjaxInputError as err:
        print(f"seed003_compare: error: {' '.join(str(err).split())}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
