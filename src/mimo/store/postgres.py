"""The fleet store: one PostgreSQL database shared by every actuator and scheduler host.

``PostgresStore("postgresql://user@host:5432/mimo")`` (or ``--store`` /
``MIMO_STORE`` with such a URL) honours the same contract as the SQLite and
memory stores (one test suite runs over all three). How:

* **Schema.** Created and migrated by the program: :data:`MIGRATIONS` is a list
  of numbered steps, applied in order inside one transaction that holds an
  advisory lock (so hosts starting together do not race), each recorded in
  ``mimo_schema_migrations``. A database whose newest recorded version is
  above :data:`SCHEMA_VERSION` (written by a newer mimo) is refused by name,
  before anything is written.
* **Conditional writes.** Every state change is one ``UPDATE … WHERE`` naming the
  state, the lease owner and (when given) the lease generation it expects, run
  as a single autocommitted statement: PostgreSQL re-checks the condition on
  the newest row version when two writers meet (``READ COMMITTED``), so a lost
  race shows as zero rows, never as two winners. Leasing is that one statement
  too (the equivalent of ``SELECT … FOR UPDATE SKIP LOCKED`` for one row).
  Writes of several rows are single statements as well (``UPDATE … RETURNING``),
  hence atomic; :meth:`cancel_and_create_many` is one transaction of three
  statements whatever the number of groups (lock the manifests to cancel with
  ``SELECT … FOR UPDATE`` in ID order, cancel those of the groups that can go,
  insert every manifest with one ``unnest``), so a scheduler pass costs a
  round trip per batch of clusters, not per cluster.
* **Connection pool.** ``psycopg_pool.ConnectionPool`` (``pool_size``
  connections at most, autocommit), shared by the threads of the process.
* **Transient errors** (connection lost, serialization failure, deadlock, no
  connection from the pool in time) are retried with exponential back-off
  (:data:`RETRY_ATTEMPTS` tries). A write whose connection broke may or may
  not have committed; every retried write is either idempotent (its condition
  fails the second time) or checks, when the retry finds nothing to change,
  whether the row already shows *its* write (a created manifest equal to
  ours, our lease, our final state with our generation, our patched cluster
  version), so a retry never creates, leases or patches twice and never
  reports a write of ours as someone else's. After the last try a
  :class:`~mimo.store.base.StoreError` names the operation and the error.
* **Secrets.** The URL's password never appears in ``repr``, logs or errors.
"""

from __future__ import annotations

import logging
import random
import re
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import errors as pg_errors
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool, PoolTimeout

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

__all__ = ["PostgresStore", "SCHEMA_VERSION", "MIGRATIONS", "RETRY_ATTEMPTS", "redact_url", "is_postgres_url"]

T = TypeVar("T")
log = logging.getLogger("mimo.store")

#: ``(version, what it does, statements)``, applied in order; never edit a released step, add one
MIGRATIONS: list[tuple[int, str, list[str]]] = [
    (
        1,
        "clusters, subscriptions, manifests, schedules",
        [
            """CREATE TABLE clusters (
                resource_id TEXT PRIMARY KEY,
                doc         JSONB NOT NULL,
                access      JSONB,
                version     BIGINT NOT NULL
            )""",
            "CREATE TABLE subscriptions (id TEXT PRIMARY KEY, doc JSONB NOT NULL)",
            """CREATE TABLE manifests (
                id                  TEXT PRIMARY KEY,
                cluster_resource_id TEXT NOT NULL,
                maintenance_task_id TEXT NOT NULL,
                state               TEXT NOT NULL,
                status_text         TEXT NOT NULL DEFAULT '',
                priority            BIGINT NOT NULL DEFAULT 0,
                run_after           BIGINT NOT NULL,
                run_before          BIGINT NOT NULL,
                created_by_schedule TEXT NOT NULL DEFAULT '',
                dequeues            BIGINT NOT NULL DEFAULT 0,
                lease_owner         TEXT NOT NULL DEFAULT '',
                lease_expires       BIGINT NOT NULL DEFAULT 0
            )""",
            # the actuator's questions read only the manifests that can still run
            "CREATE INDEX manifests_open ON manifests (cluster_resource_id, run_after, priority)"
            " WHERE state IN ('Pending', 'InProgress')",
            "CREATE INDEX manifests_by_cluster ON manifests (cluster_resource_id, run_after, priority)",
            "CREATE INDEX manifests_by_schedule ON manifests (created_by_schedule, cluster_resource_id)",
            "CREATE INDEX manifests_by_state ON manifests (state)",
            "CREATE TABLE schedules (id TEXT PRIMARY KEY, doc JSONB NOT NULL)",
        ],
    ),
    (
        2,
        "pool workers and masters (bucket allocation among actuator hosts)",
        [
            """CREATE TABLE pool_workers (
                pool    TEXT NOT NULL,
                worker  TEXT NOT NULL,
                expires BIGINT NOT NULL,
                PRIMARY KEY (pool, worker)
            )""",
            """CREATE TABLE pool_masters (
                pool    TEXT PRIMARY KEY,
                owner   TEXT NOT NULL,
                expires BIGINT NOT NULL,
                buckets JSONB NOT NULL
            )""",
        ],
    ),
]
SCHEMA_VERSION = MIGRATIONS[-1][0]
#: key of the advisory lock held while migrating (any constant; "mimo" in ASCII)
_MIGRATION_LOCK = 0x6D696D6F

