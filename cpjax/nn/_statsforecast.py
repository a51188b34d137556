"""statsforecast's models as registry estimators: the statistical peers of every table.

The five peers of issue 16 (``persistence``, ``seasonal_naive``, ``autoets``, ``autotheta``,
``autoarima``) are statsforecast's ``Naive``, ``SeasonalNaive``, ``AutoETS``, ``AutoTheta`` and
``AutoARIMA``; this module adapts them to the estimator protocol of :mod:`cpjax.nn._registry`.
statsforecast is imported inside the functions that use it (its import takes seconds), so
``import cpjax`` and the CLI stay light.

* **Fit** on the training rows ``series[start : max(origin) + H + 1]`` (``start`` > 0 only with
  ``max_train``): statsforecast's ``fit`` chooses the model and estimates its parameters.
* **Forecast at each origin** ``o`` with statsforecast's ``forward(y=series[start : o + 1], h=H)``:
  the fitted model (its specification and parameters fixed) applied to the history up to the
  origin.  Nothing after an origin is read, for point forecasts and interval widths alike
  (AutoETS, AutoTheta and the naive models re-estimate the residual scale from the history they
  are given; AutoARIMA keeps its training variance).  The naive models have no parameters: their
  ``forward`` is their ``forecast`` on that history.
* **Quantiles** are statsforecast's own prediction intervals: the quantile ``q`` is the lower end
  of the central interval at level ``100 |1 - 2q|`` when ``q < 1/2`` and its upper end when
  ``q > 1/2``; ``q = 1/2`` is the level-0 interval (the mean for the Gaussian intervals of
  Naive, SeasonalNaive, AutoETS and AutoARIMA; the median of AutoTheta's simulated paths).  All
  levels of one call come from one ``forward``, so they nest; a final monotone rearrangement
  along ``q`` (Chernozhukov, Fernández-Val & Galichon 2010) guarantees non-crossing quantiles
  even where statsforecast's sampled intervals tie.
* **Saving without pickle**: ``state_dict`` keeps the fields of statsforecast's fitted
  ``model_`` dictionary that ``forward`` reads (``_SAVED_FIELDS`` of each subclass), as JSON with
  arrays tagged by dtype; ``load`` puts them back on a fresh statsforecast model.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .._errors import CpjaxInputError
from ._gaussian import check_quantiles

__all__ = ["StatsForecastEstimator", "levels_for_quantiles", "encode_state", "decode_state"]


def levels_for_quantiles(quantiles: Sequence[float]) -> tuple[np.ndarray, list[tuple[str, float]]]:
    """statsforecast interval levels that give ``quantiles``.

    Returns the checked quantile levels and, for each, the pair ``(side, level)``: ``("lo", L)``
    for ``q < 0.5`` and ``("hi", L)`` otherwise, with ``L = 100 |1 - 2q|`` in percent (0 for the
    median).  ``sorted({L})`` is what ``forward(level=...)`` needs.
    """
    q = check_quantiles(quantiles)
    keys = [("lo" if v < 0.5 else "hi", round(abs(100.0 * (1.0 - 2.0 * float(v))), 8)) for v in q]
    return q, keys


def _rearranged(out: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Quantiles made non-decreasing in ``q`` (``out[..., j]`` belongs to ``q[j]``)."""
    order = np.argsort(q, kind="stable")
    mono = np.maximum.accumulate(out[..., order], axis=-1)
    res = np.empty_like(mono)
    res[..., order] = mono
    return res


# --- JSON codec for statsforecast's fitted-model dictionaries ------------------------------------

