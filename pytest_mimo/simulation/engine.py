"""The run loop: the real scheduler and actuator over the fleet, on the simulated clock.

A discrete-event emulation of ``mimo scheduler`` plus ``mimo actuator
--workers N`` (:class:`mimo.actuator.ActuatorService`), in one thread:

* **Scheduler.** A pass every ``run.scheduler_interval`` (5 min, as
  ``mimo scheduler``) on the grid ``start + k × interval``. A pass whose
  result cannot differ from the previous one — no schedule's next period
  start has passed since — is skipped (counted as ``scheduler_passes_skipped``);
  the fleet and the schedules do not change during a run, so that is exact.
* **Actuator.** As the service does: a cluster with runnable work is passed
  by a free worker (clusters in resource-ID order, one pass = one manifest
  after another, the real :class:`mimo.actuator.Actuator`); a cluster is
  passed again only ``poll_interval`` after its last pass ended; the service
  looks for work when a worker finishes, when a cluster's rest ends, and
  every ``poll_interval`` while idle. Idle polls that would find nothing are
  not run: the clock jumps to the first poll at or after the next
  ``runAfter`` (or lease expiry) on the same 90-second grid, so latency is
  what the service would show, at no wall cost.
* **Workers.** ``N`` workers are emulated sequentially: each has its own
  virtual time line. A pass runs on the simulated clock (its sleeps, SDK
  back-offs, LRO polling and condition waits all advance it); when it ends,
  the clock is moved back to the event time and the next worker's pass runs
  from there. Clusters share nothing but the store, so a pass never sees
  another cluster's future; a cluster being passed is never picked by a
  second worker.
* **Crashes.** A ``crash_after_step`` fault is a :class:`SimulatedCrash`
  (a ``BaseException``): the actuator does not catch it, the pass ends, the
  manifest stays ``InProgress`` with its lease, and a later pass recovers
  it once the lease has expired — as after a real process death.

Once a virtual day, manifests in a final state (``Cancelled`` excepted: the
scheduler reads those) whose window has closed are moved out of the store and
kept for the report: nothing reads them again, and the store's scans stay
the size of the work in flight, so cost grows linearly with virtual time.

Logging below ``CRITICAL`` is disabled while a simulation runs (the runtime
logs every attempt); what the report needs comes from the store, the task
attempts (each built-in task is wrapped to time-stamp its attempts) and the
fault injectors.
"""

from __future__ import annotations

import gc
import logging
import math
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from mimo.actuator import Actuator
from mimo.api import (
    FINAL_STATES,
    MANIFEST_STATES,
    MaintenanceManifest,
    MaintenanceSchedule,
    ManifestState,
    Selector,
)
from mimo.errors import is_retryable
from mimo.scheduler import Calendar, Scheduler
from pytest_mimo import defaults
from pytest_mimo.clock import SimClock
from pytest_mimo.faults import SimulatedCrash
from pytest_mimo.replay import derive_seed
from pytest_mimo.simulation.fleet import FleetSummary, FleetWorld
from pytest_mimo.simulation.scenario import Scenario

__all__ = ["Attempt", "Simulation", "SimulationData", "bucket_seconds", "merge_shards", "quiet_logging",
           "run_simulation"]

OWNER = "mimo-simulation"
#: how often final manifests are moved out of the store (virtual seconds)
ARCHIVE_EVERY = 86400.0
Progress = Callable[[float], None]


@dataclass
class Attempt:
    """One run of a task for one manifest."""

    manifest_id: str
    cluster: str
    task_id: str
    number: int  #: the manifest's dequeue count when it ran
    start: float  #: virtual Unix time
    end: float = 0.0
    outcome: str = ""  #: ok, transient, error, crash
    error: str = ""


@dataclass
class SimulationData:
    """Everything a run leaves for the report."""

    scenario: Scenario
    seed: int
    fleet: FleetSummary
    manifests: list[MaintenanceManifest]
    schedules: dict[str, str]  #: schedule ID -> name
    attempts: list[Attempt]
    passes: int
    pass_errors: list[str]
    scheduler_passes: int
    scheduler_passes_skipped: int
    scheduler_errors: list[str]
    wall_seconds: float
    #: manifests by state at the end of each timeline bucket (``bucket_seconds(duration)`` wide)
    states_timeline: dict[str, list[int]] = field(default_factory=dict)


