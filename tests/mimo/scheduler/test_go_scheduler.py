"""The scheduler against the Go MIMO's own unit tests.

Cases from Azure/ARO-RP ``pkg/mimo/scheduler/manager_test.go`` (``TestProcessLoop``): the same
cluster resource ID, calendar, clock reading, existing manifests, resulting manifests and log
lines (``msg`` and ``resource_id``), for ``scheduler.Process`` in ``pkg/mimo/scheduler/manager.go``.
What differs on purpose: manifest IDs are ours (deterministic UUIDv5s, Go's are random; the test
puts our ID where Go's test has ``07070707-…``), task IDs are UUIDs (Go's test uses ``"0"``), and
our pass ends with one summary line (``scheduler pass at …``), left out of the comparison.

The provisioning-state filter follows ``openShiftClusterCache.OnDoc``
(``pkg/mimo/scheduler/clustercache.go``); "strictly after now, rounded to the second" follows
``Next`` (``pkg/mimo/scheduler/calendar.go``: ``now.Round(time.Second).Add(time.Second)``).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from mimo.api import (
    MaintenanceManifest,
    MaintenanceSchedule,
    ManifestState,
    OpenShiftClusterDocument,
    OpenShiftClusterProperties,
    Selector,
    SubscriptionDocument,
)
from mimo.scheduler import CANCELLED_BY_SCHEDULER, Scheduler, periods
from mimo.scheduler.scheduler import go_round_second, schedulable
from mimo.store import MemoryStore

UTC = timezone.utc
SUB = "00000000-0000-0000-0000-000000000000"
# Go's test cluster: the mixed case is Go's; every ID the scheduler writes or logs is lower-cased
GO_RID = f"/subscriptions/{SUB}/resourcegroups/resourceGroup/providers/Microsoft.RedHatOpenShift/openShiftClusters/resourceName"
RID = GO_RID.lower()
SID = "08080808-0808-0808-0808-080808080001"
TASK = "00000000-0000-4000-8000-000000000000"
OTHER = "07070707-0707-0707-0707-070707070001"


def at(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0, us: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, s, us, tzinfo=UTC)


def ts(t: datetime) -> int:
    return int(t.timestamp())


class Clock:
    def __init__(self, t: datetime) -> None:
        self.t = t

    def now(self) -> datetime:
        return self.t


def go_schedule(calendar: str, look: int, across: str) -> MaintenanceSchedule:
    return MaintenanceSchedule(
        id=SID, maintenance_task_id=TASK, schedule=calendar, look_forward_count=look, schedule_across=across,
        selectors=[Selector(key="subscriptionState", operator="in", values=["Registered"])],
    )


def world(cluster_props: dict[str, Any] | None = None) -> MemoryStore:
    store = MemoryStore()
    store.put_subscription(SubscriptionDocument(id=SUB, state="Registered"))
    store.put_cluster(OpenShiftClusterDocument(
        id="22222222-2222-2222-2222-222222222222", resource_id=GO_RID,
        properties=OpenShiftClusterProperties(**(cluster_props or {})),
    ))
    return store


def pending_at(run_after: datetime, mid: str = OTHER) -> MaintenanceManifest:
    return MaintenanceManifest(
        id=mid, cluster_resource_id=RID, maintenance_task_id=TASK, created_by_schedule=SID,
        run_after=ts(run_after), run_before=ts(run_after + timedelta(hours=1)),
    )


def run_pass(store: MemoryStore, now: datetime, caplog: pytest.LogCaptureFixture) -> list[tuple[str, str, str]]:
    """One pass; its INFO-and-above lines as (level, msg, resource_id), our summary line left out."""
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="mimo.scheduler"):
        Scheduler(store, clock=Clock(now)).process()
    return [
        (r.levelname, r.getMessage(), getattr(r, "resource_id", ""))
        for r in caplog.records
        if r.name == "mimo.scheduler" and r.levelno >= logging.INFO and not r.getMessage().startswith("scheduler pass")
    ]


def by_run_after(store: MemoryStore) -> dict[int, tuple[str, str, int]]:
    return {m.run_after: (m.state, m.status_text, m.run_before) for m in store.list_manifests()}


HEAD = ("INFO", f"processing schedule {SID} (task ID={TASK})", "")


def created_line(store: MemoryStore, start: str, run_after: datetime) -> tuple[str, str, str]:
    mid = next(m.id for m in store.list_manifests() if m.run_after == ts(run_after) and m.id != OTHER)
    return ("INFO", f"created new manifest id={mid} for {start} window ({run_after:%Y-%m-%dT%H:%M:%SZ})", RID)


# -- TestProcessLoop, case by case ---------------------------------------------------------------------


def test_new_manifest_created_lookahead_1_across_0s(caplog: pytest.LogCaptureFixture) -> None:
    """'valid schedule, new manifest created (lookahead=1, scheduleAcross=0s)': now 2026-01-01T00:00Z."""
    store = world()
    store.put_schedule(go_schedule("Mon *-*-* 00:00:00", 1, "0s"))
    logs = run_pass(store, at(2026, 1, 1), caplog)
    assert by_run_after(store) == {ts(at(2026, 1, 5)): ("Pending", "", ts(at(2026, 1, 5, 1)))}
    assert logs == [
        HEAD,
        ("INFO", "next valid scheduled times: 2026-01-05T00:00Z", ""),
        created_line(store, "2026-01-05T00:00Z", at(2026, 1, 5)),
        ("INFO", "created=1, found valid=0, cancelled=0", RID),
    ]


def test_debug_lines_are_go_s(caplog: pytest.LogCaptureFixture) -> None:
    """pkg/mimo/scheduler/manager.go's debug lines for a cluster that matches: 'checking selectors for
    <id> (sub <sub>)', 'cluster matches selectors', 'Calculated scheduleAcross offset is 51m15s'
    (Go's Duration.String of the TestClusterHash offset)."""
    store = world()
    store.put_schedule(go_schedule("Mon *-*-* 00:00:00", 1, "1h"))
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="mimo.scheduler"):
        Scheduler(store, clock=Clock(at(2026, 1, 1))).process()
    debug = [(r.getMessage(), getattr(r, "resource_id", "")) for r in caplog.records if r.levelno == logging.DEBUG]
    assert debug[:3] == [
        (f"checking selectors for {RID} (sub {SUB})", ""),
        ("cluster matches selectors", RID),
        ("Calculated scheduleAcross offset is 51m15s", RID),
    ]


