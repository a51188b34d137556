"""Test configuration: strict dtype and rank promotion, shared-data fixture, headless plots."""

from __future__ import annotations

import os

os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
# One CPU device in the test processes (and in the commands they start), whatever test runs
# first: compile counts stay deterministic.  tests/train/test_cpu_lanes.py checks the lanes.
os.environ.setdefault("CPJAX_CPU_DEVICES", "1")

import jax  # noqa: E402
import pytest  # noqa: E402

jax.config.update("jax_numpy_dtype_promotion", "strict")
jax.config.update("jax_numpy_rank_promotion", "raise")
# Tests check the mathematics at cpjax's precision policy (full float32 matrix products, see
# cpjax._precision), also where they call Flax modules directly; on NVIDIA GPUs JAX's own
# default would be TF32.  No effect on the CPU.
jax.config.update("jax_default_matmul_precision", "highest")

from cpjax._paths import shared_data_dir  # noqa: E402


@pytest.fixture(scope="session")
def shared_data():
    """Path to ``../shared/data``; skips the test with a clear message when it is absent."""
    path = shared_data_dir()
    if path is None:
        pytest.skip("real development data not found: ../shared/data is absent "
                    "(set CPJAX_SHARED_DATA to its path to run this test)")
    return path


def pytest_collection_modifyitems(config, items):
    """Skip ``gpu`` tests, with the reason, where JAX has no GPU."""
    if jax.default_backend() == "gpu":
        return
    skip = pytest.mark.skip(reason=f"needs a GPU; JAX runs on {jax.default_backend()}")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)
