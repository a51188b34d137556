"""Synthetic demo data for ``cpjax quota --demo`` (generated, deterministic, NOT real units).

:func:`demo_units` draws a small inventory in the minimal layout: 8 provinces, unit sizes from
the usual Chinese classes (50-1000 MW), technology by size, ~12% gas, ~2% blast-furnace gas,
~7% waste-coal units, ~40% CHP.  :func:`demo_generation` makes monthly provincial thermal output
2010-01..2021-12 (MWh): capacity x ~4,300 h a year, 4% growth, a winter/summer double peak and 3%
noise.  Same ``seed`` -> same data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["demo_units", "demo_generation", "DEMO_PROVINCES"]

DEMO_PROVINCES = ("Shandong", "Inner Mongolia", "Jiangsu", "Guangdong", "Shanxi", "Xinjiang",
                  "Henan", "Zhejiang")
_SIZES = np.array([50, 135, 200, 300, 330, 350, 600, 660, 1000], dtype=float)
_SIZE_P = np.array([0.12, 0.13, 0.10, 0.15, 0.12, 0.08, 0.12, 0.12, 0.06])


def demo_units(seed: int = 0, n_units: int = 240) -> pd.DataFrame:
    """A synthetic inventory in the minimal layout (columns of :data:`REQUIRED_COLUMNS` + some optional)."""
    rng = np.random.default_rng(seed)
    prov = rng.choice(DEMO_PROVINCES, size=n_units)
    fuel = rng.choice(["coal", "gas", "bfg"], size=n_units, p=[0.86, 0.12, 0.02])
    cap = rng.choice(_SIZES, size=n_units, p=_SIZE_P)
    cap = np.where(fuel == "gas", rng.choice([180.0, 390.0, 460.0], size=n_units), cap)
    tech = np.where(cap >= 1000, "ultra-supercritical",
                    np.where(cap >= 600, rng.choice(["supercritical", "ultra-supercritical"], size=n_units),
                             np.where(cap >= 300, "subcritical",
                                      rng.choice(["subcritical", "cfb"], size=n_units, p=[0.85, 0.15]))))
    tech = np.where(fuel == "coal", tech, np.where(fuel == "gas", "cc", "st"))
    coal_type = np.where((fuel == "coal") & (rng.random(n_units) < 0.07), "waste coal", "bituminous")
    coal_type = np.where(fuel == "coal", coal_type, "")
    return pd.DataFrame({
        "unit_id": [f"DEMO{i:04d}" for i in range(n_units)],
        "plant": [f"Demo plant {i // 2:03d}" for i in range(n_units)],
        "province": prov, "capacity_mw": cap, "fuel": fuel, "status": "operating",
        "technology": tech, "coal_type": coal_type,
        "start_year": rng.integers(1995, 2021, size=n_units),
        "chp": rng.random(n_units) < 0.4,
    })


def demo_generation(units: pd.DataFrame, seed: int = 0, start: str = "2010-01",
                    end: str = "2021-12") -> pd.DataFrame:
    """Monthly provincial thermal generation (MWh) consistent with ``units``' capacity."""
    rng = np.random.default_rng(seed + 1)
    idx = pd.period_range(start, end, freq="M")
    t = np.arange(len(idx)) / 12.0
    month = np.asarray(idx.month)
    season = 1.0 + 0.10 * np.cos(2 * np.pi * (month - 1) / 12) + 0.06 * np.cos(2 * np.pi * (month - 7) / 6)
    cap = units.groupby("province")["capacity_mw"].sum()
    out = {}
    for p, c in cap.items():
        level = c * 4300.0 / 12.0 / 1.04 ** (len(idx) / 12.0)
        noise = 1.0 + 0.03 * rng.standard_normal(len(idx))
        out[p] = level * 1.04 ** t * season / season.mean() * noise
    return pd.DataFrame(out, index=idx)
