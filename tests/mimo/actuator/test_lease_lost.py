"""Leases that survive pauses, in one process on a hand-driven clock: fencing by lease generation,
and a task that stops at the next step boundary once its lease is lost (issue #16, item 2).

The renewal thread is left out (``interval`` far longer than any test): ``check_lease`` alone must
notice, as it must after a pause in which no thread ran. The process-level version with real
SIGSTOPs is test_paused_actuator.py.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone

import pytest

from mimo.actuator import Actuator, LeaseRenewer
from mimo.api import MaintenanceManifest, OpenShiftClusterDocument, SubscriptionDocument
from mimo.errors import LeaseLost
from mimo.runner import action, condition, run_steps
from mimo.store import MemoryStore, SqliteStore, StoreError

from ..clocks import ManualClock

SUB = "11111111-1111-1111-1111-111111111111"
RID = f"/subscriptions/{SUB}/resourcegroups/rg/providers/microsoft.redhatopenshift/openshiftclusters/c1"
TASK = "00000000-0000-4000-8000-000000000001"
START = datetime(2026, 1, 5, tzinfo=timezone.utc)
T0 = int(START.timestamp())


@pytest.fixture(params=["memory", "sqlite"])
def store(request, tmp_path):
    s = MemoryStore() if request.param == "memory" else SqliteStore(tmp_path / "a.db")
    s.put_cluster(OpenShiftClusterDocument(id="22222222-2222-2222-2222-222222222222", resource_id=RID))
    s.put_subscription(SubscriptionDocument(id=SUB))
    yield s
    s.close()


def actuator(store, clock, **kw) -> Actuator:
    # renewals on, but the thread would tick only after an hour: check_lease does the work
    return Actuator(store, {TASK: kw.pop("task")}, clock=clock, owner="host-a", lease_seconds=60,
                    renew_leases=True, renew_interval=3600, **kw)


def take_over(store, clock, manifest_id: str, owner: str = "host-b") -> MaintenanceManifest:
    """What a second host does once the first one's lease has expired."""
    now = int(clock.now().timestamp())
    assert store.recover_expired_leases(now) == [manifest_id]
    leased = store.lease_manifest(manifest_id, owner, now + 60, now)
    assert leased is not None
    return leased


def test_a_paused_host_stops_before_its_next_step_and_writes_nothing(store, caplog):
    clock = ManualClock(START)
    started: list[str] = []
    holder: dict[str, MaintenanceManifest] = {}

    def pause_past_the_lease(tc):
        started.append("one")
        clock.sleep(120)  # frozen: no renewal ran; the lease (60 s) has expired
        holder["b"] = take_over(store, clock, m.id)

    def two(tc):
        started.append("two")

    def task(tc, manifest, cluster):
        run_steps(tc, [action(pause_past_the_lease, name="one"), action(two, name="two")])

    m = store.create_manifest(MaintenanceManifest.new(RID, TASK, now=T0))
    with caplog.at_level(logging.INFO):
        actuator(store, clock, task=task).process(RID)
    assert started == ["one"], "a step started after the lease was lost"
    got = store.get_manifest(m.id)
    assert (got.state, got.lease_owner, got.dequeues) == ("InProgress", "host-b", 2)  # untouched
    assert "step action.two not started: lease on manifest" in caplog.text
    assert f"manifest {m.id}: attempt 1 stopped, nothing written" in caplog.text
    # the host that took over writes the outcome, once
    assert store.finish_manifest(m.id, "host-b", "Completed", "", generation=holder["b"].dequeues)


def test_the_same_owner_leasing_again_fences_its_earlier_attempt(store, caplog):
    """Two threads of one actuator share its owner name: only the generation tells their leases apart."""
    clock = ManualClock(START)

    def task(tc, manifest, cluster):
        clock.sleep(120)
        take_over(store, clock, manifest.id, owner="host-a")  # the same owner, generation 2

    m = store.create_manifest(MaintenanceManifest.new(RID, TASK, now=T0))
    with caplog.at_level(logging.ERROR):
        Actuator(store, {TASK: task}, clock=clock, owner="host-a", renew_leases=False).process(RID)
    got = store.get_manifest(m.id)
    assert (got.state, got.lease_owner, got.dequeues) == ("InProgress", "host-a", 2)
    assert "lease lost before writing Completed" in caplog.text


def test_a_check_with_plenty_of_lease_left_asks_the_store_nothing(store):
    clock = ManualClock(START)
    m = store.create_manifest(MaintenanceManifest.new(RID, TASK, now=T0))
    leased = store.lease_manifest(m.id, "host-a", T0 + 60, T0)
    calls = []

    class Counting:
        def __getattr__(self, name):
            return getattr(store, name)

        def renew_lease(self, *a, **kw):
            calls.append(kw)
            return store.renew_lease(*a, **kw)

    r = LeaseRenewer(Counting(), m.id, "host-a", clock=clock, lease_seconds=60, interval=3600,
                     generation=leased.dequeues, expires=leased.lease_expires)
    for _ in range(100):
        r.check()
    assert calls == []
    clock.sleep(45)  # less than a third of the lease left: the check renews
    r.check()
    assert calls == [{"generation": 1}]
    assert store.get_manifest(m.id).lease_expires == T0 + 45 + 60


def test_a_store_outage_is_ridden_out_until_the_lease_runs_out(store):
    clock = ManualClock(START)
    m = store.create_manifest(MaintenanceManifest.new(RID, TASK, now=T0))
    store.lease_manifest(m.id, "host-a", T0 + 60, T0)

    class Down:
        def renew_lease(self, *a, **kw):
            raise StoreError("connection refused")

    r = LeaseRenewer(Down(), m.id, "host-a", clock=clock, lease_seconds=60, interval=3600,
                     generation=1, expires=T0 + 60)
    clock.sleep(50)
    r.check()  # cannot renew, but 10 s of the lease are left: go on
    clock.sleep(11)
    with pytest.raises(LeaseLost, match="ran out and could not be renewed: connection refused"):
        r.check()


def test_a_condition_polling_past_its_lease_stops_after_the_sleep(store, caplog):
    clock = ManualClock(START)
    polls = []

    def never(tc):
        polls.append(clock.now())
        if len(polls) == 1:
            clock.sleep(100)  # paused past the lease inside the poll
            take_over(store, clock, m.id)
        return False

    def task(tc, manifest, cluster):
        run_steps(tc, [condition(never, timeout=3000, poll_interval=10)])

    m = store.create_manifest(MaintenanceManifest.new(RID, TASK, now=T0))
    with caplog.at_level(logging.ERROR):
        actuator(store, clock, task=task).process(RID)
    assert len(polls) == 1, "the condition polled again after the lease was lost"
    assert store.get_manifest(m.id).lease_owner == "host-b"
    assert "stopped, nothing written" in caplog.text
