"""``compare_models``: the library function behind ``cpjax compare`` (seed 003's comparison).

Every model is fitted on the same table and split; the table has accuracy (price scale and the
training min-max scale), spike precision/recall/F1 (daily rises above ``spike_threshold``), the hit
rate above ``price_level``, training time and prediction latency ("response time"), and the
empirical coverage of split-conformal intervals.  ``tests.csv`` compares every model with the
reference model and with persistence (Wilcoxon signed-rank, paired t, Diebold–Mariano with the
Harvey–Leybourne–Newbold correction) on per-day absolute errors.
"""

from __future__ import annotations

import dataclasses
import os
import statistics
import time
from collections.abc import Sequence
from typing import Any

import jax
import numpy as np
import pandas as pd

from .._errors import CpjaxInputError
from .._io import atomic_output_dir, check_output_dir, write_config
from .._progress import status
from ..evaluate import comparison_tests, format_table, plot_forecast
from ..nn import get_model, model_names, residual_refusal
from ._config import ForecasterConfig
from ._data_spec import DataSpec, as_data_spec
from ._forecaster import Forecaster
from ._intervals import add_conformal_intervals, calibration_residuals, check_levels, coverage_table
from ._kinds import kind_of
from ._run import observed_test_targets, score_forecasts

__all__ = ["CompareRun", "ModelChoice", "compare_models", "default_reference", "parse_models",
           "score_table", "test_table", "DEFAULT_COMPARE_MODELS"]

#: Models compared when none are named (the hybrid joins when it is registered).
DEFAULT_COMPARE_MODELS = ("persistence", "arima", "lstm")
SPIKE_METRICS = ("spike_precision", "spike_recall", "spike_f1", "hit_rate")
_ID = ("unique_id", "ds", "cutoff", "h", "y")


@dataclasses.dataclass(frozen=True)
class ModelChoice:
    """One row of a comparison: a label, the registry model and its overrides.

    ``NAME-residual`` (e.g. ``lstm-residual``) is the registry model ``NAME`` predicting the
    change from the last value (``residual=True``, :func:`cpjax.nn.residual`); ``NAME-level``
    forces ``residual=False``.  Both need a model whose registry entry supports residual mode.
    """

    label: str
    model: str
    residual: bool | None = None


def parse_models(names: Sequence[str] | None) -> list[ModelChoice]:
    """Check model labels against the registry (unknown names raise with close matches)."""
    if names is None:
        names = list(DEFAULT_COMPARE_MODELS) + (["hybrid"] if "hybrid" in model_names() else [])
    if not names:
        raise CpjaxInputError("no models given; fix: e.g. --models persistence,arima,lstm")
    out, seen = [], set()
    for name in names:
        name = str(name).strip()
        model, residual = name, None
        for suffix, flag in (("-residual", True), ("-level", False)):
            if name.endswith(suffix) and name not in model_names():
                model, residual = name[: -len(suffix)], flag
        spec = get_model(model)  # unknown names raise with close matches
        why = residual_refusal(spec) if residual is not None else None
        if why:
            raise CpjaxInputError(f"{name!r}: {model!r} cannot run in residual mode: {why} "
                                  f"(or list it as {model!r})")
        if name in seen:
            raise CpjaxInputError(f"model {name!r} is listed twice; fix: list each model once")
        seen.add(name)
        out.append(ModelChoice(name, model, residual))
    return out


def default_reference(labels: Sequence[str]) -> str:
    """The hybrid when compared, else the LSTM, else the first model that is not persistence."""
    for name in ("hybrid", "lstm"):
        if name in labels:
            return name
    others = [m for m in labels if m != "persistence"]
    return others[0] if others else labels[0]


def choices_with_reference(models, reference: str | None
                           ) -> tuple[list[ModelChoice], list[str], str]:
    """Parsed model choices with persistence first (always compared) and the test reference
    (default :func:`default_reference`) added when it is not among them."""
    choices = parse_models(models)
    if "persistence" not in [c.label for c in choices]:
        choices.insert(0, ModelChoice("persistence", "persistence"))
    labels = [c.label for c in choices]
    if reference is None:
        reference = default_reference(labels)
    elif reference not in labels:
        choices.append(parse_models([reference])[0])
        labels.append(reference)
    return choices, labels, reference


