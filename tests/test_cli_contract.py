"""The command line's common contract (docs/cli.md): output folders, one error path, signals,
the run record, --help with defaults, and a start-up that imports no numerical library.

Most tests run the real ``cpjax.cli.main`` with the command's work replaced by a small function
(``_resolve`` patched), so that they cost milliseconds; the signal tests run it in a subprocess.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import cpjax.cli as cli
from cpjax import CpjaxInputError

ROOT = Path(__file__).resolve().parents[1]


def _leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if ".cpjax-tmp-" in p.name or ".tmp-" in p.name]


@pytest.fixture
def fake(monkeypatch):
    """Replace every command's work by ``work(args)`` (default: write result.txt)."""
    calls = {}

    def install(work=None):
        def command(args):
            calls["args"] = args
            if work is not None:
                return work(args)
            Path(args.out).mkdir()
            (Path(args.out) / "result.txt").write_text("new run\n")
            return 0

        monkeypatch.setattr(cli, "_resolve", lambda target: command)
        return calls

    return install


def _run(argv, capsys):
    code = cli.main(argv)
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def test_new_folder_written_with_run_record(fake, tmp_path, capsys):
    data = tmp_path / "sam.csv"
    data.write_text("a,b\n1,2\n")
    spec = tmp_path / "spec.toml"
    spec.write_text("x = 1\n")
    fake()
    out = tmp_path / "deep" / "run"
    code, stdout, err = _run(["cge", "solve", "--sam", str(data), "--spec", str(spec),
                              "--out", str(out)], capsys)
    assert code == 0 and err == ""
    assert f"wrote {out}" in stdout
    assert sorted(p.name for p in out.iterdir()) == ["result.txt", "run.json"]
    rec = json.loads((out / "run.json").read_text())
    assert rec["command"] == "cge solve"
    assert rec["options"]["out"] == str(out) and rec["options"]["tol"] == 1e-11
    assert rec["data"]["--sam"]["sha256"] == hashlib.sha256(data.read_bytes()).hexdigest()
    assert rec["data"]["--spec"]["bytes"] == spec.stat().st_size
    assert {"versions", "device", "timings_s", "started", "finished", "argv"} <= set(rec)
    assert rec["versions"]["python"] == sys.version.split()[0]
    assert not _leftovers(out.parent)


