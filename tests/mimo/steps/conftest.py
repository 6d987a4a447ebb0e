from __future__ import annotations

from typing import Any

import pytest

from pytest_mimo.context import FakeTaskContext


@pytest.fixture
def kube_tc(fake_task_context: FakeTaskContext, fake_kube: Any) -> FakeTaskContext:
    """The default fake context wired to the fake Kubernetes server."""
    return fake_task_context.with_kube(fake_kube)
