"""Chaos replays of one task: a clean baseline, a faulted run, and the checks between them.

:class:`Replayer` works without pytest (the ``mimo_replay`` fixture and the
simulator use it directly)::

    outcome = Replayer(world, seed=7, site=site).replay(TASK_ID)
    assert not outcome.violations, outcome.report()

1. snapshot the world;
2. **baseline**: run the task through the real actuator on the world's
   in-memory store with no faults, re-running after each transient failure
   until a final state; between attempts the clock advances by the actuator's
   poll interval (90 s), and after a crash also by the lease time (60 s);
3. restore the snapshot and run again under the seeded **fault plan**
   (background faults at ``rate``, crashes between steps, bursts, and one
   **targeted** fault site), every attempt faulted but the last allowed one;
4. check: same final state, same world (modulo server metadata and
   ``ignore``), no transient fault turned terminal and no exception escaping
   unclassified, no attempt past its deadline, and idempotence (one more
   clean run changes nothing);
5. return a :class:`ReplayOutcome`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import random
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from mimo.actuator.context import ContextRequest
from mimo.actuator.lease import LeaseRenewer
from mimo.api import MaintenanceManifest
from mimo.errors import LeaseLost, MIMOError, TerminalError, TransientError
from pytest_mimo.attempts import (
    DEFAULT_WALL_BUDGET,
    AttemptDeadline,
    AttemptWatch,
    TaskSleep,
    WallBudgetExceeded,
)
from pytest_mimo.baselines import BaselineCache
from pytest_mimo.faults import (
    FaultInjector,
    FaultKind,
    FaultSite,
    ScheduledFault,
    SimulatedCrash,
    TraceEntry,
    sites_from,
)
from pytest_mimo.invariants import invariants_of, unique
from pytest_mimo.world import Invariant, MimoWorld, WriteRecord

__all__ = [
    "AttemptRecord",
    "ReplayOutcome",
    "Replayer",
    "RunResult",
    "derive_seed",
    "pick_site",
    "world_diff",
    "POLL_INTERVAL",
    "LEASE_SECONDS",
]

POLL_INTERVAL = 90.0
LEASE_SECONDS = 60.0
MAX_PASSES = 100
REPLAY_OWNER = "mimo-replay"


def derive_seed(*parts: object) -> int:
    """A stable 32-bit seed from any parts (same on every machine and xdist worker)."""
    text = "\x1f".join(str(p) for p in parts)
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "big")


def pick_site(pairs: Sequence[FaultSite], order_seed: int, index: int) -> FaultSite | None:
    """The fault site replay ``index`` (1-based) targets: the pairs walked in a seed-shuffled order."""
    if not pairs or index < 1:
        return None
    order = list(pairs)
    random.Random(order_seed).shuffle(order)
    return order[(index - 1) % len(order)]


@dataclass
class AttemptRecord:
    attempt: int
    start: datetime
    deadline: datetime
    end: datetime | None = None
    step: str = ""
    error: BaseException | None = None
    crashed: bool = False
    overran: bool = False  #: stopped at its deadline by the attempt watch

    def describe_error(self) -> str:
        if self.error is None:
            return "ok"
        text = str(self.error).strip().splitlines()
        first = " ".join(line.strip() for line in text[:2])[:300] if text else ""
        return f"{type(self.error).__module__}.{type(self.error).__qualname__}: {first}"


@dataclass
class RunResult:
    label: str
    state: str
    status_text: str
    dequeues: int
    attempts: list[AttemptRecord]
    world: dict[str, Any]
    trace: list[TraceEntry]
    requests: list[Any]
    steps: list[tuple[int, str]]
    virtual: timedelta
    finished: bool
    sleeps: list[TaskSleep] = field(default_factory=list)
    aborted: str = ""  #: where the wall-clock budget ran out ("" when it did not)
    writes: list[WriteRecord] = field(default_factory=list)
    broken: list[str] = field(default_factory=list)  #: invariants found broken after a write
    #: what other writers changed during the run (concurrent_write / conflict faults): path, value
    concurrent: list[tuple[tuple[str, ...], Any]] = field(default_factory=list)
    #: writes an attempt sent after it resumed from a pause past its lease
    late_writes: list[str] = field(default_factory=list)
    #: every fault that fired, where it can fire again (FaultInjector.events): the run's schedule
    schedule: list[ScheduledFault] = field(default_factory=list)

    def writes_by_object(self) -> dict[str, dict[str, int]]:
        """backend → object → number of writes."""
        out: dict[str, dict[str, int]] = {}
        for w in self.writes:
            per = out.setdefault(w.backend, {})
            per[w.object] = per.get(w.object, 0) + 1
        return out

    @property
    def stopped(self) -> bool:
        """Ended early: out of wall-clock budget, or an attempt ran into its deadline."""
        return bool(self.aborted) or any(a.overran for a in self.attempts)


@dataclass
class ReplayOutcome:
    """What a replay found. ``violations`` empty means the task survived."""

    task_id: str
    seed: int
    faulted: bool
    site: FaultSite | None
    state: str
    attempts: int
    trace: list[TraceEntry]
    virtual_time: timedelta
    wall_time: timedelta
    violations: list[str] = field(default_factory=list)
    diff: list[str] = field(default_factory=list)
    pairs: list[FaultSite] = field(default_factory=list)
    baseline: RunResult | None = None
    run: RunResult | None = None
    command: str = ""
    variant: str = ""  #: the world variant (pytest_mimo.variants), "" when the world has none
    #: the variant's choices, point → option (every point the world builder asked)
    choices: dict[str, str] = field(default_factory=dict)
    combo: str = ""  #: the fault combination the faulted run carried (pytest_mimo.combos), "" for none
    shrunk: str = ""  #: the shrinker's result (pytest_mimo.shrink), printed under the report

    @property
    def schedule(self) -> list[ScheduledFault]:
        """The faults the faulted run met, as an explicit schedule (``Replayer(script=…)`` replays it)."""
        return list(self.run.schedule) if self.run is not None and self.run is not self.baseline else []

    @property
    def ok(self) -> bool:
        return not self.violations

    @property
    def site_hit(self) -> bool:
        return self.site is not None and any(e.source == "targeted" for e in self.trace)

    def faults_by_kind(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for e in self.trace:
            out[e.kind] = out.get(e.kind, 0) + 1
        return out

    def crash_points(self) -> list[str]:
        return sorted({e.request for e in self.trace if e.kind == "crash_after_step"})

    def report(self, headline: str = "") -> str:
        """The failure header (task, seed, site, attempts with their steps, fault trace, world
        diff, replay command): for the replay's violations, or under ``headline`` for a failure
        of the scenario's own that came after the replay."""
        lines = [
            headline or f"mimo replay of task {self.task_id} failed: {len(self.violations)} violation(s)",
            f"  seed: {self.seed}{'' if self.faulted else ' (clean replay)'}",
            *([f"  world variant: {self.variant}"] if self.variant else []),
            *([f"  fault combination: {self.combo}"] if self.combo else []),
            f"  targeted site: {self.site.describe() if self.site else '-'}"
            + ("" if self.site is None or self.site_hit else " (not reached)"),
            f"  final state: {self.state} (baseline: {self.baseline.state if self.baseline else '?'}),"
            f" attempts: {self.attempts}, virtual time: {self.virtual_time}, wall: {self.wall_time.total_seconds():.3f}s",
            "  violations:" if self.violations else "  violations: none from the harness",
            *(f"    - {v}" for v in self.violations),
        ]
        if self.run is not None:
            lines.append("  attempts:")
            for a in self.run.attempts:
                lines.append(
                    f"    #{a.attempt} {a.start:%H:%M:%S}-{a.end:%H:%M:%S} step={a.step or '-'} "
                    f"{'CRASH' if a.crashed else a.describe_error()}"
                    if a.end
                    else f"    #{a.attempt} (did not end)"
                )
        if self.run is not None and self.run.writes:
            counts = ", ".join(f"{b}={sum(v.values())}" for b, v in sorted(self.run.writes_by_object().items()))
            lines.append(f"  writes: {counts}")
        lines.append(f"  fault trace ({len(self.trace)}):")
        lines.extend(f"    {e}" for e in self.trace[:60])
        if len(self.trace) > 60:
            lines.append(f"    … {len(self.trace) - 60} more")
        if self.diff:
            lines.append("  world diff (baseline → this run):")
            lines.extend(f"    {d}" for d in self.diff[:40])
        if self.command:
            lines.append(f"  replay this case: {self.command}")
        if self.shrunk:
            lines.append(self.shrunk)
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "task": self.task_id,
            "seed": self.seed,
            "variant": self.variant,
            "combo": self.combo,
            "faulted": self.faulted,
            "site": self.site.to_dict() if self.site else None,
            "site_hit": self.site_hit,
            "pairs": len(self.pairs),
            "state": self.state,
            "attempts": self.attempts,
            "faults": self.faults_by_kind(),
            "crash_points": self.crash_points(),
            "violations": list(self.violations),
            "writes": {k: sum(v.values()) for k, v in self.run.writes_by_object().items()} if self.run else {},
            "virtual_seconds": self.virtual_time.total_seconds(),
            "wall_seconds": self.wall_time.total_seconds(),
        }


