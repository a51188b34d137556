"""How long ``cpjax --help`` takes from a cold process: before (every subcommand's package
imported at start-up, JAX included) and after (parsers in light modules, libraries imported when
a command runs), measured side by side in one run.

The "before" tree is the given git revision (default: the merge base with ``main`` of the commit
that made the parsers light) unpacked into a temporary folder; both trees run with the same
Python, alternating before/after so that machine drift hits both alike.  Also measured: the
modules imported by ``cpjax --help`` (whether JAX, NumPy or pandas are among them).

    python benchmarks/cli_startup.py            # 15 runs each
    python benchmarks/cli_startup.py --quick    # 5 runs each
    python benchmarks/cli_startup.py --before 2f93d92~1

Writes benchmarks/results/cli_startup(.json|.md) (``_quick`` with --quick).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

_RUN = ("import sys; sys.path.insert(0, {tree!r}); import cpjax.cli as c; "
        "assert c.__file__.startswith({tree!r}), c.__file__; "
        "sys.stdout = open('/dev/null', 'w'); raise SystemExit(c.main(['--help']))")
_MODULES = ("import sys; sys.path.insert(0, {tree!r}); import cpjax.cli as c\n"
            "sys.stdout = open('/dev/null', 'w')\n"
            "try:\n    c.main(['--help'])\nexcept SystemExit:\n    pass\n"
            "sys.stdout = sys.__stdout__\n"
            "print(' '.join(m for m in ('jax', 'numpy', 'pandas', 'matplotlib') "
            "if m in sys.modules))")


def _unpack(rev: str, dest: Path) -> Path:
    data = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "cpjax"], check=True,
                          capture_output=True).stdout
    with tarfile.open(fileobj=BytesIO(data)) as tar:
        if hasattr(tarfile, "data_filter"):  # Python >= 3.11.4
            tar.extractall(dest, filter="data")
        else:  # pragma: no cover - our own git archive
            tar.extractall(dest)  # noqa: S202
    return dest


def _time(tree: Path) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", _RUN.format(tree=str(tree))], check=True,
                   capture_output=True)
    return time.perf_counter() - t0


def _heavy(tree: Path) -> str:
    out = subprocess.run([sys.executable, "-c", _MODULES.format(tree=str(tree))], check=True,
                         capture_output=True, text=True).stdout.strip()
    return out or "none"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="5 runs each instead of 15")
    ap.add_argument("--runs", type=int, default=None)
    ap.add_argument("--before", default=None,
                    help="git revision of the 'before' tree (default: merge-base HEAD main)")
    args = ap.parse_args()
    runs = args.runs or (5 if args.quick else 15)
    before = args.before or subprocess.run(
        ["git", "-C", str(ROOT), "merge-base", "HEAD", "main"], check=True, capture_output=True,
        text=True).stdout.strip()
    from _common import machine, write

    with tempfile.TemporaryDirectory() as tmp:
        old = _unpack(before, Path(tmp))
        trees = {"before": old, "after": ROOT}
        for t in trees.values():  # warm the file cache and byte-compile once
            _time(t)
        times: dict[str, list[float]] = {k: [] for k in trees}
        for _ in range(runs):
            for k, t in trees.items():
                times[k].append(_time(t))
        heavy = {k: _heavy(t) for k, t in trees.items()}
    med = {k: statistics.median(v) for k, v in times.items()}
    payload = {"benchmark": "cli_startup", "command": "cpjax --help (python -c ... main(['--help']))",
               "before_revision": before, "runs": runs, "seconds": times,
               "median_s": med, "ratio_before_over_after": med["before"] / med["after"],
               "heavy_modules_imported": heavy, "machine": machine(),
               "python": sys.version.split()[0]}
    md = (f"# `cpjax --help` start-up time\n\nCold process, median of {runs} alternating runs "
          f"each, on {payload['machine']['cpu']} ({payload['machine']['cores']} cores, shared "
          f"and loaded), Python {payload['python']}.\n\n"
          "| tree | median s | min s | max s | heavy modules imported |\n|---|---|---|---|---|\n"
          + "".join(f"| {k} ({before if k == 'before' else 'this commit'}) | {med[k]:.3f} | "
                    f"{min(times[k]):.3f} | {max(times[k]):.3f} | {heavy[k]} |\n" for k in trees)
          + f"\nRatio before / after: {payload['ratio_before_over_after']:.1f}x.  Reproduce: "
          f"`python benchmarks/cli_startup.py{' --quick' if args.quick else ''}`.\n")
    write("cli_startup" + ("_quick" if args.quick else ""), payload, md)
    print(md)


if __name__ == "__main__":
    main()
