"""A simulation's numbers: manifests by state and task, retries, latency, faults, expectations.

:func:`build_report` turns :class:`~.engine.SimulationData` into a
:class:`Report`. Everything in ``Report.data`` is drawn from the seed and the
virtual clock only, so the same scenario and seed give byte-identical JSON
(:meth:`Report.to_json` with ``wall=False``); wall-clock figures live apart in
``Report.wall``.

Definitions (also in ``simulations/README.md``):

* a manifest is **counted** when its window closed during the run
  (``runBefore`` <= end); ``completed_share`` = counted ``Completed`` / counted;
* **latency** = start of the successful attempt − ``runAfter`` (Completed manifests);
  percentiles are nearest-rank;
* **retries** = attempts beyond the first; a **crash** is a simulated process death;
* a manifest is **touched by an incident** when its cluster is one the incident
  hit and ``[runAfter, max(runBefore, end of its last attempt)]`` overlaps the
  incident's window.
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from mimo.api import SUBSCRIPTION_STATES, ManifestState
from pytest_mimo.simulation.engine import Attempt, SimulationData, bucket_seconds
from pytest_mimo.simulation.scenario import EMBEDDED_SOURCE, Expectation, format_span, task_name

__all__ = ["Report", "ExpectationResult", "build_report", "percentile", "PlotUnavailable"]

STATES = (
    ManifestState.COMPLETED, ManifestState.PENDING, ManifestState.IN_PROGRESS, ManifestState.FAILED,
    ManifestState.RETRIES_EXCEEDED, ManifestState.TIMED_OUT, ManifestState.CANCELLED,
)


class PlotUnavailable(RuntimeError):
    """``--plot`` without matplotlib installed (``pip install 'pymimo[plot]'``)."""


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    s = sorted(values)
    k = max(1, math.ceil(p / 100 * len(s)))
    return s[k - 1]


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _ts(text: str) -> float:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp()


@dataclass(frozen=True)
class ExpectationResult:
    key: str
    expected: str
    actual: float
    actual_text: str
    ok: bool

    def describe(self) -> str:
        return f"{self.key}: expected {self.expected}, got {self.actual_text}"


@dataclass
class Report:
    """``data``: the deterministic report (JSON-ready); ``wall``: wall-clock figures."""

    data: dict[str, Any]
    wall: dict[str, float] = field(default_factory=dict)
    expectations: list[ExpectationResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(e.ok for e in self.expectations)

    @property
    def failed(self) -> list[ExpectationResult]:
        return [e for e in self.expectations if not e.ok]

    @property
    def seed(self) -> int:
        return int(self.data["seed"])

    def to_json(self, *, wall: bool = True) -> str:
        d = dict(self.data)
        if wall:
            d["wall"] = dict(self.wall)
        return json.dumps(d, indent=2, sort_keys=True) + "\n"

    def write_json(self, path: str | Path) -> None:
        Path(path).write_text(self.to_json(), encoding="utf-8")

    # -- text ------------------------------------------------------------------------------------
    def failure_text(self) -> str:
        lines = [f"scenario {self.data['scenario']['name']} (seed {self.seed}): "
                 f"{len(self.failed)} expectation(s) failed"]
        lines += [f"  {e.describe()}" for e in self.failed]
        source = self.data["scenario"]["source"]
        file = "" if source == EMBEDDED_SOURCE else f"{source} "
        lines.append(f"  replay: mimo simulate {file}--seed {self.seed}")
        return "\n".join(lines)

    def render(self, console: Any) -> None:
        """The summary tables, on a ``rich`` console."""
        from rich.table import Table

        d = self.data
        sc, run = d["scenario"], d["run"]
        console.print(
            f"[bold]scenario[/bold] {sc['name']} ({sc['source']})  [bold]seed[/bold] {d['seed']}  "
            f"[bold]fleet[/bold] {d['fleet']['clusters']} clusters / {d['fleet']['subscriptions']} subscriptions  "
            f"[bold]workers[/bold] {run['workers']}  [bold]virtual[/bold] {run['start']} → {run['end']} "
            f"({format_span(run['duration_seconds'])})"
        )
        m = d["manifests"]
        t = Table(title="manifests by task and state (all created)", title_justify="left")
        t.add_column("task")
        states = [s for s in STATES if any(row.get(s) for row in m["by_task"].values())]
        for s in states:
            t.add_column(s, justify="right")
        t.add_column("total", justify="right")
        for task, row in sorted(m["by_task"].items()):
            t.add_row(task, *(str(row.get(s, 0)) for s in states), str(sum(row.values())))
        t.add_row("[bold]all[/bold]", *(str(m["by_state"].get(s, 0)) for s in states), str(m["total"]))
        console.print(t)

        a, lat, f = d["attempts"], d["latency_seconds"], d["faults"]
        n = Table(title="run", title_justify="left", show_header=False)
        n.add_column("what")
        n.add_column("value")
        n.add_row("counted (window closed)", f"{m['counted']}, completed {m['completed_share']:.2%}")
        subs = d["fleet"]["mix"].get("subscriptionState", {})
        if len(subs) > 1:
            n.add_row("by subscription state", ", ".join(
                f"{st}: {subs[st]} subscriptions, {m['by_subscription_state'].get(st, 0)} manifests" for st in subs))
        n.add_row("attempts", f"{a['total']} ({a['retries']} retries, {a['crashes']} crashes)")
        for e in a["top_errors"][:3]:
            n.add_row(f"  {e['attempts']} ×", e["error"][:120])
        n.add_row("latency after runAfter", (
            f"p50 {format_span(lat['p50'])}  p95 {format_span(lat['p95'])}  p99 {format_span(lat['p99'])}  "
            f"max {format_span(lat['max'])}  (n={lat['count']})"))
        for task, tl in d["latency_seconds_by_task"].items():
            n.add_row(f"  {task}", f"p50 {format_span(tl['p50'])}  p95 {format_span(tl['p95'])}  "
                                   f"max {format_span(tl['max'])}  (n={tl['count']})")
        kinds = ", ".join(f"{k} {v}" for k, v in sorted(f["by_kind"].items())) or "none"
        n.add_row("faults injected", f"{f['total']}: {kinds}")
        for inc in d["incidents"]:
            n.add_row(f"incident {inc['name']!r}", (
                f"{inc['start']} → {inc['end']}, {len(inc['clusters'])} clusters, {inc['kind']} on {inc['target']}: "
                f"{inc['faults']} faults, {inc['manifests_touched']} manifests touched, "
                f"{inc['touched_not_completed']} not completed"))
        n.add_row("scheduler", f"{d['scheduler']['passes']} passes ({d['scheduler']['skipped']} skipped: "
                               f"nothing to change), {len(d['scheduler']['errors'])} errors")
        n.add_row("actuator", f"{d['actuator']['passes']} cluster passes, {len(d['actuator']['errors'])} errors")
        if self.wall:
            n.add_row("time", (
                f"virtual {format_span(run['duration_seconds'])}, wall {self.wall['seconds']:.1f}s "
                f"({self.wall['virtual_per_wall']:,.0f} virtual s per wall s)"))
        console.print(n)

        if self.expectations:
            e = Table(title="expectations", title_justify="left")
            for col in ("", "expectation", "expected", "actual"):
                e.add_column(col)
            for r in self.expectations:
                e.add_row("[green]ok[/green]" if r.ok else "[red]FAILED[/red]", r.key, r.expected, r.actual_text)
            console.print(e)

    # -- plot ------------------------------------------------------------------------------------
    def plot(self, path: str | Path) -> None:
        """A PNG timeline over virtual time: manifests by state (at the end of each bucket),
        attempts per bucket by outcome, faults injected; incident windows shaded (needs matplotlib)."""
        try:
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError:
            raise PlotUnavailable("--plot needs matplotlib, which is not installed "
                                  "(pip install 'pymimo[plot]')") from None
        tl = self.data["timeline"]
        start = _ts(self.data["run"]["start"])
        size = tl["bucket_seconds"]
        n = len(tl["attempts_ok"])
        x = [(i * size) / 86400 for i in range(n)]
        ends = [min((i + 1) * size, self.data["run"]["duration_seconds"]) / 86400 for i in range(n)]
        width = size / 86400
        fig, (ax0, ax, ax2) = plt.subplots(3, 1, figsize=(12, 8), sharex=True, height_ratios=[3, 2, 1])
        states = tl.get("manifests_by_state", {})
        if states:
            keys = [k for k in _STATE_COLOURS if k in states]
            ax0.stackplot([0.0, *ends], *[[0, *states[k]] for k in keys], labels=keys,
                          colors=[_STATE_COLOURS[k] for k in keys], step="pre")
        ax0.set_ylabel("manifests by state")
        ax0.legend(loc="upper left", fontsize="small")
        bottom = [0] * len(x)
        for key, label, color in (("attempts_ok", "succeeded", "#4c9f70"), ("attempts_retried", "will retry", "#e0a030"),
                                  ("attempts_crashed", "crashed", "#8060c0"), ("attempts_failed", "failed", "#c04040")):
            ax.bar(x, tl[key], width=width, bottom=bottom, align="edge", label=label, color=color)
            bottom = [b + v for b, v in zip(bottom, tl[key], strict=True)]
        ax2.plot([v + width / 2 for v in x], tl["faults"], color="#c04040", label="faults injected")
        for inc in self.data["incidents"]:
            for a in (ax0, ax, ax2):
                a.axvspan((_ts(inc["start"]) - start) / 86400, (_ts(inc["end"]) - start) / 86400,
                          color="#c04040", alpha=0.12)
        ax.set_ylabel(f"attempts per {format_span(size)}")
        ax2.set_ylabel("faults")
        ax2.set_xlabel(f"days since {self.data['run']['start']}")
        ax.legend(loc="upper right", fontsize="small")
        ax0.set_title(f"{self.data['scenario']['name']} — seed {self.seed}, {self.data['fleet']['clusters']} clusters")
        fig.tight_layout()
        fig.savefig(str(path), dpi=100)
        plt.close(fig)


#: manifest states in the order the timeline stacks them, and their colours
_STATE_COLOURS = {
    ManifestState.COMPLETED: "#4c9f70", ManifestState.PENDING: "#7090c0", ManifestState.IN_PROGRESS: "#50b0d0",
    ManifestState.CANCELLED: "#a0a0a0", ManifestState.FAILED: "#c04040",
    ManifestState.RETRIES_EXCEEDED: "#e07030", ManifestState.TIMED_OUT: "#8060c0",
}


def build_report(sim: SimulationData) -> Report:
    sc = sim.scenario
    run = sc.run
    start = run.start.timestamp()
    end = start + run.duration.total_seconds()
    names = {c.resource_id: c.name for c in sim.fleet.clusters}
    by_manifest: dict[str, list[Attempt]] = defaultdict(list)
    for a in sim.attempts:
        by_manifest[a.manifest_id].append(a)

    # -- incidents --------------------------------------------------------------------------------
    incidents: list[dict[str, Any]] = []
    for i, inc in enumerate(sc.faults.incidents):
        hit = sim.fleet.incident_clusters[i]
        incidents.append({
            "name": inc.name, "target": inc.target, "kind": inc.kind, "rate": inc.rate, "share": inc.share,
            "start": _iso(start + inc.start.total_seconds()), "end": _iso(start + inc.end.total_seconds()),
            "clusters": [sim.fleet.clusters[k].name for k in hit],
            "faults": sum(c.incident_fired.get(i, 0) for c in sim.fleet.clusters),
            "_rids": {sim.fleet.clusters[k].resource_id for k in hit},
            "_window": (start + inc.start.total_seconds(), start + inc.end.total_seconds()),
            "manifests_touched": 0, "touched_not_completed": 0,
        })

    def touched(m: Any) -> bool:
        atts = by_manifest.get(m.id, [])
        last = max((a.end for a in atts), default=0.0)
        lo, hi = float(m.run_after), max(float(m.run_before), last)
        hit = False
        for inc in incidents:
            s, e = inc["_window"]
            if m.cluster_resource_id in inc["_rids"] and lo < e and hi >= s:
                inc["manifests_touched"] += 1
                if m.state != ManifestState.COMPLETED:
                    inc["touched_not_completed"] += 1
                hit = True
        return hit

    # -- manifests --------------------------------------------------------------------------------
    by_state: Counter[str] = Counter()
    counted_state: Counter[str] = Counter()
    outside: Counter[str] = Counter()
    by_task: dict[str, Counter[str]] = defaultdict(Counter)
    by_schedule: dict[str, Counter[str]] = defaultdict(Counter)
    latencies: list[float] = []
    task_latencies: dict[str, list[float]] = defaultdict(list)
    retries = 0
    for m in sorted(sim.manifests, key=lambda m: (m.run_after, m.cluster_resource_id, m.id)):
        by_state[m.state] += 1
        by_task[task_name(m.maintenance_task_id)][m.state] += 1
        by_schedule[sim.schedules.get(m.created_by_schedule, "(none)")][m.state] += 1
        atts = by_manifest.get(m.id, [])
        retries += max(0, len(atts) - 1)
        if m.run_before <= end:
            counted_state[m.state] += 1
        if not touched(m):
            outside[m.state] += 1
        if m.state == ManifestState.COMPLETED:
            ok = [a for a in atts if a.outcome == "ok"]
            if ok:
                latencies.append(round(ok[-1].start - m.run_after, 3))
                task_latencies[task_name(m.maintenance_task_id)].append(latencies[-1])
    sub_state = {s.id: s.state for s in sim.fleet.subscriptions}
    cluster_sub_state = {c.resource_id: sub_state.get(c.doc.subscription_id, "") for c in sim.fleet.clusters}
    by_sub_state = Counter(cluster_sub_state.get(m.cluster_resource_id, "") for m in sim.manifests)
    counted = sum(counted_state.values())
    completed_share = counted_state[ManifestState.COMPLETED] / counted if counted else 0.0
    outcomes = Counter(a.outcome for a in sim.attempts)
    errors = Counter(f"{a.outcome}: {a.error[:160]}" for a in sim.attempts if a.outcome != "ok")
    top_errors = [{"error": k, "attempts": v} for k, v in sorted(errors.items(), key=lambda kv: (-kv[1], kv[0]))[:10]]

    # -- faults -----------------------------------------------------------------------------------
    fault_kinds: Counter[str] = Counter()
    fault_times: list[float] = []
    for c in sim.fleet.clusters:
        for e in c.trace:
            fault_kinds[f"{e.target}.{e.kind}"] += 1
            fault_times.append(_ts(e.time))

    # -- timeline ---------------------------------------------------------------------------------
    size = bucket_seconds(end - start)
    nb = math.ceil((end - start) / size)

    def bucket(t: float) -> int:
        return min(nb - 1, max(0, int((t - start) // size)))

    series = {k: [0] * nb for k in ("attempts_ok", "attempts_retried", "attempts_crashed", "attempts_failed",
                                    "faults")}
    for a in sim.attempts:
        if a.outcome == "ok":
            series["attempts_ok"][bucket(a.start)] += 1
        elif a.outcome == "crash":
            series["attempts_crashed"][bucket(a.start)] += 1
        elif a.outcome == "transient" and a.number < run.max_dequeues:
            series["attempts_retried"][bucket(a.start)] += 1
        else:
            series["attempts_failed"][bucket(a.start)] += 1
    for t in fault_times:
        series["faults"][bucket(t)] += 1

    lat = {"count": len(latencies), "p50": percentile(latencies, 50), "p90": percentile(latencies, 90),
           "p95": percentile(latencies, 95), "p99": percentile(latencies, 99),
           "max": max(latencies, default=0.0)}
    metrics: dict[str, float] = {
        "completed_share": completed_share,
        "manifests": counted,
        "completed": by_state[ManifestState.COMPLETED],
        "failed": by_state[ManifestState.FAILED],
        "retries_exceeded": by_state[ManifestState.RETRIES_EXCEEDED],
        "retries_exceeded_outside_incidents": outside[ManifestState.RETRIES_EXCEEDED],
        "failed_outside_incidents": outside[ManifestState.FAILED],
        "timed_out": by_state[ManifestState.TIMED_OUT],
        "timed_out_outside_incidents": outside[ManifestState.TIMED_OUT],
        "pending_overdue": counted_state[ManifestState.PENDING] + counted_state[ManifestState.IN_PROGRESS],
        "retries": retries,
        "crashes": outcomes["crash"],
        "faults": sum(fault_kinds.values()),
        "latency_p50": lat["p50"], "latency_p95": lat["p95"], "latency_p99": lat["p99"], "latency_max": lat["max"],
        "clusters_scheduled": len({m.cluster_resource_id for m in sim.manifests}),
        **{f"manifests_subscription_{st.lower()}": by_sub_state[st] for st in SUBSCRIPTION_STATES},
    }
    results = [_check(e, metrics[e.metric]) for e in sc.expect]

    fleet_mix: dict[str, Counter[str]] = defaultdict(Counter)
    for c in sim.fleet.clusters:
        for k, v in c.properties().items():
            fleet_mix[k][v] += 1
        fleet_mix["isManagedDomain"]["false" if "." in c.doc.properties.cluster_profile.domain else "true"] += 1
        fleet_mix["apiserverHealthy"]["true" if c.healthy else "false"] += 1
    fleet_mix["subscriptionState"] = Counter(s.state for s in sim.fleet.subscriptions)

    failures = [
        {"manifest": m.id, "cluster": names.get(m.cluster_resource_id, m.cluster_resource_id),
         "task": task_name(m.maintenance_task_id), "state": m.state, "runAfter": _iso(m.run_after),
         "dequeues": m.dequeues, "statusText": m.status_text[:300],
         # the actuator keeps the task's result message as status text (as the reference does)
         # and logs the error: the report keeps the error of the last attempt
         "lastError": by_manifest[m.id][-1].error if by_manifest.get(m.id) else ""}
        for m in sorted(sim.manifests, key=lambda m: (m.run_after, m.cluster_resource_id, m.id))
        if m.state in (ManifestState.FAILED, ManifestState.RETRIES_EXCEEDED, ManifestState.TIMED_OUT)
    ]
    data: dict[str, Any] = {
        "scenario": {"name": sc.name, "source": sc.source},
        "seed": sim.seed,
        "run": {"start": _iso(start), "end": _iso(end), "duration_seconds": end - start, "workers": run.workers,
                "shards": run.shards,
                "poll_interval_seconds": run.poll_interval.total_seconds(),
                "scheduler_interval_seconds": run.scheduler_interval.total_seconds(), "store": run.store},
        "fleet": {"clusters": len(sim.fleet.clusters), "subscriptions": len(sim.fleet.subscriptions),
                  "mix": {k: dict(sorted(v.items())) for k, v in sorted(fleet_mix.items())}},
        "schedules": [{"name": s.name, "task": task_name(s.task_id), "calendar": s.calendar,
                       "scheduleAcross": s.schedule_across, "lookForwardCount": s.look_forward_count}
                      for s in sc.schedules],
        "manifests": {
            "total": sum(by_state.values()), "counted": counted, "completed_share": round(completed_share, 6),
            "by_state": dict(sorted(by_state.items())),
            "counted_by_state": dict(sorted(counted_state.items())),
            "by_task": {k: dict(sorted(v.items())) for k, v in sorted(by_task.items())},
            "by_schedule": {k: dict(sorted(v.items())) for k, v in sorted(by_schedule.items())},
            "by_subscription_state": {st: by_sub_state[st] for st in sorted(set(sub_state.values()))},
            "not_completed": failures[:200],
        },
        "attempts": {"total": len(sim.attempts), "retries": retries, "crashes": outcomes["crash"],
                     "by_outcome": dict(sorted(outcomes.items())), "top_errors": top_errors},
        "latency_seconds": lat,
        "latency_seconds_by_task": {
            k: {"count": len(v), "p50": percentile(v, 50), "p95": percentile(v, 95), "max": max(v)}
            for k, v in sorted(task_latencies.items())
        },
        "faults": {"total": sum(fault_kinds.values()), "by_kind": dict(sorted(fault_kinds.items()))},
        "incidents": [{k: v for k, v in inc.items() if not k.startswith("_")} for inc in incidents],
        "scheduler": {"passes": sim.scheduler_passes, "skipped": sim.scheduler_passes_skipped,
                      "errors": sim.scheduler_errors[:50]},
        "actuator": {"passes": sim.passes, "errors": sim.pass_errors[:50]},
        "timeline": {"bucket_seconds": size, **series,
                     "manifests_by_state": {k: v for k, v in sim.states_timeline.items() if any(v)}},
        "metrics": {k: (round(v, 6) if isinstance(v, float) else v) for k, v in metrics.items()},
        "expectations": [{"key": r.key, "expected": r.expected, "actual": r.actual_text, "ok": r.ok}
                         for r in results],
        "ok": all(r.ok for r in results),
    }
    wall = {"seconds": round(sim.wall_seconds, 3),
            "virtual_per_wall": round((end - start) / sim.wall_seconds, 1) if sim.wall_seconds else 0.0}
    return Report(data, wall, results)


def _check(e: Expectation, actual: float) -> ExpectationResult:
    if e.is_duration:
        text = format_span(actual)
    elif e.metric.endswith("_share"):
        text = f"{actual:.4g}"
    else:
        text = f"{actual:g}"
    return ExpectationResult(e.key, e.describe_bound(), actual, text, e.holds(actual))