@dataclasses.dataclass
class CompareRun:
    """What :func:`compare_models` produced (also written to ``out``)."""

    forecasts: pd.DataFrame
    table: pd.DataFrame
    tests: pd.DataFrame
    forecasters: dict[str, Forecaster]
    reference: str
    info: dict[str, Any]


def model_config(base: ForecasterConfig, choice: ModelChoice) -> ForecasterConfig:
    """The settings of one model in a comparison: ``base`` with this model (estimators: 1 seed)."""
    return kind_of(get_model(choice.model)).comparison_settings(
        base.with_settings({"model": choice.model}), choice.residual, base.model == choice.model)


def _warm_predict(f: Forecaster, idx: np.ndarray, repeats: int = 5) -> tuple[float, float]:
    """(compile or first-call seconds, median warm seconds) to predict windows ``idx``."""
    p = f.prepared_
    w = p.windows
    call = f.kind.warm_predict_fn(f, w.X[idx], w.origin[idx], p.series)
    t0 = time.perf_counter()
    call()
    first = time.perf_counter() - t0
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        call()
        times.append(time.perf_counter() - t0)
    return first, statistics.median(times)


def _rename(pred: pd.DataFrame, model: str, label: str) -> pd.DataFrame:
    ren = {c: label + c[len(model):] for c in pred.columns
           if c == model or c.startswith(model + "-seed")}
    return pred.rename(columns=ren)


def score_table(fc: pd.DataFrame, labels: Sequence[str], seeds: dict[str, int],
                y_train: np.ndarray, last: np.ndarray, *, spike_threshold: float = 0.05,
                price_level: float = 80.0) -> pd.DataFrame:
    """One row per model: accuracy and spike metrics, mean and std over seeds.

    Metrics of each seed's forecast are computed separately (``<label>-seed<k>`` columns) and
    averaged; ``<metric>_std`` is the sample std over seeds (0 with one seed).  ``_mm`` columns
    are on the training min-max scale.
    """
    names = ["mse", "rmse", "mae", "r2", "mape", "smape", "mase", "da", *SPIKE_METRICS]
    return score_forecasts(fc, list(labels), seeds, y_train, last, metrics=names,
                           spike_threshold=spike_threshold, level=price_level)


def test_table(fc: pd.DataFrame, labels: Sequence[str], references: Sequence[str], *,
               loss: str = "mae") -> pd.DataFrame:
    """Wilcoxon, paired t and DM-HLN of every model against each reference, per step ``h``.

    Uses the seed-mean forecast column of each model.  ``dm_stat > 0``: the reference is more
    accurate; ``mean_loss_diff`` is mean(loss_model - loss_reference) in price units.
    """
    parts = []
    for h, g in fc.groupby("h", sort=True):
        g = g.dropna(subset=["y"])
        preds = {m: g[m].to_numpy(np.float64) for m in labels}
        for ref in dict.fromkeys(references):
            if ref not in preds or len(preds) < 2 or len(g) < 3:
                continue
            t = comparison_tests(g["y"].to_numpy(np.float64), preds, ref, loss=loss, h=int(h))
            y = g["y"].to_numpy(np.float64)
            p = 1.0 if loss == "mae" else 2.0
            t["mean_loss_diff"] = [float(np.mean(np.abs(y - preds[m]) ** p
                                                 - np.abs(y - preds[ref]) ** p)) for m in t["model"]]
            t.insert(2, "h", int(h))
            t.insert(3, "n", len(g))
            parts.append(t)
    cols = ["model", "reference", "h", "n", "wilcoxon_p", "ttest_p", "dm_stat", "dm_p",
            "mean_loss_diff"]
    return pd.concat(parts, ignore_index=True)[cols] if parts else pd.DataFrame(columns=cols)


def fit_choice(df: pd.DataFrame, choice: ModelChoice, base: ForecasterConfig, target: str,
               features, *, train_rows: int) -> tuple[Forecaster, dict]:
    """Fit one model on the first ``train_rows`` rows; return it with its timings (train,
    predict, latency per window)."""
    f = Forecaster(config=model_config(base, choice))
    t0 = time.perf_counter()
    f.fit(df, target, features, train_rows=train_rows)
    train_s = time.perf_counter() - t0
    idx = f.prepared_.test_windows()
    first, warm = _warm_predict(f, idx)
    return f, {"train_s": train_s, "predict_first_s": first, "predict_s": warm,
               "latency_ms": 1e3 * warm / max(idx.size, 1), "n_windows": int(idx.size)}


