"""Fixtures for the fake Azure's own tests: virtual time, a started fake, SDK clients.

Virtual time: ``time_machine.travel(..., tick=False)`` freezes ``time.time``;
``time.sleep`` is replaced by a shift of the traveller, so the Azure SDK's
retry back-off and LRO polling cost no wall time.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import pytest
import time_machine

from mimo.azure import AzureClients
from mimo.environment import Environment
from pytest_mimo.fakes.azure import FakeAzure

START = datetime(2026, 1, 5, tzinfo=timezone.utc)


class VirtualClock:
    def __init__(self, traveller: Any) -> None:
        self.traveller = traveller
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.traveller.shift(seconds)

    @property
    def elapsed(self) -> float:
        return time.time() - START.timestamp()


@pytest.fixture
def vclock(monkeypatch: pytest.MonkeyPatch) -> Iterator[VirtualClock]:
    with time_machine.travel(START, tick=False) as traveller:
        clock = VirtualClock(traveller)
        monkeypatch.setattr(time, "sleep", clock.sleep)
        yield clock


@pytest.fixture
def fake(vclock: VirtualClock) -> Iterator[FakeAzure]:
    with FakeAzure() as f:
        f.add_resource_group("rg")
        yield f


@pytest.fixture
def env() -> Environment:
    return Environment()


@pytest.fixture
def clients(fake: FakeAzure, env: Environment) -> AzureClients:
    return fake.clients(env)


@pytest.fixture
def arm_token(fake: FakeAzure) -> str:
    """A bearer token for ARM from the fake, got through the real credential."""
    return str(fake.credential().get_token(fake.cloud.credential_scope).token)
