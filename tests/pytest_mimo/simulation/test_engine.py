"""End to end: the real scheduler and actuator over a small fleet, on the simulated clock."""

from __future__ import annotations

import sys
import time
from datetime import datetime

from mimo import const
from mimo.api import ManifestState
from pytest_mimo.simulation import simulate
from pytest_mimo.simulation.engine import Simulation, bucket_seconds
from pytest_mimo.simulation.report import build_report
from pytest_mimo.simulation.scenario import parse_scenario

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def scenario(text: str, **changes: dict) -> object:
    data = tomllib.loads(text)
    for table, values in changes.items():
        data.setdefault(table, {}).update(values)
    return parse_scenario(data)


def test_a_small_fleet_completes_every_manifest(tiny_text: str) -> None:
    t0 = time.perf_counter()
    data = Simulation(scenario(tiny_text)).run()
    assert time.perf_counter() - t0 < 30
    states = {m.state for m in data.manifests}
    assert states <= {ManifestState.COMPLETED, ManifestState.PENDING}
    by_task = {m.maintenance_task_id for m in data.manifests}
    assert by_task == {const.ACR_TOKEN_CHECKER_ID, const.TLS_CERT_ROTATION_ID}
    # 3 daily ACR periods (+1 look-ahead) and 1 TLS period (+1) for 4 clusters
    assert len(data.manifests) == 4 * (3 + 1) + 4 * (1 + 1)
    done = [m for m in data.manifests if m.state == ManifestState.COMPLETED]
    assert len(done) == 4 * 3 + 4
    report = build_report(data)
    assert report.ok, report.failure_text()
    assert report.data["manifests"]["completed_share"] == 1.0
    assert report.data["attempts"]["total"] >= len(done)
    assert report.data["faults"]["by_kind"], "kube throttle at 5% never fired"
    assert set(report.data["faults"]["by_kind"]) == {"kube.throttle"}


def test_same_seed_same_report_other_seed_other_report(tiny_text: str) -> None:
    a = simulate(scenario(tiny_text), seed=9)
    b = simulate(scenario(tiny_text), seed=9)
    c = simulate(scenario(tiny_text), seed=10)
    assert a.to_json(wall=False) == b.to_json(wall=False)
    assert a.to_json(wall=False) != c.to_json(wall=False)
    assert a.seed == 9 and '"wall"' not in a.to_json(wall=False) and '"wall"' in a.to_json()


def test_idle_time_costs_nothing_and_latency_stays_on_the_poll_grid(tiny_text: str) -> None:
    # no faults, more workers than clusters: each manifest is taken at the first 90 s poll after runAfter
    sc = scenario(tiny_text.replace("throttle = 0.05", ""), run={"duration": "14d", "workers": 8})
    report = simulate(sc)
    lat = report.data["latency_seconds"]
    assert lat["count"] == report.data["manifests"]["by_state"]["Completed"] > 50
    assert 0 <= lat["max"] < 90
    assert report.data["attempts"]["retries"] == 0
    assert report.data["scheduler"]["skipped"] > report.data["scheduler"]["passes"]


def test_one_worker_queues_slow_tasks_that_four_workers_share(tiny_text: str) -> None:
    # operator updates wait ~150 s for the rollout each; all eight clusters are due at the same instant
    text = tiny_text.replace("throttle = 0.05", "").replace('"ACR_TOKEN_CHECKER_ID"', '"OPERATOR_UPDATE_ID"')
    text = text.replace('scheduleAcross = "1h"', 'scheduleAcross = "0s"')
    one = simulate(scenario(text, fleet={"clusters": 8}, run={"workers": 1, "duration": "1d"}))
    four = simulate(scenario(text, fleet={"clusters": 8}, run={"workers": 4, "duration": "1d"}))
    assert one.data["manifests"]["by_task"]["OPERATOR_UPDATE_ID"]["Completed"] == 8
    assert four.data["manifests"]["by_task"]["OPERATOR_UPDATE_ID"]["Completed"] == 8
    # one worker: the 8th cluster waits for seven rollouts; four workers: for one
    assert one.data["latency_seconds"]["max"] >= 7 * 150
    assert four.data["latency_seconds"]["max"] < 3 * 150 < one.data["latency_seconds"]["max"]


