"""Where MIMO keeps clusters, subscriptions, manifests and schedules.

:class:`Store` is the interface (:mod:`mimo.store.base`); :class:`SqliteStore`
is the embedded default (one file, WAL mode), :class:`PostgresStore` the
fleet store (one PostgreSQL database shared by many hosts) and
:class:`MemoryStore` the in-memory twin for tests and replays.
:func:`open_store` opens one from a path or URL (``postgresql://…`` gives a
PostgresStore, ``":memory:"`` a MemoryStore, anything else a SQLite file).
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
    from mimo.store.postgres import PostgresStore
    from mimo.store.sqlite import SqliteStore

__all__ = [
    "PATCH_ATTEMPTS",
    "ClusterAccess",
    "ClusterMutator",
    "MemoryStore",
    "PostgresStore",
    "SqliteStore",
    "Store",
    "StoreAlreadyExists",
    "StoreConflict",
    "StoreError",
    "StoreNotFound",
    "is_store_url",
    "open_store",
]


def __getattr__(name: str) -> Any:
    if name == "MemoryStore":
        from mimo.store.memory import MemoryStore

        return MemoryStore
    if name == "SqliteStore":
        from mimo.store.sqlite import SqliteStore

        return SqliteStore
    if name == "PostgresStore":
        from mimo.store.postgres import PostgresStore

        return PostgresStore
    raise AttributeError(f"module 'mimo.store' has no attribute {name!r}")


def is_store_url(path: str) -> bool:
    """``postgresql://…`` or ``postgres://…``: a database server, not a file."""
    return path.startswith(("postgresql://", "postgres://"))


def open_store(path: str) -> Store:
    """A :class:`PostgresStore` for a ``postgresql://`` URL, a :class:`MemoryStore` for
    ``":memory:"``, else a :class:`SqliteStore` on the file ``path``."""
    if is_store_url(path):
        from mimo.store.postgres import PostgresStore

        return PostgresStore(path)
    if path == ":memory:":
        from mimo.store.memory import MemoryStore

        return MemoryStore()
    from mimo.store.sqlite import SqliteStore

    return SqliteStore(path)
