"""Condense benchmarks/results/{compare,backtest}_*.json into the tables of docs/compare.md.

    python benchmarks/compare_summary.py compare_eua_L60 compare_guangdong_L60 backtest_eua_L60
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def _config(d):
    """The run's ForecasterConfig (results hold its JSON form, nested or the earlier flat one)."""
    from cpjax.forecast import ForecasterConfig

    return ForecasterConfig.from_dict(d["settings"])


def _f(v, fmt=".3g"):
    return "nan" if v is None or v != v else format(v, fmt)


def _p(tests, model, ref):
    for t in tests:
        if t["model"] == model and t["reference"] == ref:
            sign = "+" if t["dm_stat"] > 0 else "−"
            return f"{_f(t['dm_p'], '.2g')} ({sign})"
    return "—"


def compare(name: str) -> str:
    d = json.loads((RESULTS / f"{name}.json").read_text())
    i, ref, c = d["info"], d["info"]["reference"], _config(d)
    lines = [f"**{d['dataset']}**, lookback {c.data.lookback}: {i['data']}, "
             f"{i['first_date']} .. {i['last_date']}; trained to {i['train_end']}, test "
             f"{i['test_first']} .. {i['test_last']} ({i['n_test']} days, {i.get('n_spikes', '?')} rises "
             f"> 5 %); seeds {c.train.n_seeds}, up to {c.train.epochs} epochs "
             f"(patience {c.train.patience}); `{d['command']}`\n",
             f"| model | RMSE | MAE | MASE | spike recall | spike F1 | cover 80 | cover 95 | "
             f"train s | latency ms | DM p vs persistence | DM p vs {ref} |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in d["table"]:
        sd = f" ± {_f(r['rmse_std'], '.2g')}" if r["n_seeds"] > 1 else ""
        lines.append(
            f"| {r['model']} | {_f(r['rmse'], '.4g')}{sd} | {_f(r['mae'], '.4g')} | "
            f"{_f(r['mase'])} | {_f(r['spike_recall'])} | {_f(r['spike_f1'])} | "
            f"{_f(r.get('coverage_80'), '.2f')} | {_f(r.get('coverage_95'), '.2f')} | "
            f"{_f(r['train_s'], '.0f')} | {_f(r['latency_ms'])} | "
            f"{_p(d['tests'], r['model'], 'persistence')} | {_p(d['tests'], r['model'], ref)} |")
    return "\n".join(lines) + "\n"


def backtest(name: str) -> str:
    d = json.loads((RESULTS / f"{name}.json").read_text())
    i, ref, c = d["info"], d["info"]["reference"], _config(d)
    lines = [f"**{d['dataset']} backtest**, lookback {c.data.lookback}: "
             f"{i['n_windows']} monthly origins {i['cutoffs'][0]} .. {i['cutoffs'][-1]}, "
             f"expanding, refit at every origin, {i['n_forecasts']} forecasts; seeds "
             f"{c.train.n_seeds}, up to {c.train.epochs} epochs; "
             f"`{d['command']}`\n",
             f"| model | RMSE | MAE | MAE per origin (mean ± std) | cover 80 | cover 95 | "
             f"fit s per origin | DM p vs persistence | DM p vs {ref} |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in d["overall"]:
        lines.append(
            f"| {r['model']} | {_f(r['rmse'], '.4g')} | {_f(r['mae'], '.4g')} | "
            f"{_f(r['mae_cutoff_mean'], '.3g')} ± {_f(r['mae_cutoff_std'], '.2g')} | "
            f"{_f(r.get('coverage_80'), '.2f')} | {_f(r.get('coverage_95'), '.2f')} | "
            f"{_f(r['fit_s_mean'], '.0f')} | {_p(d['tests'], r['model'], 'persistence')} | "
            f"{_p(d['tests'], r['model'], ref)} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    for n in sys.argv[1:]:
        print(compare(n) if n.startswith("compare") else backtest(n))
