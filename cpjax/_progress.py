"""One progress-bar helper for every long-running stage (training, calibration, sweeps).

A bar is shown when the caller asks for it (``enabled=True``), or, with ``enabled=None``, when
standard error is a terminal and quiet mode is off (:func:`set_quiet`, the CLI's ``--quiet``).
Each bar is named after the model or stage it measures.  :func:`status` prints one line saying
what runs now; it is silent unless the command line turned status lines on (:func:`set_status`),
so library calls stay quiet.
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["NullBar", "progress_bar", "quiet", "set_quiet", "set_status", "status"]

_STATE = {"quiet": False, "status": False}


def set_quiet(value: bool) -> None:
    """Turn automatic progress bars (and the CLI's status lines) off or on for this process."""
    _STATE["quiet"] = bool(value)


def set_status(value: bool) -> None:
    """Turn the status lines of :func:`status` on (the CLI without ``--quiet``) or off."""
    _STATE["status"] = bool(value)


def status(message: str) -> None:
    """Print ``message`` as one line on standard output when status lines are on (not quiet).

    Standard output carries what a command is doing and its summary; standard error carries
    only progress bars (on a terminal) and, on failure, the one-line error."""
    if _STATE["status"] and not _STATE["quiet"]:
        print(message, file=sys.stdout, flush=True)


def quiet() -> bool:
    """Whether quiet mode is on."""
    return _STATE["quiet"]


class NullBar:
    """A bar that shows nothing (same methods as tqdm's)."""

    def update(self, n: int = 1) -> None:
        pass

    def set_postfix(self, *args: Any, **kwargs: Any) -> None:
        pass

    def set_description(self, *args: Any, **kwargs: Any) -> None:
        pass

    def close(self) -> None:
        pass


def progress_bar(total: int | None, desc: str, unit: str = "it", enabled: bool | None = None):
    """A tqdm bar on standard error named ``desc``, or a :class:`NullBar`.

    Arguments:
        total: number of units (``None`` when unknown).
        desc: what is running, e.g. the model name (``"lstm"``) or the stage (``"calibrate"``).
        unit: what one update counts (``"epoch"``, ``"step"``, ``"scenario"``).
        enabled: ``True``/``False`` to force; ``None``: on when stderr is a terminal and not quiet.
    """
    if enabled is None:
        enabled = not _STATE["quiet"] and sys.stderr.isatty()
    if not enabled:
        return NullBar()
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, leave=False)
