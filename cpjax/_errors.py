"""One error type for problems a user can fix, and helpers to phrase them.

Library functions raise :class:`CpjaxInputError` for bad input; the CLI prints its message as one
line on standard error and exits with status 2.  Messages say what is wrong *and* how to fix it.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = ["CpjaxInputError", "close_matches", "unknown_name_message"]


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
