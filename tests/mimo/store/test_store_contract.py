"""One contract, three stores: every test runs against MemoryStore, SqliteStore and PostgresStore
(a real PostgreSQL server started by the ``pg_server`` fixture, see tests/conftest.py)."""

from __future__ import annotations

import json
import threading

import pytest

from mimo.api import (
    MaintenanceManifest,
    MaintenanceSchedule,
    ManifestState,
    OpenShiftClusterDocument,
    SubscriptionDocument,
)
from mimo.store import (
    ClusterAccess,
    MemoryStore,
    SqliteStore,
    StoreAlreadyExists,
    StoreConflict,
    StoreNotFound,
    open_store,
)

SUB = "11111111-1111-1111-1111-111111111111"
RID = f"/subscriptions/{SUB}/resourcegroups/rg/providers/microsoft.redhatopenshift/openshiftclusters/c1"
RID2 = f"/subscriptions/{SUB}/resourcegroups/rg/providers/microsoft.redhatopenshift/openshiftclusters/c2"
TASK = "9b741734-6505-447f-8510-85eb0ae561a2"
SCHED = "33333333-3333-3333-3333-333333333333"
NOW = 1_800_000_000


def make_store(kind: str, request, tmp_path):
    if kind == "memory":
        return MemoryStore()
    if kind == "sqlite":
        return SqliteStore(tmp_path / "mimo.db")
    from mimo.store import PostgresStore

    return PostgresStore(request.getfixturevalue("pg_url"))


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def store(request, tmp_path):
    s = make_store(request.param, request, tmp_path)
    yield s
    s.close()


def cluster(rid: str = RID, uuid: str = "22222222-2222-2222-2222-222222222222") -> OpenShiftClusterDocument:
    return OpenShiftClusterDocument(id=uuid, resource_id=rid)


def manifest(**kw) -> MaintenanceManifest:
    kw.setdefault("now", NOW)
    rid = kw.pop("rid", RID)
    return MaintenanceManifest.new(rid, TASK, **kw)


# -- clusters and subscriptions -----------------------------------------------------------


def test_cluster_round_trip_and_access(store):
    acc = ClusterAccess(api_url="https://api.c1:6443", token_file="/t", ca_file="/ca", azure={"client_secret": "s3"})
    store.put_cluster(cluster(), acc)
    assert store.get_cluster(RID.upper().replace("SUBSCRIPTIONS", "subscriptions")) == cluster()
    assert store.get_cluster_access(RID) == acc
    # put without access keeps the stored access
    store.put_cluster(cluster())
    assert store.get_cluster_access(RID) == acc
    assert [c.resource_id for c in store.list_clusters()] == [RID]


def test_missing_objects_raise_not_found_naming_them(store):
    with pytest.raises(StoreNotFound, match=r"cluster '/subscriptions/.*/c9' not found") as info:
        store.get_cluster(RID.replace("c1", "c9"))
    assert isinstance(info.value, KeyError)
    with pytest.raises(StoreNotFound, match="manifest 'nope' not found"):
        store.get_manifest("nope")
    with pytest.raises(StoreNotFound, match="subscription"):
        store.get_subscription(SUB)
    with pytest.raises(StoreNotFound, match="schedule"):
        store.get_schedule(SCHED)
    with pytest.raises(StoreNotFound):
        store.delete_manifest("nope")
    with pytest.raises(StoreNotFound):
        store.cancel_manifest("nope")


def test_subscription_round_trip(store):
    store.put_subscription(SubscriptionDocument(id=SUB, state="Warned"))
    assert store.get_subscription(SUB).state == "Warned"
    assert [s.id for s in store.list_subscriptions()] == [SUB]


def test_patch_cluster_applies_mutator_and_returns_result(store):
    store.put_cluster(cluster())

    def mut(doc):
        doc.properties.operator_flags["x"] = "true"

    out = store.patch_cluster(RID, mut)
    assert out.properties.operator_flags == {"x": "true"}
    assert store.get_cluster(RID).properties.operator_flags == {"x": "true"}


