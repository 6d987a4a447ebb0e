"""The scheduler: one pass turns every enabled schedule into ``Pending`` manifests.

For each ``Enabled`` schedule (runtime.md, "The scheduler"):

* **Clusters.** Those whose ``provisioningState`` is ``Creating`` or
  ``Deleting``, or ``Failed`` with ``failedProvisioningState`` ``Creating`` or
  ``Deleting``, are left out, as Go's cluster cache drops them
  (``pkg/mimo/scheduler/clustercache.go``, ``OnDoc``).
* **Periods.** The next ``lookForwardCount`` period starts strictly after
  ``now`` rounded to the second (Go's ``Next``: ``now.Round(time.Second) +
  1s`` onwards, ``pkg/mimo/scheduler/calendar.go``), plus the starts not after
  that whose spreading window ``[start, start + scheduleAcross)`` still holds
  ``now``.
  When windows do not overlap (``scheduleAcross`` no longer than the gap
  between starts) that is at most one: "the previous one". When they do
  overlap, every in-window start is kept, so no manifest still waiting inside
  its window is cancelled.
* **Create.** For each cluster matching the selectors, a ``Pending`` manifest
  for every *future* period (start after ``now``) that has none yet, with
  ``createdBySchedule`` = schedule ID, ``runAfter`` = start + the cluster's
  spread offset and ``runBefore`` = ``runAfter`` + ``run_window`` (1 hour by
  default, as the reference system does). Never for a period whose start is
  in the past, the in-window previous one included: a schedule written in the
  middle of a window begins at its next period.
* **Cancel.** This schedule's ``Pending`` manifests for the cluster with
  ``runAfter`` after ``now`` whose ``runAfter`` is no longer ``start + offset``
  for any period above (the calendar, ``lookForwardCount`` or
  ``scheduleAcross`` was edited), or whose task is no longer the schedule's
  task **(ours)**, become ``Cancelled`` with :data:`CANCELLED_BY_SCHEDULER`.
  Each cluster's cancellations and creations are written in one transaction,
  :data:`BATCH_CLUSTERS` clusters to a transaction
  (:meth:`~mimo.store.base.Store.cancel_and_create_many`: a round trip per
  batch, not per cluster), so a pass cut anywhere leaves each cluster either
  done or untouched; when a manifest to cancel changed meanwhile, that cluster
  is written one manifest at a time instead, cancelling first, so a cut leaves
  a gap the next pass fills, never a duplicate. A batch whose write fails is
  written again one cluster at a time, so one cluster's error never costs the
  others their pass.

Log lines are Go's (``pkg/mimo/scheduler/manager.go``, ``Process``), with
Go's logrus fields as record attributes (``resource_id``, ``subscription_id``,
``resource_group``, ``resource_name`` on a cluster's lines): ``processing
schedule <id> (task ID=<task>)``, ``next valid scheduled times: …``,
``created new manifest id=<id> for <start> window (<runAfter>)``,
``cancelled unneeded manifest id=<id> (<runAfter>)`` and, for every matching
cluster, ``created=<n>, found valid=<n>, cancelled=<n>`` (a batched cluster's
lines come when its batch is written).

"Has none yet" counts a manifest of this schedule and cluster with that
``runAfter`` in any state except those this scheduler cancelled itself: an
operator's cancellation sticks, and a period cancelled by an edit comes back
if the edit is undone. Manifest IDs are deterministic (UUIDv5 of schedule,
cluster, ``runAfter`` and a generation), so a pass that is interrupted and
re-run, or two schedulers racing on one store, meet the store's
``StoreAlreadyExists`` instead of writing a duplicate; the same store and
clock always give the same manifest IDs.

Clusters whose selectors cannot be evaluated (an unknown key, a selector that
breaks the rules, no subscription document) are skipped with a logged error;
an error while writing one cluster's manifests is logged and the pass goes on
with the next cluster. Clusters that stop matching keep their manifests, as
in the spec and the reference system; ``mimo manifests cancel --schedule``
removes them.
"""

from __future__ import annotations

