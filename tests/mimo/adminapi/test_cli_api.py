"""The CLI's admin commands against a real admin API (``mimo --api URL``), served by uvicorn on loopback.

The same commands run against the local store give the same manifests and
schedules; the server's refusals come back as one ``mimo: error:`` line.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from mimo.adminapi.auth import Authenticator
from mimo.api import (
    MaintenanceManifest,
    ManifestState,
    OpenShiftClusterDocument,
    SubscriptionDocument,
)
from mimo.cli import cli
from mimo.host import FleetHost, HostConfig
from mimo.store.sqlite import SqliteStore

from .helpers import RID, SUB, TASK, TOKEN

SCHED = "5c4b8e1a-0000-4000-8000-00000000c001"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, str, SqliteStore]]:
    """A SQLite store and ``mimo serve``'s host (API only) over it, on an ephemeral loopback port."""
    db = str(tmp_path / "mimo.db")
    store = SqliteStore(db)
    store.put_subscription(SubscriptionDocument(id=SUB))
    store.put_cluster(OpenShiftClusterDocument(id="33333333-3333-4333-8333-333333333333", resource_id=RID))
    config = HostConfig(host="127.0.0.1", port=0, auth=Authenticator(tokens=[TOKEN]), run_actuator=False,
                        run_scheduler=False, readiness_delay=0, log_level="warning")
    host = FleetHost(store, _tasks(), config)
    url = host.url  # bound and listening: requests queue until uvicorn accepts them
    t = threading.Thread(target=host.serve, daemon=True)
    t.start()
    tokens = tmp_path / "token"
    tokens.write_text(TOKEN + "\n")
    try:
        yield url, str(tokens), store
    finally:
        host.stop()
        t.join(30)
        store.close()
    assert not t.is_alive()


def _tasks() -> dict:
    from mimo.tasks import load_tasks

    return load_tasks()


def mimo(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_manifest_commands_over_the_api(served) -> None:
    url, token, store = served
    api = ("--api", url, "--api-token-file", token)
    soon = int(time.time()) + 3600
    r = mimo(*api, "manifests", "create", "--cluster", RID, "--task", "TLS_CERT_ROTATION_ID",
             "--run-after", str(soon), "--priority", "2")
    assert r.exit_code == 0, r.output
    mid = r.output.strip()
    m = store.get_manifest(mid)
    assert (m.run_after, m.priority, m.state) == (soon, 2, "Pending")

    r = mimo(*api, "manifests", "list", "--cluster", RID, "--json")
    assert r.exit_code == 0 and [x["id"] for x in json.loads(r.output)] == [mid]
    r = mimo(*api, "manifests", "show", mid, "--cluster", RID, "--json")
    assert json.loads(r.output)["runAfter"] == soon
    r = mimo(*api, "manifests", "queued", "--json")
    assert [x["clusterResourceID"] for x in json.loads(r.output)] == [RID]

    r = mimo(*api, "manifests", "cancel", mid, "--cluster", RID)
    assert (r.exit_code, r.output) == (0, f"cancelled manifest {mid}\n")
    assert store.get_manifest(mid).state == "Cancelled"
    # the Go API's 406 for a second cancel: one line, exit 2
    r = mimo(*api, "manifests", "cancel", mid, "--cluster", RID)
    assert r.exit_code == 2
    assert r.stderr == (
        "mimo: error: cannot cancel task in state Cancelled [HTTP 406 PropertyChangeNotAllowed]\n"
    )
    r = mimo(*api, "manifests", "delete", mid, "--cluster", RID)
    assert (r.exit_code, r.output) == (0, f"deleted manifest {mid}\n")
    assert store.list_manifests() == []


def test_schedule_commands_and_selectors_over_the_api(served, tmp_path: Path) -> None:
    url, token, store = served
    api = ("--api", url, "--api-token-file", token)
    doc = {"id": SCHED, "state": "Enabled", "maintenanceTaskID": TASK, "schedule": "Mon *-*-* 00:00",
           "lookForwardCount": 1, "scheduleAcross": "0s",
           "selectors": [{"key": "subscriptionState", "operator": "eq", "value": "Registered"}]}
    f = tmp_path / "s.json"
    f.write_text(json.dumps(doc))
    r = mimo(*api, "schedules", "put", str(f))
    assert (r.exit_code, r.output) == (0, SCHED + "\n")
    assert store.get_schedule(SCHED).schedule == "Mon *-*-* 00:00"
    r = mimo(*api, "schedules", "list", "--json")
    assert [s["id"] for s in json.loads(r.output)] == [SCHED]
    r = mimo(*api, "schedules", "show", SCHED, "--json")
    assert json.loads(r.output)["maintenanceTaskID"] == TASK
    # the task cannot change (PropertyChangeNotAllowed), and nothing is written
    f.write_text(json.dumps({**doc, "maintenanceTaskID": "b41749fc-af26-4ab7-b5a1-e03f3ee4cba6"}))
    r = mimo(*api, "schedules", "put", str(f))
    assert r.exit_code == 2
    assert r.stderr == ("mimo: error: Changing property 'maintenanceTaskID' is not allowed. "
                        "(target maintenanceTaskID) [HTTP 400 PropertyChangeNotAllowed]\n")
    assert store.get_schedule(SCHED).maintenance_task_id == TASK

    store.create_manifest(MaintenanceManifest(cluster_resource_id=RID, maintenance_task_id=TASK,
                                              run_after=4_000_000_000, run_before=4_000_003_600,
                                              created_by_schedule=SCHED))
    r = mimo(*api, "manifests", "cancel", "--schedule", SCHED, "--json")
    assert json.loads(r.output) == {"cancelled": 1, "errors": 0}
    assert {m.state for m in store.list_manifests()} == {ManifestState.CANCELLED}

    r = mimo(*api, "selectors", RID, "--json")
    local = mimo("--store", str(tmp_path / "mimo.db"), "selectors", RID, "--json")
    assert r.exit_code == 0 and local.exit_code == 0, (r.output, local.output)
    assert json.loads(r.output) == json.loads(local.output)


def test_api_refusals_and_commands_without_an_endpoint(served, tmp_path: Path) -> None:
    url, token, store = served
    r = mimo("--api", url, "manifests", "list", "--cluster", RID)  # no token
    assert (r.exit_code, r.stderr) == (2, "mimo: error: Forbidden. [HTTP 403 Forbidden]\n")
    r = mimo("--api", url, "--api-token-file", token, "clusters", "list")
    assert r.exit_code == 2
    assert r.stderr == "mimo: error: --api: `cli clusters list` works on a local store only (the admin API has no endpoint for it)\n"
    r = mimo("--api", url, "--api-token-file", token, "manifests", "show", "00000000-0000-4000-8000-000000000001")
    assert (r.exit_code, r.stderr) == (2, "mimo: error: --cluster: needed with --api (the admin API keys manifests by cluster)\n")
    r = mimo("--api", "ftp://example", "manifests", "queued")
    assert r.exit_code == 2 and "is not an http(s) URL" in r.stderr


def test_an_api_that_does_not_answer_is_exit_code_1(tmp_path: Path) -> None:
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    r = mimo("--api", f"http://127.0.0.1:{port}", "manifests", "queued")
    assert r.exit_code == 1
    assert r.stderr.startswith(f"mimo: error: --api http://127.0.0.1:{port}: no answer: ")
