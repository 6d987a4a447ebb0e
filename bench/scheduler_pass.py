"""Benchmark: one scheduler pass over a fleet, and Calendar.next() against a minute-by-minute walk.

Run: python bench/scheduler_pass.py [--clusters 1000,10000] [--runs 5] [--seed N] [--stores memory,sqlite,postgresql]

Prints the machine, then medians over ``--runs`` runs: a first pass (creates
every manifest), a steady pass (nothing to do) and a pass after an edit
(cancel + create), on MemoryStore, SqliteStore and PostgresStore (a server this
script starts on loopback with ``pytest_mimo.postgres``: ``initdb`` + ``pg_ctl``
in a temporary directory, ``fsync`` off as in the tests, a new database per
run); and next() for a few calendars, with its speed-up over stepping minute
by minute measured in the same run. Target (issue #16): the 10,000-cluster
first pass and pass after an edit <= 10 s on SQLite and PostgreSQL.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from typing import Any

from mimo.api import (
    ClusterProfile,
    MaintenanceSchedule,
    NetworkProfile,
    OpenShiftClusterDocument,
    OpenShiftClusterProperties,
    Selector,
    SubscriptionDocument,
)
from mimo.scheduler import Calendar, Scheduler
from mimo.store import MemoryStore, PostgresStore, SqliteStore

UTC = timezone.utc
TASK = "9b741734-6505-447f-8510-85eb0ae561a2"
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


class Clock:
    def __init__(self, t: datetime) -> None:
        self.t = t

    def now(self) -> datetime:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.t += timedelta(seconds=seconds)


def machine() -> str:
    u = platform.uname()
    return f"{u.system} {u.release} {u.machine}; cores={os.cpu_count()}; python {sys.version.split()[0]}"


def put_clusters(store: Any, n: int, rng: random.Random, states: list[str]) -> None:
    """``n`` clusters over ``n // 50`` subscriptions whose states are drawn from ``states``
    (also used by bench/simulate.py)."""
    subs = [f"{i:08x}-0000-4000-8000-{rng.getrandbits(48):012x}" for i in range(max(1, n // 50))]
    for s in subs:
        store.put_subscription(SubscriptionDocument(id=s, state=rng.choice(states)))
    for i in range(n):
        sub = rng.choice(subs)
        store.put_cluster(
            OpenShiftClusterDocument(
                id=f"00000000-0000-4000-8000-{i:012d}",
                resource_id=f"/subscriptions/{sub}/resourceGroups/rg{i % 7}/providers/"
                f"Microsoft.RedHatOpenShift/openShiftClusters/c{i}",
                properties=OpenShiftClusterProperties(
                    cluster_profile=ClusterProfile(domain=f"c{i}" if i % 5 else f"c{i}.example.com"),
                    network_profile=NetworkProfile(outbound_type=rng.choice(["Loadbalancer", "UserDefinedRouting"])),
                ),
            )
        )


def populate(store: Any, n: int, rng: random.Random) -> None:
    put_clusters(store, n, rng, ["Registered"] * 9 + ["Suspended"])
    sel = [Selector(key="subscriptionState", operator="eq", value="Registered")]
    store.put_schedule(MaintenanceSchedule(id="aaaaaaaa-0000-4000-8000-000000000001", maintenance_task_id=TASK,
                                           schedule="*-*-* 00:00", selectors=sel, look_forward_count=3,
                                           schedule_across="24h"))
    store.put_schedule(MaintenanceSchedule(id="aaaaaaaa-0000-4000-8000-000000000002", maintenance_task_id=TASK,
                                           schedule="Sat,Sun *-*-* 02:00", look_forward_count=2,
                                           schedule_across="90m",
                                           selectors=sel + [Selector(key="isManagedDomain", operator="eq", value="true")]))


def time_pass(store: Any) -> tuple[float, int, int]:
    t0 = time.perf_counter()
    r = Scheduler(store, clock=Clock(NOW)).process()
    return time.perf_counter() - t0, len(r.created), len(r.cancelled)


def open_kind(kind: str, d: str, server: Any) -> tuple[Any, str]:
    """A fresh empty store of ``kind`` and its PostgreSQL URL ('' for the others)."""
    if kind == "memory":
        return MemoryStore(), ""
    if kind == "sqlite":
        return SqliteStore(os.path.join(d, "b.db")), ""
    url = server.create_database()
    return PostgresStore(url), url


def bench_passes(kind: str, n: int, runs: int, seed: int, server: Any = None) -> None:
    first, steady, edit = [], [], []
    counts: tuple[int, int, int, int] = (0, 0, 0, 0)
    for run in range(runs):
        rng = random.Random(seed + run)
        with tempfile.TemporaryDirectory() as d:
            store, url = open_kind(kind, d, server)
            populate(store, n, rng)
            f, created, _ = time_pass(store)
            s, _, _ = time_pass(store)
            sch = store.get_schedule("aaaaaaaa-0000-4000-8000-000000000001")
            sch.schedule = "*-*-* 06:00"
            store.put_schedule(sch)
            e, created2, cancelled2 = time_pass(store)
            store.close()
            if url:
                server.drop_database(url)
        first.append(f)
        steady.append(s)
        edit.append(e)
        counts = (created, created2, cancelled2, len(first))
    verdict = ""
    if kind != "memory" and n >= 10_000:
        worst = max(statistics.median(first), statistics.median(edit))
        verdict = f"  target <= 10 s: {'meets' if worst <= 10 else 'MISSES'}"
    print(
        f"  {kind:10s} {n:6d} clusters: first pass {statistics.median(first) * 1000:8.1f} ms "
        f"({counts[0]} created) | steady pass {statistics.median(steady) * 1000:8.1f} ms | "
        f"after an edit {statistics.median(edit) * 1000:8.1f} ms ({counts[1]} created, {counts[2]} cancelled)"
        f"  [median of {runs}]{verdict}"
    )


def walk_next(cal: Calendar, after: datetime, limit_minutes: int) -> datetime | None:
    t = after.replace(second=0, microsecond=0) + timedelta(minutes=1)
    for _ in range(limit_minutes):
        if cal.matches(t):
            return t
        t += timedelta(minutes=1)
    return None


def bench_next(runs: int) -> None:
    cases = ["*-*-* *:0,30", "Mon *-*-* 00:00", "*-3,6,9,12-1 00:00", "*-2-29 00:00", "Mon *-2-29 00:00"]
    for expr in cases:
        cal = Calendar.parse(expr)
        want = cal.next(NOW)
        assert want is not None
        minutes = int((want - NOW).total_seconds() // 60) + 1
        fast: list[float] = []
        slow: list[float] = []
        reps = 200
        if minutes > 2_000_000:  # walking ~9 million minutes takes ~20 s a run: time next() only
            for _ in range(runs):
                t0 = time.perf_counter()
                for _ in range(reps):
                    cal.next(NOW)
                fast.append((time.perf_counter() - t0) / reps)
            print(f"  {expr!r:24s} next={want:%Y-%m-%d %H:%M} next() {statistics.median(fast) * 1e6:8.1f} us | "
                  f"minute walk not run ({minutes} steps)  [median of {runs}]")
            continue
        for _ in range(runs):
            t0 = time.perf_counter()
            for _ in range(reps):
                cal.next(NOW)
            fast.append((time.perf_counter() - t0) / reps)
            walk_reps = 1 if minutes > 100_000 else 20
            t0 = time.perf_counter()
            for _ in range(walk_reps):
                got = walk_next(cal, NOW, minutes)
            slow.append((time.perf_counter() - t0) / walk_reps)
            assert got == want
        f, s = statistics.median(fast), statistics.median(slow)
        print(f"  {expr!r:24s} next={want:%Y-%m-%d %H:%M} next() {f * 1e6:8.1f} us | "
              f"minute walk {s * 1e3:10.2f} ms ({minutes} steps) | ratio {s / f:10.0f}x  [median of {runs}]")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clusters", default="1000,10000")
    ap.add_argument("--stores", default="memory,sqlite,postgresql")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--seed", type=int, default=20261127)
    a = ap.parse_args()
    print(f"machine: {machine()}")
    print(f"seed: {a.seed}")
    print("scheduler pass (2 schedules: daily x3 across 24h, weekends x2 across 90m):")
    kinds = a.stores.split(",")
    server: Any = None
    if "postgresql" in kinds:
        from pytest_mimo.postgres import PostgresServer

        server = PostgresServer().start()
    try:
        if server is not None:
            print(f"postgresql: {server.bin_dir} on 127.0.0.1:{server.port} (fsync off)")
        for n in [int(x) for x in a.clusters.split(",")]:
            for kind in kinds:
                bench_passes(kind, n, a.runs, a.seed, server)
    finally:
        if server is not None:
            server.stop()
    print("Calendar.next() vs stepping minute by minute (from 2026-12-01 10:00):")
    bench_next(a.runs)


if __name__ == "__main__":
    main()
