"""Grouped bar charts of surplus/deficit by category and province (seed 002 Figs. 4-5)."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from ._inventory import CATEGORY_LABELS

__all__ = ["plot_surplus"]


def _bars(ax, table: pd.DataFrame, key: str, labels: list[str], names: list[str]) -> None:
    width = 0.8 / len(names)
    x = np.arange(len(labels))
    for i, name in enumerate(names):
        sub = table[table["rules"] == name].set_index(key).reindex(labels)
        ax.bar(x + (i - (len(names) - 1) / 2) * width, sub["surplus_mt"].fillna(0.0), width,
               label=f"rules {name}" + (" (actual)" if i == 0 else ""),
               hatch="//" if i == 0 else None, edgecolor="black", linewidth=0.5)
    ax.axhline(0.0, color="black", linewidth=0.8)
    ax.set_ylabel("surplus (+) / deficit (-), Mt CO2")
    ax.grid(axis="y", alpha=0.3)


def plot_surplus(by_category: pd.DataFrame, by_province: pd.DataFrame,
                 path: str | os.PathLike, title: str = "") -> None:
    """Save a two-panel figure: categories (+ national) and provinces, one bar per rule set
    (the first rule set hatched, as the seed shades the actual benchmark)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    names = list(dict.fromkeys(by_category["rules"]))
    cats = [c for c in dict.fromkeys(by_category["category"])]
    provs = [p for p in dict.fromkeys(by_province["province"]) if p != "national"]
    fig, (a1, a2) = plt.subplots(2, 1, figsize=(12, 9), gridspec_kw={"height_ratios": [1, 1.2]})
    _bars(a1, by_category, "category", cats, names)
    a1.set_xticks(np.arange(len(cats)), [CATEGORY_LABELS.get(c, c) for c in cats], fontsize=9)
    a1.legend(fontsize=9)
    a1.set_title(title)
    _bars(a2, by_province, "province", provs, names)
    a2.set_xticks(np.arange(len(provs)), provs, rotation=60, ha="right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
