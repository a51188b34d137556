"""JAX backend of :func:`cpjax.quota.account`: ``jit`` of ``vmap`` over scenarios.

The same formula as the NumPy backend (``_accounting._core``); each scenario sees rule scalars
and (U,) unit vectors.  Float32 unless ``jax_enable_x64`` is set; sums are taken in float64 NumPy
afterwards.
"""

from __future__ import annotations

import functools
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ._accounting import AccountingConfig, RuleArrays, UnitArrays, _core

__all__ = ["account_jax", "account_jax_arrays"]


@functools.partial(jax.jit, static_argnames=("config",))
def account_jax_arrays(units: UnitArrays, generation_mwh: jax.Array, rules: RuleArrays,
                       config: AccountingConfig) -> dict[str, jax.Array]:
    """Jitted accounts on device arrays: ``generation_mwh`` (S, U), ``rules`` leading S."""
    def one(gen: jax.Array, r: RuleArrays) -> dict[str, jax.Array]:
        return _core(units, gen, r, config, jnp)
    return jax.vmap(one)(generation_mwh, rules)


def to_device(units: UnitArrays, rules: RuleArrays) -> tuple[UnitArrays, RuleArrays]:
    """Move inputs to JAX arrays once (float arrays in JAX's default float dtype)."""
    def conv(a: Any) -> jax.Array:
        a = np.asarray(a)
        return jnp.asarray(a) if a.dtype.kind in "bi" else jnp.asarray(a, dtype=jnp.result_type(float))
    return UnitArrays(*(conv(a) for a in units)), RuleArrays(*(conv(a) for a in rules))


def account_jax(units: UnitArrays, generation_mwh: Any, rules: RuleArrays,
                config: AccountingConfig) -> dict[str, np.ndarray]:
    u, r = to_device(units, rules)
    gen = jnp.asarray(np.asarray(generation_mwh), dtype=jnp.result_type(float))
    out = account_jax_arrays(u, gen, r, config)
    return {k: np.asarray(v, dtype=float) for k, v in out.items()}
