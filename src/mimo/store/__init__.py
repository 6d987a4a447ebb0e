"""Where MIMO keeps clusters, subscriptions, manifests and schedules.

:class:`Store` is the interface (:mod:`mimo.store.base`); :class:`SqliteStore`
is the embedded default (one file, WAL mode) and :class:`MemoryStore` the
in-memory twin for tests and replays. :func:`open_store` opens either from a
path (``":memory:"`` gives a MemoryStore).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mimo.store.base import (
    PATCH_ATTEMPTS,
    ClusterAccess,
    ClusterMutator,
    Store,
    StoreAlreadyExists,
    StoreConflict,
    StoreError,
    StoreNotFound,
)

if TYPE_CHECKING:
    from mimo.store.memory import MemoryStore
    from mimo.store.sqlite import SqliteStore

__all__ = [
    "PATCH_ATTEMPTS",
    "ClusterAccess",
    "ClusterMutator",
    "MemoryStore",
    "SqliteStore",
    "Store",
    "StoreAlreadyExists",
    "StoreConflict",
    "StoreError",
    "StoreNotFound",
    "open_store",
]


def __getattr__(name: str) -> Any:
    if name == "MemoryStore":
        from mimo.store.memory import MemoryStore

        return MemoryStore
    if name == "SqliteStore":
        from mimo.store.sqlite import SqliteStore

        return SqliteStore
    raise AttributeError(f"module 'mimo.store' has no attribute {name!r}")


def open_store(path: str) -> Store:
    """A :class:`SqliteStore` on ``path``, or a :class:`MemoryStore` for ``":memory:"``."""
    if path == ":memory:":
        from mimo.store.memory import MemoryStore

        return MemoryStore()
    from mimo.store.sqlite import SqliteStore

    return SqliteStore(path)