def test_existing_manifest_lookahead_1_across_0s(caplog: pytest.LogCaptureFixture) -> None:
    """'valid schedule, existing manifest (lookahead=1, scheduleAcross=0s)'."""
    store = world()
    store.put_schedule(go_schedule("Mon *-*-* 00:00:00", 1, "0s"))
    store.create_manifest(pending_at(at(2026, 1, 5)))
    logs = run_pass(store, at(2026, 1, 1), caplog)
    assert by_run_after(store) == {ts(at(2026, 1, 5)): ("Pending", "", ts(at(2026, 1, 5, 1)))}
    assert logs == [
        HEAD,
        ("INFO", "next valid scheduled times: 2026-01-05T00:00Z", ""),
        ("INFO", "created=0, found valid=1, cancelled=0", RID),
    ]


def test_new_manifest_created_lookahead_1_across_1h_lands_at_go_offset(caplog: pytest.LogCaptureFixture) -> None:
    """'valid schedule, new manifest created (lookahead=1, scheduleAcross=1h)': Go's offset 00:51:15."""
    store = world()
    store.put_schedule(go_schedule("Mon *-*-* 00:00:00", 1, "1h"))
    logs = run_pass(store, at(2026, 1, 1), caplog)
    assert by_run_after(store) == {ts(at(2026, 1, 5, 0, 51, 15)): ("Pending", "", ts(at(2026, 1, 5, 1, 51, 15)))}
    assert logs[2:] == [
        created_line(store, "2026-01-05T00:00Z", at(2026, 1, 5, 0, 51, 15)),
        ("INFO", "created=1, found valid=0, cancelled=0", RID),
    ]


def test_manifest_of_a_changed_schedule_is_cancelled_and_replaced_then_found(caplog: pytest.LogCaptureFixture) -> None:
    """'valid schedule, existing manifest that is of a changed schedule, runs twice (lookahead=1, scheduleAcross=1h)'."""
    store = world()
    store.put_schedule(go_schedule("Mon *-*-* 00:00:00", 1, "1h"))
    store.create_manifest(pending_at(at(2026, 1, 6, 0, 51, 15)))  # a Tuesday: the schedule was Tue before
    logs = run_pass(store, at(2026, 1, 1), caplog)
    assert by_run_after(store) == {
        ts(at(2026, 1, 6, 0, 51, 15)): ("Cancelled", CANCELLED_BY_SCHEDULER, ts(at(2026, 1, 6, 1, 51, 15))),
        ts(at(2026, 1, 5, 0, 51, 15)): ("Pending", "", ts(at(2026, 1, 5, 1, 51, 15))),
    }
    assert logs == [
        HEAD,
        ("INFO", "next valid scheduled times: 2026-01-05T00:00Z", ""),
        ("INFO", f"cancelled unneeded manifest id={OTHER} (2026-01-06T00:51:15Z)", RID),
        created_line(store, "2026-01-05T00:00Z", at(2026, 1, 5, 0, 51, 15)),
        ("INFO", "created=1, found valid=0, cancelled=1", RID),
    ]
    # the extra run: everything found, nothing written
    assert run_pass(store, at(2026, 1, 1), caplog) == [
        HEAD,
        ("INFO", "next valid scheduled times: 2026-01-05T00:00Z", ""),
        ("INFO", "created=0, found valid=1, cancelled=0", RID),
    ]
    assert len(store.list_manifests()) == 2


