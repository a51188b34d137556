"""XLA settings cpjax needs before the JAX CPU backend starts.

jaxlib 0.10's CPU runtime can wedge forever (all threads idle in ``BlockUntilReady``) when it
runs a ``vmap`` of a ``lax.scan`` holding a two-layer LSTM of 64 units, the program that trains
several seeds at once; we reproduced it on a 2-core machine every time.  Turning off XLA's
concurrency-optimised scheduler avoids it (the same class of hang is reported in
PyAutoLabs/PyAutoFit#1528).  The flag only changes how the CPU schedules independent ops.

It is appended to ``XLA_FLAGS`` when ``cpjax`` is imported, which must happen before the first
JAX computation (XLA reads the variable when the backend starts).  Set
``CPJAX_KEEP_XLA_FLAGS=1`` to leave ``XLA_FLAGS`` alone.
"""

from __future__ import annotations

import os

__all__ = ["CPU_SAFE_FLAGS", "apply_xla_flags"]

CPU_SAFE_FLAGS = ("--xla_cpu_enable_concurrency_optimized_scheduler=false",)


def apply_xla_flags() -> None:
    if os.environ.get("CPJAX_KEEP_XLA_FLAGS"):
        return
    flags = os.environ.get("XLA_FLAGS", "")
    for flag in CPU_SAFE_FLAGS:
        name = flag.split("=", 1)[0]
        if name not in flags:
            flags = f"{flags} {flag}".strip()
    os.environ["XLA_FLAGS"] = flags
