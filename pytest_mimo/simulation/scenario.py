"""Simulation scenarios: the TOML schema, parsed and validated.

A scenario file has five tables (``simulations/README.md`` documents each
field with examples)::

    name = "..."                      # optional, shown in the report
    seed = 0                          # optional; --seed overrides it
    [fleet]     clusters, subscriptions, and the mix of cluster properties (shares)
    [[schedules]]  task, calendar, selectors, lookForwardCount, scheduleAcross
    [faults]    background rates by kind; [[faults.incidents]] time windows
    [run]       duration, start, workers, poll and scheduler intervals
    [expect]    what must hold at the end

Every problem is a :class:`ScenarioError` (a ``ValueError``) whose message
names the field, e.g. ``schedules[1].calendar: ...`` or
``fleet.outbound_type: shares must add up to 1 (they add up to 0.9)``.
Unknown keys are refused (a typo in an expectation must not pass silently).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from mimo import const, inputs
from mimo.api import SUBSCRIPTION_STATES, is_uuid
from pytest_mimo.faultkinds import kinds_of

__all__ = [
    "EXPECTATIONS",
    "DEFAULT_SCENARIO",
    "EMBEDDED_SOURCE",
    "Expectation",
    "FaultProfile",
    "FleetSpec",
    "Incident",
    "RunSpec",
    "Scenario",
    "ScenarioError",
    "ScheduleSpec",
    "format_span",
    "load_scenario",
    "parse_scenario",
    "parse_span",
]

#: the scenario ``mimo simulate`` runs when no file is given (package data)
DEFAULT_SCENARIO = Path(__file__).with_name("default.toml")
#: the ``source`` of the default scenario (``mimo simulate`` with no file)
EMBEDDED_SOURCE = "default.toml (embedded)"


class ScenarioError(ValueError):
    """A scenario that does not validate; the message names the field (and the file)."""


# -- spans ("21d", "1d12h", "90s") ------------------------------------------------------------

_SPAN_UNITS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}
_SPAN_PART = re.compile(r"(\d+(?:\.\d+)?)(w|d|h|m|s)")


def parse_span(text: Any, where: str) -> timedelta:
    """``21d``, ``1d12h``, ``90m``, ``45s`` (or a number of seconds) → ``timedelta``."""
    if isinstance(text, bool):
        raise ScenarioError(f"{where}: expected a duration such as 21d, 6h, 90s, got {text!r}")
    if isinstance(text, (int, float)):
        if text < 0:
            raise ScenarioError(f"{where}: must not be negative, got {text!r}")
        return timedelta(seconds=float(text))
    if not isinstance(text, str) or not text.strip():
        raise ScenarioError(f"{where}: expected a duration such as 21d, 6h, 90s, got {text!r}")
    s = text.strip()
    pos, total = 0, 0.0
    for m in _SPAN_PART.finditer(s):
        if m.start() != pos:
            break
        total += float(m.group(1)) * _SPAN_UNITS[m.group(2)]
        pos = m.end()
    if pos != len(s) or pos == 0:
        raise ScenarioError(f"{where}: {text!r} is not a duration such as 21d, 1d12h, 90m, 45s")
    return timedelta(seconds=total)


def format_span(seconds: float) -> str:
    """``93784`` → ``1d2h3m4s``; sub-second values keep one decimal (``0.5s``)."""
    if seconds < 60 and seconds != int(seconds):
        return f"{seconds:.1f}s"
    s = int(round(seconds))
    if s == 0:
        return "0s"
    out = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        n, s = divmod(s, size)
        if n:
            out.append(f"{n}{unit}")
    return "".join(out)


def _parse_instant(value: Any, where: str) -> datetime:
    if isinstance(value, datetime):
        t = value
    elif isinstance(value, str):
        try:
            t = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise ScenarioError(f"{where}: {value!r} is not a time such as 2026-01-05T00:00:00Z") from None
    else:
        raise ScenarioError(f"{where}: expected a time such as 2026-01-05T00:00:00Z, got {value!r}")
    if t.tzinfo is None:
        t = t.replace(tzinfo=timezone.utc)
    return t.astimezone(timezone.utc)


def _offset_or_instant(value: Any, where: str, start: datetime) -> timedelta:
    """An incident bound: relative (``3d``, ``3d6h``) or absolute (RFC 3339); → offset from the start."""
    if isinstance(value, str) and _SPAN_PART.match(value.strip()) and "-" not in value and ":" not in value:
        return parse_span(value, where)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return parse_span(value, where)
    return _parse_instant(value, where) - start


# -- small readers that name the field ---------------------------------------------------------


def _table(d: Mapping[str, Any], key: str, where: str) -> dict[str, Any]:
    v = d.get(key, {})
    if not isinstance(v, Mapping):
        raise ScenarioError(f"{where}{key}: must be a table")
    return dict(v)


def _no_unknown(d: Mapping[str, Any], known: set[str] | frozenset[str], where: str) -> None:
    extra = sorted(set(d) - set(known))
    if extra:
        raise ScenarioError(f"{where}{extra[0]}: unknown field (known: {', '.join(sorted(known))})")


def _int(d: Mapping[str, Any], key: str, where: str, default: int, *, minimum: int = 0) -> int:
    v = d.get(key, default)
    if isinstance(v, bool) or not isinstance(v, int):
        raise ScenarioError(f"{where}{key}: must be an integer, got {v!r}")
    if v < minimum:
        raise ScenarioError(f"{where}{key}: must be at least {minimum}, got {v}")
    return v


def _share(v: Any, where: str) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v <= 1:
        raise ScenarioError(f"{where}: must be a number between 0 and 1, got {v!r}")
    return float(v)


def _str(d: Mapping[str, Any], key: str, where: str, default: str | None = None) -> str:
    v = d.get(key, default)
    if not isinstance(v, str) or not v.strip():
        raise ScenarioError(f"{where}{key}: must be a non-empty string, got {v!r}")
    return v


def _mix(d: Mapping[str, Any], key: str, where: str, default: dict[str, float],
         allowed: tuple[str, ...] | None = None) -> dict[str, float]:
    raw = d.get(key)
    if raw is None:
        return dict(default)
    name = f"{where}{key}"
    if isinstance(raw, str):  # a single value: the whole fleet
        raw = {raw: 1.0}
    if not isinstance(raw, Mapping) or not raw:
        raise ScenarioError(f"{name}: must be a table of value = share, e.g. {{ Loadbalancer = 0.8, UserDefinedRouting = 0.2 }}")
    out: dict[str, float] = {}
    for k, v in raw.items():
        if allowed is not None and str(k) not in allowed:
            raise ScenarioError(f"{name}.{k}: unknown value (known: {', '.join(allowed)})")
        out[str(k)] = _share(v, f"{name}.{k}")
    total = sum(out.values())
    if abs(total - 1.0) > 1e-6:
        raise ScenarioError(f"{name}: shares must add up to 1 (they add up to {total:g})")
    return out


# -- the parts ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FleetSpec:
    """How many clusters, over how many subscriptions, and the mix of their properties.

    Mixes are shares (value → share, adding up to 1). Counts are apportioned
    exactly (largest remainder) and shuffled over the fleet by the seed.
    """

    clusters: int = 30
    subscriptions: int = 3
    architecture_version: dict[str, float] = field(default_factory=lambda: {"2": 1.0})
    outbound_type: dict[str, float] = field(default_factory=lambda: {"Loadbalancer": 1.0})
    api_server_visibility: dict[str, float] = field(default_factory=lambda: {"Public": 1.0})
    provisioning_state: dict[str, float] = field(default_factory=lambda: {"Succeeded": 1.0})
    #: per subscription, not per cluster
    subscription_state: dict[str, float] = field(default_factory=lambda: {"Registered": 1.0})
    #: share of clusters on a managed domain (<name>.<region>.aroapp.io); the rest use a custom domain
    managed_domain: float = 1.0
    #: ACR token age at the start, drawn uniformly in [min, max] days (past 140 the checker fails)
    acr_token_age_days: tuple[float, float] = (1.0, 100.0)
    #: share of clusters whose kube-apiserver is stuck Progressing (tasks that check it never pass)
    unhealthy_apiserver: float = 0.0
    #: virtual seconds the simulated deployment controller takes to roll out the ARO operator
    rollout_seconds: float = 150.0

    KEYS = frozenset({
        "clusters", "subscriptions", "architecture_version", "outbound_type", "api_server_visibility",
        "provisioning_state", "subscription_state", "managed_domain", "acr_token_age_days",
        "unhealthy_apiserver", "rollout_seconds",
    })

    @classmethod
    def parse(cls, d: Mapping[str, Any]) -> FleetSpec:
        w = "fleet."
        _no_unknown(d, cls.KEYS, w)
        clusters = _int(d, "clusters", w, 30, minimum=1)
        subs = _int(d, "subscriptions", w, min(3, clusters), minimum=1)
        if subs > clusters:
            raise ScenarioError(f"fleet.subscriptions: {subs} subscriptions for {clusters} clusters (at most one per cluster)")
        age = d.get("acr_token_age_days", [1, 100])
        if (not isinstance(age, list) or len(age) != 2
                or not all(isinstance(a, (int, float)) and not isinstance(a, bool) and a >= 0 for a in age)
                or age[0] > age[1]):
            raise ScenarioError(f"fleet.acr_token_age_days: must be [min, max] days with 0 <= min <= max, got {age!r}")
        rollout = d.get("rollout_seconds", 150.0)
        if isinstance(rollout, bool) or not isinstance(rollout, (int, float)) or rollout < 0:
            raise ScenarioError(f"fleet.rollout_seconds: must be a number of seconds >= 0, got {rollout!r}")
        return cls(
            clusters=clusters,
            subscriptions=subs,
            architecture_version=_mix(d, "architecture_version", w, {"2": 1.0}, ("1", "2")),
            outbound_type=_mix(d, "outbound_type", w, {"Loadbalancer": 1.0}, ("Loadbalancer", "UserDefinedRouting")),
            api_server_visibility=_mix(d, "api_server_visibility", w, {"Public": 1.0}, ("Public", "Private")),
            provisioning_state=_mix(d, "provisioning_state", w, {"Succeeded": 1.0},
                                    ("Succeeded", "Failed", "Creating", "Updating", "AdminUpdating", "Deleting")),
            subscription_state=_mix(d, "subscription_state", w, {"Registered": 1.0},
                                    ("Registered", "Warned", "Suspended", "Unregistered", "Deleted")),
            managed_domain=_share(d.get("managed_domain", 1.0), "fleet.managed_domain"),
            acr_token_age_days=(float(age[0]), float(age[1])),
            unhealthy_apiserver=_share(d.get("unhealthy_apiserver", 0.0), "fleet.unhealthy_apiserver"),
            rollout_seconds=float(rollout),
        )


TASK_NAMES: dict[str, str] = {v: k for k, v in const.ALL_TASK_IDS.items()}


def task_name(task_id: str) -> str:
    """``9b741734-…`` → ``TLS_CERT_ROTATION_ID`` (the ID itself when it has no constant)."""
    return TASK_NAMES.get(task_id, task_id)


@dataclass(frozen=True)
class ScheduleSpec:
    name: str
    task_id: str
    calendar: str
    selectors: list[dict[str, Any]]
    look_forward_count: int = 1
    schedule_across: str = "0s"

    KEYS = frozenset({"name", "task", "calendar", "selectors", "lookForwardCount", "scheduleAcross"})

    @classmethod
    def parse(cls, d: Any, index: int, tasks: Mapping[str, Any]) -> ScheduleSpec:
        w = f"schedules[{index}]."
        if not isinstance(d, Mapping):
            raise ScenarioError(f"schedules[{index}]: must be a table ([[schedules]])")
        _no_unknown(d, cls.KEYS, w)
        task = _str(d, "task", w)
        task_id = const.ALL_TASK_IDS.get(task, task).strip().lower()
        if not is_uuid(task_id):
            raise ScenarioError(f"{w}task: {task!r} is neither a task constant (e.g. TLS_CERT_ROTATION_ID) nor a UUID")
        task_id = task_id.lower()
        if task_id not in tasks:
            raise ScenarioError(f"{w}task: {task} is not a built-in task (built-in: "
                                f"{', '.join(sorted(task_name(t) for t in tasks))})")
        calendar = _str(d, "calendar", w)
        from mimo.scheduler.calendar import Calendar

        try:
            Calendar.parse(calendar)
        except ValueError as e:
            raise ScenarioError(f"{w}calendar: {e}") from None
        selectors = d.get("selectors", [{"key": "provisioningState", "operator": "eq", "value": "Succeeded"}])
        from mimo.scheduler.selectors import validate

        if not isinstance(selectors, list):
            raise ScenarioError(f"{w}selectors: must be a list of {{key, operator, value|values}} tables")
        try:
            validate(selectors)
        except ValueError as e:
            raise ScenarioError(f"{w}{e}") from None
        lfc = _int(d, "lookForwardCount", w, 1, minimum=1)
        across = d.get("scheduleAcross", "0s")
        from mimo.durations import parse_duration

        try:
            if parse_duration(across) < timedelta(0):
                raise ValueError("must not be negative")
        except (ValueError, TypeError) as e:
            raise ScenarioError(f"{w}scheduleAcross: {e}") from None
        name = d.get("name", f"{task_name(task_id).lower().removesuffix('_id')}")
        if not isinstance(name, str) or not name:
            raise ScenarioError(f"{w}name: must be a non-empty string")
        return cls(name, task_id, calendar, [dict(s) for s in selectors], lfc, across)


#: the step kinds a fleet simulation plays (a pause past the lease needs a replay's second host)
STEP_KINDS = ("crash_after_step",)
#: from the one table of kinds (pytest_mimo.faultkinds)
TARGET_KINDS: dict[str, tuple[str, ...]] = {"kube": kinds_of("kube"), "azure": kinds_of("azure"), "step": STEP_KINDS}


@dataclass(frozen=True)
class Incident:
    """During ``[start, end)``, ``share`` of the fleet (drawn by the seed) meets ``kind`` on ``target``
    with probability ``rate`` per request (per step boundary for ``step``)."""

    name: str
    start: timedelta  #: offset from the run's start
    end: timedelta
    share: float
    target: str
    kind: str
    rate: float = 1.0

    KEYS = frozenset({"name", "start", "end", "share", "target", "kind", "rate", "clusters"})

    @classmethod
    def parse(cls, d: Any, index: int, start: datetime, duration: timedelta) -> Incident:
        w = f"faults.incidents[{index}]."
        if not isinstance(d, Mapping):
            raise ScenarioError(f"faults.incidents[{index}]: must be a table ([[faults.incidents]])")
        _no_unknown(d, cls.KEYS - {"clusters"}, w)
        for req in ("start", "end", "target", "kind"):
            if req not in d:
                raise ScenarioError(f"{w}{req}: missing")
        s = _offset_or_instant(d["start"], f"{w}start", start)
        e = _offset_or_instant(d["end"], f"{w}end", start)
        if s < timedelta(0):
            raise ScenarioError(f"{w}start: before the run's start")
        if e <= s:
            raise ScenarioError(f"{w}end: must be after start")
        if s >= duration:
            raise ScenarioError(f"{w}start: after the run's end ({format_span(duration.total_seconds())})")
        target = _str(d, "target", w)
        if target not in TARGET_KINDS:
            raise ScenarioError(f"{w}target: {target!r} is not one of {', '.join(TARGET_KINDS)}")
        kind = _str(d, "kind", w)
        if kind not in TARGET_KINDS[target]:
            raise ScenarioError(f"{w}kind: {kind!r} is not a {target} fault kind ({', '.join(TARGET_KINDS[target])})")
        share = _share(d.get("share", 1.0), f"{w}share")
        rate = _share(d.get("rate", 1.0), f"{w}rate")
        name = d.get("name", f"incident {index}")
        if not isinstance(name, str) or not name:
            raise ScenarioError(f"{w}name: must be a non-empty string")
        return cls(name, s, e, share, target, kind, rate)


@dataclass(frozen=True)
class FaultProfile:
    """Background faults by kind (a chance per request, or per step boundary for crashes), and incidents."""

    rates: dict[str, dict[str, float]] = field(default_factory=dict)  #: target -> kind -> rate
    incidents: list[Incident] = field(default_factory=list)

    KEYS = frozenset({"kube", "azure", "step", "incidents"})

    @classmethod
    def parse(cls, d: Mapping[str, Any], start: datetime, duration: timedelta) -> FaultProfile:
        _no_unknown(d, cls.KEYS, "faults.")
        rates: dict[str, dict[str, float]] = {}
        for target in ("kube", "azure", "step"):
            t = _table(d, target, "faults.")
            for kind, rate in t.items():
                if kind not in TARGET_KINDS[target]:
                    raise ScenarioError(f"faults.{target}.{kind}: not a {target} fault kind ({', '.join(TARGET_KINDS[target])})")
                r = _share(rate, f"faults.{target}.{kind}")
                if r > 0:
                    rates.setdefault(target, {})[kind] = r
        raw = d.get("incidents", [])
        if not isinstance(raw, list):
            raise ScenarioError("faults.incidents: must be a list of tables ([[faults.incidents]])")
        incidents = [Incident.parse(x, i, start, duration) for i, x in enumerate(raw)]
        return cls(rates, incidents)


@dataclass(frozen=True)
class RunSpec:
    duration: timedelta = timedelta(days=21)
    start: datetime = datetime(2026, 1, 5, tzinfo=timezone.utc)
    workers: int = 4
    #: the actuator's poll interval: a cluster is passed again this long after its last pass
    poll_interval: timedelta = timedelta(seconds=90)
    #: how often the scheduler makes a pass
    scheduler_interval: timedelta = timedelta(minutes=5)
    lease_seconds: float = 60.0
    max_dequeues: int = 5
    #: virtual seconds an Azure long-running operation takes
    lro_seconds: float = 30.0
    store: str = "memory"
    #: actuator hosts, each owning every ``shards``-th cluster with ``workers`` workers of its own,
    #: simulated in parallel processes (1: one host, one process)
    shards: int = 1

    KEYS = frozenset({"duration", "start", "workers", "poll_interval", "scheduler_interval", "lease_seconds",
                      "max_dequeues", "lro_seconds", "store", "shards"})

    @classmethod
    def parse(cls, d: Mapping[str, Any]) -> RunSpec:
        w = "run."
        _no_unknown(d, cls.KEYS, w)
        duration = parse_span(d.get("duration", "21d"), "run.duration")
        if duration <= timedelta(0):
            raise ScenarioError("run.duration: must be positive")
        if duration > timedelta(days=366):
            raise ScenarioError("run.duration: at most 366d")
        start = _parse_instant(d.get("start", "2026-01-05T00:00:00Z"), "run.start")
        poll = parse_span(d.get("poll_interval", "90s"), "run.poll_interval")
        sched = parse_span(d.get("scheduler_interval", "5m"), "run.scheduler_interval")
        for name, v in (("poll_interval", poll), ("scheduler_interval", sched)):
            if v < timedelta(seconds=1):
                raise ScenarioError(f"run.{name}: must be at least 1s")
        lease = parse_span(d.get("lease_seconds", 60), "run.lease_seconds").total_seconds()
        if lease <= 0:
            raise ScenarioError("run.lease_seconds: must be positive")
        lro = parse_span(d.get("lro_seconds", 30), "run.lro_seconds").total_seconds()
        store = d.get("store", "memory")
        if store not in ("memory", "sqlite"):
            raise ScenarioError(f"run.store: {store!r} is not 'memory' or 'sqlite'")
        return cls(
            duration=duration,
            start=start,
            workers=_int(d, "workers", w, 4, minimum=1),
            poll_interval=poll,
            scheduler_interval=sched,
            lease_seconds=lease,
            max_dequeues=_int(d, "max_dequeues", w, 5, minimum=1),
            lro_seconds=lro,
            store=store,
            shards=_int(d, "shards", w, 1, minimum=1),
        )

    @property
    def end(self) -> datetime:
        return self.start + self.duration


@dataclass(frozen=True)
class Expectation:
    """One line of ``[expect]``: ``<metric>_min`` or ``<metric>_max`` and its bound."""

    key: str
    metric: str
    bound: float
    is_max: bool
    is_duration: bool

    def holds(self, actual: float) -> bool:
        return actual <= self.bound if self.is_max else actual >= self.bound

    def describe_bound(self) -> str:
        v = format_span(self.bound) if self.is_duration else f"{self.bound:g}"
        return f"{'<=' if self.is_max else '>='} {v}"


#: metric -> (what it measures, is a duration, is a share)
EXPECTATIONS: dict[str, tuple[str, bool, bool]] = {
    "completed_share": ("Completed / manifests whose window closed during the run", False, True),
    "manifests": ("manifests whose window closed during the run", False, False),
    "completed": ("manifests Completed", False, False),
    "failed": ("manifests Failed", False, False),
    "retries_exceeded": ("manifests RetriesExceeded", False, False),
    "retries_exceeded_outside_incidents": ("RetriesExceeded manifests that no incident touched", False, False),
    "failed_outside_incidents": ("Failed manifests that no incident touched", False, False),
    "timed_out": ("manifests TimedOut", False, False),
    "timed_out_outside_incidents": ("TimedOut manifests that no incident touched", False, False),
    "pending_overdue": ("manifests still Pending or InProgress after their window closed", False, False),
    "retries": ("attempts beyond the first, over all manifests", False, False),
    "crashes": ("attempts that crashed (simulated process death)", False, False),
    "faults": ("faults injected, all kinds", False, False),
    "latency_p50": ("median of (start of the successful attempt - runAfter)", True, False),
    "latency_p95": ("95th percentile of the same", True, False),
    "latency_p99": ("99th percentile of the same", True, False),
    "latency_max": ("largest such latency", True, False),
    "clusters_scheduled": ("clusters that got at least one manifest", False, False),
    **{f"manifests_subscription_{st.lower()}": (f"manifests created for clusters of {st} subscriptions", False, False)
       for st in SUBSCRIPTION_STATES},
}


def _parse_expect(d: Mapping[str, Any]) -> list[Expectation]:
    out = []
    for key, value in d.items():
        metric, _, suffix = key.rpartition("_")
        if suffix not in ("min", "max") or metric not in EXPECTATIONS:
            known = ", ".join(f"{m}_min|_max" for m in EXPECTATIONS)
            raise ScenarioError(f"expect.{key}: unknown expectation (known: {known})")
        _, is_duration, is_share = EXPECTATIONS[metric]
        where = f"expect.{key}"
        if is_duration:
            bound = parse_span(value, where).total_seconds()
        elif is_share:
            bound = _share(value, where)
        else:
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ScenarioError(f"{where}: must be a number >= 0, got {value!r}")
            bound = float(value)
        out.append(Expectation(key, metric, bound, suffix == "max", is_duration))
    return out


@dataclass(frozen=True)
class Scenario:
    name: str
    fleet: FleetSpec
    schedules: list[ScheduleSpec]
    faults: FaultProfile
    run: RunSpec
    expect: list[Expectation]
    seed: int = 0
    source: str = "<scenario>"

    KEYS = frozenset({"name", "seed", "fleet", "schedules", "faults", "run", "expect"})


def parse_scenario(data: Mapping[str, Any], source: str = "<scenario>",
                   tasks: Mapping[str, Any] | None = None) -> Scenario:
    """Validate a scenario given as a dict (a parsed TOML document)."""
    if tasks is None:
        from mimo.tasks import DEFAULT_MAINTENANCE_TASKS

        tasks = DEFAULT_MAINTENANCE_TASKS
    _no_unknown(data, Scenario.KEYS, "")
    name = data.get("name", Path(source).stem if source.endswith(".toml") else "scenario")
    if not isinstance(name, str) or not name:
        raise ScenarioError("name: must be a non-empty string")
    seed = data.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ScenarioError(f"seed: must be an integer >= 0, got {seed!r}")
    fleet = FleetSpec.parse(_table(data, "fleet", ""))
    run = RunSpec.parse(_table(data, "run", ""))
    raw_schedules = data.get("schedules", [])
    if not isinstance(raw_schedules, list) or not raw_schedules:
        raise ScenarioError("schedules: at least one [[schedules]] table is needed")
    schedules = [ScheduleSpec.parse(s, i, tasks) for i, s in enumerate(raw_schedules)]
    names = [s.name for s in schedules]
    for i, n in enumerate(names):
        if n in names[:i]:
            raise ScenarioError(f"schedules[{i}].name: {n!r} is used twice (give each schedule its own name)")
    if run.shards > fleet.clusters:
        raise ScenarioError(f"run.shards: {run.shards} shards for {fleet.clusters} clusters (at most one per cluster)")
    faults = FaultProfile.parse(_table(data, "faults", ""), run.start, run.duration)
    expect = _parse_expect(_table(data, "expect", ""))
    return Scenario(name, fleet, schedules, faults, run, expect, seed, source)


def load_scenario(path: str | Path | None = None, tasks: Mapping[str, Any] | None = None) -> Scenario:
    """Read and validate a scenario file (the embedded default when ``path`` is ``None``)."""
    p = Path(path) if path is not None else DEFAULT_SCENARIO
    try:  # strict UTF-8, bounded size and nesting, 64-bit integers, no nan/inf (mimo.inputs)
        raw = inputs.read_file(p, str(p), max_bytes=inputs.MAX_CONFIG_BYTES)
    except inputs.InputError as e:
        raise ScenarioError(f"{p}: cannot read: {e.why.removeprefix(f'{p}: ')}") from None
    try:
        data = inputs.parse_toml(raw, str(p))
    except inputs.InputError as e:
        raise ScenarioError(str(e)) from None
    source = EMBEDDED_SOURCE if path is None else str(p)
    try:
        return parse_scenario(data, source, tasks)
    except ScenarioError as e:
        raise ScenarioError(f"{source}: {e}") from None
