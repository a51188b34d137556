"""Save and restore parameter pytrees as msgpack (flax.serialization) — no pickle."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flax import serialization

__all__ = ["save_pytree", "load_pytree"]


def save_pytree(path: str | os.PathLike, tree: Any) -> None:
    """Write ``tree`` (arrays, dicts, lists) to ``path`` in msgpack format."""
    Path(path).write_bytes(serialization.msgpack_serialize(serialization.to_state_dict(tree)))


def load_pytree(path: str | os.PathLike, target: Any | None = None) -> Any:
    """Read a msgpack pytree; with ``target`` the structure and leaf types of ``target`` are restored."""
    state = serialization.msgpack_restore(Path(path).read_bytes())
    return state if target is None else serialization.from_state_dict(target, state)
