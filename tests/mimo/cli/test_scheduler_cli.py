"""`mimo scheduler`, `mimo selectors CLUSTER` and `mimo schedules put`, in process (click's CliRunner).

The clock is pinned with time-machine (no real sleeping), so every manifest the
scheduler writes is checked to the second. `schedules put` must refuse exactly
what `mimo.scheduler.validate_schedule` refuses, with the library's message on
one stderr line, exit code 2, and nothing written.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
import zlib
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import time_machine
from click.testing import CliRunner, Result

from mimo.api import MaintenanceSchedule, OpenShiftClusterDocument, Selector, SubscriptionDocument
from mimo.cli import cli
from mimo.scheduler import CANCELLED_BY_SCHEDULER, manifest_id_for, validate_schedule
from mimo.store import SqliteStore

PLUGIN_DIR = Path(__file__).parent / "plugins"
NOOP_ID = "00000000-0000-4000-8000-00000000a001"
FAIL_ID = "00000000-0000-4000-8000-00000000a004"
UNKNOWN_TASK = "12345678-1234-4234-8234-123456789abc"
SUB = "11111111-1111-1111-1111-111111111111"
SCHED = "55555555-5555-4555-8555-555555555555"
SCHED2 = "66666666-6666-4666-8666-666666666666"
UTC = timezone.utc
HOUR = 3600


def rid(name: str) -> str:
    return f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.RedHatOpenShift/openShiftClusters/{name}"


def at(y: int, mo: int, d: int, h: int = 0, mi: int = 0, sec: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, sec, tzinfo=UTC)


def ts(t: datetime) -> int:
    return int(t.timestamp())


def offset_of(resource_id: str, across_s: int) -> int:
    """The spec's formula, written out independently of mimo.scheduler.spread."""
    if across_s <= 1:
        return 0
    return round(zlib.crc32(resource_id.lower().encode()) / (2**32 - 1) * (across_s - 1))


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.syspath_prepend(str(PLUGIN_DIR))
    monkeypatch.delenv("MIMO_STORE", raising=False)
    return {"MIMO_PLUGINS": "mimo_test_tasks", "MIMO_TEST_DIR": str(tmp_path)}


@pytest.fixture
def db(tmp_path: Path) -> str:
    return str(tmp_path / "mimo.db")


@pytest.fixture
def run(env: dict[str, str], db: str) -> Callable[..., Result]:
    runner = CliRunner()

    def invoke(*args: str, code: int = 0) -> Result:
        result = runner.invoke(cli, ["--store", db, *args], env=env, catch_exceptions=False)
        assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
        return result

    return invoke


def dump(db: str) -> dict[str, Any]:
    s = SqliteStore(db)
    try:
        return {
            "clusters": [c.to_dict() for c in s.list_clusters()],
            "subscriptions": [x.to_dict() for x in s.list_subscriptions()],
            "manifests": [m.to_dict() for m in s.list_manifests()],
            "schedules": [x.to_dict() for x in s.list_schedules()],
        }
    finally:
        s.close()


def manifests(db: str, **filters: Any) -> list[dict[str, Any]]:
    s = SqliteStore(db)
    try:
        return sorted((m.to_dict() for m in s.list_manifests(**filters)),
                      key=lambda d: (d["clusterResourceID"], d["runAfter"]))
    finally:
        s.close()


def expected(cluster: str, run_after: datetime, sid: str = SCHED, gen: int = 0, state: str = "Pending",
             status: str = "", task: str = NOOP_ID) -> dict[str, Any]:
    ra = ts(run_after)
    low = cluster.lower()
    return {
        "id": manifest_id_for(sid, low, ra, gen), "clusterResourceID": low, "maintenanceTaskID": task,
        "state": state, "statusText": status, "priority": 0, "runAfter": ra, "runBefore": ra + HOUR,
        "createdBySchedule": sid, "dequeues": 0, "leaseOwner": "", "leaseExpires": 0,
    }


def put(run: Callable[..., Result], tmp_path: Path, doc: dict[str, Any], code: int = 0) -> Result:
    f = tmp_path / f"schedule-{zlib.crc32(json.dumps(doc, sort_keys=True).encode()):08x}.json"
    f.write_text(json.dumps(doc))
    return run("schedules", "put", str(f), code=code)


