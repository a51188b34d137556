"""SYNTHETIC demo data: a daily carbon market shaped like seed 000's national-market sample.

Nothing here is real market data. Design (deterministic given ``seed``):

- business days from ``start``;
- log close = regime-switching random walk: regimes of 60-250 days, each with its own drift
  (-0.3%..+0.3% per day) and volatility (0.8%..2.5% per day), a weak pull (0.3% per day)
  towards 50 CNY/t so that long samples stay in a plausible range, plus price spikes: on about 1% of
  days a jump of +8%..+20% that decays with a half-life of 3 days (policy-news style spikes);
  close starts near 50 CNY/t;
- open = previous close times a small gap; high/low wrap open and close by a positive range, so
  ``low <= min(open, close)`` and ``high >= max(open, close)``; volume (t) is lognormal and larger
  on big moves (always > 0);
- factors: each is ``rho * zclose + sqrt(1 - rho^2) * e`` with ``zclose`` the standardised close
  and ``e`` a smooth AR(1) noise path (phi 0.97) made orthogonal to ``zclose`` both on the first
  70% of the rows (the default 7:3 training part) and on all rows, so that the correlation is
  ``rho`` on the training part and on the whole sample alike; the noise is therefore somewhat
  larger in the last 30%. Then each factor is mapped to a plausible level (indices and prices
  through ``exp`` so they stay positive). Target correlations with
  close follow seed 000's Table 2: ``csi300`` -0.704, ``usdcny`` 0.556, ``eua_futures`` 0.526,
  ``new_energy_index`` -0.697 (significant); ``shibor`` -0.393 (low); ``temperature`` 0.259 (with
  an annual cycle), ``aqi`` 0.138 and ``low_carbon_search`` -0.034 (weak distractors). The
  non-linear level maps move the measured r slightly away from the targets (docs/data.md lists
  the measured values).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cpjax._errors import CpjaxInputError

__all__ = ["DEMO_FACTOR_TARGETS", "demo_market", "demo_panel"]

#: Pearson r with close that each demo factor is built for (seed 000 Table 2 values).
DEMO_FACTOR_TARGETS = {
    "csi300": -0.704, "usdcny": 0.556, "eua_futures": 0.526, "new_energy_index": -0.697,
    "shibor": -0.393, "temperature": 0.259, "aqi": 0.138, "low_carbon_search": -0.034,
}

# level maps: (kind, centre, spread) -> exp for positive indices/prices, affine otherwise
_LEVELS = {
    "csi300": ("exp", 4000.0, 0.12), "usdcny": ("lin", 6.7, 0.15),
    "eua_futures": ("exp", 80.0, 0.15), "new_energy_index": ("exp", 3000.0, 0.18),
    "shibor": ("lin", 2.0, 0.25), "temperature": ("lin", 16.0, 3.0),
    "aqi": ("exp", 70.0, 0.25), "low_carbon_search": ("exp", 500.0, 0.3),
}


def _log_close(rng: np.random.Generator, n: int) -> np.ndarray:
    steps = np.empty(n)
    i = 0
    while i < n:
        length = int(rng.integers(60, 251))
        drift, vol = rng.uniform(-0.003, 0.003), rng.uniform(0.008, 0.025)
        steps[i:i + length] = drift + vol * rng.standard_normal(min(length, n - i))
        i += length
    steps[0] = 0.0
    level = np.empty(n)  # weak pull (0.3%/day) towards 50 CNY/t keeps long samples in range
    level[0] = np.log(50.0)
    for t in range(1, n):
        level[t] = level[t - 1] + steps[t] - 0.003 * (level[t - 1] - np.log(50.0))
    spikes = np.zeros(n)
    for t in np.flatnonzero(rng.random(n) < 0.01):
        size = rng.uniform(0.08, 0.20)
        k = np.arange(n - t)
        spikes[t:] += size * 0.5 ** (k / 3.0)
    return level + spikes


def _smooth_noise(rng: np.random.Generator, n: int, phi: float) -> np.ndarray:
    e = np.empty(n)
    e[0] = rng.standard_normal()
    shocks = rng.standard_normal(n) * np.sqrt(1 - phi ** 2)
    for t in range(1, n):
        e[t] = phi * e[t - 1] + shocks[t]
    return e


def _orthogonal_blocks(e: np.ndarray, z: np.ndarray, cut: int) -> np.ndarray:
    """Noise uncorrelated with ``z`` both on rows [0, cut) and on all rows, scaled like ``z``.

    ``e`` is projected off span{1, z, 1_train, z_train}, so each block is orthogonal to the
    constant and to ``z`` separately; the train block is scaled to the spread of ``z`` there
    (train-part r = rho exactly) and the rest so that the whole column has the variance of
    ``z`` (full-sample r = rho exactly, before the non-linear level maps).
    """
    n = z.size
    tr = (np.arange(n) < cut).astype(np.float64)
    basis = np.stack([np.ones(n), z, tr, z * tr], axis=1)
    e = e - basis @ np.linalg.lstsq(basis, e, rcond=None)[0]
    a = z[:cut].std() / np.sqrt(np.mean(e[:cut] ** 2))
    rest = n * z.var() - cut * z[:cut].var()
    b = np.sqrt(rest / np.sum(e[cut:] ** 2))
    return np.concatenate([a * e[:cut], b * e[cut:]])


def demo_market(seed: int = 0, n_days: int = 900, start: str = "2021-07-16") -> pd.DataFrame:
    """A SYNTHETIC daily carbon market with OHLCV and eight exogenous factors.

    Arguments:
        seed: random seed (same seed, same table).
        n_days: number of business days.
        start: first date.

    Returns:
        DataFrame ``ds, open, high, low, close, volume, csi300, usdcny, eua_futures,
        new_energy_index, shibor, temperature, aqi, low_carbon_search`` (see the module notes
        for the design and :data:`DEMO_FACTOR_TARGETS` for the intended correlations).

    Example:
        >>> df = demo_market(seed=0, n_days=300)
        >>> bool((df["low"] <= df[["open", "close"]].min(axis=1)).all())
        True
    """
    if int(n_days) != n_days or n_days < 30:
        raise CpjaxInputError(f"n_days must be an integer >= 30, got {n_days!r}; "
                              "fix: e.g. n_days=900")
    rng = np.random.default_rng(seed)
    ds = pd.bdate_range(start, periods=n_days)
    close = np.exp(_log_close(rng, n_days))
    gap = np.exp(0.004 * rng.standard_normal(n_days))
    open_ = np.concatenate([[close[0]], close[:-1]]) * gap
    top, bottom = np.maximum(open_, close), np.minimum(open_, close)
    high = top * (1 + np.abs(0.008 * rng.standard_normal(n_days)))
    low = bottom * (1 - np.abs(0.008 * rng.standard_normal(n_days)))
    ret = np.abs(np.diff(np.log(close), prepend=np.log(close[0])))
    volume = np.round(np.exp(11.0 + 0.6 * rng.standard_normal(n_days) + 25.0 * ret)) + 1.0
    out = {"ds": ds, "open": open_, "high": high, "low": low, "close": close, "volume": volume}
    z = (close - close.mean()) / close.std()
    n_train = int(0.7 * n_days)
    day_of_year = ds.day_of_year.to_numpy().astype(np.float64)
    for name, rho in DEMO_FACTOR_TARGETS.items():
        e = _smooth_noise(rng, n_days, 0.97)
        if name == "temperature":
            e = e + 2.0 * np.sin(2 * np.pi * (day_of_year - 105.0) / 365.25)
        f = rho * z + np.sqrt(1 - rho ** 2) * _orthogonal_blocks(e, z, n_train)
        kind, centre, spread = _LEVELS[name]
        out[name] = centre * np.exp(spread * f) if kind == "exp" else centre + spread * f
    df = pd.DataFrame(out)
    df.attrs["source"] = f"cpjax.data.demo_market(seed={seed}, n_days={n_days}) [SYNTHETIC]"
    return df


def demo_panel(n_series: int = 3, seed: int = 0, n_days: int = 500, *,
               exogenous: tuple[str, ...] = ("csi300", "eua_futures")) -> pd.DataFrame:
    """SYNTHETIC long-form panel ``unique_id, ds, y, <exogenous>`` of several demo markets.

    Series ``market_k`` is :func:`demo_market` with seed ``seed + k``; ``y`` is its close.

    Example:
        >>> demo_panel(2, n_days=60)["unique_id"].unique().tolist()
        ['market_0', 'market_1']
    """
    parts = []
    for k in range(n_series):
        m = demo_market(seed + k, n_days)
        part = m[["ds", "close", *exogenous]].rename(columns={"close": "y"})
        part.insert(0, "unique_id", f"market_{k}")
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    out.attrs["source"] = f"cpjax.data.demo_panel(n_series={n_series}, seed={seed}) [SYNTHETIC]"
    return out
