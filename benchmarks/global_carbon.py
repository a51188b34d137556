"""Global, local and statistical forecasts of every carbon series in ../shared/data (issue 16).

Series (11): the eight pilot closes of ``china_pilots/pilot_close_with_covariates.csv`` (each on
its own trading days), the Guangdong and Hubei OHLCV closes, and the EUA auction price.  Static
covariates: market, currency, type.  Inputs of the networks: the target history and the calendar
features of each market (future-known); no other covariates (they differ between files).

Evaluation: for each series the last ``--months`` calendar months (24; quick 12).  Forecast
origins: every trading day of those months (a monthly rolling-origin scheme: the models used in
a month were fitted at a calendar month end before it); targets ``h = 1..20``; only origins whose
20 targets exist.  Every model is refitted on a common calendar grid of month ends every
``--refit`` months (global networks on every series' history up to that date, so no series'
future leaks through another); between refits the parameters stay fixed and the history up to
each origin is read.

Settings of the networks (lookback, head, embedding) are chosen ONLY on validation months before
the earliest evaluation month of any series: a fit at the month end before those months, scored
by the mean over series of the scaled CRPS against persistence (h = 1..20 pooled).  Epochs are
set by early stopping on the latest 15% of each fit's own training windows.

Scores (``cpjax.evaluate``): CRPS from the quantiles 0.1..0.9, pinball, 80% coverage and
Winkler, MAE, RMSE, MASE (lag-1 naive MAE of the series before its evaluation window); scaled
CRPS and relative MASE against persistence and AutoETS, with one-sided Diebold-Mariano (HLN)
p-values of the CRPS (model better), lag h (per-origin mean over h = 1..20, lag 20, for "1-20").

    python benchmarks/global_carbon.py --quick
    python benchmarks/global_carbon.py

Writes ``benchmarks/results/global_carbon[_quick].{json,md}``.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import describe, machine, write  # noqa: E402

from cpjax._io import versions  # noqa: E402
from cpjax.data import load_eua, load_pilot_closes, load_pilot_ohlcv  # noqa: E402
from cpjax.evaluate import (  # noqa: E402
    crps_quantiles,
    diebold_mariano,
    empirical_coverage,
    interval_score,
    pinball_loss,
    quantile_column,
)
from cpjax.forecast import Forecaster, GlobalConfig, GlobalForecaster, fit_global  # noqa: E402
from cpjax.forecast._panel import build_layout  # noqa: E402

QUANTILES = tuple(round(0.1 * k, 1) for k in range(1, 10))
H = 20
HORIZONS = (1, 5, 10, 20)
PILOTS = ("guangdong", "hubei", "shanghai", "beijing", "fujian", "chongqing", "tianjin",
          "shenzhen")
PEERS = ("persistence", "autoets", "autotheta", "autoarima")
QUICK_PEERS = ("persistence", "autoets", "autotheta")


# ----------------------------------------------------------------------------- data
def load_panel() -> tuple[pd.DataFrame, pd.DataFrame]:
    parts, static = [], []
    pilots = load_pilot_closes()
    for p in PILOTS:
        d = pilots[["ds", p]].dropna()
        parts.append(pd.DataFrame({"unique_id": f"pilot_{p}", "ds": d["ds"], "y": d[p]}))
        static.append({"unique_id": f"pilot_{p}", "market": p, "currency": "CNY",
                       "type": "pilot_close"})
    for m in ("guangdong", "hubei"):
        d = load_pilot_ohlcv(m, covariates=None)[["ds", "close"]].dropna()
        parts.append(pd.DataFrame({"unique_id": f"{m}_ohlcv", "ds": d["ds"], "y": d["close"]}))
        static.append({"unique_id": f"{m}_ohlcv", "market": m, "currency": "CNY",
                       "type": "ohlcv_close"})
    d = load_eua()[["ds", "eua"]].dropna()
    parts.append(pd.DataFrame({"unique_id": "eua", "ds": d["ds"], "y": d["eua"]}))
    static.append({"unique_id": "eua", "market": "eua", "currency": "EUR", "type": "eu_auction"})
    df = pd.concat(parts, ignore_index=True)
    df["y"] = df["y"].astype(np.float64)
    return df.sort_values(["unique_id", "ds"]).reset_index(drop=True), pd.DataFrame(static)


def eval_months(df: pd.DataFrame, months: int) -> dict[str, list[pd.Period]]:
    out = {}
    for uid, g in df.groupby("unique_id"):
        last = g["ds"].max().to_period("M")
        out[uid] = [last - k for k in range(months - 1, -1, -1)]
    return out


def month_end(p: pd.Period) -> pd.Timestamp:
    return p.to_timestamp(how="end").normalize()


def cutoff_of(month: pd.Period, grid: list[pd.Timestamp]) -> pd.Timestamp:
    """The latest refit date strictly before ``month``."""
    start = month.to_timestamp()
    return max(c for c in grid if c < start)


# ----------------------------------------------------------------------------- models
def peer_forecasts(df, name, schedule, lookback=5) -> pd.DataFrame:
    """Registry estimator ``name`` per series and refit date; origins of its assigned months."""
    frames = []
    for (uid, cutoff), months in schedule.items():
        g = df[df["unique_id"] == uid][["ds", "y"]].reset_index(drop=True)
        lo, hi = months[0].to_timestamp(), month_end(months[-1])
        last = int(np.searchsorted(g["ds"].values, hi.to_datetime64(), side="right"))
        g = g.iloc[:min(last + H, len(g))]
        n_train = int(np.searchsorted(g["ds"].values, cutoff.to_datetime64(), side="right"))
        f = Forecaster(name, lookback=lookback, horizon=H, min_test=1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            f.fit(g, target="y", features=[], train_rows=n_train)
            fc = f.predict_quantiles(QUANTILES)
        fc = fc[(fc["cutoff"] >= lo) & (fc["cutoff"] <= hi)].assign(unique_id=uid)
        frames.append(fc)
    return pd.concat(frames, ignore_index=True)


def fit_networks(df, static, layout, cfg: GlobalConfig, dates: list[pd.Timestamp],
                 needs: dict[pd.Timestamp, set[str]]) -> dict[pd.Timestamp, GlobalForecaster]:
    """One forecaster per refit date, all fitted by one ``fit_global`` call (one compiled
    program per network shape).  Global: every series with enough history; local: the series
    evaluated with that date."""
    jobs = []
    min_rows = cfg.lookback + H + 10  # a few training windows (sparse pilots: Tianjin)
    for c in dates:
        upto = df[df["ds"] <= c]
        counts = upto.groupby("unique_id").size()
        ok = set(counts[counts >= min_rows].index)
        if cfg.mode == "local":
            ok &= needs[c]
        if not ok:
            continue
        jobs.append(dict(forecaster=GlobalForecaster(cfg), data=df[df["unique_id"].isin(ok)],
                         static_df=static, train_end=c, layout=layout))
    fitted = fit_global(jobs)
    return {pd.Timestamp(j["train_end"]): f for j, f in zip(jobs, fitted, strict=True)}


def network_forecasts(fits, schedule, skipped: list) -> pd.DataFrame:
    """Forecasts of the origins assigned to each fit; a series without enough history at a
    refit date is skipped there (recorded; those origins drop out of every model's scores)."""
    frames = []
    for (uid, cutoff), months in schedule.items():
        f = fits.get(cutoff)
        if f is None or uid not in f.series_:
            skipped.append(f"{uid} at {cutoff.date()} ({months[0]}..{months[-1]})")
            continue
        fc = f.predict(quantiles=QUANTILES, which="all", start=months[0].to_timestamp(),
                       end=month_end(months[-1]))
        frames.append(fc[fc["unique_id"] == uid])
    return pd.concat(frames, ignore_index=True)


def rename(fc: pd.DataFrame, old: str, new: str) -> pd.DataFrame:
    cols = {old: new, **{quantile_column(old, q): quantile_column(new, q) for q in QUANTILES}}
    return fc[["unique_id", "cutoff", "h", "ds", "y", *cols]].rename(columns=cols)


def ensemble(table: pd.DataFrame, members: list[str], name: str) -> pd.DataFrame:
    """Mean of the members' points and quantiles (quantile averaging)."""
    table[name] = table[members].mean(axis=1)
    for q in QUANTILES:
        table[quantile_column(name, q)] = table[[quantile_column(m, q) for m in members]].mean(1)
    return table


# ----------------------------------------------------------------------------- scoring
def scores(g: pd.DataFrame, model: str, scale: float) -> dict:
    y = g["y"].to_numpy(np.float64)
    yq = g[[quantile_column(model, q) for q in QUANTILES]].to_numpy(np.float64)
    p = g[model].to_numpy(np.float64)
    lo, hi = g[quantile_column(model, 0.1)], g[quantile_column(model, 0.9)]
    return {"n": int(len(g)), "crps": crps_quantiles(y, yq, QUANTILES),
            "pinball": float(pinball_loss(y, yq, QUANTILES).mean()),
            "mae": float(np.mean(np.abs(y - p))), "rmse": float(np.sqrt(np.mean((y - p) ** 2))),
            "mase": float(np.mean(np.abs(y - p)) / scale),
            "coverage_80": empirical_coverage(y, lo, hi), "winkler_80": interval_score(y, lo, hi, 80)}


def dm_p(a: np.ndarray, b: np.ndarray, lag: int) -> float:
    if a.size <= lag + 2:
        return float("nan")
    return diebold_mariano(a, b, h=lag, power=1.0, alternative="less").pvalue


def score_table(table: pd.DataFrame, models: list[str], naive_scale: dict[str, float]
                ) -> pd.DataFrame:
    rows = []
    for uid, g in table.groupby("unique_id"):
        y = g["y"].to_numpy(np.float64)
        crps = {m: crps_quantiles(y, g[[quantile_column(m, q) for q in QUANTILES]]
                                  .to_numpy(np.float64), QUANTILES, mean=False) for m in models}
        ae = {m: np.abs(y - g[m].to_numpy(np.float64)) for m in models}
        for h in (*HORIZONS, "1-20"):
            sel = (g["h"] == h).to_numpy() if h != "1-20" else np.ones(len(g), bool)
            key = g["cutoff"].to_numpy()[sel]
            for m in models:
                row = {"unique_id": uid, "model": m, "h": str(h),
                       **scores(g[sel], m, naive_scale[uid])}
                for ref in ("persistence", "autoets"):
                    if ref not in models:
                        continue
                    a, b = crps[m][sel], crps[ref][sel]
                    row[f"scaled_crps_{ref}"] = float(a.mean() / b.mean())
                    row[f"rel_mase_{ref}"] = float(ae[m][sel].mean() / ae[ref][sel].mean())
                    lag = int(h) if h != "1-20" else H
                    if h == "1-20":
                        a = pd.Series(a).groupby(key).mean().to_numpy()
                        b = pd.Series(b).groupby(key).mean().to_numpy()
                    row[f"dm_p_{ref}"] = float("nan") if m == ref else dm_p(a, b, lag)
                rows.append(row)
    return pd.DataFrame(rows)


def summary(per: pd.DataFrame, n_series: int) -> pd.DataFrame:
    rows = []
    for (m, h), g in per.groupby(["model", "h"], sort=False):
        sig_p = (g["dm_p_persistence"] < 0.05) & (g["scaled_crps_persistence"] < 1)
        sig_e = (g["dm_p_autoets"] < 0.05) & (g["scaled_crps_autoets"] < 1)
        rows.append({"model": m, "h": h,
                     "scaled_crps_vs_persistence": g["scaled_crps_persistence"].mean(),
                     "scaled_crps_vs_autoets": g["scaled_crps_autoets"].mean(),
                     "rel_mase_vs_persistence": g["rel_mase_persistence"].mean(),
                     "rel_mase_vs_autoets": g["rel_mase_autoets"].mean(),
                     "mase": g["mase"].mean(), "coverage_80": g["coverage_80"].mean(),
                     "dm_sig_vs_persistence": int(sig_p.sum()),
                     "dm_sig_vs_autoets": int(sig_e.sum()),
                     "dm_sig_vs_both": int((sig_p & sig_e).sum()), "series": int(len(g))})
    out = pd.DataFrame(rows)
    out["goal_met"] = ((out["scaled_crps_vs_persistence"] < 1) & (out["scaled_crps_vs_autoets"] < 1)
                       & (out["dm_sig_vs_both"] >= int(np.ceil(n_series / 2))))
    return out


# ----------------------------------------------------------------------------- selection
def select(df, static, layout, base: GlobalConfig, candidates: list[dict], first_eval: pd.Period,
           n_val: int) -> tuple[dict, pd.DataFrame]:
    """Choose settings on ``n_val`` months before ``first_eval`` (never the evaluation months)."""
    val_months = [first_eval - k for k in range(n_val, 0, -1)]
    cutoff = month_end(val_months[0] - 1)
    end = month_end(val_months[-1])
    data = df[df["ds"] <= end + pd.Timedelta(40, unit="D")]  # targets of the last validation origins
    counts = data[data["ds"] <= cutoff].groupby("unique_id").size()
    jobs = []
    for cand in candidates:
        cfg = GlobalConfig(**{**base.__dict__, **cand})
        ok = set(counts[counts >= cfg.lookback + H + 40].index)
        jobs.append(dict(forecaster=GlobalForecaster(cfg), data=data[data["unique_id"].isin(ok)],
                         static_df=static, train_end=cutoff, layout=layout))
    fits = fit_global(jobs)
    rows = []
    for cand, f in zip(candidates, fits, strict=True):
        fc = f.predict(quantiles=QUANTILES, which="all", start=val_months[0].to_timestamp(),
                       end=end)
        sched = {(u, cutoff): val_months for u in fc["unique_id"].unique()}
        pers = peer_forecasts(data, "persistence", sched)
        t = fc.merge(pers.drop(columns=["ds", "y"]), on=["unique_id", "cutoff", "h"])
        ratios = []
        for _, g in t.groupby("unique_id"):
            y = g["y"].to_numpy(np.float64)
            a = crps_quantiles(y, g[[quantile_column(base.name, q) for q in QUANTILES]], QUANTILES)
            b = crps_quantiles(y, g[[quantile_column("persistence", q) for q in QUANTILES]],
                               QUANTILES)
            ratios.append(a / b)
        rows.append({**{k: str(v) for k, v in cand.items()}, "val_scaled_crps": float(np.mean(ratios)),
                     "series": len(ratios), "cutoff": str(cutoff.date()),
                     "months": f"{val_months[0]}..{val_months[-1]}"})
    table = pd.DataFrame(rows)
    best = candidates[int(np.argmin(table["val_scaled_crps"]))]
    return best, table


# ----------------------------------------------------------------------------- main
class _CompileClock:
    def __init__(self):
        self.seconds, self.count = 0.0, 0
        import jax.monitoring

        jax.monitoring.register_event_duration_secs_listener(self._on)

    def _on(self, event, duration, **kw):
        if event == "/jax/core/compile/backend_compile_duration":
            self.seconds += duration
            self.count += 1


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--months", type=int, default=None)
    ap.add_argument("--refit", type=int, default=None, help="months between refits")
    ap.add_argument("--epochs", type=int, default=None)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    quick = args.quick
    months = args.months or (12 if quick else 24)
    refit = args.refit or 12
    epochs = args.epochs or (25 if quick else 60)
    peers = QUICK_PEERS if quick else PEERS
    clock = _CompileClock()
    t_all = time.perf_counter()

    df, static = load_panel()
    layout = build_layout(df, static, hist_exog=[], calendar=True)
    base = GlobalConfig(name="global_mlp", horizon=H, epochs=epochs, patience=8, seed=args.seed,
                        batch_size=128, hidden_size=64, num_layers=2)
    ev = eval_months(df, months)
    first_eval = min(m[0] for m in ev.values())
    candidates = ([{"lookback": lb, "head": hd, "embed_dim": e}
                   for lb, hd, e in itertools.product((20, 60), ("quantile", "student_t"), (0, 4))]
                  if not quick else [{"lookback": 20, "head": "quantile", "embed_dim": 4},
                                     {"lookback": 60, "head": "quantile", "embed_dim": 4}])
    t0 = time.perf_counter()
    best, sel_table = select(df, static, layout, base, candidates, first_eval, 6 if not quick else 3)
    sel_s = time.perf_counter() - t0
    print(sel_table.to_string(index=False), "\nchosen:", best, flush=True)
    cfg = GlobalConfig(**{**base.__dict__, **best})

    # refit grid: month ends every `refit` months, the first before the earliest evaluation month
    grid = [month_end(first_eval - 1 + k * refit) for k in range(0, 10 * 12 // refit + 1)]
    schedule: dict[tuple[str, pd.Timestamp], list[pd.Period]] = {}
    for uid, ms in ev.items():
        for m in ms:
            schedule.setdefault((uid, cutoff_of(m, grid)), []).append(m)
    dates = sorted({c for _, c in schedule})
    needs = {c: {u for u, cc in schedule if cc == c} for c in dates}
    timing = {"selection_s": sel_s}

    fcs, skipped = {}, []
    for mode, name in (("global", "global_mlp"), ("local", "local_mlp")):
        t0 = time.perf_counter()
        c0 = clock.seconds
        fits = fit_networks(df, static, layout, GlobalConfig(**{**cfg.__dict__, "mode": mode,
                                                                "name": name}), dates, needs)
        fcs[name] = network_forecasts(fits, schedule, skipped)
        timing[f"{name}_s"] = time.perf_counter() - t0
        timing[f"{name}_compile_s"] = clock.seconds - c0
        print(f"{name}: {timing[f'{name}_s']:.1f} s", flush=True)
    for p in peers:
        t0 = time.perf_counter()
        fcs[p] = peer_forecasts(df, p, schedule)
        timing[f"{p}_s"] = time.perf_counter() - t0
        print(f"{p}: {timing[f'{p}_s']:.1f} s", flush=True)

    keys = ["unique_id", "cutoff", "h"]
    table = rename(fcs["global_mlp"], "global_mlp", "global_mlp")
    for name, fc in fcs.items():
        if name == "global_mlp":
            continue
        table = table.merge(rename(fc, name, name).drop(columns=["ds", "y"]), on=keys)
    ensemble(table, ["global_mlp", "autoets", "autotheta"], "ens_global_ets_theta")
    ensemble(table, ["global_mlp", "local_mlp"], "ens_global_local")
    models = ["local_mlp", "global_mlp", *peers, "ens_global_ets_theta", "ens_global_local"]
    naive_scale = {}
    for uid, ms in ev.items():
        g = df[(df["unique_id"] == uid) & (df["ds"] < ms[0].to_timestamp())]["y"].to_numpy()
        naive_scale[uid] = float(np.mean(np.abs(np.diff(g))))
    per = score_table(table, models, naive_scale)
    n_series = table["unique_id"].nunique()
    summ = summary(per, n_series)
    timing["total_s"] = time.perf_counter() - t_all
    timing["compile_s_total"] = clock.seconds
    timing["compilations"] = clock.count

    m = machine()
    pooled = summ[summ["h"] == "1-20"]
    winners = pooled[pooled["goal_met"]]
    cp = pooled[pooled["model"].isin(["local_mlp", "global_mlp", "ens_global_ets_theta",
                                      "ens_global_local"])]
    best_row = cp.sort_values("scaled_crps_vs_autoets").iloc[0]
    if len(winners):
        verdict = (f"YES: {', '.join(winners['model'])} beat(s) persistence and AutoETS on mean "
                   "scaled CRPS over h 1-20 with DM significance on at least half the series.")
    else:
        verdict = (f"NO: no cpjax configuration meets the goal. Best cpjax row "
                   f"{best_row['model']}: mean scaled CRPS {best_row['scaled_crps_vs_persistence']:.3f}"
                   f" vs persistence and {best_row['scaled_crps_vs_autoets']:.3f} vs AutoETS "
                   f"(h 1-20), DM-significantly better than both on "
                   f"{int(best_row['dm_sig_vs_both'])} of {n_series} series "
                   f"(needed {int(np.ceil(n_series / 2))}).")
    fmt = lambda v: f"{v:.3f}" if isinstance(v, float) else str(v)  # noqa: E731
    def md(t: pd.DataFrame) -> str:  # noqa: E306
        cols = list(t.columns)
        lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
        lines += ["| " + " | ".join(fmt(v) for v in r) + " |" for r in t.itertuples(index=False)]
        return "\n".join(lines)
    show = ["model", "scaled_crps_vs_persistence", "scaled_crps_vs_autoets",
            "rel_mase_vs_persistence", "rel_mase_vs_autoets", "coverage_80",
            "dm_sig_vs_persistence", "dm_sig_vs_autoets", "dm_sig_vs_both"]
    by_h = summ.pivot_table(index="model", columns="h", values="scaled_crps_vs_autoets",
                            sort=False).reset_index()
    by_h_p = summ.pivot_table(index="model", columns="h", values="scaled_crps_vs_persistence",
                              sort=False).reset_index()
    series_rows = per[(per["h"] == "1-20") & (per["model"] == best_row["model"])][
        ["unique_id", "n", "crps", "mase", "scaled_crps_persistence", "dm_p_persistence",
         "scaled_crps_autoets", "dm_p_autoets", "coverage_80"]]
    cmd = "python benchmarks/global_carbon.py" + (" --quick" if quick else "")
    text = "\n".join([
        f"# Global carbon benchmark{' (quick)' if quick else ''}", "",
        f"Device: {describe(m)}.", f"Command: `{cmd}`; seed {args.seed}.",
        f"Data: ../shared/data, {n_series} series; evaluation: the last {months} calendar months "
        f"of each series, daily origins, h = 1..{H}, {int(table.groupby('unique_id')['cutoff'].nunique().sum())} "
        f"origins in all; refit every {refit} months on a common calendar grid "
        f"({', '.join(str(d.date()) for d in dates)}).",
        f"Chosen on validation only ({sel_table['months'].iloc[0]}, fit at "
        f"{sel_table['cutoff'].iloc[0]}): {best}; epochs <= {epochs} with early stopping.",
        f"Blocks without enough history for a network fit (dropped for every model): "
        f"{'; '.join(sorted(set(skipped))) or 'none'}.", "",
        f"**Verdict:** {verdict}", "",
        "## Pooled over h = 1..20 (mean over series of per-series ratios; DM: one-sided, 5%)", "",
        md(pooled[show]), "",
        "## Scaled CRPS vs AutoETS by horizon", "", md(by_h), "",
        "## Scaled CRPS vs persistence by horizon", "", md(by_h_p), "",
        f"## Per series, {best_row['model']} (h 1-20)", "", md(series_rows), "",
        "## Selection (validation months only)", "", md(sel_table), "",
        "Timings (s): " + ", ".join(f"{k} {v:.1f}" if isinstance(v, float) else f"{k} {v}"
                                     for k, v in timing.items()), ""])
    payload = {"machine": m, "versions": versions(), "date": time.strftime("%Y-%m-%d"),
               "command": cmd, "seed": args.seed, "months": months, "refit_months": refit,
               "refit_dates": [str(d.date()) for d in dates], "horizons": HORIZONS,
               "quantiles": QUANTILES, "candidates": candidates, "chosen": best,
               "config": cfg.to_dict(), "selection": sel_table.to_dict("records"),
               "summary": summ.to_dict("records"), "per_series": per.to_dict("records"),
               "timings": timing, "verdict": verdict, "skipped_blocks": sorted(set(skipped))}
    write("global_carbon_quick" if quick else "global_carbon", payload, text)
    print(text)


if __name__ == "__main__":
    main()
