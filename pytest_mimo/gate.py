"""The CI gate's coverage table: per task, what the replays exercised.

Fed from test reports (so it aggregates on the xdist controller), rendered
as a text table that fits :data:`TABLE_WIDTH` columns and as JSON that holds
every fault site's outcome. The gate checks the tasks it is given
(``checked``): by default those of the packages under test (see the plugin).
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["TaskCoverage", "Coverage", "TABLE_WIDTH"]

#: the coverage table never grows wider (the faults column is cut to fit; the JSON has it all)
TABLE_WIDTH = 100


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
    #: fault site → [replays that hit it, of them failed]
    sites: dict[str, list[int]] = field(default_factory=dict)

    def site_outcomes(self) -> list[dict[str, Any]]:
        """Every site the baselines showed: tried or not, and how its replays ended."""
        out = []
        for site in sorted(self.pairs_existing | set(self.sites)):
            tried, failed = self.sites.get(site, [0, 0])
            outcome = "not tried" if not tried else ("failed" if failed else "passed")
            out.append({"site": site, "replays": tried, "failed": failed, "outcome": outcome})
        return out

    kinds_existing: set[str] = field(default_factory=set)  #: "target.kind" with a site in some replay
    kinds_injected: set[str] = field(default_factory=set)  #: "target.kind" injected at least once

    def kinds_untried(self) -> list[str]:
        """Kinds of the table (pytest_mimo.faultkinds) some request or step could meet but no
        replay injected: add replays (or scenarios) until none are left."""
        return sorted(self.kinds_existing - self.kinds_injected)

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
            "sites": self.site_outcomes(),

            "kinds_untried": self.kinds_untried(),
        }


class Coverage:
    """Aggregates ``mimo_scenario`` marks and replay outcomes by task."""

    def __init__(self, registry: Mapping[str, str], checked: Iterable[str] | None = None) -> None:
        """``registry``: task ID → display name, for every registered task; ``checked``: the IDs
        the gate requires a scenario for (default: all of them)."""
        self.registry = dict(registry)
        self.checked = sorted(self.registry if checked is None else set(checked))
        self.tasks: dict[str, TaskCoverage] = {}

    def _task(self, task_id: str) -> TaskCoverage:
        if task_id not in self.tasks:
            self.tasks[task_id] = TaskCoverage(task_id, self.registry.get(task_id, ""))
        return self.tasks[task_id]

    def add_scenario(self, task_id: str, nodeid: str) -> None:
        self._task(task_id).scenarios.add(nodeid.split("[", 1)[0])

    def add_replay(self, scenario_task: str | None, outcome: Mapping[str, Any], *, passed: bool = True) -> None:
        t = self._task(scenario_task or str(outcome["task"]))
        t.replays += 1
        for kind, n in outcome.get("faults", {}).items():
            t.faults[kind] = t.faults.get(kind, 0) + int(n)
        scope = str(outcome.get("scenario", ""))
        for pair in outcome.get("pair_ids", ()):
            t.pairs_existing.add(f"{scope}|{pair}")
        if outcome.get("site_hit") and outcome.get("site_id"):
            site = f"{scope}|{outcome['site_id']}"
            t.pairs_tried.add(site)
            counts = t.sites.setdefault(site, [0, 0])
            counts[0] += 1
            counts[1] += 0 if passed and not outcome.get("violations") else 1
        t.crash_points.update(outcome.get("crash_points", ()))
        t.kinds_existing.update(outcome.get("pair_kinds", ()))
        t.kinds_injected.update(outcome.get("kinds_injected", ()))
        t.violations += len(outcome.get("violations", ()))

    def untried(self) -> list[str]:
        """The checked tasks' fault sites (``scenario|site``) that some baseline showed and no replay tried."""
        return sorted(
            f"{self.registry.get(tid) or tid}: {site}"
            for tid in self.checked
            if tid in self.tasks
            for site in sorted(self.tasks[tid].pairs_existing - self.tasks[tid].pairs_tried)
        )

    def missing(self) -> list[str]:
        return sorted(tid for tid in self.checked if not self.tasks.get(tid) or not self.tasks[tid].scenarios)

    def rows(self) -> list[TaskCoverage]:
        """The checked tasks, and any other task a scenario of this session covered."""
        for tid in self.checked:
            self._task(tid)
        return sorted(self.tasks.values(), key=lambda t: (t.name or "~", t.task_id))

    def render(self, width: int = TABLE_WIDTH) -> list[str]:
        """The table, no line wider than ``width``: names and the faults column are cut to fit."""
        head = ["task", "scen", "replays", "sites tried", "crash", "viol", "faults by kind"]
        body = []
        for t in self.rows():
            faults = ", ".join(f"{k}={n}" for k, n in sorted(t.faults.items())) or "-"
            name = t.name or "?"
            body.append([
                f"{name[:30]}{'…' if len(name) > 30 else ''} {t.task_id[:8]}",
                str(len(t.scenarios)),
                str(t.replays),
                f"{len(t.pairs_tried)}/{len(t.pairs_existing)}",
                str(len(t.crash_points)),
                str(t.violations),
                faults,
            ])
        widths = [max(len(r[i]) for r in [head, *body]) for i in range(len(head) - 1)]
        room = max(len(head[-1]), width - sum(widths) - 2 * len(widths))
        lines = []
        for r in [head, ["-" * w for w in widths] + ["-" * min(room, max(len(x[-1]) for x in [head, *body]))], *body]:
            last = r[-1] if len(r[-1]) <= room else r[-1][: room - 1] + "…"
            lines.append("  ".join(c.ljust(w) for c, w in zip(r[:-1], widths, strict=True)) + "  " + last)
        out = [line.rstrip() for line in lines]
        for t in self.rows():  # below the table, wrapped: the kinds no replay injected
            if t.kinds_untried():
                out += textwrap.wrap(
                    f"{t.name or t.task_id}: kinds not injected: {', '.join(t.kinds_untried())}",
                    width, subsequent_indent="    ",
                )
        return out

    def to_json(self) -> dict[str, Any]:
        return {"checked": self.checked, "tasks": [t.to_dict() for t in self.rows()], "missing": self.missing()}

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
