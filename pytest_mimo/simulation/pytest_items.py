"""``simulations/*.toml`` as pytest items: ``pytest simulations -n auto``.

Every ``.toml`` file inside a directory named ``simulations`` is collected as
one :class:`SimulationItem`; running it runs the scenario and its assertions
are the scenario's ``[expect]`` table. A failure names each failed
expectation with the actual and the expected value, the seed, and the
command that replays it.

Seed: the scenario's ``seed`` (0 when absent), or ``--mimo-seed`` when that
is given on the command line (``random`` draws one, printed in the header).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

__all__ = ["SimulationFile", "SimulationItem", "SimulationFailed", "pytest_collect_file", "is_simulation_file"]


def is_simulation_file(path: Path) -> bool:
    return path.suffix == ".toml" and "simulations" in path.parent.parts


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if is_simulation_file(file_path):
        return SimulationFile.from_parent(parent, path=file_path)
    return None


class SimulationFailed(AssertionError):
    """The scenario ran and at least one expectation did not hold."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


class SimulationFile(pytest.File):
    def collect(self) -> list[pytest.Item]:
        return [SimulationItem.from_parent(self, name=self.path.stem)]


class SimulationItem(pytest.Item):
    """One scenario; passes when every expectation holds."""

    def _seed(self, scenario_seed: int) -> int:
        if self.config.getoption("mimo_seed", default=None) is None:
            return scenario_seed
        from pytest_mimo.settings import settings

        return int(settings(self.config).seed)

    def runtest(self) -> None:
        from pytest_mimo.simulation import ScenarioError, load_scenario
        from pytest_mimo.simulation.engine import run_simulation
        from pytest_mimo.simulation.report import build_report

        try:
            scenario = load_scenario(self.path)
        except ScenarioError as e:
            raise SimulationFailed(f"bad scenario: {e}") from None
        seed = self._seed(scenario.seed)
        self.user_properties.append(("mimo_simulation_seed", seed))
        report = build_report(run_simulation(scenario, seed=seed))
        self.user_properties.append(("mimo_simulation_ok", report.ok))
        summary = "\n".join(
            [f"seed {seed}; virtual {report.data['run']['start']} -> {report.data['run']['end']}; "
             f"wall {report.wall.get('seconds', 0):.1f}s"]
            + [f"{'ok    ' if r.ok else 'FAILED'} {r.describe()}" for r in report.expectations]
        )
        self.add_report_section("call", "simulation", summary)
        if not report.ok:
            raise SimulationFailed(report.failure_text())

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, SimulationFailed):
            return excinfo.value.text
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"simulation {self.name}"
