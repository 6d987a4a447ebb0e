"""Real processes, real pauses (issue #16, item 2 and its done-when test).

An actuator process is frozen with SIGSTOP inside a step, past its lease; a second one takes
the manifest over; the first is resumed. Every host writes what it does to one journal
(fleet_worker.py). We then show, on SQLite and on PostgreSQL: each manifest's final state
written once (a trigger in the database counts every change of state), no step of one attempt
started after the other attempt started, no manifest lost.

The fleet test runs two actuator processes and a scheduler process on one PostgreSQL database
for 500 manifests, SIGKILLs the scheduler mid-pass and an actuator twice, SIGSTOPs the other
past its lease, and counts 0 lost, 0 doubled.

Waiting is on the processes only: select() on their stdout for the line that says they got
there (with a hard bound), never a sleep.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import pytest

from mimo.api import (
    MaintenanceManifest,
    MaintenanceSchedule,
    OpenShiftClusterDocument,
    SubscriptionDocument,
)
from mimo.store import SqliteStore

WORKER = Path(__file__).with_name("fleet_worker.py")
TASK = "00000000-0000-4000-8000-0000000000f1"
SUB = "11111111-1111-1111-1111-111111111111"
FINAL = ("Completed", "Failed", "RetriesExceeded", "TimedOut", "Cancelled")


def rid(i: int) -> str:
    return f"/subscriptions/{SUB}/resourcegroups/rg/providers/microsoft.redhatopenshift/openshiftclusters/c{i}"


class Host:
    """One worker process and the lines it printed."""

    def __init__(self, role: str, store: str, journal: Path, *args: str, name: str) -> None:
        self.name = name
        with open(journal.with_suffix(f".{name}.err"), "wb") as err:  # the child keeps its own copy
            self.p = subprocess.Popen(
                [sys.executable, str(WORKER), role, store, str(journal), *args],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        self.buf = b""
        self.lines: list[list[str]] = []

    def feed(self) -> bool:
        chunk = os.read(self.p.stdout.fileno(), 65536)  # type: ignore[union-attr]
        if not chunk:
            return False
        self.buf += chunk
        *done, self.buf = self.buf.split(b"\n")
        self.lines.extend(line.decode().split() for line in done)
        return True

    def release(self) -> None:
        self.p.stdin.write(b"go\n")  # type: ignore[union-attr]
        self.p.stdin.flush()  # type: ignore[union-attr]

    def signal(self, sig: int) -> None:
        os.kill(self.p.pid, sig)

    def end(self) -> None:
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGCONT)
            self.p.terminate()
            try:
                self.p.wait(20)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait(10)


def wait_for(hosts: list[Host], pred: Callable[[], bool], what: str, timeout: float = 180.0) -> None:
    """Read the hosts' output until ``pred()`` holds; fail after ``timeout`` s or when a host dies."""
    end = time.monotonic() + timeout
    while not pred():
        live = {h.p.stdout.fileno(): h for h in hosts if h.p.stdout is not None and not h.p.stdout.closed}
        left = end - time.monotonic()
        if left <= 0:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        ready, _, _ = select.select(list(live), [], [], min(left, 0.5))
        for fd in ready:
            if not live[fd].feed():
                live[fd].p.stdout.close()  # type: ignore[union-attr]


def has(host: Host, kind: str, *fields: str) -> Callable[[], bool]:
    return lambda: any(line[1] == kind and line[2 : 2 + len(fields)] == list(fields) for line in host.lines)


def journal_lines(journal: Path) -> list[list[str]]:
    return [line.split() for line in journal.read_text().splitlines() if line.strip()]


def check_attempts_never_overlap(lines: list[list[str]]) -> None:
    """No step of an earlier attempt starts after a later attempt of the same manifest started."""
    first_start: dict[str, dict[int, int]] = defaultdict(dict)
    for i, line in enumerate(lines):
        if line[1] == "START":
            first_start[line[2]].setdefault(int(line[3]), i)
    for i, line in enumerate(lines):
        if line[1] != "START":
            continue
        mid, gen = line[2], int(line[3])
        later = [at for g, at in first_start[mid].items() if g > gen]
        assert not later or i < min(later), f"manifest {mid}: attempt {gen} started a step at line {i} " \
                                             f"after attempt {min(g for g in first_start[mid] if g > gen)} began"


# -- the stores, each with a trigger counting every change of a manifest's state ----------------------


