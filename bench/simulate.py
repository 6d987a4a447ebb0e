"""Benchmark (issue #8): wall time and peak memory of a big scheduler pass and of a fleet simulation.

(a) one scheduler pass creating the manifests of 10,000 clusters with one
    weekly schedule (``Mon *-*-* 00:00``, across 24h, lookForwardCount 4) on
    SqliteStore (the production default, a temporary file) and MemoryStore;
    target: the pass under 10 s.
(b) ``simulations/weekly-tls-rotation.toml`` (four weeks of weekly TLS
    rotation) with the fleet raised to 1,000 clusters over 20 subscriptions,
    as one actuator host in one process and as two hosts (``shards = 2``:
    each owns every other cluster, one process per core); target: under
    60 s wall. The ratio between the two is measured in the same session.
Both: peak RSS under 2 GB.

Every measurement runs in a fresh child process (this file with the hidden
``--child a|b``) that reports its figures and its own peak RSS
(``getrusage(RUSAGE_SELF).ru_maxrss``) as one JSON line; the parent prints
the machine, each run, then medians over ``--runs`` runs and whether each
target is met. The exit code is 0 even when a target is missed.

    python bench/simulate.py [--runs N] [--clusters-a 10000] [--clusters-b 1000] [--shards-b 1,2]
                             [--only a|b] [--seed N]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

UTC = timezone.utc
ROOT = Path(__file__).resolve().parent.parent
SCENARIO_B = ROOT / "simulations" / "weekly-tls-rotation.toml"
#: the TLS certificate rotation task (the schedule's task in (a), as in the scenario of (b))
TASK = "9b741734-6505-447f-8510-85eb0ae561a2"
SCHEDULE_ID = "aaaaaaaa-0000-4000-8000-000000000001"
#: a Tuesday morning: the previous Monday's 24h window is closed, so the pass creates the next 4 Mondays only
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
LOOK_FORWARD = 4
TARGET_A_SECONDS = 10.0
TARGET_B_SECONDS = 60.0
TARGET_RSS_BYTES = 2 * 1024**3
RESULT_PREFIX = "BENCH-RESULT "


def machine() -> str:
    u = platform.uname()
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (f"{u.system} {u.release} {u.machine}; cores={os.cpu_count()}; python {sys.version.split()[0]}; "
            f"load average at start {load}")


def peak_rss_bytes() -> int:
    """This process's peak resident set size (``ru_maxrss`` is KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak) if sys.platform == "darwin" else int(peak) * 1024


def cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


# -- children ---------------------------------------------------------------------------------------


class FixedClock:
    def __init__(self, t: datetime) -> None:
        self.t = t

    def now(self) -> datetime:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.t += timedelta(seconds=seconds)


def populate(store: Any, n: int, rng: random.Random) -> None:
    """``n`` clusters over ``n // 50`` Registered subscriptions, all Succeeded, and the weekly schedule."""
    from scheduler_pass import put_clusters  # bench/ is this script's directory: on sys.path

    from mimo.api import MaintenanceSchedule, Selector

    put_clusters(store, n, rng, ["Registered"])
    # every cluster is Succeeded: the selector matches the whole fleet
    store.put_schedule(MaintenanceSchedule(
        id=SCHEDULE_ID, maintenance_task_id=TASK, schedule="Mon *-*-* 00:00", schedule_across="24h",
        look_forward_count=LOOK_FORWARD,
        selectors=[Selector(key="provisioningState", operator="eq", value="Succeeded")],
    ))


