"""Print the figures quoted in docs/data.md (demo correlations, real-data selection, loaders).

Usage: python scripts/data_report.py [--no-real]
"""

from __future__ import annotations

import argparse

import numpy as np

from cpjax.data import (
    DEMO_FACTOR_TARGETS,
    demo_market,
    granger_filter,
    load_eua,
    load_pilot_ohlcv,
    pearson_select,
    ratio_split,
)


def demo_table(seeds=(0, 1, 2), n_days=900) -> str:
    lines = ["| factor | seed 000 Table 2 | " + " | ".join(
        f"seed {s} all rows | seed {s} first 70%" for s in seeds) + " |",
             "|---|---|" + "---|---|" * len(seeds)]
    frames = {s: demo_market(seed=s, n_days=n_days) for s in seeds}
    n_train = ratio_split(n_days, 0.7).train.size
    for name, target in DEMO_FACTOR_TARGETS.items():
        cells = []
        for s in seeds:
            d = frames[s]
            cells.append(f"{np.corrcoef(d[name], d['close'])[0, 1]:+.3f}")
            cells.append(f"{np.corrcoef(d[name][:n_train], d['close'][:n_train])[0, 1]:+.3f}")
        lines.append(f"| `{name}` | {target:+.3f} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def real_tables() -> str:
    out = []
    for market in ("guangdong", "hubei"):
        df = load_pilot_ohlcv(market, covariates="all")
        n_train = ratio_split(len(df), 0.7).train.size
        rep, sel = pearson_select(df, "close", train_end=n_train)
        g, gsel = granger_filter(df, "close", rep["feature"].tolist(), train_end=n_train,
                                 difference=True)
        r = df.attrs["cpjax_report"]
        out.append(f"\n**{market}** ({r['file']} + covariates, {r['range']}, {len(df)} rows, "
                   f"train = first {n_train} rows up to {df['ds'].iloc[n_train - 1].date()}; "
                   f"{r['rows_dropped_missing_covariates']} OHLCV rows dropped for missing "
                   f"covariates)\n")
        out.append("| covariate | r (train) | class | Granger min p (differences, lags 2-4) |")
        out.append("|---|---|---|---|")
        gp = dict(zip(g["feature"], g["min_p"]))
        for _, row in rep.iterrows():
            out.append(f"| `{row['feature']}` | {row['r']:+.3f} | {row['class']} | "
                       f"{gp[row['feature']]:.3g} |")
        out.append(f"\nselected by PCC: {', '.join(sel)}; Granger-significant: "
                   f"{', '.join(gsel) or 'none'}")
    eua = load_eua()
    out.append(f"\nEUA: {eua.attrs['cpjax_report']}")
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--no-real", action="store_true", help="skip ../shared/data")
    args = ap.parse_args()
    print(demo_table())
    if not args.no_real:
        print(real_tables())


if __name__ == "__main__":
    main()