def test_a_schedule_that_never_fires_again(caplog: pytest.LogCaptureFixture) -> None:
    """'valid schedule, but it will never fire again': a warning, nothing else."""
    store = world()
    store.put_schedule(go_schedule("2026-1-1 00:00:00", 1, "0s"))
    logs = run_pass(store, at(2026, 1, 1), caplog)
    assert logs == [HEAD, ("WARNING", "schedule '2026-1-1 00:00:00' will never trigger again, skipping", "")]
    assert store.list_manifests() == []


def test_a_schedule_that_fires_fewer_times_than_the_look_ahead(caplog: pytest.LogCaptureFixture) -> None:
    """'valid schedule, but it won't fire all the times within the lookAhead'."""
    store = world()
    store.put_schedule(go_schedule("Mon 2026-1-* 00:00:00", 5, "1h"))
    logs = run_pass(store, at(2026, 1, 1), caplog)
    mondays = [at(2026, 1, d, 0, 51, 15) for d in (5, 12, 19, 26)]
    assert sorted(by_run_after(store)) == [ts(m) for m in mondays]
    assert logs == [
        HEAD,
        ("INFO", "schedule 'Mon 2026-1-* 00:00:00' will only trigger 4 times but look forward is 5", ""),
        ("INFO", "next valid scheduled times: 2026-01-05T00:00Z, 2026-01-12T00:00Z, 2026-01-19T00:00Z, 2026-01-26T00:00Z", ""),
        *[created_line(store, f"{m:%Y-%m-%d}T00:00Z", m) for m in mondays],
        ("INFO", "created=4, found valid=0, cancelled=0", RID),
    ]


def test_daily_lookahead_5_starts_strictly_after_now(caplog: pytest.LogCaptureFixture) -> None:
    """'valid daily schedule, new manifests created (lookahead=5, scheduleAcross=0s)': now is 01-01 00:00,
    a start of the calendar, and the first manifest is 01-02 (Go's Next is strictly after now)."""
    store = world()
    store.put_schedule(go_schedule("*-*-* 00:00:00", 5, "0s"))
    logs = run_pass(store, at(2026, 1, 1), caplog)
    days = [at(2026, 1, d) for d in range(2, 7)]
    assert sorted(by_run_after(store)) == [ts(d) for d in days]
    assert logs[1] == ("INFO", "next valid scheduled times: " + ", ".join(f"{d:%Y-%m-%d}T00:00Z" for d in days), "")
    assert logs[-1] == ("INFO", "created=5, found valid=0, cancelled=0", RID)


@pytest.mark.parametrize("now", [at(2026, 1, 1, 0, 0, 1), at(2026, 1, 1, 0, 59, 59)], ids=["start", "end"])
def test_no_manifest_for_the_period_whose_window_is_open(now: datetime, caplog: pytest.LogCaptureFixture) -> None:
    """'valid daily schedule, does not create manifests for clusters that are technically within the
    scheduleAcross window' (at its start, 00:00:01, and at its very end, 00:59:59)."""
    store = world()
    store.put_schedule(go_schedule("*-*-* 00:00:00", 2, "1h"))
    logs = run_pass(store, now, caplog)
    assert sorted(by_run_after(store)) == [ts(at(2026, 1, 2, 0, 51, 15)), ts(at(2026, 1, 3, 0, 51, 15))]
    assert logs == [
        HEAD,
        ("INFO", "next valid scheduled times: 2026-01-01T00:00Z (within scheduleAcross), 2026-01-02T00:00Z, 2026-01-03T00:00Z", ""),
        created_line(store, "2026-01-02T00:00Z", at(2026, 1, 2, 0, 51, 15)),
        created_line(store, "2026-01-03T00:00Z", at(2026, 1, 3, 0, 51, 15)),
        ("INFO", "created=2, found valid=0, cancelled=0", RID),
    ]


