"""Helpers for the quota tests."""

from __future__ import annotations

import importlib

import pandas as pd
import pytest


@pytest.fixture
def cli_main(monkeypatch):
    """``cpjax.cli.main`` with only the subcommand modules that exist on this branch."""
    import cpjax.cli as cli

    present = []
    for name in cli.SUBCOMMAND_MODULES:
        try:
            importlib.import_module(name)
            present.append(name)
        except ModuleNotFoundError:
            pass
    monkeypatch.setattr(cli, "SUBCOMMAND_MODULES", tuple(present))
    return cli.main


def _minimal_units(rows):
    """A minimal-layout unit table from (unit_id, province, capacity_mw, fuel, extra-dict) rows."""
    recs = []
    for uid, prov, cap, fuel, extra in rows:
        recs.append({"unit_id": uid, "province": prov, "capacity_mw": cap, "fuel": fuel, **extra})
    return pd.DataFrame(recs)


@pytest.fixture
def minimal_units():
    """Factory for minimal-layout unit tables."""
    return _minimal_units
