"""ActuatorService: many clusters at a time, one manifest at a time per cluster, clean stop.

These run real worker threads; every wait on them is bounded by a short timeout.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from datetime import datetime, timezone

import pytest

from mimo import TransientError
from mimo.actuator import ActuatorService
from mimo.api import MaintenanceManifest, OpenShiftClusterDocument, SubscriptionDocument
from mimo.store import MemoryStore, SqliteStore

from ..clocks import ManualClock

SUB = "11111111-1111-1111-1111-111111111111"
TASK = "00000000-0000-4000-8000-000000000001"
START = datetime(2026, 1, 5, tzinfo=timezone.utc)
T0 = int(START.timestamp())


def rid(i: int) -> str:
    return f"/subscriptions/{SUB}/resourcegroups/rg/providers/microsoft.redhatopenshift/openshiftclusters/c{i}"


@pytest.fixture(params=["memory", "sqlite"])
def store(request, tmp_path):
    s = MemoryStore() if request.param == "memory" else SqliteStore(tmp_path / "s.db")
    s.put_subscription(SubscriptionDocument(id=SUB))
    yield s
    s.close()


def add_clusters(store, n: int, per: int) -> list[MaintenanceManifest]:
    out = []
    for i in range(n):
        store.put_cluster(OpenShiftClusterDocument(id=f"22222222-2222-2222-2222-2222222222{i:02d}", resource_id=rid(i)))
        for k in range(per):
            out.append(store.create_manifest(MaintenanceManifest.new(rid(i), TASK, now=T0, run_after=T0 - k)))
    return out


def test_run_once_uses_workers_in_parallel_and_one_manifest_per_cluster(store):
    add_clusters(store, 6, 3)
    lock = threading.Lock()
    active: dict[str, int] = defaultdict(int)
    peak = {"total": 0, "cluster": 0}
    both_workers = threading.Barrier(2, timeout=5)
    first_two = iter(range(2))

    def task(tc, m, c):
        with lock:
            active[m.cluster_resource_id] += 1
            peak["cluster"] = max(peak["cluster"], active[m.cluster_resource_id])
            peak["total"] = max(peak["total"], sum(active.values()))
            go_to_barrier = next(first_two, None) is not None
        if go_to_barrier:
            both_workers.wait()  # two clusters really run at once (fails with one worker)
        with lock:
            active[m.cluster_resource_id] -= 1

    svc = ActuatorService(store, {TASK: task}, workers=2, clock=ManualClock(START), renew_leases=False)
    assert svc.run_once() == 6
    assert peak == {"total": 2, "cluster": 1}
    assert {m.state for m in store.list_manifests()} == {"Completed"}
    assert svc.run_once() == 0


def test_stop_leases_nothing_new_and_finishes_the_running_task(store):
    ms = add_clusters(store, 1, 3)
    ran = []

    def task(tc, m, c):
        ran.append(m.id)
        svc.stop()

    svc = ActuatorService(store, {TASK: task}, workers=1, clock=ManualClock(START), renew_leases=False)
    svc.run_once()
    assert len(ran) == 1
    states = {m.id: (m.state, m.dequeues, m.lease_owner) for m in store.list_manifests()}
    assert states[ran[0]] == ("Completed", 1, "")
    assert sorted(v for k, v in states.items() if k != ran[0]) == [("Pending", 0, "")] * 2
    assert {m.id for m in ms} == set(states)


def test_loop_retries_after_the_poll_interval_and_stops_cleanly(store):
    add_clusters(store, 1, 1)
    calls = []

    def flaky(tc, m, c):
        calls.append(m.dequeues)
        if len(calls) < 3:
            raise TransientError("not yet")
        svc.stop()

    svc = ActuatorService(store, {TASK: flaky}, workers=2, poll_interval=0.01, clock=ManualClock(START), renew_leases=False)
    t = threading.Thread(target=svc.run, daemon=True)
    t.start()
    t.join(10)
    assert not t.is_alive(), "the service did not stop"
    assert calls == [1, 2, 3]
    (m,) = store.list_manifests()
    assert (m.state, m.dequeues) == ("Completed", 3)


def test_a_failing_poll_for_runnable_work_logs_go_s_line(caplog):
    """Go TestActuatorLogsIfRunnableTasksFails (pkg/mimo/actuator/service_test.go): when listing the
    clusters with runnable manifests fails, pollRunnableTasks logs "error getting runnable tasks,
    continuing: boom" at error level and the loop goes on."""
    class Boom(MemoryStore):
        def clusters_with_runnable_work(self, now):
            svc.stop()
            raise RuntimeError("boom")

    svc = ActuatorService(Boom(), {}, poll_interval=0.01, clock=ManualClock(START), renew_leases=False)
    t = threading.Thread(target=svc.run, daemon=True)
    t.start()
    t.join(10)
    assert not t.is_alive(), "the service did not stop"
    assert [(r.levelname, r.getMessage()) for r in caplog.records if "runnable" in r.getMessage()] == [
        ("ERROR", "error getting runnable tasks, continuing: boom")
    ]
    assert svc.errors == 1


