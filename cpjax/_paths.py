"""Where the real development data lives (``../shared/data`` beside the checkout)."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["shared_data_dir", "SHARED_DATA_ENV"]

SHARED_DATA_ENV = "CPJAX_SHARED_DATA"


def shared_data_dir() -> Path | None:
    """Return the development-data folder, or ``None`` when it is absent.

    Looks at ``$CPJAX_SHARED_DATA`` first, then ``../shared/data`` relative to the current working
    directory and to the repository that holds this package.
    """
    env = os.environ.get(SHARED_DATA_ENV)
    candidates = [Path(env)] if env else []
    candidates += [
        Path.cwd().parent / "shared" / "data",
        Path(__file__).resolve().parents[2] / "shared" / "data",
    ]
    for c in candidates:
        if c.is_dir():
            return c
    return None