def compare_models(data: DataSpec | Any, out: str | os.PathLike | None = None, *,
                   models: Sequence[str] | None = None, reference: str | None = None,
                   config: ForecasterConfig | None = None,
                   levels: Sequence[float] = (80, 95), cal_fraction: float | None = None,
                   spike_threshold: float = 0.05, price_level: float = 80.0,
                   settings: dict[str, Any] | None = None) -> CompareRun:
    """Fit several models on one split and compare them (seed 003's comparison and Table 2).

    Arguments:
        data: :class:`~cpjax.forecast.DataSpec` (table, target, features or selection, split,
            series), or a DataFrame / CSV/Excel path with the spec's defaults.
        out: folder for ``table.csv``, ``table.md``, ``tests.csv``, ``forecasts.csv``,
            ``forecast.png`` and ``config.json`` (``None``: write nothing).
        models: labels (registry names, or ``NAME-residual`` / ``NAME-level``); persistence is
            always added.  Default :data:`DEFAULT_COMPARE_MODELS` plus ``hybrid`` if registered.
        reference: model the others are tested against (default: :func:`default_reference`);
            every model is also tested against persistence.
        config: settings shared by the models (lookback, epochs, seeds, ...).
        levels: conformal interval levels in percent (``()``: no intervals).
        cal_fraction: share of training windows used for calibration (see ``_intervals``).
        spike_threshold: daily relative rise counted as a spike (0.05 = 5 %).
        price_level: level for the hit rate (80 CNY/t in seed 003; same units as the target).

    Returns:
        :class:`CompareRun`.

    Example:
        >>> from cpjax.data import demo_market
        >>> from cpjax.forecast import DataConfig, DataSpec, ForecasterConfig
        >>> run = compare_models(DataSpec(demo_market(n_days=300), target="close"),
        ...                      models=["arima"], config=ForecasterConfig(data=DataConfig(lookback=10)))
        >>> sorted(run.table["model"])
        ['arima', 'persistence']
    """
    if out is not None:  # before any work; a folder an earlier cpjax run wrote is replaced
        check_output_dir(out, overwrite=None, option="out")
    base = config or ForecasterConfig()
    choices, labels, reference = choices_with_reference(models, reference)
    levels = check_levels(levels)
    spec = as_data_spec(data)
    loaded = spec.load()
    df, source, target = loaded.frame, loaded.source, loaded.target
    n_train, features, selection = loaded.n_train, loaded.features, loaded.selection
    fitted, timings, frames = {}, {}, []
    for ch in choices:  # every name and setting checked before any training
        Forecaster(config=model_config(base, ch))
    for k, ch in enumerate(choices):
        status(f"compare: fitting {ch.label} ({k + 1}/{len(choices)})")
        f, tm = fit_choice(df, ch, base, target, features, train_rows=n_train)
        pred = _rename(f.predict(), f.name, ch.label)
        if levels:
            res = calibration_residuals(f, cal_fraction)
            pred = add_conformal_intervals(pred, ch.label, res, levels)
            tm["n_calibration"] = int(res["cutoff"].nunique())
            tm["calibration_end"] = str(pd.Timestamp(res["cutoff"].max()).date())
        fitted[ch.label], timings[ch.label] = f, tm
        frames.append(pred)
    fc = frames[0]
    for extra in frames[1:]:
        cols = [c for c in extra.columns if c not in _ID]
        fc = fc.merge(extra[["ds", "cutoff", "h", *cols]], on=["ds", "cutoff", "h"])
    main = fitted[labels[0]]
    p = main.prepared_
    fc = observed_test_targets(fc, p)  # days with a missing target are not scored
    y_train = p.frame[target].to_numpy(np.float64)[: p.n_train]
    last = p.frame.set_index("ds")[target].reindex(pd.DatetimeIndex(fc["cutoff"])).to_numpy(np.float64)
    ok = fc["y"].notna().to_numpy()
    scored = fc[ok]
    seeds = {m: fitted[m].n_seeds_ for m in labels}
    table = score_table(scored, labels, seeds, y_train, last[ok], spike_threshold=spike_threshold,
                        price_level=price_level).set_index("model")
    tcols = ["train_s", "predict_s", "latency_ms", "predict_first_s"]
    table = table.join(pd.DataFrame({m: {k: timings[m][k] for k in tcols} for m in labels}).T)
    if levels:
        table = table.join(coverage_table(scored, labels, levels))
    table = table.reset_index()
    tests = test_table(scored, labels, [reference, "persistence"])
    yv, lv = scored["y"].to_numpy(np.float64), last[ok]
    info = {"data": str(source), "target": target, "features": main.features_,
            "data_spec": spec.describe(),
            "rows": len(p.frame), "first_date": str(p.frame["ds"].iloc[0].date()),
            "last_date": str(p.frame["ds"].iloc[-1].date()),
            "train_end": str(main.train_end_.date()),
            "test_first": str(pd.Timestamp(scored["ds"].min()).date()),
            "test_last": str(pd.Timestamp(scored["ds"].max()).date()),
            "n_test": int(scored["ds"].nunique()), "reference": reference, "models": labels,
            "levels": list(levels), "spike_threshold": spike_threshold,
            "price_level": price_level, "timings": timings,
            "n_spikes": int(np.sum((yv - lv) / lv > spike_threshold)),
            "n_above_level": int(np.sum(yv > price_level)),
            "calibration": "last cal_fraction of the training windows (before the test period)",
            "device": str(jax.devices()[0])}
    run = CompareRun(fc, table, tests, fitted, reference, info)
    if out is not None:
        _write(run, out, base, selection, levels, settings)
    return run


