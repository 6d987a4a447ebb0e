"""One host of a test fleet, run as its own process by test_paused_actuator.py.

    python fleet_worker.py actuator STORE JOURNAL [--workers N] [--lease S] [--hold N] [--offset S]
    python fleet_worker.py scheduler STORE JOURNAL [--offset S]

The actuator runs the production ActuatorService (leases, renewal thread, fencing) with one
task of three steps; every step start and end and every final write is appended to JOURNAL
(one ``os.write`` of one line on an ``O_APPEND`` file, so the file's order is the order the
hosts did things in) and echoed on stdout for the test to wait on. ``--hold N``: the first N
attempts this process starts wait inside step 1 until the test writes a line to stdin.
``--offset S`` shifts the clock of every host alike (all hosts agree on the time), so a test
can place "now" just before a calendar period instead of waiting for a real one.
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import signal
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from typing import Any

from mimo.actuator import ActuatorService
from mimo.runner import action, run_steps
from mimo.scheduler import Scheduler
from mimo.store import open_store

TASK = "00000000-0000-4000-8000-0000000000f1"


class OffsetClock:
    def __init__(self, offset: float) -> None:
        self.offset = timedelta(seconds=offset)

    def now(self) -> datetime:
        return datetime.now(timezone.utc) + self.offset

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class Journal:
    def __init__(self, path: str) -> None:
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self.pid = os.getpid()
        self.lock = threading.Lock()

    def write(self, *fields: object) -> None:
        line = " ".join(str(f) for f in (self.pid, *fields)) + "\n"
        with self.lock:
            os.write(self.fd, line.encode())
            sys.stdout.write(line)
            sys.stdout.flush()


class JournaledStore:
    """Passes everything through; writes each final write and its answer to the journal."""

    def __init__(self, inner: Any, journal: Journal) -> None:
        self._inner = inner
        self._journal = journal

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def finish_manifest(self, manifest_id: str, owner: str, state: str, text: str, **kw: Any) -> bool:
        ok = self._inner.finish_manifest(manifest_id, owner, state, text, **kw)
        self._journal.write("FINAL", manifest_id, kw.get("generation"), state, ok)
        return bool(ok)


class LostLines(logging.Handler):
    def __init__(self, journal: Journal) -> None:
        super().__init__(logging.ERROR)
        self.journal = journal

    def emit(self, record: logging.LogRecord) -> None:
        msg = record.getMessage()
        if "stopped, nothing written" in msg:
            self.journal.write("LOST", msg.split()[1].rstrip(":"), msg.split()[3])


def actuator(args: argparse.Namespace, journal: Journal) -> None:
    holds = {"left": args.hold}
    hold_lock = threading.Lock()
    go = threading.Event()

    def read_stdin() -> None:
        for _line in sys.stdin:
            go.set()

    threading.Thread(target=read_stdin, daemon=True).start()

    def task(tc: Any, manifest: Any, cluster: Any) -> None:
        def step(i: int) -> Any:
            def run(tc: Any) -> None:
                journal.write("START", manifest.id, manifest.dequeues, i)
                if i == 1:
                    with hold_lock:
                        hold = holds["left"] > 0
                        holds["left"] -= 1
                    if hold:
                        journal.write("HOLD", manifest.id, manifest.dequeues, i)
                        go.wait()
                journal.write("END", manifest.id, manifest.dequeues, i)

            return action(run, name=f"step{i}")

        run_steps(tc, [step(0), step(1), step(2)])

    store = JournaledStore(open_store(args.store), journal)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    logging.getLogger("mimo.actuator").addHandler(LostLines(journal))
    service = ActuatorService(
        store, {TASK: task}, workers=args.workers, poll_interval=0.05, clock=OffsetClock(args.offset),
        lease_seconds=args.lease,
        # the pool's heartbeat and master lease as short as the test's manifest leases, so that a
        # paused host's buckets move to the others within seconds (production: 60 s)
        pool_ttl=max(2, math.ceil(2 * args.lease)),
        bucket_refresh_interval=0.5,
    )
    service.install_signal_handlers()
    journal.write("READY", service.owner, 0, 0)
    service.run()
    store.close()


def scheduler(args: argparse.Namespace, journal: Journal) -> None:
    store = open_store(args.store)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    sched = Scheduler(store, clock=OffsetClock(args.offset))
    journal.write("READY", "scheduler", 0, 0)
    while not stop.is_set():
        journal.write("PASS", "start", 0, 0)
        r = sched.process()
        journal.write("PASS", "end", len(r.created), len(r.cancelled))
        stop.wait(0.2)
    store.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("role", choices=["actuator", "scheduler"])
    ap.add_argument("store")
    ap.add_argument("journal")
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--lease", type=float, default=2.0)
    ap.add_argument("--hold", type=int, default=0)
    ap.add_argument("--offset", type=float, default=0.0)
    args = ap.parse_args()
    journal = Journal(args.journal)
    (actuator if args.role == "actuator" else scheduler)(args, journal)


if __name__ == "__main__":
    main()
