"""Manifests per second through the actuator with a no-op task: 1, 4 and 2x4 workers, SQLite and PostgreSQL.

Each run: a fresh store (an SQLite file, or a new database on a PostgreSQL
server this script starts on loopback with ``pytest_mimo.postgres`` — ``initdb``
+ ``pg_ctl`` in a temporary directory, ``fsync`` off as in the tests unless
``--durable``) holding CLUSTERS clusters x PER manifests, then PROCESSES
actuator processes of WORKERS workers each (the production ``ActuatorService``:
leases, the production TaskContext, a lease-renewal thread per task, the
fenced finish write), started together and each calling ``run_once()`` until no
cluster has runnable work. The time is the parent's wall clock from "go" to the
last process done, after every manifest was checked ``Completed`` exactly once
(dequeues == 1). Medians of RUNS runs per configuration; the ratios are of
medians measured in the same session.

Targets (issue #16): >= 300 manifests/s on PostgreSQL, and two processes of 4
workers >= 1.6x one process of 4 workers.

Several processes share the clusters by bucket, as the Go actuator's hosts do (each serves the
clusters of the buckets the pool's master gave it); the clusters are many (64) so that the
split between two hosts is close to even.

    python bench/actuator_throughput.py [--runs 5] [--clusters 64] [--per 25] [--stores sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from mimo.actuator import ActuatorService
from mimo.api import MaintenanceManifest, OpenShiftClusterDocument, SubscriptionDocument
from mimo.store import open_store

SUB = "11111111-1111-1111-1111-111111111111"
NOOP = "00000000-0000-4000-8000-00000000b001"
#: (processes, workers per process)
CONFIGS = ((1, 1), (1, 4), (2, 4))


def noop(tc: object, manifest: object, cluster: object) -> None:
    return None


def populate(url: str, clusters: int, per: int) -> None:
    store = open_store(url)
    store.put_subscription(SubscriptionDocument(id=SUB))
    now = int(time.time())
    for i in range(clusters):
        rid = f"/subscriptions/{SUB}/resourcegroups/rg/providers/microsoft.redhatopenshift/openshiftclusters/c{i}"
        store.put_cluster(OpenShiftClusterDocument(id=f"22222222-2222-2222-2222-{i:012d}", resource_id=rid))
        for k in range(per):
            store.create_manifest(MaintenanceManifest.new(rid, NOOP, now=now, run_after=now - k))
    store.close()


def check(url: str, total: int) -> None:
    store = open_store(url)
    done = store.list_manifests(states=["Completed"])
    store.close()
    twice = [m.id for m in done if m.dequeues != 1]
    if len(done) != total or twice:
        raise SystemExit(f"only {len(done)} of {total} manifests completed, {len(twice)} run more than once")


def child(url: str, workers: int, renew: bool) -> None:
    """One actuator process: say ready, wait for 'go' on stdin, run until no work is left."""
    logging.disable(logging.WARNING)  # the INFO lines per manifest are not what we measure
    store = open_store(url)
    service = ActuatorService(store, {NOOP: noop}, workers=workers, renew_leases=renew)
    # the hosts share the clusters by bucket (mimo.store.pool): every process registers, then
    # refreshes as often as the parent says, so that the master has balanced over all of them
    # and each has read its share before "go"
    service.refresh_buckets()
    print("ready", flush=True)
    while sys.stdin.readline().strip() == "refresh":
        service.refresh_buckets()
        print(f"buckets {len(service.buckets or ())}", flush=True)
    cpu0 = time.process_time()
    while service.run_once():
        pass
    cpu = time.process_time() - cpu0
    store.close()
    print(f"done errors={service.errors} cpu={cpu:.3f}", flush=True)


def server_cpu(server: Any) -> float:
    """CPU seconds used so far by the PostgreSQL server's processes (postmaster and its children, live or reaped)."""
    if server is None or server.dir is None:
        return 0.0
    try:
        top = int((server.dir / "data" / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 0.0
    ticks = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(pid) == top:  # its own time and that of the backends it reaped (closed connections)
            ticks += int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])
        elif int(fields[1]) == top:
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def one_run(url: str, processes: int, workers: int, total: int, renew: bool) -> tuple[float, float]:
    """Manifests per second, and the actuator processes' CPU seconds per manifest."""
    argv = [sys.executable, __file__, "--child", url, "--workers", str(workers)]
    if not renew:
        argv.append("--no-renew")
    procs = [subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) for _ in range(processes)]
    try:
        for p in procs:
            assert p.stdout is not None
            if p.stdout.readline().strip() != "ready":
                raise SystemExit("an actuator process did not start")
        for _round in range(2 if processes > 1 else 0):  # the master balances, then every host reads
            for p in procs:
                assert p.stdin is not None and p.stdout is not None
                p.stdin.write("refresh\n")
                p.stdin.flush()
                p.stdout.readline()
        start = time.perf_counter()
        for p in procs:
            assert p.stdin is not None
            p.stdin.write("go\n")
            p.stdin.flush()
        cpu = 0.0
        for p in procs:
            out, _ = p.communicate(timeout=600)
            if p.returncode != 0 or "errors=0" not in out:
                raise SystemExit(f"an actuator process failed: {out.strip()} (exit {p.returncode})")
            cpu += float(out.rsplit("cpu=", 1)[1])
        elapsed = time.perf_counter() - start
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    check(url, total)
    return total / elapsed, cpu / total


