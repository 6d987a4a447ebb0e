"""The actuator service: every cluster with runnable work, several at a time.

Up to ``workers`` clusters are processed at once (threads), one pass — so one
manifest at a time — per cluster. When no cluster has work, the service waits
``poll_interval`` seconds (or until stopped). ``run(once=True)`` makes a
single round: one pass for each cluster that has runnable work now, then
returns.

Several hosts share a fleet by buckets, as the Go actuator does (:mod:`mimo.store.pool`):
each host refreshes its pool-worker heartbeat every ``bucket_refresh_interval`` seconds (10 s;
the heartbeat and the master lease live ``pool_ttl``, 60 s), and serves only the clusters of
the buckets the pool's master gave it. A single host owns all 256 buckets after its first
refresh. A refresh that fails leaves the host serving no bucket until one succeeds (Go's
``onBucketChange([]int{})``).

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
from mimo.store.pool import (
    ACTUATOR_POOL,
    POOL_REFRESH_INTERVAL,
    POOL_TTL,
    bucket_of,
    capped_interval,
)

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
        pool_ttl: int = POOL_TTL,
        bucket_refresh_interval: float = POOL_REFRESH_INTERVAL,
        share_by_bucket: bool = True,
        **actuator_kwargs: Any,
    ) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        if poll_interval <= 0:
            raise ValueError("poll_interval must be positive")
        if pool_ttl < 1:
            raise ValueError("pool_ttl must be at least 1 second")
        if bucket_refresh_interval <= 0:
            raise ValueError("bucket_refresh_interval must be positive")
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
        self.bucket_refresh_interval, self.pool_ttl, capped = capped_interval(bucket_refresh_interval, int(pool_ttl))
        for message in capped:
            self.log.error("%s", message)
        #: the buckets this host serves (None until the first refresh)
        self.buckets: frozenset[int] | None = None
        self.is_master = False
        #: the service clock's time (Unix seconds) of the last refresh that succeeded
        self.last_bucket_update: float | None = None
        self._next_refresh = float("-inf")
        #: False: serve every cluster, join no pool (``mimo actuator --once``)
        self.share_by_bucket = share_by_bucket
        self._bucket_lock = threading.Lock()

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

    # -- buckets -----------------------------------------------------------------------------
    def refresh_buckets(self) -> frozenset[int]:
        """One turn of Go's ``bucketRefreshLoop``: heartbeat, try or renew the master lease (and,
        as master, re-balance), then take this host's buckets; returns them."""
        with self._bucket_lock:
            now = self.clock.now().timestamp()
            self._next_refresh = now + self.bucket_refresh_interval
            was_master = self.is_master
            try:
                got = self.store.pool_refresh(ACTUATOR_POOL, self.owner, int(now), ttl=self.pool_ttl)
            except Exception as e:
                self.log.error("error registering ourselves as a %s poolWorker: %s", ACTUATOR_POOL, e)
                self.is_master = False
                buckets: frozenset[int] = frozenset()
            else:
                self.is_master = got.master
                if got.master and not was_master:
                    self.log.info("became the %s master", ACTUATOR_POOL)
                if was_master and not got.master:
                    self.log.error("lost lease on master document, continuing as a worker")
                if got.buckets is None:
                    self.log.error("error reading bucket allocation from master: not initialized")
                    buckets = frozenset()
                else:
                    buckets = got.buckets
                    self.last_bucket_update = now
            if buckets != self.buckets:
                self.log.info("servicing %d buckets", len(buckets))
            self.buckets = buckets
            return buckets

    def buckets_fresh(self) -> bool:
        """Whether a refresh succeeded within the pool TTL (Go's ``checkReady``: the last bucket
        update younger than ``bucketRefreshReadinessInterval``, which is the TTL)."""
        last = self.last_bucket_update
        return last is not None and self.clock.now().timestamp() - last < self.pool_ttl

    def _refresh_if_due(self) -> None:
        if self.share_by_bucket and self.clock.now().timestamp() >= self._next_refresh:
            self.refresh_buckets()

    def _mine(self, clusters: list[str]) -> list[str]:
        """The clusters of this host's buckets (all of them when not sharing by bucket)."""
        if not self.share_by_bucket:
            return clusters
        owned = self.buckets or frozenset()
        return [rid for rid in clusters if bucket_of(rid) in owned]

    def _bucket_loop(self) -> None:
        while not self._stopping.wait(self.bucket_refresh_interval):
            self.refresh_buckets()

    # -- running -----------------------------------------------------------------------------
    def _now(self) -> int:
        return int(self.clock.now().timestamp())

    def _clusters_with_work(self) -> list[str]:
        return self._rotated(self._mine(self.store.clusters_with_runnable_work(self._now())))

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
        """One pass for every cluster of this host's buckets with runnable work now (the buckets
        refreshed first when a refresh is due); returns how many clusters had work."""
        self._refresh_if_due()
        clusters = self._clusters_with_work()
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
        # as Go: the first bucket allocation before the first poll, then a refresh loop of its own
        refresher = threading.Thread(target=self._bucket_loop, name="mimo-actuator-buckets", daemon=True)
        if self.share_by_bucket:
            self.refresh_buckets()
            refresher.start()
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
                        ready = [r for r in self._clusters_with_work() if r not in inflight and r not in resting]
                    except Exception as e:
                        self.errors += 1
                        # Go pollRunnableTasks (pkg/mimo/actuator/service.go)
                        self.log.error("error getting runnable tasks, continuing: %s", e)
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
        if refresher.is_alive():
            refresher.join()
        self.log.info("actuator %s: stopped", self.owner)
