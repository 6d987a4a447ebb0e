"""Fixtures for the admin API tests: a store with one cluster, the app, and a client."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from mimo.adminapi.app import create_app
from mimo.adminapi.auth import Authenticator
from mimo.adminapi.paging import SkipTokens
from mimo.adminapi.service import AdminService
from mimo.api import SubscriptionDocument
from mimo.store.base import Store

from .helpers import NOW, SUB, TOKEN, put_cluster


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def store(request: pytest.FixtureRequest) -> Iterator[Store]:
    """Each store the API runs on; PostgreSQL is a real server (the ``pg_url`` fixture of tests/conftest.py)."""
    if request.param == "memory":
        from mimo.store.memory import MemoryStore

        s: Store = MemoryStore()
    elif request.param == "postgres":
        from mimo.store.postgres import PostgresStore

        s = PostgresStore(request.getfixturevalue("pg_url"))
    else:
        from mimo.store.sqlite import SqliteStore

        d = tempfile.mkdtemp(prefix="mimo-adminapi-")
        s = SqliteStore(os.path.join(d, "mimo.db"))
    s.put_subscription(SubscriptionDocument(id=SUB))
    put_cluster(s)
    yield s
    s.close()


class Clock:
    def __init__(self) -> None:
        self.t = NOW

    def __call__(self) -> int:
        return self.t


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="session")
def tasks() -> dict:
    from mimo.tasks import load_tasks

    return load_tasks()


@pytest.fixture
def service(store: Store, clock: Clock, tasks: dict) -> AdminService:
    return AdminService(store, tasks=tasks, skip_tokens=SkipTokens(b"k" * 32), now=clock)


@pytest.fixture
def client(service: AdminService) -> Iterator[TestClient]:
    app = create_app(service, Authenticator(tokens=[TOKEN]))
    with TestClient(app, base_url="https://localhost:8443", raise_server_exceptions=False) as c:
        yield c