class Stores:
    """Fresh empty stores of one kind, one per run."""

    def __init__(self, kind: str, durable: bool) -> None:
        self.kind = kind
        self.server: Any = None
        self.tmp = tempfile.TemporaryDirectory()
        self.n = 0
        if kind == "postgresql":
            from pytest_mimo.postgres import PostgresServer

            self.server = PostgresServer(durable=durable).start()

    def describe(self) -> str:
        if self.server is None:
            return f"sqlite {__import__('sqlite3').sqlite_version} (file, WAL)"
        import psycopg

        with psycopg.connect(self.server.url(), autocommit=True) as conn:
            row = conn.execute("SHOW server_version").fetchone()
            fsync = conn.execute("SHOW fsync").fetchone()
        return f"postgresql {row[0] if row else '?'} on 127.0.0.1:{self.server.port} (fsync={fsync[0] if fsync else '?'})"

    def new(self) -> str:
        self.n += 1
        if self.server is None:
            return str(Path(self.tmp.name) / f"bench{self.n}.db")
        return str(self.server.create_database(f"bench_{self.n}"))

    def drop(self, url: str) -> None:
        if self.server is not None:
            self.server.drop_database(url)
        else:
            for suffix in ("", "-wal", "-shm"):
                Path(url + suffix).unlink(missing_ok=True)

    def close(self) -> None:
        if self.server is not None:
            self.server.stop()
        self.tmp.cleanup()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--clusters", type=int, default=64)
    ap.add_argument("--per", type=int, default=25)
    ap.add_argument("--stores", default="sqlite,postgresql")
    ap.add_argument("--durable", action="store_true", help="PostgreSQL with fsync on")
    ap.add_argument("--no-renew", action="store_true", help="no lease-renewal thread per task")
    ap.add_argument("--child", metavar="URL", help=argparse.SUPPRESS)
    ap.add_argument("--workers", type=int, default=4, help=argparse.SUPPRESS)
    args = ap.parse_args()
    renew = not args.no_renew
    if args.child:
        child(args.child, args.workers, renew)
        return

    total = args.clusters * args.per
    print(f"machine: {' '.join(platform.uname())}")
    print(f"cores: {os.cpu_count()}  python: {sys.version.split()[0]}  load average: "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())} (other processes share the cores)")
    print(f"workload: {args.clusters} clusters x {args.per} manifests = {total} per run, no-op task, "
          f"lease renewal {'on' if renew else 'off'}, {args.runs} rounds, each running every configuration once (medians)")
    for kind in args.stores.split(","):
        stores = Stores(kind, args.durable)
        try:
            print(f"store: {stores.describe()}")
            med: dict[tuple[int, int], float] = {}
            rates: dict[tuple[int, int], list[float]] = {c: [] for c in CONFIGS}
            cpus: dict[tuple[int, int], list[float]] = {c: [] for c in CONFIGS}
            server: dict[tuple[int, int], list[float]] = {c: [] for c in CONFIGS}
            for _ in range(args.runs):  # the configurations alternate within a round: each sees the same load
                for processes, workers in CONFIGS:
                    url = stores.new()
                    populate(url, args.clusters, args.per)
                    before = server_cpu(stores.server)
                    rate, cpu = one_run(url, processes, workers, total, renew)
                    server[(processes, workers)].append((server_cpu(stores.server) - before) / total)
                    rates[(processes, workers)].append(rate)
                    cpus[(processes, workers)].append(cpu)
                    stores.drop(url)
            for processes, workers in CONFIGS:
                c = (processes, workers)
                med[c] = statistics.median(rates[c])
                where = f", server {statistics.median(server[c]) * 1000:.2f}" if stores.server is not None else ""
                print(f"  {processes} process(es) x {workers} worker(s): median {med[c]:7.0f} "
                      f"manifests/s  (runs: {', '.join(f'{r:.0f}' for r in rates[c])}; CPU ms per manifest: "
                      f"actuators {statistics.median(cpus[c]) * 1000:.2f}{where})")
            paired = [b / a for a, b in zip(rates[(1, 4)], rates[(2, 4)], strict=True)]
            print(f"  2x4 / 1x4 per round (same load): {', '.join(f'{r:.2f}' for r in paired)}; "
                  f"median {statistics.median(paired):.2f}; load average now "
                  f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        finally:
            stores.close()
        best = max(med.values())
        ratio = med[(2, 4)] / med[(1, 4)]
        print(f"  ratio 1x4 / 1x1: {med[(1, 4)] / med[(1, 1)]:.2f}   ratio 2x4 / 1x4: {ratio:.2f}")
        if kind == "postgresql":
            print(f"  target >= 300 manifests/s: {'meets' if best >= 300 else 'MISSES'} (best {best:.0f}/s); "
                  f"target 2 processes >= 1.6x one: {'meets' if ratio >= 1.6 else 'MISSES'} ({ratio:.2f}x)")


if __name__ == "__main__":
    main()
