"""The float32 matrix-product precision policy of cpjax's compiled programs.

On NVIDIA GPUs JAX's ``"default"`` precision runs float32 matrix products and convolutions with
TF32 inputs (10-bit mantissa), so the same seed and data give results that differ from the CPU
in the third or fourth significant digit, and networks trained on the GPU drift further. cpjax's
compiled programs (the training engine, prediction, the Neural ODE, the CGE) therefore trace
under ``jax.default_matmul_precision(policy)`` with policy ``"highest"`` (full float32) unless
the user chooses otherwise:

- ``CPJAX_MATMUL_PRECISION=default`` (or ``high``/``highest``) in the environment, or
- ``with cpjax.matmul_precision("default"): ...`` around a call.

On the CPU every policy gives the same numbers (XLA:CPU always multiplies in full float32).
The tolerance that CPU and GPU results are held to is in the README (GPU section) and in
``tests/test_gpu.py``.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

from ._errors import CpjaxInputError

__all__ = ["PRECISION_ENV", "PRECISION_POLICIES", "matmul_precision", "matmul_precision_policy"]

PRECISION_ENV = "CPJAX_MATMUL_PRECISION"
#: JAX's names: "default" (fastest: TF32 on NVIDIA GPUs, bf16 passes on TPUs), "high"
#: (bf16_3x on TPU, TF32 on GPU), "highest" (full float32).
PRECISION_POLICIES = ("highest", "high", "default")

_OVERRIDE: list[str] = []


def matmul_precision_policy() -> str:
    """The policy in force: the innermost :func:`matmul_precision` block, else
    ``$CPJAX_MATMUL_PRECISION``, else ``"highest"``."""
    if _OVERRIDE:
        return _OVERRIDE[-1]
    value = os.environ.get(PRECISION_ENV, "highest").strip().lower() or "highest"
    if value not in PRECISION_POLICIES:
        raise CpjaxInputError(f"{PRECISION_ENV}={value!r} is not a precision policy; fix: set it "
                              f"to one of {', '.join(PRECISION_POLICIES)} (or unset it)")
    return value


@contextlib.contextmanager
def matmul_precision(policy: str | None = None) -> Iterator[str]:
    """Trace and run JAX code under ``policy`` (default: :func:`matmul_precision_policy`).

    cpjax's own entry points call this; wrap your own calls to choose another policy::

        with cpjax.matmul_precision("default"):   # TF32 on NVIDIA GPUs: faster, less exact
            forecaster.fit(df, target="close")
    """
    import jax

    if policy is not None:
        policy = str(policy).lower()
        if policy not in PRECISION_POLICIES:
            raise CpjaxInputError(f"unknown matmul precision {policy!r}; fix: use one of "
                                  f"{', '.join(PRECISION_POLICIES)}")
        _OVERRIDE.append(policy)
    try:
        current = matmul_precision_policy()
        with jax.default_matmul_precision(current):
            yield current
    finally:
        if policy is not None:
            _OVERRIDE.pop()