def encode_state(value: Any) -> Any:
    """JSON-ready copy of ``value`` (dicts, tuples, lists, numpy arrays and scalars with their
    dtype, floats with NaN/inf, strings, None); anything else raises, so that a field of a type
    not handled here fails at save time instead of loading as something else."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, np.generic) and value.dtype.kind in "biuf":
        # numpy scalars keep their type: NumPy's promotion rules treat np.float64 and float
        # differently next to float32 arrays (statsforecast's Theta simulates in float32)
        return {"__scalar__": _nan_to_none(value.item()), "dtype": value.dtype.str}
    if isinstance(value, float):
        return value if math.isfinite(value) else {"__float__": repr(value)}
    if isinstance(value, np.ndarray):
        data = value.tolist()
        if value.dtype.kind == "f":
            data = _nan_to_none(data)
        return {"__ndarray__": data, "dtype": value.dtype.str, "shape": list(value.shape)}
    if isinstance(value, tuple):
        return {"__tuple__": [encode_state(v) for v in value]}
    if isinstance(value, list):
        return [encode_state(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): encode_state(v) for k, v in value.items()}
    raise TypeError(f"cannot save a {type(value).__name__} of a statsforecast model as JSON")


def _nan_to_none(data):
    """NaN -> None and +-inf -> "inf"/"-inf" in nested lists (strict JSON has neither)."""
    if isinstance(data, list):
        return [_nan_to_none(v) for v in data]
    if isinstance(data, float) and not math.isfinite(data):
        return None if math.isnan(data) else repr(data)
    return data


def decode_state(value: Any) -> Any:
    """Inverse of :func:`encode_state`."""
    if isinstance(value, list):
        return [decode_state(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "__ndarray__" in value:
        dtype = np.dtype(value["dtype"])
        data = value["__ndarray__"]
        arr = np.array(data, dtype=np.float64 if dtype.kind == "f" else dtype)  # None -> NaN
        return arr.astype(dtype, copy=False).reshape(value["shape"])
    if "__tuple__" in value:
        return tuple(decode_state(v) for v in value["__tuple__"])
    if "__scalar__" in value:
        v = value["__scalar__"]
        return np.dtype(value["dtype"]).type(np.nan if v is None else v)
    if "__float__" in value:
        return float(value["__float__"])
    return {k: decode_state(v) for k, v in value.items()}


# --- the adapter ----------------------------------------------------------------------------------

class StatsForecastEstimator:
    """Base class: a subclass names its statsforecast model in ``_statsforecast_model()``
    (built from ``self.config``) and the ``model_`` fields ``forward`` reads in
    ``_SAVED_FIELDS``; ``_NEEDS_FIT = False`` for the parameter-free naive models."""

    _SAVED_FIELDS: tuple[str, ...] = ()
    _RESTORED_DEFAULTS: Mapping[str, Any] = {}  # fields forward copies but never reads
    _NEEDS_FIT = True

    def __init__(self, config: Any, horizon: int):
        self.config, self.horizon = config, int(horizon)
        self.model: Any = None  # the statsforecast model (fitted when _NEEDS_FIT)
        self.start = 0  # first row of the history the model was fitted on

    # subclasses ---------------------------------------------------------------------------------
    def _statsforecast_model(self) -> Any:
        raise NotImplementedError

    def _min_history(self) -> int:
        """Fewest observations a forecast origin needs (from ``start``)."""
        return 1

    # helpers ------------------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return type(self).__name__

    def _history(self, series, upto: int) -> np.ndarray:
        x = np.asarray(series, dtype=np.float64).reshape(-1)[:upto]
        if not np.all(np.isfinite(x)):
            raise CpjaxInputError("the series has NaN or infinite values; fix: impute them first")
        return x

    def _checked_origin(self, origin) -> np.ndarray:
        origin = np.asarray(origin, dtype=int).reshape(-1)
        if origin.size == 0:
            raise CpjaxInputError("no forecast origins given; fix: pass at least one window")
        need = self.start + self._min_history() - 1
        if origin.min() < need:
            raise CpjaxInputError(
                f"{self.name} needs {self._min_history()} observations from row {self.start} "
                f"up to a forecast origin (an origin is at row {int(origin.min())}); fix: "
                "forecast from later origins" + (", or max_train=0" if self.start else ""))
        return origin

    # the estimator protocol ---------------------------------------------------------------------
    def fit(self, X, y, origin, series) -> StatsForecastEstimator:
        end = int(np.max(origin)) + self.horizon + 1
        x = self._history(series, end)
        max_train = int(getattr(self.config, "max_train", 0) or 0)
        self.start = max(0, x.size - max_train) if max_train > 0 else 0
        x = x[self.start:]
        if x.size < self._min_history():
            raise CpjaxInputError(f"{self.name} needs at least {self._min_history()} training "
                                  f"rows, got {x.size}; fix: use a longer training part")
        model = self._statsforecast_model()
        if self._NEEDS_FIT:
            try:
                with np.errstate(all="ignore"):  # overflow in candidate models that are rejected
                    model.fit(x)
            except Exception as exc:
                # statsforecast reports a failed fit as ValueError or a plain Exception ("no model
                # able to be fitted"); anything else is a bug and propagates as it is
                if type(exc) is not Exception and not isinstance(
                        exc, (ValueError, np.linalg.LinAlgError)):
                    raise
                raise CpjaxInputError(f"statsforecast could not fit {self.name} to {x.size} "
                                      f"training rows ({exc}); fix: use a longer training part "
                                      "or other settings") from None
        self.model = model
        return self

    def _forward(self, origin: np.ndarray, series, levels: list[float] | None):
        """statsforecast's ``forward`` from every origin: a list of result dictionaries."""
        if self.model is None:
            if self._NEEDS_FIT:
                raise RuntimeError(f"{self.name}.predict called before fit")
            self.model = self._statsforecast_model()
        x = self._history(series, int(origin.max()) + 1)
        out = []
        with np.errstate(all="ignore"):
            for o in origin:
                out.append(self.model.forward(y=x[self.start:o + 1], h=self.horizon,
                                              level=levels))
        return out

    def predict(self, X, origin, series) -> np.ndarray:
        res = self._forward(self._checked_origin(origin), series, None)
        return np.stack([np.asarray(r["mean"], dtype=np.float64) for r in res])

    def predict_quantiles(self, X, origin, series, quantiles: Sequence[float]) -> np.ndarray:
        """``(N, H, Q)``: statsforecast's prediction intervals read as quantiles."""
        q, keys = levels_for_quantiles(quantiles)
        levels = sorted({lv for _, lv in keys})
        res = self._forward(self._checked_origin(origin), series, levels)
        out = np.stack([np.stack([np.asarray(r[f"{side}-{lv}"], dtype=np.float64)
                                  for side, lv in keys], axis=-1) for r in res])
        return _rearranged(out, q)

    def state_dict(self) -> dict[str, Any]:
        if not self._NEEDS_FIT:
            return {"start": self.start}
        if self.model is None:
            raise RuntimeError(f"{self.name}.state_dict called before fit")
        fitted = self.model.model_
        return {"start": self.start,
                "model": encode_state({k: fitted[k] for k in self._SAVED_FIELDS})}

    @classmethod
    def load(cls, config: Any, horizon: int, state: Mapping[str, Any]) -> StatsForecastEstimator:
        m = cls(config, horizon)
        m.start = int(state.get("start", 0))
        m.model = m._statsforecast_model()
        if cls._NEEDS_FIT:
            saved = decode_state(state.get("model"))
            missing = ([k for k in cls._SAVED_FIELDS if k not in saved]
                       if isinstance(saved, dict) else list(cls._SAVED_FIELDS))
            if missing:
                raise CpjaxInputError(f"the saved {cls.__name__} lacks statsforecast's "
                                      f"{missing[0]!r} (saved by an older cpjax?); fix: refit "
                                      "the model")
            m.model.model_ = {**cls._RESTORED_DEFAULTS, **saved}
        return m
