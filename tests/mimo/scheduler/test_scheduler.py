from __future__ import annotations

import logging
import zlib
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from mimo.api import (
    MaintenanceManifest,
    MaintenanceSchedule,
    ManifestState,
    OpenShiftClusterDocument,
    Selector,
    SubscriptionDocument,
)
from mimo.environment import Environment
from mimo.scheduler import CANCELLED_BY_SCHEDULER, Scheduler, manifest_id_for, periods
from mimo.store import MemoryStore, SqliteStore, StoreError

UTC = timezone.utc
SUB_A = "11111111-1111-1111-1111-111111111111"
SUB_B = "22222222-2222-2222-2222-222222222222"
TASK = "9b741734-6505-447f-8510-85eb0ae561a2"
TASK2 = "082978ce-3700-4972-835f-53d48658d291"
SCHED = "aaaaaaaa-0000-4000-8000-000000000001"
SCHED2 = "aaaaaaaa-0000-4000-8000-000000000002"
HOUR = 3600
DAY = 86400


def at(y: int, mo: int, d: int, h: int = 0, mi: int = 0, sec: int = 0, us: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, sec, us, tzinfo=UTC)


def ts(t: datetime) -> int:
    return int(t.timestamp())


def offset_of(resource_id: str, across_s: int) -> int:
    """The spec's formula, written out independently."""
    if across_s <= 1:
        return 0
    p = zlib.crc32(resource_id.lower().encode()) / (2**32 - 1)
    return round(p * (across_s - 1))


class Clock:
    def __init__(self, t: datetime) -> None:
        self.t = t

    def now(self) -> datetime:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.t += timedelta(seconds=seconds)


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    s: Any = MemoryStore() if request.param == "memory" else SqliteStore(str(tmp_path / "mimo.db"))
    yield s
    s.close()


@pytest.fixture
def fleet(store: Any, make_cluster: Callable[..., OpenShiftClusterDocument]) -> list[OpenShiftClusterDocument]:
    """Four clusters: three in a registered subscription, one in a suspended one."""
    store.put_subscription(SubscriptionDocument(id=SUB_A, state="Registered"))
    store.put_subscription(SubscriptionDocument(id=SUB_B, state="Suspended"))
    clusters = [
        make_cluster("alpha"),
        make_cluster("bravo", outbound_type="UserDefinedRouting"),
        make_cluster("charlie", domain="charlie.example.com"),
        make_cluster("delta", sub=SUB_B),
    ]
    for c in clusters:
        store.put_cluster(c)
    return clusters


def registered() -> list[Selector]:
    return [Selector(key="subscriptionState", operator="eq", value="Registered")]


def schedule(**kw: Any) -> MaintenanceSchedule:
    args: dict[str, Any] = {
        "id": SCHED,
        "maintenance_task_id": TASK,
        "schedule": "*-*-* 00:00",
        "selectors": registered(),
        "look_forward_count": 2,
        "schedule_across": "24h",
    }
    args.update(kw)
    return MaintenanceSchedule(**args)


def pending(store: Any, schedule_id: str = SCHED) -> list[MaintenanceManifest]:
    return store.list_manifests(schedule_id=schedule_id, states=[ManifestState.PENDING])


def keyset(ms: list[MaintenanceManifest]) -> set[tuple[str, int]]:
    return {(m.cluster_resource_id, m.run_after) for m in ms}


# -- the basic pass -------------------------------------------------------------------------------


def test_first_pass_creates_the_next_periods_for_matching_clusters(store: Any, fleet: list[OpenShiftClusterDocument]) -> None:
    store.put_schedule(schedule())
    clock = Clock(at(2026, 12, 1, 10, 0))
    result = Scheduler(store, clock=clock).process()

    assert result.errors == [] and result.cancelled == [] and result.schedules == 1
    matching = [c.resource_id for c in fleet[:3]]  # delta's subscription is Suspended
    want = set()
    for rid in matching:
        off = offset_of(rid, DAY)
        # today's 00:00 is in the past: never created, even when the cluster's slot is still ahead
        for start in (at(2026, 12, 2), at(2026, 12, 3)):
            want.add((rid, ts(start) + off))
    got = pending(store)
    assert keyset(got) == want
    assert keyset(result.created) == want
    for m in got:
        assert m.state == ManifestState.PENDING
        assert m.maintenance_task_id == TASK
        assert m.created_by_schedule == SCHED
        assert m.run_before == m.run_after + HOUR
        assert m.id == manifest_id_for(SCHED, m.cluster_resource_id, m.run_after)
        assert m.dequeues == 0 and m.lease_owner == ""


def test_a_second_pass_changes_nothing(store: Any, fleet: list[OpenShiftClusterDocument]) -> None:
    store.put_schedule(schedule())
    clock = Clock(at(2026, 12, 1, 10, 0))
    Scheduler(store, clock=clock).process()
    before = store.list_manifests()
    clock.t += timedelta(minutes=5)
    again = Scheduler(store, clock=clock).process()
    assert (again.created, again.cancelled, again.errors) == ([], [], [])
    assert store.list_manifests() == before


def test_rolling_forward_keeps_the_in_window_previous_period(store: Any, fleet: list[OpenShiftClusterDocument]) -> None:
    store.put_schedule(schedule())
    clock = Clock(at(2026, 12, 1, 10, 0))
    Scheduler(store, clock=clock).process()
    # a day and a bit later: Dec 2 00:00 is now the previous period, and we are inside its 24 h window
    clock.t = at(2026, 12, 2, 9, 0)
    result = Scheduler(store, clock=clock).process()
    assert result.cancelled == []
    rids = [c.resource_id for c in fleet[:3]]
    assert keyset(result.created) == {(rid, ts(at(2026, 12, 4)) + offset_of(rid, DAY)) for rid in rids}
    # Dec 2 manifests are all still Pending (those whose slot passed are the actuator's now)
    assert {(rid, ts(at(2026, 12, 2)) + offset_of(rid, DAY)) for rid in rids} <= keyset(pending(store))
    assert len(pending(store)) == 9


