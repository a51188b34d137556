"""Build the unit inventory: read files, keep operating units, categorise, fill, report.

Example::

    >>> inv = build_inventory(["gcpt_jul2023_china_units.csv", "gogpt_feb2024_china_units.csv"])
    >>> inv.counts.loc["Shandong"]          # units by category in one province
    >>> inv.fill_report                     # every fill rule applied, with the number of units
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from .._errors import CpjaxInputError
from ._fill import fill_fields, load_fill_rules
from ._inventory import CATEGORIES, EXCLUDED, assign_categories, read_units

__all__ = ["Inventory", "build_inventory", "prepare_inventory"]


@dataclasses.dataclass(frozen=True)
class Inventory:
    """A categorised, filled unit inventory and its reports.

    ``units``: one row per operating unit; ``counts``: units by province x category;
    ``capacity_gw``: the same in GW; ``fill_report``: field, rule, value, units;
    ``sources``: the files read.
    """

    units: pd.DataFrame
    counts: pd.DataFrame
    capacity_gw: pd.DataFrame
    fill_report: pd.DataFrame
    sources: tuple[str, ...]

    def summary_lines(self) -> list[str]:
        """Short text report: totals by category and every assumption applied."""
        u = self.units
        lines = [f"{len(u)} operating units, {u['capacity_mw'].sum() / 1e3:.1f} GW, "
                 f"{u['plant'].nunique()} plants, {u['province'].nunique()} provinces"]
        for c in (*CATEGORIES, EXCLUDED):
            sel = u["category"] == c
            lines.append(f"  {c}: {int(sel.sum())} units, {u.loc[sel, 'capacity_mw'].sum() / 1e3:.1f} GW")
        for r in self.fill_report.itertuples():
            lines.append(f"  fill {r.field}: {r.rule} -> {r.value} ({r.units} units)")
        return lines


def prepare_inventory(frames: Sequence[pd.DataFrame], sources: Sequence[str] = (),
                      fill_rules: str | os.PathLike | None = None,
                      large_threshold_mw: float = 300.0) -> Inventory:
    """Categorise and fill unit tables already read with :func:`read_units` (or the demo)."""
    if not frames:
        raise CpjaxInputError("no unit table given; fix: pass --units PATH or --demo")
    df = pd.concat(list(frames), ignore_index=True)
    if df["unit_id"].duplicated().any():
        dup = df["unit_id"][df["unit_id"].duplicated()].iloc[0]
        raise CpjaxInputError(f"unit_id {dup!r} appears in more than one unit file; fix: make ids unique")
    cat, why = assign_categories(df, large_threshold_mw)
    df["category"], df["category_reason"] = cat, why
    filled, report = fill_fields(df, load_fill_rules(fill_rules))
    counts = pd.crosstab(filled["province"], filled["category"]).reindex(
        columns=[*CATEGORIES, EXCLUDED], fill_value=0)
    cap = filled.pivot_table(index="province", columns="category", values="capacity_mw",
                             aggfunc="sum", fill_value=0.0).reindex(
        columns=[*CATEGORIES, EXCLUDED], fill_value=0.0) / 1e3
    return Inventory(filled, counts, cap, report, tuple(sources))


def build_inventory(paths: Sequence[str | os.PathLike], fill_rules: str | os.PathLike | None = None,
                    large_threshold_mw: float = 300.0) -> Inventory:
    """Read unit files (GCPT, GOGPT or minimal layout), keep operating units, categorise, fill.

    Arguments:
        paths: one or more unit files.
        fill_rules: a fill-rule TOML replacing ``cpjax/quota/fill_defaults.toml``.
        large_threshold_mw: size above which conventional coal is "large" (300 MW is small).

    Returns:
        an :class:`Inventory`.
    """
    frames = [read_units(p) for p in paths]
    return prepare_inventory(frames, [str(Path(p)) for p in paths], fill_rules, large_threshold_mw)
