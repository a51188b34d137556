"""Is there a calendar pattern in carbon returns? A short measured check, not a tuning exercise.

For each market in ../shared/data, absolute log returns between consecutive observed prices are
split by the calendar features of cpjax.data.calendar_features:

- compliance season: the 28 calendar days (about 20 trading days) up to and including a
  surrender deadline (``days_to_deadline < 28``) against all other days;
- after a break: the first trading day after a gap of 4+ calendar days (``days_since_trading
  >= 4``, i.e. a holiday, not a plain weekend) against the other days.

Tests: two-sided Mann-Whitney U on |r| (days are not independent: volatility clusters, so
these p-values are optimistic), and for the season a sign count over compliance years (years in
which the in-season mean |r| exceeds the rest of that year), with a two-sided binomial test.
Guangdong and Hubei also report log volume. Deadlines whose status is ``rule`` (standing date,
cycle notice not checked) are reported separately from the better-sourced ones.

    python benchmarks/calendar_effects.py [--quick]

Writes benchmarks/results/calendar_effects.{json,md}. ``--quick`` runs Guangdong and EUA only.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import describe, machine, write  # noqa: E402

from cpjax.data import (  # noqa: E402
    PILOT_MARKETS,
    calendar_features,
    compliance_deadlines,
    load_eua,
    load_pilot_closes,
    load_pilot_ohlcv,
)

SEASON = 28
BREAK = 4


def _series() -> dict[str, pd.DataFrame]:
    out = {}
    for m in ("guangdong", "hubei"):
        df = load_pilot_ohlcv(m, covariates=None)
        out[m] = df[["ds", "close", "volume"]].rename(columns={"close": "price"})
    closes = load_pilot_closes()
    for m in PILOT_MARKETS.values():
        if m not in out:
            out[m] = closes[["ds", m]].dropna().rename(columns={m: "price"})
    eua = load_eua()
    out["eua"] = eua[["ds", "eua"]].rename(columns={"eua": "price"})
    return out


def _compare(a: np.ndarray, b: np.ndarray) -> dict:
    if len(a) < 5 or len(b) < 5:
        return {"n_in": len(a), "n_out": len(b)}
    p = stats.mannwhitneyu(a, b, alternative="two-sided").pvalue
    return {"n_in": len(a), "n_out": len(b), "mean_in": float(a.mean()),
            "mean_out": float(b.mean()), "ratio": float(a.mean() / b.mean()),
            "mannwhitney_p": float(p)}


def analyse(market: str, df: pd.DataFrame) -> dict:
    df = df[df["price"] > 0].reset_index(drop=True)
    f = calendar_features(df["ds"], market, season_days=SEASON)
    r = np.abs(np.diff(np.log(df["price"].to_numpy())))
    f = f.iloc[1:].reset_index(drop=True)
    gap = (df["ds"].diff().dt.days.to_numpy()[1:])
    # a return spanning a long data gap (no trading for over two weeks) is not a daily return
    keep = gap <= 14
    r, f = r[keep], f[keep].reset_index(drop=True)
    season = f["in_compliance_season"].to_numpy() == 1
    dl = compliance_deadlines(market)
    nxt = f["ds"].to_numpy()[:, None] <= dl["deadline"].to_numpy()[None, :]
    status = dl["status"].to_numpy()[np.argmax(nxt, axis=1)]
    sure = status != "rule"
    out = {"market": market, "rows": int(len(r)),
           "range": f"{f['ds'].min().date()} .. {f['ds'].max().date()}",
           "season_all": _compare(r[season], r[~season]),
           "season_sourced": _compare(r[season & sure], r[~season & sure]),
           "season_rule_only": _compare(r[season & ~sure], r[~season & ~sure])}
    after = f["days_since_trading"].to_numpy() >= BREAK
    out["after_break"] = _compare(r[after], r[~after])
    # per compliance year: does the season have larger mean |r| than the rest of that year?
    cyc = dl["deadline"].to_numpy()[np.argmax(nxt, axis=1)]
    wins = total = 0
    for c in np.unique(cyc):
        m = cyc == c
        if (season & m).sum() >= 5 and (~season & m).sum() >= 20:
            total += 1
            wins += int(r[season & m].mean() > r[~season & m].mean())
    out["season_years"] = {"years": total, "season_higher": wins,
                           "binomial_p": float(stats.binomtest(wins, total).pvalue)
                           if total else None}
    if "volume" in df.columns:
        v = np.log1p(df["volume"].to_numpy(np.float64)[1:][keep])
        out["log_volume_season"] = _compare(v[season], v[~season])
    return out


def _fmt(c: dict) -> str:
    if "ratio" not in c:
        return f"n={c['n_in']}/{c['n_out']} (too few)"
    return (f"{c['mean_in']:.4f} vs {c['mean_out']:.4f} (x{c['ratio']:.2f}, "
            f"p={c['mannwhitney_p']:.3g}, n={c['n_in']}/{c['n_out']})")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="Guangdong and EUA only")
    args = ap.parse_args(argv)
    series = _series()
    if args.quick:
        series = {k: series[k] for k in ("guangdong", "eua")}
    rows = [analyse(m, df) for m, df in series.items()]
    mach = machine()
    lines = ["# Calendar effects in carbon returns", "",
             f"Machine: {describe(mach)}. Command: `python benchmarks/calendar_effects.py"
             f"{' --quick' if args.quick else ''}`.", "",
             f"Mean |log return| in the {SEASON} calendar days up to a surrender deadline vs the "
             "other days (Mann-Whitney two-sided; optimistic, days are dependent); 'sourced' "
             "drops cycles whose deadline has status `rule`. 'After break': first trading day "
             f"after {BREAK}+ calendar days without trading days vs other days.", "",
             "| market | rows, range | season (all deadlines) | season (sourced) | "
             "years season > rest (binomial p) | after break |",
             "|---|---|---|---|---|---|"]
    for o in rows:
        y = o["season_years"]
        yy = f"{y['season_higher']}/{y['years']} (p={y['binomial_p']:.2g})" if y["years"] else "-"
        lines.append(f"| {o['market']} | {o['rows']}, {o['range']} | {_fmt(o['season_all'])} | "
                     f"{_fmt(o['season_sourced'])} | {yy} | {_fmt(o['after_break'])} |")
    vol = [o for o in rows if "log_volume_season" in o]
    if vol:
        lines += ["", "Mean log(1 + volume) in season vs other days:", ""]
        lines += [f"- {o['market']}: {_fmt(o['log_volume_season'])}" for o in vol]
    md = "\n".join(lines) + "\n"
    write("calendar_effects", {"machine": mach, "season_days": SEASON, "break_days": BREAK,
                               "results": rows}, md)
    print(md)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
