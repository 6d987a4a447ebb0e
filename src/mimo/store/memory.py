"""An in-memory :class:`~mimo.store.base.Store` for tests and replays.

Same contract as :class:`~mimo.store.sqlite.SqliteStore`; every method runs
under one lock, so it is safe to share between threads. ``snapshot()`` and
``restore()`` copy the whole content, for replays that rewind the world.
"""

from __future__ import annotations

import bisect
import copy
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import replace
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
    StoreNotFound,
)
from mimo.store.pool import BUCKETS, PoolAllocation, master_refresh, owned_buckets
from mimo.store.rules import check_finish_state, is_runnable, manifest_sort_key, norm_id, work_time

__all__ = ["MemoryStore"]

_LAST = "\uffff"  # sorts after every manifest ID: (t, _LAST) bounds every (t, id)


class MemoryStore:
    """The store in a few dicts, guarded by a lock."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        # resource ID -> (document as dict, access, version)
        self._clusters: dict[str, tuple[dict[str, Any], ClusterAccess | None, int]] = {}
        self._subscriptions: dict[str, dict[str, Any]] = {}
        self._manifests: dict[str, MaintenanceManifest] = {}
        # the manifests that can still run, by the instant they become runnable (work_time):
        # the actuator's questions ("what is due now?", "when is the next?") read a prefix, not the store
        self._due: list[tuple[int, str]] = []
        self._due_at: dict[str, int] = {}
        self._schedules: dict[str, dict[str, Any]] = {}
        # pool -> worker -> heartbeat expiry; pool -> (master, lease expiry, allocation)
        self._pool_workers: dict[str, dict[str, int]] = {}
        self._pool_masters: dict[str, tuple[str, int, list[str]]] = {}

    def __repr__(self) -> str:
        return f"MemoryStore({len(self._clusters)} clusters, {len(self._manifests)} manifests)"

    # -- whole-store copies -----------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return copy.deepcopy(
                {
                    "clusters": self._clusters,
                    "subscriptions": self._subscriptions,
                    "manifests": self._manifests,
                    "schedules": self._schedules,
                }
            )

    def restore(self, snap: dict[str, Any]) -> None:
        snap = copy.deepcopy(snap)
        with self._lock:
            self._clusters = snap["clusters"]
            self._subscriptions = snap["subscriptions"]
            self._manifests = snap["manifests"]
            self._due, self._due_at = [], {}
            for m in self._manifests.values():
                self._touch(m)
            self._schedules = snap["schedules"]

    # -- clusters ---------------------------------------------------------------------------
    def put_cluster(self, doc: OpenShiftClusterDocument, access: ClusterAccess | None = None) -> None:
        data = doc.to_dict()
        with self._lock:
            old = self._clusters.get(doc.resource_id)
            if access is None and old is not None:
                access = old[1]
            version = old[2] + 1 if old else 1
            self._clusters[doc.resource_id] = (data, access, version)

    def _cluster_row(self, resource_id: str) -> tuple[dict[str, Any], ClusterAccess | None, int]:
        rid = norm_id(resource_id)
        try:
            return self._clusters[rid]
        except KeyError:
            raise StoreNotFound("cluster", rid) from None

    def get_cluster(self, resource_id: str) -> OpenShiftClusterDocument:
        with self._lock:
            data = self._cluster_row(resource_id)[0]
        return OpenShiftClusterDocument.from_dict(data)

    def get_cluster_access(self, resource_id: str) -> ClusterAccess | None:
        with self._lock:
            return self._cluster_row(resource_id)[1]

    def list_clusters(self) -> list[OpenShiftClusterDocument]:
        with self._lock:
            rows = [self._clusters[k][0] for k in sorted(self._clusters)]
        return [OpenShiftClusterDocument.from_dict(d) for d in rows]

    def patch_cluster(self, resource_id: str, mutator: ClusterMutator) -> OpenShiftClusterDocument:
        rid = norm_id(resource_id)
        for _ in range(PATCH_ATTEMPTS):
            with self._lock:
                data, _access, version = self._cluster_row(rid)
            doc = OpenShiftClusterDocument.from_dict(data)
            mutator(doc)  # outside the lock: a mutator may be slow or re-enter the store
            if doc.resource_id != rid:
                raise ValueError(f"patch_cluster: the mutator changed the resource ID of {rid}")
            new = doc.to_dict()
            OpenShiftClusterDocument.from_dict(new)  # validates
            with self._lock:
                cur = self._cluster_row(rid)
                if cur[2] == version:
                    self._clusters[rid] = (new, cur[1], version + 1)
                    return OpenShiftClusterDocument.from_dict(new)
        raise StoreConflict(f"cluster {rid!r}: document changed under {PATCH_ATTEMPTS} patch attempts in a row")

    def delete_cluster(self, resource_id: str) -> None:
        with self._lock:
            rid = norm_id(resource_id)
            if self._clusters.pop(rid, None) is None:
                raise StoreNotFound("cluster", rid)

    # -- subscriptions ----------------------------------------------------------------------
    def put_subscription(self, doc: SubscriptionDocument) -> None:
        with self._lock:
            self._subscriptions[doc.id] = doc.to_dict()

    def get_subscription(self, subscription_id: str) -> SubscriptionDocument:
        with self._lock:
            data = self._subscriptions.get(subscription_id.lower())
        if data is None:
            raise StoreNotFound("subscription", subscription_id)
        return SubscriptionDocument.from_dict(data)

    def list_subscriptions(self) -> list[SubscriptionDocument]:
        with self._lock:
            rows = [self._subscriptions[k] for k in sorted(self._subscriptions)]
        return [SubscriptionDocument.from_dict(d) for d in rows]

    # -- manifests --------------------------------------------------------------------------
    def create_manifest(self, manifest: MaintenanceManifest) -> MaintenanceManifest:
        m = replace(manifest)  # validates (normalises the resource ID) and copies
        with self._lock:
            if m.id in self._manifests:
                raise StoreAlreadyExists(f"manifest {m.id!r} already exists")
            self._manifests[m.id] = m
            self._touch(m)
        return copy.copy(m)

    def _unfile(self, manifest_id: str) -> None:
        old = self._due_at.pop(manifest_id, None)
        if old is not None:
            del self._due[bisect.bisect_left(self._due, (old, manifest_id))]

    def _touch(self, m: MaintenanceManifest) -> None:
        """Re-file ``m`` in the due index after a change (under the lock)."""
        self._unfile(m.id)
        t = work_time(m)
        if t is not None:
            bisect.insort(self._due, (t, m.id))
            self._due_at[m.id] = t

    def _due_by(self, now: int) -> list[MaintenanceManifest]:
        """The manifests runnable at ``now`` (or InProgress with an expired lease), under the lock."""
        end = bisect.bisect_right(self._due, (now, _LAST))
        return [self._manifests[mid] for _, mid in self._due[:end]]

    def _get(self, manifest_id: str) -> MaintenanceManifest:
        try:
            return self._manifests[manifest_id]
        except KeyError:
            raise StoreNotFound("manifest", manifest_id) from None

    def get_manifest(self, manifest_id: str) -> MaintenanceManifest:
        with self._lock:
            return copy.copy(self._get(manifest_id))

    def _select(self, pred: Any) -> list[MaintenanceManifest]:
        with self._lock:
            # stored manifests were validated on the way in: a shallow copy (every field is immutable) will do
            found = [copy.copy(m) for m in self._manifests.values() if pred(m)]
        found.sort(key=manifest_sort_key)
        return found

    def list_manifests(
        self,
        cluster_resource_id: str | None = None,
        schedule_id: str | None = None,
        states: Iterable[str] | None = None,
    ) -> list[MaintenanceManifest]:
        rid = norm_id(cluster_resource_id) if cluster_resource_id else None
        wanted = set(states) if states is not None else None
        return self._select(
            lambda m: (rid is None or m.cluster_resource_id == rid)
            and (schedule_id is None or m.created_by_schedule == schedule_id)
            and (wanted is None or m.state in wanted)
        )

    def runnable_manifests(self, cluster_resource_id: str, now: int) -> list[MaintenanceManifest]:
        rid = norm_id(cluster_resource_id)
        with self._lock:
            found = [copy.copy(m) for m in self._due_by(now) if m.cluster_resource_id == rid and is_runnable(m, now)]
        found.sort(key=manifest_sort_key)
        return found

    def clusters_with_runnable_work(self, now: int) -> list[str]:
        with self._lock:
            ids = {m.cluster_resource_id for m in self._due_by(now)}
        return sorted(ids)

    def next_work_after(self, now: int) -> int | None:
        with self._lock:
            i = bisect.bisect_right(self._due, (now, _LAST))
            return self._due[i][0] if i < len(self._due) else None

    def count_manifests(self) -> dict[str, int]:
        with self._lock:
            counts = Counter(m.state for m in self._manifests.values())
        return {st: counts[st] for st in MANIFEST_STATES if counts[st]}

    def future_manifests(self, schedule_id: str, cluster_resource_id: str, now: int) -> list[MaintenanceManifest]:
        rid = norm_id(cluster_resource_id)
        return self._select(
            lambda m: m.created_by_schedule == schedule_id
            and m.cluster_resource_id == rid
            and m.state == ManifestState.PENDING
            and m.run_after > now
        )

    def lease_manifest(self, manifest_id: str, owner: str, expires: int, now: int) -> MaintenanceManifest | None:
        if not owner:
            raise ValueError("lease_manifest: owner must not be empty")
        with self._lock:
            m = self._manifests.get(manifest_id)
            if m is None or not is_runnable(m, now):
                return None
            m.state = ManifestState.IN_PROGRESS
            m.lease_owner = owner
            m.lease_expires = int(expires)
            m.dequeues += 1
            self._touch(m)
            return copy.copy(m)

    def _held(self, manifest_id: str, owner: str, generation: int | None) -> MaintenanceManifest | None:
        """The manifest if ``owner`` holds its lease (of that ``generation``, when given), under the lock."""
        m = self._manifests.get(manifest_id)
        if m is None or m.state != ManifestState.IN_PROGRESS or m.lease_owner != owner or not owner:
            return None
        if generation is not None and m.dequeues != generation:
            return None
        return m

    def renew_lease(self, manifest_id: str, owner: str, expires: int, *, generation: int | None = None) -> bool:
        with self._lock:
            m = self._held(manifest_id, owner, generation)
            if m is None:
                return False
            m.lease_expires = int(expires)
            self._touch(m)
            return True

    def finish_manifest(
        self, manifest_id: str, owner: str, state: str, status_text: str, *, generation: int | None = None
    ) -> bool:
        check_finish_state(state)
        with self._lock:
            m = self._held(manifest_id, owner, generation)
            if m is None:
                return False
            self._end(m, state, status_text)
            return True

    def _end(self, m: MaintenanceManifest, state: str, status_text: str) -> None:
        """Set the state and status text and end the lease, in one step (under the lock)."""
        m.state = state
        m.status_text = status_text
        m.lease_owner = ""
        m.lease_expires = 0
        self._touch(m)

    def set_state(
        self,
        manifest_id: str,
        state: str,
        status_text: str,
        *,
        expect_states: Iterable[str] = (ManifestState.PENDING,),
    ) -> bool:
        check_finish_state(state)
        expect = set(expect_states)
        with self._lock:
            m = self._get(manifest_id)
            if m.state not in expect:
                return False
            self._end(m, state, status_text)
            return True

    def recover_expired_leases(
        self,
        now: int,
        cluster_resource_id: str | None = None,
        *,
        max_dequeues: int | None = None,
        exhausted_text: str = "",
    ) -> list[str]:
        rid = norm_id(cluster_resource_id) if cluster_resource_id else None
        out: list[str] = []
        with self._lock:
            for m in self._due_by(now):
                if (
                    m.state == ManifestState.IN_PROGRESS
                    and m.lease_expires < now
                    and (rid is None or m.cluster_resource_id == rid)
                ):
                    if max_dequeues is not None and m.dequeues >= max_dequeues:
                        m.state = ManifestState.RETRIES_EXCEEDED
                        m.status_text = exhausted_text
                    else:
                        m.state = ManifestState.PENDING
                    m.lease_owner = ""
                    m.lease_expires = 0
                    self._touch(m)
                    out.append(m.id)
        return sorted(out)

    def cancel_manifest(self, manifest_id: str) -> bool:
        return self.set_state(manifest_id, ManifestState.CANCELLED, "", expect_states=(ManifestState.PENDING,))

    def cancel_schedule_manifests(self, schedule_id: str) -> list[str]:
        out: list[str] = []
        with self._lock:
            for m in sorted(self._manifests.values(), key=manifest_sort_key):
                if m.created_by_schedule == schedule_id and m.state == ManifestState.PENDING:
                    m.state = ManifestState.CANCELLED
                    self._touch(m)
                    out.append(m.id)
        return sorted(out)

    def cancel_and_create(
        self, cancel_ids: Sequence[str], status_text: str, manifests: Sequence[MaintenanceManifest]
    ) -> list[MaintenanceManifest] | None:
        return self.cancel_and_create_many([(cancel_ids, manifests)], status_text)[0]

    def cancel_and_create_many(
        self, groups: Sequence[CancelAndCreate], status_text: str
    ) -> list[list[MaintenanceManifest] | None]:
        plans = [(list(dict.fromkeys(ids)), [replace(m) for m in ms]) for ids, ms in groups]  # validates, copies
        out: list[list[MaintenanceManifest] | None] = []
        with self._lock:
            named: set[str] = set()
            for ids, new in plans:
                targets = [self._manifests.get(mid) for mid in ids]
                if named.intersection(ids) or any(m is None or m.state != ManifestState.PENDING for m in targets):
                    out.append(None)
                    continue
                named.update(ids)
                for m in targets:
                    assert m is not None
                    self._end(m, ManifestState.CANCELLED, status_text)
                created: list[MaintenanceManifest] = []
                for m in new:
                    if m.id in self._manifests:
                        continue
                    self._manifests[m.id] = m
                    self._touch(m)
                    created.append(copy.copy(m))
                out.append(created)
        return out

    def delete_manifest(self, manifest_id: str) -> None:
        with self._lock:
            m = self._manifests.pop(manifest_id, None)
            if m is None:
                raise StoreNotFound("manifest", manifest_id)
            self._unfile(manifest_id)

    # -- schedules --------------------------------------------------------------------------
    def put_schedule(self, schedule: MaintenanceSchedule) -> None:
        schedule.validate()
        with self._lock:
            self._schedules[schedule.id] = schedule.to_dict()

    def get_schedule(self, schedule_id: str) -> MaintenanceSchedule:
        with self._lock:
            data = self._schedules.get(schedule_id)
        if data is None:
            raise StoreNotFound("schedule", schedule_id)
        return MaintenanceSchedule.from_dict(data)

    def list_schedules(self) -> list[MaintenanceSchedule]:
        with self._lock:
            rows = [self._schedules[k] for k in sorted(self._schedules)]
        return [MaintenanceSchedule.from_dict(d) for d in rows]

    # -- pool workers -----------------------------------------------------------------------
    def pool_refresh(
        self, pool: str, worker: str, now: int, *, ttl: int, bucket_count: int = BUCKETS
    ) -> PoolAllocation:
        with self._lock:
            workers = self._pool_workers.setdefault(pool, {})
            for name in [w for w, exp in workers.items() if exp < now]:
                del workers[name]
            workers[worker] = now + ttl
            row = self._pool_masters.get(pool)
            owner, expires, alloc = row if row is not None else (None, 0, [])
            master, alloc = master_refresh(owner, expires, alloc, worker, now, workers, bucket_count)
            if master:
                self._pool_masters[pool] = (worker, now + ttl, alloc)
            return PoolAllocation(owned_buckets(alloc, worker), master)

    def close(self) -> None:
        pass

