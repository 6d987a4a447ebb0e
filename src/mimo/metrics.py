"""MIMO's metrics, Prometheus style (``prometheus-client``), named after the Go MIMO's.

The Go MIMO emits statsd gauges; here they are Prometheus metrics on the
host's ``/metrics``. :data:`GO_NAMES` maps each to the Go name it stands for
(``None``: ours, no Go counterpart):

============================================================  ==============================================
Prometheus                                                      Go (where it is emitted)
============================================================  ==============================================
``mimo_actuator_workers_active``                                ``mimo.actuator.workers.active.count`` (actuator/service.go)
``mimo_actuator_heartbeat{version}``                            ``actuator.heartbeat`` (util/heartbeat, 1 while ready)
``mimo_scheduler_heartbeat{version}``                           ``scheduler.heartbeat``
``mimo_scheduler_workers_active``                               ``mimo.scheduler.workers.active.count``
``mimo_scheduler_manifests_created_total``                      ``mimo.scheduler.manifests.created`` (scheduler/manager.go)
``mimo_scheduler_manifests_cancelled_total``                    ``mimo.scheduler.manifests.cancelled``
``mimo_database_maintenancemanifests_queue_length``             ``database.maintenancemanifests.queue.length`` (database/metrics.go)
``mimo_database_maintenancemanifests{state}``                   ours: manifests by state
``mimo_actuator_task_duration_seconds{task_id,outcome}``        ours: each attempt's duration and outcome
``mimo_scheduler_pass_duration_seconds``                        ours: one scheduler pass
============================================================  ==============================================

Differences, on purpose: Go's per-pass gauges of created/cancelled manifests
are counters here (``rate()`` gives the same), without Go's per-cluster
dimensions (10,000 clusters would be 10,000 series); the heartbeat is a
gauge read at scrape time (1 ready, 0 not) where Go sends 1 every minute
while ready; ``workers.active`` counts the manifests this host is running
(a worker runs one at a time). ``changefeed.caches.size`` has no
counterpart: our loops read the store directly and keep no cluster cache.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

__all__ = ["Metrics", "GO_NAMES", "CONTENT_TYPE", "TASK_BUCKETS", "OUTCOME_LEASE_LOST"]

CONTENT_TYPE = CONTENT_TYPE_LATEST
#: seconds: tasks take from a fraction of a second to their 60-minute deadline
TASK_BUCKETS = (0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0)
#: the outcome of an attempt whose lease was gone: its final write or a renewal was refused
OUTCOME_LEASE_LOST = "LeaseLost"

GO_NAMES: dict[str, str | None] = {
    "mimo_actuator_workers_active": "mimo.actuator.workers.active.count",
    "mimo_actuator_heartbeat": "actuator.heartbeat",
    "mimo_scheduler_heartbeat": "scheduler.heartbeat",
    "mimo_scheduler_workers_active": "mimo.scheduler.workers.active.count",
    "mimo_scheduler_manifests_created_total": "mimo.scheduler.manifests.created",
    "mimo_scheduler_manifests_cancelled_total": "mimo.scheduler.manifests.cancelled",
    "mimo_database_maintenancemanifests_queue_length": "database.maintenancemanifests.queue.length",
    "mimo_database_maintenancemanifests": None,
    "mimo_actuator_task_duration_seconds": None,
    "mimo_scheduler_pass_duration_seconds": None,
}


def _version() -> str:
    try:
        return version("pymimo")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "unknown"


class Metrics:
    """The metrics of one host, in their own registry (so several hosts or tests never mix)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        self.version = _version()
        self.workers_active = Gauge(
            "mimo_actuator_workers_active", "Manifests this actuator host is running now.", registry=r
        )
        self.actuator_heartbeat = Gauge(
            "mimo_actuator_heartbeat", "1 while the actuator loop is ready, else 0.", ["version"], registry=r
        )
        self.scheduler_heartbeat = Gauge(
            "mimo_scheduler_heartbeat", "1 while the scheduler loop is ready, else 0.", ["version"], registry=r
        )
        self.scheduler_workers_active = Gauge(
            "mimo_scheduler_workers_active", "Scheduler passes running now.", registry=r
        )
        self.manifests_created = Counter(
            "mimo_scheduler_manifests_created", "Manifests the scheduler created.", registry=r
        )
        self.manifests_cancelled = Counter(
            "mimo_scheduler_manifests_cancelled", "Manifests the scheduler cancelled.", registry=r
        )
        self.queue_length = Gauge(
            "mimo_database_maintenancemanifests_queue_length",
            "Pending manifests whose runAfter has passed and whose lease is free.", registry=r,
        )
        self.manifests_by_state = Gauge(
            "mimo_database_maintenancemanifests", "Manifests in the store, by state.", ["state"], registry=r
        )
        self.task_duration = Histogram(
            "mimo_actuator_task_duration_seconds",
            "Duration of each task attempt (lease to final write), by task ID and outcome.",
            ["task_id", "outcome"], buckets=TASK_BUCKETS, registry=r,
        )
        self.scheduler_pass_duration = Histogram(
            "mimo_scheduler_pass_duration_seconds", "Duration of one scheduler pass.", registry=r
        )
        self._running: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    # -- heartbeats -------------------------------------------------------------------------------
    def heartbeat(self, component: str, ready: Callable[[], bool]) -> None:
        """``component`` (``actuator`` / ``scheduler``) reports 1 at scrape time while ``ready()``."""
        gauge = {"actuator": self.actuator_heartbeat, "scheduler": self.scheduler_heartbeat}[component]
        gauge.labels(version=self.version).set_function(lambda: 1.0 if ready() else 0.0)

    # -- actuator ---------------------------------------------------------------------------------
    def attempt_started(self, manifest_id: str, task_id: str, *, now: float | None = None) -> None:
        with self._lock:
            self._running[manifest_id] = (task_id, time.monotonic() if now is None else now)
            self.workers_active.set(len(self._running))

    def attempt_ended(self, manifest_id: str, outcome: str, *, now: float | None = None) -> None:
        with self._lock:
            started = self._running.pop(manifest_id, None)
            self.workers_active.set(len(self._running))
        if started is None:
            return
        task_id, t0 = started
        end = time.monotonic() if now is None else now
        self.task_duration.labels(task_id=task_id, outcome=outcome).observe(max(0.0, end - t0))

    # -- scheduler --------------------------------------------------------------------------------
    def scheduler_pass(self, seconds: float, created: int, cancelled: int) -> None:
        self.scheduler_pass_duration.observe(max(0.0, seconds))
        if created:
            self.manifests_created.inc(created)
        if cancelled:
            self.manifests_cancelled.inc(cancelled)

    # -- the store --------------------------------------------------------------------------------
    def observe_store(self, store: Any, now: int) -> None:
        """Queue length (Go's ``MaintenanceManifestQueueLengthQuery``) and manifests by state."""
        pending = store.list_manifests(states=["Pending"])
        self.queue_length.set(sum(1 for m in pending if m.run_after < now and m.lease_expires < now))
        counts: dict[str, int] = store.count_manifests()
        from mimo.api import MANIFEST_STATES

        for state in MANIFEST_STATES:
            self.manifests_by_state.labels(state=state).set(counts.get(state, 0))

    def render(self) -> bytes:
        return generate_latest(self.registry)