import logging
import math
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from mimo.api import (
    MaintenanceManifest,
    MaintenanceSchedule,
    ManifestState,
    OpenShiftClusterDocument,
)
from mimo.clock import Clock, SystemClock
from mimo.durations import format_duration, parse_duration
from mimo.environment import Environment
from mimo.logfields import resource_fields, with_fields
from mimo.scheduler.calendar import Calendar
from mimo.scheduler.selectors import (
    SelectorError,
    UnknownSelectorKey,
    cluster_selector_values,
    matches,
)
from mimo.scheduler.selectors import validate as validate_selectors
from mimo.scheduler.spread import spread_offset
from mimo.store.base import Store, StoreAlreadyExists, StoreNotFound

__all__ = [
    "BATCH_CLUSTERS",
    "CANCELLED_BY_SCHEDULER",
    "DEFAULT_RUN_WINDOW",
    "MANIFEST_ID_NAMESPACE",
    "PassResult",
    "Periods",
    "Scheduler",
    "manifest_id_for",
    "periods",
    "schedulable",
]

#: status text of a manifest the scheduler cancels (the reference system's words)
CANCELLED_BY_SCHEDULER = "Cancelled by Scheduler as did not match current schedule settings"
#: ``runBefore - runAfter`` of a scheduled manifest (the reference system uses one hour)
DEFAULT_RUN_WINDOW = timedelta(hours=1)
#: clusters whose writes go to the store in one transaction (ours; see the module documentation)
BATCH_CLUSTERS = 500
#: namespace of the deterministic manifest IDs
MANIFEST_ID_NAMESPACE = uuid.UUID("5d3c8b9e-4f0a-5b7e-9c1d-6a2f3e4b5c6d")

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_TINY = timedelta(microseconds=1)
#: Go's ``friendlyDateFormat`` ("2006-01-02T15:04Z07:00") for UTC
_FRIENDLY = "%Y-%m-%dT%H:%MZ"
#: clusters in these provisioning states (or Failed in them) are not scheduled (Go's cluster cache)
_UNSCHEDULABLE = ("Creating", "Deleting")


def schedulable(cluster: OpenShiftClusterDocument) -> bool:
    """Whether the scheduler considers ``cluster``: not being created or deleted, nor failed doing so.

    Go's ``openShiftClusterCache.OnDoc`` (``pkg/mimo/scheduler/clustercache.go``) deletes a
    cluster from the cache when ``ProvisioningState`` is ``Creating`` or ``Deleting``, or
    ``Failed`` with ``FailedProvisioningState`` ``Creating`` or ``Deleting``.
    """
    p = cluster.properties
    state = p.provisioning_state
    return not (
        state in _UNSCHEDULABLE or (state == "Failed" and p.failed_provisioning_state in _UNSCHEDULABLE)
    )


def go_round_second(t: datetime) -> datetime:
    """``t.Round(time.Second)`` (halves away from zero, as Go rounds) of an aware instant."""
    whole = t.replace(microsecond=0)
    return whole + timedelta(seconds=1) if t.microsecond >= 500_000 else whole




@dataclass(frozen=True)
class Periods:
    """The period starts one pass works with (see the module documentation)."""

    #: starts not after ``now`` whose spreading window still holds ``now`` (oldest first): kept, never created
    in_window: list[datetime]
    #: the next ``lookForwardCount`` starts strictly after ``now`` (rounded to the second): created
    future: list[datetime]

    @property
    def all(self) -> list[datetime]:
        return self.in_window + self.future


#: at most this many in-window past starts are listed by :func:`periods` (the pass itself has no limit)
MAX_LISTED_IN_WINDOW = 1000


def periods(schedule: MaintenanceSchedule, now: datetime) -> Periods:
    """The periods of ``schedule`` a pass at ``now`` considers; ``ValueError`` on a bad calendar or duration.

    For display (``mimo schedules show``) and tests; the pass checks in-window
    membership per manifest instead of listing, so it has no limit.
    """
    cal = Calendar.parse(schedule.schedule)
    across = parse_duration(schedule.schedule_across)
    now = now.astimezone(timezone.utc)
    last = go_round_second(now)
    future = cal.iter_from(last, schedule.look_forward_count)
    in_window: list[datetime] = []
    if across > timedelta(0):
        cur = cal.next(now - across)  # starts s with now - across < s, i.e. now < s + across
        while cur is not None and cur <= last and len(in_window) < MAX_LISTED_IN_WINDOW:
            in_window.append(cur)
            cur = cal.next(cur)
    return Periods(in_window=in_window, future=future)