def child_a(store_kind: str, clusters: int, seed: int) -> dict[str, Any]:
    from mimo.api import ManifestState
    from mimo.scheduler import Scheduler
    from mimo.store import MemoryStore, SqliteStore

    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="mimo-bench-") as d:
        store: Any = MemoryStore() if store_kind == "memory" else SqliteStore(os.path.join(d, "mimo.db"))
        t0 = time.perf_counter()
        populate(store, clusters, rng)
        load = time.perf_counter() - t0
        rss_loaded = peak_rss_bytes()
        cpu0 = cpu_seconds()
        t0 = time.perf_counter()
        result = Scheduler(store, clock=FixedClock(NOW)).process()
        wall = time.perf_counter() - t0
        cpu = cpu_seconds() - cpu0
        rss = peak_rss_bytes()
        if not result.ok:
            raise SystemExit(f"the pass reported errors: {result.errors[:3]}")
        want = clusters * LOOK_FORWARD
        if len(result.created) != want or result.cancelled:
            raise SystemExit(f"the pass created {len(result.created)} manifests and cancelled "
                             f"{len(result.cancelled)}; expected {want} created, none cancelled")
        stored = len(store.list_manifests(schedule_id=SCHEDULE_ID, states=(ManifestState.PENDING,)))
        if stored != want:
            raise SystemExit(f"the store holds {stored} Pending manifests of the schedule, expected {want}")
        db_bytes = os.path.getsize(os.path.join(d, "mimo.db")) if store_kind == "sqlite" else 0
        store.close()
    return {"store": store_kind, "clusters": clusters, "load_seconds": load, "pass_seconds": wall,
            "pass_cpu_seconds": cpu, "created": len(result.created), "peak_rss_loaded": rss_loaded,
            "peak_rss": rss, "db_bytes": db_bytes}


def raise_nofile() -> tuple[int, int]:
    """Raise the soft open-file limit to the hard one (each fake Kubernetes server holds sockets)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and (hard == resource.RLIM_INFINITY or soft < hard):
        target = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
        with contextlib.suppress(ValueError, OSError):  # left as it is when the system refuses
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)


def scenario_b(clusters: int, subscriptions: int) -> Any:
    from pytest_mimo.simulation import load_scenario

    base = load_scenario(SCENARIO_B)
    subs = min(subscriptions, clusters)
    fleet = replace(base.fleet, clusters=clusters, subscriptions=subs)
    return replace(base, fleet=fleet)


def child_b(clusters: int, subscriptions: int, shards: int) -> dict[str, Any]:
    from pytest_mimo.simulation import simulate

    nofile = raise_nofile()
    sc = scenario_b(clusters, subscriptions)
    cpu0 = cpu_seconds()
    t0 = time.perf_counter()
    report = simulate(sc, shards=shards)
    wall = time.perf_counter() - t0
    cpu = cpu_seconds() - cpu0 + children_cpu_seconds()
    data = report.data
    virtual = sc.run.duration.total_seconds()
    return {
        "clusters": sc.fleet.clusters, "subscriptions": sc.fleet.subscriptions, "days": sc.run.duration.days,
        "seed": report.seed, "ok": report.ok, "failed": [e.describe() for e in report.failed],
        "wall_seconds": wall, "engine_wall_seconds": report.wall.get("seconds", wall), "cpu_seconds": cpu,
        "virtual_per_wall": virtual / wall, "manifests": data["manifests"]["total"],
        "manifests_counted": data["manifests"].get("counted"), "attempts": data["attempts"]["total"],
        "peak_rss": peak_rss_bytes(), "nofile": list(nofile), "shards": shards,
        # the shards run at the same time: this process plus each of them at its largest is an upper bound
        "peak_rss_shard": children_peak_rss_bytes(),
        "peak_rss_total": peak_rss_bytes() + (shards * children_peak_rss_bytes() if shards > 1 else 0),
    }


def children_cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def children_peak_rss_bytes() -> int:
    """The largest finished child's peak RSS (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024


# -- the parent -------------------------------------------------------------------------------------


def run_child(args: list[str], timeout: float) -> dict[str, Any]:
    cmd = [sys.executable, str(Path(__file__).resolve()), *args]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=str(ROOT))
    lines = [ln for ln in p.stdout.splitlines() if ln.startswith(RESULT_PREFIX)]
    if p.returncode != 0 or not lines:
        tail = "\n".join((p.stderr or p.stdout).strip().splitlines()[-15:])
        raise SystemExit(f"child {' '.join(args)} failed (exit {p.returncode}):\n{tail}")
    out: dict[str, Any] = json.loads(lines[-1][len(RESULT_PREFIX):])
    return out