def bucket_seconds(duration: float) -> int:
    """The timeline's bucket width for a run of ``duration`` seconds: whole hours, at most 168 buckets."""
    hours = max(1, math.ceil(duration / 3600 / 168))
    return hours * 3600


@contextmanager
def quiet_logging() -> Iterator[None]:
    """Disable every log record below CRITICAL for the duration (restores the previous level)."""
    previous = logging.root.manager.disable
    logging.disable(logging.ERROR)
    try:
        yield
    finally:
        logging.disable(previous)


def _utc(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, tz=timezone.utc)


class Simulation:
    """``Simulation(scenario, seed=None).run()`` → :class:`SimulationData` (see :mod:`.report`)."""

    def __init__(self, scenario: Scenario, *, seed: int | None = None,
                 tasks: Mapping[str, Any] | None = None, progress: Progress | None = None,
                 shard: tuple[int, int] = (0, 1)) -> None:
        if tasks is None:
            from mimo.tasks import DEFAULT_MAINTENANCE_TASKS

            tasks = DEFAULT_MAINTENANCE_TASKS
        self.scenario = scenario
        self.seed = scenario.seed if seed is None else seed
        k, shards = shard
        if not 0 <= k < shards:
            raise ValueError(f"Simulation: shard {k} of {shards} does not exist")
        self.shard = shard
        self.progress = progress
        self.attempts: list[Attempt] = []
        self._clock: SimClock | None = None
        # the manifests-by-state timeline (set up by _loop)
        self.states_timeline: dict[str, list[int]] = {}
        self._archived_states: dict[str, int] = {}
        self._bucket: int = 3600
        self._samples_left: int = 0
        self._next_sample: float = math.inf
        self.tasks = {tid: self._wrap(tid, fn) for tid, fn in tasks.items()}

    # -- task attempts ------------------------------------------------------------------------------
    def _wrap(self, task_id: str, fn: Any) -> Any:
        attempts = self.attempts

        def task(tc: Any, manifest: MaintenanceManifest, cluster_doc: Any) -> None:
            rec = Attempt(manifest.id, manifest.cluster_resource_id, task_id, manifest.dequeues, time.time())
            attempts.append(rec)
            try:
                fn(tc, manifest, cluster_doc)
            except Exception as e:
                rec.outcome = "transient" if is_retryable(e) else "error"
                rec.error = " ".join(str(e).split())[:300]
                raise
            except BaseException as e:
                rec.outcome = "crash" if isinstance(e, SimulatedCrash) else "aborted"
                rec.error = str(e)[:300]
                raise
            else:
                rec.outcome = "ok"
            finally:
                rec.end = time.time()

        task.__name__ = getattr(fn, "__name__", "task")
        return task

    # -- the run ------------------------------------------------------------------------------------
    def run(self) -> SimulationData:
        sc = self.scenario
        wall0 = time.perf_counter()
        tmp: str | None = None
        with quiet_logging(), SimClock(sc.run.start) as clock:
            self._clock = clock
            if sc.run.store == "sqlite":
                from mimo.store.sqlite import SqliteStore

                tmp = tempfile.mkdtemp(prefix="mimo-sim-")
                store: Any = SqliteStore(f"{tmp}/mimo.db")
            else:
                from mimo.store.memory import MemoryStore

                store = MemoryStore()
            env = defaults.default_environment()
            thresholds = gc.get_threshold()
            # the fleet's fakes (thousands of objects per cluster) live until the end: collect less
            # often while they are built and while the run goes (a run allocates in bursts and frees
            # almost everything at once; during the build the default thresholds ran full
            # collections over the growing heap), and keep the collector from rescanning them
            gc.set_threshold(50_000, 20, 1000)
            world: FleetWorld | None = None
            try:
                world = FleetWorld(sc, self.seed, clock, store, env, shard=self.shard)
                schedules = self._put_schedules(store)
                # frozen as built, without a full collection first: one found nothing to free here
                # (1,000 clusters: 0 objects, 0.25 s CPU), and what one might find stays allocated,
                # which changes nothing a run does
                gc.freeze()
                self.scheduler = Scheduler(store, clock=clock, environment=env, tasks=self.tasks)
                self.actuator = Actuator(
                    store, self.tasks, clock=clock, owner=OWNER, lease_seconds=sc.run.lease_seconds,
                    max_dequeues=sc.run.max_dequeues, context_factory=world.context_factory,
                    renew_leases=False, environment=env,
                )
                self._loop(store, world, [Calendar.parse(s.schedule) for s in schedules])
                manifests = self.archived + store.list_manifests()
            finally:
                gc.set_threshold(*thresholds)
                gc.unfreeze()
                if world is not None:
                    world.close()
                store.close()
                if tmp is not None:
                    shutil.rmtree(tmp, ignore_errors=True)
        return SimulationData(
            scenario=sc, seed=self.seed, fleet=FleetSummary.of(world), manifests=manifests,
            schedules={s.id: spec.name for s, spec in zip(schedules, sc.schedules, strict=True)},
            attempts=sorted(self.attempts, key=lambda a: (a.start, a.cluster, a.manifest_id, a.number)),
            passes=self.passes, pass_errors=self.pass_errors, scheduler_passes=self.scheduler_passes,
            scheduler_passes_skipped=self.scheduler_skipped, scheduler_errors=self.scheduler_errors,
            wall_seconds=time.perf_counter() - wall0, states_timeline=self.states_timeline,
        )

    def _put_schedules(self, store: Any) -> list[MaintenanceSchedule]:
        out = []
        for i, s in enumerate(self.scenario.schedules):
            sched = MaintenanceSchedule(
                id=str(_uuid_for(self.seed, "schedule", i, s.name)),
                maintenance_task_id=s.task_id, schedule=s.calendar, selectors=[Selector.from_dict(x) for x in s.selectors],
                look_forward_count=s.look_forward_count, schedule_across=s.schedule_across,
            )
            store.put_schedule(sched)
            out.append(sched)
        return out

    def _scheduler_pass(self, now: float) -> None:
        result = self.scheduler.process()
        self.scheduler_passes += 1
        self.scheduler_errors.extend(f"{_utc(now):%Y-%m-%dT%H:%M:%SZ} {e}" for e in result.errors)

    def _pass(self, world: FleetWorld, rid: str) -> None:
        c = world.by_rid[rid]
        world.begin_pass(c)
        try:
            self.actuator.process(rid)
        except SimulatedCrash:
            pass  # the 'process' died mid-task: the lease stays until it expires
        except Exception as e:  # a pass that fails outside a task (the store): counted, as the service logs it
            self.pass_errors.append(f"{rid}: {type(e).__name__}: {e}")
        finally:
            world.end_pass(c)
            self.passes += 1

    def _archive(self, store: Any, now: float) -> None:
        """Move final manifests whose window has closed out of the store (kept for the report).

        Neither the scheduler (it reads Pending, InProgress and Cancelled manifests of future
        periods) nor the actuator (Pending and InProgress) reads them again, so the run is the
        same; the store stays the size of the work in flight, and a long run stays linear.
        """
        for m in store.list_manifests(states=FINAL_STATES):
            if m.run_before < now and m.state != ManifestState.CANCELLED:
                store.delete_manifest(m.id)
                self.archived.append(m)
                self._archived_states[m.state] += 1

    def _sample_states(self, store: Any, upto: float, end: float) -> None:
        """Record the manifests by state at every bucket end up to ``upto`` (the store does not
        change between two events, so its content now is its content at those instants)."""
        while self._next_sample <= upto and self._samples_left > 0:
            counts = store.count_manifests()
            for st in MANIFEST_STATES:
                self.states_timeline[st].append(counts.get(st, 0) + self._archived_states[st])
            self._samples_left -= 1
            self._next_sample = min(end, self._next_sample + self._bucket)

    @staticmethod
    def _next_work(store: Any, now: float) -> float:
        """The first instant after ``now`` at which a manifest becomes runnable (runAfter, or an expired lease)."""
        t = store.next_work_after(math.floor(now))
        return math.inf if t is None else float(t)

    def _loop(self, store: Any, world: FleetWorld, calendars: list[Calendar]) -> None:
        run = self.scenario.run
        clock = self._clock
        assert clock is not None
        start = run.start.timestamp()
        end = start + run.duration.total_seconds()
        poll = run.poll_interval.total_seconds()
        every = run.scheduler_interval.total_seconds()
        n = run.workers
        self.passes = self.scheduler_passes = self.scheduler_skipped = 0
        self.archived: list[MaintenanceManifest] = []
        self._archived_states = dict.fromkeys(MANIFEST_STATES, 0)
        self._bucket = bucket_seconds(end - start)
        self._samples_left = math.ceil((end - start) / self._bucket)
        self._next_sample = min(end, start + self._bucket)
        self.states_timeline = {st: [] for st in MANIFEST_STATES}
        next_archive = start + ARCHIVE_EVERY
        self.pass_errors: list[str] = []
        self.scheduler_errors: list[str] = []

        free_at = [start] * n  # when each worker is free again
        resting: dict[str, float] = {}  # cluster -> may be passed again from
        next_sched = start  # the scheduler's next pass that can change something
        last_check = start
        next_check = start
        now = start
        work = math.inf  # the next instant a manifest becomes runnable
        dirty = True
        while now < end:
            self._sample_states(store, now, end)
            # the clock is moved to ``now`` only where something reads it (a scheduler pass, an
            # actuator pass): a move calls every fake's clock listener, a thousand in a big fleet
            if now >= next_sched:
                clock.move_to(_utc(now))
                self._scheduler_pass(now)
                dirty = True
                # passes on the grid before the next period start would change nothing: skipped
                due = _next_change(calendars, now)
                after_now = start + every * (math.floor((now - start) / every) + 1)
                next_sched = max(after_now, start + every * math.ceil((due - start) / every)) if due < math.inf else math.inf
            check = now >= next_check or any(t == now for t in free_at) or any(t == now for t in resting.values())
            if now >= next_archive:
                self._archive(store, now)
                gc.freeze()  # what survived a virtual day (the fakes' objects, archived manifests) stays
                next_archive = now + ARCHIVE_EVERY
            if check:
                last_check = now
                ready = [r for r in store.clusters_with_runnable_work(int(now)) if resting.get(r, -math.inf) <= now]
                for rid in ready:
                    free = [w for w in range(n) if free_at[w] <= now]
                    if not free:
                        break
                    clock.move_to(_utc(now))
                    self._pass(world, rid)
                    dirty = True
                    t_end = max(now, clock.now().timestamp())
                    free_at[free[0]] = t_end
                    resting[rid] = t_end + poll
                for rid in [r for r, t in resting.items() if t <= now]:
                    del resting[rid]
            # the next event (the store is only read again when a pass may have changed it)
            if dirty or work <= now:
                work = self._next_work(store, now)
                dirty = False
            # the idle service polls at last_check + k * poll: the first such poll after now that can
            # find work (the polls in between would find nothing, so they are not run)
            k = math.floor((now - last_check) / poll) + 1
            if work < math.inf:
                k = max(k, math.ceil((work - last_check) / poll))
            next_check = last_check + k * poll
            events = [next_sched, next_check]
            events += [t for t in free_at if t > now]
            events += [t for t in resting.values() if t > now]
            if self.progress is not None:
                self.progress(min(1.0, (now - start) / (end - start)))
            nxt = min(events)
            if nxt <= now:  # every event lies ahead: a loop that stands still is a bug, not a hang
                raise RuntimeError(f"simulation: no event after {_utc(now).isoformat()} (next {nxt})")
            now = nxt
        self._sample_states(store, end, end)
        clock.move_to(_utc(max(end, *free_at)))
        self.scheduler_skipped = math.ceil((end - start) / every) - self.scheduler_passes
        if self.progress is not None:
            self.progress(1.0)


