"""Parsers of ``cpjax forecast``, ``models``, ``ablation``, ``compare`` and ``backtest``.

The commands themselves are in ``cpjax/forecast/_cli.py``, ``_ablation_cli.py`` and
``_compare_cli.py`` (imported when they run).
"""

from __future__ import annotations

import argparse

from ._parser import (
    add_output_options,
    csv_list,
    date_text,
    finite_float,
    fraction,
    handler,
    levels,
    nonneg_int,
    option_value,
    positive_float,
    positive_int,
    quantile_levels,
)

__all__ = ["register", "add_data_options"]


def add_data_options(p: argparse.ArgumentParser) -> None:
    """Options shared by the forecasting commands: data, columns, windows and split."""
    g = p.add_argument_group("data")
    src = g.add_mutually_exclusive_group(required=True)
    src.add_argument("--demo", action="store_true", help="use the built-in synthetic market")
    src.add_argument("--data", metavar="PATH", help="CSV or Excel file (wide or long form)")
    g.add_argument("--target", help="column to forecast (default: y, else close)")
    cols = g.add_mutually_exclusive_group()
    cols.add_argument("--features", type=csv_list, metavar="A,B,...",
                      help="input columns besides the target (default: all numeric columns)")
    cols.add_argument("--select", choices=["pcc", "pcc+granger"],
                      help="choose inputs by Pearson screening (seed 000), optionally Granger")
    g.add_argument("--unique-id", help="series to use from a long table")
    g.add_argument("--date-format", metavar="FORMAT",
                   help="strftime format of the dates, e.g. %%d/%%m/%%Y (default: detected from "
                   "the whole column; ambiguous day/month columns are refused)")
    w = p.add_argument_group("windows and split")
    w.add_argument("--lookback", type=positive_int, default=10, help="input rows per window")
    w.add_argument("--horizon", type=positive_int, default=1, help="steps forecast per window")
    split = w.add_mutually_exclusive_group()
    split.add_argument("--split", type=fraction,
                       help="training fraction of the rows (default 0.7)")
    split.add_argument("--test-start", type=date_text, metavar="YYYY-MM-DD",
                       help="first date of the test part")
    t = p.add_argument_group("training")
    t.add_argument("--seeds", type=positive_int, default=1, help="seeds to train (mean ± std)")
    t.add_argument("--epochs", type=positive_int, default=100, help="training epochs")
    t.add_argument("--seed", type=nonneg_int, default=0, help="first random seed")


def _training_options(p: argparse.ArgumentParser, optimizer: bool = True) -> None:
    if optimizer:
        p.add_argument("--optimizer", default="adam",
                       help="adam, adamw, rmsprop, sgd or sophia (networks only)")
    p.add_argument("--learning-rate", type=positive_float, default=1e-3,
                   help="peak step size of the optimizer")
    if optimizer:
        p.add_argument("--loss", default="mse", choices=["mse", "mae", "huber"],
                       help="training loss")
    p.add_argument("--batch-size", type=positive_int, default=32, help="windows per step")
    p.add_argument("--patience", type=nonneg_int, default=20,
                   help="early-stopping patience in epochs (0: off)")
    p.add_argument("--residual", action="store_true",
                   help="the model predicts the change from the last value (networks, direct "
                   "svr)")


def _step(text: str) -> str | int:
    if text == "month":
        return text
    try:
        return positive_int(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"expected 'month' or a positive number of rows, got "
                                         f"{text!r}") from None


def _comparison_options(p: argparse.ArgumentParser) -> None:
    add_data_options(p)
    p.add_argument("--models", type=csv_list, metavar="A,B,...",
                   help="registry names (cpjax models); NAME-residual predicts the change from "
                   "the last value. Default persistence,arima,lstm (+ hybrid when registered)")
    p.add_argument("--reference", help="model the others are tested against (default: hybrid "
                   "when compared, else lstm); every model is also tested against persistence")
    p.add_argument("--level", type=levels, default=[80.0, 95.0], metavar="80,95",
                   help="split-conformal interval levels in percent ('none' for no intervals)")
    p.add_argument("--spike-threshold", type=positive_float, default=0.05,
                   help="daily relative rise counted as a spike (0.05 = 5 %%)")
    p.add_argument("--price-level", type=finite_float, default=80.0,
                   help="price level of the hit rate (seed 003's CNY/t)")
    _training_options(p)
    add_output_options(p)