def mib(n: float) -> str:
    return f"{n / 1024**2:,.0f} MiB"


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def runs_text(values: list[float], fmt: str = "{:.2f}") -> str:
    return ", ".join(fmt.format(v) for v in values)


def bench_a(clusters: int, runs: int, seed: int) -> list[str]:
    print(f"(a) one scheduler pass: {clusters:,} clusters, 1 weekly schedule (Mon 00:00, across 24h, "
          f"lookForwardCount {LOOK_FORWARD}), now {NOW:%Y-%m-%d %H:%M}Z; expected {clusters * LOOK_FORWARD:,} "
          f"manifests created; fresh child process per run; {runs} run(s) (medians)", flush=True)
    verdicts = []
    for kind in ("sqlite", "memory"):
        rs = []
        for i in range(runs):
            r = run_child(["--child", "a", "--store", kind, "--clusters-a", str(clusters), "--seed", str(seed + i)],
                          timeout=1800)
            rs.append(r)
            print(f"    run {i + 1}: {kind:6s} load {r['load_seconds']:6.2f} s | pass {r['pass_seconds']:6.2f} s "
                  f"(cpu {r['pass_cpu_seconds']:.2f} s), {r['created']:,} created | "
                  f"peak RSS {mib(r['peak_rss'])} (after load {mib(r['peak_rss_loaded'])})", flush=True)
        passes = [r["pass_seconds"] for r in rs]
        wall = statistics.median(passes)
        load = statistics.median(r["load_seconds"] for r in rs)
        cpu = statistics.median(r["pass_cpu_seconds"] for r in rs)
        rss = statistics.median(r["peak_rss"] for r in rs)
        rss_max = max(r["peak_rss"] for r in rs)
        extra = f", database file {mib(rs[-1]['db_bytes'])}" if kind == "sqlite" else ""
        print(f"  {kind:6s} pass {wall:6.2f} s median (runs {runs_text(passes)}), cpu {cpu:.2f} s, "
              f"{clusters * LOOK_FORWARD / wall:,.0f} manifests/s | fleet load {load:.2f} s (not in the target) | "
              f"peak RSS {mib(rss)} median, {mib(rss_max)} max{extra}")
        ok_t, ok_m = wall < TARGET_A_SECONDS, rss_max < TARGET_RSS_BYTES
        line_t = f"(a) {kind} pass {wall:.2f} s < {TARGET_A_SECONDS:.0f} s: {verdict(ok_t)}"
        line_m = f"(a) {kind} peak RSS {mib(rss_max)} < 2 GiB: {verdict(ok_m)}"
        print(f"  target {line_t}; {line_m}", flush=True)
        verdicts += [line_t, line_m]
    return verdicts


