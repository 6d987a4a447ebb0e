"""The fleet: exact shares, drawn by the seed; each cluster's world is what its tasks need."""

from __future__ import annotations

import random
from collections import Counter
from datetime import datetime, timedelta, timezone
from typing import Any

from mimo.environment import Environment
from pytest_mimo.simulation.fleet import apportion, draw_fleet
from pytest_mimo.simulation.scenario import FleetSpec

START = datetime(2026, 1, 5, tzinfo=timezone.utc)


def test_apportion_is_exact_and_shuffled_by_the_seed() -> None:
    mix = {"a": 0.5, "b": 0.3, "c": 0.2}
    one = apportion(mix, 10, random.Random(1))
    assert Counter(one) == {"a": 5, "b": 3, "c": 2}
    assert one == apportion(mix, 10, random.Random(1))
    assert any(apportion(mix, 10, random.Random(s)) != one for s in range(2, 6))
    # largest remainder: 7 × (1/3 each) → 3, 2, 2 (ties broken by name)
    assert Counter(apportion({"x": 1 / 3, "y": 1 / 3, "z": 1 / 3}, 7, random.Random(0))) == {"x": 3, "y": 2, "z": 2}


def test_fleet_mix_and_documents() -> None:
    spec = FleetSpec(clusters=20, subscriptions=4, architecture_version={"1": 0.25, "2": 0.75},
                     outbound_type={"Loadbalancer": 0.8, "UserDefinedRouting": 0.2}, managed_domain=0.9,
                     subscription_state={"Registered": 0.75, "Warned": 0.25}, unhealthy_apiserver=0.1,
                     acr_token_age_days=(10.0, 20.0))
    env = Environment()
    clusters, subs = draw_fleet(spec, 5, START, env)
    assert len(clusters) == 20 and len(subs) == 4
    props = [c.doc.properties for c in clusters]
    assert Counter(p.architecture_version for p in props) == {0: 5, 1: 15}
    assert Counter(p.network_profile.outbound_type for p in props) == {"Loadbalancer": 16, "UserDefinedRouting": 4}
    assert Counter("." in p.cluster_profile.domain for p in props) == {False: 18, True: 2}
    assert Counter(s.state for s in subs) == {"Registered": 3, "Warned": 1}
    assert sum(not c.healthy for c in clusters) == 2
    assert {c.doc.subscription_id for c in clusters} == {s.id for s in subs}
    assert len({c.resource_id for c in clusters}) == 20
    for p in props:
        issued = p.registry_profiles[0].issue_date
        assert p.registry_profiles[0].name == env.acr_domain
        assert START - timedelta(days=20) <= issued <= START - timedelta(days=10)
    again, _ = draw_fleet(spec, 5, START, env)
    assert [c.doc.to_dict() for c in again] == [c.doc.to_dict() for c in clusters]
    other, _ = draw_fleet(spec, 6, START, env)
    assert [c.doc.to_dict() for c in other] != [c.doc.to_dict() for c in clusters]


def test_fakes_hear_the_clock_only_while_passed_or_serving_a_watch_and_keep_connections(write_scenario: Any) -> None:
    from mimo.store.memory import MemoryStore
    from pytest_mimo import clock as simclock
    from pytest_mimo.clock import SimClock
    from pytest_mimo.simulation import load_scenario
    from pytest_mimo.simulation.fleet import KEEPALIVE_SECONDS, FleetWorld

    sc = load_scenario(write_scenario())
    with SimClock(sc.run.start) as clock:
        world = FleetWorld(sc, sc.seed, clock, MemoryStore(), Environment())
        try:
            def listening() -> set[int]:
                return {c.index for c in world.local if c.kube._on_clock in simclock._advance_listeners}

            a, b = world.local[0], world.local[1]
            assert listening() == set()
            world.begin_pass(a)
            assert listening() == {0} and world.current is a
            world.end_pass(a)
            assert listening() == set() and world.current is None
            # a fake still serving a watch after its pass keeps listening until the watch ends
            world.begin_pass(a)
            a.kube._watch_started()
            world.end_pass(a)
            assert listening() == {0}
            world.begin_pass(b)
            world.end_pass(b)
            assert listening() == {0}
            a.kube._watch_ended()
            world.begin_pass(b)
            assert listening() == {0, 1}
            world.end_pass(b)
            assert listening() == set()
            # a cluster's helper keeps its connection from pass to pass (an idle one is not closed after 32 s)
            assert {c.kube.read_timeout for c in world.local} == {KEEPALIVE_SECONDS}
            assert KEEPALIVE_SECONDS >= 3600
        finally:
            world.close()
