"""The actuator's pass against the Go MIMO's own unit test, case by case.

Cases from Azure/ARO-RP ``pkg/mimo/actuator/actuator_test.go`` (``TestActuatorLogic``) for
``actuator.Process`` in ``pkg/mimo/actuator/manager.go``: the clock reads ``time.Unix(120, 0)``,
one cluster, the manifests, tasks, resulting manifests, ``didWork``, the error and the log lines
(``msg``, ``manifestID``, ``taskID``) as Go's table has them. What differs on purpose: task IDs
are UUIDs (Go's test uses ``"0"``, ``"1"``, ``"2"``), and the ``TimedOut`` status text is RFC 3339
(``timed out at 1970-01-01T00:02:00Z``, Go: ``timed out at 1970-01-01 00:02:00 +0000 UTC``; in the
README's table of Go differences). Our own lines (lease recovery, renewal) do not occur here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import pytest

from mimo import TerminalError, TransientError
from mimo.actuator import Actuator, SubscriptionFetchError
from mimo.api import MaintenanceManifest, OpenShiftClusterDocument, SubscriptionDocument
from mimo.store import MemoryStore

from ..clocks import ManualClock

SUB = "00000000-0000-0000-0000-000000000000"
RID = f"/subscriptions/{SUB}/resourcegroups/resourcegroup/providers/microsoft.redhatopenshift/openshiftclusters/resourcename"
T0 = "00000000-0000-4000-8000-000000000000"  # Go's task "0"
T1 = "00000000-0000-4000-8000-000000000001"
T2 = "00000000-0000-4000-8000-000000000002"
M1 = "07070707-0707-0707-0707-070707070001"
M2 = "07070707-0707-0707-0707-070707070002"
M3 = "07070707-0707-0707-0707-070707070003"
NOW = datetime.fromtimestamp(120, tz=timezone.utc)


def manifest(mid: str, task: str = T0, *, run_after: int = 0, run_before: int = 600, priority: int = 0,
             dequeues: int = 0) -> MaintenanceManifest:
    return MaintenanceManifest(id=mid, cluster_resource_id=RID, maintenance_task_id=task, run_after=run_after,
                               run_before=run_before, priority=priority, dequeues=dequeues)


def world(*manifests: MaintenanceManifest, subscription: bool = True) -> MemoryStore:
    store = MemoryStore()
    store.put_cluster(OpenShiftClusterDocument(id="22222222-2222-2222-2222-222222222222", resource_id=RID))
    if subscription:
        store.put_subscription(SubscriptionDocument(id=SUB))
    for m in manifests:
        store.create_manifest(m)
    return store


def done(tc: Any, m: MaintenanceManifest, c: Any) -> None:
    tc.set_result_message("done")


def run(store: MemoryStore, tasks: dict[str, Callable[..., None]], caplog: pytest.LogCaptureFixture) -> tuple[bool, list[tuple[str, str, str, str]]]:
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="mimo.actuator"):
        did = Actuator(store, tasks, clock=ManualClock(NOW), owner="go", renew_leases=False).process(RID)
    return did, lines(caplog)


def lines(caplog: pytest.LogCaptureFixture) -> list[tuple[str, str, str, str]]:
    return [
        (r.levelname, r.getMessage(), getattr(r, "manifestID", ""), getattr(r, "taskID", ""))
        for r in caplog.records if r.name == "mimo.actuator"
    ]


def state(store: MemoryStore, mid: str) -> tuple[str, str, int]:
    m = store.get_manifest(mid)
    return m.state, m.status_text, m.dequeues


def test_old_manifests_are_expired(caplog: pytest.LogCaptureFixture) -> None:
    """'old manifests are expired': runBefore 60 < now 120; TimedOut, didWork false."""
    store = world(manifest(M1, run_before=60))
    did, logs = run(store, {T0: done}, caplog)
    assert did is False
    assert state(store, M1) == ("TimedOut", "timed out at 1970-01-01T00:02:00Z", 0)
    assert logs == [("INFO", "marking as outdated: 60 older than 1970-01-01 00:02:00 +0000 UTC", M1, T0)]


def test_a_runnable_manifest_is_run_in_progress(caplog: pytest.LogCaptureFixture) -> None:
    """'manifest with runAfter in the past and runBefore in the future is run': InProgress while running."""
    seen: list[str] = []

    def task(tc: Any, m: MaintenanceManifest, c: Any) -> None:
        seen.append(m.state)
        tc.set_result_message("done")

    store = world(manifest(M1))
    did, logs = run(store, {T0: task}, caplog)
    assert did is True and seen == ["InProgress"]
    assert state(store, M1) == ("Completed", "done", 1)
    assert logs == [
        ("INFO", "Processing 1 manifests", "", ""),
        ("INFO", "begin processing manifest", M1, T0),
        ("INFO", "executing manifest", M1, T0),
        ("INFO", "manifest executed successfully", M1, T0),
        ("INFO", "manifest processing complete", M1, T0),
    ]


def test_no_valid_subscription_in_db(caplog: pytest.LogCaptureFixture) -> None:
    """'no valid subscription in db': errFailedFetchingSubscriptionDocument, nothing leased (dequeues 0)."""
    store = world(manifest(M1), subscription=False)
    caplog.clear()
    with (
        caplog.at_level(logging.DEBUG, logger="mimo.actuator"),
        pytest.raises(SubscriptionFetchError, match="^failed fetching subscription document: "),
    ):
        Actuator(store, {T0: done}, clock=ManualClock(NOW), owner="go", renew_leases=False).process(RID)
    assert state(store, M1) == ("Pending", "", 0)
    logs = lines(caplog)
    assert logs[0] == ("INFO", "Processing 1 manifests", "", "")
    assert logs[1][0] == "ERROR" and logs[1][1].startswith("failed fetching subscription document: ")


def test_unknown_task(caplog: pytest.LogCaptureFixture) -> None:
    """'unknown task': Failed, 'task ID not registered', dequeued once, didWork false."""
    store = world(manifest(M1))
    did, logs = run(store, {}, caplog)
    assert did is False
    assert state(store, M1) == ("Failed", "task ID not registered", 1)
    assert logs == [
        ("INFO", "Processing 1 manifests", "", ""),
        ("INFO", "begin processing manifest", M1, T0),
        ("ERROR", f"task {T0} not found", M1, T0),
    ]


def test_a_manifest_whose_run_after_is_later_does_not_run(caplog: pytest.LogCaptureFixture) -> None:
    """'new manifest with runAfter later than now does not run'."""
    store = world(manifest(M1, run_after=600, run_before=1200), manifest(M2))
    did, _ = run(store, {T0: done}, caplog)
    assert did is True
    assert state(store, M1) == ("Pending", "", 0)
    assert state(store, M2) == ("Completed", "done", 1)


def test_retries_exceeded(caplog: pytest.LogCaptureFixture) -> None:
    """'a task that repeatedly fails will stop after retries are exceeded'."""
    def fail(tc: Any, m: MaintenanceManifest, c: Any) -> None:
        raise TransientError("oh no")

    store = world(manifest(M1, dequeues=4))
    did, logs = run(store, {T0: fail}, caplog)
    assert did is True
    assert state(store, M1) == ("RetriesExceeded", "did not succeed after 5 times, failing -- TransientError: oh no", 5)
    assert ("ERROR", "did not succeed after 5 times, failing -- TransientError: oh no", M1, T0) in logs


@pytest.mark.parametrize(
    ("error", "want_state", "want_line"),
    [
        (TransientError("oh no"), "Pending", "task returned a retryable error: TransientError: oh no"),
        (TerminalError("oh no"), "Failed", "task returned a terminal error: TerminalError: oh no"),
        (RuntimeError("oh no"), "Failed", "task returned a terminal error: oh no"),
    ],
    ids=["transient", "terminal", "unwrapped"],
)
def test_a_failing_task_logs_go_lines(error: Exception, want_state: str, want_line: str,
                                      caplog: pytest.LogCaptureFixture) -> None:
    """'a task that fails the first time with a transient error will go back into pending', 'a task that
    fails with a terminal error will be marked as failed', 'a task that errors without a MIMO error
    wrapper is marked as failing terminally': state and the exact log lines."""
    def fail(tc: Any, m: MaintenanceManifest, c: Any) -> None:
        raise error

    store = world(manifest(M1))
    did, logs = run(store, {T0: fail}, caplog)
    assert did is True
    assert state(store, M1)[:2] == (want_state, "")
    assert logs == [
        ("INFO", "Processing 1 manifests", "", ""),
        ("INFO", "begin processing manifest", M1, T0),
        ("INFO", "executing manifest", M1, T0),
        ("ERROR", want_line, M1, T0),
        ("INFO", "manifest processing complete", M1, T0),
    ]


