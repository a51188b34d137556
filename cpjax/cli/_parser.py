"""argparse pieces shared by every command: one-line usage errors, defaults in ``--help``, option
types that check values while parsing, and the output options (``--out``, ``--overwrite``,
``--quiet``, ``--progress``).

Nothing here imports NumPy, pandas or JAX: ``cpjax --help`` must answer at once.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import re

__all__ = ["Parser", "add_output_options", "csv_list", "date_text", "finite_float", "fraction",
           "handler", "levels", "month_text", "nonneg_int", "option_value", "positive_float",
           "positive_int", "share", "unit_fraction", "check_together"]


class DefaultsFormatter(argparse.HelpFormatter):
    """Help text that ends with ``(default: X)`` for every option that has a default."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        default = action.default
        if ("%(default)" in text or re.search(r"\(default\b", text) or default is None
                or default is argparse.SUPPRESS or isinstance(default, bool)
                or default == [] or not action.option_strings):
            return text
        if isinstance(default, list):
            return f"{text} (default: {','.join(str(d) for d in default)})"
        return f"{text} (default: %(default)s)"


class Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as a single line and exit status 2."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", DefaultsFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> None:  # type: ignore[override]
        m = re.match(r"one of the arguments (.+) is required$", message)
        if m:
            message = "give exactly one of " + " or ".join(m.group(1).split())
        self.exit(2, f"cpjax {self.prog.split(' ', 1)[-1]}: error: {message} (see --help)\n")


def handler(parser: argparse.ArgumentParser, target: str, *, inputs: tuple[str, ...] = (),
            name: str | None = None, together: tuple[tuple[str, str], ...] = ()) -> None:
    """Set the command run by ``parser``: ``"package.module:function"``, imported only when the
    command runs.  ``inputs`` are the destinations of options naming input files or folders
    (checked to exist before any work and recorded with checksums in ``run.json``);
    ``together`` lists pairs of options that must be given both or neither."""
    parser.set_defaults(handler=target, inputs=inputs, command_name=name, together=together)


def check_together(args: argparse.Namespace) -> str | None:
    """The message for the first pair of ``together`` options given alone, else ``None``."""
    for a, b in getattr(args, "together", ()):
        va, vb = getattr(args, a, None), getattr(args, b, None)
        if bool(va) != bool(vb):
            given, missing = (a, b) if va else (b, a)
            opt = lambda d: "--" + d.replace("_", "-")  # noqa: E731
            return (f"{opt(given)} needs {opt(missing)} PATH; fix: give both {opt(a)} PATH and "
                    f"{opt(b)} PATH (or --demo)")
    return None


def add_output_options(p: argparse.ArgumentParser, *, bar: bool = True) -> None:
    """``--out``, ``--overwrite``, ``--quiet`` and ``--progress``."""
    g = p.add_argument_group("output")
    g.add_argument("--out", required=True, metavar="DIR",
                   help="output folder; created, and must be new or empty unless --overwrite")
    g.add_argument("--overwrite", action="store_true",
                   help="replace a non-empty --out whole (nothing of the old run stays)")
    g.add_argument("--quiet", action="store_true",
                   help="print nothing but errors (no status lines, summary or progress bars)")
    if bar:
        g.add_argument("--progress", action="store_true",
                       help="always show progress bars (by default they show when standard "
                       "error is a terminal)")
    else:
        g.add_argument("--progress", action="store_true", help=argparse.SUPPRESS)


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {value}")
    return value


def nonneg_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def finite_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text!r}")
    return value


def positive_float(text: str) -> float:
    value = finite_float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


def fraction(text: str) -> float:
    """A number strictly between 0 and 1."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a fraction like 0.7, got {text!r}") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1 (exclusive), got {text}")
    return value


def unit_fraction(text: str) -> float:
    """A number in (0, 1]."""
    value = finite_float(text)
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"must be in (0, 1], got {text}")
    return value


def share(text: str) -> float:
    """A number in [0, 1]."""
    value = finite_float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"must be in [0, 1], got {text}")
    return value


def csv_list(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


def levels(text: str) -> list[float]:
    if text.strip().lower() in ("", "none", "0"):
        return []
    try:
        out = [float(t) for t in csv_list(text)]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected levels in percent like 80,95, got "
                                         f"{text!r}") from None
    bad = [v for v in out if not 0 < v < 100]
    if bad:
        raise argparse.ArgumentTypeError(f"levels are percentages in (0, 100), got {bad[0]:g}")
    return out


def option_value(text: str) -> tuple[str, object]:
    """``NAME=VALUE`` with VALUE read as JSON when it parses (numbers, true/false), else text."""
    if "=" not in text:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    name, value = text.split("=", 1)
    try:
        return name.strip(), json.loads(value)
    except json.JSONDecodeError:
        return name.strip(), value


_ISO_DATE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$")


def date_text(text: str) -> str:
    """A calendar date written YYYY-MM-DD (checked now, used as given)."""
    t = text.strip()
    try:
        if not _ISO_DATE.match(t):
            raise ValueError
        datetime.date.fromisoformat("-".join(f"{int(p):02d}" if i else p
                                             for i, p in enumerate(t.split("-"))))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD such as 2021-06-01, got "
                                         f"{text!r}") from None
    return t


def month_text(text: str) -> str:
    """A month written YYYY-MM."""
    t = text.strip()
    m = re.match(r"^(\d{4})-(\d{1,2})$", t)
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise argparse.ArgumentTypeError(f"expected a month YYYY-MM such as 2030-12, got {text!r}")
    return f"{m.group(1)}-{int(m.group(2)):02d}"


def quantile_levels(text: str) -> list[float]:
    """``0.1,0.5,0.9`` -> sorted distinct levels strictly inside (0, 1)."""
    try:
        q = sorted({float(v) for v in text.split(",") if v.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected levels like 0.1,0.5,0.9, got {text!r}") from None
    if not q or not all(0 < v < 1 for v in q):
        raise argparse.ArgumentTypeError(f"quantile levels must lie strictly between 0 and 1, got "
                                         f"{text!r}; fix: e.g. 0.1,0.5,0.9")
    return q
