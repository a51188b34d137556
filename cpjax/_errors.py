"""One error type for problems a user can fix, and helpers to phrase them.

Library functions raise :class:`CpjaxInputError` for bad input; the CLI prints its message as one
line on standard error and exits with status 2.  Messages say what is wrong *and* how to fix it.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = ["CpjaxInputError", "Interrupted", "close_matches", "one_line", "save_traceback",
           "unknown_name_message"]


class CpjaxInputError(ValueError):
    """Bad input that the user can correct (file, column, option, value)."""


def close_matches(name: str, options: Iterable[str], n: int = 3) -> list[str]:
    """Return up to ``n`` options that look like ``name`` (case-insensitive)."""
    options = list(options)
    lower = {o.lower(): o for o in options}
    hits = difflib.get_close_matches(name.lower(), list(lower), n=n, cutoff=0.5)
    return [lower[h] for h in hits]


def unknown_name_message(kind: str, name: str, options: Iterable[str], where: str = "") -> str:
    """Phrase "unknown <kind> 'name'" with close matches and the full list of choices."""
    options = sorted(options)
    near = close_matches(name, options)
    hint = f"; did you mean {', '.join(repr(n) for n in near)}?" if near else ""
    loc = f" in {where}" if where else ""
    return f"unknown {kind} {name!r}{loc}{hint} Choose one of: {', '.join(options)}."


def one_line(message: object) -> str:
    """``message`` on a single line (runs of whitespace, newlines included, become one space)."""
    return " ".join(str(message).split())


class Interrupted(BaseException):
    """The process was asked to stop (SIGTERM/SIGHUP); raised so that clean-up code runs.

    A ``BaseException`` like :class:`KeyboardInterrupt`, so ``except Exception`` does not swallow
    it.  ``signum`` is the signal number; the CLI exits with ``128 + signum``.
    """

    def __init__(self, signum: int):
        super().__init__(f"stopped by signal {signum}")
        self.signum = signum


def save_traceback(exc: BaseException, context: str = "", directory: str | None = None) -> str:
    """Write the traceback of ``exc`` (and ``context``) to a new file; return its path.

    The folder is ``directory``, else ``$CPJAX_TRACEBACK_DIR``, else the system temporary folder.
    """
    import datetime
    import os
    import tempfile
    import traceback

    folder = directory or os.environ.get("CPJAX_TRACEBACK_DIR") or tempfile.gettempdir()
    os.makedirs(folder, exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    fd, path = tempfile.mkstemp(prefix=f"cpjax-traceback-{stamp}-", suffix=".txt", dir=folder)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        if context:
            fh.write(context.rstrip() + "\n\n")
        fh.write("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
    return path
