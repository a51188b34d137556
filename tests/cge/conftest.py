"""Shared CGE fixtures (session scope: compiled solvers are cached per model object)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cpjax import cge

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def demo_burned():
    """The demo energy table (Mtce) with the refining/coking feedstock taken out, read from the
    shipped CSV and specification with pandas and tomllib (independent of cpjax's own reading):
    energy counted once, per user and fuel."""
    import tomllib

    import pandas as pd

    sam_path, spec_path = cge.demo_paths()
    use = pd.read_csv(sam_path.parent / "provincial_2022_energy.csv", index_col=0, comment="#")
    spec = tomllib.loads(spec_path.read_text())
    for sector, row in spec["energy"]["feedstock"].items():
        for fuel, share in row.items():
            use.loc[sector, fuel] *= 1.0 - share
    return use


@pytest.fixture(scope="session")
def demo_direct(demo_burned):
    """Direct emissions per user (Mt) from the counted-once table and the spec's factors."""
    factors = {"COAL": 2.64, "REFIN": 2.08, "OILGAS": 1.63}  # t CO2 / tce, as in the spec
    return sum(demo_burned[f] * g for f, g in factors.items())


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
