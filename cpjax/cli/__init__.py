"""The ``cpjax`` command line: a thin layer over library functions.

The parsers live in light modules (``cpjax.cli._forecast``, ``_node``, ``_cge``, ``_quota``) that
import neither NumPy nor JAX, so ``cpjax --help`` answers at once; each command names its
implementation as ``"package.module:function"`` (the ``_cli.py`` of its package), imported only
when the command runs.  Every command goes through :func:`main`:

1. the options are checked while parsing (one line and exit 2 on a bad value);
2. the input files are checked to exist and ``--out`` to be new or empty (or ``--overwrite``) and
   writable, before any work;
3. the command writes into a hidden folder beside ``--out``, plus ``run.json`` (options,
   versions, device, timings, input checksums); on success that folder replaces ``--out`` whole;
4. one error path: bad input exits 2 with one line; Ctrl-C exits 130 and SIGTERM/SIGHUP exit
   128 + the signal number with one line and nothing written; anything else is a bug: exit 1
   with a short message and the path of a saved traceback.

See ``docs/cli.md`` and ``../shared/spec/cli.md`` for the commands and the files they write.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import importlib
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from .._errors import CpjaxInputError, Interrupted, one_line, save_traceback
from ._parser import Parser, check_together

__all__ = ["main", "build_parser", "SUBCOMMAND_MODULES"]

# Modules that add subcommands, in the order they appear in ``cpjax --help``.
SUBCOMMAND_MODULES: tuple[str, ...] = (
    "cpjax.cli._forecast",
    "cpjax.cli._node",
    "cpjax.cli._cge",
    "cpjax.cli._quota",
)

# OS errors a user can fix (permissions, full or read-only disk, bad path names).
_USER_ERRNOS = {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC, errno.ENAMETOOLONG,
                errno.EISDIR, errno.ENOTDIR, getattr(errno, "EDQUOT", errno.ENOSPC)}


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="cpjax", description="JAX toolkit for carbon-market modelling. Run "
                    "'cpjax COMMAND --help' for the options of a command; docs/cli.md describes "
                    "outputs, --out/--overwrite and what happens when something goes wrong.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    sub.required = True
    for name in SUBCOMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def _command_name(args: argparse.Namespace) -> str:
    return getattr(args, "command_name", None) or args.command


def _resolve(target: str):
    module, _, func = target.partition(":")
    return getattr(importlib.import_module(module), func)


def _input_paths(args: argparse.Namespace) -> dict[str, str]:
    """Option name -> path of every input given (``--scenario-file`` may repeat)."""
    out: dict[str, str] = {}
    for dest in getattr(args, "inputs", ()):
        value = getattr(args, dest, None)
        values = value if isinstance(value, list) else [value]
        for i, v in enumerate(v for v in values if v):
            key = "--" + dest.replace("_", "-") + (f"[{i}]" if isinstance(value, list) else "")
            out[key] = str(v)
    return out


def _check_inputs(inputs: dict[str, str]) -> None:
    for option, path in inputs.items():
        p = Path(path).expanduser()
        if not p.exists():
            raise CpjaxInputError(f"{option.split('[')[0]} {path}: not found (it does not exist; "
                                  f"working directory {Path.cwd()}); fix: check the path")
        if not os.access(p, os.R_OK):
            raise CpjaxInputError(f"{option.split('[')[0]} {path}: no permission to read it; "
                                  "fix: check the file's permissions")


@contextlib.contextmanager
def _stop_signals_raise() -> Iterator[None]:
    """While a command runs, SIGTERM and SIGHUP raise :class:`Interrupted` (so temporary folders
    are removed on the way out) instead of killing the process on the spot."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def raise_interrupted(signum, frame):
        raise Interrupted(signum)

    sigs = [signal.SIGTERM] + ([signal.SIGHUP] if hasattr(signal, "SIGHUP") else [])
    old = {s: signal.signal(s, raise_interrupted) for s in sigs}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)


def _options(args: argparse.Namespace) -> dict:
    skip = {"handler", "inputs", "command_name", "out_final", "record_inputs", "stages",
            "together"}
    opts = {k: v for k, v in vars(args).items() if k not in skip}
    if hasattr(args, "out_final"):
        opts["out"] = args.out_final
    return opts


