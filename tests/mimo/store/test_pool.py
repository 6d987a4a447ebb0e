"""Buckets and pool workers (mimo.store.pool, Store.pool_refresh).

The balancing and interval rules follow the Go MIMO's ``pkg/util/buckets/balancer.go``
(``balance``, ``capIntervals``, ``tryMaster``) and their cases in ``balancer_test.go``
(``TestBalance``, ``TestCapInterval``); the master document's lease and the workers'
heartbeats follow ``pkg/database/poolworkers.go`` (``TryLease``: only a lease that is absent
or expired is taken; ``PoolWorkerHeartbeat``: a document that lives ``ttl`` seconds).
"""

from __future__ import annotations

import threading
from collections import Counter

import pytest

from mimo.store.pool import (
    ACTUATOR_POOL,
    BUCKETS,
    balance,
    bucket_of,
    capped_interval,
    go_duration,
    master_refresh,
    owned_buckets,
)

from .test_store_contract import make_store

NOW = 1_800_000_000


# -- balance: Go's TestBalance, 8 buckets --------------------------------------------------------
def test_balance_0_to_1_gives_one_worker_every_bucket():
    assert balance(["one"], 8, []) == ["one"] * 8


def test_balance_3_to_1():
    old = ["one", "two", "one", "three", "one", "two", "two", "one", "two"]
    assert balance(["one"], 8, old) == ["one"] * 8  # also cut to 8, as Go's "should never happen"


def test_balance_3_to_0_leaves_every_bucket_unowned():
    assert balance([], 8, ["one", "one", "one", "one", "one", "one", "two", "three"]) == [""] * 8


def test_balance_imbalanced_keeps_the_owners_share_and_moves_the_rest():
    old = ["one", "one", "", "two", "one", "one", "one", "one"]
    new = balance(["one", "two"], 8, old)
    assert Counter(new) == {"one": 4, "two": 4}
    assert all(old[i] == "one" for i, w in enumerate(new) if w == "one")  # one keeps only buckets it had


def test_balance_stable_allocation_is_unchanged():
    old = ["one", "two", "three", "one", "two", "three", "one", "three"]
    assert balance(["one", "two", "three"], 8, old) == old


def test_balance_buckets_above_the_margin_go_to_the_least_loaded_in_sorted_order():
    old = ["one", "one", "one", "one", "two", "three", "one", "three"]
    # Go's expected: "three" sorts before "two" and so gets the first freed bucket
    assert balance(["one", "two", "three"], 8, old) == ["one", "one", "one", "two", "two", "three", "three", "three"]


def test_balance_3_to_5_keeps_old_owners_and_no_one_holds_more_than_two():
    old = ["one", "two", "three", "one", "two", "three", "one", "three"]
    new = balance(["one", "two", "three", "four", "five"], 8, old)
    for i, w in enumerate(new):
        assert w in {"one", "two", "three", "four", "five"}
        if w in {"one", "two", "three"}:
            assert old[i] == w
    assert max(Counter(new).values()) <= 2


def test_balance_of_256_buckets_over_three_workers_is_even():
    got = Counter(balance(["a", "b", "c"], BUCKETS, []))
    assert sorted(got.values()) == [85, 85, 86]


# -- capIntervals: Go's TestCapInterval, with Go's messages ----------------------------------------
@pytest.mark.parametrize(
    ("interval", "ttl", "want_interval", "want_ttl", "said"),
    [
        (10, 60, 10, 60, []),
        (10, 10, 7.5, 10, ["interval 10s was more than 75% of TTL 10s, capping"]),
        (50, 60, 45, 60, ["interval must be at most 45s to align with renewLease, was 50s, capping"]),
        (100, 45, 33.75, 45, [
            "interval must be at most 45s to align with renewLease, was 1m40s, capping",
            "interval 45s was more than 75% of TTL 45s, capping",
        ]),
        (10, 120, 10, 60, ["workerTTL must be at most 1m0s to align with renewLease, was 2m0s, capping"]),
    ],
)
def test_capped_interval_as_go(interval, ttl, want_interval, want_ttl, said):
    assert capped_interval(interval, ttl) == (want_interval, want_ttl, said)


@pytest.mark.parametrize(("seconds", "text"), [(45, "45s"), (100, "1m40s"), (120, "2m0s"), (7.5, "7.5s"),
                                               (0.75, "750ms"), (3600, "1h0m0s"), (0, "0s")])
def test_go_duration(seconds, text):
    assert go_duration(seconds) == text


# -- the master document (tryMaster) --------------------------------------------------------------
def test_master_refresh_takes_only_a_free_expired_or_own_lease():
    alloc = ["a"] * 4
    assert master_refresh(None, 0, [], "a", NOW, ["a"], 4) == (True, ["a"] * 4)
    assert master_refresh("", 0, [], "a", NOW, ["a"], 4)[0] is True  # bootstrapped, never leased
    assert master_refresh("b", NOW, alloc, "a", NOW, ["a", "b"], 4) == (False, alloc)  # b's lease: untouched
    assert master_refresh("b", NOW - 1, alloc, "a", NOW, ["a", "b"], 4) == (True, ["a", "a", "b", "b"])
    assert master_refresh("a", NOW + 60, alloc, "a", NOW, ["a", "b"], 4)[0] is True