def test_a_kept_manifest_inside_the_open_window_is_found_not_cancelled(caplog: pytest.LogCaptureFixture) -> None:
    """'valid daily schedule, already-scheduled manifests that are valid and not run inside the schedule
    smearing window are kept': today's manifest at 00:51:15 survives a pass at 00:00:01."""
    store = world()
    store.put_schedule(go_schedule("*-*-* 00:00:00", 2, "1h"))
    store.create_manifest(pending_at(at(2026, 1, 1, 0, 51, 15)))
    logs = run_pass(store, at(2026, 1, 1, 0, 0, 1), caplog)
    assert store.get_manifest(OTHER).state == ManifestState.PENDING
    assert logs[-1] == ("INFO", "created=2, found valid=1, cancelled=0", RID)


def test_cluster_lines_carry_enrich_with_resource_id_fields(caplog: pytest.LogCaptureFixture) -> None:
    """``utillog.EnrichWithResourceID`` (pkg/util/log/log.go): four lower-cased fields."""
    store = world()
    store.put_schedule(go_schedule("Mon *-*-* 00:00:00", 1, "0s"))
    run_pass(store, at(2026, 1, 1), caplog)
    rec = next(r for r in caplog.records if r.getMessage().startswith("created="))
    fields = ("resource_id", "subscription_id", "resource_group", "resource_name")
    assert tuple(getattr(rec, f) for f in fields) == (RID, SUB, "resourcegroup", "resourcename")


# -- OnDoc: which clusters the scheduler sees ---------------------------------------------------------

ON_DOC = [
    # (provisioningState, failedProvisioningState, scheduled?)
    ("Succeeded", "", True),
    ("Creating", "", False),
    ("Deleting", "", False),
    ("Failed", "Creating", False),
    ("Failed", "Deleting", False),
    ("Failed", "Updating", True),
    ("Failed", "AdminUpdating", True),
    ("Failed", "", True),
    ("Updating", "", True),
    ("AdminUpdating", "", True),
    ("Maintenance", "", True),
    ("Canceled", "", True),
    # a failedProvisioningState left over from an old failure counts only while Failed
    ("Succeeded", "Creating", True),
]


@pytest.mark.parametrize(("state", "failed", "scheduled"), ON_DOC, ids=[f"{a}/{b or '-'}" for a, b, _ in ON_DOC])
def test_clusters_being_created_or_deleted_are_not_scheduled(state: str, failed: str, scheduled: bool) -> None:
    store = world({"provisioning_state": state, "failed_provisioning_state": failed})
    store.put_schedule(go_schedule("Mon *-*-* 00:00:00", 1, "0s"))
    assert schedulable(store.get_cluster(GO_RID)) is scheduled
    result = Scheduler(store, clock=Clock(at(2026, 1, 1))).process()
    assert (len(result.created) == 1) is scheduled and result.errors == []


# -- Next: strictly after now rounded to the second -----------------------------------------------------


@pytest.mark.parametrize(
    ("now", "first"),
    [
        (at(2026, 1, 1, 0, 14, 59, 499_999), at(2026, 1, 1, 0, 15)),  # rounds down to 00:14:59: 00:15 is after it
        (at(2026, 1, 1, 0, 14, 59, 500_000), at(2026, 1, 2, 0, 15)),  # rounds up to 00:15:00: 00:15 is not after it
        (at(2026, 1, 1, 0, 15), at(2026, 1, 2, 0, 15)),
        (at(2026, 1, 1, 0, 15, 0, 400_000), at(2026, 1, 2, 0, 15)),
    ],
)
def test_the_first_period_is_strictly_after_now_rounded_like_go(now: datetime, first: datetime) -> None:
    s = go_schedule("*-*-* 00:15", 1, "0s")
    assert periods(s, now).future == [first]
    store = world()
    store.put_schedule(s)
    assert [m.run_after for m in Scheduler(store, clock=Clock(now)).process().created] == [ts(first)]


def test_go_round_second_rounds_halves_up() -> None:
    assert go_round_second(at(2026, 1, 1, 0, 0, 0, 499_999)) == at(2026, 1, 1)
    assert go_round_second(at(2026, 1, 1, 0, 0, 0, 500_000)) == at(2026, 1, 1, 0, 0, 1)
    assert go_round_second(at(2026, 12, 31, 23, 59, 59, 999_999)) == at(2027, 1, 1)