def test_non_empty_out_refused_without_overwrite_before_any_work(fake, tmp_path, capsys):
    calls = fake()
    out = tmp_path / "run"
    out.mkdir()
    (out / "old.csv").write_text("keep me")
    code, _, err = _run(["cge", "solve", "--demo", "--out", str(out)], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "--overwrite" in err and "not empty" in err
    assert "args" not in calls  # refused before the command ran
    assert (out / "old.csv").read_text() == "keep me"


def test_overwrite_replaces_the_folder_whole(fake, tmp_path, capsys):
    fake()
    out = tmp_path / "run"
    out.mkdir()
    (out / "selection.csv").write_text("stale, from another data set")
    code, _, _ = _run(["cge", "solve", "--demo", "--out", str(out), "--overwrite"], capsys)
    assert code == 0
    assert sorted(p.name for p in out.iterdir()) == ["result.txt", "run.json"]
    assert not _leftovers(tmp_path)


def test_empty_existing_folder_is_accepted(fake, tmp_path, capsys):
    fake()
    out = tmp_path / "empty"
    out.mkdir()
    assert _run(["cge", "solve", "--demo", "--out", str(out)], capsys)[0] == 0
    assert (out / "result.txt").is_file()


@pytest.mark.parametrize("case", ["file", "under a file", "holds input", "holds cwd"])
def test_unusable_out_is_refused_before_any_work(case, fake, tmp_path, capsys, monkeypatch):
    calls = fake()
    sam = tmp_path / "run" / "sam.csv"
    sam.parent.mkdir()
    sam.write_text("a\n1\n")
    spec = tmp_path / "spec.toml"
    spec.write_text("")
    argv = ["cge", "solve", "--demo"]
    if case == "file":
        out, expect = sam, "existing file"
    elif case == "under a file":
        out, expect = sam / "sub", "is a file"
    elif case == "holds input":
        out, expect = sam.parent, "holds the input"
        argv = ["cge", "solve", "--sam", str(sam), "--spec", str(spec), "--overwrite"]
    else:
        out, expect = sam.parent, "current folder"
        monkeypatch.chdir(sam.parent)
        argv += ["--overwrite"]
    code, _, err = _run([*argv, "--out", str(out)], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert expect in err
    assert "args" not in calls
    assert sam.read_text() == "a\n1\n"


def test_missing_input_and_lonely_pair_are_one_line(fake, tmp_path, capsys):
    fake()
    code, _, err = _run(["quota", "--units", str(tmp_path / "none.csv"), "--out",
                         str(tmp_path / "o")], capsys)
    assert code == 2 and "not found" in err and len(err.strip().splitlines()) == 1
    code, _, err = _run(["scenarios", "--sam", str(tmp_path / "x.csv"), "--out",
                         str(tmp_path / "o")], capsys)
    assert code == 2 and "--spec" in err


def test_user_error_exit_2_one_line_nothing_written(fake, tmp_path, capsys):
    def work(args):
        Path(args.out).mkdir()
        (Path(args.out) / "half.csv").write_text("x")
        raise CpjaxInputError("column 'close' is missing;\n fix: pass --target")

    fake(work)
    out = tmp_path / "o"
    code, _, err = _run(["cge", "solve", "--demo", "--out", str(out)], capsys)
    assert code == 2
    assert err.strip() == "cpjax cge solve: error: column 'close' is missing; fix: pass --target"
    assert not out.exists() and not _leftovers(tmp_path)


def test_training_divergence_is_a_user_error(fake, tmp_path, capsys):
    from cpjax.train import TrainingDivergedError

    def work(args):
        raise TrainingDivergedError(3, 7, 0, None)

    fake(work)
    code, _, err = _run(["cge", "solve", "--demo", "--out", str(tmp_path / "o")], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "NaN/Inf at epoch 3" in err


def test_diverged_message_names_the_option():
    import argparse

    from cpjax.forecast._cli import diverged_message
    from cpjax.train import TrainingDivergedError

    msg = str(diverged_message(TrainingDivergedError(2, 1, 0, None),
                               argparse.Namespace(learning_rate=1e6)))
    assert "--learning-rate 1e+06" in msg and "fix:" in msg and ".last_good" not in msg


def test_bug_exit_1_short_message_and_saved_traceback(fake, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("CPJAX_TRACEBACK_DIR", str(tmp_path / "tb"))

    def work(args):
        Path(args.out).mkdir()
        return {}["missing"]  # a bug: KeyError

    fake(work)
    out = tmp_path / "o"
    code, _, err = _run(["cge", "solve", "--demo", "--out", str(out)], capsys)
    assert code == 1 and len(err.strip().splitlines()) == 1
    assert "internal error (KeyError" in err and "bug" in err
    saved = list((tmp_path / "tb").iterdir())
    assert len(saved) == 1 and str(saved[0]) in err
    text = saved[0].read_text()
    assert "Traceback" in text and "KeyError" in text and "cge solve" in text
    assert not out.exists() and not _leftovers(tmp_path)


def test_keyboard_interrupt_exit_130_one_line(fake, tmp_path, capsys):
    def work(args):
        Path(args.out).mkdir()
        (Path(args.out) / "half.csv").write_text("x")
        raise KeyboardInterrupt

    fake(work)
    out = tmp_path / "o"
    code, _, err = _run(["cge", "solve", "--demo", "--out", str(out)], capsys)
    assert code == 130 and err.strip().splitlines() == [
        f"cpjax cge solve: interrupted (Ctrl-C); nothing was written to {out}"]
    assert not out.exists() and not _leftovers(tmp_path)


def test_usage_errors_return_2_one_line(capsys):
    code, _, err = _run(["forecast", "--demo", "--lookback", "0", "--out", "x"], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "positive integer" in err
    code, _, err = _run(["forecast", "--demo", "--test-start", "yesterday", "--out", "x"], capsys)
    assert code == 2 and "YYYY-MM-DD" in err
    code, _, err = _run(["node", "train", "--out", "x"], capsys)
    assert code == 2 and "exactly one of --demo or --data" in err


def _all_parsers():
    parser = cli.build_parser()
    todo, found = [parser], []
    while todo:
        p = todo.pop()
        found.append(p)
        for a in p._actions:
            if a.__class__.__name__ == "_SubParsersAction":
                todo.extend(a.choices.values())
    return found


def test_help_shows_defaults_for_every_option_with_one():
    import argparse

    checked = 0
    for p in _all_parsers():
        fmt = p._get_formatter()
        for a in p._actions:
            if not a.option_strings or a.help == argparse.SUPPRESS or a.dest == "help":
                continue
            assert a.help, f"{p.prog} {a.option_strings[0]} has no help text"
            if a.default in (None, [], argparse.SUPPRESS) or isinstance(a.default, bool):
                continue
            checked += 1
            shown = fmt._expand_help(a)
            assert "default" in shown.lower(), f"{p.prog} {a.option_strings[0]}: {shown}"
            assert str(a.default if not isinstance(a.default, list) else a.default[0]) in shown
    assert checked > 40


def test_help_imports_no_numerical_library():
    code = ("import sys, io; import cpjax.cli as c; sys.stdout = io.StringIO(); "
            "r = c.main(['--help']); sys.stdout = sys.__stdout__; "
            "print(r, [m for m in ('jax', 'numpy', 'pandas', 'matplotlib') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, check=True).stdout.split()
    assert out[0] == "0" and out[1:] == ["[]"]


_SLOW_COMMAND = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    import cpjax.cli as cli

    def work(args):
        Path(args.out).mkdir()
        (Path(args.out) / "part.csv").write_text("half")
        print("ready", flush=True)
        time.sleep(60)

    cli._resolve = lambda target: work
    sys.exit(cli.main(["cge", "solve", "--demo", "--out", sys.argv[1]]))
""")


@pytest.mark.parametrize("sig, code", [(signal.SIGTERM, 128 + signal.SIGTERM),
                                       (signal.SIGINT, 130)])
def test_signal_while_writing_leaves_nothing(sig, code, tmp_path):
    out = tmp_path / "o"
    proc = subprocess.Popen([sys.executable, "-c", _SLOW_COMMAND, str(out)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        assert _leftovers(tmp_path)  # the staging folder exists while the command works
        proc.send_signal(sig)
        # generous: under a loaded parallel test run the child's exit took over 30 s twice
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        proc.stdout.close()  # a timed-out run must not leave its pipes to a later test
        proc.stderr.close()
    assert proc.returncode == code
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert ("SIGTERM" in err) if sig == signal.SIGTERM else ("Ctrl-C" in err)
    assert not out.exists() and not _leftovers(tmp_path)


def test_progress_bar_on_a_terminal_unless_quiet(monkeypatch):
    from cpjax import _progress

    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    bar = _progress.progress_bar(3, "lstm", "epoch")
    assert not isinstance(bar, _progress.NullBar) and bar.desc == "lstm"
    bar.close()
    _progress.set_quiet(True)
    try:
        assert isinstance(_progress.progress_bar(3, "lstm"), _progress.NullBar)
    finally:
        _progress.set_quiet(False)


def test_xla_logs_hidden_unless_the_user_asks():
    """XLA's C++ logging (where 'Very slow compile' banners come from) obeys the level cpjax
    sets on import; a level set by the user is kept."""
    code = ("import os, cpjax, jax, jax.numpy as jnp; jax.jit(lambda x: x + 1)(jnp.ones(2)); "
            "print(os.environ['TF_CPP_MIN_LOG_LEVEL'])")
    env = {k: v for k, v in os.environ.items()
           if k not in ("TF_CPP_MIN_LOG_LEVEL", "CPJAX_XLA_LOGS")}
    env["TF_CPP_MAX_VLOG_LEVEL"] = "1"  # makes XLA log at INFO level during start-up
    quiet = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                           text=True, cwd=ROOT, timeout=120)
    loud = subprocess.run([sys.executable, "-c", code], env={**env, "TF_CPP_MIN_LOG_LEVEL": "0"},
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert quiet.stdout.strip() == "3" and loud.stdout.strip() == "0"
    assert ".cc:" not in quiet.stderr and ".h:" not in quiet.stderr
    if ".cc:" not in loud.stderr:  # pragma: no cover - a jaxlib that logs nothing at start-up
        pytest.skip("this jaxlib writes no C++ log line at start-up to compare with")


def test_closed_stdout_pipe_does_not_lose_the_outputs(fake, tmp_path, monkeypatch):
    class ClosedPipe:
        def write(self, text):
            raise BrokenPipeError(32, "Broken pipe")

        def flush(self):
            raise BrokenPipeError(32, "Broken pipe")

    fake()
    monkeypatch.setattr(sys, "stdout", ClosedPipe())
    out = tmp_path / "o"
    assert cli.main(["cge", "solve", "--demo", "--out", str(out)]) == 0
    assert (out / "result.txt").is_file() and (out / "run.json").is_file()


def test_cge_solver_choices_match_the_solver():
    # the parser lists them without importing the solver; they must not drift apart
    from cpjax.cge._solve import LINEAR_SOLVERS, METHODS

    solve = next(p for p in _all_parsers() if p.prog.endswith("cge solve"))
    choices = {a.dest: tuple(a.choices) for a in solve._actions if a.choices}
    assert choices["method"] == tuple(METHODS)
    assert choices["linear_solver"] == tuple(LINEAR_SOLVERS)


def test_node_train_defaults_are_the_config_defaults():
    # the parser states them without importing cpjax.node; they must not drift apart
    from cpjax.node import NodeConfig

    train = next(p for p in _all_parsers() if p.prog.endswith("node train"))
    defaults = {a.dest: a.default for a in train._actions}
    cfg = NodeConfig()
    for dest, field in (("epochs", "epochs"), ("patience", "patience"), ("state", "state"),
                        ("width", "width"), ("depth", "depth"), ("activation", "activation"),
                        ("solver", "solver"), ("window", "window"), ("lr", "learning_rate"),
                        ("optimizer", "optimizer")):
        assert defaults[dest] == getattr(cfg, field), dest


def test_forecasting_command_defaults_are_the_config_defaults():
    # the parsers state them without importing cpjax.forecast; they must not drift apart
    from cpjax.forecast import ForecasterConfig

    cfg = ForecasterConfig()
    names = {"lookback": "data.lookback", "horizon": "data.horizon", "seeds": "train.n_seeds",
             "epochs": "train.epochs", "seed": "train.seed", "optimizer": "optimizer.name",
             "learning_rate": "optimizer.learning_rate", "loss": "train.loss",
             "batch_size": "train.batch_size", "patience": "train.patience", "model": "model"}

    def value(path):
        obj = cfg
        for part in path.split("."):
            obj = getattr(obj, part)
        return obj

    checked = 0
    for p in _all_parsers():
        if p.prog.split()[-1] not in ("forecast", "compare", "backtest", "ablation", "tune"):
            continue
        for a in p._actions:
            if a.dest in names and not (a.dest == "model" and a.default is None):
                # (forecast's --model has no default: lstm for one series, the global network
                # for a long table; its help says so)
                assert a.default == value(names[a.dest]), (p.prog, a.dest)
                checked += 1
    assert checked >= 40


def test_forecasting_commands_without_options_build_the_default_config():
    # base_config places each option in its section: unchanged options give ForecasterConfig()
    import dataclasses

    from cpjax.forecast import ForecasterConfig
    from cpjax.forecast._cli import base_config

    checked = 0
    for p in _all_parsers():
        command = p.prog.split()[-1]
        if command not in ("forecast", "compare", "backtest", "ablation", "tune"):
            continue
        args = p.parse_args(["--demo", "--quiet", "--out", "o"]
                            + (["--space", "s.json"] if command == "tune" else []))
        cfg = ForecasterConfig()
        assert base_config(args) == dataclasses.replace(
            cfg, train=dataclasses.replace(cfg.train, progress=False)), command
        checked += 1
    assert checked == 5
