"""Fault injection: which request or step boundary fails, how, and the trace of it.

A :class:`FaultInjector` is the ``fault_hook`` of both fakes and the step
observer of the task contexts it serves. It decides; the fakes play the
fault on their own wire (see :mod:`pytest_mimo.fakes.base`), and step
crashes are raised here as :class:`SimulatedCrash` — a ``BaseException``, so
no step and no actuator catches it, just as nothing catches a killed process.

Three sources of faults, checked in this order for every request:

1. a **burst** in progress (the same request failing again and again),
2. **rules** added with :meth:`FaultInjector.inject` or the ``mimo_faults`` marker,
3. the **targeted site** of a replay, and the seeded **background** rate.

Every random choice comes from ``random.Random(seed)``; the same seed and the
same task give the same trace.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from pytest_mimo.fakes.base import FakeRequest, FaultAction
from pytest_mimo.faultkinds import CRASH_WRITE_KINDS, KINDS, TARGET_NAMES, kinds_of, spec_of

__all__ = [
    "FaultInjector",
    "FaultRule",
    "FaultKind",
    "FaultSite",
    "ScheduledFault",
    "SimulatedCrash",
    "TraceEntry",
    "STEP_FAULT_KINDS",
    "TARGETS",
    "applicable_kinds",
    "AZURE_SDK_RETRY_TOTAL",
]

STEP_FAULT_KINDS = kinds_of("step")
#: target → kind names, from the one table (:data:`pytest_mimo.faultkinds.KINDS`)
TARGETS: dict[str, tuple[str, ...]] = {t: kinds_of(t, explore_only=True) for t in TARGET_NAMES}

#: azure-core's RetryPolicy ``retry_status``/``retry_read`` (3): a burst must be longer to reach the step
AZURE_SDK_RETRY_TOTAL = 3
#: the tag "another writer" sets on an Azure resource (``concurrent_write``)
CONCURRENT_WRITER_TAG = "pytest-mimo-concurrent-writer"
#: the cluster document field "another writer" sets (``concurrent_write`` on the store): ARO-RP's
#: ``properties.maintenanceState``, which the RP's admin update writes (pkg/api MaintenanceState)
CONCURRENT_WRITER_FIELD = ("openShiftCluster", "properties", "maintenanceState")
_MAINTENANCE_STATES = ("Planned", "Unplanned")


class SimulatedCrash(BaseException):  # noqa: N818 - it is not an error a step may handle
    """The process running the task 'died' here. Deliberately not an ``Exception``."""


@dataclass(frozen=True)
class FaultKind:
    """A fault kind added through ``pytest_mimo_fault_kinds``: played by the fake as ``plays_as``."""

    name: str
    target: str
    plays_as: str
    writes_only: bool = False


def _applies(applies: str, req: FakeRequest) -> bool:
    if applies == "any":
        return req.verb != "token"
    if applies == "write":
        return req.is_write and req.verb != "token"
    if applies == "update":
        return req.is_write and req.verb != "create"
    if applies == "arm_write":
        return req.is_write and req.method in ("PUT", "PATCH") and req.resource.startswith("/subscriptions/")
    if applies == "lro":
        return req.is_lro
    if applies == "token":
        return req.verb == "token"
    if applies == "patch":
        return req.verb == "patch"
    return False


def applicable_kinds(req: FakeRequest, extra: Sequence[FaultKind] = (), *, explore_only: bool = False) -> tuple[str, ...]:
    """The fault kinds that make sense for this request (empty for discovery), from the table;
    with ``explore_only`` also the crash kinds at a write (exhaustive exploration's)."""
    if req.verb in ("discovery", "version", "openapi") or req.backend not in KINDS or req.backend == "step":
        return ()
    kinds = tuple(
        k.name for k in KINDS[req.backend] if (explore_only or not k.explore_only) and _applies(k.applies, req)
    )
    for k in extra:
        if k.target == req.backend and (req.is_write or not k.writes_only):
            kinds += (k.name,)
    return kinds


def request_key(req: FakeRequest) -> tuple[str, str, str, str]:
    return (req.backend, req.method, req.verb, req.resource)


@dataclass(frozen=True)
class FaultSite:
    """Where a targeted fault lands: the n-th time a baseline request is made, or after step k."""

    target: str  #: kube, azure or step
    kind: str
    method: str = ""
    verb: str = ""
    resource: str = ""
    occurrence: int = 1  #: requests: 1-based count of this request in the run
    step_index: int = -1  #: steps: 0-based index of the step

    def describe(self) -> str:
        if self.target == "step":
            return f"{self.kind} after step #{self.step_index} ({self.resource})"
        return f"{self.kind} on {self.target} {self.method} {self.verb} {self.resource} (occurrence {self.occurrence})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "kind": self.kind,
            "method": self.method,
            "verb": self.verb,
            "resource": self.resource,
            "occurrence": self.occurrence,
            "step_index": self.step_index,
        }