def _next_change(calendars: list[Calendar], now: float) -> float:
    """Just after the first period start at or after ``now``: when a scheduler pass can differ."""
    at = _utc(now) - timedelta(microseconds=1)
    nxt = [c.next(at) for c in calendars]
    starts = [t.timestamp() for t in nxt if t is not None]
    return (min(starts) + 1e-6) if starts else math.inf


def _uuid_for(*parts: object) -> Any:
    import uuid

    return uuid.UUID(int=derive_seed(*parts) << 96 | derive_seed(*parts, "lo"), version=4)


# -- shards: several actuator hosts, simulated in parallel processes ------------------------------


#: in a shard process: where its progress goes (set by the pool's initializer)
_PROGRESS_QUEUE: Any = None


def _init_shard(queue: Any) -> None:
    global _PROGRESS_QUEUE
    _PROGRESS_QUEUE = queue


def _run_shard(scenario: Scenario, seed: int | None, shard: tuple[int, int]) -> SimulationData:
    queue = _PROGRESS_QUEUE
    progress: Progress | None = None
    if queue is not None:
        last = [-1.0]

        def progress(fraction: float) -> None:  # a percent at a time, not every event
            if fraction >= 1.0 or fraction - last[0] >= 0.01:
                last[0] = fraction
                queue.put((shard[0], fraction))

    return Simulation(scenario, seed=seed, shard=shard, progress=progress).run()


