"""The user-facing forecaster: one model, fitted on a table, predicting pandas DataFrames."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._errors import CpjaxInputError
from ..data import CategoryScaler
from ..evaluate import quantile_column
from ..nn import get_model, make_config, residual, residual_refusal
from ..train import Problem, predict_network
from ._config import ForecasterConfig
from ._kinds import kind_of
from ._prepare import Prepared, load_frame, prepare, resolve_features, resolve_target, train_end_row
from ._refiner import fit_refiner, oof_blocks

__all__ = ["Forecaster"]

_FORMAT = "cpjax.Forecaster"
_FORMAT_VERSION = 1


class Forecaster:
    """Fit one registered model on a table and forecast the target.

    Arguments:
        model: registry name (``cpjax models``), e.g. ``"lstm"``, ``"arima"``, ``"persistence"``.
        config: a full :class:`ForecasterConfig`; keywords are flat settings put in its
            sections by :meth:`ForecasterConfig.with_settings` (``lookback=30``, ``epochs=50``,
            ``learning_rate=3e-3``), the model's hyperparameters included (``hidden_size=32``).
        search: a :class:`~cpjax.forecast.SearchSpace` (or its JSON form, or a JSON file):
            ``fit`` first chooses those settings on rolling-origin validation inside the
            training part (:func:`~cpjax.forecast.tune`; every trial in ``search_result_``),
            then fits the chosen configuration on the whole training part.

    Example:
        >>> from cpjax.data import demo_market
        >>> f = Forecaster("lstm", lookback=10, epochs=5).fit(demo_market(), target="close")
        >>> f.predict().columns[:5].tolist()  # doctest: +SKIP
        ['unique_id', 'ds', 'cutoff', 'h', 'y']
    """

    def __init__(self, model: str | None = None, *, config: ForecasterConfig | None = None,
                 search: Any = None, **kwargs: Any):
        settings = kwargs if model is None else {"model": model, **kwargs}
        self.config = legacy_residual_params((config or ForecasterConfig()).with_settings(settings))
        spec = get_model(self.config.model)
        cfg = make_config(self.config.model, self._model_params())  # validates them
        if self.config.residual and (why := residual_refusal(spec, cfg)):
            raise CpjaxInputError(f"residual=True: {spec.name!r} cannot run in residual mode: "
                                  f"{why}")
        self.spec, self.kind = spec, kind_of(spec)  # chosen once; owns what differs by kind
        self.kind.check(self)
        self.refiner_ = None
        self.search = None
        if search is not None:
            from ._search import as_search_space

            self.search = as_search_space(search)  # checked now, run by fit
        self.search_result_ = None
        self.prepared_: Prepared | None = None
        self.fitted_ = False

    # ----------------------------------------------------------------- helpers
    def _model_params(self) -> dict[str, Any]:
        return dict(self.config.model_params)

    def _optimizer(self):
        return self.config.optimizer

    def _build(self):
        cfg = make_config(self.config.model, self._model_params())
        return self._as_configured(self.spec.build(cfg, self.config.data.horizon), cfg)

    def _as_configured(self, model, cfg):
        """``model`` (built or loaded from ``cfg``) in residual mode when ``residual`` is set;
        the Forecaster's windows have the target at feature 0."""
        return residual(model, self.spec, cfg) if self.config.residual else model

    @property
    def name(self) -> str:
        return self.config.model

    # --------------------------------------------------------------------- fit
    def fit(self, data, target: str | None = None, features: list[str] | None = None, *,
            split: float | None = None, test_start=None, unique_id=None,
            train_rows: int | None = None, date_format: str | None = None) -> Forecaster:
        """Fit on the training part of ``data``.

        Arguments:
            data: DataFrame or CSV/Excel path, wide (``ds`` + columns) or long
                (``unique_id, ds, y``; pick the series with ``unique_id``).
            target: column to forecast (default ``y``, else ``close``).
            features: input columns besides the target (default: all numeric columns).
            split: training fraction of the rows (default 0.7), or
            test_start: first date of the test part.
            train_rows: explicit number of training rows (used by rolling backtests).
            date_format: ``strftime`` format of the dates (default: detected over the column).

        Returns:
            ``self``, with ``history_`` (per-epoch losses of networks) and ``prepared_``.

        Several forecasters are fitted together (one compiled program, their networks trained
        as one batch of problems) by :func:`cpjax.forecast.fit_forecasters`.
        """
        from ._batch import FitJob, fit_forecasters

        self.date_format_ = date_format  # read by _plan and by predict on new data
        if self.search is not None:  # choose the settings on the training part, then fit them
            from ._data_spec import DataSpec
            from ._tune import tune

            if train_rows is not None:  # the search must not read past the training rows either
                data, _ = load_frame(data, unique_id, date_format)
                unique_id = date_format = None
                split, test_start = (None, data["ds"].iloc[train_rows]) \
                    if train_rows < len(data) else (split, None)
            spec = DataSpec(data, target=target, features=features, split=split,
                            test_start=test_start, unique_id=unique_id, date_format=date_format)
            self.search_result_ = tune(spec, self.search, config=self.config)
            self.config = self.search_result_.config
            self.spec = get_model(self.config.model)
            self.kind = kind_of(self.spec)
        fit_forecasters([FitJob(self, data, target, features, split=split,
                                test_start=test_start, unique_id=unique_id,
                                train_rows=train_rows)])
        return self

    def _plan(self, data, target, features, split, test_start, unique_id, train_rows):
        """Read, check, scale and window ``data``; return the training windows ``(X, Y)``.
        Sets ``prepared_``, ``target_``, ``features_``, ``train_end_``, ``source_``."""
        df, source = load_frame(data, unique_id, getattr(self, "date_format_", None))
        target = resolve_target(df, target, source)
        cols = resolve_features(df, target, features)
        n_train = train_rows if train_rows is not None else train_end_row(
            pd.DatetimeIndex(df["ds"]), split, test_start)
        d = self.config.data
        p = prepare(df, target, cols, lookback=d.lookback, horizon=d.horizon, n_train=n_train,
                    scaling=d.scaling, max_linear_gap=d.max_linear_gap, outliers=d.outliers,
                    min_test=d.min_test, source=source)
        if len(p.frame) != len(df):  # leading rows dropped by imputation: keep the split date
            n_train = int(np.searchsorted(p.frame["ds"].values, df["ds"].values[n_train - 1],
                                          side="right"))
            p = dataclasses.replace(p, n_train=n_train)
        if p.scaler.params[target]["category"] == "growth":
            raise CpjaxInputError(f"the target {target!r} cannot be growth-scaled; fix: use "
                                  "scaling={target: 'minmax'} or 'zscore'")
        tr = p.train_windows()
        if tr.size < 2:
            raise CpjaxInputError(f"only {tr.size} training window(s) in {source}; fix: use a "
                                  "longer training part or a shorter lookback")
        self.prepared_ = p
        self.target_, self.features_ = target, p.features
        self.train_end_ = pd.Timestamp(p.frame["ds"].iloc[p.n_train - 1])
        self.source_ = source
        return p.windows.X[tr], p.windows.y[tr]

    def _training(self):
        """``(module, OptimizerConfig, TrainConfig)`` of this forecaster's networks."""
        c = self.config
        return self._build(), c.optimizer, dataclasses.replace(c.train, label=c.model)

    def _problems(self, X: np.ndarray, Y: np.ndarray) -> list[tuple[Any, Problem]]:
        """The network problems of this fit: ``("main", problem)`` for each seed, and
        ``(k, problem)`` for each seed of out-of-fold block ``k`` when a refiner is set.  The
        latest ``val_fraction`` of each problem's windows drive its early stopping."""
        c, val = self.config, self.config.data.val_fraction
        seeds = range(c.train.seed, c.train.seed + c.train.n_seeds)
        out = [("main", _problem(X, Y, val, s)) for s in seeds]
        rcfg = c.refiner
        if rcfg is not None and not rcfg.in_sample:
            for k, (fit_pos, _) in enumerate(oof_blocks(len(X), rcfg.folds, c.data.horizon)):
                out += [(k, _problem(X[fit_pos], Y[fit_pos], val, s)) for s in seeds]
        return out

    def _attach(self, X: np.ndarray, Y: np.ndarray, module, results: dict[Any, Any]) -> None:
        """Take the trained networks (``results[role]``: a TrainResult over this fit's seeds)."""
        c = self.config
        res = results["main"]
        self.module_ = module
        self.params_, self.batch_stats_ = res.params, res.batch_stats
        self.history_ = res.history
        self.best_epoch_ = res.best_epoch
        self.n_seeds_ = c.train.n_seeds
        rcfg = c.refiner
        if rcfg is not None:
            blocks = [] if rcfg.in_sample else oof_blocks(len(X), rcfg.folds, c.data.horizon)
            lookup = {tuple(pred): results[k] for k, (_, pred) in enumerate(blocks)}

            def train_predict(fit_pos, pred_pos):  # the out-of-fold networks, already trained
                r = lookup[tuple(pred_pos)]
                return predict_network(module, r.params, r.batch_stats, X[pred_pos])

            final = predict_network(module, res.params, res.batch_stats, X)
            self.refiner_ = fit_refiner(rcfg, train_predict, X, Y, final, c.data.horizon)
        self.fitted_ = True

    def _network_predict(self, X: np.ndarray) -> np.ndarray:
        """Scaled ``(n_seeds, n, H)`` forecasts of the network, refined when a refiner is set."""
        out = predict_network(self.module_, self.params_, self.batch_stats_, X)
        return out if self.refiner_ is None else self.refiner_.predict(out, X)

    # ----------------------------------------------------------------- predict
    def _check_fitted(self):
        if not self.fitted_:
            raise CpjaxInputError("this Forecaster is not fitted; fix: call fit(data, target=...) "
                                  "or Forecaster.load(path)")

    def _prepare_new(self, data, unique_id=None) -> Prepared:
        df, source = load_frame(data, unique_id, getattr(self, "date_format_", None))
        d = self.config.data
        p = prepare(df, self.target_, self.features_, lookback=d.lookback, horizon=d.horizon,
                    n_train=None, scaling=d.scaling, max_linear_gap=d.max_linear_gap,
                    outliers=d.outliers, min_test=0, scaler=self.scaler_, source=source)
        n_train = int(np.searchsorted(p.frame["ds"].values, self.train_end_.to_datetime64(),
                                      side="right"))
        return dataclasses.replace(p, n_train=n_train)

    @property
    def scaler_(self) -> CategoryScaler:
        return self._scaler if hasattr(self, "_scaler") else self.prepared_.scaler

    def _raw_predict(self, p: Prepared, idx: np.ndarray) -> np.ndarray:
        """Scaled predictions ``(n_seeds, len(idx), H)``."""
        w = p.windows
        return self.kind.predict_scaled(self, w.X[idx], w.origin[idx], p.series)

    def predict(self, data=None, *, unique_id=None, which: str = "test") -> pd.DataFrame:
        """Forecasts over the test part (rows after the training end), one row per (origin, step).

        Arguments:
            data: a table with the same columns (default: the table given to ``fit``). Rows up
                to the training end date only serve as history.
            which: ``"test"`` (windows after the training end) or ``"all"`` (every window).

        Returns:
            DataFrame ``unique_id, ds, cutoff, h, y, <model>`` in original units (``ds`` is the
            forecast date, ``cutoff`` the last observed date), plus ``<model>-seed<k>`` columns
            when several seeds were trained.  ``<model>`` is the mean over seeds.
        """
        self._check_fitted()
        p = self.prepared_ if data is None else self._prepare_new(data, unique_id)
        if p is None:
            raise CpjaxInputError("this Forecaster was loaded from disk; fix: pass the data "
                                  "table, e.g. predict(df)")
        idx = p.test_windows() if which == "test" else np.arange(len(p.windows))
        if idx.size == 0:
            raise CpjaxInputError(f"no rows after the training end {self.train_end_.date()} to "
                                  "forecast; fix: pass data that extends beyond it")
        return self._frame(p, idx, self._raw_predict(p, idx))

    def predict_quantiles(self, quantiles, data=None, *, unique_id=None,
                          which: str = "test") -> pd.DataFrame:
        """:meth:`predict` plus the model's own quantiles as columns ``<model>-q<100 q>``
        (``lstm-q10``); statistical peers and ensembles have them (``cpjax.nn``)."""
        self._check_fitted()
        p = self.prepared_ if data is None else self._prepare_new(data, unique_id)
        if p is None:
            raise CpjaxInputError("this Forecaster was loaded from disk; fix: pass the data "
                                  "table, e.g. predict_quantiles(q, df)")
        idx = p.test_windows() if which == "test" else np.arange(len(p.windows))
        w = p.windows
        q = self.kind.quantiles_scaled(self, w.X[idx], w.origin[idx], p.series, quantiles)
        fc = self.predict(data, unique_id=unique_id, which=which)
        for j, level in enumerate(quantiles):
            fc[quantile_column(self.name, level)] = self.scaler_.inverse_transform(
                q[..., j].reshape(-1), self.target_)
        return fc

    def _frame(self, p: Prepared, idx: np.ndarray, scaled: np.ndarray) -> pd.DataFrame:
        H = self.config.data.horizon
        w = p.windows
        dates = p.dates
        origin = w.origin[idx]
        rows = np.repeat(origin, H) + np.tile(np.arange(1, H + 1), len(origin))
        inv = lambda v: self.scaler_.inverse_transform(v, self.target_)  # noqa: E731
        per_seed = [inv(s.reshape(-1)) for s in scaled]
        out = pd.DataFrame({
            "unique_id": self.target_,
            "ds": _dates_at(dates, rows),
            "cutoff": np.repeat(dates.values[origin], H),
            "h": np.tile(np.arange(1, H + 1), len(origin)),
            "y": _values_at(p.frame[self.target_].to_numpy(dtype=np.float64), rows),
            self.name: np.mean(per_seed, axis=0),
        })
        if len(per_seed) > 1:
            for k, v in enumerate(per_seed):
                out[f"{self.name}-seed{k}"] = v
        return out

    def forecast(self, data=None, *, unique_id=None) -> pd.DataFrame:
        """The next ``horizon`` values after the last row of ``data`` (true out-of-sample)."""
        self._check_fitted()
        p = self.prepared_ if data is None else self._prepare_new(data, unique_id)
        if p is None:
            raise CpjaxInputError("pass the data table: forecast(df)")
        L, H = self.config.data.lookback, self.config.data.horizon
        x = p.values[-L:][None].astype(np.float32)
        T = len(p.series)
        scaled = self.kind.predict_scaled(self, x, np.array([T - 1]), p.series)
        last = p.dates[-1]
        future = _future_dates(p.dates, H)
        per_seed = [self.scaler_.inverse_transform(s.reshape(-1), self.target_) for s in scaled]
        return pd.DataFrame({"unique_id": self.target_, "ds": future, "cutoff": last,
                             "h": np.arange(1, H + 1), self.name: np.mean(per_seed, axis=0)})

    def cross_validation(self, data, target: str | None = None, features=None, *,
                         n_windows: int = 12, step_size: str | int = "month",
                         refit: bool = True, mode: str = "expanding",
                         unique_id=None) -> pd.DataFrame:
        """Rolling-origin backtest with this forecaster's settings (see :func:`cross_validation`).

        Returns ``unique_id, ds, cutoff, h, y, <model>``, one block of rows per origin.
        """
        from ._cv import cross_validation

        return cross_validation(self, data, target, features, n_windows=n_windows,
                                step_size=step_size, refit=refit, mode=mode,
                                unique_id=unique_id)

    # ------------------------------------------------------------- save / load
    def save(self, path: str | os.PathLike) -> Path:
        """Write the fitted forecaster to folder ``path`` (JSON + msgpack; no pickle)."""
        self._check_fitted()
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        meta = {
            "format": _FORMAT, "version": _FORMAT_VERSION, "config": self.config.to_dict(),
            "target": self.target_, "features": self.features_,
            "train_end": self.train_end_.isoformat(), "scaler": self.scaler_.to_dict(),
            "kind": self.kind.name, "n_seeds": self.n_seeds_,
        }
        self.kind.save(self, path)
        (path / "forecaster.json").write_text(json.dumps(meta, indent=2, default=str))
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> Forecaster:
        """Read a forecaster written by :meth:`save`."""
        path = Path(path)
        meta_file = path / "forecaster.json"
        if not meta_file.is_file():
            raise CpjaxInputError(f"{meta_file} not found; fix: pass the folder written by "
                                  "Forecaster.save (or cpjax forecast --out DIR: DIR/model)")
        meta = json.loads(meta_file.read_text())
        if meta.get("format") != _FORMAT or meta.get("version") != _FORMAT_VERSION:
            raise CpjaxInputError(f"{meta_file} is not a cpjax forecaster (format "
                                  f"{meta.get('format')!r} version {meta.get('version')!r})")
        self = cls(config=ForecasterConfig.from_dict(meta["config"], where=str(meta_file)))
        self.target_, self.features_ = meta["target"], meta["features"]
        self.train_end_ = pd.Timestamp(meta["train_end"])
        self._scaler = CategoryScaler.from_dict(meta["scaler"])
        self.n_seeds_ = meta["n_seeds"]
        self.kind.load(self, path)
        self.history_ = None
        self.fitted_ = True
        return self


