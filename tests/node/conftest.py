"""Fixtures for the Neural ODE tests: tiny configs, a model built from data, the CLI entry point."""

from __future__ import annotations

import pytest

from cpjax.node import NodeConfig, NodeModel, make_field, prepare


@pytest.fixture
def tiny_config() -> NodeConfig:
    return NodeConfig(width=8, depth=1, epochs=10, batch_size=8, window=7, activation="tanh",
                      learning_rate=1e-2)


def model_from_data(data, config: NodeConfig, seed: int = 7) -> NodeModel:
    """An untrained :class:`NodeModel` with the scalers, floors and history of ``data``."""
    p = prepare(data, config)
    d = p.data
    return NodeModel(make_field(len(d.series), config, seed=seed), config, d.series, d.panels,
                     d.units, p.scalers, p.floor, p.mask, str(d.dates[0]), d.values, "test")


@pytest.fixture(scope="session")
def make_model():
    """:func:`model_from_data` (tests are not a package, so it is handed out as a fixture)."""
    return model_from_data


@pytest.fixture
def cli_main():
    """The real ``cpjax.cli.main`` (every subcommand registered)."""
    from cpjax.cli import main

    return main