def test_crashes_are_recovered_after_the_lease_and_end_in_retries_exceeded(tiny_text: str) -> None:
    text = tiny_text.replace("[faults.kube]\nthrottle = 0.05", "[faults.step]\ncrash_after_step = 1.0")
    data = Simulation(scenario(text, run={"duration": "1d"}, fleet={"clusters": 2})).run()
    acr = [m for m in data.manifests if m.maintenance_task_id == const.ACR_TOKEN_CHECKER_ID and m.dequeues]
    assert acr
    for m in acr:
        assert m.state == ManifestState.RETRIES_EXCEEDED
        assert m.dequeues == 5
        assert "lease expired while InProgress" in m.status_text
        attempts = [a for a in data.attempts if a.manifest_id == m.id]
        assert [a.outcome for a in attempts] == ["crash"] * 5
        gaps = [b.start - a.start for a, b in zip(attempts, attempts[1:], strict=False)]
        assert all(g >= 90 for g in gaps), gaps  # the next pass after the rest, lease (60 s) expired by then


def test_an_incident_hits_its_share_of_the_fleet_in_its_window(tiny_text: str) -> None:
    text = tiny_text.replace("throttle = 0.05", "") + """
[[faults.incidents]]
name = "outage"
start = "1d"
end = "1d3h"
share = 0.5
target = "kube"
kind = "unavailable"
"""
    text = text.replace("completed_share_min = 1.0", "retries_exceeded_outside_incidents_max = 0")
    report = simulate(scenario(text, fleet={"clusters": 6}))
    inc = report.data["incidents"][0]
    assert len(inc["clusters"]) == 3
    assert inc["faults"] > 0 and inc["faults"] == report.data["faults"]["by_kind"]["kube.unavailable"]
    assert inc["manifests_touched"] == 3  # Tuesday's certificate rotation of the three clusters hit
    assert report.data["manifests"]["by_state"]["RetriesExceeded"] == 3
    assert report.data["metrics"]["retries_exceeded_outside_incidents"] == 0
    assert report.ok
    hit = set(inc["clusters"])
    for m in report.data["manifests"]["not_completed"]:
        assert m["cluster"] in hit and m["state"] == "RetriesExceeded"
        assert m["task"] == "TLS_CERT_ROTATION_ID"
        assert datetime.fromisoformat(m["runAfter"].replace("Z", "+00:00")).hour in (0, 1)


def test_sqlite_store(tiny_text: str) -> None:
    report = simulate(scenario(tiny_text, run={"store": "sqlite", "duration": "1d"}))
    assert report.data["run"]["store"] == "sqlite"
    assert report.data["manifests"]["by_state"]["Completed"] == 4


def test_failed_expectations_are_named_with_actual_expected_and_seed(tiny_text: str) -> None:
    text = tiny_text + 'latency_max_max = "0s"\nfaults_max = 0\nretries_exceeded_min = 1\n'
    report = simulate(scenario(text))
    assert not report.ok
    assert {e.key for e in report.failed} == {"faults_max", "retries_exceeded_min", "latency_max_max"}
    text = report.failure_text()
    assert "(seed 4)" in text
    assert "retries_exceeded_min: expected >= 1, got 0" in text
    assert "latency_max_max: expected <= 0s, got " in text
    assert "mimo simulate <scenario> --seed 4" in text


def test_never_more_passes_at_once_than_workers_and_one_per_cluster(tiny_text: str) -> None:
    text = tiny_text.replace('"ACR_TOKEN_CHECKER_ID"', '"OPERATOR_UPDATE_ID"').replace(
        'scheduleAcross = "1h"', 'scheduleAcross = "10m"').replace("throttle = 0.05", "")
    data = Simulation(scenario(text, fleet={"clusters": 6}, run={"workers": 2, "duration": "2d"})).run()
    spans = [(a.start, a.end, a.cluster) for a in data.attempts]
    assert len(spans) >= 12 and all(e >= s for s, e, _ in spans)
    assert any(e - s >= 150 for s, e, _ in spans), "no rollout took virtual time"
    events = sorted([(s, 1) for s, _, _ in spans] + [(e, -1) for _, e, _ in spans])
    running = peak = 0
    for _, d in events:
        running += d
        peak = max(peak, running)
    assert peak == 2
    for rid in {c for _, _, c in spans}:
        mine = sorted((s, e) for s, e, c in spans if c == rid)
        assert all(b[0] >= a[1] for a, b in zip(mine, mine[1:], strict=False)), rid


