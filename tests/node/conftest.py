"""Fixtures for the Neural ODE tests: tiny configs and a CLI entry point limited to importable
subcommand modules (other parts' ``_cli`` modules may not exist on this branch)."""

from __future__ import annotations

import pytest

from cpjax.node import NodeConfig


@pytest.fixture
def tiny_config() -> NodeConfig:
    return NodeConfig(width=8, depth=1, steps=30, eval_every=10, batch_size=8, window=7,
                      activation="tanh", learning_rate=1e-2)


@pytest.fixture
def cli_main():
    """The real ``cpjax.cli.main`` (every subcommand registered)."""
    from cpjax.cli import main

    return main
