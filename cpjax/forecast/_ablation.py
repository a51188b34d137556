"""``run_ablation``: seed 000's Table 3 (each component of the combined model added to an LSTM)
with persistence and ARIMA, mean and std over seeds, on the price and the min-max scale.

Rows (registry names and settings; AdamW unless the row says Sophia, forecasting.md §2):

=================  ===============  =========  ==================
row                model            optimizer  refiner
=================  ===============  =========  ==================
LSTM               lstm             adamw      -
LSTM+EMA           lstm_ema         adamw      -
LSTM+ASPP          lstm_aspp        adamw      -
LSTM+Sophia        lstm             sophia     -
LSTM+XGBoost       lstm             adamw      xgboost (out-of-fold)
combined           aspp_ema_lstm    sophia     xgboost (out-of-fold)
=================  ===============  =========  ==================

``naive_stacking=True`` adds ``LSTM+XGBoost (in-sample)``: the refiner fitted on the network's
own training-set predictions, to show the leakage the out-of-fold fit avoids.
"""

from __future__ import annotations

import dataclasses
import os
import time
from typing import Any

import numpy as np
import pandas as pd

from .._errors import CpjaxInputError
from .._io import atomic_output_dir, check_output_dir, write_config
from .._progress import progress_bar, status
from ._config import ForecasterConfig
from ._data_spec import DataSpec, as_data_spec
from ._forecaster import Forecaster
from ._run import REFERENCES, observed_test_targets, score_forecasts

__all__ = ["ABLATION_ROWS", "AblationRun", "run_ablation", "ablation_table"]

ABLATION_ROWS: dict[str, dict[str, Any]] = {
    "LSTM": {"model": "lstm", "optimizer": "adamw"},
    "LSTM+EMA": {"model": "lstm_ema", "optimizer": "adamw"},
    "LSTM+ASPP": {"model": "lstm_aspp", "optimizer": "adamw"},
    "LSTM+Sophia": {"model": "lstm", "optimizer": "sophia"},
    "LSTM+XGBoost": {"model": "lstm", "optimizer": "adamw", "refiner": "xgboost"},
    "combined": {"model": "aspp_ema_lstm", "optimizer": "sophia", "refiner": "xgboost"},
}
NAIVE_ROW = ("LSTM+XGBoost (in-sample)",
             {"model": "lstm", "optimizer": "adamw", "refiner": "xgboost",
              "refiner_params": {"in_sample": True}})
TABLE_METRICS = ("mse", "rmse", "mae", "r2", "mse_mm", "rmse_mm", "mae_mm", "r2_mm")


@dataclasses.dataclass
class AblationRun:
    """What :func:`run_ablation` produced (also written to ``out``).

    ``table`` has one row per ablation row and reference: ``model, n_seeds`` and for each metric
    the mean over seeds (``rmse``) and the std (``rmse_std``), ``rmse_vs_persistence`` (ratio of
    mean RMSEs; < 1 beats persistence) and ``fit_s``.
    """

    forecasts: pd.DataFrame
    table: pd.DataFrame
    timings: dict[str, float]
    source: str
    features: list[str]


def _rename(frame: pd.DataFrame, model: str, label: str) -> pd.DataFrame:
    cols = {c: label + c[len(model):] for c in frame.columns
            if c == model or c.startswith(model + "-seed")}
    return frame.rename(columns=cols)


def ablation_table(table: pd.DataFrame) -> str:
    """Markdown of ``table`` with ``mean ± std`` cells (std omitted for one seed)."""
    lines = ["| model | " + " | ".join(TABLE_METRICS) + " | rmse / persistence | seeds |",
             "|:---|" + "---:|" * (len(TABLE_METRICS) + 2)]
    for _, r in table.iterrows():
        cells = [f"{r[m]:.4f} ± {r[m + '_std']:.4f}" if r["n_seeds"] > 1 else f"{r[m]:.4f}"
                 for m in TABLE_METRICS]
        lines.append(f"| {r['model']} | " + " | ".join(cells)
                     + f" | {r['rmse_vs_persistence']:.3f} | {int(r['n_seeds'])} |")
    return "\n".join(lines)


