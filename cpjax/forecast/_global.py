"""Global (cross-series) forecasting: one network trained on every series of a panel at once.

:class:`GlobalForecaster` reads a long table (``unique_id, ds, y`` + covariates, as
neuralforecast reads it), scales each series on its own training rows, packs windows with
historical, future-known (calendar features by default) and static channels plus the series
index (:mod:`cpjax.forecast._panel`), and trains :class:`cpjax.nn.GlobalMLP` through
:func:`cpjax.train.fit_problems` with a point, multi-quantile pinball or Student-t likelihood
loss and direct heads for ``h = 1..H``.  ``mode="local"`` trains the same network once per
series instead (one problem per series, the same compiled program).  Several forecasters (rolling
origins, settings) fit together with :func:`fit_global`.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
from scipy import stats

from .._errors import CpjaxInputError
from ..data import CategoryScaler
from ..evaluate import conformal_quantile, interval_column_names, quantile_column
from ..nn import GlobalMLP, GlobalMLPConfig, split_output
from ..optim import optimizer_config
from ..train import (
    Problem,
    TrainConfig,
    fit_problems,
    load_pytree,
    pinball_loss_name,
    predict_network,
    save_pytree,
)
from ._batch import take
from ._forecaster import _future_dates
from ._panel import PanelLayout, build_layout, build_series, future_rows, packed_windows, read_panel

__all__ = ["GlobalConfig", "GlobalForecaster", "fit_global"]

_FORMAT = "cpjax.GlobalForecaster"
DEFAULT_QUANTILES = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


@dataclasses.dataclass(frozen=True)
class GlobalConfig:
    """Settings of a :class:`GlobalForecaster`.

    Attributes:
        name: the model's column name in forecast tables.
        mode: ``"global"`` (one network for all series) or ``"local"`` (one per series).
        lookback, horizon: history rows per window and direct forecast steps ``1..H``.
        head: ``"point"`` (MSE), ``"quantile"`` (multi-quantile pinball) or ``"student_t"``
            (negative log-likelihood).
        quantiles: levels of the quantile head (ascending).
        hidden_size, num_layers, futr_dim: network size (:class:`cpjax.nn.GlobalMLPConfig`).
        embed_dim: learned series embedding width (0: off; always off in local mode).
        calendar: calendar features of each series' market as future-known inputs.
        epochs, batch_size, learning_rate, optimizer, patience: training.
        val_fraction: latest share of each series' training windows used for early stopping
            and as conformal calibration windows.
        seeds, seed: independent trainings (their quantiles are averaged) and the first seed.
    """

    name: str = "global_mlp"
    mode: str = "global"
    lookback: int = 30
    horizon: int = 20
    head: str = "quantile"
    quantiles: tuple[float, ...] = DEFAULT_QUANTILES
    hidden_size: int = 64
    num_layers: int = 2
    futr_dim: int = 4
    embed_dim: int = 4
    calendar: bool = True
    epochs: int = 60
    batch_size: int = 128
    learning_rate: float = 1e-3
    optimizer: str = "adam"
    patience: int = 10
    val_fraction: float = 0.15
    seeds: int = 1
    seed: int = 0
    seed_strategy: str = "auto"
    progress: bool | None = False

    def __post_init__(self):
        object.__setattr__(self, "quantiles", tuple(float(q) for q in self.quantiles))
        if self.mode not in ("global", "local"):
            raise CpjaxInputError(f"mode must be 'global' or 'local', got {self.mode!r}")
        if not 0 < self.val_fraction < 1:
            raise CpjaxInputError(f"val_fraction must be in (0, 1), got {self.val_fraction}")
        for n in ("lookback", "horizon", "epochs", "batch_size", "seeds"):
            v = getattr(self, n)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise CpjaxInputError(f"{n} must be a positive integer, got {v!r}")
        self.network_config(1, 0, 0, 1)  # validates head and quantiles

    def network_config(self, n_hist, n_futr, n_static, n_series) -> GlobalMLPConfig:
        return GlobalMLPConfig(
            lookback=self.lookback, n_hist=n_hist, n_futr=n_futr, n_static=n_static,
            n_series=n_series, embed_dim=self.embed_dim if self.mode == "global" else 0,
            hidden_size=self.hidden_size, num_layers=self.num_layers, futr_dim=self.futr_dim,
            head=self.head, quantiles=self.quantiles if self.head == "quantile" else ())

    @property
    def loss(self) -> str:
        return {"point": "mse", "student_t": "student_t"}.get(
            self.head, pinball_loss_name(self.quantiles))

    def to_dict(self) -> dict:
        return {**dataclasses.asdict(self), "quantiles": list(self.quantiles)}


@dataclasses.dataclass
class _Fitted:
    """Windows of one series: all of them, which are training / calibration windows."""

    data: Any
    X: np.ndarray
    Y: np.ndarray
    origin: np.ndarray
    n_fit: int  # training windows used for the weights (the rest of train: validation)
    n_train_windows: int


class GlobalForecaster:
    """One network over every series of a long table (module notes).

    Example:
        >>> from cpjax.data import demo_panel
        >>> gf = GlobalForecaster(lookback=20, horizon=5, epochs=3, calendar=False)
        >>> gf = gf.fit(demo_panel(3), split=0.8)                      # doctest: +SKIP
        >>> gf.predict(quantiles=(0.1, 0.5, 0.9)).columns[-3:].tolist()  # doctest: +SKIP
        ['global_mlp-q10', 'global_mlp-q50', 'global_mlp-q90']
    """

    def __init__(self, config: GlobalConfig | None = None, **kwargs: Any):
        base = dataclasses.asdict(config) if config is not None else {}
        fields = {f.name for f in dataclasses.fields(GlobalConfig)}
        bad = sorted(set(kwargs) - fields)
        if bad:
            from .._errors import unknown_name_message

            raise CpjaxInputError(unknown_name_message("GlobalForecaster setting", bad[0],
                                                       sorted(fields)))
        self.config = GlobalConfig(**{**base, **kwargs})
        self.fitted_ = False

    @property
    def name(self) -> str:
        return self.config.name

    # --------------------------------------------------------------------- fit
    def fit(self, data, static_df: pd.DataFrame | None = None, *,
            hist_exog: Sequence[str] | None = None, futr_exog: Sequence[str] = (),
            split: float | None = None, test_start=None, train_end=None, markets=None,
            date_format: str | None = None) -> GlobalForecaster:
        """Fit on the training part of every series.

        Arguments:
            data: long DataFrame or CSV/Excel path: ``unique_id, ds, y`` + covariates.
            static_df: one row per ``unique_id`` (e.g. market, currency, type).
            hist_exog: historical covariates (default: every other numeric column).
            futr_exog: user covariates known in advance (``futr_df`` at forecast time).
            split: training fraction of each series' rows (default 0.7), or
            test_start: first test date (one date, or a mapping ``unique_id -> date``), or
            train_end: last training date (inclusive; one date or a mapping).
            markets: calendar market (one name or ``unique_id -> name``; default: a static
                ``market`` column, else the ``unique_id``; no calendar when unknown).

        Returns:
            ``self``; ``layout_`` (channels), ``history_`` (losses), ``cutoffs_`` per series.
        """
        fit_global([dict(forecaster=self, data=data, static_df=static_df, hist_exog=hist_exog,
                         futr_exog=futr_exog, split=split, test_start=test_start,
                         train_end=train_end, markets=markets, date_format=date_format)])
        return self

    def _plan(self, data, static_df=None, hist_exog=None, futr_exog=(), split=None,
              test_start=None, train_end=None, markets=None, date_format=None,
              layout: PanelLayout | None = None) -> list[tuple[Any, Problem]]:
        c = self.config
        df = data if isinstance(data, pd.DataFrame) and "unique_id" in data.columns \
            and "ds" in data.columns and pd.api.types.is_datetime64_any_dtype(data["ds"]) \
            else read_panel(data, date_format=date_format)
        df = df.dropna(subset=["y"])
        layout = layout or build_layout(df, static_df, hist_exog=hist_exog, futr_exog=futr_exog,
                                        calendar=c.calendar, markets=markets)
        present = [u for u in layout.series if u in set(df["unique_id"])]
        cut = _cutoffs(df, present, split, test_start, train_end)
        self.layout_, self.cutoffs_, self.series_ = layout, cut, {}
        for uid in present:
            sd = build_series(df, layout, uid, cut[uid])
            X, Y, origin = packed_windows(sd, layout, c.lookback, c.horizon)
            n_tr = int(np.sum(origin + c.horizon <= sd.n_train - 1))
            if n_tr < 2:
                raise CpjaxInputError(
                    f"series {uid!r} has {n_tr} training window(s) before "
                    f"{pd.Timestamp(cut[uid]).date()} with lookback {c.lookback} and horizon "
                    f"{c.horizon}; fix: a later cutoff, a shorter lookback or horizon, or drop it")
            n_val = min(max(int(round(c.val_fraction * n_tr)), 1), n_tr - 1)
            self.series_[uid] = _Fitted(sd, X, Y, origin, n_tr - n_val, n_tr)
        self.module_ = GlobalMLP(c.network_config(layout.n_hist, layout.n_futr,
                                                  len(layout.static_names), len(layout.series)),
                                 c.horizon)
        seeds = range(c.seed, c.seed + c.seeds)
        if c.mode == "global":
            parts = list(self.series_.values())
            fit_x = np.concatenate([f.X[:f.n_fit] for f in parts])
            fit_y = np.concatenate([f.Y[:f.n_fit] for f in parts])
            val_x = np.concatenate([f.X[f.n_fit:f.n_train_windows] for f in parts])
            val_y = np.concatenate([f.Y[f.n_fit:f.n_train_windows] for f in parts])
            return [(("main", s), Problem(fit_x, fit_y, val_x, val_y, seed=s,
                                          label=f"{c.name} seed {s}")) for s in seeds]
        return [((uid, s), Problem(f.X[:f.n_fit], f.Y[:f.n_fit], f.X[f.n_fit:f.n_train_windows],
                                   f.Y[f.n_fit:f.n_train_windows], seed=s,
                                   label=f"{c.name} {uid} seed {s}"))
                for uid, f in self.series_.items() for s in seeds]

    def _training(self):
        c = self.config
        return (optimizer_config(c.optimizer, c.learning_rate),
                TrainConfig(epochs=c.epochs, batch_size=c.batch_size, loss=c.loss,
                            patience=c.patience, seed_strategy=c.seed_strategy,
                            progress=c.progress, label=c.name))

    def _attach(self, results: Mapping[Any, Any]) -> None:
        """``results[key]``: the TrainResult of ``key`` (``"main"`` or a series) over seeds."""
        self.params_ = {k: (r.params, r.batch_stats) for k, r in results.items()}
        self.history_ = {k: r.history for k, r in results.items()}
        self.fitted_ = True

    # ----------------------------------------------------------------- predict
    def _check_fitted(self):
        if not self.fitted_:
            raise CpjaxInputError("this GlobalForecaster is not fitted; fix: call fit(data)")

    def _raw(self, uid: str, X: np.ndarray) -> np.ndarray:
        """``(S, n, H, K)`` network outputs (scaled) for windows ``X`` of series ``uid``."""
        key = "main" if self.config.mode == "global" else uid
        params, stats_ = self.params_[key]
        out = predict_network(self.module_, params, stats_, X)
        return split_output(self.module_.config, out)

    def _distribution(self, raw: np.ndarray, quantiles: Sequence[float]
                      ) -> tuple[np.ndarray, np.ndarray]:
        """Point ``(n, H)`` and quantiles ``(n, H, Q)`` (scaled; averaged over seeds)."""
        c = self.config
        q = np.asarray(quantiles, np.float64)
        if c.head == "point":
            if q.size:
                raise CpjaxInputError(f"{c.name} has a point head and no quantiles of its own; "
                                      "fix: head='quantile' or 'student_t', or conformal levels")
            return raw[..., 0].mean(0), np.zeros(raw.shape[1:3] + (0,))
        if c.head == "student_t":
            loc, scale, df = raw[..., 0], raw[..., 1], raw[..., 2]
            qs = loc[..., None] + scale[..., None] * stats.t.ppf(q, df[..., None])
            return loc.mean(0), qs.mean(0)
        levels = np.asarray(c.quantiles)
        outside = q[(q < levels[0] - 1e-9) | (q > levels[-1] + 1e-9)]
        if outside.size:
            raise CpjaxInputError(f"quantile {outside[0]:g} is outside the trained levels "
                                  f"{levels[0]:g}..{levels[-1]:g}; fix: train with wider "
                                  "quantiles= or ask for levels inside that range")
        interp = lambda lv: np.apply_along_axis(  # noqa: E731
            lambda v: np.interp(lv, levels, v), -1, raw)
        med = interp(np.array([0.5]))[..., 0] if levels[0] <= 0.5 <= levels[-1] \
            else raw.mean(-1)
        return med.mean(0), (interp(q).mean(0) if q.size else np.zeros(raw.shape[1:3] + (0,)))

    def predict(self, *, quantiles: Sequence[float] = (), levels: Sequence[float] = (),
                which: str = "test", start=None, end=None) -> pd.DataFrame:
        """Forecasts from the origins of the fitted data, in original units.

        Arguments:
            quantiles: levels written as ``<name>-q<100 q>`` (non-crossing).
            levels: conformal interval levels in percent: ``<name>-lo-L``/``-hi-L`` per series
                and step from the calibration windows (the latest ``val_fraction`` of training
                windows, never fitted by the weights).
            which: ``"test"`` (origins after each series' training end), ``"all"``.
            start, end: keep origins (``cutoff`` dates) in ``[start, end]``.

        Returns:
            ``unique_id, ds, cutoff, h, y, <name>`` (+ quantile and interval columns), one row
            per origin and step; only origins whose ``H`` targets are in the data.
        """
        self._check_fitted()
        frames = []
        for uid, f in self.series_.items():
            d = f.data.dates
            keep = np.ones(len(f.origin), bool)
            if which == "test":
                keep &= f.origin >= f.data.n_train - 1
            elif which != "all":
                raise CpjaxInputError(f"which must be 'test' or 'all', got {which!r}")
            if start is not None:
                keep &= d[f.origin] >= pd.Timestamp(start)
            if end is not None:
                keep &= d[f.origin] <= pd.Timestamp(end)
            idx = np.flatnonzero(keep)
            if idx.size == 0:
                continue
            frames.append(self._frame(uid, f, idx, quantiles, levels))
        if not frames:
            raise CpjaxInputError("no forecast origins in the requested range; fix: check "
                                  "which=, start= and end= against the data's dates")
        return pd.concat(frames, ignore_index=True)

    def _inv(self, sd, v: np.ndarray) -> np.ndarray:
        return sd.scaler.inverse_transform(v, "y")

    def _frame(self, uid, f: _Fitted, idx, quantiles, levels) -> pd.DataFrame:
        c, H = self.config, self.config.horizon
        sd = f.data
        point, qs = self._distribution(self._raw(uid, f.X[idx]), quantiles)
        rows = f.origin[idx][:, None] + np.arange(1, H + 1)
        out = pd.DataFrame({"unique_id": uid, "ds": sd.dates.values[rows.reshape(-1)],
                            "cutoff": np.repeat(sd.dates.values[f.origin[idx]], H),
                            "h": np.tile(np.arange(1, H + 1), idx.size),
                            "y": sd.y[rows.reshape(-1)],
                            c.name: self._inv(sd, point.reshape(-1))})
        for j, q in enumerate(quantiles):
            out[quantile_column(c.name, q)] = self._inv(sd, qs[..., j].reshape(-1))
        if levels:
            half = self.conformal_halfwidths(uid, levels)
            for lv in levels:
                lo, hi = interval_column_names(c.name, lv)
                w = np.tile(half[float(lv)], idx.size)
                out[lo], out[hi] = out[c.name] - w, out[c.name] + w
        return out

    def conformal_halfwidths(self, uid: str, levels: Sequence[float]) -> dict[float, np.ndarray]:
        """Per step ``h`` the conformal half-width (original units) of series ``uid``: the
        finite-sample quantile of the absolute errors of the point forecast over the
        calibration windows (several origins before the training end)."""
        f = self.series_[uid]
        cal = np.arange(f.n_fit, f.n_train_windows)
        point, _ = self._distribution(self._raw(uid, f.X[cal]), ())
        rows = f.origin[cal][:, None] + np.arange(1, self.config.horizon + 1)
        err = np.abs(f.data.y[rows] - self._inv(f.data, point))
        return {float(lv): np.array([conformal_quantile(err[:, h], float(lv))
                                     for h in range(err.shape[1])]) for lv in levels}

    def forecast(self, futr_df: pd.DataFrame | None = None, *,
                 quantiles: Sequence[float] = ()) -> pd.DataFrame:
        """The next ``H`` values after each series' last date (future-known covariates from
        ``futr_df``, calendar features from the forecast dates)."""
        self._check_fitted()
        c = self.config
        frames = []
        for uid, f in self.series_.items():
            sd = f.data
            dates = _future_dates(sd.dates, c.horizon)
            fut = future_rows(sd, self.layout_, dates, futr_df)
            X, _, _ = packed_windows(sd, self.layout_, c.lookback, c.horizon, future=fut)
            point, qs = self._distribution(self._raw(uid, X), quantiles)
            out = pd.DataFrame({"unique_id": uid, "ds": dates, "cutoff": sd.dates[-1],
                                "h": np.arange(1, c.horizon + 1),
                                c.name: self._inv(sd, point[0])})
            for j, q in enumerate(quantiles):
                out[quantile_column(c.name, q)] = self._inv(sd, qs[0, :, j])
            frames.append(out)
        return pd.concat(frames, ignore_index=True)

    # ------------------------------------------------------------- save / load
    def save(self, path: str | os.PathLike) -> Path:
        """Write settings, layout, scalers and parameters to folder ``path`` (no pickle)."""
        self._check_fitted()
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        meta = {"format": _FORMAT, "version": 1, "config": self.config.to_dict(),
                "layout": self.layout_.to_dict(),
                "cutoffs": {k: str(pd.Timestamp(v).date()) for k, v in self.cutoffs_.items()},
                "scalers": {k: f.data.scaler.to_dict() for k, f in self.series_.items()}}
        save_pytree(path / "params.msgpack",
                    {str(k): {"params": p, "batch_stats": s}
                     for k, (p, s) in self.params_.items()})
        (path / "global_forecaster.json").write_text(json.dumps(meta, indent=2))
        return path

    @classmethod
    def load(cls, path: str | os.PathLike, data, *, date_format: str | None = None
             ) -> GlobalForecaster:
        """Read a forecaster written by :meth:`save` and attach ``data`` (the long table, for
        the history of each series; scaled with the saved scalers)."""
        path = Path(path)
        meta_file = path / "global_forecaster.json"
        if not meta_file.is_file():
            raise CpjaxInputError(f"{meta_file} not found; fix: pass a folder written by "
                                  "GlobalForecaster.save")
        meta = json.loads(meta_file.read_text())
        if meta.get("format") != _FORMAT:
            raise CpjaxInputError(f"{meta_file} is not a cpjax GlobalForecaster")
        cfg = meta["config"]
        self = cls(GlobalConfig(**{**cfg, "quantiles": tuple(cfg["quantiles"])}))
        c = self.config
        self.layout_ = PanelLayout.from_dict(meta["layout"])
        self.cutoffs_ = {k: pd.Timestamp(v) for k, v in meta["cutoffs"].items()}
        df = read_panel(data, date_format=date_format)
        self.series_ = {}
        for uid in self.layout_.series:
            sd = build_series(df, self.layout_, uid, self.cutoffs_[uid],
                              scaler=CategoryScaler.from_dict(meta["scalers"][uid]))
            X, Y, origin = packed_windows(sd, self.layout_, c.lookback, c.horizon)
            n_tr = int(np.sum(origin + c.horizon <= sd.n_train - 1))
            n_val = min(max(int(round(c.val_fraction * n_tr)), 1), n_tr - 1)
            self.series_[uid] = _Fitted(sd, X, Y, origin, n_tr - n_val, n_tr)
        self.module_ = GlobalMLP(c.network_config(
            self.layout_.n_hist, self.layout_.n_futr, len(self.layout_.static_names),
            len(self.layout_.series)), c.horizon)
        state = load_pytree(path / "params.msgpack")
        to_jnp = lambda t: jax.tree_util.tree_map(jnp.asarray, t)  # noqa: E731
        self.params_ = {k: (to_jnp(v["params"]), to_jnp(v.get("batch_stats") or {}))
                        for k, v in state.items()}
        self.history_, self.fitted_ = None, True
        return self


def _cutoffs(df: pd.DataFrame, series, split, test_start, train_end) -> dict[str, pd.Timestamp]:
    """Last training date of each series."""
    given = sum(v is not None for v in (split, test_start, train_end))
    if given > 1:
        raise CpjaxInputError("give one of split, test_start and train_end")
    out = {}
    for uid in series:
        d = pd.DatetimeIndex(df.loc[df["unique_id"] == uid, "ds"]).sort_values()
        if train_end is not None or test_start is not None:
            v = train_end if train_end is not None else test_start
            v = v.get(uid) if isinstance(v, Mapping) else v
            if v is None:
                raise CpjaxInputError(f"no training end given for series {uid!r}; fix: add it")
            ts = pd.Timestamp(v)
            k = np.searchsorted(d.values, ts.to_datetime64(),
                                side="right" if train_end is not None else "left")
            if k < 1:
                raise CpjaxInputError(f"series {uid!r} has no rows before {ts.date()} (it starts "
                                      f"{d[0].date()}); fix: a later date or drop the series")
            out[uid] = d[k - 1]
        else:
            s = 0.7 if split is None else float(split)
            if not 0 < s < 1:
                raise CpjaxInputError(f"split must be a fraction in (0, 1), got {split}")
            out[uid] = d[max(int(np.floor(len(d) * s)) - 1, 0)]
    return out


def fit_global(jobs: Sequence[Mapping[str, Any]]) -> list[GlobalForecaster]:
    """Fit several global forecasters (rolling origins, settings): problems of the same network
    structure and training settings train in one :func:`cpjax.train.fit_problems` call (one
    compiled program per padded shape).

    Arguments:
        jobs: dicts with ``forecaster`` and the keywords of :meth:`GlobalForecaster.fit`
            (optionally ``layout``, to share one channel layout).
    """
    groups: dict[Any, list[tuple[int, Any, Problem]]] = {}
    for j, job in enumerate(jobs):
        job = dict(job)
        f = job.pop("forecaster")
        for key, prob in f._plan(**job):
            ocfg, tcfg = f._training()
            groups.setdefault((f.module_, ocfg, tcfg), []).append((j, key, prob))
    results: dict[int, dict[Any, list[tuple[Any, int]]]] = {}
    for (module, ocfg, tcfg), members in groups.items():
        res = fit_problems(module, ocfg, [p for _, _, p in members], tcfg)
        for i, (j, key, _) in enumerate(members):
            results.setdefault(j, {}).setdefault(key[0], []).append((res, i))
    for j, job in enumerate(jobs):
        by_key = {}
        for k, entries in results[j].items():
            res = entries[0][0]
            by_key[k] = take(res, [i for _, i in entries])
        job["forecaster"]._attach(by_key)
    return [job["forecaster"] for job in jobs]