def register(sub) -> None:
    p = sub.add_parser("forecast", help="fit a model and the reference models; score them",
                       description="Fit one registered model plus persistence and ARIMA on the "
                       "same split; write forecasts.csv, metrics.csv/.md, forecast.png, "
                       "data_report.json, imputation.csv (when values were filled), "
                       "config.json, run.json and model/.")
    add_data_options(p)
    p.add_argument("--units", metavar="TEXT",
                   help="units of the target for forecast.png and metrics.md, e.g. CNY/t "
                   "(default: CNY/t for --demo, none shown otherwise)")
    m = p.add_argument_group("model")
    m.add_argument("--model", help="registry name (see `cpjax models`; default lstm); for a "
                   "long table without --unique-id: global_mlp (default) or local_mlp")
    m.add_argument("--optimizer-option", type=option_value, action="append", default=[],
                   metavar="NAME=VALUE", help="optimizer setting, repeatable, e.g. "
                   "estimator=gnb update_interval=10 weight_decay=0.01 (Sophia)")
    gl = p.add_argument_group("global model (a long table without --unique-id, docs/global.md)")
    gl.add_argument("--quantiles", type=quantile_levels, default=[], metavar="0.1,0.5,0.9",
                    help="write <model>-q10, -q50, -q90 columns (the quantile head is trained "
                    "on these levels)")
    gl.add_argument("--head", choices=["quantile", "student_t", "point"], default="quantile",
                    help="output head of the global network")
    gl.add_argument("--static", metavar="PATH",
                    help="static covariates, CSV with unique_id + e.g. market, currency, type")
    gl.add_argument("--futr-features", type=csv_list, default=[], metavar="A,B",
                    help="columns known in advance (calendar features are added by default)")
    gl.add_argument("--embed-dim", type=nonneg_int, default=4,
                    help="learned series embedding width (0: off)")
    m.add_argument("--refiner", choices=["xgboost"],
                   help="refine the network with XGBoost fitted on out-of-fold predictions")
    m.add_argument("--references", type=csv_list, default=["persistence", "autoets", "autotheta"],
                   metavar="A,B", help="reference models fitted alongside ('none' for none)")
    m.add_argument("--level", type=levels, default=[], metavar="80,95",
                   help="split-conformal prediction intervals at these levels (percent)")
    _training_options(m)
    add_output_options(p)
    handler(p, "cpjax.forecast._cli:forecast", inputs=("data", "static"))

    tn = sub.add_parser("tune", help="hyperparameter search on rolling-origin validation",
                        description="Try the settings of a search space (JSON: grid or random; "
                        "docs/tune.md) at rolling origins inside the training part (the test "
                        "part is never read); trials that differ only in learning rate, weight "
                        "decay, dropout, epochs, ... train as one batch. Write trials.csv, "
                        "best_config.json, config.json and run.json.")
    add_data_options(tn)
    s = tn.add_argument_group("search")
    s.add_argument("--space", required=True, metavar="PATH",
                   help="search space file (JSON: method, trials, seed, params, validation)")
    s.add_argument("--model", default="lstm", help="registry name (see `cpjax models`)")
    s.add_argument("--optimizer-option", type=option_value, action="append", default=[],
                   metavar="NAME=VALUE", help="fixed optimizer setting, repeatable")
    _training_options(s)
    add_output_options(tn)
    handler(tn, "cpjax.forecast._cli:tune", inputs=("data", "space"))

    models = sub.add_parser("models", help="list the registered forecasting models")
    models.add_argument("--json", action="store_true",
                        help="machine-readable output with defaults")
    handler(models, "cpjax.forecast._cli:models")

    a = sub.add_parser("ablation", help="seed 000 Table 3: the combined model's components",
                       description="Fit LSTM, LSTM+EMA, LSTM+ASPP, LSTM+Sophia, LSTM+XGBoost and "
                       "the combined ASPP+EMA+LSTM (Sophia, XGBoost refiner) plus persistence and "
                       "ARIMA on one split; write table.csv/.md (mean and std over seeds, price "
                       "and min-max scale), forecasts.csv, errors.png, config.json, run.json.")
    add_data_options(a)
    _training_options(a, optimizer=False)
    a.add_argument("--naive-stacking", action="store_true",
                   help="add the in-sample (leaking) XGBoost stacking row for comparison")
    add_output_options(a)
    handler(a, "cpjax.forecast._ablation_cli:ablation", inputs=("data",))

    c = sub.add_parser("compare", help="compare models on one split: accuracy, spikes, times, "
                       "tests, intervals",
                       description="Fit several models on the same split; write table.csv/.md "
                       "(accuracy, spike recall/F1, training time, prediction latency, interval "
                       "coverage), tests.csv (Wilcoxon, paired t, Diebold-Mariano HLN against "
                       "the reference and persistence), forecasts.csv, forecast.png, "
                       "config.json, run.json.")
    _comparison_options(c)
    handler(c, "cpjax.forecast._compare_cli:compare", inputs=("data",))

    b = sub.add_parser("backtest", help="rolling-origin backtest (12 monthly origins by default)",
                       description="Train at each origin on the data up to it and forecast the "
                       "next block; write cv.csv, metrics_by_cutoff.csv, overall.csv/.md, "
                       "tests.csv, backtest.png, config.json, run.json.")
    _comparison_options(b)
    b.add_argument("--windows", type=positive_int, default=12, help="number of origins")
    b.add_argument("--step", type=_step, default="month",
                   help="'month' (calendar months) or rows per block")
    b.add_argument("--refit", action=argparse.BooleanOptionalAction, default=True,
                   help="retrain at every origin (default) or train once at the first")
    b.add_argument("--mode", choices=["expanding", "sliding"], default="expanding",
                   help="training window at later origins")
    handler(b, "cpjax.forecast._compare_cli:backtest", inputs=("data",))
