"""The embedded default store: one SQLite file in WAL mode.

* The schema is created on first use and versioned with ``PRAGMA user_version``
  (:data:`SCHEMA_VERSION`); a file from a newer version is refused by name.
* Each thread gets its own connection (``sqlite3`` connections are not shared
  between threads); several processes may open one file at once: writers wait
  for each other up to ``busy_timeout`` seconds.
* Every state-changing manifest write is one conditional ``UPDATE … WHERE``
  (state, lease owner, lease expiry in the condition), so it is atomic and a
  lost race shows as zero rows changed. Multi-row writes run in
  ``BEGIN IMMEDIATE`` transactions.
* ``synchronous=NORMAL`` (the WAL default advice): a killed *process* loses no
  committed write; only a power cut may lose the last commits, never corrupt.
  Pass ``synchronous="FULL"`` for power-cut durability.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from mimo.api import (
    MANIFEST_STATES,
    MaintenanceManifest,
    MaintenanceSchedule,
    ManifestState,
    OpenShiftClusterDocument,
    SubscriptionDocument,
)
from mimo.store.base import (
    PATCH_ATTEMPTS,
    CancelAndCreate,
    ClusterAccess,
    ClusterMutator,
    StoreAlreadyExists,
    StoreConflict,
    StoreError,
    StoreNotFound,
)
from mimo.store.pool import BUCKETS, PoolAllocation, master_refresh, owned_buckets
from mimo.store.rules import check_finish_state, norm_id, plan_groups

__all__ = ["SqliteStore", "SCHEMA_VERSION"]

SCHEMA_VERSION = 3
#: schema 3 adds the pool workers' tables (mimo.store.pool); schema 1 stored ``properties.archVersion`` 1/2 (absent = 2); schema 2 stores Go's
#: ``properties.architectureVersion`` 0/1 (``api.ArchitectureVersionV1`` = 0, ``V2`` = 1)
_ARCH_1_TO_2 = {1: 0, 2: 1}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS clusters (
    resource_id TEXT PRIMARY KEY,
    doc         TEXT NOT NULL,
    access      TEXT,
    version     INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS subscriptions (
    id  TEXT PRIMARY KEY,
    doc TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS manifests (
    id                  TEXT PRIMARY KEY,
    cluster_resource_id TEXT NOT NULL,
    maintenance_task_id TEXT NOT NULL,
    state               TEXT NOT NULL,
    status_text         TEXT NOT NULL DEFAULT '',
    priority            INTEGER NOT NULL DEFAULT 0,
    run_after           INTEGER NOT NULL,
    run_before          INTEGER NOT NULL,
    created_by_schedule TEXT NOT NULL DEFAULT '',
    dequeues            INTEGER NOT NULL DEFAULT 0,
    lease_owner         TEXT NOT NULL DEFAULT '',
    lease_expires       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS manifests_by_state ON manifests (state, cluster_resource_id, run_after, priority);
CREATE INDEX IF NOT EXISTS manifests_by_cluster ON manifests (cluster_resource_id, run_after, priority);
CREATE INDEX IF NOT EXISTS manifests_by_schedule ON manifests (created_by_schedule, cluster_resource_id);
CREATE TABLE IF NOT EXISTS schedules (
    id  TEXT PRIMARY KEY,
    doc TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS pool_workers (
    pool    TEXT NOT NULL,
    worker  TEXT NOT NULL,
    expires INTEGER NOT NULL,
    PRIMARY KEY (pool, worker)
);
CREATE TABLE IF NOT EXISTS pool_masters (
    pool    TEXT PRIMARY KEY,
    owner   TEXT NOT NULL,
    expires INTEGER NOT NULL,
    buckets TEXT NOT NULL
);
"""

_COLS = (
    "id",
    "cluster_resource_id",
    "maintenance_task_id",
    "state",
    "status_text",
    "priority",
    "run_after",
    "run_before",
    "created_by_schedule",
    "dequeues",
    "lease_owner",
    "lease_expires",
)
_SELECT = f"SELECT {', '.join(_COLS)} FROM manifests"
_ORDER = " ORDER BY run_after, priority, id"
#: ``UPDATE … RETURNING`` arrived in SQLite 3.35; older libraries take a short transaction instead
_HAS_RETURNING = sqlite3.sqlite_version_info >= (3, 35, 0)
_RUNNABLE = "state = 'Pending' AND run_after <= ? AND (lease_owner = '' OR lease_expires < ?)"