def test_patch_cluster_mutator_error_writes_nothing(store):
    store.put_cluster(cluster())

    def mut(doc):
        doc.properties.operator_flags["x"] = "true"
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        store.patch_cluster(RID, mut)
    assert store.get_cluster(RID).properties.operator_flags == {}


def test_patch_cluster_retries_a_lost_race_then_gives_up(store):
    store.put_cluster(cluster())
    calls = []

    def racing(doc):
        calls.append(1)
        if len(calls) == 1:  # another writer lands between our read and our write
            store.put_cluster(cluster())
        doc.properties.operator_version = f"v{len(calls)}"

    assert store.patch_cluster(RID, racing).properties.operator_version == "v2"
    assert len(calls) == 2

    def always_losing(doc):
        store.put_cluster(cluster())

    with pytest.raises(StoreConflict, match="changed under 5 patch attempts"):
        store.patch_cluster(RID, always_losing)


def test_patch_cluster_concurrent_increments_lose_nothing(store):
    store.put_cluster(cluster())

    def bump(doc):
        doc.properties.operator_flags["n"] = str(int(doc.properties.operator_flags.get("n", "0")) + 1)

    errors: list[BaseException] = []

    def worker():
        for _ in range(20):
            try:
                store.patch_cluster(RID, bump)
            except StoreConflict:
                continue
            except BaseException as e:  # pragma: no cover - reported below
                errors.append(e)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors
    n = int(store.get_cluster(RID).properties.operator_flags["n"])
    assert 1 <= n <= 80  # every increment that returned is in; none applied twice


# -- manifests ------------------------------------------------------------------------------


def test_create_refuses_duplicate_and_invalid(store):
    m = store.create_manifest(manifest())
    assert store.get_manifest(m.id) == m
    with pytest.raises(StoreAlreadyExists, match=m.id):
        store.create_manifest(manifest(id=m.id))
    bad = manifest()
    bad.run_before = bad.run_after - 1
    with pytest.raises(ValueError, match="runBefore"):
        store.create_manifest(bad)
    assert len(store.list_manifests()) == 1


def test_list_filters_and_order(store):
    a = store.create_manifest(manifest(run_after=NOW + 10, priority=5))
    b = store.create_manifest(manifest(run_after=NOW + 10, priority=1))
    c = store.create_manifest(manifest(run_after=NOW, priority=9, created_by_schedule=SCHED))
    d = store.create_manifest(manifest(rid=RID2))
    assert [m.id for m in store.list_manifests(cluster_resource_id=RID)] == [c.id, b.id, a.id]
    assert [m.id for m in store.list_manifests(schedule_id=SCHED)] == [c.id]
    assert {m.id for m in store.list_manifests()} == {a.id, b.id, c.id, d.id}
    store.cancel_manifest(a.id)
    assert [m.id for m in store.list_manifests(states=["Cancelled"])] == [a.id]
    assert store.list_manifests(states=[]) == []


def test_runnable_and_clusters_with_work(store):
    now_m = store.create_manifest(manifest(run_after=NOW, priority=2))
    first = store.create_manifest(manifest(run_after=NOW - 5, priority=9))
    store.create_manifest(manifest(run_after=NOW + 60))
    done = store.create_manifest(manifest(run_after=NOW - 100))
    store.set_state(done.id, ManifestState.CANCELLED, "")
    assert [m.id for m in store.runnable_manifests(RID, NOW)] == [first.id, now_m.id]
    assert store.clusters_with_runnable_work(NOW) == [RID]
    assert store.clusters_with_runnable_work(NOW - 10) == []


