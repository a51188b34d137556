"""Naive baselines on the real development data, scored with cpjax.evaluate.

For each series (Guangdong and Hubei pilot closes, EUA auction price) the first 70 % of days are
training, the last 30 % test.  One-step-ahead forecasts that only use values observed before the
day: persistence (last value), drift (last value + mean daily change over training) and a 5-day
moving average.  Reports the metric table (price and min-max scale, spike and level metrics), tests
against persistence (Wilcoxon, paired t, Diebold–Mariano/HLN on absolute errors) and the empirical
test coverage of split-conformal 80/95 % intervals for persistence, calibrated on the last 250
training days.  These rows are the floor any learned model must beat.

    python benchmarks/evaluate_realdata_baselines.py [--quick] [--plots DIR]

Needs ``../shared/data`` (or $CPJAX_SHARED_DATA); writes
``benchmarks/results/evaluate_realdata_baselines.{json,md}``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from cpjax._io import versions, write_json
from cpjax._paths import shared_data_dir
from cpjax.evaluate import (
    comparison_tests,
    conformal_intervals,
    empirical_coverage,
    format_table,
    metric_table,
    plot_forecast,
)

RESULTS = Path(__file__).resolve().parent / "results"
SERIES = {
    "guangdong": ("china_pilots/guangdong_ohlcv.csv", "date", "close", "CNY/t"),
    "hubei": ("china_pilots/hubei_ohlcv.csv", "date", "close", "CNY/t"),
    "eua": ("eu_ets/eua_daily_with_covariates.csv", "date", "eua_eur", "EUR/t"),
}
TRAIN_SHARE, N_CAL, LEVEL = 0.7, 250, 80.0


def load(data_dir: Path, name: str) -> pd.Series:
    rel, date_col, col, _ = SERIES[name]
    df = pd.read_csv(data_dir / rel, usecols=[date_col, col], parse_dates=[date_col])
    return df.dropna().set_index(date_col)[col].astype(np.float64)


def baselines(y: np.ndarray, n_train: int) -> dict[str, np.ndarray]:
    """One-step forecasts for days n_train..end, each using y[:t] only."""
    t = np.arange(n_train, y.size)
    drift = float(np.mean(np.diff(y[:n_train])))
    ma5 = np.array([y[i - 5 : i].mean() for i in t])
    return {"persistence": y[t - 1], "drift": y[t - 1] + drift, "ma5": ma5}


def evaluate_series(data_dir: Path, name: str, plots: Path | None) -> dict:
    s = load(data_dir, name)
    y = s.to_numpy()
    n_train = int(TRAIN_SHARE * y.size)
    y_train, y_test, last = y[:n_train], y[n_train:], y[n_train - 1 : -1]
    preds = baselines(y, n_train)
    table = metric_table(
        y_test,
        preds,
        last=last,
        y_train=y_train,
        minmax=(y_train.min(), y_train.max()),
        metrics=[
            "mse",
            "rmse",
            "mae",
            "r2",
            "mape",
            "smape",
            "mase",
            "da",
            "spike_recall",
            "spike_f1",
            "hit_rate",
        ],
        level=LEVEL,
    )
    tests = comparison_tests(y_test, preds, "persistence")
    # persistence residuals on the last N_CAL training days (no fitting, so no leakage)
    cal = y_train[-N_CAL:] - y_train[-N_CAL - 1 : -1]
    cov = {}
    for method in ("absolute", "signed"):
        iv = conformal_intervals(cal, preds["persistence"], levels=(80, 95), method=method)
        cov[method] = {lv: empirical_coverage(y_test, lo, hi) for lv, (lo, hi) in iv.items()}
        if plots is not None and method == "absolute":
            ax = plot_forecast(
                s.index[n_train:],
                y_test,
                {"persistence": preds["persistence"]},
                intervals={"persistence": iv},
                title=f"{name}: persistence, 80/95 %",
                path=plots / f"{name}_persistence.png",
            )
            plt.close(ax.figure)
    return {
        "series": name,
        "file": SERIES[name][0],
        "column": SERIES[name][2],
        "unit": SERIES[name][3],
        "train": [str(s.index[0].date()), str(s.index[n_train - 1].date())],
        "test": [str(s.index[n_train].date()), str(s.index[-1].date())],
        "n_train": n_train,
        "n_test": int(y_test.size),
        "table": table,
        "tests": tests,
        "coverage": cov,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="only the Guangdong series")
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--plots", type=Path, default=None, help="also write PNGs into this folder")
    args = ap.parse_args(argv)
    data_dir = shared_data_dir()
    if data_dir is None:
        print(
            "real development data not found (../shared/data or $CPJAX_SHARED_DATA)",
            file=sys.stderr,
        )
        return 2
    import matplotlib

    matplotlib.use("Agg")
    names = ["guangdong"] if args.quick else list(SERIES)
    results = [evaluate_series(data_dir, n, args.plots) for n in names]
    date = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    md = [
        f"# Naive baselines on the development data ({date})",
        "",
        f"Chronological split {TRAIN_SHARE:.0%} train / {1 - TRAIN_SHARE:.0%} test, one-step-ahead; "
        "`_mm` = min-max scale fitted on training; spike = daily rise > 5 %; "
        f"hit_rate = recall of price > {LEVEL:g} (series units). Deterministic (no seeds).",
        "",
    ]
    for r in results:
        md += [
            f"## {r['series']}: `{r['file']}` column `{r['column']}` ({r['unit']})",
            "",
            f"train {r['train'][0]} .. {r['train'][1]} ({r['n_train']} days), "
            f"test {r['test'][0]} .. {r['test'][1]} ({r['n_test']} days)",
            "",
            format_table(r["table"], ".4g"),
            "",
            "Tests against persistence (absolute errors; dm_stat > 0: persistence better):",
            "",
            format_table(r["tests"], ".3g", index=False),
            "",
            f"Split-conformal coverage of persistence intervals on the test days "
            f"(calibrated on the last {N_CAL} training days):",
            "",
            format_table(pd.DataFrame(r["coverage"]).rename_axis("level"), ".3f"),
            "",
        ]
    args.out.mkdir(parents=True, exist_ok=True)
    write_json(
        args.out / "evaluate_realdata_baselines.json",
        {
            "meta": {
                "date": date,
                "versions": versions(),
                "data_dir": "../shared/data",
                "train_share": TRAIN_SHARE,
                "n_cal": N_CAL,
            },
            "results": [
                {
                    **r,
                    "table": r["table"].reset_index().to_dict("records"),
                    "tests": r["tests"].to_dict("records"),
                    "coverage": {
                        m: {str(k): v for k, v in c.items()} for m, c in r["coverage"].items()
                    },
                }
                for r in results
            ],
        },
    )
    (args.out / "evaluate_realdata_baselines.md").write_text("\n".join(md))
    print("\n".join(md))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
