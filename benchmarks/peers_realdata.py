"""Statistical peers against persistence on the shared real data (issue 16 item 3).

The peers persistence, seasonal_naive, autoets, autotheta and autoarima are statsforecast's Naive,
SeasonalNaive, AutoETS, AutoTheta and AutoARIMA (``cpjax.nn``); drift and the ensembles are
cpjax's.  Every series: chronological 7:3 split; every model is a registry estimator fitted
through ``cpjax.forecast.Forecaster`` on the training part (min-max scaled target, the product
path) and forecasts ``h = 1..H`` from every test origin with the parameters fixed and the history
up to the origin only (statsforecast's ``forward``).  Scores per step and pooled
(``cpjax.evaluate.probabilistic_table``): RMSE, MAE, MASE (lag-1 naive scale of the training
part), CRPS from the nine quantiles 0.1..0.9 (the models' own prediction intervals), 80%
coverage and Winkler score, scaled CRPS and the Diebold–Mariano (HLN) test of the CRPS against
persistence.  Costs: fit and predict seconds (wall clock, one process) per model and series.

Series: Guangdong OHLCV close (``load_pilot_ohlcv``), the EUA auction price (``load_eua``) and the
eight pilot closes (``load_pilot_closes``, each on its own trading days).  ``--raw-prices`` adds
the rows ``autoets_raw`` / ``autotheta_raw`` / ``autoarima_raw``: the same estimators fitted on
the raw prices instead of the scaled target (AutoETS may then choose multiplicative models, which
need a positive series).

    python benchmarks/peers_realdata.py --quick      # 3 series, H = 5, 6 models
    python benchmarks/peers_realdata.py --raw-prices # 10 series, H = 10, 9 models + 3 raw rows

Writes ``benchmarks/results/peers_realdata[_quick].{json,md}``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import describe, machine, write  # noqa: E402

from cpjax.data import load_eua, load_pilot_closes, load_pilot_ohlcv  # noqa: E402
from cpjax.evaluate import format_table, probabilistic_table, quantile_column  # noqa: E402
from cpjax.forecast import Forecaster  # noqa: E402
from cpjax.nn import get_model, make_config  # noqa: E402

QUANTILES = tuple(round(0.1 * k, 1) for k in range(1, 10))
PILOTS = ("guangdong", "hubei", "shanghai", "beijing", "fujian", "chongqing", "tianjin",
          "shenzhen")
MODELS = {
    "persistence": {},
    "drift": {},
    "seasonal_naive": {"season_length": 5},
    "autoarima": {},
    "autoets": {},
    "autotheta": {},
    "ensemble": {"members": ("persistence", "autoets", "autotheta")},
    "ensemble_median": {"members": ("persistence", "autoets", "autotheta"),
                        "combine": "median"},
    "stacked": {"members": ("persistence", "autoets", "autotheta")},
}
QUICK_MODELS = ("persistence", "seasonal_naive", "autoarima", "autoets", "autotheta", "ensemble")


def load_series(names) -> dict[str, pd.DataFrame]:
    out = {}
    for name in names:
        if name == "guangdong_ohlcv":
            d = load_pilot_ohlcv("guangdong", covariates=None)[["ds", "close"]]
        elif name == "eua":
            d = load_eua()[["ds", "eua"]]
        else:
            pilots = load_pilot_closes()
            d = pilots[["ds", name.removeprefix("pilot_")]]
        d = d.dropna().reset_index(drop=True)
        out[name] = pd.DataFrame({"ds": d["ds"], "y": d.iloc[:, 1].astype(np.float64)})
    return out


def run_registry(df: pd.DataFrame, label: str, horizon: int) -> tuple[pd.DataFrame, dict]:
    model = "ensemble" if label == "ensemble_median" else label
    f = Forecaster(model, lookback=5, horizon=horizon, min_test=5, **MODELS[label])
    t0 = time.perf_counter()
    f.fit(df, target="y", features=[], split=0.7)
    fit_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    fc = f.predict_quantiles(QUANTILES)
    pred_s = time.perf_counter() - t0
    fc = fc.rename(columns={c: label + c[len(model):] for c in fc.columns
                            if c == model or c.startswith(model + "-q")})
    return fc, {"fit_s": fit_s, "predict_s": pred_s, "n_forecasts": int(fc["y"].notna().sum()),
                "n_train": int(f.prepared_.n_train)}


def run_raw(df: pd.DataFrame, label: str, horizon: int, template: pd.DataFrame
            ) -> tuple[pd.DataFrame, dict]:
    """Registry estimator ``label`` minus ``_raw`` on the raw prices: fitted on the training rows,
    forecasting from each origin of ``template`` (the registry rows' forecasts, same origins)."""
    name = label.removesuffix("_raw")
    y = df["y"].to_numpy(np.float64)
    n_train = int(np.floor(0.7 * y.size))
    model = get_model(name).build(make_config(name), horizon)
    t0 = time.perf_counter()
    model.fit(None, None, np.arange(0, n_train - horizon), y)
    fit_s = time.perf_counter() - t0
    pos = {d: i for i, d in enumerate(df["ds"])}
    cutoffs = template["cutoff"].unique()
    origin = np.array([pos[pd.Timestamp(c)] for c in cutoffs])
    t0 = time.perf_counter()
    mean = model.predict(None, origin, y)
    q = model.predict_quantiles(None, origin, y, QUANTILES)
    pred_s = time.perf_counter() - t0
    H = np.arange(1, horizon + 1)
    out = {"cutoff": np.repeat(cutoffs, horizon), "h": np.tile(H, len(cutoffs)),
           label: mean.reshape(-1)}
    for j, level in enumerate(QUANTILES):
        out[quantile_column(label, level)] = q[..., j].reshape(-1)
    fc = template[["ds", "cutoff", "h"]].merge(pd.DataFrame(out), on=["cutoff", "h"], how="left")
    return fc, {"fit_s": fit_s, "predict_s": pred_s, "n_forecasts": int(len(fc)),
                "n_train": n_train}


def evaluate(series: dict[str, pd.DataFrame], labels, horizon: int, raw: bool):
    tables, costs, info = [], [], {}
    for name, df in series.items():
        fcs = {}
        for label in labels:
            fc, cost = run_registry(df, label, horizon)
            fcs[label] = fc
            costs.append({"series": name, "model": label, **cost})
            print(f"{name:16s} {label:16s} fit {cost['fit_s']:6.2f} s  predict "
                  f"{cost['predict_s']:6.2f} s", flush=True)
        base = fcs[labels[0]]
        raw_labels = []
        if raw:
            for label in ("autoets_raw", "autotheta_raw", "autoarima_raw"):
                fc, cost = run_raw(df, label, horizon, base)
                fcs[label] = fc
                raw_labels.append(label)
                costs.append({"series": name, "model": label, **cost})
                print(f"{name:16s} {label:16s} fit {cost['fit_s']:6.2f} s  predict "
                      f"{cost['predict_s']:6.2f} s", flush=True)
        merged = base
        for label, fc in fcs.items():
            if label == labels[0]:
                continue
            cols = [c for c in fc.columns if c == label or c.startswith(label + "-q")]
            merged = merged.merge(fc[["ds", "cutoff", "h", *cols]], on=["ds", "cutoff", "h"])
        n_train = next(c["n_train"] for c in costs if c["series"] == name)
        y_train = df["y"].to_numpy(np.float64)[:n_train]
        t = probabilistic_table(merged.dropna(subset=["y"]), [*labels, *raw_labels], QUANTILES,
                                y_train=y_train, reference="persistence")
        t.insert(0, "series", name)
        tables.append(t)
        scored = merged.dropna(subset=["y"])
        info[name] = {"rows": len(df), "first": str(df["ds"].iloc[0].date()),
                      "last": str(df["ds"].iloc[-1].date()), "n_train": n_train,
                      "train_end": str(df["ds"].iloc[n_train - 1].date()),
                      "test_origins": int(scored["cutoff"].nunique())}
    return pd.concat(tables, ignore_index=True), pd.DataFrame(costs), info


def summary(table: pd.DataFrame, steps) -> pd.DataFrame:
    """Per model and step: geometric means over series of the MAE and CRPS ratios to
    persistence, and how many series are DM-significantly better / worse at 5%."""
    rows = []
    pers = table[table["model"] == "persistence"].set_index(["series", "h"])
    for (model, h), g in table[table["h"].isin(steps)].groupby(["model", "h"], sort=False):
        p = pers.loc[list(zip(g["series"], g["h"]))]
        mae_ratio = g["mae"].to_numpy() / p["mae"].to_numpy()
        rows.append({"model": model, "h": h, "series": len(g),
                     "mae_ratio_gmean": float(np.exp(np.mean(np.log(mae_ratio)))),
                     "scaled_crps_gmean": float(np.exp(np.mean(np.log(g["scaled_crps"])))),
                     "mase_mean": float(g["mase"].mean()),
                     "coverage_80_mean": float(g["coverage_80"].mean()),
                     "dm_better": int(((g["dm_p"] < 0.05) & (g["dm_stat"] < 0)).sum()),
                     "dm_worse": int(((g["dm_p"] < 0.05) & (g["dm_stat"] > 0)).sum())})
    return pd.DataFrame(rows)


def _version(package: str) -> str:
    from importlib.metadata import version

    return version(package)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="3 series, H = 5, 6 models")
    ap.add_argument("--horizon", type=int, default=None)
    ap.add_argument("--raw-prices", action="store_true",
                    help="add AutoETS/AutoTheta/AutoARIMA fitted on the raw prices")
    ap.add_argument("--series", help="comma-separated subset, e.g. eua,pilot_hubei")
    ap.add_argument("--models", help="comma-separated subset of the registry rows "
                                     "(persistence first)")
    ap.add_argument("--out", help="folder for the JSON/Markdown (default benchmarks/results)")
    args = ap.parse_args(argv)
    H = args.horizon or (5 if args.quick else 10)
    names = (["guangdong_ohlcv", "eua", "pilot_shanghai"] if args.quick
             else ["guangdong_ohlcv", "eua", *(f"pilot_{m}" for m in PILOTS)])
    if args.series:
        names = args.series.split(",")
    labels = list(QUICK_MODELS if args.quick else MODELS)
    if args.models:
        labels = ["persistence", *[m for m in args.models.split(",") if m != "persistence"]]
    bad = [m for m in labels if m not in MODELS]
    if bad:
        ap.error(f"unknown model row {bad[0]!r}; choose from {', '.join(MODELS)}")
    t_start = time.perf_counter()
    table, costs, info = evaluate(load_series(names), labels, H, args.raw_prices)
    steps = sorted({1, min(5, H), H}) + ["all"]
    summ = summary(table, steps)
    cost = costs.groupby("model", sort=False)[["fit_s", "predict_s"]].sum()
    cost["total_s"] = cost["fit_s"] + cost["predict_s"]
    cost["per_series_s"] = cost["total_s"] / len(names)
    m = machine()
    tag = "peers_realdata" + ("_quick" if args.quick else "")
    cmd = "python benchmarks/peers_realdata.py " + " ".join(argv if argv is not None
                                                             else sys.argv[1:])
    head = (f"# Statistical peers vs persistence on the shared real data\n\n`{cmd}`; "
            f"{describe(m)}; wall {time.perf_counter() - t_start:.0f} s.\n\n"
            f"Chronological 7:3 split per series; forecasts h = 1..{H} from every test origin "
            "(parameters fitted on the training part, history up to the origin only); "
            "deterministic estimators (no seeds; AutoTheta's intervals are simulated with "
            "statsforecast's fixed seed).  Peers: statsforecast "
            f"{_version('statsforecast')} (pandas {pd.__version__}).  Reference: persistence.  "
            "CRPS from the quantiles 0.1..0.9; DM = Diebold–Mariano (HLN) on the per-forecast "
            "CRPS at 5%.\n\n")
    data = "\n".join(f"- {k}: {v['first']} .. {v['last']} ({v['rows']} rows), trained to "
                     f"{v['train_end']}, {v['test_origins']} test origins" for k, v in info.items())
    show = table[table["h"].isin(steps)][["series", "model", "h", "n", "rmse", "mae", "mase",
                                          "crps", "scaled_crps", "coverage_80", "winkler_80",
                                          "dm_stat", "dm_p"]]
    md = (head + "Data:\n" + data + "\n\n## Summary over series\n\nGeometric means over the "
          f"{len(names)} series of the ratio to persistence (< 1: better); dm_better / dm_worse: "
          "series where the model's CRPS is significantly lower / higher.\n\n"
          + format_table(summ.set_index("model"), ".3f")
          + "\n\n## Cost (seconds, all series)\n\n" + format_table(cost, ".2f")
          + "\n\n## Per series\n\n" + format_table(show.set_index("series"), ".4g") + "\n")
    if args.out:
        import _common

        _common.RESULTS = Path(args.out)
    write(tag, {"command": cmd, "machine": m, "horizon": H, "quantiles": QUANTILES,
                "models": {k: MODELS.get(k, "statsforecast default") for k in labels},
                "statsforecast": _version("statsforecast"), "pandas": pd.__version__,
                "data": info, "summary": summ.to_dict("records"),
                "cost": cost.reset_index().to_dict("records"),
                "costs": costs.to_dict("records"), "table": table.to_dict("records")}, md)
    print(md)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
