"""How a :class:`~cpjax.forecast.Forecaster` reads its table: windows, split checks, cleaning and
scaling (the ``data`` section of :class:`~cpjax.forecast.ForecasterConfig`)."""

from __future__ import annotations

import dataclasses

from .._errors import CpjaxInputError

__all__ = ["DataConfig"]

OUTLIERS = (None, "iqr", "ksigma")


@dataclasses.dataclass(frozen=True)
class DataConfig:
    """Windows, validation share, gap filling, outliers and scaling of the input table.

    Attributes:
        lookback: L, rows per input window.
        horizon: H, steps predicted from each window.
        val_fraction: share of the training windows (the latest ones) held out for early
            stopping; 0 trains on all and keeps the last epoch.
        scaling: per-column scaling category overrides (``zscore``/``minmax``/``growth``); the
            target is min-max scaled unless overridden.
        max_linear_gap: gaps up to this many rows are interpolated linearly, longer by ARIMA.
        outliers: ``None`` (off), ``"iqr"`` or ``"ksigma"`` (replaced by the median).
        min_test: fewest test rows accepted.
    """

    lookback: int = 10
    horizon: int = 1
    val_fraction: float = 0.15
    scaling: dict[str, str] = dataclasses.field(default_factory=dict)
    max_linear_gap: int = 3
    outliers: str | None = None
    min_test: int = 5

    def __post_init__(self):
        for name in ("lookback", "horizon"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
                raise CpjaxInputError(f"{name} must be a positive integer, got {v!r}; "
                                      f"fix: pass {name}=1 or more")
        if not 0 <= self.val_fraction < 1:
            raise CpjaxInputError(f"val_fraction must be in [0, 1), got {self.val_fraction}")
        if self.outliers not in OUTLIERS:
            raise CpjaxInputError(f"outliers must be None, 'iqr' or 'ksigma', got {self.outliers!r}")