def manifest_id_for(schedule_id: str, cluster_resource_id: str, run_after: int, generation: int = 0) -> str:
    """The deterministic ID of the scheduled manifest for one period (``generation`` > 0 after a re-creation)."""
    name = f"{schedule_id}/{cluster_resource_id.lower()}/{run_after}"
    if generation:
        name += f"/{generation}"
    return str(uuid.uuid5(MANIFEST_ID_NAMESPACE, name))


@dataclass
class PassResult:
    """What one :meth:`Scheduler.process` did."""

    #: the manifests created, in creation order
    created: list[MaintenanceManifest] = field(default_factory=list)
    #: IDs of the manifests cancelled
    cancelled: list[str] = field(default_factory=list)
    #: one line per problem (a schedule or cluster skipped, a failed write)
    errors: list[str] = field(default_factory=list)
    #: how many enabled schedules were processed
    schedules: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        return (
            f"{self.schedules} schedule(s): created {len(self.created)}, "
            f"cancelled {len(self.cancelled)}, errors {len(self.errors)}"
        )

    def __str__(self) -> str:
        return self.summary()


@dataclass
class _ClusterPlan:
    """What one pass writes for one cluster of one schedule."""

    schedule: MaintenanceSchedule
    rid: str
    off: int
    future_ts: list[int]
    mine: list[MaintenanceManifest]
    #: (manifest, kept period: cancelled because its task changed)
    to_cancel: list[tuple[MaintenanceManifest, bool]]
    to_create: list[MaintenanceManifest]
    #: Go's "found valid": future Pending manifests kept as they are
    kept: int = 0


def _ts(t: datetime) -> int:
    """Unix seconds of an aware instant on a whole second."""
    return (t - _EPOCH) // timedelta(seconds=1)


