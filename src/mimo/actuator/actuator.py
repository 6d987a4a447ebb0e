"""The actuator: one pass over one cluster's runnable manifests.

:meth:`Actuator.process` follows the reference system's eight rules, in order:

1. read the cluster's ``Pending`` manifests whose ``runAfter`` has passed and
   whose lease is free, sorted by ``runAfter`` then ``priority``;
2. one whose ``runBefore`` has passed becomes ``TimedOut`` with status text
   ``timed out at <time>`` (``<time>`` = the pass's clock reading in RFC 3339
   UTC, ``2026-01-05T00:00:00Z``) and is not run; a failed write there is
   logged and the others go on;
3. nothing left: return ``False``; otherwise read the subscription document
   (missing or unreadable: :class:`SubscriptionFetchError`, ``failed fetching
   subscription document: …``, raised and nothing leased, as Go returns
   ``errFailedFetchingSubscriptionDocument``);
4. for each manifest: re-read the cluster document, lease the manifest
   (owner, expiry, ``dequeues += 1``, ``InProgress``); a failed lease is logged
   and the manifest skipped;
5. unknown task ID: ``Failed``, ``task ID not registered``; that is not work
   done (Go's ``doneSomeWork`` stays false);
6. run the task with a 60-minute deadline and a fresh TaskContext;
7. no error → ``Completed``; error with ``dequeues >= max_dequeues`` →
   ``RetriesExceeded``, ``did not succeed after <n> times, failing -- <error>``;
   retryable error → ``Pending``; other error → ``Failed``; the status text is
   the context's result message unless a rule sets it;
8. the lease (owner, expiry) is cleared in the same write as the state.

:meth:`Actuator.process` returns ``True`` only when a task was run. Log lines
are Go's (``pkg/mimo/actuator/manager.go``, ``Process``): ``Processing N
manifests``, then per manifest ``begin processing manifest``, ``executing
manifest``, ``manifest executed successfully`` / ``task returned a retryable
error: …`` / ``task returned a terminal error: …``, ``manifest processing
complete``, with Go's logrus fields as record attributes (``manifestID``,
``taskID``, and ``EnrichWithResourceID``'s ``resource_id``,
``subscription_id``, ``resource_group``, ``resource_name``).

Ours on top: at the start of a pass, ``InProgress`` manifests of the cluster
whose lease expired go back to ``Pending`` (keeping ``dequeues``), or, when
that attempt was already the ``max_dequeues``-th, become ``RetriesExceeded``
(``did not succeed after 5 times, failing -- lease expired while InProgress
(…)``), so five crashes end the manifest as five errors would; while a task
runs, a thread renews its lease every ``lease_seconds / 3`` of real time
(``renew_leases=False`` turns that off for virtual-time runs).

Fencing (ours): a lease is its owner and its generation (the ``dequeues`` the
lease returned); the final write names both, so an actuator that was paused
past its lease (a long GC, a frozen VM, SIGSTOP) and resumed after another
took the manifest over writes nothing. It also stops early: the context's
``check_lease()`` (before every step, after every ``sleep``) raises
:class:`~mimo.errors.LeaseLost` once the store no longer confirms the lease,
and the attempt ends there, without a final write.

Only ``Exception`` is caught around a task. Any other ``BaseException``
(``KeyboardInterrupt``, ``SystemExit``, a simulated crash) propagates out of
:meth:`process` and leaves the manifest ``InProgress`` and leased, exactly as
if the process had died; its lease then expires and a later pass recovers it.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from mimo.actuator.context import ContextFactory, ContextRequest, production_context
from mimo.actuator.lease import LeaseRenewer, lease_expiry
from mimo.api import (
    MaintenanceManifest,
    ManifestState,
    OpenShiftClusterDocument,
    SubscriptionDocument,
)
from mimo.clock import Clock, SystemClock
from mimo.context import TASK_TIMEOUT
from mimo.environment import Environment
from mimo.errors import LeaseLost, is_retryable
from mimo.logfields import resource_fields, with_fields
from mimo.store.base import Store
from mimo.store.rules import norm_id

if TYPE_CHECKING:
    from mimo.tasks.registry import MaintenanceTask

__all__ = [
    "Actuator",
    "SubscriptionFetchError",
    "MAX_DEQUEUES",
    "LEASE_SECONDS",
    "UNKNOWN_TASK_TEXT",
    "LEASE_EXPIRED_TEXT",
    "format_time",
    "default_owner",
]

MAX_DEQUEUES = 5
LEASE_SECONDS = 60.0
UNKNOWN_TASK_TEXT = "task ID not registered"
#: why a manifest whose actuator died is retried (or, after the last attempt, given up)
LEASE_EXPIRED_TEXT = "lease expired while InProgress (the actuator running it stopped)"


class SubscriptionFetchError(Exception):
    """The cluster's subscription document could not be read (Go's ``errFailedFetchingSubscriptionDocument``)."""

    def __init__(self, cause: Exception) -> None:
        super().__init__(f"failed fetching subscription document: {cause}")
        self.__cause__ = cause


def go_time(t: datetime) -> str:
    """Go's ``time.Time.String()`` of the instant in UTC: ``1970-01-01 00:02:00 +0000 UTC``."""
    u = t.astimezone(timezone.utc)
    frac = f".{u.microsecond:06d}".rstrip("0") if u.microsecond else ""
    return u.strftime("%Y-%m-%d %H:%M:%S") + frac + " +0000 UTC"


