"""Find Sophia's state inside any optax state (chain, inject_hyperparams, MultiSteps, masks)."""

from __future__ import annotations

from typing import Any

import jax

from ._sophia import SophiaState, _as_key

__all__ = ["set_sophia_key", "sophia_diagnostics"]


def _is_sophia(x) -> bool:
    return isinstance(x, SophiaState)


def set_sophia_key(opt_state: Any, key: jax.Array | int) -> Any:
    """Return ``opt_state`` with every Sophia probe key replaced by ``key``.

    Use it for independent probes per seed under ``vmap``::

        def run(seed_key):
            params = model.init(seed_key, x)
            state = set_sophia_key(tx.init(params), jax.random.fold_in(seed_key, 1))
            ...
        jax.vmap(run)(jax.random.split(key, n_seeds))

    Arguments:
        opt_state: any optax state that may contain :class:`SophiaState` (others pass through).
        key: a raw ``uint32[2]`` key, a typed key or an integer seed.

    Returns:
        The same structure with the keys replaced.
    """
    new_key = _as_key(key)
    return jax.tree.map(
        lambda s: s._replace(key=new_key) if _is_sophia(s) else s, opt_state, is_leaf=_is_sophia
    )


def sophia_diagnostics(opt_state: Any) -> dict[str, jax.Array] | None:
    """The first Sophia's diagnostics as a dict (``win_rate``, ``h_norm``, ...), or None.

    ``win_rate`` is the fraction of coordinates whose ratio ``|m / max(gamma h, eps)|`` stayed below
    the clip threshold on the last step; the paper's healthy range is 0.1 to 0.5 (raise gamma if it
    is too low).
    """
    found = [s for s in jax.tree.leaves(opt_state, is_leaf=_is_sophia) if _is_sophia(s)]
    if not found:
        return None
    stats = found[0].stats
    return {**stats._asdict(), "count": found[0].count}
