"""XLA settings cpjax needs before the JAX CPU backend starts.

jaxlib 0.10's CPU runtime can wedge forever (all threads idle in ``BlockUntilReady``) when it
runs a ``vmap`` of a ``lax.scan`` holding a two-layer LSTM of 64 units, the program that trains
several seeds at once; we reproduced it on a 2-core machine every time.  Turning off XLA's
concurrency-optimised scheduler avoids it (the same class of hang is reported in
PyAutoLabs/PyAutoFit#1528).  The flag only changes how the CPU schedules independent ops.

It is appended to ``XLA_FLAGS`` when ``cpjax`` is imported, which must happen before the first
JAX computation (XLA reads the variable when the backend starts).  Set
``CPJAX_KEEP_XLA_FLAGS=1`` to leave ``XLA_FLAGS`` alone.

CPU lanes: ``CPJAX_CPU_DEVICES=N`` (or ``auto``, one per core) makes the CPU backend show N host
devices, on which the training engine runs independent problems side by side, one per device
(bitwise the results of separate runs).  The ``cpjax`` command asks for ``auto`` itself
(:func:`request_cpu_devices`); ``CPJAX_CPU_DEVICES=1`` turns it off.

XLA's C++ log lines are not for the people running cpjax: on a loaded CPU a compile of the
training loop takes minutes, and XLA then writes "Very slow compile? If you want to file a bug
..." banners to standard error (at ERROR severity, from ``slow_operation_alarm.cc``).  Failures
reach Python as exceptions anyway, so ``TF_CPP_MIN_LOG_LEVEL`` (read by XLA's logging when it
first logs) is set to 3 (fatal only) unless the user set it already; ``CPJAX_XLA_LOGS=1`` keeps
XLA's default instead.
"""

from __future__ import annotations

import os
import warnings

from ._errors import CpjaxInputError

__all__ = ["CPU_SAFE_FLAGS", "DEVICE_COUNT_FLAG", "XLA_LOG_LEVEL", "apply_xla_flags",
           "cpu_devices_requested", "quiet_xla_logs", "request_cpu_devices"]

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
    try:
        lanes = cpu_devices_requested()
    except CpjaxInputError as err:  # the command line reports it as an input error
        warnings.warn(str(err), stacklevel=2)
        lanes = 1
    if lanes > 1 and DEVICE_COUNT_FLAG not in flags:
        flags = f"{flags} {DEVICE_COUNT_FLAG}={lanes}".strip()
    os.environ["XLA_FLAGS"] = flags


DEVICE_COUNT_FLAG = "--xla_force_host_platform_device_count"


def cpu_devices_requested(default: str | None = None) -> int:
    """Host devices asked for by ``CPJAX_CPU_DEVICES`` (else ``default``): a positive integer,
    or ``auto`` (one per core this process may use); 1 when neither is given.

    Each host device trains one problem at a time (``cpjax.train``'s CPU lanes), so independent
    trainings (seeds, origins, trials) use that many cores; results do not change.
    """
    raw = (os.environ.get("CPJAX_CPU_DEVICES") or default or "").strip().lower()
    if not raw:
        return 1
    if raw == "auto":
        cores = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
        return max(1, len(cores) if cores else (os.cpu_count() or 1))
    if raw.isdigit() and int(raw) >= 1:
        return int(raw)
    raise CpjaxInputError(f"CPJAX_CPU_DEVICES must be a positive integer or 'auto', got "
                          f"{raw!r}; fix: e.g. CPJAX_CPU_DEVICES=2, or unset it")


def request_cpu_devices(default: str | None = None) -> int | None:
    """Give the CPU backend ``cpu_devices_requested(default)`` host devices, if it has not
    started and ``XLA_FLAGS`` does not set a count; returns the count set (``None``: unchanged).
    The ``cpjax`` command calls it with ``"auto"``: it owns its process.  A library user opts in
    with ``CPJAX_CPU_DEVICES`` (read when ``cpjax`` is imported) or by calling this first."""
    n = cpu_devices_requested(default)
    if n <= 1 or DEVICE_COUNT_FLAG in os.environ.get("XLA_FLAGS", ""):
        return None
    import jax

    try:
        jax.config.update("jax_num_cpu_devices", n)
    except RuntimeError:  # the backend runs already: its devices are fixed
        return None
    return n