def _first_line(text: str, limit: int = 200) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _flatten(prefix: str, value: Any, out: dict[str, Any]) -> None:
    if isinstance(value, dict) and value:
        for k, v in value.items():
            _flatten(f"{prefix}.{k}" if prefix else str(k), v, out)
    elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        for i, v in enumerate(value):
            _flatten(f"{prefix}[{i}]", v, out)
    else:
        out[prefix] = value


def _flatten_diff(prefix: str, va: Any, vb: Any, a: dict[str, Any], b: dict[str, Any]) -> None:
    """:func:`_flatten` of ``va`` into ``a`` and of ``vb`` into ``b``, but only where they differ:
    equal subtrees (most of a world, compared by ``==`` at C speed) add no path, as they would add
    only equal ones."""
    if va == vb:
        return
    if isinstance(va, dict) and va and isinstance(vb, dict) and vb:
        for k in va.keys() | vb.keys():
            path = f"{prefix}.{k}" if prefix else str(k)
            if k not in vb:
                _flatten(path, va[k], a)
            elif k not in va:
                _flatten(path, vb[k], b)
            else:
                _flatten_diff(path, va[k], vb[k], a, b)
        return
    if _dict_list(va) and _dict_list(vb):
        for i in range(max(len(va), len(vb))):
            path = f"{prefix}[{i}]"
            if i >= len(vb):
                _flatten(path, va[i], a)
            elif i >= len(va):
                _flatten(path, vb[i], b)
            else:
                _flatten_diff(path, va[i], vb[i], a, b)
        return
    _flatten(prefix, va, a)
    _flatten(prefix, vb, b)