def merge_shards(parts: list[SimulationData], wall_seconds: float) -> SimulationData:
    """The shards' runs as one run of the whole fleet (sums, concatenations, the fleet by index)."""
    first = parts[0]
    return SimulationData(
        scenario=first.scenario, seed=first.seed, fleet=FleetSummary.merge([p.fleet for p in parts]),
        manifests=[m for p in parts for m in p.manifests], schedules=first.schedules,
        attempts=sorted((a for p in parts for a in p.attempts),
                        key=lambda a: (a.start, a.cluster, a.manifest_id, a.number)),
        passes=sum(p.passes for p in parts), pass_errors=[e for p in parts for e in p.pass_errors],
        scheduler_passes=sum(p.scheduler_passes for p in parts),
        scheduler_passes_skipped=sum(p.scheduler_passes_skipped for p in parts),
        scheduler_errors=sorted(e for p in parts for e in p.scheduler_errors),
        wall_seconds=wall_seconds,
        states_timeline={st: [sum(v) for v in zip(*(p.states_timeline[st] for p in parts), strict=True)]
                         for st in first.states_timeline},
    )


def run_simulation(scenario: Scenario, *, seed: int | None = None, progress: Progress | None = None,
                   shards: int | None = None) -> SimulationData:
    """Run ``scenario`` as ``shards`` actuator hosts (``run.shards`` by default).

    One shard runs here, in this thread. With more, shard ``k`` owns the clusters whose index is
    ``k`` modulo ``shards``, with its own store, scheduler, actuator (``run.workers`` workers) and
    fakes, in its own process (``spawn``; at most one per core at a time); the runs are merged. A
    seed and a shard count give one report; another shard count is another system (more hosts).
    The processes are spawned, so a script that calls this with shards must guard its entry point
    with ``if __name__ == "__main__":`` (as every ``multiprocessing`` user must).
    """
    count = scenario.run.shards if shards is None else shards
    if count < 1 or count > scenario.fleet.clusters:
        raise ValueError(f"shards: {count} for {scenario.fleet.clusters} clusters (1 to one per cluster)")
    if count != scenario.run.shards:
        from dataclasses import replace

        scenario = replace(scenario, run=replace(scenario.run, shards=count))
    if count == 1:
        return Simulation(scenario, seed=seed, progress=progress).run()
    import multiprocessing
    import os
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from queue import Empty

    wall0 = time.perf_counter()
    ctx = multiprocessing.get_context("spawn")  # a forked child would inherit this process's threads
    queue = ctx.Queue() if progress is not None else None
    fractions = [0.0] * count

    def drain() -> None:
        while queue is not None and progress is not None:
            try:
                k, fraction = queue.get_nowait()
            except Empty:
                break
            fractions[k] = fraction
            progress(sum(fractions) / count)

    with ProcessPoolExecutor(max_workers=min(count, os.cpu_count() or 1), mp_context=ctx,
                             initializer=_init_shard, initargs=(queue,)) as pool:
        futures = [pool.submit(_run_shard, scenario, seed, (k, count)) for k in range(count)]
        pending = set(futures)
        while pending:
            _, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
            drain()
        parts = [f.result() for f in futures]
    if progress is not None:
        progress(1.0)
    return merge_shards(parts, time.perf_counter() - wall0)
