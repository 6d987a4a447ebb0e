"""Fleet simulations: a scenario (TOML) of clusters, schedules, faults and expectations,
run by the real scheduler and actuator against per-cluster fakes on the simulated clock.

* :mod:`.scenario` — the TOML schema (:func:`load_scenario`, :class:`ScenarioError`)
* :mod:`.fleet` — the clusters drawn from the seed, and their fakes
* :mod:`.engine` — the run loop (:class:`Simulation`)
* :mod:`.report` — numbers, expectations, JSON, summary table, PNG timeline
* :mod:`.pytest_items` — ``simulations/*.toml`` collected as pytest items

``simulate(path_or_none, seed=None)`` runs one and returns its :class:`~.report.Report`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_mimo.simulation.scenario import DEFAULT_SCENARIO, Scenario, ScenarioError, load_scenario

if TYPE_CHECKING:
    from pytest_mimo.simulation.report import Report

__all__ = ["DEFAULT_SCENARIO", "Scenario", "ScenarioError", "load_scenario", "simulate"]


def simulate(scenario: Scenario | str | Path | None = None, *, seed: int | None = None,
             progress: Any = None, shards: int | None = None) -> Report:
    """Run a scenario (a file, a parsed :class:`Scenario`, or the default) and build its report
    (``shards``: actuator hosts in parallel processes; the scenario's ``run.shards`` by default)."""
    from pytest_mimo.simulation.engine import run_simulation
    from pytest_mimo.simulation.report import build_report

    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    return build_report(run_simulation(sc, seed=seed, progress=progress, shards=shards))