def test_next_work_after_is_when_work_becomes_runnable(store):
    assert store.next_work_after(NOW) is None
    store.create_manifest(manifest(run_after=NOW - 5))  # runnable already: not "after now"
    assert store.next_work_after(NOW) is None
    later = store.create_manifest(manifest(run_after=NOW + 60))
    soon = store.create_manifest(manifest(rid=RID2, run_after=NOW + 30))
    cancelled = store.create_manifest(manifest(run_after=NOW + 10))
    store.cancel_manifest(cancelled.id)  # a final manifest never becomes runnable
    assert store.next_work_after(NOW) == NOW + 30
    # a leased manifest comes back when its lease has expired (leaseExpires < now), not before
    assert store.lease_manifest(soon.id, "a", NOW + 40, NOW + 30) is not None
    assert store.next_work_after(NOW + 30) == NOW + 41
    assert store.clusters_with_runnable_work(NOW + 40) == [RID]
    assert store.clusters_with_runnable_work(NOW + 41) == [RID, RID2]
    assert store.next_work_after(NOW + 41) == NOW + 60
    store.set_state(later.id, ManifestState.CANCELLED, "")
    assert store.next_work_after(NOW + 41) is None


def test_returned_manifests_are_copies(store):
    m = store.create_manifest(manifest())
    got = store.list_manifests()[0]
    got.state, got.status_text = ManifestState.FAILED, "scribbled"
    m.status_text = "scribbled too"
    fresh = store.get_manifest(m.id)
    assert (fresh.state, fresh.status_text) == (ManifestState.PENDING, "")


def test_future_manifests_of_a_schedule(store):
    past = store.create_manifest(manifest(run_after=NOW - 1, created_by_schedule=SCHED))
    fut = store.create_manifest(manifest(run_after=NOW + 100, created_by_schedule=SCHED))
    store.create_manifest(manifest(run_after=NOW + 100))  # not from the schedule
    store.create_manifest(manifest(rid=RID2, run_after=NOW + 100, created_by_schedule=SCHED))
    cancelled = store.create_manifest(manifest(run_after=NOW + 200, created_by_schedule=SCHED))
    store.cancel_manifest(cancelled.id)
    assert [m.id for m in store.future_manifests(SCHED, RID, NOW)] == [fut.id]
    assert past.id not in [m.id for m in store.future_manifests(SCHED, RID, NOW)]


def test_lease_is_exclusive_and_counts_dequeues(store):
    m = store.create_manifest(manifest())
    got = store.lease_manifest(m.id, "a", NOW + 60, NOW)
    assert got is not None
    assert (got.state, got.lease_owner, got.lease_expires, got.dequeues) == ("InProgress", "a", NOW + 60, 1)
    assert store.lease_manifest(m.id, "b", NOW + 60, NOW) is None
    assert store.runnable_manifests(RID, NOW) == []


def test_lease_refuses_not_yet_due_and_final(store):
    later = store.create_manifest(manifest(run_after=NOW + 1))
    assert store.lease_manifest(later.id, "a", NOW + 60, NOW) is None
    gone = store.create_manifest(manifest())
    store.cancel_manifest(gone.id)
    assert store.lease_manifest(gone.id, "a", NOW + 60, NOW) is None
    assert store.lease_manifest("missing", "a", NOW + 60, NOW) is None


def test_renew_and_finish_need_the_owner(store):
    m = store.create_manifest(manifest())
    store.lease_manifest(m.id, "a", NOW + 60, NOW)
    assert not store.renew_lease(m.id, "b", NOW + 120)
    assert store.renew_lease(m.id, "a", NOW + 120)
    assert store.get_manifest(m.id).lease_expires == NOW + 120
    assert not store.finish_manifest(m.id, "b", "Completed", "x")
    assert store.finish_manifest(m.id, "a", "Completed", "done")
    got = store.get_manifest(m.id)
    assert (got.state, got.status_text, got.lease_owner, got.lease_expires, got.dequeues) == (
        "Completed", "done", "", 0, 1,
    )
    assert not store.finish_manifest(m.id, "a", "Failed", "again")
    assert not store.renew_lease(m.id, "a", NOW + 180)
    with pytest.raises(ValueError, match="InProgress"):
        store.finish_manifest(m.id, "a", "InProgress", "")


