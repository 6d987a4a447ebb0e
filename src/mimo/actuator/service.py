"""The actuator service: every cluster with runnable work, several at a time.

Up to ``workers`` clusters are processed at once (threads), one pass — so one
manifest at a time — per cluster. When no cluster has work, the service waits
``poll_interval`` seconds (or until stopped). ``run(once=True)`` makes a
single round: one pass for each cluster that has runnable work now, then
returns.

Stopping (:meth:`ActuatorService.stop`, or SIGTERM/SIGINT once
:meth:`install_signal_handlers` ran): no new manifest is leased; tasks
already running finish and their outcome is written (which ends their
lease); then :meth:`run` returns. A process killed harder than that loses
nothing either: its leases expire and another pass recovers them.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
import zlib
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from types import FrameType
from typing import TYPE_CHECKING, Any

from mimo.actuator.actuator import Actuator
from mimo.clock import Clock, SystemClock
from mimo.store.base import Store

if TYPE_CHECKING:
    from mimo.tasks.registry import MaintenanceTask

__all__ = ["ActuatorService"]


class ActuatorService:
    def __init__(
        self,
        store: Store,
        tasks: Mapping[str, MaintenanceTask],
        *,
        workers: int = 4,
        poll_interval: float = 90.0,
        clock: Clock | None = None,
        logger: logging.Logger | None = None,
        **actuator_kwargs: Any,
    ) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        if poll_interval <= 0:
            raise ValueError("poll_interval must be positive")
        self.store = store
        self.workers = workers
        self.poll_interval = float(poll_interval)
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.log = logger or logging.getLogger("mimo.actuator")
        self._stopping = threading.Event()
        self.actuator = Actuator(
            store, tasks, clock=self.clock, logger=self.log, stopping=self._stopping, **actuator_kwargs
        )
        self.passes = 0
        self.errors = 0

    @property
    def owner(self) -> str:
        return self.actuator.owner

    # -- stopping -----------------------------------------------------------------------------
    def stop(self) -> None:
        """Lease nothing new; let running tasks finish; make :meth:`run` return."""
        self._stopping.set()

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def install_signal_handlers(self) -> Callable[[], None]:
        """SIGTERM and SIGINT stop the service cleanly (main thread only).

        Returns a function that puts the previous handlers back.
        """

        def handler(signum: int, frame: FrameType | None) -> None:
            self.log.warning("signal %d: stopping after the running tasks", signum)
            self.stop()

        old = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}

        def restore() -> None:
            for sig, h in old.items():
                signal.signal(sig, h)

        return restore

    # -- running -----------------------------------------------------------------------------
    def _now(self) -> int:
        return int(self.clock.now().timestamp())

    def _one_pass(self, rid: str) -> bool:
        if self._stopping.is_set():
            return False
        try:
            return self.actuator.process(rid)
        except Exception as e:
            self.errors += 1
            self.log.error("cluster %s: pass failed: %s", rid, e, exc_info=True)
            return False
        finally:
            self.passes += 1

    def _rotated(self, clusters: list[str]) -> list[str]:
        """``clusters`` from a place fixed by this host's owner name (ours): hosts sharing a store
        start their rounds on different clusters instead of all racing for the same leases."""
        if len(clusters) < 2:
            return clusters
        k = zlib.crc32(self.owner.encode()) % len(clusters)
        return clusters[k:] + clusters[:k]

    def run_once(self) -> int:
        """One pass for every cluster with runnable work now; returns how many clusters had work."""
        clusters = self._rotated(self.store.clusters_with_runnable_work(self._now()))
        if not clusters:
            return 0
        with ThreadPoolExecutor(max_workers=min(self.workers, len(clusters)), thread_name_prefix="mimo-actuator") as pool:
            return sum(1 for ok in pool.map(self._one_pass, clusters) if ok)

    def run(self, *, once: bool = False) -> None:
        """Loop until stopped (or a single round with ``once``)."""
        if once:
            self.run_once()
            return
        self.log.info("actuator %s: %d workers, polling every %gs", self.owner, self.workers, self.poll_interval)
        inflight: dict[str, Future[bool]] = {}
        # a cluster is passed again only poll_interval after its last pass ended, as the
        # reference's per-cluster poller does: a transient failure is retried at the next poll
        resting: dict[str, float] = {}
        with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="mimo-actuator") as pool:
            while not self._stopping.is_set():
                mono = time.monotonic()
                for rid in [r for r, f in inflight.items() if f.done()]:
                    del inflight[rid]
                    resting[rid] = mono + self.poll_interval
                for rid in [r for r, until in resting.items() if until <= mono]:
                    del resting[rid]
                free = self.workers - len(inflight)
                started = 0
                if free > 0:
                    try:
                        ready = [
                            r
                            for r in self._rotated(self.store.clusters_with_runnable_work(self._now()))
                            if r not in inflight and r not in resting
                        ]
                    except Exception as e:
                        self.errors += 1
                        self.log.error("listing clusters with work failed: %s", e)
                        ready = []
                    for rid in ready[:free]:
                        inflight[rid] = pool.submit(self._one_pass, rid)
                        started += 1
                if started:
                    continue
                timeout = self.poll_interval
                if resting:
                    timeout = min(timeout, max(0.0, min(resting.values()) - mono))
                if inflight:
                    wait(list(inflight.values()), timeout=timeout, return_when=FIRST_COMPLETED)
                else:
                    self._stopping.wait(timeout)
            wait(list(inflight.values()))
        self.log.info("actuator %s: stopped", self.owner)