def format_time(t: datetime) -> str:
    """RFC 3339 in UTC with whole seconds: ``2026-01-05T00:00:00Z``."""
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def default_owner() -> str:
    """``<host>:<pid>:<random>``: unique per Actuator, readable in ``manifests show``."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Actuator:
    """Runs the manifests of one cluster at a time against a store and a task map."""

    def __init__(
        self,
        store: Store,
        tasks: Mapping[str, MaintenanceTask],
        *,
        clock: Clock | None = None,
        owner: str | None = None,
        lease_seconds: float = LEASE_SECONDS,
        task_timeout: timedelta = TASK_TIMEOUT,
        max_dequeues: int = MAX_DEQUEUES,
        context_factory: ContextFactory | None = None,
        renew_leases: bool = True,
        renew_interval: float | None = None,
        environment: Environment | None = None,
        logger: logging.Logger | None = None,
        stopping: threading.Event | None = None,
    ) -> None:
        if lease_seconds <= 0:
            raise ValueError("lease_seconds must be positive")
        if max_dequeues < 1:
            raise ValueError("max_dequeues must be at least 1")
        self.store = store
        self.tasks = tasks
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.owner = owner or default_owner()
        self.lease_seconds = float(lease_seconds)
        self.task_timeout = task_timeout
        self.max_dequeues = max_dequeues
        self.context_factory: ContextFactory = context_factory or production_context
        self.renew_leases = renew_leases
        self.renew_interval = renew_interval
        self.environment = environment if environment is not None else Environment()
        self.log = logger or logging.getLogger("mimo.actuator")
        #: once set, a pass leases nothing more (the manifest running finishes normally)
        self.stopping = stopping if stopping is not None else threading.Event()

    def __repr__(self) -> str:
        return f"Actuator(owner={self.owner!r}, store={self.store!r}, tasks={len(self.tasks)})"

    # -- the pass -----------------------------------------------------------------------------
    def process(self, cluster_resource_id: str) -> bool:
        """One pass over one cluster; ``True`` when a task was run."""
        rid = norm_id(cluster_resource_id)
        log = with_fields(self.log, {"cluster": rid, **resource_fields(rid)})
        now = self.clock.now()
        now_s = int(now.timestamp())

        # ours: a dead actuator's expired leases go back to Pending, dequeues kept
        exhausted = f"did not succeed after {self.max_dequeues} times, failing -- {LEASE_EXPIRED_TEXT}"
        for mid in self.store.recover_expired_leases(
            now_s, rid, max_dequeues=self.max_dequeues, exhausted_text=exhausted
        ):
            log.warning("manifest %s: %s; recovered", mid, LEASE_EXPIRED_TEXT)

        # rule 1: runnable manifests, sorted by runAfter then priority (the store sorts)
        try:
            runnable = self.store.runnable_manifests(rid, now_s)
        except Exception as e:
            log.error("failed getting manifests: %s", e)  # Go Process (pkg/mimo/actuator/manager.go)
            raise

        # rule 2: past runBefore -> TimedOut, not run
        to_run: list[MaintenanceManifest] = []
        for m in runnable:
            if now.timestamp() > m.run_before:
                mlog = self._manifest_log(log, m)
                mlog.info("marking as outdated: %d older than %s", m.run_before, go_time(now))
                text = f"timed out at {format_time(now)}"
                try:
                    if not self.store.set_state(m.id, ManifestState.TIMED_OUT, text):
                        mlog.warning("manifest %s: not marked TimedOut, its state changed meanwhile", m.id)
                except Exception as e:
                    mlog.error(
                        "failed to patch manifest with state TimedOut; will still attempt to process other "
                        "manifests: %s", e,
                    )
                continue
            to_run.append(m)

        # rule 3
        if not to_run:
            return False
        log.info("Processing %d manifests", len(to_run))
        try:
            subscription = self._subscription(rid)
        except Exception as e:
            err = SubscriptionFetchError(e)
            log.error("%s", err)
            raise err from e

        # rule 4..8
        did_work = False
        for i, m in enumerate(to_run):
            if self.stopping.is_set():
                log.info("stopping: %d runnable manifest(s) left Pending", len(to_run) - i)
                break
            mlog = self._manifest_log(log, m)
            mlog.info("begin processing manifest")
            try:
                cluster = self.store.get_cluster(rid)
            except Exception as e:
                mlog.error("failed fetching cluster document: %s", e)
                raise
            try:
                leased = self.store.lease_manifest(
                    m.id, self.owner, lease_expiry(self.clock, self.lease_seconds), int(self.clock.now().timestamp())
                )
            except Exception as e:
                mlog.error("%s", e)
                continue
            if leased is None:
                mlog.error("manifest %s: lease failed: taken or changed by another actuator", m.id)
                continue
            did_work = self._run_leased(leased, cluster, subscription, mlog) or did_work
        return did_work

    def _manifest_log(
        self, log: logging.LoggerAdapter[logging.Logger], m: MaintenanceManifest
    ) -> logging.LoggerAdapter[logging.Logger]:
        # Go's taskLog: the actuator's log WithFields manifestID, taskID (ours beside them)
        return with_fields(log, {
            "manifestID": m.id, "taskID": m.maintenance_task_id,
            "manifest_id": m.id, "task_id": m.maintenance_task_id,
        })

    def _subscription(self, rid: str) -> SubscriptionDocument:
        return self.store.get_subscription(rid.split("/")[2])

    def _finish(
        self, m: MaintenanceManifest, state: str, text: str, log: logging.LoggerAdapter[logging.Logger],
        *, early: bool = False,
    ) -> None:
        try:
            # fenced: only this lease (owner and generation) may write the outcome
            ok = self.store.finish_manifest(m.id, self.owner, state, text, generation=m.dequeues)
        except Exception as e:
            # Go's words; the lease then expires and the manifest is retried
            log.error("failed ending lease %son manifest: %s", "early " if early else "", e)
            return
        if not ok:
            log.error("manifest %s: lease lost before writing %s; another actuator owns it now", m.id, state)

    def _run_leased(
        self,
        m: MaintenanceManifest,
        cluster: OpenShiftClusterDocument,
        subscription: SubscriptionDocument,
        log: logging.LoggerAdapter[logging.Logger],
    ) -> bool:
        """Rules 5 to 8 for one leased manifest; ``True`` when its task was run."""
        # rule 5
        task = self.tasks.get(m.maintenance_task_id)
        if task is None:
            log.error("task %s not found", m.maintenance_task_id)
            self._finish(m, ManifestState.FAILED, UNKNOWN_TASK_TEXT, log, early=True)
            return False

        # rule 6
        deadline = self.clock.now() + self.task_timeout
        renewer: LeaseRenewer | None = None
        if self.renew_leases:
            renewer = LeaseRenewer(
                self.store, m.id, self.owner, clock=self.clock, lease_seconds=self.lease_seconds,
                interval=self.renew_interval, generation=m.dequeues, expires=m.lease_expires, logger=log,
            )
        error: Exception | None = None
        tc = None
        try:
            tc = self.context_factory(
                ContextRequest(
                    manifest=m,
                    cluster=cluster,
                    subscription=subscription,
                    deadline=deadline,
                    store=self.store,
                    clock=self.clock,
                    access=self.store.get_cluster_access(m.cluster_resource_id),
                    environment=self.environment,
                    logger=logging.getLogger("mimo.task"),
                    lease=renewer,
                )
            )
            if renewer is not None:
                renewer.start()
            log.info("executing manifest")
            task(tc, m, cluster)
        except LeaseLost as e:
            # ours: the manifest belongs to whoever holds the lease now; write nothing
            log.error("manifest %s: attempt %d stopped, nothing written: %s", m.id, m.dequeues, e)
            return True
        except Exception as e:  # only Exception: a BaseException leaves the lease in place
            error = e
        finally:
            if renewer is not None:
                renewer.stop()

        # rule 7
        message = str(getattr(tc, "result_message", "") or "")
        if error is None:
            state, text = ManifestState.COMPLETED, message
            log.info("manifest executed successfully")
        elif m.dequeues >= self.max_dequeues:
            text = f"did not succeed after {m.dequeues} times, failing -- {error}"
            state = ManifestState.RETRIES_EXCEEDED
            log.error("%s", text)
        elif is_retryable(error):
            state, text = ManifestState.PENDING, message
            log.error("task returned a retryable error: %s", error)
        else:
            state, text = ManifestState.FAILED, message
            log.error("task returned a terminal error: %s", error)
        # rule 8: the lease ends in the same write as the state
        self._finish(m, state, text, log)
        log.info("manifest processing complete")
        return True