def markdown_tables(run: CompareRun, levels: Sequence[float]) -> str:
    """The comparison and test tables as Markdown, headed by the data and split used."""
    i = run.info
    t = run.table.set_index("model")
    show = pd.DataFrame(index=t.index)
    for c in ["rmse", "mae", "mape", "r2", "mase", "da", "spike_recall", "spike_f1", "hit_rate"]:
        show[c] = [f"{m:.4g} ± {s:.2g}" if n > 1 else f"{m:.4g}"
                   for m, s, n in zip(t[c], t[f"{c}_std"], t["n_seeds"])]
    for lv in levels:
        show[f"cover_{lv}"] = t[f"coverage_{lv}"].map(lambda v: f"{v:.3f}")
    show["train_s"] = t["train_s"].map(lambda v: f"{v:.2f}")
    show["latency_ms"] = t["latency_ms"].map(lambda v: f"{v:.3g}")
    show["n_seeds"] = t["n_seeds"]
    head = (f"Data {i['data']}: {i['first_date']} .. {i['last_date']} ({i['rows']} rows), target "
            f"{i['target']}; trained up to {i['train_end']}; test {i['test_first']} .. "
            f"{i['test_last']} ({i['n_test']} days). Spikes: daily rise > "
            f"{100 * i['spike_threshold']:g} % ({i['n_spikes']} test days); hit rate above "
            f"{i['price_level']:g} ({i['n_above_level']} test days).\n\n")
    tests = run.tests.copy()
    body = format_table(show)
    if len(tests):
        tests = tests.set_index("model")
        body += ("\nTests on per-day absolute errors (seed-mean forecasts); dm_stat > 0: the "
                 "reference is more accurate.\n\n" + format_table(tests, ".3g"))
    return head + body


def _write(run: CompareRun, out, base: ForecasterConfig, selection, levels, settings) -> None:
    with atomic_output_dir(out) as tmp:
        run.forecasts.to_csv(tmp / "forecasts.csv", index=False)
        run.table.to_csv(tmp / "table.csv", index=False)
        run.tests.to_csv(tmp / "tests.csv", index=False)
        (tmp / "table.md").write_text(markdown_tables(run, levels))
        one = run.forecasts[run.forecasts["h"] == 1]
        labels = run.info["models"]
        ref = run.reference
        iv = None
        if levels:
            from ..evaluate import interval_column_names

            iv = {ref: {lv: (one[interval_column_names(ref, lv)[0]],
                             one[interval_column_names(ref, lv)[1]]) for lv in levels}}
        ax = plot_forecast(one["ds"], one["y"], {m: one[m] for m in labels}, intervals=iv,
                           title=f"{run.info['target']}: test forecasts "
                                 f"({os.path.basename(run.info['data']) or run.info['data']})",
                           ylabel=run.info["target"])
        ax.figure.savefig(tmp / "forecast.png", dpi=110, bbox_inches="tight")
        import matplotlib.pyplot as plt

        plt.close(ax.figure)
        if selection is not None:
            selection.to_csv(tmp / "selection.csv", index=False)
        write_config(tmp, base, run={k: v for k, v in run.info.items() if k != "timings"},
                     timings=run.info["timings"], **(settings or {}))
