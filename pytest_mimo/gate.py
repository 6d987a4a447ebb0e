"""The CI gate's coverage table: per task, what the replays exercised.

Fed from test reports (so it aggregates on the xdist controller), rendered
as a text table and as JSON.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["TaskCoverage", "Coverage"]


@dataclass
class TaskCoverage:
    task_id: str
    name: str = ""
    scenarios: set[str] = field(default_factory=set)
    replays: int = 0
    faults: dict[str, int] = field(default_factory=dict)
    pairs_existing: set[str] = field(default_factory=set)
    pairs_tried: set[str] = field(default_factory=set)
    crash_points: set[str] = field(default_factory=set)
    violations: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "task": self.task_id,
            "name": self.name,
            "scenarios": len(self.scenarios),
            "replays": self.replays,
            "faults": dict(sorted(self.faults.items())),
            "sites_existing": len(self.pairs_existing),
            "sites_tried": len(self.pairs_tried),
            "crash_points": len(self.crash_points),
            "violations": self.violations,
        }


class Coverage:
    """Aggregates ``mimo_scenario`` marks and replay outcomes by task."""

    def __init__(self, registry: Mapping[str, str]) -> None:
        """``registry``: task ID → display name, for every registered task."""
        self.registry = dict(registry)
        self.tasks: dict[str, TaskCoverage] = {}

    def _task(self, task_id: str) -> TaskCoverage:
        if task_id not in self.tasks:
            self.tasks[task_id] = TaskCoverage(task_id, self.registry.get(task_id, ""))
        return self.tasks[task_id]

    def add_scenario(self, task_id: str, nodeid: str) -> None:
        self._task(task_id).scenarios.add(nodeid.split("[", 1)[0])

    def add_replay(self, scenario_task: str | None, outcome: Mapping[str, Any]) -> None:
        t = self._task(scenario_task or str(outcome["task"]))
        t.replays += 1
        for kind, n in outcome.get("faults", {}).items():
            t.faults[kind] = t.faults.get(kind, 0) + int(n)
        scope = str(outcome.get("scenario", ""))
        for pair in outcome.get("pair_ids", ()):
            t.pairs_existing.add(f"{scope}|{pair}")
        if outcome.get("site_hit") and outcome.get("site_id"):
            t.pairs_tried.add(f"{scope}|{outcome['site_id']}")
        t.crash_points.update(outcome.get("crash_points", ()))
        t.violations += len(outcome.get("violations", ()))

    def missing(self) -> list[str]:
        return sorted(tid for tid in self.registry if not self.tasks.get(tid) or not self.tasks[tid].scenarios)

    def rows(self) -> list[TaskCoverage]:
        for tid in self.registry:
            self._task(tid)
        return sorted(self.tasks.values(), key=lambda t: (t.name or "~", t.task_id))

    def render(self) -> list[str]:
        head = ["task", "scenarios", "replays", "faults by kind", "sites tried", "crash pts", "violations"]
        body = []
        for t in self.rows():
            faults = ", ".join(f"{k}={n}" for k, n in sorted(t.faults.items())) or "-"
            body.append([
                f"{t.name or '?'} {t.task_id[:8]}",
                str(len(t.scenarios)),
                str(t.replays),
                faults,
                f"{len(t.pairs_tried)}/{len(t.pairs_existing)}",
                str(len(t.crash_points)),
                str(t.violations),
            ])
        widths = [max(len(r[i]) for r in [head, *body]) for i in range(len(head))]
        fmt = "  ".join(f"{{:<{w}}}" for w in widths)
        lines = [fmt.format(*head), fmt.format(*("-" * w for w in widths))]
        lines += [fmt.format(*r) for r in body]
        return lines

    def to_json(self) -> dict[str, Any]:
        return {"tasks": [t.to_dict() for t in self.rows()], "missing": self.missing()}

    def write(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_json(), indent=2) + "\n", encoding="utf-8")

    @staticmethod
    def from_properties(props: Iterable[tuple[str, Any]]) -> tuple[list[str], list[dict[str, Any]]]:
        """Split a report's user_properties into scenario task IDs and replay outcomes."""
        scenarios: list[str] = []
        replays: list[dict[str, Any]] = []
        for name, value in props:
            if name == "mimo_scenario":
                scenarios.append(str(value))
            elif name == "mimo_replay":
                replays.append(dict(value))
        return scenarios, replays
