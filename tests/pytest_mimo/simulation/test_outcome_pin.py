"""A simulation's outcome is pinned: speed work on world building, the run loop, the store or the
fakes must leave every manifest's fate, every attempt and every fault it played exactly as it was.

The pinned outcome (``golden/*.json``) lists, for small fleets of the example scenarios over their
whole duration, each manifest (cluster, task, window, final state, status text, dequeues), each
attempt (cluster, task, number, virtual start and end, outcome, first words of its error), each
fault a cluster's injector played, and the report's expectation results. Nothing in it is wall
time or random key material, nor the ``api-version`` an Azure SDK sends (it is the installed SDK's
default, so the newest and the lowest-versions CI runs send different ones). A change of behaviour (a task, a fake's answer, the scheduler) shows
here as the first lines that differ; when such a change is intended, regenerate the files with
``MIMO_PIN_OUTCOMES=write pytest tests/pytest_mimo/simulation/test_outcome_pin.py`` and say why
in the commit.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from pytest_mimo.simulation import load_scenario
from pytest_mimo.simulation.engine import Simulation
from pytest_mimo.simulation.report import build_report

#: the api-version query an Azure SDK adds: the installed SDK release's, not the simulation's
_API_VERSION = re.compile(r"api-version=[^&\s:]+")

ROOT = Path(__file__).resolve().parents[3]
GOLDEN = Path(__file__).resolve().parent / "golden"

#: scenario file, clusters, subscriptions, virtual days (None: the scenario's duration)
CASES = {
    "weekly-tls-rotation": ("weekly-tls-rotation.toml", 12, 3, None),
    "operator-rollout": ("operator-rollout.toml", 6, 2, 3),
    "operator-flags-incident": ("operator-flags-incident.toml", 8, 2, 5),
    "acr-token-check": ("acr-token-check.toml", 8, 4, 4),
}


def outcome(name: str) -> dict[str, Any]:
    from datetime import timedelta

    path, clusters, subscriptions, days = CASES[name]
    sc = load_scenario(ROOT / "simulations" / path)
    sc = replace(sc, fleet=replace(sc.fleet, clusters=clusters, subscriptions=subscriptions))
    if days is not None:
        sc = replace(sc, run=replace(sc.run, duration=timedelta(days=days)))
    data = Simulation(sc).run()
    names = {c.resource_id: c.name for c in data.fleet.clusters}
    task = {m.id: m.maintenance_task_id for m in data.manifests}
    report = build_report(data)
    return {
        "manifests": sorted(
            f"{names[m.cluster_resource_id]} {m.maintenance_task_id} {m.run_after}-{m.run_before} {m.state} "
            f"dequeues={m.dequeues} {' '.join(m.status_text.split())[:160]!r}"
            for m in data.manifests
        ),
        "attempts": [
            f"{names[a.cluster]} {task[a.manifest_id]} #{a.number} {a.start:.3f}-{a.end:.3f} {a.outcome} "
            f"{' '.join(a.error.split())[:120]!r}"
            for a in data.attempts
        ],
        "faults": [_API_VERSION.sub("api-version=<sdk>", f"{c.name} {e}") for c in data.fleet.clusters for e in c.trace],
        "passes": data.passes,
        "pass_errors": data.pass_errors,
        "scheduler_errors": data.scheduler_errors,
        "expectations": report.data["expectations"],
    }


def _first_differences(want: list[Any], got: list[Any], limit: int = 5) -> list[str]:
    out = []
    for i in range(max(len(want), len(got))):
        w = want[i] if i < len(want) else "<none>"
        g = got[i] if i < len(got) else "<none>"
        if w != g:
            out.append(f"  [{i}] pinned: {w}\n  [{i}] now:    {g}")
            if len(out) == limit:
                break
    return out


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_small_simulation_has_its_pinned_outcome(name: str) -> None:
    got = outcome(name)
    path = GOLDEN / f"{name}.json"
    if os.environ.get("MIMO_PIN_OUTCOMES") == "write":
        path.write_text(json.dumps(got, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    want = json.loads(path.read_text(encoding="utf-8"))
    assert got["attempts"], "the pinned run made no attempt: it pins nothing"
    problems = []
    for key in sorted(want):
        if want[key] != got[key]:
            w, g = want[key], got[key]
            lines = _first_differences(w, g) if isinstance(w, list) and isinstance(g, list) else [f"  {w!r} -> {g!r}"]
            problems.append(f"{key} differ ({len(w) if isinstance(w, list) else ''} pinned):\n" + "\n".join(lines))
    assert not problems, f"{name}: the outcome moved from {path.name}:\n" + "\n".join(problems)