def test_the_states_timeline_follows_the_manifests_to_their_final_states(tiny_text: str) -> None:
    data = Simulation(scenario(tiny_text)).run()
    run = data.scenario.run
    size = bucket_seconds(run.duration.total_seconds())
    timeline = data.states_timeline
    buckets = -(-int(run.duration.total_seconds()) // size)
    assert {len(v) for v in timeline.values()} == {buckets}
    totals = [sum(v[i] for v in timeline.values()) for i in range(buckets)]
    assert totals == sorted(totals) and totals[0] > 0  # manifests are created, never lost
    final = {st: sum(1 for m in data.manifests if m.state == st) for st in timeline}
    assert {st: v[-1] for st, v in timeline.items()} == final  # the last sample is the end of the run
    done = timeline[ManifestState.COMPLETED]
    assert done == sorted(done) and done[0] < done[-1]


def test_selectors_on_subscription_state_leave_suspended_subscriptions_out(tiny_text: str) -> None:
    sc = scenario(
        tiny_text.replace('task = "TLS_CERT_ROTATION_ID"', 'task = "TLS_CERT_ROTATION_ID"\n'
                          'selectors = [{ key = "subscriptionState", operator = "notin", values = ["Suspended"] }]')
                 .replace('task = "ACR_TOKEN_CHECKER_ID"', 'task = "ACR_TOKEN_CHECKER_ID"\n'
                          'selectors = [{ key = "subscriptionState", operator = "eq", value = "Registered" }]'),
        fleet={"subscriptions": 2, "subscription_state": {"Registered": 0.5, "Suspended": 0.5}},
        expect={"manifests_subscription_suspended_max": 0, "clusters_scheduled_max": 2,
                "clusters_scheduled_min": 2, "manifests_subscription_registered_min": 1, "manifests_min": 1},
    )
    report = build_report(Simulation(sc).run())
    d = report.data
    assert d["fleet"]["mix"]["subscriptionState"] == {"Registered": 1, "Suspended": 1}
    assert d["manifests"]["by_subscription_state"]["Suspended"] == 0
    assert d["manifests"]["by_subscription_state"]["Registered"] == d["manifests"]["total"] > 0
    assert report.ok, report.failure_text()
    # the metric counts what it says: the same fleet with no selectors schedules every cluster
    open_sc = scenario(tiny_text, fleet={"subscriptions": 2, "subscription_state": {"Registered": 0.5, "Suspended": 0.5}},
                       expect={"manifests_subscription_suspended_max": 0})
    opened = build_report(Simulation(open_sc).run())
    assert opened.data["metrics"]["clusters_scheduled"] == 4
    assert [r.key for r in opened.failed] == ["manifests_subscription_suspended_max"]


def test_two_shards_make_the_same_manifests_as_one_host_and_are_reproducible(tiny_text: str) -> None:
    """Shards are actuator hosts owning every other cluster, run in two processes: the scheduler's
    work is per cluster, so the manifests (deterministic IDs) are exactly those of one host."""
    from pytest_mimo.simulation.engine import run_simulation

    sc = scenario(tiny_text)
    one = run_simulation(sc)
    two = run_simulation(sc, shards=2)
    assert sorted(m.id for m in two.manifests) == sorted(m.id for m in one.manifests)
    assert [c.name for c in two.fleet.clusters] == [c.name for c in one.fleet.clusters]
    assert {m.state for m in two.manifests} == {m.state for m in one.manifests}
    assert {st: v[-1] for st, v in two.states_timeline.items()} == {
        st: sum(1 for m in two.manifests if m.state == st) for st in two.states_timeline}
    first, again = build_report(two), build_report(run_simulation(sc, shards=2))
    assert first.data["run"]["shards"] == 2
    assert first.to_json(wall=False) == again.to_json(wall=False)


def test_a_merge_needs_every_cluster_exactly_once(tiny_text: str) -> None:
    import pytest

    from pytest_mimo.simulation.fleet import FleetSummary

    data = Simulation(scenario(tiny_text), shard=(0, 2)).run()
    assert [c.index for c in data.fleet.clusters] == [0, 2]  # every other cluster
    with pytest.raises(ValueError, match="do not cover the fleet exactly once"):
        FleetSummary.merge([data.fleet])
    with pytest.raises(ValueError, match="shard 2 of 2 does not exist"):
        Simulation(scenario(tiny_text), shard=(2, 2))


def test_sharded_runs_report_progress_from_every_shard(tiny_text: str) -> None:
    from pytest_mimo.simulation.engine import run_simulation

    seen: list[float] = []
    run_simulation(scenario(tiny_text, run={"duration": "60d"}), shards=2, progress=seen.append)
    assert seen == sorted(seen) and seen[-1] == 1.0
    # it moves while the shards run, not only when one ends (which would give multiples of 1/2)
    assert [v for v in seen if v % 0.5], seen