def test_manifests_are_run_in_priority_order(caplog: pytest.LogCaptureFixture) -> None:
    """'manifests are run in priority order': runAfter first, then the lower priority number."""
    order: list[str] = []

    def task(name: str) -> Callable[..., None]:
        def run_(tc: Any, m: MaintenanceManifest, c: Any) -> None:
            order.append(name)
            tc.set_result_message(",".join(order))
        return run_

    store = world(manifest(M1, T0, priority=2), manifest(M2, T1, priority=1), manifest(M3, T2, run_after=1))
    did, _ = run(store, {T0: task("0"), T1: task("1"), T2: task("2")}, caplog)
    assert did is True
    assert [state(store, m) for m in (M1, M2, M3)] == [("Completed", "1,0", 1), ("Completed", "1", 1),
                                                       ("Completed", "1,0,2", 1)]


def test_lines_carry_enrich_with_resource_id_fields(caplog: pytest.LogCaptureFixture) -> None:
    """Go's actuator logs through ``utillog.EnrichWithResourceID`` (pkg/mimo/actuator/service.go, worker)."""
    store = world(manifest(M1))
    run(store, {T0: done}, caplog)
    rec = next(r for r in caplog.records if r.getMessage() == "executing manifest")
    assert (rec.resource_id, rec.subscription_id, rec.resource_group, rec.resource_name) == (
        RID, SUB, "resourcegroup", "resourcename"
    )


def test_a_failing_manifest_query_logs_go_s_line(caplog: pytest.LogCaptureFixture) -> None:
    """Go Process (pkg/mimo/actuator/manager.go): a failing manifest query is logged as
    "failed getting manifests: <err>" and returned; nothing is run."""
    class Broken(MemoryStore):
        def runnable_manifests(self, rid: str, now: int) -> Any:
            raise RuntimeError("boom")

    store = Broken()
    store.put_cluster(OpenShiftClusterDocument(id="22222222-2222-2222-2222-222222222222", resource_id=RID))
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="mimo.actuator"), pytest.raises(RuntimeError, match="^boom$"):
        Actuator(store, {T0: done}, clock=ManualClock(NOW), owner="go", renew_leases=False).process(RID)
    assert lines(caplog) == [("ERROR", "failed getting manifests: boom", "", "")]