def _run(args: argparse.Namespace, argv: list[str]) -> int:
    from .. import _progress
    from .._io import staged_output, write_run_record

    quiet = bool(getattr(args, "quiet", False))
    _progress.set_quiet(quiet)
    _progress.set_status(not quiet)
    pair = check_together(args)
    if pair:
        raise CpjaxInputError(pair)
    inputs = _input_paths(args)
    _check_inputs(inputs)
    from .._xla import request_cpu_devices

    request_cpu_devices("auto")  # this process is ours: one CPU lane per core (cpjax.train)
    command = _resolve(args.handler)
    if not hasattr(args, "out"):
        return int(command(args) or 0)
    args.record_inputs, args.stages = {}, {}
    args.out_final = args.out
    started = time.time()
    with staged_output(args.out, overwrite=args.overwrite, inputs=inputs.values()) as target:
        args.out = str(target)
        code = int(command(args) or 0)
        target.mkdir(exist_ok=True)
        write_run_record(target, command=_command_name(args), argv=argv, options=_options(args),
                         inputs={**inputs, **args.record_inputs}, started=started,
                         finished=time.time(), stages=args.stages, output=args.out_final)
    if not quiet:
        print(f"wrote {args.out_final}")
    return code


def _is_user_error(err: BaseException) -> bool:
    if isinstance(err, CpjaxInputError):
        return True
    train = sys.modules.get("cpjax.train")
    diverged = getattr(train, "TrainingDivergedError", None)
    if diverged is not None and isinstance(err, diverged):
        return True
    return isinstance(err, OSError) and err.errno in _USER_ERRNOS


def _user_message(err: BaseException) -> str:
    if isinstance(err, OSError) and not isinstance(err, CpjaxInputError):
        where = f" {err.filename}" if err.filename else ""
        return (f"cannot access{where}: {err.strerror}; fix: check permissions and free disk "
                "space, or choose another path")
    return str(err)


class _Console:
    """Standard output that a closed pipe (``cpjax ... | head``) cannot break: the summary is
    not worth losing the outputs for, so writes after the reader left are dropped."""

    def __init__(self, stream):
        self._stream, self.broken = stream, False

    def write(self, text: str) -> int:
        if not self.broken:
            try:
                return self._stream.write(text)
            except BrokenPipeError:
                self.broken = True
        return len(text)

    def flush(self) -> None:
        if not self.broken:
            try:
                self._stream.flush()
            except BrokenPipeError:
                self.broken = True

    def __getattr__(self, name):
        return getattr(self._stream, name)


@contextlib.contextmanager
def _safe_stdout() -> Iterator[None]:
    original = sys.stdout
    console = _Console(original)
    sys.stdout = console
    try:
        yield
    finally:
        sys.stdout = original
        if console.broken:  # keep the interpreter's final flush from failing on the pipe
            with contextlib.suppress(OSError, ValueError, AttributeError):
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, original.fileno())


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (0 ok, 1 bug, 2 bad input, 130 Ctrl-C)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as done:  # --help (0) or a usage error, already printed on one line (2)
        return int(done.code or 0)
    name = _command_name(args)
    out = getattr(args, "out_final", None) or getattr(args, "out", None)
    nothing = f"; nothing was written to {out}" if out else ""
    try:
        with _stop_signals_raise(), _safe_stdout():
            return _run(args, argv)
    except KeyboardInterrupt:
        print(f"cpjax {name}: interrupted (Ctrl-C){nothing}", file=sys.stderr)
        return 130
    except Interrupted as err:
        sig = signal.Signals(err.signum).name
        print(f"cpjax {name}: stopped by {sig}{nothing}", file=sys.stderr)
        return 128 + err.signum
    except Exception as err:  # noqa: BLE001 - the one place every failure is reported
        if _is_user_error(err):
            print(f"cpjax {name}: error: {one_line(_user_message(err))}", file=sys.stderr)
            return 2
        path = save_traceback(err, context=f"cpjax {' '.join(argv)}\ncpjax command: {name}")
        print(f"cpjax {name}: internal error ({type(err).__name__}: "
              f"{one_line(err)[:200]}){nothing}. This is a bug in cpjax: please report it with "
              f"the traceback saved in {path}", file=sys.stderr)
        if os.environ.get("CPJAX_TRACEBACK"):
            raise
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