def test_bucket_of_is_stable_case_blind_and_in_range():
    rid = "/subscriptions/s/resourceGroups/RG/providers/Microsoft.RedHatOpenShift/openShiftClusters/C1"
    assert bucket_of(rid) == bucket_of(rid.lower())
    assert {0 <= bucket_of(f"/c{i}") < BUCKETS for i in range(1000)} == {True}
    assert len({bucket_of(f"/c{i}") for i in range(1000)}) > 200  # spread over the buckets


def test_owned_buckets_none_until_allocated():
    assert owned_buckets([], "a") is None
    assert owned_buckets(["a", "b", "a"], "a") == frozenset({0, 2})


# -- Store.pool_refresh, on every store -----------------------------------------------------------
@pytest.fixture(params=["memory", "sqlite", "postgres"])
def store(request, tmp_path):
    s = make_store(request.param, request, tmp_path)
    yield s
    s.close()


def test_a_lone_worker_becomes_master_and_owns_every_bucket(store):
    got = store.pool_refresh(ACTUATOR_POOL, "a", NOW, ttl=60)
    assert got.master is True
    assert got.buckets == frozenset(range(BUCKETS))


def test_a_second_worker_gets_half_at_the_masters_next_refresh(store):
    store.pool_refresh(ACTUATOR_POOL, "a", NOW, ttl=60)
    b = store.pool_refresh(ACTUATOR_POOL, "b", NOW + 1, ttl=60)
    assert (b.master, b.buckets) == (False, frozenset())  # a holds the master lease; nothing for b yet
    a = store.pool_refresh(ACTUATOR_POOL, "a", NOW + 2, ttl=60)
    b = store.pool_refresh(ACTUATOR_POOL, "b", NOW + 3, ttl=60)
    assert a.master and not b.master
    assert a.buckets is not None and b.buckets is not None
    assert len(a.buckets) == len(b.buckets) == BUCKETS // 2
    assert a.buckets | b.buckets == frozenset(range(BUCKETS)) and not a.buckets & b.buckets


def test_a_worker_that_stops_refreshing_loses_its_buckets_and_the_master_lease(store):
    store.pool_refresh(ACTUATOR_POOL, "a", NOW, ttl=10)
    store.pool_refresh(ACTUATOR_POOL, "b", NOW, ttl=10)
    store.pool_refresh(ACTUATOR_POOL, "a", NOW + 1, ttl=10)  # a balances: half each
    # a falls silent; its heartbeat and master lease (until NOW + 11) lapse
    b = store.pool_refresh(ACTUATOR_POOL, "b", NOW + 11, ttl=10)
    assert not b.master and b.buckets is not None and len(b.buckets) == BUCKETS // 2  # not yet: 11 is not < 11
    b = store.pool_refresh(ACTUATOR_POOL, "b", NOW + 12, ttl=10)
    assert b.master and b.buckets == frozenset(range(BUCKETS))
    # a comes back: it is a worker again, and gets its share at b's next refresh
    a = store.pool_refresh(ACTUATOR_POOL, "a", NOW + 13, ttl=10)
    assert not a.master and a.buckets == frozenset()
    store.pool_refresh(ACTUATOR_POOL, "b", NOW + 14, ttl=10)
    a = store.pool_refresh(ACTUATOR_POOL, "a", NOW + 15, ttl=10)
    assert a.buckets is not None and len(a.buckets) == BUCKETS // 2


def test_pools_are_apart(store):
    store.pool_refresh(ACTUATOR_POOL, "a", NOW, ttl=60)
    other = store.pool_refresh("mimo-scheduler", "b", NOW, ttl=60)
    assert other.master and other.buckets == frozenset(range(BUCKETS))
    assert store.pool_refresh(ACTUATOR_POOL, "a", NOW + 1, ttl=60).buckets == frozenset(range(BUCKETS))


def test_concurrent_refreshes_elect_one_master_and_share_every_bucket_once(store):
    names = [f"w{i}" for i in range(4)]
    for round_ in range(3):  # register, then let the master balance over all four
        barrier = threading.Barrier(len(names), timeout=30)
        results: dict[str, object] = {}

        def refresh(name: str, barrier: threading.Barrier, results: dict, now: int) -> None:
            barrier.wait()
            results[name] = store.pool_refresh(ACTUATOR_POOL, name, now, ttl=60)

        threads = [threading.Thread(target=refresh, args=(n, barrier, results, NOW + round_)) for n in names]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert sum(1 for r in results.values() if r.master) <= 1  # type: ignore[attr-defined]
    final = {n: store.pool_refresh(ACTUATOR_POOL, n, NOW + 3, ttl=60) for n in names}
    owned = [b for r in final.values() for b in (r.buckets or ())]
    assert sorted(owned) == list(range(BUCKETS))  # every bucket, each to exactly one worker
    assert {len(r.buckets or ()) for r in final.values()} == {BUCKETS // 4}
