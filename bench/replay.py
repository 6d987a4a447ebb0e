"""Replay speed: one full replay, virtual-to-wall ratio, and xdist scaling.

    python bench/replay.py [--runs 30] [--xdist-replays 200]

1. wall time of one full replay (baseline + faulted + idempotence run) of a
   representative three-step Kubernetes + Key Vault task (median over runs);
2. virtual-to-wall ratio of a task whose condition waits 20 minutes;
3. 200 replays under ``-n 2`` against ``-n 0`` (wall time of each pytest run).

Targets (issue #6): replay < 150 ms median, ratio > 10,000, ``-n 2`` at least
1.6x faster than ``-n 0``.
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

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "tests" / "pytest_mimo"))

import planted_tasks as p  # noqa: E402

from mimo import condition, run_steps  # noqa: E402
from pytest_mimo import defaults  # noqa: E402
from pytest_mimo.clock import SimClock  # noqa: E402
from pytest_mimo.fakes.azure import FakeAzure  # noqa: E402
from pytest_mimo.fakes.kube import FakeKube  # noqa: E402
from pytest_mimo.replay import Replayer, pick_site  # noqa: E402
from pytest_mimo.world import MimoWorld  # noqa: E402


def machine() -> str:
    return (
        f"{platform.node()} {platform.system()} {platform.release()} {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}"
    )


def replay_times(runs: int) -> list[float]:
    out = []
    with SimClock() as clock, FakeKube() as kube, FakeAzure(
        subscription_id=defaults.SUBSCRIPTION_ID, tenant_id=defaults.TENANT_ID
    ) as azure:
        world = MimoWorld(clock, kube=kube, azure=azure)
        p.seed_world(world)
        snap = world.snapshot()
        for i in range(runs + 3):
            world.restore(snap)
            t0 = time.perf_counter()
            outcome = Replayer(world, seed=1000 + i, site_picker=lambda pairs, i=i: pick_site(pairs, 7, i + 1)).replay(
                p.three_step_task
            )
            dt = time.perf_counter() - t0
            assert outcome.ok, outcome.report()
            if i >= 3:  # warm-up: discovery, token, first connections
                out.append(dt)
    return out


def twenty_minute_ratio(runs: int) -> list[float]:
    ratios = []
    with SimClock() as clock, FakeKube() as kube:
        world = MimoWorld(clock, kube=kube)
        kube.add(
            {"apiVersion": "config.openshift.io/v1", "kind": "ClusterOperator", "metadata": {"name": "kube-apiserver"}}
        )
        for _ in range(runs):
            tc = world.context()
            start = tc.now()

            def twenty_minutes_passed(tc, start=start):
                tc.client_helper().get_one(*p.CO)
                return (tc.now() - start).total_seconds() >= 1200

            wall = time.perf_counter()
            run_steps(tc, [condition(twenty_minutes_passed, timeout=1500)])
            wall = time.perf_counter() - wall
            virtual = (tc.now() - start).total_seconds()
            ratios.append(virtual / wall)
    return ratios


XDIST_TEST = '''
import planted_tasks as p

def test_three_steps(mimo_world, mimo_replay):
    p.seed_world(mimo_world)
    mimo_replay(p.three_step_task)
'''


def xdist(replays: int) -> tuple[float, float]:
    """Wall time of one pytest run of ``replays`` replays with ``-n 0``, then with ``-n 2``."""
    with tempfile.TemporaryDirectory() as d:
        Path(d, "planted_tasks.py").write_text((ROOT / "tests" / "pytest_mimo" / "planted_tasks.py").read_text())
        Path(d, "test_bench.py").write_text(XDIST_TEST)
        times = []
        for n in ("0", "2"):
            args = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--mimo-replays={replays - 1}", "-n", n, d]
            t0 = time.perf_counter()
            r = subprocess.run(args, cwd=d, capture_output=True, text=True)
            times.append(time.perf_counter() - t0)
            if r.returncode != 0:
                raise SystemExit(f"pytest -n {n} failed:\n{r.stdout[-3000:]}")
        return times[0], times[1]


def main() -> None:
    logging.disable(logging.CRITICAL)  # the runtime logs every failed attempt; not what is measured
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--xdist-replays", type=int, default=200)
    ap.add_argument("--xdist-rounds", type=int, default=3)
    args = ap.parse_args()
    print(f"machine: {machine()}")
    t = replay_times(args.runs)
    print(f"full replay (baseline + faulted + idempotence), 3-step kube+keyvault task: median {statistics.median(t) * 1000:.1f} ms, "
          f"p90 {sorted(t)[int(len(t) * 0.9) - 1] * 1000:.1f} ms over {len(t)} replays (target < 150 ms)")
    r = twenty_minute_ratio(7)
    print(f"20-minute condition (10 s polls, a kube GET each): virtual/wall median {statistics.median(r):,.0f}x "
          f"over {len(r)} runs (target > 10,000x)")
    if args.xdist_replays:
        ratios = []
        for _ in range(args.xdist_rounds):  # alternating pairs: the machine is shared and noisy
            serial, parallel = xdist(args.xdist_replays)
            ratios.append(serial / parallel)
            print(f"  {args.xdist_replays} replays: -n 0 {serial:.1f} s, -n 2 {parallel:.1f} s, ratio {serial / parallel:.2f}")
        print(f"{args.xdist_replays} replays, -n 2 vs -n 0: median speed-up {statistics.median(ratios):.2f}x "
              f"over {len(ratios)} paired rounds (target >= 1.6x)")


if __name__ == "__main__":
    main()