def test_finish_to_pending_allows_a_new_lease(store):
    m = store.create_manifest(manifest())
    store.lease_manifest(m.id, "a", NOW + 60, NOW)
    assert store.finish_manifest(m.id, "a", "Pending", "TransientError: x")
    again = store.lease_manifest(m.id, "b", NOW + 60, NOW)
    assert again is not None and again.dequeues == 2 and again.lease_owner == "b"


def test_set_state_is_conditional(store):
    m = store.create_manifest(manifest())
    assert store.set_state(m.id, "TimedOut", "timed out at x")
    assert not store.set_state(m.id, "TimedOut", "again")
    assert store.get_manifest(m.id).status_text == "timed out at x"


def test_recover_expired_leases_keeps_dequeues(store):
    m = store.create_manifest(manifest())
    other = store.create_manifest(manifest(rid=RID2))
    store.lease_manifest(m.id, "dead", NOW + 60, NOW)
    store.lease_manifest(other.id, "alive", NOW + 600, NOW)
    assert store.recover_expired_leases(NOW + 60) == []  # expiry itself is not past
    assert store.clusters_with_runnable_work(NOW + 61) == [RID]
    assert store.recover_expired_leases(NOW + 61, RID2) == []
    assert store.recover_expired_leases(NOW + 61) == [m.id]
    got = store.get_manifest(m.id)
    assert (got.state, got.lease_owner, got.lease_expires, got.dequeues) == ("Pending", "", 0, 1)
    assert store.get_manifest(other.id).state == "InProgress"
    # the dead owner cannot finish it any more
    assert not store.finish_manifest(m.id, "dead", "Completed", "")


def test_cancel_only_pending_and_by_schedule(store):
    a = store.create_manifest(manifest(created_by_schedule=SCHED))
    b = store.create_manifest(manifest(created_by_schedule=SCHED, run_after=NOW + 5))
    c = store.create_manifest(manifest(created_by_schedule=SCHED))
    store.lease_manifest(c.id, "x", NOW + 60, NOW)
    d = store.create_manifest(manifest())
    assert store.cancel_schedule_manifests(SCHED) == sorted([a.id, b.id])
    assert store.get_manifest(c.id).state == "InProgress"
    assert store.get_manifest(d.id).state == "Pending"
    assert not store.cancel_manifest(c.id)
    assert store.cancel_manifest(d.id)
    assert store.get_manifest(d.id).state == "Cancelled"
    store.delete_manifest(d.id)
    with pytest.raises(StoreNotFound):
        store.get_manifest(d.id)


def test_returned_objects_are_copies(store):
    m = store.create_manifest(manifest())
    m.state = "Completed"
    assert store.get_manifest(m.id).state == "Pending"
    store.put_cluster(cluster())
    doc = store.get_cluster(RID)
    doc.properties.operator_version = "changed"
    assert store.get_cluster(RID).properties.operator_version == ""


# -- schedules ------------------------------------------------------------------------------


def test_schedule_round_trip(store):
    s = MaintenanceSchedule(
        id=SCHED, maintenance_task_id=TASK, schedule="Mon *-*-* 00:00",
        selectors=[{"key": "resourceID", "operator": "eq", "value": RID}],
    )
    store.put_schedule(s)
    assert store.get_schedule(SCHED) == s
    s.state = "Disabled"
    store.put_schedule(s)
    assert [x.state for x in store.list_schedules()] == ["Disabled"]


# -- sqlite specifics ------------------------------------------------------------------------


def test_sqlite_file_is_wal_and_versioned(tmp_path):
    import sqlite3

    p = tmp_path / "s.db"
    SqliteStore(p).close()
    conn = sqlite3.connect(p)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 3  # 2: Go's architectureVersion; 3: pool workers
    conn.execute("PRAGMA user_version = 99")
    conn.commit()
    conn.close()
    from mimo.store import StoreError

    with pytest.raises(StoreError, match="schema version 99"):
        SqliteStore(p)


def test_sqlite_two_handles_share_one_file(tmp_path):
    p = tmp_path / "s.db"
    a, b = SqliteStore(p), SqliteStore(p)
    m = a.create_manifest(manifest())
    assert b.lease_manifest(m.id, "b", NOW + 60, NOW) is not None
    assert a.lease_manifest(m.id, "a", NOW + 60, NOW) is None
    assert a.get_manifest(m.id).lease_owner == "b"