def test_a_failing_pass_is_logged_and_the_others_go_on(store, caplog):
    add_clusters(store, 2, 1)
    store.create_manifest(
        MaintenanceManifest.new(
            "/subscriptions/99999999-9999-9999-9999-999999999999/resourcegroups/rg/providers/"
            "microsoft.redhatopenshift/openshiftclusters/orphan",
            TASK, now=T0,
        )
    )
    svc = ActuatorService(store, {TASK: lambda tc, m, c: None}, workers=3, clock=ManualClock(START), renew_leases=False)
    assert svc.run_once() == 2
    assert svc.errors == 1
    assert "orphan: pass failed" in caplog.text
    assert sorted(m.state for m in store.list_manifests()) == ["Completed", "Completed", "Pending"]


def test_signal_handlers_stop_and_restore():
    import os
    import signal

    svc = ActuatorService(MemoryStore(), {}, clock=ManualClock(START))
    before = signal.getsignal(signal.SIGTERM)
    restore = svc.install_signal_handlers()
    try:
        os.kill(os.getpid(), signal.SIGTERM)
        assert svc.stopping
    finally:
        restore()
    assert signal.getsignal(signal.SIGTERM) == before


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="workers"):
        ActuatorService(MemoryStore(), {}, workers=0)
    with pytest.raises(ValueError, match="poll_interval"):
        ActuatorService(MemoryStore(), {}, poll_interval=0)
    with pytest.raises(ValueError, match="pool_ttl"):
        ActuatorService(MemoryStore(), {}, pool_ttl=0)
    with pytest.raises(ValueError, match="bucket_refresh_interval"):
        ActuatorService(MemoryStore(), {}, bucket_refresh_interval=0)


# -- buckets: Go's pkg/mimo/actuator/service.go serves only the clusters of its buckets, which
# -- pkg/util/buckets (bucketRefreshLoop, tryMaster, balance) shares among the live hosts
def test_two_hosts_split_the_fleet_by_bucket_and_never_race_for_a_cluster(store, caplog):
    from mimo.store.pool import bucket_of

    caplog.set_level("INFO", logger="mimo.actuator")
    add_clusters(store, 12, 2)
    clock = ManualClock(START)
    ran: dict[str, set[str]] = defaultdict(set)

    def task_of(host: str):
        def task(tc, m, c):
            ran[host].add(m.cluster_resource_id)
        return task

    a = ActuatorService(store, {TASK: task_of("a")}, workers=2, clock=clock, renew_leases=False, owner="a")
    b = ActuatorService(store, {TASK: task_of("b")}, workers=2, clock=clock, renew_leases=False, owner="b")
    a.refresh_buckets()  # a: master, all 256
    b.refresh_buckets()  # b: registered, none yet
    assert (len(a.buckets or ()), b.buckets) == (256, frozenset())
    a.refresh_buckets()  # the master re-balances over both
    b.refresh_buckets()
    assert a.buckets and b.buckets and not a.buckets & b.buckets and len(a.buckets | b.buckets) == 256
    while a.run_once() + b.run_once():
        pass
    assert ran["a"] and ran["b"] and not ran["a"] & ran["b"]
    assert all(bucket_of(r) in a.buckets for r in ran["a"]) and all(bucket_of(r) in b.buckets for r in ran["b"])
    assert {m.state for m in store.list_manifests()} == {"Completed"}
    assert "lease failed" not in caplog.text  # no host tried a manifest the other one had
    assert "became the mimo-actuator master" in caplog.text and "servicing 128 buckets" in caplog.text


