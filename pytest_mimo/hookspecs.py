"""The harness's hook specifications, added to pytest with ``pytest_addhooks``.

Implement them in a ``conftest.py`` or a plugin:

``pytest_mimo_kinds()``
    Return more Kubernetes kinds for every ``fake_kube``: a list of
    ``(api_version, kind, plural, namespaced)`` tuples.

``pytest_mimo_fault_kinds()``
    Return more fault kinds: a list of :class:`pytest_mimo.faults.FaultKind`
    (a name, a target ``kube``/``azure``, the built-in kind the fake plays it
    as, and whether it applies to writes only). They join the replays' fault
    sites and ``mimo_faults.inject``.

``pytest_mimo_replay_outcome(item, outcome)``
    Called with each replay's :class:`pytest_mimo.replay.ReplayOutcome`,
    after its checks, before the test passes or fails.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from pytest_mimo.faults import FaultKind
    from pytest_mimo.replay import ReplayOutcome



def pytest_mimo_kinds() -> list[tuple[str, str, str, bool]]:  # type: ignore[empty-body]
    """More kinds for every fake Kubernetes API server: ``(api_version, kind, plural, namespaced)``."""


def pytest_mimo_fault_kinds() -> list[FaultKind]:  # type: ignore[empty-body]
    """More fault kinds for injection and replays."""


def pytest_mimo_replay_outcome(item: pytest.Item, outcome: ReplayOutcome) -> Any:
    """Called with each replay's outcome (for reports, dashboards, flaky-task tracking)."""