def test_open_store(tmp_path):
    assert isinstance(open_store(":memory:"), MemoryStore)
    assert isinstance(open_store(str(tmp_path / "x.db")), SqliteStore)


def test_memory_snapshot_restore():
    s = MemoryStore()
    m = s.create_manifest(manifest())
    snap = s.snapshot()
    s.cancel_manifest(m.id)
    s.restore(snap)
    assert s.get_manifest(m.id).state == "Pending"


def test_access_never_shows_secrets():
    acc = ClusterAccess(kubeconfig="/k", azure={"client_secret": "hunter2", "client_id": "abc"})
    assert "hunter2" not in repr(acc)
    assert acc.to_dict(redact=True)["azure"] == {"client_secret": "***", "client_id": "abc"}
    with pytest.raises(ValueError, match="either kubeconfig or api_url"):
        ClusterAccess(kubeconfig="/k", api_url="https://x", token_file="/t")
    with pytest.raises(ValueError, match="api_url"):
        ClusterAccess(token_file="/t")


def test_recover_expired_leases_gives_up_after_max_dequeues(store):
    m = store.create_manifest(manifest())
    for attempt in range(1, 4):
        assert store.lease_manifest(m.id, f"dead{attempt}", NOW + 60, NOW) is not None
        recovered = store.recover_expired_leases(NOW + 61, max_dequeues=3, exhausted_text="gave up")
        assert recovered == [m.id]
    got = store.get_manifest(m.id)
    assert (got.state, got.status_text, got.dequeues, got.lease_owner) == ("RetriesExceeded", "gave up", 3, "")


def test_implementations_satisfy_the_protocol(store):
    from mimo.store import Store

    assert isinstance(store, Store)


def test_count_manifests_by_state(store):
    assert store.count_manifests() == {}
    a = store.create_manifest(manifest())
    store.create_manifest(manifest(rid=RID2))
    store.cancel_manifest(a.id)
    assert store.count_manifests() == {"Pending": 1, "Cancelled": 1}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_due_questions_agree_with_a_scan_after_random_operations(tmp_path, seed):
    """MemoryStore answers 'what is due' from an index; SqliteStore from SQL. Both must give
    what a scan of every manifest gives, after any sequence of operations (seeded)."""
    import random

    from mimo.store.rules import is_runnable, work_time

    rng = random.Random(seed)
    print(f"seed {seed}")
    stores = [MemoryStore(), SqliteStore(tmp_path / "due.db")]
    rids = [RID, RID2]
    ids: list[str] = []
    for step in range(300):
        now = NOW + rng.randrange(0, 400)
        op = rng.choice(["create", "create", "lease", "finish", "recover", "cancel", "delete", "renew", "timeout"])
        mid = rng.choice(ids) if ids else None
        rid, run_after, finish_as = rng.choice(rids), NOW + rng.randrange(0, 300), rng.choice(["Pending", "Completed"])
        for s in stores:
            if op == "create":
                m = manifest(rid=rid, run_after=run_after, id=f"00000000-0000-4000-8000-{step:012d}")
                s.create_manifest(m)
            elif mid is None:
                continue
            elif op == "lease":
                s.lease_manifest(mid, "w", now + 60, now)
            elif op == "finish":
                s.finish_manifest(mid, "w", finish_as, "")
            elif op == "recover":
                s.recover_expired_leases(now, max_dequeues=3, exhausted_text="x")
            elif op == "cancel":
                s.cancel_manifest(mid)
            elif op == "renew":
                s.renew_lease(mid, "w", now + 90)
            elif op == "timeout":
                s.set_state(mid, "TimedOut", "t", expect_states=("Pending", "InProgress"))
            elif op == "delete":
                s.delete_manifest(mid)
        if op == "create":
            ids.append(f"00000000-0000-4000-8000-{step:012d}")
        elif op == "delete" and mid is not None:
            ids.remove(mid)
        all_m = stores[1].list_manifests()
        assert [(m.id, m.state, m.lease_expires) for m in stores[0].list_manifests()] == [
            (m.id, m.state, m.lease_expires) for m in all_m
        ]
        due = sorted({m.cluster_resource_id for m in all_m
                      if is_runnable(m, now) or (m.state == "InProgress" and m.lease_expires < now)})
        later = [t for t in (work_time(m) for m in all_m) if t is not None and t > now]
        for s in stores:
            assert s.clusters_with_runnable_work(now) == due, (type(s).__name__, step, op)
            assert s.next_work_after(now) == min(later, default=None), (type(s).__name__, step, op)
            for rid in rids:
                assert [m.id for m in s.runnable_manifests(rid, now)] == [
                    m.id for m in all_m if m.cluster_resource_id == rid and is_runnable(m, now)
                ]
    for s in stores:
        s.close()


