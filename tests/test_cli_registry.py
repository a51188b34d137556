"""Every module listed in cpjax.cli.SUBCOMMAND_MODULES imports and registers its commands."""

from __future__ import annotations

import importlib

import pytest

from cpjax.cli import SUBCOMMAND_MODULES, build_parser


@pytest.mark.parametrize("name", SUBCOMMAND_MODULES)
def test_subcommand_module_imports(name):
    assert callable(importlib.import_module(name).register)


def test_all_commands_registered():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert {"forecast", "models", "node", "cge", "quota"} <= set(sub.choices)
