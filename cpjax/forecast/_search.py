"""A hyperparameter search space: what is tried, how trials are drawn, how they are scored.

The space is plain data (a JSON object, strict: unknown keys are errors)::

    {"method": "random", "trials": 16, "seed": 0,
     "params": {"learning_rate": {"loguniform": [1e-4, 1e-2]},
                "hidden": [32, 64],
                "dropout": {"uniform": [0.0, 0.3]}},
     "validation": {"windows": 4, "step": "month", "metric": "mae"}}

A parameter is a list of values (grid points, or choices for a random search) or one
distribution: ``{"uniform": [lo, hi]}``, ``{"loguniform": [lo, hi]}`` or ``{"int": [lo, hi]}``
(both ends included).  ``method="grid"`` tries the product of the lists (distributions are not
allowed there).  Names are flat settings, placed by
:meth:`~cpjax.forecast.ForecasterConfig.with_settings`: data and training settings
(``lookback``, ``epochs``, ``l2``, ...), fields of the model's config (``hidden``, ``dropout``,
...) or optimizer settings (``learning_rate``, ``weight_decay``, ``gamma``, ...).
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from .._errors import CpjaxInputError

__all__ = ["SearchSpace"]

_TOP = ("method", "trials", "seed", "params", "validation")
_VALIDATION = ("windows", "step", "metric")
_DISTS = ("uniform", "loguniform", "int")
METRICS = ("mae", "rmse")


@dataclasses.dataclass(frozen=True)
class SearchSpace:
    """What a search tries (see the module notes for the JSON form).

    Attributes:
        params: ``name -> list of values`` or ``name -> {"uniform"|"loguniform"|"int": [lo, hi]}``.
        method: ``"grid"`` (every combination of the lists) or ``"random"``.
        trials: number of random trials (ignored by a grid).
        seed: seed of the random draws.
        windows: rolling origins of the validation inside the training part.
        step: ``"month"`` (one calendar month per origin) or a number of rows per origin.
        metric: ``"mae"`` or ``"rmse"`` over every validation forecast, pooled.
    """

    params: Mapping[str, Any]
    method: str = "random"
    trials: int = 16
    seed: int = 0
    windows: int = 4
    step: str | int = "month"
    metric: str = "mae"

    def __post_init__(self) -> None:
        where = "search space"
        if self.method not in ("grid", "random"):
            raise CpjaxInputError(f"{where}: method must be 'grid' or 'random', got "
                                  f"{self.method!r}")
        for name in ("trials", "windows"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise CpjaxInputError(f"{where}: {name} must be a positive integer, got {v!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise CpjaxInputError(f"{where}: seed must be an integer >= 0, got {self.seed!r}")
        if not (self.step == "month" or (isinstance(self.step, int)
                                         and not isinstance(self.step, bool) and self.step > 0)):
            raise CpjaxInputError(f"{where}: step must be 'month' or a positive number of rows, "
                                  f"got {self.step!r}")
        if self.metric not in METRICS:
            raise CpjaxInputError(f"{where}: metric must be one of {', '.join(METRICS)}, got "
                                  f"{self.metric!r}")
        if not isinstance(self.params, Mapping) or not self.params:
            raise CpjaxInputError(f"{where}: params must name at least one setting, e.g. "
                                  '{"learning_rate": [0.001, 0.003]}')
        for name, spec in self.params.items():
            _check_param(str(name), spec, self.method)

    # ------------------------------------------------------------------ reading
    @classmethod
    def from_dict(cls, d: Mapping[str, Any], where: str = "search space") -> SearchSpace:
        """From the JSON form; unknown keys are errors."""
        from .._errors import unknown_name_message

        if not isinstance(d, Mapping):
            raise CpjaxInputError(f"{where}: expected a JSON object, got {type(d).__name__}")
        for k in d:
            if k not in _TOP:
                raise CpjaxInputError(unknown_name_message("key", str(k), _TOP, where))
        val = d.get("validation", {})
        if not isinstance(val, Mapping):
            raise CpjaxInputError(f"{where}: validation must be an object with "
                                  f"{', '.join(_VALIDATION)}")
        for k in val:
            if k not in _VALIDATION:
                raise CpjaxInputError(unknown_name_message("key", str(k), _VALIDATION,
                                                           f"{where}, validation"))
        if "params" not in d:
            raise CpjaxInputError(f"{where}: 'params' is missing; fix: e.g. "
                                  '"params": {"learning_rate": [0.001, 0.003]}')
        return cls(params=dict(d["params"]), **{k: d[k] for k in ("method", "trials", "seed")
                                                 if k in d},
                   **{k: val[k] for k in _VALIDATION if k in val})

    @classmethod
    def from_json(cls, path: str | os.PathLike) -> SearchSpace:
        """Read a search space file (JSON)."""
        path = Path(path)
        if not path.is_file():
            raise CpjaxInputError(f"search space file {path} not found; fix: write one (see "
                                  "docs/tune.md)")
        try:
            d = json.loads(path.read_text())
        except ValueError as err:
            raise CpjaxInputError(f"{path} is not valid JSON ({err})") from None
        return cls.from_dict(d, where=str(path))

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, "trials": self.trials, "seed": self.seed,
                "params": {k: v for k, v in self.params.items()},
                "validation": {"windows": self.windows, "step": self.step,
                               "metric": self.metric}}

    # ----------------------------------------------------------------- drawing
    def draw(self) -> list[dict[str, Any]]:
        """The trials, in order: the grid's product, or ``trials`` random draws."""
        names = list(self.params)
        if self.method == "grid":
            return [dict(zip(names, combo, strict=True))
                    for combo in itertools.product(*(self.params[n] for n in names))]
        rng = np.random.default_rng(self.seed)
        return [{n: _draw(self.params[n], rng) for n in names} for _ in range(self.trials)]


