"""The session's mimo settings (seed, replays, fault rate, gate, report), read by the plugin and its items.

Apart from :mod:`pytest_mimo.plugin`, which writes them in ``pytest_configure``,
so that the items it collects (:mod:`pytest_mimo.simulation.pytest_items`) can
read them without importing the plugin that imports them.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from pytest_mimo.attempts import DEFAULT_WALL_BUDGET

__all__ = ["SETTINGS", "Settings", "settings"]


@dataclass(frozen=True)
class Settings:
    seed: int
    seed_was_random: bool
    replays: int
    fault_rate: float
    gate: bool
    report: str | None
    clock_start: str | None
    wall_budget: float = DEFAULT_WALL_BUDGET
    explore: str = "random"  #: --mimo-explore: random (seeded replays) or exhaustive (every fault site)


#: where ``pytest_configure`` keeps them
SETTINGS = pytest.StashKey[Settings]()


def settings(config: pytest.Config) -> Settings:
    return config.stash[SETTINGS]