def _held(manifest_id: str, owner: str, generation: int | None) -> tuple[str, tuple[Any, ...]]:
    """The condition 'owner holds this lease (of this generation, when given)' and its arguments."""
    if generation is None:
        return "id = ? AND state = 'InProgress' AND lease_owner = ?", (manifest_id, owner)
    return "id = ? AND state = 'InProgress' AND lease_owner = ? AND dequeues = ?", (manifest_id, owner, generation)


def _chunks(items: Sequence[str], size: int = 500) -> Iterator[Sequence[str]]:
    """``items`` in slices of ``size`` (SQLite limits the number of parameters of a statement)."""
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _row_to_manifest(row: tuple[Any, ...]) -> MaintenanceManifest:
    # the row was validated on the way in; skip __post_init__ validation for speed
    m = object.__new__(MaintenanceManifest)
    for name, value in zip(_COLS, row, strict=True):
        object.__setattr__(m, name, value)
    return m


class SqliteStore:
    """A :class:`~mimo.store.base.Store` in one SQLite file."""

    def __init__(self, path: str | os.PathLike[str], *, busy_timeout: float = 30.0, synchronous: str = "NORMAL") -> None:
        if synchronous.upper() not in ("OFF", "NORMAL", "FULL", "EXTRA"):
            raise ValueError(f"synchronous: {synchronous!r} is not OFF, NORMAL, FULL or EXTRA")
        self.path = os.fspath(path)
        self._busy_timeout = float(busy_timeout)
        self._synchronous = synchronous.upper()
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._all_lock = threading.Lock()
        # threads of this process take turns to write: waiting on a Python lock wakes at once,
        # where SQLite's busy handler sleeps in steps of milliseconds (processes still use it)
        self._wlock = threading.RLock()
        self._closed = False
        self._init_schema()

    def __repr__(self) -> str:
        return f"SqliteStore({self.path!r})"

    # -- connections ------------------------------------------------------------------------
    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None:
            return conn
        if self._closed:
            raise StoreError(f"store {self.path!r} is closed")
        conn = sqlite3.connect(
            self.path, timeout=self._busy_timeout, isolation_level=None, check_same_thread=False
        )
        conn.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout * 1000)}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute(f"PRAGMA synchronous = {self._synchronous}")
        self._local.conn = conn
        with self._all_lock:
            self._all.append(conn)
        return conn

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` … ``COMMIT`` (rolled back on any error)."""
        conn = self._conn()
        with self._wlock:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def _write(self, sql: str, args: Any = ()) -> sqlite3.Cursor:
        """One autocommitted write statement (atomic by itself)."""
        conn = self._conn()
        with self._wlock:
            return conn.execute(sql, args)

    def _init_schema(self) -> None:
        with self._tx() as conn:
            (version,) = conn.execute("PRAGMA user_version").fetchone()
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"store {self.path!r} has schema version {version}; this mimo knows up to {SCHEMA_VERSION}"
                )
            if version < SCHEMA_VERSION:
                for stmt in _SCHEMA.split(";"):
                    if stmt.strip():
                        conn.execute(stmt)
                if version == 1:
                    self._migrate_architecture_version(conn)
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def _migrate_architecture_version(self, conn: sqlite3.Connection) -> None:
        """Schema 1 → 2: every cluster's ``archVersion`` (1/2) becomes Go's ``architectureVersion`` (0/1)."""
        rows = conn.execute("SELECT resource_id, doc FROM clusters").fetchall()
        for rid, data in rows:
            doc = json.loads(data)
            props = (doc.get("openShiftCluster") or {}).get("properties")
            if not isinstance(props, dict) or "architectureVersion" in props:
                continue
            old = props.pop("archVersion", 2)
            if old not in _ARCH_1_TO_2:
                raise StoreError(
                    f"store {self.path!r}: cluster {rid}: archVersion {old!r} is not 1 or 2; cannot migrate"
                )
            props["architectureVersion"] = _ARCH_1_TO_2[old]
            conn.execute(
                "UPDATE clusters SET doc = ?, version = version + 1 WHERE resource_id = ?", (json.dumps(doc), rid)
            )

    # -- pool workers -----------------------------------------------------------------------
    def pool_refresh(
        self, pool: str, worker: str, now: int, *, ttl: int, bucket_count: int = BUCKETS
    ) -> PoolAllocation:
        with self._tx() as conn:
            conn.execute("DELETE FROM pool_workers WHERE pool = ? AND expires < ?", (pool, now))
            conn.execute(
                "INSERT OR REPLACE INTO pool_workers (pool, worker, expires) VALUES (?, ?, ?)",
                (pool, worker, now + ttl),
            )
            row = conn.execute("SELECT owner, expires, buckets FROM pool_masters WHERE pool = ?", (pool,)).fetchone()
            owner, expires, alloc = (row[0], row[1], json.loads(row[2])) if row else (None, 0, [])
            live = [r[0] for r in conn.execute("SELECT worker FROM pool_workers WHERE pool = ?", (pool,))]
            master, alloc = master_refresh(owner, expires, alloc, worker, now, live, bucket_count)
            if master:
                conn.execute(
                    "INSERT OR REPLACE INTO pool_masters (pool, owner, expires, buckets) VALUES (?, ?, ?, ?)",
                    (pool, worker, now + ttl, json.dumps(alloc)),
                )
        return PoolAllocation(owned_buckets(alloc, worker), master)

    def close(self) -> None:
        self._closed = True
        with self._all_lock:
            conns, self._all = self._all, []
        for c in conns:
            c.close()
        self._local = threading.local()

    # -- clusters ---------------------------------------------------------------------------
    def put_cluster(self, doc: OpenShiftClusterDocument, access: ClusterAccess | None = None) -> None:
        data = json.dumps(doc.to_dict())
        with self._tx() as conn:
            row = conn.execute("SELECT access, version FROM clusters WHERE resource_id = ?", (doc.resource_id,)).fetchone()
            acc = json.dumps(access.to_dict()) if access is not None else (row[0] if row else None)
            version = row[1] + 1 if row else 1
            conn.execute(
                "INSERT OR REPLACE INTO clusters (resource_id, doc, access, version) VALUES (?, ?, ?, ?)",
                (doc.resource_id, data, acc, version),
            )

    def _cluster_row(self, resource_id: str) -> tuple[str, str | None, int]:
        rid = norm_id(resource_id)
        row = self._conn().execute(
            "SELECT doc, access, version FROM clusters WHERE resource_id = ?", (rid,)
        ).fetchone()
        if row is None:
            raise StoreNotFound("cluster", rid)
        return row[0], row[1], row[2]

    def get_cluster(self, resource_id: str) -> OpenShiftClusterDocument:
        return OpenShiftClusterDocument.from_dict(json.loads(self._cluster_row(resource_id)[0]))

    def get_cluster_access(self, resource_id: str) -> ClusterAccess | None:
        acc = self._cluster_row(resource_id)[1]
        return ClusterAccess.from_dict(json.loads(acc)) if acc else None

    def list_clusters(self) -> list[OpenShiftClusterDocument]:
        rows = self._conn().execute("SELECT doc FROM clusters ORDER BY resource_id").fetchall()
        return [OpenShiftClusterDocument.from_dict(json.loads(r[0])) for r in rows]

    def patch_cluster(self, resource_id: str, mutator: ClusterMutator) -> OpenShiftClusterDocument:
        rid = norm_id(resource_id)
        for _ in range(PATCH_ATTEMPTS):
            data, _acc, version = self._cluster_row(rid)
            doc = OpenShiftClusterDocument.from_dict(json.loads(data))
            mutator(doc)
            if doc.resource_id != rid:
                raise ValueError(f"patch_cluster: the mutator changed the resource ID of {rid}")
            new = doc.to_dict()
            OpenShiftClusterDocument.from_dict(new)  # validates
            cur = self._write(
                "UPDATE clusters SET doc = ?, version = version + 1 WHERE resource_id = ? AND version = ?",
                (json.dumps(new), rid, version),
            )
            if cur.rowcount == 1:
                return OpenShiftClusterDocument.from_dict(new)
        raise StoreConflict(f"cluster {rid!r}: document changed under {PATCH_ATTEMPTS} patch attempts in a row")

    def delete_cluster(self, resource_id: str) -> None:
        rid = norm_id(resource_id)
        cur = self._write("DELETE FROM clusters WHERE resource_id = ?", (rid,))
        if cur.rowcount == 0:
            raise StoreNotFound("cluster", rid)

    # -- subscriptions ----------------------------------------------------------------------
    def put_subscription(self, doc: SubscriptionDocument) -> None:
        self._write(
            "INSERT OR REPLACE INTO subscriptions (id, doc) VALUES (?, ?)", (doc.id, json.dumps(doc.to_dict()))
        )

    def get_subscription(self, subscription_id: str) -> SubscriptionDocument:
        row = self._conn().execute(
            "SELECT doc FROM subscriptions WHERE id = ?", (subscription_id.lower(),)
        ).fetchone()
        if row is None:
            raise StoreNotFound("subscription", subscription_id)
        return SubscriptionDocument.from_dict(json.loads(row[0]))

    def list_subscriptions(self) -> list[SubscriptionDocument]:
        rows = self._conn().execute("SELECT doc FROM subscriptions ORDER BY id").fetchall()
        return [SubscriptionDocument.from_dict(json.loads(r[0])) for r in rows]

    # -- manifests --------------------------------------------------------------------------
    def create_manifest(self, manifest: MaintenanceManifest) -> MaintenanceManifest:
        manifest.validate()
        values = tuple(getattr(manifest, c) for c in _COLS)
        try:
            self._write(
                f"INSERT INTO manifests ({', '.join(_COLS)}) VALUES ({', '.join('?' * len(_COLS))})", values
            )
        except sqlite3.IntegrityError:
            raise StoreAlreadyExists(f"manifest {manifest.id!r} already exists") from None
        return _row_to_manifest(values)

    def get_manifest(self, manifest_id: str) -> MaintenanceManifest:
        row = self._conn().execute(f"{_SELECT} WHERE id = ?", (manifest_id,)).fetchone()
        if row is None:
            raise StoreNotFound("manifest", manifest_id)
        return _row_to_manifest(row)

    def _query(self, where: str, args: Iterable[Any]) -> list[MaintenanceManifest]:
        sql = _SELECT + (f" WHERE {where}" if where else "") + _ORDER
        return [_row_to_manifest(r) for r in self._conn().execute(sql, tuple(args)).fetchall()]

    def list_manifests(
        self,
        cluster_resource_id: str | None = None,
        schedule_id: str | None = None,
        states: Iterable[str] | None = None,
    ) -> list[MaintenanceManifest]:
        conds: list[str] = []
        args: list[Any] = []
        if cluster_resource_id is not None:
            conds.append("cluster_resource_id = ?")
            args.append(norm_id(cluster_resource_id))
        if schedule_id is not None:
            conds.append("created_by_schedule = ?")
            args.append(schedule_id)
        if states is not None:
            st = list(states)
            if not st:
                return []
            conds.append(f"state IN ({', '.join('?' * len(st))})")
            args.extend(st)
        return self._query(" AND ".join(conds), args)

    def runnable_manifests(self, cluster_resource_id: str, now: int) -> list[MaintenanceManifest]:
        return self._query(f"cluster_resource_id = ? AND {_RUNNABLE}", (norm_id(cluster_resource_id), now, now))

    def clusters_with_runnable_work(self, now: int) -> list[str]:
        rows = self._conn().execute(
            f"SELECT DISTINCT cluster_resource_id FROM manifests WHERE ({_RUNNABLE})"
            " OR (state = 'InProgress' AND lease_expires < ?) ORDER BY cluster_resource_id",
            (now, now, now),
        ).fetchall()
        return [r[0] for r in rows]

    def next_work_after(self, now: int) -> int | None:
        row = self._conn().execute(
            "SELECT MIN(t) FROM (SELECT CASE"
            " WHEN state = 'Pending' AND lease_owner != '' THEN MAX(run_after, lease_expires + 1)"
            " WHEN state = 'Pending' THEN run_after"
            " ELSE lease_expires + 1 END AS t"
            " FROM manifests WHERE state IN ('Pending', 'InProgress')) WHERE t > ?",
            (now,),
        ).fetchone()
        return None if row is None or row[0] is None else int(row[0])

    def count_manifests(self) -> dict[str, int]:
        rows = dict(self._conn().execute("SELECT state, COUNT(*) FROM manifests GROUP BY state").fetchall())
        return {st: int(rows[st]) for st in MANIFEST_STATES if rows.get(st)}

    def future_manifests(self, schedule_id: str, cluster_resource_id: str, now: int) -> list[MaintenanceManifest]:
        return self._query(
            "created_by_schedule = ? AND cluster_resource_id = ? AND state = 'Pending' AND run_after > ?",
            (schedule_id, norm_id(cluster_resource_id), now),
        )

    def lease_manifest(self, manifest_id: str, owner: str, expires: int, now: int) -> MaintenanceManifest | None:
        if not owner:
            raise ValueError("lease_manifest: owner must not be empty")
        sql = (
            "UPDATE manifests SET state = 'InProgress', lease_owner = ?, lease_expires = ?,"
            f" dequeues = dequeues + 1 WHERE id = ? AND {_RUNNABLE}"
        )
        args = (owner, int(expires), manifest_id, now, now)
        if _HAS_RETURNING:  # one statement, one implicit transaction
            conn = self._conn()
            with self._wlock:
                rows = conn.execute(f"{sql} RETURNING {', '.join(_COLS)}", args).fetchall()
            return _row_to_manifest(rows[0]) if rows else None
        with self._tx() as conn:
            cur = conn.execute(sql, args)
            if cur.rowcount != 1:
                return None
            row = conn.execute(f"{_SELECT} WHERE id = ?", (manifest_id,)).fetchone()
        return _row_to_manifest(row)

    def renew_lease(self, manifest_id: str, owner: str, expires: int, *, generation: int | None = None) -> bool:
        if not owner:
            return False
        held, args = _held(manifest_id, owner, generation)
        cur = self._write(f"UPDATE manifests SET lease_expires = ? WHERE {held}", (int(expires), *args))
        return cur.rowcount == 1

    def finish_manifest(
        self, manifest_id: str, owner: str, state: str, status_text: str, *, generation: int | None = None
    ) -> bool:
        check_finish_state(state)
        if not owner:
            return False
        held, args = _held(manifest_id, owner, generation)
        cur = self._write(
            f"UPDATE manifests SET state = ?, status_text = ?, lease_owner = '', lease_expires = 0 WHERE {held}",
            (state, status_text, *args),
        )
        return cur.rowcount == 1

    def set_state(
        self,
        manifest_id: str,
        state: str,
        status_text: str,
        *,
        expect_states: Iterable[str] = (ManifestState.PENDING,),
    ) -> bool:
        check_finish_state(state)
        expect = list(expect_states)
        if not expect:
            raise ValueError("set_state: expect_states must not be empty")
        cur = self._write(
            "UPDATE manifests SET state = ?, status_text = ?, lease_owner = '', lease_expires = 0"
            f" WHERE id = ? AND state IN ({', '.join('?' * len(expect))})",
            (state, status_text, manifest_id, *expect),
        )
        if cur.rowcount == 1:
            return True
        self.get_manifest(manifest_id)  # StoreNotFound when missing
        return False

    def recover_expired_leases(
        self,
        now: int,
        cluster_resource_id: str | None = None,
        *,
        max_dequeues: int | None = None,
        exhausted_text: str = "",
    ) -> list[str]:
        cond = "state = 'InProgress' AND lease_expires < ?"
        args: list[Any] = [now]
        if cluster_resource_id is not None:
            cond += " AND cluster_resource_id = ?"
            args.append(norm_id(cluster_resource_id))
        limit = max_dequeues if max_dequeues is not None else 2**62
        # a cheap read first: most passes find nothing and should not take the write lock
        if self._conn().execute(f"SELECT 1 FROM manifests WHERE {cond} LIMIT 1", args).fetchone() is None:
            return []
        with self._tx() as conn:
            rows = conn.execute(f"SELECT id, dequeues FROM manifests WHERE {cond}", args).fetchall()
            conn.executemany(
                "UPDATE manifests SET state = 'Pending', lease_owner = '', lease_expires = 0"
                " WHERE id = ? AND state = 'InProgress'",
                [(i,) for i, d in rows if d < limit],
            )
            conn.executemany(
                "UPDATE manifests SET state = 'RetriesExceeded', status_text = ?, lease_owner = '', lease_expires = 0"
                " WHERE id = ? AND state = 'InProgress'",
                [(exhausted_text, i) for i, d in rows if d >= limit],
            )
        return sorted(r[0] for r in rows)

    def cancel_manifest(self, manifest_id: str) -> bool:
        return self.set_state(manifest_id, ManifestState.CANCELLED, "", expect_states=(ManifestState.PENDING,))

    def cancel_schedule_manifests(self, schedule_id: str) -> list[str]:
        with self._tx() as conn:
            ids = [
                r[0]
                for r in conn.execute(
                    "SELECT id FROM manifests WHERE created_by_schedule = ? AND state = 'Pending'", (schedule_id,)
                ).fetchall()
            ]
            conn.executemany(
                "UPDATE manifests SET state = 'Cancelled', lease_owner = '', lease_expires = 0"
                " WHERE id = ? AND state = 'Pending'",
                [(i,) for i in ids],
            )
        return sorted(ids)

    def cancel_and_create(
        self, cancel_ids: Sequence[str], status_text: str, manifests: Sequence[MaintenanceManifest]
    ) -> list[MaintenanceManifest] | None:
        return self.cancel_and_create_many([(cancel_ids, manifests)], status_text)[0]

    def cancel_and_create_many(
        self, groups: Sequence[CancelAndCreate], status_text: str
    ) -> list[list[MaintenanceManifest] | None]:
        plans = plan_groups(groups, lambda m: tuple(getattr(m, c) for c in _COLS))
        every = [i for ids, _ in plans for i in ids]
        out: list[list[MaintenanceManifest] | None] = []
        insert = f"INSERT OR IGNORE INTO manifests ({', '.join(_COLS)}) VALUES ({', '.join('?' * len(_COLS))})"
        # BEGIN IMMEDIATE holds the write lock: what we read here stays true until COMMIT
        with self._tx() as conn:
            pending: set[str] = set()
            for chunk in _chunks(every):
                pending.update(
                    r[0]
                    for r in conn.execute(
                        f"SELECT id FROM manifests WHERE state = 'Pending' AND id IN ({', '.join('?' * len(chunk))})",
                        chunk,
                    )
                )
            cancel: list[str] = []
            for ids, values in plans:
                if not pending.issuperset(ids):
                    out.append(None)
                    continue
                pending.difference_update(ids)  # a later group naming one of them fails
                cancel += ids
                out.append([_row_to_manifest(v) for v in values if conn.execute(insert, v).rowcount == 1])
            for chunk in _chunks(cancel):
                conn.execute(
                    "UPDATE manifests SET state = 'Cancelled', status_text = ?, lease_owner = '',"
                    f" lease_expires = 0 WHERE id IN ({', '.join('?' * len(chunk))})",
                    (status_text, *chunk),
                )
        return out

    def delete_manifest(self, manifest_id: str) -> None:
        cur = self._write("DELETE FROM manifests WHERE id = ?", (manifest_id,))
        if cur.rowcount == 0:
            raise StoreNotFound("manifest", manifest_id)

    # -- schedules --------------------------------------------------------------------------
    def put_schedule(self, schedule: MaintenanceSchedule) -> None:
        schedule.validate()
        self._write(
            "INSERT OR REPLACE INTO schedules (id, doc) VALUES (?, ?)", (schedule.id, json.dumps(schedule.to_dict()))
        )

    def get_schedule(self, schedule_id: str) -> MaintenanceSchedule:
        row = self._conn().execute("SELECT doc FROM schedules WHERE id = ?", (schedule_id,)).fetchone()
        if row is None:
            raise StoreNotFound("schedule", schedule_id)
        return MaintenanceSchedule.from_dict(json.loads(row[0]))

    def list_schedules(self) -> list[MaintenanceSchedule]:
        rows = self._conn().execute("SELECT doc FROM schedules ORDER BY id").fetchall()
        return [MaintenanceSchedule.from_dict(json.loads(r[0])) for r in rows]