def test_a_period_starting_exactly_now_is_not_created(store: Any, fleet: list[OpenShiftClusterDocument]) -> None:
    """Go's ``Next`` (pkg/mimo/scheduler/calendar.go) starts at ``now.Round(time.Second) + 1s``: a start equal to
    now is not a future period (TestProcessLoop: now 2026-01-01T00:00:00, daily 00:00, the first is 01-02)."""
    store.put_schedule(schedule(schedule_across="0s", look_forward_count=1))
    clock = Clock(at(2026, 12, 2, 0, 0))
    result = Scheduler(store, clock=clock).process()
    assert keyset(result.created) == {(c.resource_id, ts(at(2026, 12, 3))) for c in fleet[:3]}
    # one second later: the same period, nothing new, nothing cancelled, no duplicate
    clock.t += timedelta(seconds=1)
    result = Scheduler(store, clock=clock).process()
    assert result.created == [] and result.cancelled == []


def test_no_duplicate_when_a_period_ran_within_the_same_second(store: Any, fleet: list[OpenShiftClusterDocument]) -> None:
    store.put_schedule(schedule(schedule_across="0s", look_forward_count=1))
    clock = Clock(at(2026, 12, 1, 23, 59, 59))
    Scheduler(store, clock=clock).process()
    clock.t = at(2026, 12, 2)
    now = ts(clock.t)
    for m in pending(store):  # the actuator runs them all at their very start
        leased = store.lease_manifest(m.id, "actuator-1", now + 60, now)
        assert leased is not None
        assert store.finish_manifest(m.id, "actuator-1", ManifestState.COMPLETED, "done")
    result = Scheduler(store, clock=clock).process()  # the same instant: only the next day is new
    assert keyset(result.created) == {(c.resource_id, ts(at(2026, 12, 3))) for c in fleet[:3]}
    assert result.errors == [] and len(store.list_manifests()) == 6


def test_never_creates_for_a_past_period_even_inside_its_window(store: Any, fleet: list[OpenShiftClusterDocument]) -> None:
    # a weekly schedule written on Tuesday: Monday's window (7 days) still runs, but Monday is past
    store.put_schedule(schedule(schedule="Mon *-*-* 00:00", schedule_across="168h", look_forward_count=1))
    clock = Clock(at(2026, 12, 1, 10, 0))  # a Tuesday
    result = Scheduler(store, clock=clock).process()
    assert {m.run_after - offset_of(m.cluster_resource_id, 7 * DAY) for m in result.created} == {ts(at(2026, 12, 7))}


def test_disabled_schedules_are_ignored(store: Any, fleet: list[OpenShiftClusterDocument]) -> None:
    store.put_schedule(schedule(state="Disabled"))
    result = Scheduler(store, clock=Clock(at(2026, 12, 1, 10))).process()
    assert (result.schedules, result.created, result.errors) == (0, [], [])
    assert store.list_manifests() == []


def test_selectors_choose_the_clusters(store: Any, fleet: list[OpenShiftClusterDocument]) -> None:
    env = Environment(domain_suffix="eastus.aroapp.io")
    store.put_schedule(
        schedule(
            selectors=[
                Selector(key="isManagedDomain", operator="eq", value="true"),
                Selector(key="outboundType", operator="notin", values=["UserDefinedRouting"]),
            ],
            look_forward_count=1,
        )
    )
    result = Scheduler(store, clock=Clock(at(2026, 12, 1, 10)), environment=env).process()
    # alpha: managed + LB; bravo: UDR; charlie: custom domain; delta: managed + LB (subscription state not asked)
    assert {m.cluster_resource_id for m in result.created} == {fleet[0].resource_id, fleet[3].resource_id}


# -- editing a schedule ----------------------------------------------------------------------------


def test_edited_calendar_cancels_and_replaces_future_manifests(store: Any, fleet: list[OpenShiftClusterDocument]) -> None:
    store.put_schedule(schedule())
    clock = Clock(at(2026, 12, 1, 10, 0))
    Scheduler(store, clock=clock).process()
    old = {m.id for m in pending(store)}

    store.put_schedule(schedule(schedule="*-*-* 06:00"))
    result = Scheduler(store, clock=clock).process()
    assert set(result.cancelled) == old
    for mid in old:
        m = store.get_manifest(mid)
        assert m.state == ManifestState.CANCELLED
        assert m.status_text == CANCELLED_BY_SCHEDULER
    # Dec 1 06:00 is in the past at 10:00, so only Dec 2 and Dec 3 06:00 exist
    assert {m.run_after - offset_of(m.cluster_resource_id, DAY) for m in pending(store)} == {
        ts(at(2026, 12, 2, 6)), ts(at(2026, 12, 3, 6))
    }

    # undoing the edit brings the cancelled periods back, under new IDs
    store.put_schedule(schedule())
    result = Scheduler(store, clock=clock).process()
    back = pending(store)
    assert {m.run_after - offset_of(m.cluster_resource_id, DAY) for m in back} == {ts(at(2026, 12, 2)), ts(at(2026, 12, 3))}
    assert {m.id for m in back}.isdisjoint(old)
    assert all(m.id == manifest_id_for(SCHED, m.cluster_resource_id, m.run_after, 1) for m in back)
    assert len(result.cancelled) == 6 and len(result.created) == 6


def test_shorter_look_forward_cancels_the_far_periods(store: Any, fleet: list[OpenShiftClusterDocument]) -> None:
    store.put_schedule(schedule(look_forward_count=3))
    clock = Clock(at(2026, 12, 1, 10, 0))
    Scheduler(store, clock=clock).process()
    assert len(pending(store)) == 9
    store.put_schedule(schedule(look_forward_count=1))
    result = Scheduler(store, clock=clock).process()
    assert result.created == [] and len(result.cancelled) == 6
    assert {m.run_after - offset_of(m.cluster_resource_id, DAY) for m in pending(store)} == {ts(at(2026, 12, 2))}


def test_changed_spreading_moves_the_manifests(store: Any, fleet: list[OpenShiftClusterDocument]) -> None:
    store.put_schedule(schedule(look_forward_count=1))
    clock = Clock(at(2026, 12, 1, 10, 0))
    Scheduler(store, clock=clock).process()
    store.put_schedule(schedule(look_forward_count=1, schedule_across="2h"))
    result = Scheduler(store, clock=clock).process()
    assert len(result.cancelled) == 3
    assert keyset(pending(store)) == {(c.resource_id, ts(at(2026, 12, 2)) + offset_of(c.resource_id, 2 * HOUR)) for c in fleet[:3]}


def test_changed_task_replaces_pending_manifests(store: Any, fleet: list[OpenShiftClusterDocument]) -> None:
    store.put_schedule(schedule(look_forward_count=1))
    clock = Clock(at(2026, 12, 1, 10, 0))
    first = Scheduler(store, clock=clock).process().created
    store.put_schedule(schedule(look_forward_count=1, maintenance_task_id=TASK2))
    result = Scheduler(store, clock=clock).process()
    assert set(result.cancelled) == {m.id for m in first}
    assert keyset(result.created) == keyset(first)
    assert {m.maintenance_task_id for m in pending(store)} == {TASK2}