def sqlite_store(tmp_path: Path) -> tuple[str, Callable[[], list[tuple[str, str, str, int]]]]:
    import sqlite3

    path = tmp_path / "fleet.db"
    SqliteStore(path).close()
    conn = sqlite3.connect(path)
    conn.executescript(
        "CREATE TABLE audit (id TEXT, old_state TEXT, new_state TEXT, dequeues INTEGER);"
        "CREATE TRIGGER audit_state AFTER UPDATE OF state ON manifests WHEN NEW.state IS NOT OLD.state"
        " BEGIN INSERT INTO audit VALUES (NEW.id, OLD.state, NEW.state, NEW.dequeues); END;"
    )
    conn.close()

    def audit() -> list[tuple[str, str, str, int]]:
        c = sqlite3.connect(path)
        try:
            return [tuple(r) for r in c.execute("SELECT id, old_state, new_state, dequeues FROM audit")]  # type: ignore[misc]
        finally:
            c.close()

    return str(path), audit


def postgres_store(url: str) -> tuple[str, Callable[[], list[tuple[str, str, str, int]]]]:
    import psycopg

    from mimo.store import PostgresStore

    PostgresStore(url).close()
    with psycopg.connect(url, autocommit=True) as c:
        c.execute("CREATE TABLE audit (id TEXT, old_state TEXT, new_state TEXT, dequeues BIGINT)")
        c.execute(
            "CREATE FUNCTION audit_state() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
            " IF NEW.state IS DISTINCT FROM OLD.state THEN"
            " INSERT INTO audit VALUES (NEW.id, OLD.state, NEW.state, NEW.dequeues); END IF;"
            " RETURN NEW; END $$"
        )
        c.execute("CREATE TRIGGER audit_state AFTER UPDATE ON manifests FOR EACH ROW EXECUTE FUNCTION audit_state()")

    def audit() -> list[tuple[str, str, str, int]]:
        with psycopg.connect(url) as c:
            return [tuple(r) for r in c.execute("SELECT id, old_state, new_state, dequeues FROM audit")]  # type: ignore[misc]

    return url, audit


@pytest.fixture(params=["sqlite", "postgres"])
def fleet_store(request, tmp_path):
    if request.param == "sqlite":
        return sqlite_store(tmp_path)
    return postgres_store(request.getfixturevalue("pg_url"))


def seed(store_url: str, clusters: int) -> None:
    from mimo.store import open_store

    s = open_store(store_url)
    s.put_subscription(SubscriptionDocument(id=SUB))
    for i in range(clusters):
        s.put_cluster(OpenShiftClusterDocument(id=f"22222222-2222-4222-8222-{i:012d}", resource_id=rid(i)))
    s.close()


# -- one pause ----------------------------------------------------------------------------------------------


def test_a_paused_actuator_resumed_after_a_takeover_writes_nothing_and_runs_no_further_step(fleet_store, tmp_path):
    url, audit = fleet_store
    seed(url, 1)
    from mimo.store import open_store

    s = open_store(url)
    m = s.create_manifest(MaintenanceManifest.new(rid(0), TASK, now=int(time.time()) - 1))
    s.close()
    journal = tmp_path / "journal"
    a = Host("actuator", url, journal, "--hold", "1", "--lease", "1", name="a")
    hosts = [a]
    try:
        wait_for(hosts, has(a, "HOLD", m.id, "1"), "A to hold inside step 1 of attempt 1")
        a.signal(signal.SIGSTOP)  # frozen inside a step: no renewal, no step boundary
        b = Host("actuator", url, journal, "--hold", "1", "--lease", "1", name="b")
        hosts.append(b)
        wait_for(hosts, has(b, "HOLD", m.id, "2"), "B to take the manifest over (attempt 2) after A's lease expired")
        a.signal(signal.SIGCONT)
        a.release()
        wait_for(hosts, has(a, "LOST", m.id, "1"), "A to find its lease lost at the next step boundary")
        b.release()
        wait_for(hosts, has(b, "FINAL", m.id, "2", "Completed", "True"), "B to complete the manifest")
    finally:
        for h in hosts:
            h.end()
    lines = journal_lines(journal)
    steps = [(int(line[3]), int(line[4])) for line in lines if line[1] == "START" and line[2] == m.id]
    assert steps == [(1, 0), (1, 1), (2, 0), (2, 1), (2, 2)], steps  # A never started step 2
    check_attempts_never_overlap(lines)
    finals = [line for line in lines if line[1] == "FINAL" and line[2] == m.id]
    assert finals == [[finals[0][0], "FINAL", m.id, "2", "Completed", "True"]]  # A did not even try
    # the database's own count: one change into a final state, by the second attempt
    assert [t for t in audit() if t[2] in FINAL] == [(m.id, "InProgress", "Completed", 2)]
    s = open_store(url)
    got = s.get_manifest(m.id)
    s.close()
    assert (got.state, got.dequeues, got.lease_owner) == ("Completed", 2, "")


