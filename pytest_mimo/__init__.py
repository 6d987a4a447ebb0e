"""pytest-mimo: the harness that replays MIMO tasks against fakes, faults and virtual time.

The public API is importable from here, without pytest running::

    from pytest_mimo import FakeKube, FakeAzure, SimClock, FakeTaskContext, MimoWorld, Replayer

Each name is imported on first use (PEP 562), so that loading the pytest plugin stays
cheap and no fake starts importing SDKs before a test asks for it. The page that lists
them is ``docs/public-api.md``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pytest_mimo.cases import ReplayCase
    from pytest_mimo.clock import SimClock
    from pytest_mimo.context import FakeTaskContext, NotWired
    from pytest_mimo.controllers import DeploymentController
    from pytest_mimo.fakes.azure import FakeAzure, UnservedRequestError
    from pytest_mimo.fakes.kube import FakeKube
    from pytest_mimo.faults import (
        FaultInjector,
        FaultKind,
        FaultRule,
        FaultSite,
        ScheduledFault,
        SimulatedCrash,
    )
    from pytest_mimo.invariants import mimo_invariant
    from pytest_mimo.replay import Replayer, ReplayOutcome, RunResult
    from pytest_mimo.variants import Variant, WorldBuilder, option, world_builder
    from pytest_mimo.world import MimoWorld

# name -> the module that defines it
_EXPORTS: dict[str, str] = {
    "SimClock": "pytest_mimo.clock",
    "FakeTaskContext": "pytest_mimo.context",
    "NotWired": "pytest_mimo.context",
    "DeploymentController": "pytest_mimo.controllers",
    "FakeAzure": "pytest_mimo.fakes.azure",
    "UnservedRequestError": "pytest_mimo.fakes.azure",
    "FakeKube": "pytest_mimo.fakes.kube",
    "FaultInjector": "pytest_mimo.faults",
    "FaultKind": "pytest_mimo.faults",
    "FaultRule": "pytest_mimo.faults",
    "FaultSite": "pytest_mimo.faults",
    "SimulatedCrash": "pytest_mimo.faults",
    "ScheduledFault": "pytest_mimo.faults",
    "ReplayCase": "pytest_mimo.cases",
    "Variant": "pytest_mimo.variants",
    "WorldBuilder": "pytest_mimo.variants",
    "option": "pytest_mimo.variants",
    "world_builder": "pytest_mimo.variants",
    "mimo_invariant": "pytest_mimo.invariants",
    "Replayer": "pytest_mimo.replay",
    "ReplayOutcome": "pytest_mimo.replay",
    "RunResult": "pytest_mimo.replay",
    "MimoWorld": "pytest_mimo.world",
}

__all__ = [
    "DeploymentController",
    "FakeAzure",
    "FakeKube",
    "FakeTaskContext",
    "FaultInjector",
    "FaultKind",
    "FaultRule",
    "FaultSite",
    "MimoWorld",
    "NotWired",
    "ReplayCase",
    "ReplayOutcome",
    "Replayer",
    "RunResult",
    "ScheduledFault",
    "SimClock",
    "SimulatedCrash",
    "UnservedRequestError",
    "Variant",
    "WorldBuilder",
    "mimo_invariant",
    "option",
    "world_builder",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'pytest_mimo' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # the next look-up is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