def test_sqlite_schema_1_store_migrates_arch_version(tmp_path):
    """A store written before Go's field names: ``archVersion`` 1/2 (absent = 2) → ``architectureVersion`` 0/1."""
    import sqlite3

    from mimo.store.sqlite import SCHEMA_VERSION, SqliteStore

    path = tmp_path / "old.db"
    SqliteStore(path).close()
    conn = sqlite3.connect(path)
    rids = {}
    for i, old in enumerate((1, 2, None)):
        rid = f"/subscriptions/11111111-1111-1111-1111-111111111111/resourcegroups/rg/providers/microsoft.redhatopenshift/openshiftclusters/c{i}"
        props = {"provisioningState": "Succeeded", "infraId": "x", "networkProfile": {"outboundType": "Loadbalancer"}}
        if old is not None:
            props["archVersion"] = old
        doc = {"id": f"00000000-0000-0000-0000-00000000000{i}", "key": rid,
               "openShiftCluster": {"id": rid, "properties": props}}
        conn.execute("INSERT INTO clusters (resource_id, doc, access, version) VALUES (?, ?, NULL, 1)",
                     (rid, json.dumps(doc)))
        rids[rid] = {1: 0, 2: 1, None: 1}[old]
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    store = SqliteStore(path)
    try:
        for rid, want in rids.items():
            assert store.get_cluster(rid).properties.architecture_version == want
    finally:
        store.close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 3
    docs = [json.loads(d) for (d,) in conn.execute("SELECT doc FROM clusters")]
    conn.close()
    assert all("archVersion" not in d["openShiftCluster"]["properties"] for d in docs)


# -- fencing: a lease is its owner and its generation ------------------------------------------


def test_finish_and_renew_are_fenced_by_the_lease_generation(store):
    """Same owner, a later lease: the earlier lease's writes are refused (runtime.md leases;
    the Go MIMO ends a lease only for its owner, we also name the generation)."""
    m = store.create_manifest(manifest())
    first = store.lease_manifest(m.id, "a", NOW + 60, NOW)
    assert first is not None and first.dequeues == 1
    assert store.recover_expired_leases(NOW + 61) == [m.id]
    second = store.lease_manifest(m.id, "a", NOW + 200, NOW + 61)  # the same owner leases it again
    assert second is not None and second.dequeues == 2
    assert not store.renew_lease(m.id, "a", NOW + 300, generation=1)
    assert not store.finish_manifest(m.id, "a", "Completed", "stale", generation=1)
    assert store.get_manifest(m.id).state == "InProgress"
    assert store.renew_lease(m.id, "a", NOW + 300, generation=2)
    assert store.finish_manifest(m.id, "a", "Completed", "fresh", generation=2)
    got = store.get_manifest(m.id)
    assert (got.state, got.status_text, got.dequeues) == ("Completed", "fresh", 2)
    assert not store.finish_manifest(m.id, "a", "Failed", "again", generation=2)


# -- one cluster's scheduler writes in one transaction -------------------------------------------