class Scheduler:
    """Turns schedules into manifests; :meth:`process` runs one pass.

    ``tasks``, when given, is the task registry: a schedule whose task ID is
    not in it is skipped with a logged error (without it every schedule is
    processed, and the actuator fails an unknown task with ``task ID not
    registered``). ``environment`` gives the managed-domain suffix used by the
    ``isManagedDomain`` selector.
    """

    def __init__(
        self,
        store: Store,
        *,
        clock: Clock | None = None,
        environment: Environment | None = None,
        logger: logging.Logger | logging.LoggerAdapter[Any] | None = None,
        tasks: Mapping[str, Any] | None = None,
        run_window: timedelta = DEFAULT_RUN_WINDOW,
        batch_clusters: int = BATCH_CLUSTERS,
    ) -> None:
        if run_window < timedelta(0):
            raise ValueError("run_window: must not be negative")
        if batch_clusters < 1:
            raise ValueError("batch_clusters: must be at least 1")
        self.batch_clusters = batch_clusters
        self.store = store
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.environment = environment if environment is not None else Environment()
        self.log = logger if logger is not None else logging.getLogger("mimo.scheduler")
        self.tasks = tasks
        self.run_window = run_window

    # -- one pass ---------------------------------------------------------------------------

    def process(self) -> PassResult:
        """One pass over every enabled schedule; see the module documentation."""
        result = PassResult()
        now = self.clock.now()
        if now.tzinfo is None:
            raise ValueError("clock: now() must return an aware datetime")
        now = now.astimezone(timezone.utc)
        try:
            schedules = self.store.list_schedules()
            clusters = [c for c in self.store.list_clusters() if schedulable(c)]
        except Exception as e:
            self._error(result, f"cannot read schedules and clusters: {e}")
            return result
        subscriptions: dict[str, Any] = {}
        for schedule in schedules:
            if schedule.state != "Enabled":
                continue
            result.schedules += 1
            try:
                self._process_schedule(schedule, clusters, subscriptions, now, result)
            except Exception as e:  # one bad schedule never stops the others
                self._error(result, f"schedule {schedule.id}: {type(e).__name__}: {e}")
        self.log.info("scheduler pass at %s: %s", now.isoformat(), result.summary())
        return result

    def _error(self, result: PassResult, message: str) -> None:
        self.log.error("%s", message)
        result.errors.append(message)

    def _process_schedule(
        self,
        schedule: MaintenanceSchedule,
        clusters: list[Any],
        subscriptions: dict[str, Any],
        now: datetime,
        result: PassResult,
    ) -> None:
        sid = schedule.id
        self.log.info("processing schedule %s (task ID=%s)", sid, schedule.maintenance_task_id)
        if self.tasks is not None and schedule.maintenance_task_id not in self.tasks:
            self._error(result, f"schedule {sid}: maintenanceTaskID {schedule.maintenance_task_id} is not registered, skipped")
            return
        try:
            cal = Calendar.parse(schedule.schedule)
            across = parse_duration(schedule.schedule_across)
        except ValueError as e:
            self._error(result, f"schedule {sid}: {e}; skipped")
            return
        if not schedule.selectors:
            self.log.warning("schedule %s has no selectors: it matches no cluster", sid)
            return
        try:
            validate_selectors(schedule.selectors)
        except UnknownSelectorKey:
            pass  # reported cluster by cluster below, as the spec asks
        except SelectorError as e:
            # any other broken selector would fail alike on every cluster: reported once
            self._error(result, f"schedule {sid}: {e}; skipped")
            return

        last = go_round_second(now)
        future = cal.iter_from(last, schedule.look_forward_count)  # starts > now (Go's Next)
        if not future:
            self.log.warning("schedule '%s' will never trigger again, skipping", schedule.schedule)
            return
        if len(future) < schedule.look_forward_count:
            self.log.info(
                "schedule '%s' will only trigger %d times but look forward is %d",
                schedule.schedule, len(future), schedule.look_forward_count,
            )
        friendly = [t.strftime(_FRIENDLY) for t in future]
        previous = cal.next(now - across) if across > timedelta(0) else None
        if previous is not None and previous <= last:
            friendly.insert(0, f"{previous.strftime(_FRIENDLY)} (within scheduleAcross)")
        self.log.info("next valid scheduled times: %s", ", ".join(friendly))
        future_ts = [_ts(t) for t in future]
        now_f = (now - _EPOCH) / timedelta(seconds=1)
        last_ts = _ts(last)
        across_s = across / timedelta(seconds=1)

        def in_window_past_period(start_ts: int) -> bool:
            if not (start_ts <= last_ts and now_f < start_ts + across_s):
                return False
            return cal.matches(_EPOCH + timedelta(seconds=start_ts))

        existing: dict[str, list[MaintenanceManifest]] = {}
        for m in self.store.list_manifests(
            schedule_id=sid, states=(ManifestState.PENDING, ManifestState.IN_PROGRESS, ManifestState.CANCELLED)
        ):
            existing.setdefault(m.cluster_resource_id, []).append(m)

        now_ts = math.floor(now_f)
        batch: list[_ClusterPlan] = []
        info = self.log.isEnabledFor(logging.INFO)
        debug = self.log.isEnabledFor(logging.DEBUG)
        for cluster in clusters:
            rid = cluster.resource_id
            sub_id = cluster.subscription_id
            try:
                if sub_id not in subscriptions:
                    try:
                        subscriptions[sub_id] = self.store.get_subscription(sub_id)
                    except StoreNotFound:
                        subscriptions[sub_id] = None
                sub = subscriptions[sub_id]
                if sub is None:
                    self._error(result, f"schedule {sid}: cluster {rid}: subscription {sub_id} not found, skipped")
                    continue
                values = cluster_selector_values(cluster, sub, domain_suffix=self.environment.domain_suffix)
                if debug:  # Go manager.go's debug lines, only when asked for (the pass is a hot path)
                    self.log.debug("checking selectors for %s (sub %s)", rid, sub_id)
                if not matches(values, schedule.selectors):
                    if debug:
                        self._cluster_log(rid).debug("cluster does not match selectors")
                    continue
                if debug:
                    self._cluster_log(rid).debug("cluster matches selectors")
                    self._cluster_log(rid).debug("Calculated scheduleAcross offset is %s",
                                                 format_duration(spread_offset(rid, across)))
            except SelectorError as e:
                self._cluster_log(rid).error("error matching selectors, skipping cluster: %s", e)
                result.errors.append(f"schedule {sid}: cluster {rid}: {e}; cluster skipped")
                continue
            except Exception as e:
                self._error(result, f"schedule {sid}: cluster {rid}: {type(e).__name__}: {e}; cluster skipped")
                continue
            try:
                plan = self._plan_cluster(
                    schedule, rid, spread_offset(rid, across), future_ts, in_window_past_period,
                    existing.get(rid, []), now_ts,
                )
            except Exception as e:
                self._error(result, f"schedule {sid}: cluster {rid}: {type(e).__name__}: {e}; cluster skipped")
                continue
            if plan.to_cancel or plan.to_create:
                batch.append(plan)
            elif info:  # nothing to write: Go's summary line now
                self._summary(plan, 0, 0)
            if len(batch) >= self.batch_clusters:
                self._write(batch, result)
                batch = []
        self._write(batch, result)

    def _plan_cluster(
        self,
        schedule: MaintenanceSchedule,
        rid: str,
        offset: timedelta,
        future_ts: list[int],
        in_window_past_period: Any,
        mine: list[MaintenanceManifest],
        now_ts: int,
    ) -> _ClusterPlan:
        """What to cancel and create on one cluster (both empty when nothing)."""
        task = schedule.maintenance_task_id
        off = int(offset.total_seconds())
        wanted = {start + off for start in future_ts}

        # what to cancel: this schedule's future Pending manifests the schedule no longer wants
        to_cancel: list[tuple[MaintenanceManifest, bool]] = []
        kept = 0
        for m in mine:
            if m.state != ManifestState.PENDING or m.run_after <= now_ts:
                continue
            keep = m.run_after in wanted or in_window_past_period(m.run_after - off)
            if keep and m.maintenance_task_id == task:
                kept += 1
                continue
            to_cancel.append((m, keep))
        # what to create, once those are cancelled
        dropped = {m.id for m, _keep in to_cancel}
        to_create = self._missing(schedule, rid, off, future_ts, mine, dropped)
        return _ClusterPlan(schedule, rid, off, future_ts, mine, to_cancel, to_create, kept)

    def _write(self, batch: list[_ClusterPlan], result: PassResult) -> None:
        """Each cluster of ``batch`` in one transaction (cancelled and created together, or not at all)."""
        if not batch:
            return
        groups = [([m.id for m, _ in p.to_cancel], p.to_create) for p in batch]
        try:
            answers = self.store.cancel_and_create_many(groups, CANCELLED_BY_SCHEDULER)
        except Exception as e:
            if len(batch) == 1:
                p = batch[0]
                self._error(result, f"schedule {p.schedule.id}: cluster {p.rid}: {type(e).__name__}: {e}; cluster skipped")
                return
            # nothing of the batch was written: one cluster at a time, so one bad cluster costs only itself
            self.log.warning("writing %d clusters at once failed (%s: %s); writing them one at a time",
                             len(batch), type(e).__name__, e)
            for p in batch:
                self._write([p], result)
            return
        for p, made in zip(batch, answers, strict=True):
            if made is None:
                # a manifest to cancel changed meanwhile (an operator cancelled it, an actuator with a
                # clock ahead leased it): go one write at a time, cancelling first, as the pass did before
                try:
                    cancelled, created = self._reconcile_one_by_one(
                        p.schedule, p.rid, p.off, p.future_ts, p.to_cancel, p.mine, result
                    )
                    self._summary(p, created, cancelled)
                except Exception as e:
                    self._error(result, f"schedule {p.schedule.id}: cluster {p.rid}: {type(e).__name__}: {e}; "
                                "cluster skipped")
                continue
            for m, keep in p.to_cancel:
                self._cancelled(result, p.schedule, p.rid, m, keep)
            for stored in made:
                self._created(result, p.schedule, p.rid, stored, p.off)
            self._summary(p, len(made), len(p.to_cancel))

    def _missing(
        self,
        schedule: MaintenanceSchedule,
        rid: str,
        off: int,
        future_ts: list[int],
        mine: list[MaintenanceManifest],
        dropped: set[str],
    ) -> list[MaintenanceManifest]:
        """The manifests to create for the future periods that have none (``dropped`` cancelled)."""
        sid = schedule.id
        taken = {m.id for m in mine}
        blocking = {
            m.run_after
            for m in mine
            if m.id not in dropped
            and not (m.state == ManifestState.CANCELLED and m.status_text == CANCELLED_BY_SCHEDULER)
        }
        out: list[MaintenanceManifest] = []
        for start in future_ts:
            run_after = start + off
            if run_after in blocking:
                continue
            gen = 0
            mid = manifest_id_for(sid, rid, run_after)
            while mid in taken:
                gen += 1
                mid = manifest_id_for(sid, rid, run_after, gen)
            taken.add(mid)
            out.append(
                MaintenanceManifest(
                    id=mid,
                    cluster_resource_id=rid,
                    maintenance_task_id=schedule.maintenance_task_id,
                    run_after=run_after,
                    run_before=run_after + int(self.run_window.total_seconds()),
                    created_by_schedule=sid,
                )
            )
        return out

    def _cancelled(
        self, result: PassResult, schedule: MaintenanceSchedule, rid: str, m: MaintenanceManifest, keep: bool
    ) -> None:
        result.cancelled.append(m.id)
        if not self.log.isEnabledFor(logging.INFO):
            return  # _fmt costs: skip it when nobody reads the line
        self._cluster_log(rid).info("cancelled unneeded manifest id=%s (%s)", m.id, _fmt(m.run_after))

    def _created(
        self, result: PassResult, schedule: MaintenanceSchedule, rid: str, stored: MaintenanceManifest, off: int
    ) -> None:
        result.created.append(stored)
        if not self.log.isEnabledFor(logging.INFO):
            return
        start = _EPOCH + timedelta(seconds=stored.run_after - off)
        self._cluster_log(rid).info(
            "created new manifest id=%s for %s window (%s)", stored.id, start.strftime(_FRIENDLY), _fmt(stored.run_after)
        )

    def _cluster_log(self, rid: str) -> logging.LoggerAdapter[logging.Logger]:
        """Go's ``log.EnrichWithResourceID``: the cluster's lines carry its resource fields."""
        return with_fields(self.log, resource_fields(rid))

    def _summary(self, plan: _ClusterPlan, created: int, cancelled: int) -> None:
        """Go's per-cluster line, ``created=<n>, found valid=<n>, cancelled=<n>``."""
        if self.log.isEnabledFor(logging.INFO):
            self._cluster_log(plan.rid).info(
                "created=%d, found valid=%d, cancelled=%d", created, plan.kept, cancelled
            )

    def _reconcile_one_by_one(
        self,
        schedule: MaintenanceSchedule,
        rid: str,
        off: int,
        future_ts: list[int],
        to_cancel: list[tuple[MaintenanceManifest, bool]],
        mine: list[MaintenanceManifest],
        result: PassResult,
    ) -> tuple[int, int]:
        """Cancel first, then create, one write each; returns (created, cancelled)."""
        # cancel first: a pass cut here leaves a gap the next pass fills, never a duplicate
        dropped: set[str] = set()
        created = 0
        for m, keep in to_cancel:
            if self.store.set_state(
                m.id, ManifestState.CANCELLED, CANCELLED_BY_SCHEDULER, expect_states=(ManifestState.PENDING,)
            ):
                dropped.add(m.id)
                self._cancelled(result, schedule, rid, m, keep)
        for manifest in self._missing(schedule, rid, off, future_ts, mine, dropped):
            try:
                stored = self.store.create_manifest(manifest)
            except StoreAlreadyExists:
                # written by an earlier, interrupted pass or a concurrent scheduler, and since run
                continue
            self._created(result, schedule, rid, stored, off)
            created += 1
        return created, len(dropped)


def _fmt(ts: int) -> str:
    return (_EPOCH + timedelta(seconds=ts)).strftime("%Y-%m-%dT%H:%M:%SZ")