@dataclass(frozen=True)
class ScheduledFault:
    """One fault as it fired, where it can fire again: the ``occurrence``-th time ``attempt`` made
    this request (for ``step``: after the step of index ``occurrence``). A list of them is an
    explicit fault schedule (``FaultInjector.script``): the shrinker's unit and a replay case's plan."""

    attempt: int
    target: str
    method: str
    verb: str
    resource: str
    occurrence: int
    kind: str
    retry_after: int = 1

    def key(self) -> tuple[int, str, str, str, str, int]:
        return (self.attempt, self.target, self.method, self.verb, self.resource, self.occurrence)

    def describe(self) -> str:
        if self.target == "step":
            return f"attempt {self.attempt}: {self.kind} after step #{self.occurrence} ({self.resource})"
        return (f"attempt {self.attempt}: {self.kind} on {self.target} {self.method} {self.verb} {self.resource} "
                f"(occurrence {self.occurrence} in the attempt)")

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ScheduledFault:
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"scheduled fault: unknown field {sorted(unknown)[0]!r}")
        for name, f in cls.__dataclass_fields__.items():
            want = int if f.type in ("int", int) else str
            if name not in data and name != "retry_after":
                raise ValueError(f"scheduled fault: field {name!r} is missing")
            if name in data and (type(data[name]) is not want):
                raise ValueError(f"scheduled fault: field {name!r} must be {want.__name__}, not {data[name]!r}")
        return cls(**data)


@dataclass
class FaultRule:
    """``inject(target, kind, match=…, times=…, rate=…)``: a standing instruction."""

    target: str
    kind: str
    match: Callable[[FakeRequest], bool] | None = None
    times: int | None = None
    rate: float | None = None
    fired: int = 0
    text: str = ""  #: how it was written, for reports

    def describe(self) -> str:
        return self.text or f"inject({self.target!r}, {self.kind!r})"

    def wants(self, req: FakeRequest, rng: random.Random) -> bool:
        if self.times is not None and self.fired >= self.times:
            return False
        if self.match is not None and not self.match(req):
            return False
        return not (self.rate is not None and rng.random() >= self.rate)


@dataclass(frozen=True)
class TraceEntry:
    time: str
    attempt: int
    step: str
    target: str
    request: str
    kind: str
    source: str  #: rule, targeted, background, burst

    def __str__(self) -> str:
        return f"{self.time} attempt={self.attempt} step={self.step or '-'} {self.target} {self.request}: {self.kind} [{self.source}]"

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _matcher(match: str | Callable[[FakeRequest], bool] | None) -> Callable[[FakeRequest], bool] | None:
    if match is None or callable(match):
        return match
    rx = re.compile(match)
    return lambda r: bool(rx.search(f"{r.method} {r.path}") or rx.search(r.resource) or rx.search(r.verb))


@dataclass
class _Burst:
    kind: str
    remaining: int
    source: str


