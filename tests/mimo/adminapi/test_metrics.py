"""Metrics (Go MIMO names, Prometheus style) and readiness (Go's checkReady, controller-runtime healthz)."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from mimo.api import MaintenanceManifest, ManifestState
from mimo.health import Readiness, healthz_reply
from mimo.metrics import GO_NAMES, Metrics
from mimo.store.memory import MemoryStore
from mimo.store.metered import metered

from .helpers import NOW, RID, SUB, TASK, put_cluster


def samples(metrics: Metrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for fam in text_string_to_metric_families(metrics.render().decode()):
        for s in fam.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def _store() -> MemoryStore:
    from mimo.api import SubscriptionDocument

    s = MemoryStore()
    s.put_subscription(SubscriptionDocument(id=SUB))
    put_cluster(s)
    return s


def _pending(store, run_after=NOW - 10, **kw) -> MaintenanceManifest:
    return store.create_manifest(MaintenanceManifest(
        cluster_resource_id=RID, maintenance_task_id=TASK, run_after=run_after, run_before=run_after + 3600, **kw))


def test_every_go_name_is_exposed_in_prometheus_style():
    got = {name for name, _ in samples(Metrics())} | {f.name for f in text_string_to_metric_families(Metrics().render().decode())}
    for prom in GO_NAMES:
        base = prom.removesuffix("_total")
        assert prom in got or base in got, prom
    assert GO_NAMES["mimo_actuator_workers_active"] == "mimo.actuator.workers.active.count"
    assert GO_NAMES["mimo_database_maintenancemanifests_queue_length"] == "database.maintenancemanifests.queue.length"


def test_an_attempt_is_observed_by_task_id_and_outcome_through_the_store():
    inner = _store()
    metrics = Metrics()
    polls = []
    store = metered(inner, metrics, on_poll=lambda: polls.append(1))
    a, b = _pending(inner), _pending(inner, run_after=NOW - 5)
    assert store.clusters_with_runnable_work(NOW) == [RID] and polls == [1]
    assert store.lease_manifest(a.id, "me", NOW + 60, NOW) is not None
    assert samples(metrics)[("mimo_actuator_workers_active", ())] == 1
    assert store.finish_manifest(a.id, "me", ManifestState.COMPLETED, "done")
    assert samples(metrics)[("mimo_actuator_workers_active", ())] == 0
    assert store.lease_manifest(b.id, "me", NOW + 60, NOW) is not None
    assert not store.finish_manifest(b.id, owner="someone-else", state=ManifestState.FAILED, status_text="x")
    s = samples(metrics)
    assert s[("mimo_actuator_task_duration_seconds_count", (("outcome", "Completed"), ("task_id", TASK)))] == 1
    assert s[("mimo_actuator_task_duration_seconds_count", (("outcome", "LeaseLost"), ("task_id", TASK)))] == 1
    # the wrapped store still did the writes
    assert inner.get_manifest(a.id).state == "Completed"


def test_queue_length_is_go_query_pending_runafter_passed_lease_free():
    store = _store()
    metrics = Metrics()
    _pending(store)
    _pending(store, run_after=NOW + 100)  # not yet due
    leased = _pending(store, run_after=NOW - 50)
    store.lease_manifest(leased.id, "me", NOW + 60, NOW)
    _pending(store, state=ManifestState.COMPLETED)
    metrics.observe_store(store, NOW)
    s = samples(metrics)
    assert s[("mimo_database_maintenancemanifests_queue_length", ())] == 1
    assert s[("mimo_database_maintenancemanifests", (("state", "Pending"),))] == 2
    assert s[("mimo_database_maintenancemanifests", (("state", "InProgress"),))] == 1
    assert s[("mimo_database_maintenancemanifests", (("state", "Failed"),))] == 0


def test_scheduler_pass_and_heartbeats():
    metrics = Metrics()
    ready = {"v": False}
    metrics.heartbeat("scheduler", lambda: ready["v"])
    metrics.scheduler_pass(0.5, created=3, cancelled=1)
    metrics.scheduler_pass(0.2, created=0, cancelled=2)
    s = samples(metrics)
    assert s[("mimo_scheduler_manifests_created_total", ())] == 3
    assert s[("mimo_scheduler_manifests_cancelled_total", ())] == 3
    assert s[("mimo_scheduler_pass_duration_seconds_count", ())] == 2
    assert s[("mimo_scheduler_heartbeat", (("version", metrics.version),))] == 0
    ready["v"] = True
    assert samples(metrics)[("mimo_scheduler_heartbeat", (("version", metrics.version),))] == 1


class Mono:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_readiness_needs_the_delay_and_every_loop_fresh():
    # pkg/mimo/actuator/service.go checkReady: recent polls and (time since start) > readinessDelay
    mono = Mono()
    r = Readiness(delay=120, monotonic=mono)
    poll = r.freshness("actuator", max_age=180)
    assert healthz_reply(r, "ready") == (500, "internal server error: not ready\n")
    poll.touch()
    assert not r.ready()  # still inside the delay
    mono.t += 120
    assert r.ready() and r.part_ready("actuator")
    assert healthz_reply(r, "ready") == (200, "ok")
    mono.t += 180  # the last poll is now too old
    assert healthz_reply(r, None) == (500, "[-]ready failed: reason withheld\nhealthz check failed\n")
    poll.touch()
    assert healthz_reply(r, None) == (200, "ok")


def test_an_attempt_stopped_by_a_lost_lease_is_counted_as_lease_lost():
    """The real actuator on a hand-driven clock: the task pauses past its lease, another host takes
    the manifest over, ``check_lease`` (before the next step) is refused a renewal and the attempt
    ends writing nothing. Without the renewal being watched the attempt would stay 'running'."""
    from datetime import datetime, timezone

    from mimo.actuator import Actuator
    from mimo.runner import action, run_steps

    from ..clocks import ManualClock

    inner = _store()
    metrics = Metrics()
    store = metered(inner, metrics)
    clock = ManualClock(datetime.fromtimestamp(NOW, tz=timezone.utc))
    m = _pending(inner)
    steps: list[str] = []

    def pause(tc):
        steps.append("pause")
        clock.sleep(120)  # past the 60 s lease: another host recovers and leases it
        now = int(clock.now().timestamp())
        assert inner.recover_expired_leases(now) == [m.id]
        assert inner.lease_manifest(m.id, "host-b", now + 60, now) is not None

    def task(tc, manifest, cluster):
        run_steps(tc, [action(pause, name="pause"), action(lambda tc: steps.append("next"), name="next")])

    Actuator(store, {TASK: task}, clock=clock, owner="host-a", lease_seconds=60, renew_interval=3600).process(RID)
    assert steps == ["pause"]
    assert inner.get_manifest(m.id).lease_owner == "host-b"
    s = samples(metrics)
    assert s[("mimo_actuator_task_duration_seconds_count", (("outcome", "LeaseLost"), ("task_id", TASK)))] == 1
    assert s[("mimo_actuator_workers_active", ())] == 0