def test_a_silent_hosts_buckets_move_to_the_live_one_after_the_pool_ttl(store):
    add_clusters(store, 8, 1)
    clock = ManualClock(START)
    a = ActuatorService(store, {TASK: lambda tc, m, c: None}, clock=clock, renew_leases=False, owner="a",
                        pool_ttl=10, bucket_refresh_interval=5)
    b = ActuatorService(store, {TASK: lambda tc, m, c: None}, clock=clock, renew_leases=False, owner="b",
                        pool_ttl=10, bucket_refresh_interval=5)
    a.refresh_buckets(), b.refresh_buckets(), a.refresh_buckets(), b.refresh_buckets()
    assert len(b.buckets or ()) == 128
    # a falls silent (a frozen host); b refreshes every 5 s and takes everything once a's
    # heartbeat and master lease (10 s) have lapsed
    clock.sleep(5)
    b.run_once()
    assert len(b.buckets or ()) == 128
    clock.sleep(6)
    b.run_once()
    assert b.is_master and b.buckets == frozenset(range(256))
    assert {m.state for m in store.list_manifests()} == {"Completed"}


def test_run_once_refreshes_only_when_due():
    calls = []

    class Counting(MemoryStore):
        def pool_refresh(self, *a, **kw):
            calls.append(a[2])
            return super().pool_refresh(*a, **kw)

    clock = ManualClock(START)
    svc = ActuatorService(Counting(), {}, clock=clock)
    svc.run_once()
    svc.run_once()
    clock.sleep(9)
    svc.run_once()
    assert len(calls) == 1  # Go's defaultBucketRefreshInterval: 10 s
    clock.sleep(1)
    svc.run_once()
    assert len(calls) == 2


def test_a_failing_refresh_serves_no_bucket_until_one_succeeds(caplog):
    class Down(MemoryStore):
        down = True

        def pool_refresh(self, *a, **kw):
            if self.down:
                raise ConnectionError("database unreachable")
            return super().pool_refresh(*a, **kw)

    store = Down()
    store.put_subscription(SubscriptionDocument(id=SUB))
    add_clusters(store, 2, 1)
    clock = ManualClock(START)
    svc = ActuatorService(store, {TASK: lambda tc, m, c: None}, clock=clock, renew_leases=False)
    assert svc.run_once() == 0 and svc.buckets == frozenset()
    assert "error registering ourselves as a mimo-actuator poolWorker: database unreachable" in caplog.text
    assert {m.state for m in store.list_manifests()} == {"Pending"}
    store.down = False
    clock.sleep(10)
    assert svc.run_once() == 2


def test_bucket_intervals_are_capped_as_go_with_its_message(caplog):
    svc = ActuatorService(MemoryStore(), {}, pool_ttl=120, bucket_refresh_interval=50)
    assert (svc.bucket_refresh_interval, svc.pool_ttl) == (45, 60)
    assert "interval must be at most 45s to align with renewLease, was 50s, capping" in caplog.text
    assert "workerTTL must be at most 1m0s to align with renewLease, was 2m0s, capping" in caplog.text


def test_buckets_are_fresh_only_within_the_pool_ttl_of_the_last_refresh():
    clock = ManualClock(START)
    svc = ActuatorService(MemoryStore(), {}, clock=clock)
    assert not svc.buckets_fresh()  # Go's checkReady: no bucket update yet
    svc.refresh_buckets()
    clock.sleep(59)
    assert svc.buckets_fresh()
    clock.sleep(1)
    assert not svc.buckets_fresh()