def test_cancel_and_create_is_all_or_nothing(store):
    old = store.create_manifest(manifest(run_after=NOW + 10, created_by_schedule=SCHED))
    old2 = store.create_manifest(manifest(run_after=NOW + 20, created_by_schedule=SCHED))
    new = [manifest(run_after=NOW + 30, created_by_schedule=SCHED), manifest(run_after=NOW + 40)]
    taken = store.create_manifest(manifest(run_after=NOW + 50))
    dup = manifest(run_after=NOW + 50, id=taken.id)
    created = store.cancel_and_create([old.id, old2.id], "edited", [*new, dup])
    assert created is not None
    assert [m.id for m in created] == [new[0].id, new[1].id]  # the taken ID is skipped
    assert created[0] == store.get_manifest(new[0].id)
    assert [(store.get_manifest(i).state, store.get_manifest(i).status_text) for i in (old.id, old2.id)] == [
        ("Cancelled", "edited"), ("Cancelled", "edited"),
    ]
    # one cancel no longer possible: nothing at all is written
    pending = store.create_manifest(manifest(run_after=NOW + 60))
    again = [manifest(run_after=NOW + 70)]
    before = store.count_manifests()
    assert store.cancel_and_create([pending.id, old.id], "edited", again) is None
    assert store.get_manifest(pending.id).state == "Pending"
    assert store.count_manifests() == before
    with pytest.raises(StoreNotFound):
        store.get_manifest(again[0].id)
    assert store.cancel_and_create(["missing"], "x", []) is None
    assert store.cancel_and_create([], "x", []) == []
    bad = manifest()
    bad.run_before = bad.run_after - 1
    with pytest.raises(ValueError, match="runBefore"):
        store.cancel_and_create([pending.id], "x", [bad])
    assert store.get_manifest(pending.id).state == "Pending"


def test_cancel_and_create_many_answers_each_group_in_one_transaction(store):
    """Each group is all or nothing on its own; the call writes the groups that can go, and
    a group naming a manifest an earlier group already cancels is refused like a changed one."""
    a_old = store.create_manifest(manifest(run_after=NOW + 10, created_by_schedule=SCHED))
    b_old = store.create_manifest(manifest(run_after=NOW + 20, created_by_schedule=SCHED))
    gone = store.create_manifest(manifest(run_after=NOW + 30))
    assert store.cancel_manifest(gone.id)  # "an operator cancelled it meanwhile"
    a_new = manifest(run_after=NOW + 40, created_by_schedule=SCHED)
    b_new = manifest(run_after=NOW + 50, created_by_schedule=SCHED)
    c_new = manifest(run_after=NOW + 60)
    d_new = manifest(run_after=NOW + 70)
    answers = store.cancel_and_create_many(
        [
            ([a_old.id], [a_new]),
            ([b_old.id, gone.id], [b_new]),  # one cancel no longer possible: this group writes nothing
            ([], [c_new]),
            ([a_old.id], [d_new]),  # a_old is the first group's
        ],
        "edited",
    )
    assert [None if x is None else [m.id for m in x] for x in answers] == [[a_new.id], None, [c_new.id], None]
    assert (store.get_manifest(a_old.id).state, store.get_manifest(a_old.id).status_text) == ("Cancelled", "edited")
    assert store.get_manifest(b_old.id).state == "Pending"
    assert store.get_manifest(gone.id).status_text == ""
    for absent in (b_new, d_new):
        with pytest.raises(StoreNotFound):
            store.get_manifest(absent.id)
    assert store.get_manifest(c_new.id) == answers[2][0]
    assert store.cancel_and_create_many([], "x") == []
    # a bad manifest in any group: nothing of any group is written
    bad = manifest()
    bad.run_before = bad.run_after - 1
    e_new = manifest(run_after=NOW + 80)
    with pytest.raises(ValueError, match="runBefore"):
        store.cancel_and_create_many([([b_old.id], [e_new]), ([], [bad])], "x")
    assert store.get_manifest(b_old.id).state == "Pending"
    with pytest.raises(StoreNotFound):
        store.get_manifest(e_new.id)
