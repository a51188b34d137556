# ruff: noqa: F722  (jaxtyping shape strings such as "t n" are not Python expressions)
"""The CGE's yearly exogenous drivers and the mapping from trajectories to them (differentiable).

This module is the one home of the trajectories -> drivers mapping and of its economic
parameters (:class:`DriverSpec`: TFP share, labour response, price elasticities, the base carbon
price). Trajectories come from anywhere (a Neural ODE of :mod:`cpjax.node`, a log-linear trend, a
user's own table) as arrays in original units; nothing here trains or imports a model.

Every formula is below and in docs/scenarios.md. Let ``x_s(t)`` be the trajectory of series ``s`` in
original units on any grid (monthly or annual) and, for calendar year ``y``,
``mean_y(x_s)`` its mean over the grid points that fall in ``y``. With base year ``b = first - 1``:

* activity ``A_y = Σ_{s∈activity} mean_y(x_s)`` (electricity generation as the activity proxy),
  energy ``E_y = Σ_{s∈energy} mean_y(x_s)``, emissions proxy ``M_y = Σ_{s∈emission} mean_y(x_s)``
  (a constant emission factor cancels in every ratio used);
* ``g_y = ln A_y - ln A_{y-1}`` and ``e_y = ln E_y - ln E_{y-1}`` (log growth, 1/year);
* ``tfp_growth_y = tfp_share · g_y``;
* ``labour_growth_y = labour_trend + labour_elasticity · g_y``;
* ``aeei_y = g_y - e_y`` (the fall of energy use per unit of activity; > 0 = efficiency gain);
* ``energy_price_index_y = mean_y(p) / mean_b(p)`` for a price series ``p`` when given, else
  ``(E_y / E_b)^price_elasticity`` (demand pressure; 1 in the base year);
* ``carbon_price_y = mean_y(c)`` for a carbon-price series ``c`` (CNY/t) when given, else
  ``carbon_price_base · exp(carbon_price_drift · (y - b)) · (M_y / M_b)^carbon_price_elasticity``.

Growth rates and AEEI are fractions per year (0.02 = 2 %/yr, as log differences). All operations
are smooth (positive levels are floored at 1e-12 before logarithms), so ``jax.grad`` of any scalar
function of the drivers reaches the ODE parameters and initial state.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float, Int

from .._errors import CpjaxInputError

__all__ = ["Drivers", "DriverSpec", "map_to_drivers", "annual_means", "BASE_CARBON_PRICE"]

#: Baseline carbon price of the base year, CNY per tonne CO2: the national ETS average of
#: 2021-2022, rounded (used by :class:`DriverSpec` and :func:`cpjax.cge.trend_drivers`).
BASE_CARBON_PRICE = 58.0


class Drivers(NamedTuple):
    """Yearly exogenous drivers of the CGE (a pytree; every field has shape (n_years,)).

    Attributes:
        years: calendar years (int).
        tfp_growth: growth of total factor productivity, fraction/year.
        labour_growth: growth of labour supply, fraction/year.
        aeei: autonomous energy-efficiency improvement, fraction/year.
        energy_price_index: energy/world price index, 1 in the base year (first year - 1).
        carbon_price: baseline carbon price, CNY per tonne CO2.
    """

    years: Int[Array, " y"]
    tfp_growth: Float[Array, " y"]
    labour_growth: Float[Array, " y"]
    aeei: Float[Array, " y"]
    energy_price_index: Float[Array, " y"]
    carbon_price: Float[Array, " y"]


@dataclass(frozen=True)
class DriverSpec:
    """Which series feed which driver, and the coefficients of :func:`map_to_drivers`.

    ``activity_series=None`` means all series. Defaults: TFP takes 40 % of activity growth
    (a growth-accounting share), labour supply drifts at -0.3 %/yr plus 0.1 x activity growth,
    energy prices rise with the square root of fossil (thermal) demand, the baseline carbon price
    starts at 58 CNY/t (national ETS average of 2021–2022, rounded) in the base year and drifts
    5 %/yr, scaled by the emissions proxy. All are assumptions a user should set for a study.
    """

    first_year: int = 2022
    last_year: int = 2030
    activity_series: tuple[str, ...] | None = None
    energy_series: tuple[str, ...] = ("thermal",)
    emission_series: tuple[str, ...] = ("thermal",)
    energy_price_series: str | None = None
    carbon_price_series: str | None = None
    tfp_share: float = 0.4
    labour_trend: float = -0.003
    labour_elasticity: float = 0.1
    price_elasticity: float = 0.5
    carbon_price_base: float = BASE_CARBON_PRICE
    carbon_price_drift: float = 0.05
    carbon_price_elasticity: float = 1.0


def annual_means(years_cal: Float[Array, " t"], x: Float[Array, "t s"],
                 years: np.ndarray) -> Float[Array, "y s"]:
    """Mean of ``x`` over the grid points in each calendar year of ``years``.

    ``years_cal`` are calendar times (e.g. 2022.0 = 2022-01, 2022.0833 = 2022-02); a point belongs
    to year ``floor(t + 1/24)`` (robust to rounding of month starts).
    """
    yr = jnp.floor(years_cal + 1.0 / 24.0)
    w = (yr[None, :] == jnp.asarray(years, dtype=yr.dtype)[:, None]).astype(x.dtype)
    return (w @ x) / jnp.maximum(w.sum(axis=1, keepdims=True), 1.0)


def _idx(names: tuple[str, ...], wanted: tuple[str, ...]) -> list[int]:
    lower = [n.lower() for n in names]
    out = []
    for w in wanted:
        if w.lower() not in lower:
            raise CpjaxInputError(f"driver mapping needs series {w!r}, the trajectories have "
                                  f"{list(names)}; fix: set DriverSpec(...) series to existing ones")
        out.append(lower.index(w.lower()))
    return out


def map_to_drivers(years_cal: Float[Array, " t"], x: Float[Array, "t s"], series: tuple[str, ...],
                   spec: DriverSpec = DriverSpec()) -> Drivers:
    """Map a trajectory (original units) to :class:`Drivers` for ``spec.first_year..last_year``.

    Arguments:
        years_cal: calendar time of each row of ``x`` (years, e.g. 2021.0 + month/12); must cover
            the base year ``first_year - 1`` through ``last_year``.
        x: (T, S) trajectory, e.g. ``cpjax.node.Trajectories.values[p]``; series: names of its columns.
        spec: see :class:`DriverSpec`; the formulas are in the module docstring.

    Returns:
        :class:`Drivers` with arrays of shape (last_year - first_year + 1,).

    Example:
        >>> import jax.numpy as jnp
        >>> t = 2021.0 + jnp.arange(120, dtype=jnp.float32) / 12.0
        >>> x = jnp.stack([10 * 1.03 ** (t - 2021), 5 * 1.01 ** (t - 2021)], axis=1)
        >>> d = map_to_drivers(t, x, ("hydro", "thermal"))
        >>> round(float(d.aeei[0]), 3)  # activity grows ~2.3 %/yr, thermal 1 %/yr
        0.013
    """
    years = np.arange(spec.first_year - 1, spec.last_year + 1)
    try:  # check coverage when the times are concrete (not under jit)
        yc = np.floor(np.asarray(years_cal, dtype=np.float64) + 1.0 / 24.0)
        missing = [int(y) for y in years if not np.any(yc == y)]
        if missing:
            raise CpjaxInputError(f"trajectory has no points in year(s) {missing}; fix: generate "
                                  f"from {spec.first_year - 1} (or earlier) until {spec.last_year}")
    except (TypeError, ValueError) as err:  # traced values: nothing to check here
        if isinstance(err, CpjaxInputError):
            raise
    act = list(range(len(series))) if spec.activity_series is None else _idx(series,
                                                                              spec.activity_series)
    means = annual_means(years_cal, x, years)
    tiny = jnp.asarray(1e-12, dtype=x.dtype)
    A = jnp.maximum(means[:, act].sum(axis=1), tiny)
    E = jnp.maximum(means[:, _idx(series, spec.energy_series)].sum(axis=1), tiny)
    M = jnp.maximum(means[:, _idx(series, spec.emission_series)].sum(axis=1), tiny)
    g = jnp.diff(jnp.log(A))
    e = jnp.diff(jnp.log(E))
    if spec.energy_price_series is not None:
        p = jnp.maximum(means[:, _idx(series, (spec.energy_price_series,))[0]], tiny)
        price = p[1:] / p[0]
    else:
        price = (E[1:] / E[0]) ** spec.price_elasticity
    if spec.carbon_price_series is not None:
        carbon = means[1:, _idx(series, (spec.carbon_price_series,))[0]]
    else:
        k = jnp.arange(1, len(years), dtype=x.dtype)
        carbon = (spec.carbon_price_base * jnp.exp(spec.carbon_price_drift * k)
                  * (M[1:] / M[0]) ** spec.carbon_price_elasticity)
    return Drivers(jnp.asarray(years[1:], dtype=jnp.int32), spec.tfp_share * g,
                      spec.labour_trend + spec.labour_elasticity * g, g - e, price, carbon)