def _dict_list(value: Any) -> bool:
    """A list :func:`_flatten` walks into (a non-empty list of dicts)."""
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _ignored(path: str, ignore: Iterable[str]) -> bool:
    return any(path == p or path.startswith(p + ".") or path.startswith(p + "[") for p in ignore)


_SECRET_WORDS = ("password", "secret", "token", "key", "crt", "cert")


def _is_secret_path(path: str) -> bool:
    """Kubernetes Secret data, Key Vault values and credential fields: shown only as fingerprints."""
    if path.startswith("azure.keyvault:"):
        return True
    if "/Secret/" in path and (".data." in path or ".stringData." in path):
        return True
    last = path.rsplit(".", 1)[-1].lower()
    return any(w in last for w in _SECRET_WORDS)


def _show(value: Any, secret: bool) -> str:
    if value == "<absent>" or not secret:
        return json.dumps(value, default=str)[:200]
    digest = hashlib.sha256(json.dumps(value, default=str, sort_keys=True).encode()).hexdigest()[:12]
    return f"<secret sha256:{digest}>"


def with_concurrent_changes(state: dict[str, Any], changes: Iterable[tuple[tuple[str, ...], Any]]) -> dict[str, Any]:
    """``state`` as it should be had the other writers' changes (the ``conflict`` and
    ``concurrent_write`` faults) also been made: each change sets its field, where the object
    it touched (the first two path parts) exists. A run that lost such a change — a PUT of a
    stale read, a retry that re-sends what it read before the 409 — then differs from it.

    ``state`` is left as it was: only the dicts on a change's path are copied (the rest is shared
    with ``state``; a deep copy of the whole world per replay cost more than the diff itself)."""
    out = dict(state)
    owned: set[int] = {id(out)}  # dicts made here, changed in place; the others are state's

    def own(parent: dict[str, Any], key: str) -> dict[str, Any]:
        child = parent[key]
        if id(child) not in owned:
            child = parent[key] = dict(child)
            owned.add(id(child))
        return child  # type: ignore[no-any-return]

    for path, value in changes:
        top = out.get(path[0])
        if not isinstance(top, dict) or (len(path) > 2 and not isinstance(top.get(path[1]), dict)):
            continue
        node = own(out, path[0])
        for part in path[1:-1]:
            if isinstance(node.get(part), dict):
                node = own(node, part)
            else:
                node[part] = {}
                node = node[part]
                owned.add(id(node))
        node[path[-1]] = value
    return out