def test_an_operator_cancellation_sticks(store: Any, fleet: list[OpenShiftClusterDocument]) -> None:
    store.put_schedule(schedule())
    clock = Clock(at(2026, 12, 1, 10, 0))
    created = Scheduler(store, clock=clock).process().created
    victim = created[0]
    assert store.cancel_manifest(victim.id)
    result = Scheduler(store, clock=clock).process()
    assert result.created == [] and result.cancelled == []
    assert store.get_manifest(victim.id).state == ManifestState.CANCELLED


def test_clusters_that_stop_matching_keep_their_manifests(store: Any, fleet: list[OpenShiftClusterDocument]) -> None:
    # as the spec says: cancellation is per matching cluster; `mimo manifests cancel` clears the rest
    store.put_schedule(schedule())
    clock = Clock(at(2026, 12, 1, 10, 0))
    Scheduler(store, clock=clock).process()
    store.put_subscription(SubscriptionDocument(id=SUB_A, state="Warned"))
    result = Scheduler(store, clock=clock).process()
    assert result.created == [] and result.cancelled == []
    assert len(pending(store)) == 6


def test_overlapping_windows_keep_every_in_window_period(store: Any, fleet: list[OpenShiftClusterDocument]) -> None:
    # every 30 minutes, spread across 3 hours: six windows overlap at any time
    store.put_schedule(schedule(schedule="*-*-* *:0,30", schedule_across="3h", look_forward_count=1))
    clock = Clock(at(2026, 12, 1, 10, 0))
    sched = Scheduler(store, clock=clock)
    for _ in range(8):
        result = sched.process()
        assert result.cancelled == [], "a manifest still inside its window was cancelled"
        clock.t += timedelta(minutes=30)
    # 8 passes, one new period each, three clusters
    assert len(store.list_manifests(schedule_id=SCHED)) == 24


# -- robustness -----------------------------------------------------------------------------------


