"""Issue #15 item 1 (exhaustive exploration), measured: the exhaustive gate over every built-in task.

    python bench/explore.py [--workers 2] [--rounds 1] [--xdist-replays 200] [--no-xdist]

1. **exhaustive gate**: the built-in tasks' replay scenarios (``tests/mimo/tasks/test_scenarios*.py``)
   under ``--mimo-gate --mimo-explore=exhaustive -n WORKERS``: wall time of the whole session
   (collection with its probe runs included), the number of fault sites, how many were tried and
   how many failed, per task from the JSON report. Target: <= 10 minutes with ``-n 2`` on a
   2-core machine.
2. **xdist on random replays** (unless ``--no-xdist``): ``--xdist-replays`` replays of the TLS
   rotation scenario with ``-n 2`` against ``-n 0``, alternating which runs first; target >= 1.6x.

Every measurement is a fresh ``pytest`` child process of this tree; the machine (cores, load average
before and after, other processes share the cores) is printed with the figures. Medians over
``--rounds``.

Last measured (2026-12-04, main at d34ddd9, ``--no-xdist``, load average 1.2 at start, 2.6 at the end:
this benchmark was the only job): 2,420 fault sites over the 13 built-in tasks, 2,420 tried, 0 failed,
exit 0; **309.7 s wall** with ``-n 2`` (target <= 600 s: met), 598.4 s CPU. The largest: operator update
1,071 sites, migrate LB zones 379, Fix SSH 322, operator version reset 257, TLS rotation 150.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "tests/mimo/tasks").glob("test_scenarios*.py"))
GATE_TARGET = 600.0
XDIST_TARGET = 1.6
TLS_SCENARIO = "tests/mimo/tasks/test_scenarios.py::test_tls_cert_rotation"


def machine() -> str:
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (f"{platform.node()} {platform.system()} {platform.release()} {platform.machine()}, "
            f"{os.cpu_count()} cores, Python {platform.python_version()}; load average {load}")


#: CPU seconds (user + system) the last pytest child and its xdist workers used
LAST_CPU = [0.0]


def pytest(args: list[str]) -> tuple[float, int, str]:
    """Run pytest in a child process: (wall seconds, exit code, last lines of its output); the CPU
    seconds it and its workers used go to ``LAST_CPU`` (a figure the other processes on the machine
    do not inflate: on two idle cores the wall of ``-n 2`` approaches half of it)."""
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    LAST_CPU[0] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-40:])
    return wall, done.returncode, tail


def gate(workers: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "gate.json"
        wall, code, tail = pytest([*SCENARIOS, "--mimo-gate", "--mimo-explore=exhaustive", "-n", str(workers),
                                   f"--mimo-report={report}"])
        data = json.loads(report.read_text()) if report.exists() else {"tasks": []}
    rows = []
    for t in data["tasks"]:
        failed = sum(1 for s in t["sites"] if s["outcome"] == "failed")
        rows.append((t["name"] or t["task"], t["sites_existing"], t["sites_tried"], failed, t["replays"]))
    return {"wall": wall, "cpu": LAST_CPU[0], "code": code, "tail": tail, "rows": rows}


def xdist_pair(replays: int, first_parallel: bool) -> tuple[float, float]:
    args = [TLS_SCENARIO, f"--mimo-replays={replays - 1}"]
    order = [("-n", "2"), ("-p", "no:xdist")] if first_parallel else [("-p", "no:xdist"), ("-n", "2")]
    out: dict[str, float] = {}
    for flag in order:
        wall, code, tail = pytest([*args, *flag])
        if code != 0:
            raise SystemExit(f"pytest {' '.join(flag)} failed ({code}):\n{tail}")
        out[flag[0]] = wall
    return out["-n"], out["-p"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--xdist-replays", type=int, default=200)
    ap.add_argument("--no-xdist", action="store_true")
    args = ap.parse_args()
    print(f"machine: {machine()} (other processes share the cores)")
    print(f"scenarios: {', '.join(SCENARIOS)}")

    walls = []
    last: dict[str, Any] = {}
    for r in range(args.rounds):
        last = gate(args.workers)
        walls.append(last["wall"])
        print(f"round {r + 1}: exhaustive gate -n {args.workers}: {last['wall']:.1f}s wall, {last['cpu']:.1f}s CPU "
              f"(exit {last['code']})")
    rows = last["rows"]
    print(f"{'task':34} {'sites':>6} {'tried':>6} {'failed':>6} {'items':>6}")
    for name, existing, tried, failed, items in rows:
        print(f"{name[:34]:34} {existing:>6} {tried:>6} {failed:>6} {items:>6}")
    total = sum(r[1] for r in rows)
    tried = sum(r[2] for r in rows)
    failed = sum(r[3] for r in rows)
    med = statistics.median(walls)
    print(f"EXHAUSTIVE GATE: {total} fault sites, {tried} tried, {failed} failed; -n {args.workers}: "
          f"median {med:.1f}s over {len(walls)} run(s) (target <= {GATE_TARGET:.0f}s: "
          f"{'met' if med <= GATE_TARGET else 'NOT met'}); CPU {last['cpu']:.1f}s, i.e. about "
          f"{last['cpu'] / args.workers:.0f}s of wall on {args.workers} idle cores; exit code {last['code']}")
    if last["code"] != 0:
        print(last["tail"])

    if not args.no_xdist:
        ratios = []
        for r in range(args.rounds):
            par, ser = xdist_pair(args.xdist_replays, first_parallel=r % 2 == 0)
            ratios.append(ser / par)
            print(f"round {r + 1}: {args.xdist_replays} random replays: -n 0 {ser:.1f}s, -n 2 {par:.1f}s, "
                  f"ratio {ser / par:.2f}x")
        ratio = statistics.median(ratios)
        print(f"XDIST: -n 2 is {ratio:.2f}x -n 0 on {args.xdist_replays} random replays (target >= {XDIST_TARGET}x: "
              f"{'met' if ratio >= XDIST_TARGET else 'NOT met'})")
    print(f"machine after: {machine()}")


if __name__ == "__main__":
    main()
