"""Manifests per second through the SQLite file store with a no-op task, 1 and 4 workers.

Each run: a fresh store file with CLUSTERS clusters × PER manifests, then one
``ActuatorService.run_once()`` (the production actuator: leases, the production
TaskContext, lease-renewal thread per task, conditional finish write) until all
are ``Completed``. Reports the median of RUNS runs per configuration and the
4-worker/1-worker ratio measured in the same session. Target: >= 300/s with 4 workers.

    python bench/actuator_throughput.py [--runs 5] [--clusters 16] [--per 100]
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

from mimo.actuator import ActuatorService
from mimo.api import MaintenanceManifest, OpenShiftClusterDocument, SubscriptionDocument
from mimo.store import SqliteStore

SUB = "11111111-1111-1111-1111-111111111111"
NOOP = "00000000-0000-4000-8000-00000000b001"


def noop(tc: object, manifest: object, cluster: object) -> None:
    return None


def one_run(workers: int, clusters: int, per: int, renew: bool) -> float:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "bench.db"
        store = SqliteStore(path)
        store.put_subscription(SubscriptionDocument(id=SUB))
        now = int(time.time())
        for i in range(clusters):
            rid = f"/subscriptions/{SUB}/resourcegroups/rg/providers/microsoft.redhatopenshift/openshiftclusters/c{i}"
            store.put_cluster(OpenShiftClusterDocument(id=f"22222222-2222-2222-2222-{i:012d}", resource_id=rid))
            for k in range(per):
                store.create_manifest(MaintenanceManifest.new(rid, NOOP, now=now, run_after=now - k))
        service = ActuatorService(store, {NOOP: noop}, workers=workers, renew_leases=renew)
        start = time.perf_counter()
        service.run_once()
        elapsed = time.perf_counter() - start
        done = len(store.list_manifests(states=["Completed"]))
        store.close()
    total = clusters * per
    if done != total:
        raise SystemExit(f"only {done} of {total} manifests completed")
    return total / elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--clusters", type=int, default=16)
    ap.add_argument("--per", type=int, default=100)
    args = ap.parse_args()
    logging.disable(logging.WARNING)  # the INFO lines per manifest are not what we measure

    print(f"machine: {' '.join(platform.uname())}")
    print(f"cores: {os.cpu_count()}  python: {sys.version.split()[0]}  sqlite: {__import__('sqlite3').sqlite_version}")
    print(f"workload: {args.clusters} clusters x {args.per} manifests = {args.clusters * args.per} per run, "
          f"{args.runs} runs per configuration (medians)")
    results: dict[tuple[int, bool], float] = {}
    for renew in (True, False):
        for workers in (1, 4):
            rates = [one_run(workers, args.clusters, args.per, renew) for _ in range(args.runs)]
            med = statistics.median(rates)
            results[(workers, renew)] = med
            print(f"workers={workers} lease-renewal={'on ' if renew else 'off'}  median {med:8.0f} manifests/s  "
                  f"(runs: {', '.join(f'{r:.0f}' for r in rates)})")
    for renew in (True, False):
        ratio = results[(4, renew)] / results[(1, renew)]
        print(f"ratio 4 workers / 1 worker (lease-renewal {'on' if renew else 'off'}): {ratio:.2f}")
    verdict = "meets" if results[(4, True)] >= 300 else "MISSES"
    print(f"target >= 300 manifests/s with 4 workers (production settings): {verdict} ({results[(4, True)]:.0f}/s)")


if __name__ == "__main__":
    main()
