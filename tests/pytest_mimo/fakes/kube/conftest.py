"""Fixtures of the fake's wire tests: a fake with namespace ``ns`` and a keep-alive connection
(a module may define its own ``kube`` fixture, which then wins)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pytest_mimo.fakes.kube import FakeKube

from .test_server import Wire


@pytest.fixture
def kube() -> Iterator[FakeKube]:
    with FakeKube(token="tok") as fake:
        fake.add({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ns"}})
        yield fake


@pytest.fixture
def wire(kube: FakeKube) -> Wire:
    return Wire(kube)