def bench_b(clusters: int, subscriptions: int, runs: int, shard_counts: list[int]) -> list[str]:
    sc = scenario_b(clusters, subscriptions)
    print(f"(b) simulation {SCENARIO_B.relative_to(ROOT)} (seed {sc.seed}) with {sc.fleet.clusters:,} clusters "
          f"over {sc.fleet.subscriptions} subscriptions, {sc.run.duration.days} days, {sc.run.workers} workers "
          f"per host, store {sc.run.store}; shards {shard_counts} (hosts, one process each); the shard counts "
          f"alternate within each round; fresh child process per run; {runs} round(s) (medians)", flush=True)
    results: dict[int, list[dict[str, Any]]] = {k: [] for k in shard_counts}
    for i in range(runs):
        for k in shard_counts:
            r = run_child(["--child", "b", "--clusters-b", str(clusters), "--subscriptions-b", str(subscriptions),
                           "--shards-b", str(k)], timeout=3600)
            results[k].append(r)
            print(f"    round {i + 1}, {k} shard(s): wall {r['wall_seconds']:6.2f} s "
                  f"(cpu {r['cpu_seconds']:.2f} s) | ok {r['ok']} | {r['manifests']:,} manifests, "
                  f"{r['attempts']:,} attempts | {r['virtual_per_wall']:,.0f} virtual s/wall s | "
                  f"peak RSS {mib(r['peak_rss_total'])} | open files limit {r['nofile'][0]}", flush=True)
            for f in r["failed"]:
                print(f"      expectation failed: {f}")
    verdicts = []
    medians = {}
    virtual = sc.run.duration.total_seconds()
    for k, rs in results.items():
        walls = [r["wall_seconds"] for r in rs]
        wall = medians[k] = statistics.median(walls)
        cpu = statistics.median(r["cpu_seconds"] for r in rs)
        rss_max = max(r["peak_rss_total"] for r in rs)
        last = rs[-1]
        print(f"  {k} shard(s): wall {wall:6.2f} s median (runs {runs_text(walls)}), cpu {cpu:.2f} s | "
              f"{virtual / wall:,.0f} virtual s/wall s, {sc.fleet.clusters * virtual / (7 * 86400) / wall:,.1f} "
              f"cluster-weeks/wall s | ok {all(r['ok'] for r in rs)} | {last['manifests']:,} manifests, "
              f"{last['attempts']:,} attempts | peak RSS {mib(rss_max)} max")
        ok_t, ok_m = wall < TARGET_B_SECONDS, rss_max < TARGET_RSS_BYTES
        line_t = f"(b) simulation, {k} shard(s): {wall:.2f} s < {TARGET_B_SECONDS:.0f} s: {verdict(ok_t)}"
        line_m = f"(b) {k} shard(s) peak RSS {mib(rss_max)} < 2 GiB: {verdict(ok_m)}"
        print(f"  target {line_t}; {line_m}", flush=True)
        verdicts += [line_t, line_m]
    if 1 in medians:
        for k in medians:
            if k != 1:
                print(f"  {k} shards vs 1: {medians[1] / medians[k]:.2f}x faster (medians of the same session)")
    return verdicts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=None, help="runs per measurement (default: 3 for (a), 2 for (b))")
    ap.add_argument("--clusters-a", type=int, default=10_000)
    ap.add_argument("--clusters-b", type=int, default=1_000)
    ap.add_argument("--subscriptions-b", type=int, default=20)
    ap.add_argument("--shards-b", default="1,2", help="shard counts to run (b) with, comma-separated")
    ap.add_argument("--only", choices=("a", "b"))
    ap.add_argument("--seed", type=int, default=20261127, help="seed of the fleet of (a)")
    ap.add_argument("--child", choices=("a", "b"), help=argparse.SUPPRESS)
    ap.add_argument("--store", choices=("sqlite", "memory"), default="sqlite", help=argparse.SUPPRESS)
    a = ap.parse_args()
    for name in ("clusters_a", "clusters_b", "subscriptions_b"):
        if getattr(a, name) < 1:
            ap.error(f"--{name.replace('_', '-')}: must be at least 1, got {getattr(a, name)}")
    try:
        shard_counts = [int(x) for x in a.shards_b.split(",")]
    except ValueError:
        ap.error(f"--shards-b: comma-separated whole numbers, got {a.shards_b!r}")
    if any(k < 1 for k in shard_counts):
        ap.error(f"--shards-b: every count must be at least 1, got {a.shards_b!r}")
    if a.runs is not None and a.runs < 1:
        ap.error(f"--runs: must be at least 1, got {a.runs}")

    if a.child == "a":
        print(RESULT_PREFIX + json.dumps(child_a(a.store, a.clusters_a, a.seed)), flush=True)
        return
    if a.child == "b":
        print(RESULT_PREFIX + json.dumps(child_b(a.clusters_b, a.subscriptions_b, shard_counts[0])), flush=True)
        return

    print(f"machine: {machine()}")
    print(f"seed (fleet of (a)): {a.seed}")
    verdicts: list[str] = []
    if a.only in (None, "a"):
        verdicts += bench_a(a.clusters_a, a.runs or 3, a.seed)
    if a.only in (None, "b"):
        verdicts += bench_b(a.clusters_b, a.subscriptions_b, a.runs or 2, shard_counts)
    print("targets:")
    for v in verdicts:
        print(f"  {v}")


if __name__ == "__main__":
    main()