#: tries of one operation on transient errors, with back-off 0.05 s, 0.1 s, 0.2 s, … (capped at 2 s)
RETRY_ATTEMPTS = 6
_BACKOFF_FIRST = 0.05
_BACKOFF_MAX = 2.0

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
_COL_LIST = ", ".join(_COLS)
_SELECT = f"SELECT {_COL_LIST} FROM manifests"
_ORDER = " ORDER BY run_after, priority, id"
_RUNNABLE = "state = 'Pending' AND run_after <= %(now)s AND (lease_owner = '' OR lease_expires < %(now)s)"
_INSERT = f"INSERT INTO manifests ({_COL_LIST}) VALUES ({', '.join('%s' for _ in _COLS)})"
#: column types for ``unnest`` of many manifests at once
_PG_TYPES = ("text", "text", "text", "text", "text", "bigint", "bigint", "bigint", "text", "bigint", "text", "bigint")


def is_postgres_url(s: str) -> bool:
    return s.startswith(("postgresql://", "postgres://"))


def redact_url(url: str) -> str:
    """The URL with any password replaced by ``***`` (also a ``password=`` query parameter)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "postgresql://***"
    netloc = parts.netloc
    if "@" in netloc:
        cred, host = netloc.rsplit("@", 1)
        if ":" in cred:
            cred = cred.split(":", 1)[0] + ":***"
        netloc = f"{cred}@{host}"
    query = re.sub(r"(?i)(password=)[^&]*", r"\1***", parts.query)
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def _row_to_manifest(row: Sequence[Any]) -> MaintenanceManifest:
    # the row was validated on the way in; skip __post_init__ validation for speed
    m = object.__new__(MaintenanceManifest)
    for name, value in zip(_COLS, row, strict=True):
        object.__setattr__(m, name, value)
    return m


def _values(m: MaintenanceManifest) -> tuple[Any, ...]:
    return tuple(getattr(m, c) for c in _COLS)


_TRANSIENT = (psycopg.OperationalError, PoolTimeout)


class _Retry(Exception):
    """Raised inside an operation to ask for another try."""


class PostgresStore:
    """A :class:`~mimo.store.base.Store` in a PostgreSQL database."""

    def __init__(
        self,
        url: str,
        *,
        pool_size: int = 10,
        connect_timeout: float = 10.0,
        retry_attempts: int = RETRY_ATTEMPTS,
    ) -> None:
        if not is_postgres_url(url):
            raise ValueError(f"PostgresStore: {redact_url(url)!r} is not a postgresql:// URL")
        if pool_size < 1:
            raise ValueError("pool_size: must be at least 1")
        self.url = url
        self._shown = redact_url(url)
        self._retry_attempts = max(1, int(retry_attempts))
        self._closed = False
        self._lock = threading.Lock()
        self._rng = random.Random()
        try:
            # the first connection is direct: a bad URL, host or password fails at once, not after retries
            with psycopg.connect(url, connect_timeout=int(connect_timeout), autocommit=True) as conn:
                self._migrate(conn)
        except psycopg.Error as e:
            raise StoreError(f"store {self._shown}: {self._clean(e)}") from None
        self._pool = ConnectionPool(
            url,
            min_size=1,
            max_size=pool_size,
            kwargs={"autocommit": True, "connect_timeout": int(connect_timeout)},
            timeout=connect_timeout,
            open=True,
            name="mimo-store",
        )

    def __repr__(self) -> str:
        return f"PostgresStore({self._shown!r})"

    def _clean(self, e: BaseException | str) -> str:
        """An error's text without the URL's password (libpq may quote the connection string)."""
        text = " ".join(str(e).split())
        pw = urlsplit(self.url).password
        return text.replace(pw, "***") if pw else text

    # -- schema -----------------------------------------------------------------------------
    def _migrate(self, conn: psycopg.Connection[Any]) -> None:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
            conn.execute(
                "CREATE TABLE IF NOT EXISTS mimo_schema_migrations ("
                " version INTEGER PRIMARY KEY, description TEXT NOT NULL,"
                " applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
            )
            row = conn.execute("SELECT COALESCE(MAX(version), 0) FROM mimo_schema_migrations").fetchone()
            current = int(row[0]) if row else 0
            if current > SCHEMA_VERSION:
                raise StoreError(
                    f"store {self._shown} has schema version {current}; this mimo knows up to {SCHEMA_VERSION}"
                )
            for version, what, statements in MIGRATIONS:
                if version <= current:
                    continue
                for stmt in statements:
                    conn.execute(stmt)  # type: ignore[arg-type]  # our own constant SQL
                conn.execute(
                    "INSERT INTO mimo_schema_migrations (version, description) VALUES (%s, %s)", (version, what)
                )
                log.info("store %s: migrated to schema version %d (%s)", self._shown, version, what)

    def schema_version(self) -> int:
        row = self._one("SELECT COALESCE(MAX(version), 0) FROM mimo_schema_migrations")
        return int(row[0]) if row else 0

    # -- pool workers -----------------------------------------------------------------------
    def pool_refresh(
        self, pool: str, worker: str, now: int, *, ttl: int, bucket_count: int = BUCKETS
    ) -> PoolAllocation:
        args = {"pool": pool, "worker": worker, "now": now, "expires": now + ttl}

        def refresh(c: psycopg.Connection[Any], _attempt: int) -> PoolAllocation:
            # idempotent: a retry after a try that committed renews the same heartbeat and lease
            with c.transaction():
                c.execute("DELETE FROM pool_workers WHERE pool = %(pool)s AND expires < %(now)s", args)
                c.execute(
                    "INSERT INTO pool_workers (pool, worker, expires) VALUES (%(pool)s, %(worker)s, %(expires)s)"
                    " ON CONFLICT (pool, worker) DO UPDATE SET expires = EXCLUDED.expires",
                    args,
                )
                # the master document, locked until commit: one master re-balances at a time
                c.execute(
                    "INSERT INTO pool_masters (pool, owner, expires, buckets) VALUES (%(pool)s, '', 0, '[]')"
                    " ON CONFLICT (pool) DO NOTHING",
                    args,
                )
                row = c.execute(
                    "SELECT owner, expires, buckets FROM pool_masters WHERE pool = %(pool)s FOR UPDATE", args
                ).fetchone()
                assert row is not None
                live = [r[0] for r in c.execute("SELECT worker FROM pool_workers WHERE pool = %(pool)s", args)]
                master, alloc = master_refresh(row[0], int(row[1]), list(row[2]), worker, now, live, bucket_count)
                if master:
                    c.execute(
                        "UPDATE pool_masters SET owner = %(worker)s, expires = %(expires)s, buckets = %(alloc)s"
                        " WHERE pool = %(pool)s",
                        {**args, "alloc": Jsonb(alloc)},
                    )
            return PoolAllocation(owned_buckets(alloc, worker), master)

        return self._attempt("pool refresh", refresh)

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._pool.close()

    # -- running statements -----------------------------------------------------------------
    def _attempt(self, what: str, fn: Callable[[psycopg.Connection[Any], int], T]) -> T:
        """Run ``fn(conn, attempt)`` with a pooled connection, retrying transient errors.

        ``attempt`` is 0 on the first try; a later try knows an earlier one may have committed.
        """
        if self._closed:
            raise StoreError(f"store {self._shown} is closed")
        delay = _BACKOFF_FIRST
        last: BaseException | None = None
        for attempt in range(self._retry_attempts):
            try:
                with self._pool.connection() as conn:
                    return fn(conn, attempt)
            except (_TRANSIENT + (_Retry,)) as e:
                if isinstance(e, psycopg.OperationalError) and not _is_transient(e):
                    raise StoreError(f"store {self._shown}: {what}: {self._clean(e)}") from None
                last = e
                if attempt + 1 < self._retry_attempts:
                    log.warning("store %s: %s: %s; retrying in %.2fs", self._shown, what, self._clean(e), delay)
                    time.sleep(delay * (0.5 + self._rng.random()))
                    delay = min(delay * 2, _BACKOFF_MAX)
        raise StoreError(
            f"store {self._shown}: {what}: still failing after {self._retry_attempts} tries: {self._clean(last or '')}"
        )

    def _one(self, sql: str, args: Any = None) -> tuple[Any, ...] | None:
        return self._attempt("read", lambda c, _a: c.execute(sql, args).fetchone())  # type: ignore[arg-type]

    def _all(self, sql: str, args: Any = None) -> list[tuple[Any, ...]]:
        return self._attempt("read", lambda c, _a: c.execute(sql, args).fetchall())  # type: ignore[arg-type]

    # -- clusters ---------------------------------------------------------------------------
    def put_cluster(self, doc: OpenShiftClusterDocument, access: ClusterAccess | None = None) -> None:
        data = Jsonb(doc.to_dict())
        acc = Jsonb(access.to_dict()) if access is not None else None
        self._attempt(
            "put cluster",
            lambda c, _a: c.execute(
                "INSERT INTO clusters (resource_id, doc, access, version) VALUES (%s, %s, %s, 1)"
                " ON CONFLICT (resource_id) DO UPDATE SET doc = EXCLUDED.doc,"
                " access = COALESCE(EXCLUDED.access, clusters.access), version = clusters.version + 1",
                (doc.resource_id, data, acc),
            ),
        )

    def _cluster_row(self, resource_id: str) -> tuple[Any, Any, int]:
        rid = norm_id(resource_id)
        row = self._one("SELECT doc, access, version FROM clusters WHERE resource_id = %s", (rid,))
        if row is None:
            raise StoreNotFound("cluster", rid)
        return row[0], row[1], int(row[2])

    def get_cluster(self, resource_id: str) -> OpenShiftClusterDocument:
        return OpenShiftClusterDocument.from_dict(self._cluster_row(resource_id)[0])

    def get_cluster_access(self, resource_id: str) -> ClusterAccess | None:
        acc = self._cluster_row(resource_id)[1]
        return ClusterAccess.from_dict(acc) if acc else None

    def list_clusters(self) -> list[OpenShiftClusterDocument]:
        rows = self._all("SELECT doc FROM clusters ORDER BY resource_id")
        return [OpenShiftClusterDocument.from_dict(r[0]) for r in rows]

    def patch_cluster(self, resource_id: str, mutator: ClusterMutator) -> OpenShiftClusterDocument:
        rid = norm_id(resource_id)
        for _ in range(PATCH_ATTEMPTS):
            data, _acc, version = self._cluster_row(rid)
            doc = OpenShiftClusterDocument.from_dict(data)
            mutator(doc)
            if doc.resource_id != rid:
                raise ValueError(f"patch_cluster: the mutator changed the resource ID of {rid}")
            new = doc.to_dict()
            OpenShiftClusterDocument.from_dict(new)  # validates

            def write(c: psycopg.Connection[Any], attempt: int, new: Any = new, version: int = version) -> bool:
                cur = c.execute(
                    "UPDATE clusters SET doc = %s, version = version + 1 WHERE resource_id = %s AND version = %s",
                    (Jsonb(new), rid, version),
                )
                if cur.rowcount == 1:
                    return True
                if attempt:  # an earlier try may have committed: is the stored document ours?
                    row = c.execute("SELECT doc, version FROM clusters WHERE resource_id = %s", (rid,)).fetchone()
                    return row is not None and int(row[1]) == version + 1 and row[0] == new
                return False

            if self._attempt("patch cluster", write):
                return OpenShiftClusterDocument.from_dict(new)
        raise StoreConflict(f"cluster {rid!r}: document changed under {PATCH_ATTEMPTS} patch attempts in a row")

    def delete_cluster(self, resource_id: str) -> None:
        rid = norm_id(resource_id)
        # idempotent on retry: a second try finding nothing after the first removed it is still success
        gone = self._attempt(
            "delete cluster",
            lambda c, a: c.execute("DELETE FROM clusters WHERE resource_id = %s", (rid,)).rowcount == 1 or a > 0,
        )
        if not gone:
            raise StoreNotFound("cluster", rid)

    # -- subscriptions ----------------------------------------------------------------------
    def put_subscription(self, doc: SubscriptionDocument) -> None:
        self._attempt(
            "put subscription",
            lambda c, _a: c.execute(
                "INSERT INTO subscriptions (id, doc) VALUES (%s, %s) ON CONFLICT (id) DO UPDATE SET doc = EXCLUDED.doc",
                (doc.id, Jsonb(doc.to_dict())),
            ),
        )

    def get_subscription(self, subscription_id: str) -> SubscriptionDocument:
        row = self._one("SELECT doc FROM subscriptions WHERE id = %s", (subscription_id.lower(),))
        if row is None:
            raise StoreNotFound("subscription", subscription_id)
        return SubscriptionDocument.from_dict(row[0])

    def list_subscriptions(self) -> list[SubscriptionDocument]:
        return [SubscriptionDocument.from_dict(r[0]) for r in self._all("SELECT doc FROM subscriptions ORDER BY id")]

    # -- manifests --------------------------------------------------------------------------
    def create_manifest(self, manifest: MaintenanceManifest) -> MaintenanceManifest:
        manifest.validate()
        values = _values(manifest)

        def write(c: psycopg.Connection[Any], attempt: int) -> bool:
            try:
                c.execute(_INSERT, values)
                return True
            except pg_errors.UniqueViolation:
                if attempt:  # our first try may have committed: the same row is ours
                    row = c.execute(f"{_SELECT} WHERE id = %s", (manifest.id,)).fetchone()
                    return row is not None and tuple(row) == values
                return False

        if not self._attempt("create manifest", write):
            raise StoreAlreadyExists(f"manifest {manifest.id!r} already exists")
        return _row_to_manifest(values)

    def get_manifest(self, manifest_id: str) -> MaintenanceManifest:
        row = self._one(f"{_SELECT} WHERE id = %s", (manifest_id,))
        if row is None:
            raise StoreNotFound("manifest", manifest_id)
        return _row_to_manifest(row)

    def _query(self, where: str, args: Any) -> list[MaintenanceManifest]:
        sql = _SELECT + (f" WHERE {where}" if where else "") + _ORDER
        return [_row_to_manifest(r) for r in self._all(sql, args)]

    def list_manifests(
        self,
        cluster_resource_id: str | None = None,
        schedule_id: str | None = None,
        states: Iterable[str] | None = None,
    ) -> list[MaintenanceManifest]:
        conds: list[str] = []
        args: dict[str, Any] = {}
        if cluster_resource_id is not None:
            conds.append("cluster_resource_id = %(rid)s")
            args["rid"] = norm_id(cluster_resource_id)
        if schedule_id is not None:
            conds.append("created_by_schedule = %(sid)s")
            args["sid"] = schedule_id
        if states is not None:
            st = list(states)
            if not st:
                return []
            conds.append("state = ANY(%(states)s)")
            args["states"] = st
        return self._query(" AND ".join(conds), args)

    def runnable_manifests(self, cluster_resource_id: str, now: int) -> list[MaintenanceManifest]:
        return self._query(
            f"cluster_resource_id = %(rid)s AND {_RUNNABLE}", {"rid": norm_id(cluster_resource_id), "now": now}
        )

    def clusters_with_runnable_work(self, now: int) -> list[str]:
        rows = self._all(
            "SELECT DISTINCT cluster_resource_id FROM manifests WHERE state IN ('Pending', 'InProgress')"
            f" AND (({_RUNNABLE}) OR (state = 'InProgress' AND lease_expires < %(now)s))"
            " ORDER BY cluster_resource_id",
            {"now": now},
        )
        return [r[0] for r in rows]

    def next_work_after(self, now: int) -> int | None:
        row = self._one(
            "SELECT MIN(t) FROM (SELECT CASE"
            " WHEN state = 'Pending' AND lease_owner != '' THEN GREATEST(run_after, lease_expires + 1)"
            " WHEN state = 'Pending' THEN run_after"
            " ELSE lease_expires + 1 END AS t"
            " FROM manifests WHERE state IN ('Pending', 'InProgress')) AS w WHERE t > %s",
            (now,),
        )
        return None if row is None or row[0] is None else int(row[0])

    def count_manifests(self) -> dict[str, int]:
        rows = dict(self._all("SELECT state, COUNT(*) FROM manifests GROUP BY state"))
        return {st: int(rows[st]) for st in MANIFEST_STATES if rows.get(st)}

    def future_manifests(self, schedule_id: str, cluster_resource_id: str, now: int) -> list[MaintenanceManifest]:
        return self._query(
            "created_by_schedule = %(sid)s AND cluster_resource_id = %(rid)s AND state = 'Pending'"
            " AND run_after > %(now)s",
            {"sid": schedule_id, "rid": norm_id(cluster_resource_id), "now": now},
        )

    def lease_manifest(self, manifest_id: str, owner: str, expires: int, now: int) -> MaintenanceManifest | None:
        if not owner:
            raise ValueError("lease_manifest: owner must not be empty")
        args = {"owner": owner, "expires": int(expires), "id": manifest_id, "now": now}

        def write(c: psycopg.Connection[Any], attempt: int) -> MaintenanceManifest | None:
            row = c.execute(
                "UPDATE manifests SET state = 'InProgress', lease_owner = %(owner)s, lease_expires = %(expires)s,"
                f" dequeues = dequeues + 1 WHERE id = %(id)s AND {_RUNNABLE} RETURNING {_COL_LIST}",
                args,
            ).fetchone()
            if row is None and attempt:  # did our earlier try take it? (our owner and our expiry)
                row = c.execute(
                    f"{_SELECT} WHERE id = %(id)s AND state = 'InProgress' AND lease_owner = %(owner)s"
                    " AND lease_expires = %(expires)s",
                    args,
                ).fetchone()
            return _row_to_manifest(row) if row is not None else None

        return self._attempt("lease manifest", write)

    def renew_lease(self, manifest_id: str, owner: str, expires: int, *, generation: int | None = None) -> bool:
        if not owner:
            return False
        args = {"expires": int(expires), "id": manifest_id, "owner": owner, "gen": generation}
        held = "id = %(id)s AND state = 'InProgress' AND lease_owner = %(owner)s"
        if generation is not None:
            held += " AND dequeues = %(gen)s"

        def write(c: psycopg.Connection[Any], attempt: int) -> bool:
            # idempotent: a retry after a try that committed matches the same row again
            return bool(c.execute(f"UPDATE manifests SET lease_expires = %(expires)s WHERE {held}", args).rowcount == 1)

        return self._attempt("renew lease", write)

    def finish_manifest(
        self, manifest_id: str, owner: str, state: str, status_text: str, *, generation: int | None = None
    ) -> bool:
        check_finish_state(state)
        if not owner:
            return False
        args = {"state": state, "text": status_text, "id": manifest_id, "owner": owner, "gen": generation}
        held = "id = %(id)s AND state = 'InProgress' AND lease_owner = %(owner)s"
        if generation is not None:
            held += " AND dequeues = %(gen)s"

        def write(c: psycopg.Connection[Any], attempt: int) -> bool:
            cur = c.execute(
                "UPDATE manifests SET state = %(state)s, status_text = %(text)s, lease_owner = '', lease_expires = 0"
                f" WHERE {held}",
                args,
            )
            if cur.rowcount == 1:
                return True
            if attempt and generation is not None:  # our earlier try may have written it
                row = c.execute(
                    "SELECT 1 FROM manifests WHERE id = %(id)s AND state = %(state)s AND status_text = %(text)s"
                    " AND lease_owner = '' AND dequeues = %(gen)s",
                    args,
                ).fetchone()
                return row is not None
            return False

        return self._attempt("finish manifest", write)

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
        args = {"state": state, "text": status_text, "id": manifest_id, "expect": expect}

        def write(c: psycopg.Connection[Any], attempt: int) -> bool | None:
            cur = c.execute(
                "UPDATE manifests SET state = %(state)s, status_text = %(text)s, lease_owner = '', lease_expires = 0"
                " WHERE id = %(id)s AND state = ANY(%(expect)s)",
                args,
            )
            if cur.rowcount == 1:
                return True
            row = c.execute("SELECT state, status_text FROM manifests WHERE id = %(id)s", args).fetchone()
            if row is None:
                return None
            return bool(attempt and tuple(row) == (state, status_text))

        done = self._attempt("set manifest state", write)
        if done is None:
            raise StoreNotFound("manifest", manifest_id)
        return done

    def recover_expired_leases(
        self,
        now: int,
        cluster_resource_id: str | None = None,
        *,
        max_dequeues: int | None = None,
        exhausted_text: str = "",
    ) -> list[str]:
        args: dict[str, Any] = {
            "now": now,
            "limit": max_dequeues if max_dequeues is not None else 2**62,
            "text": exhausted_text,
        }
        cond = "state = 'InProgress' AND lease_expires < %(now)s"
        if cluster_resource_id is not None:
            cond += " AND cluster_resource_id = %(rid)s"
            args["rid"] = norm_id(cluster_resource_id)
        # a cheap read first: most passes find nothing and should not write
        if self._one(f"SELECT 1 FROM manifests WHERE {cond} LIMIT 1", args) is None:
            return []
        rows = self._attempt(
            "recover expired leases",
            lambda c, _a: c.execute(
                "UPDATE manifests SET"
                " state = CASE WHEN dequeues >= %(limit)s THEN 'RetriesExceeded' ELSE 'Pending' END,"
                " status_text = CASE WHEN dequeues >= %(limit)s THEN %(text)s ELSE status_text END,"
                f" lease_owner = '', lease_expires = 0 WHERE {cond} RETURNING id",
                args,
            ).fetchall(),
        )
        return sorted(r[0] for r in rows)

    def cancel_manifest(self, manifest_id: str) -> bool:
        return self.set_state(manifest_id, ManifestState.CANCELLED, "", expect_states=(ManifestState.PENDING,))

    def cancel_schedule_manifests(self, schedule_id: str) -> list[str]:
        rows = self._attempt(
            "cancel schedule manifests",
            lambda c, _a: c.execute(
                "UPDATE manifests SET state = 'Cancelled', lease_owner = '', lease_expires = 0"
                " WHERE created_by_schedule = %s AND state = 'Pending' RETURNING id",
                (schedule_id,),
            ).fetchall(),
        )
        return sorted(r[0] for r in rows)

    def cancel_and_create(
        self, cancel_ids: Sequence[str], status_text: str, manifests: Sequence[MaintenanceManifest]
    ) -> list[MaintenanceManifest] | None:
        return self.cancel_and_create_many([(cancel_ids, manifests)], status_text)[0]

    def cancel_and_create_many(
        self, groups: Sequence[CancelAndCreate], status_text: str
    ) -> list[list[MaintenanceManifest] | None]:
        plans = plan_groups(groups, _values)
        every = sorted({i for ids, _ in plans for i in ids})  # locked in one order: fewer deadlocks
        unnest = ", ".join(f"%(c{i})s::{t}[]" for i, t in enumerate(_PG_TYPES))
        insert = (
            f"INSERT INTO manifests ({_COL_LIST}) SELECT * FROM unnest({unnest})"
            " ON CONFLICT (id) DO NOTHING RETURNING id"
        )

        def write(c: psycopg.Connection[Any], attempt: int) -> list[set[str] | None]:
            # three statements in one transaction, whatever the number of groups
            with c.transaction():
                pending = {
                    r[0]
                    for r in c.execute(
                        "SELECT id FROM manifests WHERE id = ANY(%s) AND state = 'Pending' ORDER BY id FOR UPDATE",
                        (every,),
                    ).fetchall()
                } if every else set()
                ours: set[str] = set()
                if attempt and len(pending) < len(every):
                    # did an earlier try of ours commit? then its cancels show our text
                    ours = {
                        r[0]
                        for r in c.execute(
                            "SELECT id FROM manifests WHERE id = ANY(%s) AND state = 'Cancelled' AND status_text = %s",
                            (every, status_text),
                        ).fetchall()
                    }
                accepted: list[bool] = []
                cancel: list[str] = []
                for ids, _ in plans:
                    ok = all(i in pending or i in ours for i in ids)
                    accepted.append(ok)
                    if ok:
                        cancel += [i for i in ids if i in pending]
                        pending.difference_update(ids)  # a later group naming one of them fails
                        ours.difference_update(ids)
                if cancel:
                    c.execute(
                        "UPDATE manifests SET state = 'Cancelled', status_text = %s, lease_owner = '',"
                        " lease_expires = 0 WHERE id = ANY(%s)",
                        (status_text, cancel),
                    )
                values = sorted((v for (_ids, vs), ok in zip(plans, accepted, strict=True) if ok for v in vs), key=lambda v: v[0])
                made: set[str] = set()
                if values:
                    args = {f"c{i}": list(col) for i, col in enumerate(zip(*values, strict=True))}
                    made = {r[0] for r in c.execute(insert, args).fetchall()}  # type: ignore[arg-type]
                    rest = [v for v in values if v[0] not in made]
                    if attempt and rest:  # rows equal to ours were written by our earlier try
                        stored = {
                            r[0]: tuple(r)
                            for r in c.execute(f"{_SELECT} WHERE id = ANY(%s)", ([v[0] for v in rest],)).fetchall()
                        }
                        made |= {v[0] for v in rest if stored.get(v[0]) == v}
            return [made if ok else None for ok in accepted]

        answers = self._attempt("cancel and create manifests", write)
        out: list[list[MaintenanceManifest] | None] = []
        for (_ids, values), made in zip(plans, answers, strict=True):
            out.append(None if made is None else [_row_to_manifest(v) for v in values if v[0] in made])
            if made is not None:
                made.difference_update(v[0] for v in values)  # an ID in two groups is the first one's
        return out

    def delete_manifest(self, manifest_id: str) -> None:
        gone = self._attempt(
            "delete manifest",
            lambda c, a: c.execute("DELETE FROM manifests WHERE id = %s", (manifest_id,)).rowcount == 1 or a > 0,
        )
        if not gone:
            raise StoreNotFound("manifest", manifest_id)

    # -- schedules --------------------------------------------------------------------------
    def put_schedule(self, schedule: MaintenanceSchedule) -> None:
        schedule.validate()
        self._attempt(
            "put schedule",
            lambda c, _a: c.execute(
                "INSERT INTO schedules (id, doc) VALUES (%s, %s) ON CONFLICT (id) DO UPDATE SET doc = EXCLUDED.doc",
                (schedule.id, Jsonb(schedule.to_dict())),
            ),
        )

    def get_schedule(self, schedule_id: str) -> MaintenanceSchedule:
        row = self._one("SELECT doc FROM schedules WHERE id = %s", (schedule_id,))
        if row is None:
            raise StoreNotFound("schedule", schedule_id)
        return MaintenanceSchedule.from_dict(row[0])

    def list_schedules(self) -> list[MaintenanceSchedule]:
        return [MaintenanceSchedule.from_dict(r[0]) for r in self._all("SELECT doc FROM schedules ORDER BY id")]


def _is_transient(e: psycopg.OperationalError) -> bool:
    """Worth another try: the connection broke, a serialization failure or deadlock, the server
    is starting or shutting down, too many connections. Not: a bad password, no such database."""
    if isinstance(e, (pg_errors.SerializationFailure, pg_errors.DeadlockDetected)):
        return True
    sqlstate = getattr(e, "sqlstate", None)
    if sqlstate is None:
        return True  # no answer from the server at all: the connection is gone
    return sqlstate.startswith(("08", "40", "57P")) or sqlstate == "53300"