@dataclass
class FaultInjector:
    """Decides faults for both fakes and between steps; records every one in ``trace``."""

    seed: int = 0
    rate: float = 0.0  #: background rate per request (0 = none)
    kinds: tuple[str, ...] | None = None  #: background kinds allowed (None = all transient kinds)
    crash_rate: float = 0.0  #: background chance of a crash after each step
    burst_chance: float = 0.25  #: share of background faults that come as bursts
    extra_kinds: tuple[FaultKind, ...] = ()
    clean_attempts: frozenset[int] = frozenset()  #: attempts that get no fault at all
    target_site: FaultSite | None = None
    #: an explicit schedule: exactly these faults, nothing drawn (None: the seeded plan)
    script: Sequence[ScheduledFault] | None = None
    #: a combination (pytest_mimo.combos.Combo): after its first fault, its follow-up
    combo: Any = None
    trace: list[TraceEntry] = field(default_factory=list)
    rules: list[FaultRule] = field(default_factory=list)
    attempt: int = 1
    step: str = ""
    enabled: bool = True

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        #: the replay's attempt watch (pytest_mimo.attempts.AttemptWatch) while one runs
        self.watch: Any = None
        #: the world this injector serves in a replay: told of writes, asked to check invariants
        self.world: Any = None
        self._bursts: dict[tuple[str, str, str, str], _Burst] = {}
        self._counts: dict[tuple[str, str, str, str], int] = {}
        self.requests_seen: list[FakeRequest] = []
        self.steps_seen: list[tuple[int, str]] = []
        self.target_hit = False
        self._kube: Any = None
        self._azure: Any = None
        self._concurrent = 0
        #: what "other writers" changed (``concurrent_write``): (path into MimoWorld.state(), value)
        self.concurrent: list[tuple[tuple[str, ...], Any]] = []
        #: the replay's pause_past_lease player: ``pause(index, step_key)`` (None: not in a replay)
        self.pause: Callable[[int, str], None] | None = None
        self._resumed: dict[int, str] = {}
        #: writes sent by an attempt after it resumed from a pause past its lease
        self.late_writes: list[str] = []
        #: every fault that fired, as a schedule entry (what ``script`` replays)
        self.events: list[ScheduledFault] = []
        self._script = {f.key(): f for f in self.script} if self.script is not None else None
        self._per_attempt: dict[tuple[int, tuple[str, str, str, str]], int] = {}
        self._where: tuple[int, str, str, str, str, int] = (0, "", "", "", "", 0)
        self._retry = 1
        #: the combination's follow-up, once its first fault fired: (what, attempt)
        self._follow: tuple[str, int] | None = None
        #: set when a crash_before_write / crash_after_write fired: the attempt's process is dead
        #: (the replay clears it when the next attempt starts); what it names goes into the crash
        self.dead = ""
        for k in self.kinds or ():
            if not any(k in v for v in TARGETS.values()) and k not in {x.name for x in self.extra_kinds}:
                raise ValueError(f"mimo_faults: unknown fault kind {k!r}")

    # -- public API --------------------------------------------------------------------------
    def inject(
        self,
        target: str,
        kind: str,
        *,
        match: str | Callable[[FakeRequest], bool] | None = None,
        times: int | None = None,
        rate: float | None = None,
    ) -> FaultRule:
        """Fail matching ``target`` requests (``kube``/``azure``) or step boundaries (``step``) with ``kind``.

        ``match`` is a regex searched in ``"<METHOD> <path>"``, the resource and the verb, or a
        predicate on the :class:`~pytest_mimo.fakes.base.FakeRequest` (for ``step``: a regex on the
        step key such as ``action.rotate``). ``times`` caps how often it fires; ``rate`` is a chance
        per matching request, drawn from the injector's seed.
        """
        known = TARGETS.get(target)
        if known is None:
            raise ValueError(f"mimo_faults.inject: unknown target {target!r} (kube, azure, step)")
        extra = {k.name for k in self.extra_kinds if k.target == target}
        if kind not in known and kind not in extra:
            raise ValueError(
                f"mimo_faults.inject: {kind!r} is not a {target} fault kind ({', '.join(known + tuple(sorted(extra)))})"
            )
        if rate is not None and not 0 <= rate <= 1:
            raise ValueError(f"mimo_faults.inject: rate {rate!r} must be between 0 and 1")
        args = [repr(target), repr(kind)]
        if match is not None:
            args.append(f"match={match!r}" if isinstance(match, str) else f"match={getattr(match, '__name__', 'predicate')}")
        args += [f"{k}={v!r}" for k, v in (("times", times), ("rate", rate)) if v is not None]
        text = f"inject({', '.join(args)})"
        if target == "step" and isinstance(match, str):
            rx = re.compile(match)
            rule = FaultRule(target, kind, lambda r: bool(rx.search(r.resource)), times, rate, text=text)
        else:
            rule = FaultRule(target, kind, _matcher(match), times, rate, text=text)
        self.rules.append(rule)
        return rule

    def attach(self, kube: Any = None, azure: Any = None) -> FaultInjector:
        """Become the ``fault_hook`` of the given fakes."""
        if kube is not None:
            kube.fault_hook = self.hook
            self._kube = kube
        if azure is not None:
            azure.fault_hook = self.hook
            self._azure = azure
        return self

    def kinds_injected(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for e in self.trace:
            out[e.kind] = out.get(e.kind, 0) + 1
        return out

    def reset_run(self, *, attempt: int = 1) -> None:
        """Forget per-run counters (a new run of the task starts)."""
        self._bursts.clear()
        self._counts.clear()
        self._per_attempt.clear()
        self._follow = None
        self.attempt = attempt
        self.step = ""

    # -- the fakes' hook ---------------------------------------------------------------------
    def hook(self, req: FakeRequest) -> FaultAction | None:
        if self.watch is not None:
            self.watch.check_wall()
        world = self.world
        if world is not None:
            world.check_invariants()
            if req.is_write and req.backend == "azure":
                world.request_written(req)
        if self.dead:
            return self._after_death(req)
        if self._resumed:
            self._late_write(req)
        kinds = applicable_kinds(req, self.extra_kinds)
        key = request_key(req)
        if kinds:
            self.requests_seen.append(req)
            self._counts[key] = self._counts.get(key, 0) + 1
            n = self._per_attempt[(self.attempt, key)] = self._per_attempt.get((self.attempt, key), 0) + 1
            self._where = (self.attempt, *key, n)
        if not kinds or not self.enabled or self.attempt in self.clean_attempts:
            return None
        kind, source = self._decide(req, key, kinds)
        if kind is None:
            return None
        return self._play(req, kind, source)

    def _decide(self, req: FakeRequest, key: tuple[str, str, str, str], kinds: tuple[str, ...]) -> tuple[str | None, str]:
        if self._script is not None:
            planned = self._script.get(self._where)
            if planned is None or planned.kind not in kinds:
                return None, ""
            self._retry = planned.retry_after
            return planned.kind, "script"
        kind, source = self._draw(req, key, kinds)
        if self.combo is not None:
            follow = self._follow
            if follow is not None and follow[0] == "burst" and follow[1] == self.attempt and kind is None:
                self._follow = ("done", self.attempt)
                kind = self.combo.then
                if kind in kinds:
                    self._start_burst(req, key, kind, "combo")
                    return kind, "combo"
                kind = None
            elif follow is None and kind == self.combo.first:
                self._follow = (self.combo.follow, self.attempt)
        return kind, source

    def _draw(self, req: FakeRequest, key: tuple[str, str, str, str], kinds: tuple[str, ...]) -> tuple[str | None, str]:
        burst = self._bursts.get(key)
        if burst is not None:
            burst.remaining -= 1
            if burst.remaining <= 0:
                del self._bursts[key]
            return burst.kind, "burst"
        for rule in self.rules:
            if rule.target == req.backend and (
                rule.kind in kinds or rule.kind in applicable_kinds(req, self.extra_kinds, explore_only=True)
            ) and rule.wants(req, self.rng):
                rule.fired += 1
                return rule.kind, "rule"
        site = self.target_site
        if (
            site is not None
            and not self.target_hit
            and site.target == req.backend
            and (site.method, site.verb, site.resource) == key[1:]
            and self._counts[key] == site.occurrence
            and site.kind in applicable_kinds(req, self.extra_kinds, explore_only=True)
        ):
            self.target_hit = True
            self._start_burst(req, key, site.kind, "targeted")
            return site.kind, "targeted"
        if self.rate > 0 and self.rng.random() < self.rate:
            allowed = [k for k in kinds if self.kinds is None or k in self.kinds]
            if allowed:
                kind = self.rng.choice(allowed)
                if self.rng.random() < self.burst_chance:
                    self._start_burst(req, key, kind, "background")
                return kind, "background"
        return None, ""

    def _start_burst(self, req: FakeRequest, key: tuple[str, str, str, str], kind: str, source: str) -> None:
        # A fault the client retries by itself (the Azure SDK on 429/5xx and dropped connections)
        # must outlast those retries: the table gives each kind's length in a row.
        spec = spec_of(req.backend, kind)
        length = spec.burst if spec is not None else 1
        if length > 1:
            self._bursts[key] = _Burst(kind, length - 1, "burst")

    def _play(self, req: FakeRequest, kind: str, source: str) -> FaultAction | None:
        if kind in CRASH_WRITE_KINDS:
            return self._crash_at(req, kind, source)
        if kind == "concurrent_write":
            if req.backend == "store":  # played by patch_cluster, in the store's own retry loop
                self._record(req.backend, f"{req.method} {req.path}", kind, source)
                return FaultAction(kind)
            if req.backend == "azure" and self._azure_concurrent_write(req.resource):
                self._record(req.backend, f"{req.method} {req.path}", kind, source)
            return None  # the request itself is served as sent
        plays_as = kind
        for k in self.extra_kinds:
            if k.name == kind:
                plays_as = k.plays_as
        if source != "script":
            self._retry = self.rng.randint(1, 5) if plays_as == "throttle" else 1
        retry_after = self._retry
        self._record(req.backend, f"{req.method} {req.path}", kind, source)
        return FaultAction(plays_as, retry_after=retry_after)

    def _crash_at(self, req: FakeRequest, kind: str, source: str) -> FaultAction | None:
        """The process dies before (nothing applied) or after (applied) this write.

        Azure requests and the store patch run in the task's own thread: a crash before the
        write is raised right here. A Kubernetes request is served by the fake's server thread,
        so the dying process is played on the wire (the connection drops, with or without the
        write applied) and the task's thread dies at its next request, step boundary or the end
        of the attempt (``dead``: see :meth:`_after_death` and the replay's attempt wrapper)."""
        self._record(req.backend, f"{req.method} {req.path}", kind, source)
        self.dead = f"simulated crash {'before' if kind == 'crash_before_write' else 'after'} {req.method} {req.path}"
        if kind == "crash_before_write":
            if req.backend == "kube":
                return FaultAction("connection_reset")
            raise SimulatedCrash(self.dead)
        return FaultAction("lost_response" if req.backend != "store" else kind)

    def _after_death(self, req: FakeRequest) -> FaultAction | None:
        """A request of a process that died: never sent. In the task's thread the process stops
        here; a Kubernetes request (on the server's thread) finds the connection gone."""
        if req.backend == "kube":
            return FaultAction("connection_reset")
        raise SimulatedCrash(self.dead)

    def _azure_concurrent_write(self, resource_id: str) -> bool:
        """Another writer PUTs the resource first, adding a tag (the fake gives it a new etag)."""
        azure = self._azure
        body = azure.get_resource(resource_id) if azure is not None else None
        if body is None or not isinstance(body, dict):
            return False
        self._concurrent += 1
        value = str(self._concurrent)
        body["tags"] = {**(body.get("tags") or {}), CONCURRENT_WRITER_TAG: value}
        azure.put_resource(resource_id, body)
        self.concurrent.append((("azure", resource_id.lower(), "tags", CONCURRENT_WRITER_TAG), value))
        return True

    def _record(self, target: str, request: str, kind: str, source: str) -> None:
        from time import time

        when = datetime.fromtimestamp(time(), tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.trace.append(TraceEntry(when, self.attempt, self.step, target, request, kind, source))
        self.events.append(ScheduledFault(*self._where, kind=kind, retry_after=self._retry if target != "step" else 1))

    # -- the cluster document in the store (FakeTaskContext.patch_openshift_cluster_document) ---
    def patch_cluster(self, store: Any, resource_id: str, mutator: Callable[[Any], None]) -> Any:
        """Patch the cluster document in ``store``, as seen by the world (a write when it changed).

        A ``concurrent_write`` here is another writer patching the document between this
        patch's read and its conditional write: the store's optimistic-concurrency path then
        reads the document again and runs ``mutator`` on the fresh copy."""
        req = FakeRequest("store", "PATCH", f"clusters/{resource_id}", "patch", f"clusters/{resource_id.lower()}", True)
        action = self.hook(req)
        try:
            before = store.get_cluster(resource_id).to_dict()
        except Exception:
            before = None
        if action is not None and action.kind == "concurrent_write":
            mutator = self._racing(store, resource_id, mutator)
        doc = store.patch_cluster(resource_id, mutator)
        world = self.world
        if world is not None and doc.to_dict() != before:
            world.record_write("store", f"patch of the cluster document {resource_id}", "cluster")
            world.check_invariants()
        if action is not None and action.kind == "crash_after_write":
            raise SimulatedCrash(self.dead)
        return doc

    def _racing(self, store: Any, resource_id: str, mutator: Callable[[Any], None]) -> Callable[[Any], None]:
        raced = [False]

        def other_writer(doc: Any) -> None:
            state = doc.properties.extra.get("maintenanceState")
            value = _MAINTENANCE_STATES[1] if state == _MAINTENANCE_STATES[0] else _MAINTENANCE_STATES[0]
            doc.properties.extra["maintenanceState"] = value
            self.concurrent.append((("cluster", *CONCURRENT_WRITER_FIELD), value))

        def racing(doc: Any) -> None:
            mutator(doc)
            if not raced[0]:  # between this read and the conditional write, once
                raced[0] = True
                store.patch_cluster(resource_id, other_writer)

        return racing

    # -- the step observer (mimo.runner.StepObserver) ----------------------------------------
    def step_started(self, index: int, step: Any) -> None:
        if self.dead:
            raise SimulatedCrash(self.dead)
        self.step = step.key
        if self.watch is not None:
            self.watch.step = step.key
            self.watch.check_wall()

    def step_finished(self, index: int, step: Any, error: BaseException | None) -> None:
        if self.dead:  # the step went on after its process died: none of that happened
            raise SimulatedCrash(self.dead)
        if error is not None:
            return
        self.steps_seen.append((index, step.key))
        if not self.enabled or self.attempt in self.clean_attempts:
            return
        req = FakeRequest("step", "", step.key, "step", step.key, False)
        kind, source = "", ""
        self._where = (self.attempt, "step", "", "step", step.key, index)
        if self._script is not None:
            planned = self._script.get(self._where)
            if planned is not None and planned.kind in STEP_FAULT_KINDS:
                kind, source = planned.kind, "script"
            self._play_step(index, step.key, kind, source)
            return
        follow = self._follow
        if self.combo is not None and follow is not None and follow == ("crash", self.attempt):
            self._follow = ("done", self.attempt)
            kind, source = self.combo.then, "combo"
        for rule in self.rules if not kind else ():
            if rule.target == "step" and rule.wants(req, self.rng):
                rule.fired += 1
                kind, source = rule.kind, "rule"
                break
        site = self.target_site
        if not kind and site is not None and site.target == "step" and not self.target_hit and site.step_index == index:
            self.target_hit = True
            kind, source = site.kind, "targeted"
        if (
            not kind
            and self.crash_rate > 0
            and (self.kinds is None or "crash_after_step" in self.kinds)
            and self.rng.random() < self.crash_rate
        ):
            kind, source = "crash_after_step", "background"
        if self.combo is not None and self._follow is None and kind == self.combo.first:
            self._follow = (self.combo.follow, self.attempt)
        self._play_step(index, step.key, kind, source)

    def _play_step(self, index: int, key: str, kind: str, source: str) -> None:
        if not kind:
            return
        self._record("step", f"after step #{index} {key}", kind, source)
        if kind == "pause_past_lease":
            if self.pause is not None:  # a replay plays it: another host runs the manifest meanwhile
                self.pause(index, key)
            return
        raise SimulatedCrash(f"simulated crash after step #{index} {key}")

    def resumed(self, attempt: int, what: str) -> None:
        """Attempt ``attempt`` resumed after a pause past its lease: from now on it may send no write."""
        self._resumed[attempt] = what

    def _late_write(self, req: FakeRequest) -> None:
        what = self._resumed.get(self.attempt)
        if what is not None and req.is_write:
            self.late_writes.append(
                f"attempt {self.attempt} {what}, then sent {req.backend} {req.method} {req.path} (step "
                f"{self.step or '-'}): a host that lost its lease may not write (the two hosts both wrote)"
            )


def sites_from(requests: Iterable[FakeRequest], steps: Iterable[tuple[int, str]],
               extra: Sequence[FaultKind] = (), max_occurrences: int = 2, *,
               explore_only: bool = False) -> list[FaultSite]:
    """Every (site × applicable kind) pair of a baseline run, in a stable order.

    A request repeated many times (a condition polling) gives at most
    ``max_occurrences`` sites; each step that completed gives a crash site. With
    ``explore_only`` each write also gives a crash before it and one after it.
    """
    counts: dict[tuple[str, str, str, str], int] = {}
    out: list[FaultSite] = []
    seen: set[FaultSite] = set()
    for req in requests:
        kinds = applicable_kinds(req, extra, explore_only=explore_only)
        if not kinds:
            continue
        key = request_key(req)
        counts[key] = counts.get(key, 0) + 1
        if counts[key] > max_occurrences:
            continue
        for kind in kinds:
            site = FaultSite(req.backend, kind, req.method, req.verb, req.resource, counts[key])
            if site not in seen:
                seen.add(site)
                out.append(site)
    for index, step_key in sorted(set(steps)):
        for kind in STEP_FAULT_KINDS:
            site = FaultSite("step", kind, resource=step_key, step_index=index)
            if site not in seen:
                seen.add(site)
                out.append(site)
    return out