def _check_param(name: str, spec: Any, method: str) -> None:
    where = f"search space: {name}"
    if isinstance(spec, list | tuple):
        if not spec:
            raise CpjaxInputError(f"{where}: empty list; fix: give at least one value")
        return
    if isinstance(spec, Mapping):
        if method == "grid":
            raise CpjaxInputError(f"{where}: a grid takes lists of values, not distributions; "
                                  'fix: use "method": "random" or list the values')
        if len(spec) != 1 or next(iter(spec)) not in _DISTS:
            raise CpjaxInputError(f"{where}: a distribution is one of "
                                  f"{', '.join(repr(k) for k in _DISTS)} with [low, high], got "
                                  f"{dict(spec)!r}")
        kind, bounds = next(iter(spec.items()))
        ok = (isinstance(bounds, list | tuple) and len(bounds) == 2
              and all(isinstance(b, int | float) and not isinstance(b, bool)
                      and math.isfinite(b) for b in bounds) and bounds[0] <= bounds[1])
        if not ok or (kind == "loguniform" and bounds[0] <= 0):
            raise CpjaxInputError(f"{where}: {kind} needs [low, high] with low <= high"
                                  f"{' and low > 0' if kind == 'loguniform' else ''}, got "
                                  f"{bounds!r}")
        if kind == "int" and not all(float(b).is_integer() for b in bounds):
            raise CpjaxInputError(f"{where}: int needs integer bounds, got {bounds!r}")
        return
    raise CpjaxInputError(f"{where}: expected a list of values or a distribution "
                          f"({', '.join(_DISTS)}), got {spec!r}")


def _draw(spec: Any, rng: np.random.Generator) -> Any:
    if isinstance(spec, list | tuple):
        return spec[int(rng.integers(len(spec)))]
    kind, (lo, hi) = next(iter(spec.items()))
    if kind == "uniform":
        return float(rng.uniform(lo, hi))
    if kind == "loguniform":
        return float(math.exp(rng.uniform(math.log(lo), math.log(hi))))
    return int(rng.integers(int(lo), int(hi) + 1))


def as_search_space(search: SearchSpace | Mapping[str, Any] | str | os.PathLike) -> SearchSpace:
    """A :class:`SearchSpace`, a dict in its JSON form, or the path of a JSON file."""
    if isinstance(search, SearchSpace):
        return search
    if isinstance(search, Mapping):
        return SearchSpace.from_dict(search)
    if isinstance(search, str | os.PathLike):
        return SearchSpace.from_json(search)
    raise CpjaxInputError(f"search must be a SearchSpace, a dict or a JSON file path, got "
                          f"{type(search).__name__}")

