"""Forecasts at many origins from one Kalman filter pass of a fitted statsmodels state-space model.

The statistical peers (ARIMA, exponential smoothing) keep the parameters fitted on the training
period and, at each forecast origin ``o``, condition on the observed history ``y[0..o]`` only.
Filtering ``y[: top + 1]`` once with the fixed parameters gives, for every row ``t``, the
predicted state ``a_t = E[alpha_t | y_<t]`` and its covariance ``P_t``; the forecasts from origin
``o`` follow from ``a_{o+1}``, ``P_{o+1}`` with the model's own matrices (Durbin & Koopman 2012,
§4.3 / §4.11):

    E[y_{o+k}]   = d + Z a_{o+k},        a_{o+k+1} = c + T a_{o+k}
    Var[y_{o+k}] = Z P_{o+k} Z' + H,     P_{o+k+1} = T P_{o+k} T' + R Q R'

The model must not concentrate its scale out of the likelihood (``concentrate_scale=False``): a
concentrated scale is re-estimated from whatever history is filtered, which would let rows after
an origin change that origin's interval width.  These are exactly the forecasts and forecast variances that statsmodels' ``get_forecast`` returns after
re-filtering ``y[: o + 1]`` (checked in ``tests/nn/test_peers.py``); one pass costs O(T) instead
of O(T) per origin.
"""

from __future__ import annotations

import numpy as np

from .._errors import CpjaxInputError

__all__ = ["statespace_forecasts"]


def _time_invariant(a: np.ndarray, name: str, nd: int) -> np.ndarray:
    """The matrix of a time-invariant system (a last time axis must be constant)."""
    a = np.asarray(a, dtype=np.float64)
    if a.ndim == nd + 1:
        if a.shape[-1] > 1 and np.ptp(a, axis=-1).max() > 0:
            raise ValueError(f"state-space {name} varies over time; fixed-origin forecasts need "
                             "a time-invariant system")
        a = a[..., -1]
    return a


def statespace_forecasts(results, origin: np.ndarray, horizon: int
                         ) -> tuple[np.ndarray, np.ndarray]:
    """``(mean, variance)``, each ``(N, horizon)``, of ``y_{o+1..o+horizon}`` given ``y_{<=o}``.

    Arguments:
        results: statsmodels ``MLEResults`` of a univariate model filtered over ``y[: top + 1]``
            with ``top >= max(origin)`` (e.g. ``ARIMA(y).filter(params)``).
        origin: ``(N,)`` row index of each origin's last observation.
        horizon: steps ahead.
    """
    fr = results.filter_results
    ssm = results.model.ssm
    if getattr(results.model, "concentrate_scale", False):
        raise ValueError("statespace_forecasts needs a model with concentrate_scale=False")
    origin = np.asarray(origin, dtype=int)
    burn = int(getattr(fr, "nobs_diffuse", 0) or 0)
    if origin.min() + 1 < burn:
        raise CpjaxInputError(f"an origin at row {int(origin.min())} lies inside the model's "
                              f"first {burn} rows (differencing / diffuse start); fix: forecast "
                              "from later origins or use a model with less differencing")
    Z = _time_invariant(ssm["design"], "design", 2)[0]
    d = float(_time_invariant(ssm["obs_intercept"], "obs_intercept", 1)[0])
    Hc = float(_time_invariant(ssm["obs_cov"], "obs_cov", 2)[0, 0])
    T = _time_invariant(ssm["transition"], "transition", 2)
    c = _time_invariant(ssm["state_intercept"], "state_intercept", 1)
    R = _time_invariant(ssm["selection"], "selection", 2)
    Q = _time_invariant(ssm["state_cov"], "state_cov", 2)
    RQR = R @ Q @ R.T
    a = np.asarray(fr.predicted_state)[:, origin + 1].T  # (N, k)
    P = np.moveaxis(np.asarray(fr.predicted_state_cov)[:, :, origin + 1], 2, 0)  # (N, k, k)
    mean = np.empty((origin.size, horizon))
    var = np.empty((origin.size, horizon))
    for h in range(horizon):
        mean[:, h] = a @ Z + d
        var[:, h] = np.einsum("i,nij,j->n", Z, P, Z) + Hc
        a = a @ T.T + c
        P = T @ P @ T.T + RQR
    return mean, np.maximum(var, 0.0)
