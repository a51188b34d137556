"""Event metrics for price spikes (seed 003): daily rises above a threshold and prices above a level."""

from __future__ import annotations

import numpy as np

from cpjax._errors import CpjaxInputError

from ._metrics import _aligned, _pair
from ._types import Vector

__all__ = ["hit_rate_above", "spike_scores"]


def _ratio(num: int, den: int) -> float:
    return float(num / den) if den > 0 else float("nan")


def spike_scores(
    y_true: Vector, y_pred: Vector, last: Vector, threshold: float = 0.05
) -> dict[str, float]:
    """Precision, recall and F1 for detecting daily rises larger than ``threshold``.

    A day is an actual spike when ``(y - last) / last > threshold`` and a predicted spike when
    ``(yhat - last) / last > threshold``, where ``last`` is the last observed value before the
    forecast (seed 003: "daily price surges exceeding 5%", ``threshold=0.05``).

    Arguments:
        y_true, y_pred, last: one value per forecast day; ``last`` must be positive (prices).
        threshold: relative rise, as a fraction (0.05 = 5 %).

    Returns:
        ``{"precision", "recall", "f1", "n_spikes", "n_predicted"}``.  Precision is ``nan`` when
        no spike is predicted, recall is ``nan`` when there is no actual spike, F1 is ``nan`` when
        either is ``nan`` and 0 when both are 0.  ``n_spikes`` / ``n_predicted`` are counts.

    Example:
        >>> spike_scores([106, 100], [107, 100], last=[100, 100])["recall"]
        1.0
    """
    yt, yp = _pair(y_true, y_pred)
    lt = _aligned(last, yt.size, "last")
    if np.any(lt <= 0):
        raise CpjaxInputError(
            "spike_scores: `last` has non-positive values, so relative rises are undefined; "
            "fix: pass prices (positive), not returns or scaled values"
        )
    actual = (yt - lt) / lt > threshold
    predicted = (yp - lt) / lt > threshold
    tp = int(np.sum(actual & predicted))
    precision = _ratio(tp, int(predicted.sum()))
    recall = _ratio(tp, int(actual.sum()))
    if np.isnan(precision) or np.isnan(recall):
        f1 = float("nan")
    elif precision + recall == 0.0:
        f1 = 0.0
    else:
        f1 = 2.0 * precision * recall / (precision + recall)
    return {
        "precision": precision,
        "recall": recall,
        "f1": float(f1),
        "n_spikes": int(actual.sum()),
        "n_predicted": int(predicted.sum()),
    }


def hit_rate_above(y_true: Vector, y_pred: Vector, level: float = 80.0) -> float:
    """Share of days with ``y > level`` on which the forecast is also above ``level``.

    This is the recall of the event "price above ``level``" (seed 003 reports 89 % for spikes
    above 80 CNY/t).  Returns ``nan`` when the actual price never exceeds ``level``.
    """
    yt, yp = _pair(y_true, y_pred)
    above = yt > level
    return _ratio(int(np.sum(above & (yp > level))), int(above.sum()))
