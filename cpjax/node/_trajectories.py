"""Generated paths in original units, and their files (``trajectories.csv`` + ``plausibility.json``).

This module is the one home of the trajectories file format: :func:`write_trajectories` writes
it (``cpjax node generate``), :func:`read_trajectories` reads it back (``cpjax scenarios
--drivers node``), together with the plausibility record that says whether the paths stayed
within documented bounds (:mod:`._plausibility`).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from .._errors import CpjaxInputError, unknown_name_message

__all__ = ["Trajectories", "read_trajectories", "write_trajectories", "PLAUSIBILITY_FILE"]

PLAUSIBILITY_FILE = "plausibility.json"


@dataclass(frozen=True)
class Trajectories:
    """Generated paths in original units.

    Attributes:
        dates: (T,) ``datetime64[M]``; panels, series: names; values: (P, T, S).
        units: unit of ``values``.
        compile_seconds: first call (tracing + XLA compile + run); run_seconds: a second,
            compiled call (median of 3): the cost of generating once compiled (0 when read from
            a file).
        plausibility: the record of :func:`cpjax.node.check_plausibility` (``status``
            ``"plausible"`` or ``"implausible"``, the checks run, their bounds and any
            violations), or ``None`` when the paths were never checked.
    """

    dates: np.ndarray
    panels: tuple[str, ...]
    series: tuple[str, ...]
    values: np.ndarray
    units: str
    compile_seconds: float = 0.0
    run_seconds: float = 0.0
    plausibility: dict | None = None

    @property
    def years_cal(self) -> np.ndarray:
        """Calendar time of each date in years (2022.0 = 2022-01, 2022.0833 = 2022-02)."""
        return 1970.0 + np.asarray(self.dates, dtype="datetime64[M]").astype(np.int64) / 12.0

    @property
    def status(self) -> str:
        """``"plausible"``, ``"implausible"`` or ``"unchecked"``."""
        return "unchecked" if self.plausibility is None else str(self.plausibility["status"])

    def panel(self, name: str | None = None) -> int:
        """Index of panel ``name`` (default: the first), an actionable error if unknown."""
        if name is None:
            return 0
        if name not in self.panels:
            raise CpjaxInputError(unknown_name_message("panel", name, self.panels))
        return self.panels.index(name)

    def to_frame(self):
        """Long-to-wide table: columns panel, date, one column per series."""
        import pandas as pd

        rows = []
        for p, name in enumerate(self.panels):
            df = pd.DataFrame(self.values[p], columns=list(self.series))
            df.insert(0, "date", [str(d) for d in self.dates])
            df.insert(0, "panel", name)
            rows.append(df)
        return pd.concat(rows, ignore_index=True)


def write_trajectories(traj: Trajectories, folder: str | os.PathLike) -> Path:
    """Write ``folder/trajectories.csv`` and, when checked, ``folder/plausibility.json``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    frame = traj.to_frame()
    frame.insert(2, "unit", traj.units)  # the unit of every series column, on every row
    frame.to_csv(folder / "trajectories.csv", index=False)
    if traj.plausibility is not None:
        (folder / PLAUSIBILITY_FILE).write_text(json.dumps(traj.plausibility, indent=2) + "\n")
    return folder / "trajectories.csv"


def read_trajectories(path: str | os.PathLike) -> Trajectories:
    """Read a ``trajectories.csv`` of ``cpjax node generate`` (or its folder).

    The plausibility record is read from ``plausibility.json`` in the same folder; without that
    file the result has ``plausibility=None`` (status ``"unchecked"``).

    Raises:
        CpjaxInputError: missing file, missing ``panel``/``date`` columns, bad dates or
            non-numeric values, panels of different lengths, or a malformed plausibility file.
    """
    import pandas as pd

    path = Path(path)
    if path.is_dir():
        path = path / "trajectories.csv"
    if not path.is_file():
        raise CpjaxInputError(f"Neural ODE trajectories file {path} not found; fix: write one "
                              "with `cpjax node generate --model DIR --out DIR` and pass its "
                              "trajectories.csv")
    try:
        df = pd.read_csv(path)
    except Exception as err:  # malformed CSV
        raise CpjaxInputError(f"cannot read {path} as CSV ({err}); fix: pass the "
                              "trajectories.csv of `cpjax node generate`") from err
    for col in ("panel", "date"):
        if col not in df.columns:
            raise CpjaxInputError(f"{path}: column {col!r} missing (columns: {list(df.columns)}); "
                                  "fix: use the trajectories.csv of `cpjax node generate`")
    series = tuple(c for c in df.columns if c not in ("panel", "date", "unit"))
    panels = tuple(dict.fromkeys(df["panel"].astype(str)))
    try:
        vals = df[list(series)].to_numpy(dtype=np.float64)
        dates_all = np.asarray(df["date"].astype(str).to_numpy(), dtype="datetime64[M]")
    except ValueError as err:
        raise CpjaxInputError(f"{path}: dates must be YYYY-MM and values numeric ({err}); fix: "
                              "use the trajectories.csv of `cpjax node generate`") from err
    blocks, dates = [], None
    for name in panels:
        sel = (df["panel"].astype(str) == name).to_numpy()
        d = dates_all[sel]
        if dates is None:
            dates = d
        elif d.shape != dates.shape or np.any(d != dates):
            raise CpjaxInputError(f"{path}: panel {name!r} has other dates than panel "
                                  f"{panels[0]!r}; fix: one date grid for every panel")
        blocks.append(vals[sel])
    plaus = None
    pfile = path.parent / PLAUSIBILITY_FILE
    if pfile.is_file():
        try:
            plaus = json.loads(pfile.read_text())
            if plaus.get("status") not in ("plausible", "implausible"):
                raise ValueError("status must be 'plausible' or 'implausible'")
        except (ValueError, AttributeError) as err:
            raise CpjaxInputError(f"{pfile} is not a plausibility record ({err}); fix: "
                                  "regenerate the paths with `cpjax node generate`") from err
    units = plaus.get("units", "") if plaus else ""
    if not units and "unit" in df.columns and len(df):
        units = str(df["unit"].iloc[0])
    return Trajectories(dates, panels, series, np.stack(blocks), units, plausibility=plaus)


def with_plausibility(traj: Trajectories, record: dict | None) -> Trajectories:
    """A copy of ``traj`` carrying ``record``."""
    return replace(traj, plausibility=record)