def kube_concurrent_changes(entries: Iterable[tuple[tuple[str, str, str | None, str], str, str]]) -> list[tuple[tuple[str, ...], Any]]:
    """FakeKube.concurrent_writes as paths into MimoWorld.state()."""
    return [
        (("kube", f"{av}/{kind}/{ns or '-'}/{name}", "metadata", "annotations", annotation), value)
        for (av, kind, ns, name), annotation, value in entries
    ]


def world_diff(before: dict[str, Any], after: dict[str, Any], ignore: Iterable[str] = ()) -> list[str]:
    """Differences between two world states as ``path: before → after`` lines.

    Secret values (Kubernetes Secret data, Key Vault secrets, password/key/token fields) never
    appear: they are shown as a short SHA-256 fingerprint, enough to see that they differ."""
    a: dict[str, Any] = {}
    b: dict[str, Any] = {}
    _flatten_diff("", before, after, a, b)
    ignore = tuple(ignore)
    lines = []
    for path in sorted(set(a) | set(b)):
        if _ignored(path, ignore):
            continue
        va, vb = a.get(path, "<absent>"), b.get(path, "<absent>")
        if va != vb:
            secret = _is_secret_path(path)
            lines.append(f"{path}: {_show(va, secret)} → {_show(vb, secret)}")
    return lines


_REGISTERED: tuple[tuple[Any, ...], dict[str, Any]] | None = None


def _registered_tasks() -> dict[str, Any]:
    """``mimo.tasks.load_tasks()``, loaded once per process while what it reads stays the same (the
    built-in tasks, the import path, the loader itself: a test may patch it): reading every
    installed distribution's entry points cost a few milliseconds per replay."""
    import importlib.metadata
    import sys

    import mimo.tasks
    from mimo.tasks import registry

    global _REGISTERED
    key = (mimo.tasks.load_tasks, registry.load_tasks, importlib.metadata.distributions, tuple(sys.path),
           tuple(mimo.tasks.DEFAULT_MAINTENANCE_TASKS.items()))
    if _REGISTERED is None or _REGISTERED[0] != key:
        _REGISTERED = (key, mimo.tasks.load_tasks())
    return _REGISTERED[1]


