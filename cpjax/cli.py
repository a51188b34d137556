"""The ``cpjax`` command line: a thin layer over library functions.

Each subpackage that offers commands has a ``_cli.py`` with ``register(subparsers)``; the parser it
adds sets ``func`` to a callable ``func(args) -> int``.  This module only builds the parser, runs the
chosen command and turns :class:`~cpjax.CpjaxInputError` into one line on standard error with exit
status 2 (no traceback).  See ``../shared/spec/cli.md`` for the commands and the files they write.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from ._errors import CpjaxInputError

__all__ = ["main", "build_parser"]

# Modules that add subcommands, in the order they appear in ``cpjax --help``.
SUBCOMMAND_MODULES: tuple[str, ...] = (
    "cpjax.forecast._cli",
    "cpjax.forecast._ablation_cli",
    "cpjax.forecast._compare_cli",
    "cpjax.node._cli",
    "cpjax.cge._cli",
    "cpjax.cge._scenarios_cli",
    "cpjax.cge._calibrate_cli",
    "cpjax.quota._cli",
)


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as a single line and exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"cpjax {self.prog.split(' ', 1)[-1]}: error: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="cpjax", description="JAX toolkit for carbon-market modeling.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for name in SUBCOMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (0 ok, 2 bad input)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except CpjaxInputError as err:
        msg = " ".join(str(err).split())
        print(f"cpjax {args.command}: error: {msg}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