def run_ablation(data: DataSpec | Any, out: str | os.PathLike | None, *,
                 config: ForecasterConfig | None = None, rows: list[str] | None = None,
                 naive_stacking: bool = False, references: tuple[str, ...] = REFERENCES,
                 settings: dict[str, Any] | None = None) -> AblationRun:
    """Fit every ablation row and the references on one split; score; write ``out``.

    Arguments:
        data: :class:`~cpjax.forecast.DataSpec` (table, target, features or selection, split,
            series), or a DataFrame / CSV/Excel path with the spec's defaults; seed 000 selects
            the inputs with ``select="pcc"``.
        out: folder for ``table.csv``, ``table.md``, ``forecasts.csv``, ``errors.png`` and
            ``config.json`` (``None``: write nothing). Nothing is written when anything fails.
        config: shared settings (lookback, epochs, seeds, residual, learning rate, ...); each
            row sets ``model``, ``optimizer`` and ``refiner`` on top of it.
        rows: a subset of :data:`ABLATION_ROWS` (default all six, in Table 3 order).
        naive_stacking: also fit the in-sample (leaking) XGBoost stacking row.

    Returns:
        :class:`AblationRun`.

    Example:
        >>> from cpjax.data import demo_market
        >>> cfg = ForecasterConfig().with_settings({"epochs": 2})
        >>> run = run_ablation(demo_market(), None, config=cfg)  # doctest: +SKIP
    """
    if out is not None:  # before any work; a folder an earlier cpjax run wrote is replaced
        check_output_dir(out, overwrite=None, option="out")
    config = config or ForecasterConfig()
    spec = as_data_spec(data)
    names = list(ABLATION_ROWS) if rows is None else list(rows)
    for n in names:
        if n not in ABLATION_ROWS:
            raise CpjaxInputError(f"unknown ablation row {n!r}; choose from "
                                  f"{', '.join(ABLATION_ROWS)}")
    plan = [(n, ABLATION_ROWS[n]) for n in names] + ([NAIVE_ROW] if naive_stacking else [])
    plan += [(r, {"model": r, "seeds": 1, "residual": None}) for r in references]
    loaded = spec.load()
    df, source, target = loaded.frame, loaded.source, loaded.target
    n_train, features, report = loaded.n_train, loaded.features, loaded.selection
    base = dataclasses.replace(config, model_params={}, refiner=None)
    frames, seeds, timings, used = [], {}, {}, None
    forecasters = {label: Forecaster(config=base.with_settings(row))
                   for label, row in plan}  # every model name checked before any training
    bar = progress_bar(len(plan), "ablation", "model", config.train.progress)
    for k, (label, f) in enumerate(forecasters.items()):
        status(f"ablation: fitting {label} ({k + 1}/{len(plan)})")
        t0 = time.perf_counter()
        f.fit(df, target, features, train_rows=n_train)
        pred = f.predict()
        timings[label] = time.perf_counter() - t0
        bar.update(1)
        frames.append(_rename(pred, f.config.model, label))
        seeds[label] = f.n_seeds_
        used = used or f
    bar.close()
    fc = frames[0]
    for extra in frames[1:]:
        cols = [c for c in extra.columns if c not in ("unique_id", "ds", "cutoff", "h", "y")]
        fc = fc.merge(extra[["ds", "cutoff", "h", *cols]], on=["ds", "cutoff", "h"])
    p = used.prepared_
    fc = observed_test_targets(fc, p)  # days with a missing target are not scored
    scored = fc[fc["y_observed"]]
    y_train = p.frame[target].to_numpy(dtype=np.float64)[: p.n_train]
    level = p.frame.set_index("ds")[target]
    last = level.reindex(pd.DatetimeIndex(scored["cutoff"])).to_numpy(dtype=np.float64)
    labels = [lab for lab, _ in plan]
    metrics = score_forecasts(scored, labels, seeds, y_train, last)
    keep = ["model", "n_seeds"] + [c for m in TABLE_METRICS for c in (m, f"{m}_std")]
    table = metrics[keep + [c for c in metrics.columns if c not in keep]].copy()
    ref = table.set_index("model")["rmse"].get("persistence")
    table.insert(2, "rmse_vs_persistence", table["rmse"] / ref if ref else np.nan)
    table["fit_s"] = [timings[m] for m in table["model"]]
    if out is not None:
        with atomic_output_dir(out) as tmp:
            fc.to_csv(tmp / "forecasts.csv", index=False)
            table.to_csv(tmp / "table.csv", index=False)
            span = f"{fc['ds'].min().date()} .. {fc['ds'].max().date()}"
            t = config.train
            head = (f"Seed 000 Table 3 layout on {source}: target {target}, inputs "
                    f"{', '.join(used.features_)}; lookback {config.data.lookback}, horizon "
                    f"{config.data.horizon}; training part up to {used.train_end_.date()}, test "
                    f"{span} ({len(fc)} forecasts); networks: up to {config.train.epochs} epochs, "
                    f"seeds {t.seed}..{t.seed + t.n_seeds - 1}, "
                    f"{'residual (change from the last close)' if config.residual else 'level'} "
                    "output. Price scale, then `_mm` on the training min-max scale.\n\n")
            (tmp / "table.md").write_text(head + ablation_table(table) + "\n")
            _error_figure(fc, [lab for lab in labels if lab not in references], seeds,
                          tmp / "errors.png", source)
            if report is not None:
                report.to_csv(tmp / "selection.csv", index=False)
            write_config(tmp, config, run={
                **spec.describe(), "data": str(source), "target": target,
                "features": used.features_,
                "train_end": used.train_end_.isoformat(), "rows": {k: v for k, v in plan},
                "references": list(references), **(settings or {})}, timings_s=timings)
    return AblationRun(fc, table, timings, str(source), list(used.features_))


def _error_figure(fc: pd.DataFrame, labels: list[str], seeds: dict[str, int], path, source) -> None:
    """One panel per network row, one error histogram per seed (seed 000 Fig. 9)."""
    import matplotlib.pyplot as plt

    from ..evaluate import plot_error_distribution

    one = fc[(fc["h"] == 1) & fc["y"].notna()]
    n = len(labels)
    ncols = 2 if n > 1 else 1
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(6.0 * ncols, 3.2 * nrows), layout="constrained",
                             squeeze=False)
    for ax, lab in zip(axes.ravel(), labels):
        cols = [f"{lab}-seed{k}" for k in range(seeds[lab])] if seeds[lab] > 1 else [lab]
        errs = {lab: [(one["y"] - one[c]).to_numpy(dtype=np.float64) for c in cols]}
        plot_error_distribution(errs, ax=ax, title=lab, bins=30)
    for ax in axes.ravel()[n:]:
        ax.set_visible(False)
    name = os.path.basename(str(source)) or str(source)
    fig.suptitle(f"Test errors per run (actual - forecast), {name}", fontsize="medium")
    fig.savefig(path, dpi=110)
    plt.close(fig)
