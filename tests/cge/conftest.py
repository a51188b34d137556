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
def cli():
    """The real ``cpjax.cli.main`` (every subcommand registered)."""
    from cpjax.cli import main

    return main
