"""The pass's batched write and its fallback for a cluster whose manifest to cancel changed meanwhile.

The pass plans every cluster from one read of the schedule's manifests, then writes a batch of
clusters with ``Store.cancel_and_create_many`` (each cluster all or nothing). Between the read
and the write an operator may cancel a manifest (``mimo manifests cancel``) or an actuator may
lease one: that cluster's group is refused (``None``) and the scheduler writes it one manifest
at a time, cancelling first, as it did before the batch existed; the other clusters of the batch
are written by the batch. Runs on every store: memory, SQLite and a real PostgreSQL server.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from mimo.api import ManifestState, OpenShiftClusterDocument, SubscriptionDocument
from mimo.scheduler import CANCELLED_BY_SCHEDULER, Scheduler

from .test_scheduler import SUB_A, Clock, schedule

NOW = datetime(2026, 12, 1, 10, tzinfo=timezone.utc)
NAMES = ("alpha", "bravo", "charlie", "delta", "echo")


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    from mimo.store import MemoryStore, PostgresStore, SqliteStore

    if request.param == "memory":
        s: Any = MemoryStore()
    elif request.param == "sqlite":
        s = SqliteStore(str(tmp_path / "mimo.db"))
    else:
        s = PostgresStore(request.getfixturevalue("pg_url"))
    yield s
    s.close()


class Meanwhile:
    """Delegates to a store; just before the first batch write, ``change(inner, groups)`` runs."""

    def __init__(self, inner: Any, change: Callable[[Any, Any], None]) -> None:
        self.inner = inner
        self.change: Callable[[Any, Any], None] | None = change
        self.batches: list[list[Any]] = []
        self.answers: list[list[Any]] = []

    def cancel_and_create_many(self, groups: Any, text: str) -> Any:
        if self.change is not None:
            change, self.change = self.change, None
            change(self.inner, groups)
        self.batches.append(list(groups))
        answers = self.inner.cancel_and_create_many(groups, text)
        self.answers.append(answers)
        return answers

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def _edited(store: Any, make_cluster: Callable[..., OpenShiftClusterDocument]) -> None:
    """Five clusters with two daily manifests each, then the calendar edited to 06:00."""
    store.put_subscription(SubscriptionDocument(id=SUB_A, state="Registered"))
    for name in NAMES:
        store.put_cluster(make_cluster(name))
    store.put_schedule(schedule(look_forward_count=2))
    assert len(Scheduler(store, clock=Clock(NOW)).process().created) == 10
    store.put_schedule(schedule(schedule="*-*-* 06:00", look_forward_count=2))


def _by_cluster(store: Any) -> dict[str, list[tuple[str, str, int]]]:
    out: dict[str, list[tuple[str, str, int]]] = {}
    for m in store.list_manifests():
        out.setdefault(m.cluster_resource_id, []).append((m.state, m.status_text, m.run_after))
    return {k: sorted(v) for k, v in out.items()}


@pytest.mark.parametrize("how", ["operator cancelled it", "an actuator leased it"])
def test_a_cluster_whose_manifest_to_cancel_changed_is_written_one_manifest_at_a_time(
    any_store: Any, make_cluster: Callable[..., OpenShiftClusterDocument], how: str
) -> None:
    _edited(any_store, make_cluster)
    # the reference: the same edit with nothing happening meanwhile, on a fresh store
    from mimo.store import MemoryStore

    ref = MemoryStore()
    _edited(ref, make_cluster)
    want = Scheduler(ref, clock=Clock(NOW)).process()
    assert len(want.cancelled) == 10 and len(want.created) == 10

    victim: dict[str, Any] = {}

    def change(inner: Any, groups: Any) -> None:
        ids, _creates = groups[1]  # the second cluster of the batch
        m = inner.get_manifest(ids[0])
        victim["m"] = m
        if how == "operator cancelled it":
            assert inner.cancel_manifest(m.id)
        else:
            assert inner.lease_manifest(m.id, "actuator-x", int(NOW.timestamp()) + 600, m.run_after) is not None

    store = Meanwhile(any_store, change)
    r = Scheduler(store, clock=Clock(NOW), batch_clusters=3).process()
    assert r.errors == []
    m = victim["m"]
    # the batch of three: the changed cluster refused whole, the other two written by it
    assert len(store.batches[0]) == 3
    assert [a is None for a in store.answers[0]] == [False, True, False]
    # the changed manifest is left as the operator / actuator left it, never cancelled by the scheduler
    got = any_store.get_manifest(m.id)
    if how == "operator cancelled it":
        assert (got.state, got.status_text) == (ManifestState.CANCELLED, "")
    else:
        assert (got.state, got.lease_owner) == (ManifestState.IN_PROGRESS, "actuator-x")
    assert m.id not in r.cancelled
    # everything else is what the undisturbed pass did: the cluster's other manifest cancelled,
    # both new periods created, no duplicate
    assert sorted(r.cancelled) == sorted(i for i in want.cancelled if i != m.id)
    assert sorted(x.id for x in r.created) == sorted(x.id for x in want.created)
    mine = any_store.list_manifests(cluster_resource_id=m.cluster_resource_id)
    assert sorted(x.run_after for x in mine if x.state == ManifestState.PENDING) == sorted(
        x.run_after for x in want.created if x.cluster_resource_id == m.cluster_resource_id
    )
    others = {k: v for k, v in _by_cluster(any_store).items() if k != m.cluster_resource_id}
    assert others == {k: v for k, v in _by_cluster(ref).items() if k != m.cluster_resource_id}
    assert all(
        x.status_text == CANCELLED_BY_SCHEDULER
        for x in any_store.list_manifests(states=[ManifestState.CANCELLED])
        if x.id != m.id
    )
    # and the next pass has nothing left to do
    again = Scheduler(any_store, clock=Clock(NOW + timedelta(seconds=5))).process()
    assert (again.created, again.cancelled, again.errors) == ([], [], [])


def test_a_batch_that_fails_is_written_one_cluster_at_a_time(
    any_store: Any, make_cluster: Callable[..., OpenShiftClusterDocument]
) -> None:
    """One cluster's bad write (here: the store refuses any batch naming it) costs only that cluster."""
    from mimo.store import StoreError

    _edited(any_store, make_cluster)
    bad_rid = make_cluster("charlie").resource_id.lower()

    class Refuses(Meanwhile):
        def cancel_and_create_many(self, groups: Any, text: str) -> Any:
            self.batches.append(list(groups))
            if any(m.cluster_resource_id == bad_rid for _ids, ms in groups for m in ms):
                raise StoreError("disk I/O error")
            return self.inner.cancel_and_create_many(groups, text)

    store = Refuses(any_store, lambda _i, _g: None)
    r = Scheduler(store, clock=Clock(NOW)).process()
    assert [len(b) for b in store.batches] == [5, 1, 1, 1, 1, 1]
    assert len(r.errors) == 1 and bad_rid in r.errors[0] and "disk I/O error" in r.errors[0]
    assert len(r.created) == len(r.cancelled) == 8
    assert {m.cluster_resource_id for m in r.created} == {
        make_cluster(n).resource_id.lower() for n in NAMES if n != "charlie"
    }
    # the bad cluster is untouched: its two old manifests still Pending, nothing new
    assert sorted(m.state for m in any_store.list_manifests(cluster_resource_id=bad_rid)) == ["Pending", "Pending"]