# -- the fleet ------------------------------------------------------------------------------------------------


def test_two_actuators_and_a_scheduler_on_postgres_lose_and_double_nothing(pg_url, tmp_path):
    n = 500
    url, audit = postgres_store(pg_url)
    seed(url, n)
    from mimo.store import open_store

    # one period, at an instant the hosts' shifted clocks reach a few seconds from now
    target = datetime(2030, 1, 1, tzinfo=timezone.utc)
    s = open_store(url)
    s.put_schedule(MaintenanceSchedule(
        id="33333333-3333-4333-8333-333333333333", maintenance_task_id=TASK, schedule="2030-01-01 00:00",
        schedule_across="10s", look_forward_count=1,
        selectors=[{"key": "subscriptionState", "operator": "eq", "value": "Registered"}],
    ))
    s.close()
    now = time.time()
    actuator_offset = str(target.timestamp() - now - 4)  # the actuators reach the period 4 s from now
    scheduler_offset = str(target.timestamp() - now - 600)  # the scheduler is still well before it
    journal = tmp_path / "journal"
    hosts: list[Host] = []

    def start(role: str, name: str, *args: str) -> Host:
        offset = scheduler_offset if role == "scheduler" else actuator_offset
        h = Host(role, url, journal, "--offset", offset, *args, name=name)
        hosts.append(h)
        return h

    def done(h: Host) -> int:
        return sum(1 for line in h.lines if line[1] == "FINAL" and line[5] == "True")

    try:
        sched = start("scheduler", "s1")
        wait_for(hosts, has(sched, "PASS", "start"), "the scheduler's first pass to begin")
        sched.signal(signal.SIGKILL)  # killed mid-pass (or before its first write)
        sched.p.wait(10)
        sched = start("scheduler", "s2")
        a1 = start("actuator", "a1", "--workers", "4", "--lease", "2")
        a2 = start("actuator", "a2", "--workers", "4", "--lease", "2", "--hold", "1")
        wait_for(hosts, lambda: done(a1) >= 60, "a1 to complete 60 manifests", timeout=300)
        a1.signal(signal.SIGKILL)
        a1.p.wait(10)
        a1 = start("actuator", "a1b", "--workers", "4", "--lease", "2")
        wait_for(hosts, lambda: any(line[1] == "HOLD" for line in a2.lines), "a2 to hold an attempt", timeout=300)
        held = next(line for line in a2.lines if line[1] == "HOLD")
        a2.signal(signal.SIGSTOP)
        wait_for(hosts, lambda: any(line[1] == "START" and line[2] == held[2] and int(line[3]) > int(held[3])
                                    for h in hosts if h is not a2 for line in h.lines),
                 "another actuator to take over the manifest a2 holds", timeout=300)
        wait_for(hosts, lambda: done(a1) >= 100, "a1b to complete 100 manifests", timeout=300)
        a1.signal(signal.SIGKILL)
        a1.p.wait(10)
        a1 = start("actuator", "a1c", "--workers", "4", "--lease", "2")
        a2.signal(signal.SIGCONT)
        a2.release()
        wait_for(hosts, has(a2, "LOST", held[2], held[3]), "a2 to find its lease lost", timeout=60)

        def all_final() -> bool:
            c = open_store(url)
            try:
                counts = c.count_manifests()
            finally:
                c.close()
            return sum(counts.get(st, 0) for st in FINAL) >= n

        wait_for(hosts, all_final, f"all {n} manifests to reach a final state", timeout=240)
    finally:
        for h in hosts:
            h.end()

    s = open_store(url)
    manifests = s.list_manifests()
    s.close()
    periods = [(m.cluster_resource_id, m.run_after) for m in manifests]
    assert len(manifests) == n and len(set(periods)) == n, "a period has two manifests (doubled by the scheduler)"
    lost = [m.id for m in manifests if m.state != "Completed"]
    assert lost == [], f"{len(lost)} manifests lost: {lost[:5]}"
    into_final = defaultdict(list)
    for mid, old, new, gen in audit():
        if new in FINAL:
            into_final[mid].append((old, new, gen))
    doubled = {mid: t for mid, t in into_final.items() if len(t) != 1}
    assert doubled == {}, f"{len(doubled)} manifests written final more than once"
    assert len(into_final) == n
    lines = journal_lines(journal)
    check_attempts_never_overlap(lines)
    assert sum(1 for m in manifests if m.dequeues > 1) >= 1, "no manifest was ever taken over"
    print(f"{n} manifests: 0 lost, 0 doubled; taken over: {sum(1 for m in manifests if m.dequeues > 1)}; "
          f"refused final writes: {sum(1 for line in lines if line[1] == 'FINAL' and line[5] == 'False')}")