class FlakyStore:
    """Delegates to a store; ``create_manifest`` raises after ``allow`` successful creates."""

    def __init__(self, inner: Any, allow: int, exc: BaseException) -> None:
        self.inner = inner
        self.allow = allow
        self.exc = exc
        self.creates = 0

    def create_manifest(self, m: MaintenanceManifest) -> MaintenanceManifest:
        if self.creates >= self.allow:
            raise self.exc
        self.creates += 1
        return self.inner.create_manifest(m)

    def cancel_and_create_many(self, groups: Any, text: str) -> Any:
        """A batch of clusters is one transaction: it fails whole when it would pass ``allow``."""
        n = sum(len(ms) for _ids, ms in groups)
        if self.creates + n > self.allow:
            raise self.exc
        self.creates += n
        return self.inner.cancel_and_create_many(groups, text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class Killed(BaseException):
    """Stands for the process dying mid-pass."""


def _two_schedules(store: Any) -> None:
    store.put_schedule(schedule(look_forward_count=3))
    store.put_schedule(schedule(id=SCHED2, schedule="Sat,Sun *-*-* 02:00", schedule_across="90m", look_forward_count=2))


def _clean_run(make_cluster: Callable[..., OpenShiftClusterDocument], now: datetime) -> set[tuple[str, str, int]]:
    ref = MemoryStore()
    ref.put_subscription(SubscriptionDocument(id=SUB_A, state="Registered"))
    ref.put_subscription(SubscriptionDocument(id=SUB_B, state="Suspended"))
    for name in ("alpha", "bravo", "charlie"):
        ref.put_cluster(make_cluster(name))
    ref.put_cluster(make_cluster("delta", sub=SUB_B))
    _two_schedules(ref)
    Scheduler(ref, clock=Clock(now)).process()
    return {(m.created_by_schedule, m.cluster_resource_id, m.run_after) for m in ref.list_manifests()}


@pytest.mark.parametrize("allow", [0, 1, 4, 7, 10, 14])
def test_interrupted_pass_rerun_gives_the_same_manifests(
    store: Any, fleet: list[OpenShiftClusterDocument], make_cluster: Callable[..., OpenShiftClusterDocument], allow: int
) -> None:
    now = at(2026, 12, 1, 10, 0)
    want = _clean_run(make_cluster, now)
    assert len(want) == 3 * 3 + 3 * 2

    _two_schedules(store)
    # a store error: logged, the pass goes on with the next cluster
    flaky = FlakyStore(store, allow, StoreError("database is locked"))
    r1 = Scheduler(flaky, clock=Clock(now)).process()
    # clusters whose whole write fits in ``allow`` are written, the others not at all
    assert len(r1.created) == flaky.creates <= allow
    assert len(store.list_manifests()) == flaky.creates
    assert r1.errors and all("database is locked" in e for e in r1.errors)
    r2 = Scheduler(store, clock=Clock(now)).process()
    assert r2.errors == [] and r2.cancelled == []
    got = [(m.created_by_schedule, m.cluster_resource_id, m.run_after) for m in store.list_manifests()]
    assert len(got) == len(set(got)), "duplicate manifests"
    assert set(got) == want
    assert len(r1.created) + len(r2.created) == len(want)


@pytest.mark.parametrize("allow", [0, 3, 8])
def test_killed_pass_rerun_gives_the_same_manifests(
    store: Any, fleet: list[OpenShiftClusterDocument], make_cluster: Callable[..., OpenShiftClusterDocument], allow: int
) -> None:
    now = at(2026, 12, 1, 10, 0)
    want = _clean_run(make_cluster, now)
    _two_schedules(store)
    killer = FlakyStore(store, allow, Killed())
    with pytest.raises(Killed):
        Scheduler(killer, clock=Clock(now)).process()
    assert len(store.list_manifests()) == killer.creates <= allow
    Scheduler(store, clock=Clock(now + timedelta(seconds=30))).process()
    got = [(m.created_by_schedule, m.cluster_resource_id, m.run_after) for m in store.list_manifests()]
    assert len(got) == len(set(got)) and set(got) == want


def test_two_schedulers_racing_write_no_duplicates(store: Any, fleet: list[OpenShiftClusterDocument]) -> None:
    store.put_schedule(schedule(look_forward_count=3))
    now = at(2026, 12, 1, 10, 0)

    class Interleaved(FlakyStore):
        """Before each of its own creates, let the other scheduler run a whole pass."""

        def create_manifest(self, m: MaintenanceManifest) -> MaintenanceManifest:
            self._other_pass_first()
            return self.inner.create_manifest(m)

        def cancel_and_create_many(self, groups: Any, text: str) -> Any:
            self._other_pass_first()
            return self.inner.cancel_and_create_many(groups, text)

        def _other_pass_first(self) -> None:
            if self.creates == 0:
                self.creates += 1
                Scheduler(self.inner, clock=Clock(now)).process()

    r = Scheduler(Interleaved(store, 0, Killed()), clock=Clock(now)).process()
    assert r.errors == [] and r.created == []  # everything had been written by the other one
    assert len(store.list_manifests()) == 9


def test_unknown_selector_key_skips_the_cluster_with_an_error(
    store: Any, fleet: list[OpenShiftClusterDocument], caplog: pytest.LogCaptureFixture
) -> None:
    bad = schedule(id=SCHED2, selectors=[Selector(key="region", operator="eq", value="eastus")])
    store.put_schedule(bad)  # bypassing validate_schedule, as an old or hand-written store might
    store.put_schedule(schedule(look_forward_count=1))
    with caplog.at_level(logging.ERROR, logger="mimo.scheduler"):
        result = Scheduler(store, clock=Clock(at(2026, 12, 1, 10))).process()
    assert len(result.errors) == 4  # every cluster of the bad schedule
    assert all(f"schedule {SCHED2}" in e and "key 'region'" in e and "unknown key" in e for e in result.errors)
    assert sum("unknown key" in r.getMessage() for r in caplog.records) == 4
    # the good schedule went ahead
    assert {m.created_by_schedule for m in result.created} == {SCHED}
    assert len(result.created) == 3


def test_a_broken_selector_is_reported_once_per_schedule(store: Any, fleet: list[OpenShiftClusterDocument]) -> None:
    store.put_schedule(schedule(id=SCHED2, selectors=[Selector(key="outboundType", operator="eq", values=["x"])]))
    store.put_schedule(schedule(look_forward_count=1))
    result = Scheduler(store, clock=Clock(at(2026, 12, 1, 10))).process()
    assert len(result.errors) == 1
    assert f"schedule {SCHED2}: selectors[0] (key 'outboundType'): operator 'eq' needs 'value'" in result.errors[0]
    assert len(result.created) == 3


def test_missing_subscription_skips_the_cluster(store: Any, make_cluster: Callable[..., OpenShiftClusterDocument]) -> None:
    store.put_subscription(SubscriptionDocument(id=SUB_A))
    store.put_cluster(make_cluster("alpha"))
    store.put_cluster(make_cluster("orphan", sub="33333333-3333-3333-3333-333333333333"))
    store.put_schedule(schedule(look_forward_count=1))
    result = Scheduler(store, clock=Clock(at(2026, 12, 1, 10))).process()
    assert len(result.created) == 1
    assert len(result.errors) == 1 and "subscription 33333333-3333-3333-3333-333333333333 not found" in result.errors[0]


def test_a_bad_calendar_in_the_store_skips_only_that_schedule(store: Any, fleet: list[OpenShiftClusterDocument]) -> None:
    store.put_schedule(schedule(id=SCHED2, schedule="Mon..Fri *-*-* 00:00"))
    store.put_schedule(schedule(look_forward_count=1))
    result = Scheduler(store, clock=Clock(at(2026, 12, 1, 10))).process()
    assert len(result.errors) == 1 and "weekday 'Mon..Fri'" in result.errors[0]
    assert len(result.created) == 3


def test_unregistered_task_skipped_when_a_registry_is_given(store: Any, fleet: list[OpenShiftClusterDocument]) -> None:
    store.put_schedule(schedule(look_forward_count=1))
    result = Scheduler(store, clock=Clock(at(2026, 12, 1, 10)), tasks={TASK2: object()}).process()
    assert result.created == [] and len(result.errors) == 1 and "not registered" in result.errors[0]
    result = Scheduler(store, clock=Clock(at(2026, 12, 1, 10)), tasks={TASK: object()}).process()
    assert len(result.created) == 3


def test_a_finished_calendar_creates_nothing(store: Any, fleet: list[OpenShiftClusterDocument], caplog: pytest.LogCaptureFixture) -> None:
    store.put_schedule(schedule(schedule="2026-11-30 00:00"))
    with caplog.at_level(logging.WARNING, logger="mimo.scheduler"):
        result = Scheduler(store, clock=Clock(at(2026, 12, 1, 10))).process()
    assert result.created == [] and result.errors == []
    assert any("will never trigger again" in r.getMessage() for r in caplog.records)


def test_fewer_periods_left_than_look_forward(store: Any, fleet: list[OpenShiftClusterDocument]) -> None:
    store.put_schedule(schedule(schedule="2026-12-24,31 00:00", look_forward_count=5, schedule_across="0s"))
    result = Scheduler(store, clock=Clock(at(2026, 12, 1, 10))).process()
    assert {m.run_after for m in result.created} == {ts(at(2026, 12, 24)), ts(at(2026, 12, 31))}
    assert len(result.created) == 6


def test_custom_run_window(store: Any, fleet: list[OpenShiftClusterDocument]) -> None:
    store.put_schedule(schedule(look_forward_count=1))
    result = Scheduler(store, clock=Clock(at(2026, 12, 1, 10)), run_window=timedelta(days=7)).process()
    assert all(m.run_before == m.run_after + 7 * DAY for m in result.created)
    with pytest.raises(ValueError, match="run_window"):
        Scheduler(store, run_window=timedelta(seconds=-1))


def test_result_summary(store: Any, fleet: list[OpenShiftClusterDocument]) -> None:
    store.put_schedule(schedule())
    result = Scheduler(store, clock=Clock(at(2026, 12, 1, 10))).process()
    assert str(result) == "1 schedule(s): created 6, cancelled 0, errors 0"
    assert result.ok


def test_secrets_stay_out_of_the_logs(
    store: Any, make_cluster: Callable[..., OpenShiftClusterDocument], caplog: pytest.LogCaptureFixture
) -> None:
    from mimo.api import RegistryProfile, Secret, ServicePrincipalProfile

    c = make_cluster("secretive")
    c.properties.service_principal_profile = ServicePrincipalProfile(client_id="cid", client_secret=Secret("hunter2-sp"))
    c.properties.registry_profiles = [RegistryProfile(name="arosvc.azurecr.io", username="u", password=Secret("hunter2-acr"))]
    store.put_subscription(SubscriptionDocument(id=SUB_A))
    store.put_cluster(c)
    store.put_schedule(schedule())
    with caplog.at_level(logging.DEBUG, logger="mimo.scheduler"):
        Scheduler(store, clock=Clock(at(2026, 12, 1, 10))).process()
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "created new manifest" in text
    assert "hunter2" not in text


# -- the periods a pass considers ------------------------------------------------------------------


def test_periods_previous_one_only_while_inside_its_window() -> None:
    s = schedule(schedule="*-*-* 00:00", schedule_across="6h", look_forward_count=2)
    p = periods(s, at(2026, 12, 1, 5, 59))
    assert p.in_window == [at(2026, 12, 1)] and p.future == [at(2026, 12, 2), at(2026, 12, 3)]
    p = periods(s, at(2026, 12, 1, 6, 0))  # the window [00:00, 06:00) has closed
    assert p.in_window == [] and p.future == [at(2026, 12, 2), at(2026, 12, 3)]
    p = periods(s, at(2026, 12, 1, 0, 0))  # a start equal to now is not a future period (Go's Next)
    assert p.in_window == [at(2026, 12, 1)] and p.future == [at(2026, 12, 2), at(2026, 12, 3)]
    assert periods(schedule(schedule_across="0s"), at(2026, 12, 1, 0, 0, 1)).in_window == []


def test_periods_overlapping_windows() -> None:
    s = schedule(schedule="*-*-* *:0,30", schedule_across="2h", look_forward_count=1)
    p = periods(s, at(2026, 12, 1, 10, 10))
    assert p.in_window == [at(2026, 12, 1, 8, 30), at(2026, 12, 1, 9), at(2026, 12, 1, 9, 30), at(2026, 12, 1, 10)]
    assert p.future == [at(2026, 12, 1, 10, 30)]
    assert p.all == p.in_window + p.future


def test_the_pass_keeps_exactly_the_listed_periods(store: Any, fleet: list[OpenShiftClusterDocument]) -> None:
    """Whatever periods() lists survives a pass; a manifest for any other start is cancelled."""
    s = schedule(schedule="*-*-* *:0,30", schedule_across="2h", look_forward_count=2)
    store.put_schedule(s)
    now = at(2026, 12, 1, 10, 10)
    rid = fleet[0].resource_id
    off = offset_of(rid, 2 * HOUR)
    candidates = [at(2026, 12, 1, 8) + timedelta(minutes=15 * i) for i in range(14)]  # 08:00 .. 11:15
    for start in candidates:
        if ts(start) + off > ts(now):  # only future Pending manifests are the pass's business
            store.create_manifest(
                MaintenanceManifest(cluster_resource_id=rid, maintenance_task_id=TASK, run_after=ts(start) + off,
                                    run_before=ts(start) + off + HOUR, created_by_schedule=SCHED)
            )
    Scheduler(store, clock=Clock(now)).process()
    kept = {m.run_after - off for m in pending(store) if m.cluster_resource_id == rid}
    listed = {ts(t) for t in periods(s, now).all}
    assert kept == {x for x in listed if x + off > ts(now)}


# -- issue #8 "Done when": exact manifests for each listed behaviour ---------------------------------

#: forged resource IDs (see test_spread.py): crc32 0xFFFFFFFF (p == 1) and 0 (p == 0)
LATE = "spread-1610257446000000"
EARLY = "spread-6323341753000000"


@pytest.fixture
def edges(store: Any, make_cluster: Callable[..., OpenShiftClusterDocument]) -> tuple[str, str]:
    """Two clusters at the very ends of every window: offset across − 1 s and offset 0."""
    store.put_subscription(SubscriptionDocument(id=SUB_A, state="Registered"))
    late, early = make_cluster(LATE), make_cluster(EARLY)
    store.put_cluster(late)
    store.put_cluster(early)
    assert zlib.crc32(late.resource_id.lower().encode()) == 0xFFFFFFFF
    assert zlib.crc32(early.resource_id.lower().encode()) == 0
    return late.resource_id, early.resource_id


def expected(rid: str, run_after: datetime, sid: str = SCHED, task: str = TASK, gen: int = 0) -> dict[str, Any]:
    """The whole manifest a pass must write, as its JSON document."""
    ra = ts(run_after)
    return MaintenanceManifest(
        id=manifest_id_for(sid, rid, ra, gen), cluster_resource_id=rid, maintenance_task_id=task,
        run_after=ra, run_before=ra + HOUR, created_by_schedule=sid,
    ).to_dict()


def docs(ms: list[MaintenanceManifest]) -> list[dict[str, Any]]:
    return sorted((m.to_dict() for m in ms), key=lambda d: (d["clusterResourceID"], d["runAfter"]))


def test_spreading_in_the_pass_uses_the_whole_window_but_its_last_second(store: Any, edges: tuple[str, str]) -> None:
    late, early = edges
    store.put_schedule(schedule(schedule="Mon *-*-* 00:00", schedule_across="168h", look_forward_count=2))
    result = Scheduler(store, clock=Clock(at(2026, 12, 1, 10))).process()  # a Tuesday
    week = timedelta(days=7)
    assert docs(result.created) == docs(store.list_manifests()) == sorted(
        [
            expected(late, at(2026, 12, 7) + week - timedelta(seconds=1)),
            expected(late, at(2026, 12, 14) + week - timedelta(seconds=1)),
            expected(early, at(2026, 12, 7)),
            expected(early, at(2026, 12, 14)),
        ],
        key=lambda d: (d["clusterResourceID"], d["runAfter"]),
    )


@pytest.mark.parametrize("across", ["1s", "0s"])
def test_a_window_of_one_second_or_less_puts_every_cluster_at_the_start(
    store: Any, edges: tuple[str, str], fleet: list[OpenShiftClusterDocument], across: str
) -> None:
    store.put_schedule(schedule(schedule="*-*-1,15 06:00", schedule_across=across, look_forward_count=2))
    result = Scheduler(store, clock=Clock(at(2026, 12, 1, 10))).process()
    rids = [*edges, *(c.resource_id for c in fleet[:3])]
    assert docs(result.created) == sorted(
        [expected(rid, t) for rid in rids for t in (at(2026, 12, 15, 6), at(2027, 1, 1, 6))],
        key=lambda d: (d["clusterResourceID"], d["runAfter"]),
    )


def test_the_same_cluster_gets_the_same_offset_in_every_period_and_pass(store: Any, fleet: list[OpenShiftClusterDocument]) -> None:
    store.put_schedule(schedule(schedule="*-*-* 00:00", schedule_across="24h", look_forward_count=3))
    clock = Clock(at(2026, 12, 1, 0, 0))
    sched = Scheduler(store, clock=clock)
    for _ in range(5):
        sched.process()
        clock.t += timedelta(days=1)
    by_cluster: dict[str, set[int]] = {}
    for m in store.list_manifests(schedule_id=SCHED):
        by_cluster.setdefault(m.cluster_resource_id, set()).add((m.run_after - ts(at(2026, 12, 1))) % DAY)
    assert by_cluster == {c.resource_id: {offset_of(c.resource_id, DAY)} for c in fleet[:3]}
    # three clusters, three different places in the window
    assert len({next(iter(v)) for v in by_cluster.values()}) == 3


def test_look_ahead_creates_exactly_look_forward_count_periods(store: Any, edges: tuple[str, str]) -> None:
    late, early = edges
    store.put_schedule(schedule(schedule="Mon *-*-* 00:00", schedule_across="0s", look_forward_count=4))
    clock = Clock(at(2026, 12, 1, 10))  # Tuesday
    result = Scheduler(store, clock=clock).process()
    mondays = [at(2026, 12, 7), at(2026, 12, 14), at(2026, 12, 21), at(2026, 12, 28)]
    assert docs(result.created) == sorted(
        [expected(rid, t) for rid in edges for t in mondays], key=lambda d: (d["clusterResourceID"], d["runAfter"])
    )
    # a week later the window has moved by one Monday: exactly one more per cluster
    clock.t = at(2026, 12, 8, 10)
    result = Scheduler(store, clock=clock).process()
    assert (result.cancelled, result.errors) == ([], [])
    assert docs(result.created) == sorted([expected(late, at(2027, 1, 4)), expected(early, at(2027, 1, 4))],
                                          key=lambda d: (d["clusterResourceID"], d["runAfter"]))
    future = [m for m in pending(store) if m.run_after > ts(clock.t)]
    assert sorted({m.run_after for m in future}) == [ts(t) for t in (at(2026, 12, 14), at(2026, 12, 21),
                                                                      at(2026, 12, 28), at(2027, 1, 4))]


def test_look_ahead_over_the_quarterly_example(store: Any, edges: tuple[str, str]) -> None:
    store.put_schedule(schedule(schedule="*-3,6,9,12-1 00:00", schedule_across="1h", look_forward_count=3))
    result = Scheduler(store, clock=Clock(at(2026, 12, 1, 0, 0, 1))).process()  # Dec 1 00:00 has just passed
    late, early = edges
    starts = [at(2027, 3, 1), at(2027, 6, 1), at(2027, 9, 1)]
    assert docs(result.created) == sorted(
        [expected(late, t + timedelta(seconds=HOUR - 1)) for t in starts] + [expected(early, t) for t in starts],
        key=lambda d: (d["clusterResourceID"], d["runAfter"]),
    )


# -- the previous period's spreading window ---------------------------------------------------------
#
# The spec: "compute the next lookForwardCount period starts (plus the previous one when now is still
# inside its spreading window); ... create a Pending manifest ... for every period that has none yet,
# never for a period whose start is in the past; cancel ... future pending manifests ... whose runAfter
# no longer matches any period". Inside its window, the previous period's start is always in the past,
# so it is never created: it is listed so that its manifests whose runAfter is still ahead are kept
# rather than cancelled. The reference system does the same (it skips creation when the period start
# is before now). These tests pin that down.


def test_inside_the_previous_window_a_new_schedule_starts_at_its_next_period(store: Any, edges: tuple[str, str]) -> None:
    late, early = edges
    store.put_schedule(schedule(schedule="*-*-* 00:00", schedule_across="24h", look_forward_count=1))
    # 10:00: inside Dec 1's window; LATE's slot (23:59:59) is still ahead, EARLY's (00:00) has passed
    result = Scheduler(store, clock=Clock(at(2026, 12, 1, 10))).process()
    assert docs(result.created) == docs(store.list_manifests()) == sorted(
        [expected(late, at(2026, 12, 2, 23, 59, 59)), expected(early, at(2026, 12, 2))],
        key=lambda d: (d["clusterResourceID"], d["runAfter"]),
    )


def test_inside_the_previous_window_its_manifests_are_kept_not_duplicated(store: Any, edges: tuple[str, str]) -> None:
    late, early = edges
    store.put_schedule(schedule(schedule="*-*-* 00:00", schedule_across="24h", look_forward_count=1))
    clock = Clock(at(2026, 11, 30, 12))
    first = Scheduler(store, clock=clock).process()
    assert docs(first.created) == sorted(
        [expected(late, at(2026, 12, 1, 23, 59, 59)), expected(early, at(2026, 12, 1))],
        key=lambda d: (d["clusterResourceID"], d["runAfter"]),
    )
    # Dec 1 10:00: Dec 1 is now the previous period, and now is inside its 24 h window
    clock.t = at(2026, 12, 1, 10)
    second = Scheduler(store, clock=clock).process()
    assert (second.cancelled, second.errors) == ([], [])
    assert docs(second.created) == sorted(
        [expected(late, at(2026, 12, 2, 23, 59, 59)), expected(early, at(2026, 12, 2))],
        key=lambda d: (d["clusterResourceID"], d["runAfter"]),
    )
    # both Dec 1 manifests are untouched: LATE's still ahead, EARLY's the actuator's
    assert docs(pending(store)) == sorted(
        [expected(late, at(2026, 12, 1, 23, 59, 59)), expected(early, at(2026, 12, 1)),
         expected(late, at(2026, 12, 2, 23, 59, 59)), expected(early, at(2026, 12, 2))],
        key=lambda d: (d["clusterResourceID"], d["runAfter"]),
    )
    # at the window's last second LATE's Dec 1 manifest is still kept
    clock.t = at(2026, 12, 1, 23, 59, 58)
    assert Scheduler(store, clock=clock).process().cancelled == []
    assert store.get_manifest(manifest_id_for(SCHED, late, ts(at(2026, 12, 1, 23, 59, 59)))).state == ManifestState.PENDING


def test_a_missing_manifest_is_written_up_to_its_period_start_and_never_after(store: Any, edges: tuple[str, str]) -> None:
    late, _ = edges
    store.put_schedule(schedule(schedule="*-*-* 00:00", schedule_across="24h", look_forward_count=1))
    Scheduler(store, clock=Clock(at(2026, 11, 30, 12))).process()
    dec1 = manifest_id_for(SCHED, late, ts(at(2026, 12, 1, 23, 59, 59)))
    # deleted before Dec 1 starts: a pass a second before the start writes it again
    store.delete_manifest(dec1)
    result = Scheduler(store, clock=Clock(at(2026, 11, 30, 23, 59, 59))).process()
    assert dec1 in {m.id for m in result.created}
    # deleted at Dec 1's start or later: not written again (Go's Next: strictly after now), though
    # LATE's slot (23:59:59) is still ahead
    store.delete_manifest(dec1)
    for now in (at(2026, 12, 1, 0, 0), at(2026, 12, 1, 0, 0, 1), at(2026, 12, 1, 10), at(2026, 12, 1, 23, 59, 58)):
        result = Scheduler(store, clock=Clock(now)).process()
        assert dec1 not in {m.id for m in result.created}, now
        assert all(m.run_after >= ts(at(2026, 12, 2)) for m in result.created), now
    assert dec1 not in {m.id for m in store.list_manifests()}


def test_a_narrowed_window_drops_the_previous_period(store: Any, edges: tuple[str, str]) -> None:
    late, _ = edges
    store.put_schedule(schedule(schedule="*-*-* 00:00", schedule_across="24h", look_forward_count=1))
    clock = Clock(at(2026, 11, 30, 12))
    Scheduler(store, clock=clock).process()
    kept = manifest_id_for(SCHED, late, ts(at(2026, 12, 1, 23, 59, 59)))
    # at 10:00 the window is edited to 6 h: Dec 1's window [00:00, 06:00) has closed, its LATE manifest
    # (runAfter 23:59:59, still ahead) matches no period any more and is cancelled; not replaced (past start)
    store.put_schedule(schedule(schedule="*-*-* 00:00", schedule_across="6h", look_forward_count=1))
    clock.t = at(2026, 12, 1, 10)
    result = Scheduler(store, clock=clock).process()
    assert kept in result.cancelled
    m = store.get_manifest(kept)
    assert (m.state, m.status_text) == (ManifestState.CANCELLED, CANCELLED_BY_SCHEDULER)
    assert all(m.run_after >= ts(at(2026, 12, 2)) for m in result.created)
    assert manifest_id_for(SCHED, late, ts(at(2026, 12, 1, 5, 59, 59))) not in {m.id for m in store.list_manifests()}


def test_no_manifest_for_a_past_period_at_any_time_of_day(store: Any, edges: tuple[str, str]) -> None:
    store.put_schedule(schedule(schedule="*-*-* *:0,30", schedule_across="30m", look_forward_count=2))
    for minute, sec in [(0, 0), (0, 1), (10, 0), (29, 59), (30, 0)]:
        s = MemoryStore()
        s.put_subscription(SubscriptionDocument(id=SUB_A, state="Registered"))
        for rid in edges:
            s.put_cluster(store.get_cluster(rid))
        s.put_schedule(store.get_schedule(SCHED))
        now = at(2026, 12, 1, 10, minute, sec)
        created = Scheduler(s, clock=Clock(now)).process().created
        starts = {m.run_after - offset_of(m.cluster_resource_id, 30 * 60) for m in created}
        assert all(start > ts(now) for start in starts), (now, starts)
        # the first period is the next start strictly after now (Go's Next): 10:30 at 10:00:00, 11:00 at 10:30:00
        first = at(2026, 12, 1, 11) if (minute, sec) == (30, 0) else at(2026, 12, 1, 10, 30)
        assert sorted(starts) == [ts(first), ts(first + timedelta(minutes=30))], now


# -- edited schedules: what is cancelled and what is not ------------------------------------------


def test_edit_cancels_only_this_schedules_future_pending_manifests(store: Any, edges: tuple[str, str]) -> None:
    late, early = edges
    store.put_schedule(schedule(schedule="*-*-* 00:00", schedule_across="24h", look_forward_count=2))
    store.put_schedule(schedule(id=SCHED2, schedule="*-*-* 00:00", schedule_across="24h", look_forward_count=2))
    clock = Clock(at(2026, 11, 30, 12))
    Scheduler(store, clock=clock).process()
    hand = store.create_manifest(MaintenanceManifest(cluster_resource_id=late, maintenance_task_id=TASK,
                                                     run_after=ts(at(2026, 12, 5)), run_before=ts(at(2026, 12, 6))))
    clock.t = at(2026, 12, 1, 10)
    # EARLY's Dec 1 manifest (runAfter 00:00) is past: still Pending, runnable, the actuator's now
    early_dec1 = manifest_id_for(SCHED, early, ts(at(2026, 12, 1)))
    # LATE's Dec 1 manifest is running (leased at its runAfter, by an actuator whose clock is ahead)
    late_dec1 = manifest_id_for(SCHED, late, ts(at(2026, 12, 1, 23, 59, 59)))
    assert store.lease_manifest(late_dec1, "actuator-1", ts(at(2026, 12, 2, 0, 1)), ts(at(2026, 12, 2))) is not None

    store.put_schedule(schedule(schedule="*-*-* 12:00", schedule_across="24h", look_forward_count=2))
    result = Scheduler(store, clock=clock).process()
    # cancelled: SCHED's Dec 2 manifests of both clusters (future, Pending, no longer a period)
    assert sorted(result.cancelled) == sorted([
        manifest_id_for(SCHED, late, ts(at(2026, 12, 2, 23, 59, 59))),
        manifest_id_for(SCHED, early, ts(at(2026, 12, 2))),
    ])
    # untouched: the past Pending one, the InProgress one, the other schedule's, the hand-made one
    assert store.get_manifest(early_dec1).state == ManifestState.PENDING
    assert store.get_manifest(late_dec1).state == ManifestState.IN_PROGRESS
    # SCHED2 (not edited) keeps Dec 1 and Dec 2 and tops up Dec 3, all Pending
    assert {m.state for m in store.list_manifests(schedule_id=SCHED2)} == {ManifestState.PENDING}
    assert {(m.cluster_resource_id, m.run_after - offset_of(m.cluster_resource_id, DAY))
            for m in store.list_manifests(schedule_id=SCHED2)} == {
        (rid, ts(at(2026, 12, d))) for rid in edges for d in (1, 2, 3)
    }
    assert store.get_manifest(hand.id).state == ManifestState.PENDING
    # created: Dec 1 12:00 and Dec 2 12:00 + offsets (both starts are >= now)
    assert docs([m for m in result.created if m.created_by_schedule == SCHED]) == sorted(
        [expected(late, at(2026, 12, 1, 12) + timedelta(seconds=DAY - 1)), expected(early, at(2026, 12, 1, 12)),
         expected(late, at(2026, 12, 2, 12) + timedelta(seconds=DAY - 1)), expected(early, at(2026, 12, 2, 12))],
        key=lambda d: (d["clusterResourceID"], d["runAfter"]),
    )


class FailingCancels:
    """Delegates to a store; ``set_state`` fails after ``allow`` successful calls."""

    def __init__(self, inner: Any, allow: int, exc: BaseException) -> None:
        self.inner = inner
        self.allow = allow
        self.exc = exc
        self.calls = 0

    def set_state(self, *args: Any, **kw: Any) -> bool:
        if self.calls >= self.allow:
            raise self.exc
        self.calls += 1
        return bool(self.inner.set_state(*args, **kw))

    def cancel_and_create_many(self, groups: Any, text: str) -> Any:
        """A batch of clusters is one transaction: it fails whole when its cancels would pass ``allow``."""
        n = sum(len(ids) for ids, _ms in groups)
        if self.calls + n > self.allow:
            raise self.exc
        self.calls += n
        return self.inner.cancel_and_create_many(groups, text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def _edited_state(store: Any) -> tuple[list[dict[str, Any]], set[tuple[str, int]]]:
    """Pending manifests (whole documents) and the (cluster, runAfter) pairs of the cancelled ones."""
    cancelled = store.list_manifests(schedule_id=SCHED, states=[ManifestState.CANCELLED])
    assert all(m.status_text == CANCELLED_BY_SCHEDULER for m in cancelled)
    return docs(pending(store)), keyset(cancelled)


@pytest.mark.parametrize("allow", [0, 1, 3, 5])
@pytest.mark.parametrize("kill", [False, True])
def test_edit_interrupted_while_cancelling_then_rerun(
    store: Any, fleet: list[OpenShiftClusterDocument], make_cluster: Callable[..., OpenShiftClusterDocument],
    allow: int, kill: bool,
) -> None:
    now = at(2026, 12, 1, 10)
    # the reference: the same edit, uninterrupted, on a fresh store
    ref = MemoryStore()
    ref.put_subscription(SubscriptionDocument(id=SUB_A, state="Registered"))
    ref.put_subscription(SubscriptionDocument(id=SUB_B, state="Suspended"))
    for c in fleet:
        ref.put_cluster(c)
    for s in (ref, store):
        s.put_schedule(schedule(look_forward_count=2))
        assert len(Scheduler(s, clock=Clock(now)).process().created) == 6
        s.put_schedule(schedule(schedule="Sat,Sun *-*-* 02:00", look_forward_count=2))
    Scheduler(ref, clock=Clock(now)).process()
    want = _edited_state(ref)
    assert len(want[0]) == 6 and len(want[1]) == 6

    exc: BaseException = Killed() if kill else StoreError("disk I/O error")
    failing = FailingCancels(store, allow, exc)
    if kill:
        with pytest.raises(Killed):
            Scheduler(failing, clock=Clock(now)).process()
    else:
        r1 = Scheduler(failing, clock=Clock(now)).process()
        assert r1.errors and all("disk I/O error" in e for e in r1.errors)
        # a cluster's cancels are written together with its creations, or not at all
        assert len(r1.cancelled) == failing.calls <= allow
        assert len(r1.created) == len(r1.cancelled)
    r2 = Scheduler(store, clock=Clock(now + timedelta(seconds=5))).process()
    assert r2.errors == []
    assert _edited_state(store) == want
    r3 = Scheduler(store, clock=Clock(now + timedelta(seconds=10))).process()
    assert (r3.created, r3.cancelled, r3.errors) == ([], [], [])


@pytest.mark.parametrize("allow", [0, 2, 5])
def test_interrupted_pass_rerun_gives_the_exact_same_documents(
    store: Any, fleet: list[OpenShiftClusterDocument], make_cluster: Callable[..., OpenShiftClusterDocument], allow: int
) -> None:
    """Not only the same (cluster, runAfter) pairs: the same IDs and fields as an uninterrupted pass."""
    now = at(2026, 12, 1, 10)
    ref = MemoryStore()
    ref.put_subscription(SubscriptionDocument(id=SUB_A, state="Registered"))
    ref.put_subscription(SubscriptionDocument(id=SUB_B, state="Suspended"))
    for c in fleet:
        ref.put_cluster(c)
    _two_schedules(ref)
    Scheduler(ref, clock=Clock(now)).process()
    _two_schedules(store)
    r1 = Scheduler(FlakyStore(store, allow, StoreError("database is locked")), clock=Clock(now)).process()
    assert len(store.list_manifests()) == allow == len(r1.created)
    Scheduler(store, clock=Clock(now + timedelta(minutes=1))).process()
    assert docs(store.list_manifests()) == docs(ref.list_manifests())


def test_disabled_schedule_next_to_an_enabled_one(store: Any, fleet: list[OpenShiftClusterDocument]) -> None:
    store.put_schedule(schedule(look_forward_count=1))
    store.put_schedule(schedule(id=SCHED2, state="Disabled", look_forward_count=1))
    result = Scheduler(store, clock=Clock(at(2026, 12, 1, 10))).process()
    assert result.schedules == 1
    assert {m.created_by_schedule for m in store.list_manifests()} == {SCHED}
    assert len(store.list_manifests()) == 3


def test_disabling_a_schedule_stops_new_manifests_and_touches_none(store: Any, fleet: list[OpenShiftClusterDocument]) -> None:
    store.put_schedule(schedule(look_forward_count=2))
    clock = Clock(at(2026, 12, 1, 10))
    Scheduler(store, clock=clock).process()
    before = docs(store.list_manifests())
    store.put_schedule(schedule(look_forward_count=2, state="Disabled"))
    for days in (0, 1, 2, 5):
        clock.t = at(2026, 12, 1, 10) + timedelta(days=days)
        result = Scheduler(store, clock=clock).process()
        assert (result.schedules, result.created, result.cancelled, result.errors) == (0, [], [], [])
    assert docs(store.list_manifests()) == before
    # enabled again: it tops up from the current time on
    store.put_schedule(schedule(look_forward_count=2))
    result = Scheduler(store, clock=clock).process()
    assert {m.run_after - offset_of(m.cluster_resource_id, DAY) for m in result.created} == {
        ts(at(2026, 12, 7)), ts(at(2026, 12, 8))
    }
