"""Shared CGE fixtures (session scope: compiled solvers are cached per model object)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cpjax import cge

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def demo():
    return cge.load_demo()


@pytest.fixture(scope="session")
def stdcge():
    return cge.load_model(DATA / "stdcge_sam.csv", DATA / "stdcge_spec.yaml")


@pytest.fixture(scope="session")
def mpsge_paths():
    return DATA / "mpsge_2x2_sam.csv", DATA / "mpsge_2x2_spec.toml"


@pytest.fixture()
def cli(monkeypatch):
    """``cpjax.cli.main`` with the cge command registered (other parts may be absent here)."""
    import importlib

    import cpjax.cli as cli_mod

    mods = []
    for name in cli_mod.SUBCOMMAND_MODULES:
        try:
            importlib.import_module(name)
            mods.append(name)
        except ModuleNotFoundError:
            pass
    if "cpjax.cge._cli" not in mods:
        mods.append("cpjax.cge._cli")
    monkeypatch.setattr(cli_mod, "SUBCOMMAND_MODULES", tuple(mods))
    return cli_mod.main