def legacy_residual_params(config: ForecasterConfig) -> ForecasterConfig:
    """``config`` as earlier versions meant it, before residual mode was a wrapper
    (``cpjax.nn.residual``): a ``"residual"`` model hyperparameter becomes the ``residual``
    setting (a ``residual`` setting that is not ``None`` wins, as it did), and a
    ``"target_index"`` that the model no longer has (networks read it only in residual mode) is
    dropped when it is 0, the Forecaster's target feature.  Models whose config still has those
    fields keep them."""
    params = dict(config.model_params)
    if "residual" not in params and "target_index" not in params:
        return config
    fields = {f.name for f in dataclasses.fields(get_model(config.model).config_cls)}
    flag = config.residual
    if "residual" in params and "residual" not in fields:
        old = params.pop("residual")
        flag = bool(old) if flag is None else flag
    if "target_index" in params and "target_index" not in fields:
        if params["target_index"] != 0:
            raise CpjaxInputError(f"model_params target_index={params['target_index']!r}: "
                                  f"{config.model!r} has no target_index setting (the "
                                  "Forecaster puts the target at feature 0); fix: remove it")
        del params["target_index"]
    return dataclasses.replace(config, residual=flag, model_params=params)


def _future_dates(dates: pd.DatetimeIndex, n: int) -> pd.DatetimeIndex:
    """The ``n`` dates after ``dates[-1]``: business days for daily trading data, month starts or
    ends for monthly data, otherwise steps of the median spacing."""
    step = pd.Series(dates[-60:]).diff().median()
    last = dates[-1]
    if step <= pd.Timedelta(3, unit="D") and (dates[-60:].day_of_week < 5).all():
        freq = "B"
    elif pd.Timedelta(27, unit="D") <= step <= pd.Timedelta(32, unit="D"):
        freq = "MS" if (dates[-12:].day == 1).all() else "ME"
    else:
        return pd.DatetimeIndex([last + step * k for k in range(1, n + 1)])
    return pd.date_range(last, periods=n + 1, freq=freq)[1:]


def _dates_at(dates: pd.DatetimeIndex, rows: np.ndarray) -> np.ndarray:
    """Dates of ``rows``; rows past the end get NaT."""
    out = np.full(rows.shape, np.datetime64("NaT", "ns"), dtype="datetime64[ns]")
    ok = rows < len(dates)
    out[ok] = dates.values[rows[ok]]
    return out


def _values_at(values: np.ndarray, rows: np.ndarray) -> np.ndarray:
    out = np.full(rows.shape, np.nan)
    ok = rows < len(values)
    out[ok] = values[rows[ok]]
    return out


def _problem(X: np.ndarray, Y: np.ndarray, val_fraction: float, seed: int) -> Problem:
    """Chronological windows -> a training problem whose latest ``val_fraction`` of windows are
    its validation set (at least one training window is kept)."""
    n_val = min(int(round(val_fraction * len(X))), len(X) - 1)
    k = len(X) - n_val
    return Problem(X[:k], Y[:k], X[k:], Y[k:], seed=seed, label=f"seed {seed}")
