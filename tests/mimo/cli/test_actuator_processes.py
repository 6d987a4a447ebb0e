"""`mimo actuator` as real processes on one file store: killed mid-task, and two at once.

The test task is registered through ``MIMO_PLUGINS=mimo_test_tasks`` (``plugins/`` on
PYTHONPATH). Waiting on another process cannot use a virtual clock: every wait
here polls a file or the store with a short step and a hard bound.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from mimo.api import MaintenanceManifest, OpenShiftClusterDocument, SubscriptionDocument
from mimo.store import SqliteStore

PLUGIN_DIR = Path(__file__).parent / "plugins"
BLOCK_ID = "00000000-0000-4000-8000-00000000a002"
RACE_ID = "00000000-0000-4000-8000-00000000a003"
SUB = "11111111-1111-1111-1111-111111111111"


def rid(i: int) -> str:
    return f"/subscriptions/{SUB}/resourcegroups/rg/providers/microsoft.redhatopenshift/openshiftclusters/c{i}"


def wait_for(pred, timeout: float, what: str, procs=()) -> None:
    end = time.monotonic() + timeout
    while not pred():
        for p in procs:
            if p.poll() is not None:
                raise AssertionError(f"actuator exited early ({p.returncode}) while waiting for {what}")
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.02)


@pytest.fixture
def world(tmp_path):
    db = tmp_path / "mimo.db"
    store = SqliteStore(db)
    store.put_subscription(SubscriptionDocument(id=SUB))
    yield tmp_path, db, store
    store.close()


def start_actuator(tmp_path: Path, db: Path, name: str, *args: str) -> subprocess.Popen:
    env = dict(os.environ)
    env.update(
        PYTHONPATH=os.pathsep.join([str(PLUGIN_DIR), env.get("PYTHONPATH", "")]),
        MIMO_PLUGINS="mimo_test_tasks",
        MIMO_TEST_DIR=str(tmp_path),
    )
    env.pop("MIMO_STORE", None)
    with open(tmp_path / f"{name}.out", "wb") as out, open(tmp_path / f"{name}.err", "wb") as err:
        # the child keeps its own copies of the file descriptors
        return subprocess.Popen(
            [sys.executable, "-m", "mimo.cli", "--store", str(db), "actuator", "--log-level", "INFO", *args],
            env=env, stdout=out, stderr=err, cwd=tmp_path,
        )


def stop(p: subprocess.Popen) -> None:
    if p.poll() is None:
        p.kill()
        p.wait(10)


def test_killed_actuator_is_recovered_and_the_manifest_run_again(world):
    tmp_path, db, store = world
    store.put_cluster(OpenShiftClusterDocument(id="22222222-2222-2222-2222-222222222222", resource_id=rid(1)))
    m = store.create_manifest(MaintenanceManifest.new(rid(1), BLOCK_ID, now=int(time.time()) - 1))

    # --pool-ttl 2: the dead host's buckets (it was the pool's master, holding all 256) move to the
    # second host 2 s after its last heartbeat instead of Go's 60 s
    first = start_actuator(tmp_path, db, "first", "--poll-interval", "0.1", "--lease-seconds", "1", "--pool-ttl", "2")
    try:
        wait_for((tmp_path / f"started-{m.id}-1").exists, 30, "the task to start", [first])
        held = store.get_manifest(m.id)
        assert (held.state, held.dequeues) == ("InProgress", 1)
        first_owner = held.lease_owner
        assert first_owner.split(":")[1] == str(first.pid)
        first.send_signal(signal.SIGKILL)
        assert first.wait(10) == -signal.SIGKILL
    finally:
        stop(first)
    # dead: the manifest is still InProgress under the dead owner until its lease expires
    assert store.get_manifest(m.id).state == "InProgress"
    (tmp_path / "release").touch()

    second = start_actuator(tmp_path, db, "second", "--poll-interval", "0.1", "--lease-seconds", "1", "--pool-ttl", "2")
    try:
        wait_for(lambda: store.get_manifest(m.id).state == "Completed", 30, "the manifest to complete", [second])
        second.send_signal(signal.SIGTERM)
        assert second.wait(15) == 0, (tmp_path / "second.err").read_text()
    finally:
        stop(second)
    done = store.get_manifest(m.id)
    assert (done.state, done.dequeues, done.status_text, done.lease_owner) == ("Completed", 2, "released", "")
    assert (tmp_path / f"started-{m.id}-2").exists()
    log = (tmp_path / "second.err").read_text()
    assert "lease expired while InProgress" in log and "stopping after the running tasks" in log


def test_two_actuators_share_a_store_without_double_runs_or_losses(world):
    tmp_path, db, store = world
    clusters = 8
    for i in range(clusters):
        store.put_cluster(OpenShiftClusterDocument(id=f"22222222-2222-2222-2222-2222222222{i:02d}", resource_id=rid(i)))
    now = int(time.time()) - 10
    ids = [
        store.create_manifest(MaintenanceManifest.new(rid(k % clusters), RACE_ID, now=now, run_after=now - k % 7)).id
        for k in range(200)
    ]
    # --once joins no bucket pool: both hosts pass every cluster and race, and the leases decide
    procs = [start_actuator(tmp_path, db, f"a{n}", "--once", "--workers", "4") for n in range(2)]
    try:
        for p in procs:
            p.wait(90)
    finally:
        for p in procs:
            stop(p)
    for n, p in enumerate(procs):
        assert p.returncode == 0, (tmp_path / f"a{n}.err").read_text()[-3000:]

    assert list(tmp_path.glob("double-*")) == []
    runs = [line.split() for line in (tmp_path / "runs.log").read_text().splitlines()]
    per_manifest = Counter(r[0] for r in runs)
    assert set(per_manifest) == set(ids)  # none lost
    assert max(per_manifest.values()) == 1  # none ran twice (let alone at once)
    assert {int(r[1]) for r in runs} == {p.pid for p in procs}  # both really worked
    final = store.list_manifests()
    assert Counter(m.state for m in final) == {"Completed": 200}
    assert {m.dequeues for m in final} == {1}
    assert all(m.lease_owner == "" for m in final)
