"""The package layers stated in README.md ('Architecture') hold in the code.

The README's block of ``layer N  name name ...`` lines is the rule: a subpackage of ``cpjax``
may import from subpackages of lower layers and from the shared top-level modules
(``cpjax/_*.py``, layer 0), never from its own layer or above.  Imports inside functions count
(they are dependencies all the same); the command line names its handlers by string
(``"cpjax.forecast._cli:forecast"``), which are checked too.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "cpjax"


def _layers() -> dict[str, int]:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Architecture", 1)[1].split("\n## ", 1)[0]
    layers = {}
    for m in re.finditer(r"^layer (\d+)\s+(.+)$", section, flags=re.M):
        level, rest = int(m.group(1)), m.group(2).split("(")[0]
        for name in rest.split():
            layers[name] = level
    return layers


def _target(parts: list[str]) -> str | None:
    """The subpackage ``cpjax.<parts[1]>`` names, or ``None`` for a top-level module."""
    if len(parts) < 2 or parts[0] != "cpjax":
        return None
    return parts[1] if (PKG / parts[1]).is_dir() else None


def _imports(path: Path, here: list[str] | None = None) -> set[str]:
    """Subpackages imported by ``path``; ``here`` is its package (default: from its place)."""
    here = here or list(path.relative_to(ROOT).with_suffix("").parts)[:-1]
    out = set()
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                full = here[: len(here) - node.level + 1] + (node.module or "").split(".")
                full = [p for p in full if p]
            elif node.module and node.module.split(".")[0] == "cpjax":
                full = node.module.split(".")
            else:
                continue
            if len(full) == 1:  # from cpjax import data, ...
                out |= {a.name for a in node.names if (PKG / a.name).is_dir()}
            elif (t := _target(full)) is not None:
                out.add(t)
        elif isinstance(node, ast.Import):
            out |= {t for a in node.names if (t := _target(a.name.split("."))) is not None}
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            m = re.match(r"^cpjax\.(\w+)\.[\w.]+:\w+$", node.value)  # a CLI handler
            if m and (PKG / m.group(1)).is_dir():
                out.add(m.group(1))
    return out


def test_readme_names_every_subpackage_once():
    layers = _layers()
    subpackages = {p.name for p in PKG.iterdir() if (p / "__init__.py").is_file()}
    assert set(layers) == subpackages | {"_shared"}, (
        "README.md 'Architecture' must list every subpackage in one 'layer N' line; "
        f"missing {sorted(subpackages - set(layers))}, unknown {sorted(set(layers) - subpackages - {'_shared'})}")


def test_every_import_goes_to_a_lower_layer():
    layers = _layers()
    bad = []
    for path in sorted(PKG.rglob("*.py")):
        parts = path.relative_to(PKG).parts
        if len(parts) == 1:  # a shared top-level module: imports no subpackage
            if path.name == "__main__.py":
                continue  # `python -m cpjax` is the command line
            src, level = "_shared", 0
        else:
            src, level = parts[0], layers[parts[0]]
        for dst in _imports(path) - {src}:
            if layers[dst] >= level:
                bad.append(f"{path.relative_to(ROOT)} (layer {level}) imports cpjax.{dst} "
                           f"(layer {layers[dst]})")
    assert not bad, "imports against README.md's layers:\n" + "\n".join(bad)


def test_the_checker_sees_a_violation(tmp_path):
    # the rule is not vacuous: a lazy import of a higher layer inside a function is found
    f = tmp_path / "probe.py"
    f.write_text("def f():\n    from ..forecast import Forecaster\n    return Forecaster\n"
                 "H = 'cpjax.cge._cli:solve'\n")
    assert _imports(f, here=["cpjax", "data"]) == {"forecast", "cge"}
