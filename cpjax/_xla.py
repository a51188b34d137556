"""XLA settings cpjax needs before the JAX CPU backend starts.

jaxlib 0.10's CPU runtime can wedge forever (all threads idle in ``BlockUntilReady``) when it
runs a ``vmap`` of a ``lax.scan`` holding a two-layer LSTM of 64 units, the program that trains
several seeds at once; we reproduced it on a 2-core machine every time.  Turning off XLA's
concurrency-optimised scheduler avoids it (the same class of hang is reported in
PyAutoLabs/PyAutoFit#1528).  The flag only changes how the CPU schedules independent ops.

It is appended to ``XLA_FLAGS`` when ``cpjax`` is imported, which must happen before the first
JAX computation (XLA reads the variable when the backend starts).  Set
``CPJAX_KEEP_XLA_FLAGS=1`` to leave ``XLA_FLAGS`` alone.

XLA's C++ log lines are not for the people running cpjax: on a loaded CPU a compile of the
training loop takes minutes, and XLA then writes "Very slow compile? If you want to file a bug
..." banners to standard error (at ERROR severity, from ``slow_operation_alarm.cc``).  Failures
reach Python as exceptions anyway, so ``TF_CPP_MIN_LOG_LEVEL`` (read by XLA's logging when it
first logs) is set to 3 (fatal only) unless the user set it already; ``CPJAX_XLA_LOGS=1`` keeps
XLA's default instead.
"""

from __future__ import annotations

import os

__all__ = ["CPU_SAFE_FLAGS", "XLA_LOG_LEVEL", "apply_xla_flags", "quiet_xla_logs"]

CPU_SAFE_FLAGS = ("--xla_cpu_enable_concurrency_optimized_scheduler=false",)
XLA_LOG_LEVEL = "3"  # TF_CPP_MIN_LOG_LEVEL: 0 info, 1 warning, 2 error, 3 fatal only


def quiet_xla_logs() -> None:
    """Hide XLA's C++ log lines (compile-time banners) unless the user chose a level."""
    if os.environ.get("CPJAX_XLA_LOGS"):
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", XLA_LOG_LEVEL)


def apply_xla_flags() -> None:
    quiet_xla_logs()
    if os.environ.get("CPJAX_KEEP_XLA_FLAGS"):
        return
    flags = os.environ.get("XLA_FLAGS", "")
    for flag in CPU_SAFE_FLAGS:
        name = flag.split("=", 1)[0]
        if name not in flags:
            flags = f"{flags} {flag}".strip()
    os.environ["XLA_FLAGS"] = flags