class Replayer:
    """Runs one task in a :class:`MimoWorld` through the real actuator, clean and under faults."""

    def __init__(
        self,
        world: MimoWorld,
        *,
        seed: int = 0,
        faulted: bool = True,
        rate: float = 0.2,
        site: FaultSite | None = None,
        site_picker: Callable[[list[FaultSite]], FaultSite | None] | None = None,
        extra_kinds: Sequence[FaultKind] = (),
        poll_interval: float = POLL_INTERVAL,
        lease_seconds: float = LEASE_SECONDS,
        max_passes: int = MAX_PASSES,
        tasks: dict[str, Any] | None = None,
        configure: Callable[[FaultInjector], None] | None = None,
        wall_budget: float = DEFAULT_WALL_BUDGET,
        invariants: Sequence[Invariant] = (),
        script: Sequence[ScheduledFault] | None = None,
        combo: Any = None,
        expect: Sequence[str] | None = None,
        expect_why: str = "",
        baseline_cache: BaselineCache | None = None,
        cache_scope: str = "",
    ) -> None:
        """``configure(injector)`` may add rules (``injector.inject(...)``) to the faulted run's plan.

        ``script``: the faulted run meets exactly these faults (a replay case, the shrinker), nothing
        drawn; ``combo``: a :class:`~pytest_mimo.combos.Combo` for the seeded plan; ``expect``: the
        final states the baseline must end in (a world variant's, :mod:`pytest_mimo.variants`),
        ``expect_why`` saying who expects it; ``baseline_cache``: a faulted replay takes its baseline from
        it when one was run from the same start (:mod:`pytest_mimo.baselines`; ``cache_scope``, the
        scenario, is part of the key) and :meth:`baseline` leaves its run there."""
        self.world = world
        self.configure = configure
        self.seed = seed
        self.faulted = faulted
        self.rate = rate
        self.site = site
        self.site_picker = site_picker
        self.extra_kinds = tuple(extra_kinds)
        self.poll_interval = poll_interval
        self.lease_seconds = lease_seconds
        self.max_passes = max_passes
        self._tasks = tasks
        self.wall_budget = wall_budget  #: real seconds the whole replay may take (0: no budget)
        self.invariants = list(invariants)  #: checked after every write (with the task module's own)
        self.script = list(script) if script is not None else None
        self.combo = combo
        self.expect = tuple(expect) if expect is not None else None
        self.expect_why = expect_why
        self.baseline_cache = baseline_cache
        self.cache_scope = cache_scope

    # -- resolving the task ---------------------------------------------------------------------
    def _resolve(self, task: str | Callable[..., None]) -> tuple[str, Callable[..., None]]:
        if isinstance(task, str):
            tasks = self._tasks if self._tasks is not None else _registered_tasks()
            if task not in tasks:
                raise KeyError(f"mimo_replay: task ID {task!r} is not registered")
            return task, tasks[task]
        task_id = getattr(task, "mimo_task_id", None) or f"00000000-0000-4000-8000-{derive_seed(task.__qualname__):012x}"
        return task_id, task

    # -- one run through the actuator -----------------------------------------------------------
    def run_once(
        self,
        label: str,
        task_id: str,
        fn: Callable[..., None],
        injector: FaultInjector,
        max_dequeues: int,
        watch: AttemptWatch | None = None,
        *,
        fresh_process: bool = True,
    ) -> RunResult:
        """One run of the task through the actuator until a final state. ``fresh_process``: the
        run starts as a new actuator process would, with empty client caches (credential, token,
        Key Vault challenge: the baseline's requests, and so its fault sites, are the faulted run's
        too); ``False`` keeps those of the run before, as one process running the task again does."""
        from mimo.actuator import Actuator

        world = self.world
        clock = world.clock
        old = world.faults
        world.faults = injector
        injector.attach(kube=world.kube, azure=world.azure)
        injector.watch = watch
        injector.world = world
        writes0, broken0 = len(world.writes), len(world.broken)
        kube_cw0 = len(getattr(world.kube, "concurrent_writes", ()))
        cw0 = len(injector.concurrent)
        if fresh_process:
            world.forget_client_caches()
        start = clock.now()
        attempts: list[AttemptRecord] = []
        sleeps0 = len(watch.sleeps) if watch is not None else 0

        def observed(tc: Any, manifest: MaintenanceManifest, cluster: Any) -> None:
            rec = AttemptRecord(attempt=manifest.dequeues, start=clock.now(), deadline=tc.deadline)
            attempts.append(rec)
            if watch is not None:
                watch.arm(manifest.dequeues, tc.deadline)
            injector.dead = ""  # a new attempt: a new process
            try:
                try:
                    fn(tc, manifest, cluster)
                finally:
                    if injector.dead:  # its process died at a write: what the task did after never happened
                        raise SimulatedCrash(injector.dead)
            except AttemptDeadline as e:
                # as a cancelled context would: the attempt ends here with a retryable error
                rec.overran = True
                rec.step = e.step or injector.step
                rec.error = TransientError(
                    f"task deadline exceeded in step {rec.step or '-'} (attempt stopped at its deadline by the harness)"
                )
                raise rec.error from None
            except SimulatedCrash:
                rec.crashed = True
                rec.step = injector.step
                raise
            except BaseException as e:
                rec.error = e
                rec.step = injector.step
                raise
            finally:
                if watch is not None:
                    watch.disarm()
                world.check_invariants()
                rec.end = clock.now()
                rec.step = rec.step or injector.step

        def host(owner: str) -> Actuator:
            """An actuator whose attempts hold a lease as production's do (the runtime's
            LeaseRenewer, renewed on demand by check_lease: no thread on a virtual clock)."""

            def context_factory(req: ContextRequest) -> Any:
                lease = LeaseRenewer(
                    world.store, req.manifest.id, owner, clock=clock, lease_seconds=self.lease_seconds,
                    generation=req.manifest.dequeues, expires=req.manifest.lease_expires,
                )
                return world.context_factory(dataclasses.replace(req, lease=lease))

            return Actuator(
                world.store,
                {task_id: observed},
                clock=clock,
                owner=owner,
                lease_seconds=self.lease_seconds,
                max_dequeues=max_dequeues,
                context_factory=context_factory,
                renew_leases=False,
            )

        def pause(index: int, step_key: str) -> None:
            """pause_past_lease: this host freezes past its lease; a second host takes the manifest
            over and runs an attempt (without faults); then this one resumes where it stopped."""
            paused, saved_step = injector.attempt, injector.step
            saved_watch = (watch.attempt, watch.deadline, watch.step) if watch is not None else None
            clock.advance(self.lease_seconds + self.poll_interval)
            injector.enabled = False
            try:
                host(REPLAY_OWNER + "-2").process(world.cluster_resource_id)
            finally:
                injector.enabled = True
                injector.attempt, injector.step = paused, saved_step
                if watch is not None and saved_watch is not None:
                    watch.attempt, watch.deadline, watch.step = saved_watch
            other = attempts[-1].attempt if attempts and attempts[-1].attempt != paused else None
            injector.resumed(
                paused,
                f"(paused after step #{index} {step_key} past its lease while "
                + (f"attempt {other} ran on another host)" if other else "another host took the manifest)"),
            )

        injector.pause = pause
        late0 = len(injector.late_writes)
        manifest = MaintenanceManifest.new(world.cluster_resource_id, task_id, now=int(clock.now().timestamp()))
        world.store.create_manifest(manifest)
        actuator = host(REPLAY_OWNER)
        finished = False
        aborted = ""
        try:
            for _ in range(self.max_passes):
                try:
                    actuator.process(world.cluster_resource_id)
                except SimulatedCrash:
                    clock.advance(self.lease_seconds)
                m = world.store.get_manifest(manifest.id)
                if m.is_final:
                    finished = True
                    break
                if any(a.overran for a in attempts):
                    break  # the verdict is in; more attempts would wait out their deadlines too
                clock.advance(self.poll_interval)
        except WallBudgetExceeded:
            aborted = (watch.exceeded if watch is not None else "") or f"step {injector.step or '-'}"
        finally:
            if watch is not None:
                watch.disarm()
            injector.watch = None
            injector.world = None
            injector.pause = None
            world.faults = old
            old.attach(kube=world.kube, azure=world.azure)
        final = world.store.get_manifest(manifest.id)
        return RunResult(
            label=label,
            state=final.state,
            status_text=final.status_text,
            dequeues=final.dequeues,
            attempts=attempts,
            world=world.state(),
            trace=list(injector.trace),
            requests=list(injector.requests_seen),
            steps=list(injector.steps_seen),
            virtual=clock.now() - start,
            finished=finished,
            sleeps=list(watch.sleeps[sleeps0:]) if watch is not None else [],
            aborted=aborted,
            writes=list(world.writes[writes0:]),
            broken=list(world.broken[broken0:]),
            late_writes=list(injector.late_writes[late0:]),
            schedule=list(injector.events),
            concurrent=[
                *injector.concurrent[cw0:],
                *kube_concurrent_changes(getattr(world.kube, "concurrent_writes", [])[kube_cw0:]),
            ],
        )

    # -- the replay -----------------------------------------------------------------------------
    def replay(
        self, task: str | Callable[..., None], *, ignore: Iterable[str] = (), max_dequeues: int = 5
    ) -> ReplayOutcome:
        task_id, fn = self._resolve(task)
        wall0 = time.perf_counter()
        with self._watched(fn) as watch:
            return self._replay(task_id, fn, tuple(ignore), max_dequeues, watch, wall0)

    def baseline(self, task: str | Callable[..., None], *, max_dequeues: int = 5) -> RunResult:
        """Only the clean baseline run, as :meth:`replay` runs it first (exhaustive exploration
        enumerates its fault sites from it: ``requests`` and ``steps``)."""
        task_id, fn = self._resolve(task)
        key = self._cache_key(task_id, fn, max_dequeues)
        with self._watched(fn) as watch:
            run = self.run_once("baseline", task_id, fn, FaultInjector(seed=self.seed), max_dequeues, watch)
        if key is not None and self.baseline_cache is not None:
            self.baseline_cache.put(key, run, self.world.snapshot())
        return run

    def _cache_key(self, task_id: str, fn: Callable[..., None], max_dequeues: int) -> str | None:
        if self.baseline_cache is None:
            return None
        return BaselineCache.key(self.cache_scope, f"{task_id} {fn.__module__}.{fn.__qualname__}", max_dequeues, self.world)

    @contextlib.contextmanager
    def _watched(self, fn: Callable[..., None]) -> Iterator[AttemptWatch]:
        """The attempt watch on the world's clock and the invariants checked, while runs go on."""
        world = self.world
        clock = world.clock
        watch = AttemptWatch(wall_budget=self.wall_budget)
        clock.guard = watch
        watch.start()
        saved = world.invariants
        world.invariants = unique([*saved, *self.invariants, *invariants_of(fn)])
        try:
            yield watch
        finally:
            watch.stop()
            clock.guard = None
            world.invariants = saved

    def _replay(
        self,
        task_id: str,
        fn: Callable[..., None],
        ignore: tuple[str, ...],
        max_dequeues: int,
        watch: AttemptWatch,
        wall0: float,
    ) -> ReplayOutcome:
        world = self.world
        snap = world.snapshot()

        # a faulted replay's baseline may come from the cache: the world is then where the
        # baseline started, as after a baseline run here and the restore below
        key = self._cache_key(task_id, fn, max_dequeues) if self.faulted else None
        cached = self.baseline_cache.get(key) if key is not None and self.baseline_cache is not None else None
        if cached is not None:
            baseline, after_baseline = cached.run, cached.after
            if baseline.stopped:
                world.restore(after_baseline)
        else:
            baseline = self.run_once("baseline", task_id, fn, FaultInjector(seed=self.seed), max_dequeues, watch)
            if key is not None and self.baseline_cache is not None:
                after_baseline = world.snapshot()
                self.baseline_cache.put(key, baseline, after_baseline)
        pairs = sites_from(baseline.requests, baseline.steps, self.extra_kinds)
        site = self.site
        if site is None and self.site_picker is not None and self.faulted:
            site = self.site_picker(pairs)

        violations: list[str] = []
        diff: list[str] = []
        run = baseline
        injector: FaultInjector | None = None
        if self.faulted and not baseline.stopped:
            if key is None:
                after_baseline = world.snapshot()
            world.restore(snap)
            injector = FaultInjector(
                seed=self.seed,
                rate=self.rate,
                crash_rate=self.rate / 2,
                extra_kinds=self.extra_kinds,
                clean_attempts=frozenset({max_dequeues}),
                target_site=site if self.script is None else None,
                script=self.script,
                combo=self.combo if self.script is None else None,
            )
            if self.configure is not None:
                self.configure(injector)
            run = self.run_once("faulted", task_id, fn, injector, max_dequeues, watch)

        violations += self._check_attempts(baseline, "baseline")
        if self.expect is not None and baseline.finished and baseline.state not in self.expect:
            errors = [a for a in baseline.attempts if a.error is not None]
            last_error = errors[-1].describe_error() if errors else ""
            violations.append(
                f"baseline ended {baseline.state} ({_first_line(baseline.status_text) or last_error or 'no status text'}) where "
                f"{self.expect_why or 'the scenario'} expects {' or '.join(self.expect)}"
            )
        if run is not baseline:
            violations += self._check_attempts(run, "faulted run")
            violations += self._check_terminal(baseline, run)
            if run.state != baseline.state and not self._same_terminal_failure(baseline, run, max_dequeues):
                violations.append(
                    f"final state {run.state} ({run.status_text or 'no status text'}) differs from the baseline's "
                    f"{baseline.state} ({baseline.status_text or 'no status text'})"
                )
            diff = world_diff(with_concurrent_changes(baseline.world, run.concurrent), run.world, ignore)
            if diff:
                violations.append(f"final world differs from the baseline's in {len(diff)} place(s): {diff[0]}")
            assert injector is not None
            for rule in injector.rules:
                if rule.fired == 0:
                    violations.append(
                        f"fault rule {rule.describe()} never fired: nothing the faulted run did matched it"
                    )
        if not baseline.finished and not baseline.stopped:
            violations.append(f"baseline did not reach a final state in {self.max_passes} actuator passes")

        # idempotence: one more clean run ends as the baseline did and changes nothing. After a
        # faulted run that already failed, it runs on the baseline's final world instead, so that
        # its verdict is about the task, not about the faulted run's damage.
        if not baseline.stopped and not run.stopped:
            if violations and run is not baseline:
                world.restore(after_baseline)
                before = world.state()
            else:  # the world as the last run left it, which its result already holds
                before = run.world
            # the process that ran the task runs it again: its credential, token and Key Vault
            # challenge are reused (a token past its expiry is fetched again by the credential)
            again = self.run_once("idempotence", task_id, fn, FaultInjector(seed=self.seed), max_dequeues, watch,
                                  fresh_process=False)
            violations += self._check_attempts(again, "idempotence run")
            if again.state != baseline.state and not again.aborted:
                violations.append(
                    f"idempotence run: one more clean run ended {again.state} "
                    f"({again.status_text or 'no status text'}) where the baseline ended {baseline.state}: "
                    "a task run again must end as its first run did"
                )
            if again.writes:
                violations.append(
                    f"not idempotent: one more clean run sent {len(again.writes)} write(s) that change something "
                    "(a run with nothing to do writes nothing; an ARM write is an operation on the resource even "
                    f"with the same body): {'; '.join(w.describe() for w in again.writes[:3])}"
                    + (f"; … {len(again.writes) - 3} more" if len(again.writes) > 3 else "")
                )
            idem = world_diff(before, again.world, ignore)
            if idem:
                violations.append(
                    f"not idempotent: one more clean run changed the world in {len(idem)} place(s): {idem[0]}"
                )
                diff = diff + [f"(idempotence) {d}" for d in idem]

        return ReplayOutcome(
            task_id=task_id,
            seed=self.seed,
            faulted=self.faulted,
            site=site,
            state=run.state,
            attempts=run.dequeues,
            trace=run.trace,
            virtual_time=run.virtual,
            wall_time=timedelta(seconds=time.perf_counter() - wall0),
            violations=violations,
            diff=diff,
            pairs=pairs,
            baseline=baseline,
            run=run,
        )

    # -- checks ---------------------------------------------------------------------------------
    def _check_attempts(self, run: RunResult, label: str) -> list[str]:
        out = []
        for a in run.attempts:
            minutes = round((a.deadline - a.start).total_seconds() / 60)
            if a.overran or (a.end is not None and a.end > a.deadline):
                out.append(
                    f"{label}: attempt {a.attempt} ran past its {minutes}-minute deadline in step {a.step or '-'} "
                    f"(stopped at {a.deadline:%H:%M:%S}, started {a.start:%H:%M:%S}): a step waited without a "
                    "timeout or slept past the task deadline"
                )
            if a.error is not None and not isinstance(a.error, (MIMOError, LeaseLost, WallBudgetExceeded)):
                out.append(
                    f"{label}: attempt {a.attempt}: step {a.step or '-'} let {a.describe_error()} escape unclassified "
                    "(raise mimo.TransientError or mimo.TerminalError)"
                )
        out.extend(f"{label}: {s.describe()}" for s in run.sleeps)
        out.extend(f"{label}: {w}" for w in run.late_writes)
        seen: set[str] = set()
        for b in run.broken:  # each invariant once per run: the first write that broke it
            name = b.split(" broken after ", 1)[0]
            if name not in seen:
                seen.add(name)
                out.append(f"{label}: {b}")
        if run.aborted:
            out.append(
                f"{label}: the replay used more than its wall-clock budget of {self.wall_budget:g}s of real time "
                f"({run.aborted}): a real sleep escaped the simulated clock (e.g. 'from time import sleep') or a "
                "loop spins without sleeping"
            )
        elif not run.finished and not run.stopped:
            out.append(f"{label}: no final state after {self.max_passes} actuator passes")
        return out

    @staticmethod
    def _same_terminal_failure(baseline: RunResult, run: RunResult, max_dequeues: int) -> bool:
        """A task that fails for good (baseline ``Failed`` on a TerminalError) but whose terminal
        error was masked by injected transient faults until its last allowed attempt ends
        ``RetriesExceeded`` by the actuator's rule 7 (error and dequeues >= max): the same verdict."""
        last = run.attempts[-1] if run.attempts else None
        return (
            baseline.state == "Failed"
            and run.state == "RetriesExceeded"
            and run.dequeues >= max_dequeues
            and last is not None
            and isinstance(last.error, TerminalError)
            and any(isinstance(a.error, TerminalError) for a in baseline.attempts)
        )

    @staticmethod
    def _check_terminal(baseline: RunResult, run: RunResult) -> list[str]:
        base_terminal = any(isinstance(a.error, TerminalError) for a in baseline.attempts)
        if base_terminal:
            return []
        out = []
        for a in run.attempts:
            if isinstance(a.error, TerminalError):
                out.append(
                    f"an injected transient fault turned terminal: attempt {a.attempt}, step {a.step or '-'} raised "
                    f"{a.describe_error()}"
                )
        return out
