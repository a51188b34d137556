"""JAX's persistent compilation cache, on by default for cpjax.

Compiled XLA programs are written to a folder and reused by later processes, so a second
``cpjax forecast`` with the same shapes skips compilation.  The folder is, in order:

1. ``JAX_COMPILATION_CACHE_DIR`` (JAX's own variable) when set;
2. ``$XDG_CACHE_HOME/cpjax/jax``, else ``~/.cache/cpjax/jax``.

Set ``CPJAX_COMPILATION_CACHE=0`` to leave JAX's cache settings alone (no folder is used unless
you configure one).  Programs that compile in under
``JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS`` (cpjax's default 0.5 s; JAX's is 1 s) are not
stored.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

__all__ = ["CACHE_ENV", "CompileCount", "cache_dir", "enable_compilation_cache"]

CACHE_ENV = "CPJAX_COMPILATION_CACHE"
_MIN_SECS = "0.5"


def cache_dir() -> Path | None:
    """The folder cpjax points JAX's persistent cache at (``None`` when opted out)."""
    if os.environ.get(CACHE_ENV, "1").strip().lower() in ("0", "false", "no", "off"):
        return None
    if os.environ.get("JAX_COMPILATION_CACHE_DIR"):
        return Path(os.environ["JAX_COMPILATION_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "cpjax" / "jax"


def enable_compilation_cache() -> None:
    """Point JAX at :func:`cache_dir` (before or after ``import jax``); no-op when opted out."""
    folder = cache_dir()
    if folder is None:
        return
    values = {"JAX_COMPILATION_CACHE_DIR": str(folder),
              "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": _MIN_SECS}
    for name, value in values.items():
        os.environ.setdefault(name, value)
    if "jax" in sys.modules:  # imported before cpjax: its config has read the variables already
        import jax

        jax.config.update("jax_compilation_cache_dir", os.environ["JAX_COMPILATION_CACHE_DIR"])
        jax.config.update("jax_persistent_cache_min_compile_time_secs",
                          float(os.environ["JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS"]))


_COUNTS = {"traces": 0, "compiles": 0, "cache_hits": 0, "seconds": 0.0}
_LISTENING = [False]
_EVENTS = {"/jax/core/compile/jaxpr_trace_duration": "traces",
           "/jax/core/compile/backend_compile_duration": "compiles",
           "/jax/compilation_cache/cache_retrieval_time_sec": "cache_hits"}
# the time spent getting a program ready: tracing, lowering to MLIR, XLA compilation (which
# includes reading the persistent cache)
_TIMED = ("/jax/core/compile/jaxpr_trace_duration",
          "/jax/core/compile/jaxpr_to_mlir_module_duration",
          "/jax/core/compile/backend_compile_duration")


def _listen(event: str, duration: float, **kwargs) -> None:
    name = _EVENTS.get(event)
    if name is not None:
        _COUNTS[name] += 1
    if event in _TIMED:
        _COUNTS["seconds"] += duration


class CompileCount:
    """Counts JAX traces, XLA compilations and persistent-cache hits inside a ``with`` block
    (``JAX_LOG_COMPILES=1`` prints the same events one by one)::

        with CompileCount() as c:
            forecaster.fit(df, target="close")
        c.compiles, c.traces, c.cache_hits
        c.seconds   # time spent tracing, lowering and compiling (persistent-cache reads included)
    """

    def __enter__(self) -> CompileCount:
        if not _LISTENING[0]:
            import jax.monitoring

            jax.monitoring.register_event_duration_secs_listener(_listen)
            _LISTENING[0] = True
        self._start = dict(_COUNTS)
        self.traces = self.compiles = self.cache_hits = 0
        self.seconds = 0.0
        return self

    def __exit__(self, *exc) -> None:
        for k in _COUNTS:
            setattr(self, k, _COUNTS[k] - self._start[k])

    def as_dict(self) -> dict[str, int]:
        return {"traces": self.traces, "compiles": self.compiles, "cache_hits": self.cache_hits}
