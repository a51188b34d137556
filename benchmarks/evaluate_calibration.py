"""Monte-Carlo calibration of cpjax.evaluate's tests and intervals (statistics, not speed).

* Size of the Diebold–Mariano test at 5 % under the null of equal accuracy, with and without the
  Harvey–Leybourne–Newbold correction, for h = 1 (i.i.d. errors) and h = 3 (MA(2) errors).
* Empirical coverage of split-conformal intervals (absolute and signed) with heavy-tailed, skewed
  exchangeable residuals, for several calibration sizes and levels.

Synthetic data only (NumPy generator, fixed seed).  Writes
``benchmarks/results/evaluate_calibration.{json,md}``.

    python benchmarks/evaluate_calibration.py --quick     # ~10 s on 2 CPU cores
    python benchmarks/evaluate_calibration.py             # full: more repeats
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import platform
from pathlib import Path

import numpy as np
import pandas as pd

from cpjax._io import versions, write_json
from cpjax.evaluate import conformal_intervals, diebold_mariano, empirical_coverage, format_table

RESULTS = Path(__file__).resolve().parent / "results"


def dm_size(reps: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for h in (1, 3):
        theta = np.array([1.0, 0.6, 0.3][:h])  # MA(h-1) errors, as optimal h-step errors are
        for n in (30, 100, 300):
            rej = {True: 0, False: 0}
            for _ in range(reps):
                z = rng.normal(size=(2, n + h - 1))
                e1 = np.convolve(z[0], theta, mode="valid")
                e2 = np.convolve(z[1], theta, mode="valid")
                for hln in (True, False):
                    rej[hln] += diebold_mariano(e1, e2, h=h, hln=hln).pvalue < 0.05
            rows.append(
                {
                    "h": h,
                    "n": n,
                    "reps": reps,
                    "size_hln": rej[True] / reps,
                    "size_plain": rej[False] / reps,
                    "mc_se": math.sqrt(0.05 * 0.95 / reps),
                }
            )
    return pd.DataFrame(rows)


def conformal_coverage(reps: int, seed: int, n_test: int = 50) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for n_cal in (20, 50, 200):
        for method in ("absolute", "signed"):
            cover = {80: [], 90: [], 95: []}
            for _ in range(reps):
                r = rng.standard_t(3, size=n_cal + n_test) + rng.exponential(size=n_cal + n_test)
                f = rng.normal(size=n_test)
                iv = conformal_intervals(r[:n_cal], f, levels=tuple(cover), method=method)
                for level, (lo, hi) in iv.items():
                    cover[level].append(empirical_coverage(f + r[n_cal:], lo, hi))
            for level, c in cover.items():
                c = np.asarray(c)
                rows.append(
                    {
                        "n_cal": n_cal,
                        "method": method,
                        "level": level,
                        "reps": reps,
                        "coverage": c.mean(),
                        "mc_se": c.std(ddof=1) / math.sqrt(reps),
                        "abs_upper_bound": (
                            level / 100 + 1 / (n_cal + 1) if method == "absolute" else float("nan")
                        ),
                    }
                )
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer Monte-Carlo repeats")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--reps", type=int, default=None, help="override the number of repeats")
    args = ap.parse_args(argv)
    reps_dm, reps_cp = (400, 300) if args.quick else (4000, 2000)
    if args.reps is not None:
        reps_dm = reps_cp = args.reps
    dm = dm_size(reps_dm, args.seed)
    cp = conformal_coverage(reps_cp, args.seed + 1)
    meta = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "mode": "quick" if args.quick else "full",
        "seed": args.seed,
        "machine": f"{platform.machine()} CPU, {platform.system()}",
        "versions": versions(),
        "data": "synthetic (NumPy default_rng); no real data",
    }
    args.out.mkdir(parents=True, exist_ok=True)
    write_json(
        args.out / "evaluate_calibration.json",
        {
            "meta": meta,
            "dm_size": dm.to_dict("records"),
            "conformal_coverage": cp.to_dict("records"),
        },
    )
    md = [
        f"# cpjax.evaluate calibration ({meta['mode']}, seed {args.seed}, {meta['date']})",
        "",
        "Diebold–Mariano rejection rate at nominal 5 % under the null (equal accuracy); errors "
        "i.i.d. N(0,1) for h=1 and MA(2) with weights (1, 0.6, 0.3) for h=3.",
        "",
        format_table(dm.set_index("h"), ".3f"),
        "",
        "Split-conformal empirical coverage on exchangeable residuals t(3) + Exp(1); "
        f"{50} test points per repeat; theory: coverage >= level and, for `absolute`, "
        "<= level + 1/(n_cal+1). Signed intervals are infinite on one side when "
        "n_cal is too small for the level (n_cal=20 at 95 %: coverage 1).",
        "",
        format_table(cp.set_index("n_cal"), ".4f", missing=""),
    ]
    (args.out / "evaluate_calibration.md").write_text("\n".join(md))
    print("\n".join(md))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
