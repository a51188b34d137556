"""Test configuration: strict dtype and rank promotion, shared-data fixture, headless plots."""

from __future__ import annotations

import os

os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")

import jax  # noqa: E402
import pytest  # noqa: E402

jax.config.update("jax_numpy_dtype_promotion", "strict")
jax.config.update("jax_numpy_rank_promotion", "raise")

from cpjax._paths import shared_data_dir  # noqa: E402


@pytest.fixture(scope="session")
def shared_data():
    """Path to ``../shared/data``; skips the test with a clear message when it is absent."""
    path = shared_data_dir()
    if path is None:
        pytest.skip("real development data not found: ../shared/data is absent "
                    "(set CPJAX_SHARED_DATA to its path to run this test)")
    return path