def base_schedule(**changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": SCHED,
        "maintenanceTaskID": NOOP_ID,
        "schedule": "*-*-* 00:00",
        "lookForwardCount": 2,
        "scheduleAcross": "24h",
        "selectors": [{"key": "subscriptionState", "operator": "eq", "value": "Registered"}],
    }
    doc.update(changes)
    return doc


@pytest.fixture
def fleet(run: Callable[..., Result]) -> list[str]:
    """Two clusters in a Registered subscription, one in a Suspended one."""
    run("clusters", "add", "--resource-id", rid("alpha"))
    run("clusters", "add", "--resource-id", rid("bravo"))
    run("clusters", "add", "--resource-id", rid("delta").replace(SUB, "22222222-2222-2222-2222-222222222222"),
        "--subscription-state", "Suspended")
    return [rid("alpha"), rid("bravo")]


def ordered(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(docs, key=lambda d: (d["clusterResourceID"], d["runAfter"]))


# -- mimo scheduler --once --------------------------------------------------------------------


def test_scheduler_once_writes_the_exact_manifests_and_a_rerun_adds_none(
    run: Callable[..., Result], tmp_path: Path, db: str, fleet: list[str]
) -> None:
    put(run, tmp_path, base_schedule())
    with time_machine.travel(at(2026, 12, 1, 10), tick=False):
        out = run("scheduler", "--once", "--log-level", "ERROR")
    assert out.stdout.strip() == "scheduler pass: 1 schedule(s): created 4, cancelled 0, errors 0"
    assert out.stderr == ""
    # Dec 1 00:00 is past (even for a cluster whose slot is still ahead): Dec 2 and Dec 3
    want = ordered([expected(c, day + timedelta(seconds=offset_of(c, 24 * HOUR)))
                    for c in fleet for day in (at(2026, 12, 2), at(2026, 12, 3))])
    assert manifests(db) == want
    with time_machine.travel(at(2026, 12, 1, 10, 5), tick=False):
        again = run("scheduler", "--once", "--log-level", "ERROR")
    assert again.stdout.strip() == "scheduler pass: 1 schedule(s): created 0, cancelled 0, errors 0"
    assert manifests(db) == want


def test_scheduler_once_after_an_edit_cancels_and_replaces(
    run: Callable[..., Result], tmp_path: Path, db: str, fleet: list[str]
) -> None:
    put(run, tmp_path, base_schedule())
    with time_machine.travel(at(2026, 12, 1, 10), tick=False):
        run("scheduler", "--once", "--log-level", "ERROR")
        old = manifests(db)
        put(run, tmp_path, base_schedule(schedule="Sat,Sun *-*-* 02:00", scheduleAcross="90m"))
        out = run("scheduler", "--once", "--log-level", "ERROR")
    assert out.stdout.strip() == "scheduler pass: 1 schedule(s): created 4, cancelled 4, errors 0"
    cancelled = manifests(db, states=["Cancelled"])
    assert cancelled == [{**m, "state": "Cancelled", "statusText": CANCELLED_BY_SCHEDULER} for m in old]
    # Sat 5 and Sun 6 December 2026, 02:00 + the cluster's place in 90 minutes
    assert manifests(db, states=["Pending"]) == ordered([
        expected(c, day + timedelta(seconds=offset_of(c, 90 * 60)))
        for c in fleet for day in (at(2026, 12, 5, 2), at(2026, 12, 6, 2))
    ])


def test_scheduler_once_skips_a_disabled_schedule(
    run: Callable[..., Result], tmp_path: Path, db: str, fleet: list[str]
) -> None:
    put(run, tmp_path, base_schedule(state="Disabled"))
    with time_machine.travel(at(2026, 12, 1, 10), tick=False):
        out = run("scheduler", "--once", "--log-level", "ERROR")
    assert out.stdout.strip() == "scheduler pass: 0 schedule(s): created 0, cancelled 0, errors 0"
    assert manifests(db) == []


def test_scheduler_once_reports_a_broken_stored_schedule_and_exits_1(
    run: Callable[..., Result], tmp_path: Path, db: str, fleet: list[str]
) -> None:
    put(run, tmp_path, base_schedule(lookForwardCount=1))
    # a schedule that reached the store without `schedules put` (an older or hand-edited store)
    s = SqliteStore(db)
    s.put_schedule(MaintenanceSchedule(id=SCHED2, maintenance_task_id=UNKNOWN_TASK, schedule="*-*-* 00:00",
                                       selectors=[Selector(key="subscriptionState", operator="eq", value="Registered")]))
    s.close()
    with time_machine.travel(at(2026, 12, 1, 10), tick=False):
        out = run("scheduler", "--once", "--log-level", "ERROR", code=1)
    assert out.stdout.strip() == "scheduler pass: 2 schedule(s): created 2, cancelled 0, errors 1"
    err = [line for line in out.stderr.splitlines() if line.startswith("mimo: scheduler: ")]
    assert err == [f"mimo: scheduler: schedule {SCHED2}: maintenanceTaskID {UNKNOWN_TASK} is not registered, skipped"]
    # the good schedule went ahead
    assert {m["createdBySchedule"] for m in manifests(db)} == {SCHED}


def test_scheduler_loop_passes_until_sigterm_without_duplicates(tmp_path: Path, db: str) -> None:
    """The looping form, as a real process: several passes over real time, then a clean stop."""
    s = SqliteStore(db)
    s.put_subscription(SubscriptionDocument(id=SUB, state="Registered"))
    for i, name in enumerate(("alpha", "bravo")):
        s.put_cluster(OpenShiftClusterDocument(id=f"22222222-2222-2222-2222-22222222220{i}", resource_id=rid(name)))
    s.put_schedule(MaintenanceSchedule.from_dict(base_schedule(lookForwardCount=3)))
    env = dict(os.environ)
    env.update(PYTHONPATH=os.pathsep.join([str(PLUGIN_DIR), env.get("PYTHONPATH", "")]),
               MIMO_PLUGINS="mimo_test_tasks", MIMO_TEST_DIR=str(tmp_path))
    env.pop("MIMO_STORE", None)
    err_path = tmp_path / "scheduler.err"
    with open(err_path, "wb") as err:
        p = subprocess.Popen(
            [sys.executable, "-m", "mimo.cli", "--store", db, "scheduler", "--poll-interval", "0.05",
             "--log-level", "ERROR"],
            env=env, stdout=subprocess.PIPE, stderr=err, cwd=tmp_path, text=True, bufsize=1,
        )
    assert p.stdout is not None
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 30
        while sum("scheduler pass:" in line for line in lines) < 3:
            # wait for the process's next line (an event, not a sleep), at most until the deadline
            ready, _, _ = select.select([p.stdout], [], [], max(0.0, deadline - time.monotonic()))
            assert ready, "timed out waiting for three passes"
            line = p.stdout.readline()
            assert line, f"scheduler exited early ({p.wait(5)}): {err_path.read_text()}"
            lines.append(line.rstrip("\n"))
        p.send_signal(signal.SIGTERM)
        rest, _ = p.communicate(timeout=15)
        assert p.returncode == 0, err_path.read_text()
        lines += rest.splitlines()
    finally:
        if p.poll() is None:
            p.kill()
            p.wait(10)
    assert lines[0] == "scheduler pass: 1 schedule(s): created 6, cancelled 0, errors 0"
    # later passes add nothing (unless a UTC day began meanwhile, which adds that day's period): never a
    # duplicate, and every manifest in the store was reported by exactly one pass
    got = [(m.cluster_resource_id, m.run_after) for m in s.list_manifests()]
    assert len(got) == len(set(got))
    assert {m.state for m in s.list_manifests()} == {"Pending"}
    assert sum(int(line.split("created ")[1].split(",")[0]) for line in lines) == len(got)
    s.close()


# -- mimo selectors CLUSTER -------------------------------------------------------------------


def test_selectors_command_shows_every_value_from_the_documents(run: Callable[..., Result], tmp_path: Path) -> None:
    doc = {
        "id": "33333333-3333-3333-3333-333333333333",
        "key": rid("prod").lower(),
        "openShiftCluster": {
            "id": rid("Prod"),
            "properties": {
                "provisioningState": "AdminUpdating",
                "architectureVersion": 0,
                "clusterProfile": {"domain": "apps.example.com", "resourceGroupId": "", "version": "4.15.0"},
                "networkProfile": {"outboundType": "UserDefinedRouting"},
                "apiserverProfile": {"visibility": "Private"},
                "platformWorkloadIdentityProfile": {"platformWorkloadIdentities": {"cloud-controller-manager": {}}},
            },
        },
    }
    f = tmp_path / "cluster.json"
    f.write_text(json.dumps(doc))
    run("clusters", "add", str(f), "--subscription-state", "Warned")
    values = json.loads(run("selectors", rid("Prod"), "--json").stdout)
    shown = {
        "resourceID": rid("prod").lower(),
        "bucketID": "0",
        "subscriptionID": SUB,
        "subscriptionState": "Warned",
        "authenticationType": "WorkloadIdentity",
        "architectureVersion": "0",
        "provisioningState": "AdminUpdating",
        "outboundType": "UserDefinedRouting",
        "APIServerVisibility": "Private",
        "isManagedDomain": "false",
    }
    assert values == shown
    assert list(values) == list(shown)  # the documented key order
    # the same values by any spelling of the resource ID, and as a table
    assert json.loads(run("selectors", rid("PROD").lower(), "--json").stdout) == values
    table = run("selectors", rid("Prod")).stdout
    for key, value in values.items():
        assert key in table and value in table


def test_selectors_command_defaults(run: Callable[..., Result]) -> None:
    run("clusters", "add", "--resource-id", rid("plain"))
    values = json.loads(run("selectors", rid("plain"), "--json").stdout)
    assert values["subscriptionState"] == "Registered"
    assert values["authenticationType"] == "ServicePrincipal"
    assert values["resourceID"] == rid("plain").lower()


# -- mimo schedules put: the same rules as the library -------------------------------------------

BAD_PUTS: dict[str, dict[str, Any]] = {
    # calendar: every rejected form
    "range": {"schedule": "Mon..Fri *-*-* 00:00"},
    "repeat": {"schedule": "*-*-* */2:00"},
    "tilde": {"schedule": "*-02~03 00:00"},
    "semicolon": {"schedule": "*-*-* 00:00; *-*-* 12:00"},
    "time zone": {"schedule": "*-*-* 00:00 UTC"},
    "glued time zone": {"schedule": "*-*-* 00:00+01:00"},
    "minute 10": {"schedule": "*-*-* 00:10"},
    "second 30": {"schedule": "*-*-* 00:00:30"},
    "year 2025": {"schedule": "2025-*-* 00:00"},
    "month 13": {"schedule": "*-13-* 00:00"},
    "day 32": {"schedule": "*-*-32 00:00"},
    "hour 24": {"schedule": "*-*-* 24:00"},
    "unknown weekday": {"schedule": "Funday *-*-* 00:00"},
    "not a calendar": {"schedule": "daily"},
    # selectors: the write-time rules
    "empty selectors": {"selectors": []},
    "eq without value": {"selectors": [{"key": "outboundType", "operator": "eq"}]},
    "eq with values": {"selectors": [{"key": "outboundType", "operator": "eq", "value": "a", "values": ["a"]}]},
    "in without values": {"selectors": [{"key": "outboundType", "operator": "in"}]},
    "in with empty values": {"selectors": [{"key": "outboundType", "operator": "in", "values": []}]},
    "notin with value": {"selectors": [{"key": "outboundType", "operator": "notin", "value": "a"}]},
    "unknown key": {"selectors": [{"key": "region", "operator": "eq", "value": "eastus"}]},
    "unknown operator": {"selectors": [{"key": "outboundType", "operator": "like", "value": "a"}]},
    "second selector bad": {"selectors": [{"key": "outboundType", "operator": "eq", "value": "a"},
                                          {"key": "provisioningState", "operator": "in", "value": "b"}]},
    "values not strings": {"selectors": [{"key": "outboundType", "operator": "in", "values": [1]}]},
    # the rest of the document
    "unknown task": {"maintenanceTaskID": UNKNOWN_TASK},
    "lookForwardCount 0": {"lookForwardCount": 0},
    "bad scheduleAcross": {"scheduleAcross": "1d"},
    "negative scheduleAcross": {"scheduleAcross": "-1h"},
    "bad state": {"state": "Paused"},
    "bad id": {"id": "nope"},
    "unknown field": {"color": "blue"},
}


def library_message(doc: dict[str, Any]) -> str:
    """What mimo.api + mimo.scheduler.validate_schedule say about ``doc`` (the CLI must say the same)."""
    try:
        validate_schedule(MaintenanceSchedule.from_dict(doc), {NOOP_ID: object(), FAIL_ID: object()})
    except ValueError as e:
        return " ".join(str(e).split())
    raise AssertionError(f"the library accepts {doc}")


@pytest.mark.parametrize("name", sorted(BAD_PUTS))
def test_schedules_put_refuses_what_the_library_refuses(
    run: Callable[..., Result], tmp_path: Path, db: str, name: str
) -> None:
    run("clusters", "add", "--resource-id", rid("alpha"))
    put(run, tmp_path, base_schedule())  # a good schedule with the same ID is already there
    before = dump(db)
    doc = base_schedule(**BAD_PUTS[name])
    r = put(run, tmp_path, doc, code=2)
    assert r.stdout == ""
    assert r.stderr.splitlines() == [f"mimo: error: {library_message(doc)}"]
    assert dump(db) == before  # nothing written: the earlier version is untouched


def test_calendar_errors_through_put_name_the_field(run: Callable[..., Result], tmp_path: Path) -> None:
    for expr, field in [("Mon..Fri *-*-* 00:00", "weekday 'Mon..Fri'"), ("*-*-* 00:00 UTC", "time zone 'UTC'"),
                        ("*-*-* 00:10", "minute '10'"), ("*-*-32 00:00", "day '32'")]:
        r = put(run, tmp_path, base_schedule(schedule=expr), code=2)
        assert r.stderr.startswith(f"mimo: error: schedule: calendar {expr!r}: {field}: "), r.stderr


@pytest.mark.parametrize(
    "expr",
    ["Mon *-*-* 00:00", "*-*-1,15 06:00", "*-3,6,9,12-1 00:00", "*-*-* *:0,30", "Sat,Sun *-*-* 02:00",
     "MONDAY *-*-1 00:00:00", "saturday,Sunday 2026,2027-*-* 2:0:0", "*-2-29 23:45"],
)
def test_schedules_put_accepts_the_spec_examples(run: Callable[..., Result], tmp_path: Path, db: str, expr: str) -> None:
    assert put(run, tmp_path, base_schedule(schedule=expr)).stdout.strip() == SCHED
    assert [s["schedule"] for s in dump(db)["schedules"]] == [expr]


def test_schedules_put_refuses_changing_the_task_as_go_does(run: Callable[..., Result], tmp_path: Path, db: str) -> None:
    """Go's ``maintenanceScheduleStaticValidator.validateDelta`` (pkg/api/admin/maintenanceschedule_validatestatic.go;
    admin_mimo_schedule_put_test.go: "400: PropertyChangeNotAllowed: maintenanceTaskID: Changing property
    'maintenanceTaskID' is not allowed."): the local store path refuses it too, nothing written."""
    put(run, tmp_path, base_schedule())
    before = dump(db)
    r = put(run, tmp_path, base_schedule(maintenanceTaskID=FAIL_ID), code=2)
    assert r.stderr.splitlines() == [
        "mimo: error: maintenanceTaskID: Changing property 'maintenanceTaskID' is not allowed."
    ]
    assert dump(db) == before
    # everything else may change, and a new ID may take any task
    assert put(run, tmp_path, base_schedule(schedule="Mon *-*-* 00:00")).stdout.strip() == SCHED
    assert put(run, tmp_path, base_schedule(id=SCHED2, maintenanceTaskID=FAIL_ID)).stdout.strip() == SCHED2
