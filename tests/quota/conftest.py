"""Helpers for the quota tests."""

from __future__ import annotations

import pandas as pd
import pytest


@pytest.fixture
def cli_main():
    """The real ``cpjax.cli.main`` (every subcommand registered)."""
    from cpjax.cli import main

    return main


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
