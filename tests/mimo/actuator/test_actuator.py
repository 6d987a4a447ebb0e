"""The per-cluster pass, rule by rule, with small fake tasks on a hand-driven clock."""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta, timezone

import pytest

from mimo import TerminalError, TransientError
from mimo.actuator import Actuator, LeaseRenewer, SubscriptionFetchError
from mimo.api import MaintenanceManifest, OpenShiftClusterDocument, SubscriptionDocument
from mimo.context import Unavailable
from mimo.store import ClusterAccess, MemoryStore, SqliteStore, StoreNotFound

from ..clocks import ManualClock

SUB = "11111111-1111-1111-1111-111111111111"
RID = f"/subscriptions/{SUB}/resourcegroups/rg/providers/microsoft.redhatopenshift/openshiftclusters/c1"
OK = "00000000-0000-4000-8000-000000000001"
TRANSIENT = "00000000-0000-4000-8000-000000000002"
TERMINAL = "00000000-0000-4000-8000-000000000003"
PLAIN = "00000000-0000-4000-8000-000000000004"
UNKNOWN = "00000000-0000-4000-8000-0000000000ff"
START = datetime(2026, 1, 5, tzinfo=timezone.utc)
T0 = int(START.timestamp())


class Recorder:
    def __init__(self):
        self.runs: list[tuple[str, str]] = []

    def make(self, outcome: str, message: str = ""):
        def task(tc, manifest, cluster):
            self.runs.append((manifest.id, outcome))
            if message:
                tc.set_result_message(message)
            if outcome == "transient":
                raise TransientError("try later")
            if outcome == "terminal":
                raise TerminalError("needs a human")
            if outcome == "plain":
                raise RuntimeError("oops")

        return task


@pytest.fixture(params=["memory", "sqlite"])
def store(request, tmp_path):
    s = MemoryStore() if request.param == "memory" else SqliteStore(tmp_path / "a.db")
    s.put_cluster(OpenShiftClusterDocument(id="22222222-2222-2222-2222-222222222222", resource_id=RID))
    s.put_subscription(SubscriptionDocument(id=SUB))
    yield s
    s.close()


@pytest.fixture
def clock():
    return ManualClock(START)


@pytest.fixture
def rec():
    return Recorder()


@pytest.fixture
def tasks(rec):
    return {
        OK: rec.make("ok", "all good"),
        TRANSIENT: rec.make("transient", "half way"),
        TERMINAL: rec.make("terminal", "gave up"),
        PLAIN: rec.make("plain"),
    }


def make(store, clock, tasks, **kw) -> Actuator:
    kw.setdefault("renew_leases", False)
    return Actuator(store, tasks, clock=clock, owner="test-owner", **kw)


def add(store, task_id, **kw) -> MaintenanceManifest:
    kw.setdefault("now", T0)
    return store.create_manifest(MaintenanceManifest.new(RID, task_id, **kw))


def test_success_completes_with_result_message_and_clears_lease(store, clock, tasks, rec):
    m = add(store, OK)
    assert make(store, clock, tasks).process(RID.upper().replace("/SUBSCRIPTIONS/", "/subscriptions/")) is True
    got = store.get_manifest(m.id)
    assert (got.state, got.status_text, got.dequeues, got.lease_owner, got.lease_expires) == (
        "Completed", "all good", 1, "", 0,
    )
    assert rec.runs == [(m.id, "ok")]


def test_transient_goes_back_to_pending(store, clock, tasks):
    m = add(store, TRANSIENT)
    make(store, clock, tasks).process(RID)
    got = store.get_manifest(m.id)
    assert (got.state, got.status_text, got.dequeues, got.lease_owner) == ("Pending", "half way", 1, "")


def test_terminal_fails(store, clock, tasks):
    m = add(store, TERMINAL)
    make(store, clock, tasks).process(RID)
    got = store.get_manifest(m.id)
    assert (got.state, got.status_text) == ("Failed", "gave up")


def test_plain_exception_fails_and_is_not_retried(store, clock, tasks):
    m = add(store, PLAIN)
    make(store, clock, tasks).process(RID)
    got = store.get_manifest(m.id)
    assert (got.state, got.status_text, got.dequeues) == ("Failed", "", 1)


def test_transient_on_the_cause_chain_is_retried(store, clock):
    def wrapped(tc, m, c):
        try:
            raise TransientError("429")
        except TransientError as e:
            raise RuntimeError("wrapper") from e

    m = add(store, OK)
    make(store, clock, {OK: wrapped}).process(RID)
    assert store.get_manifest(m.id).state == "Pending"


def test_unknown_task_id_fails_with_text(store, clock, tasks, rec):
    """Go's TestActuatorLogic 'unknown task' (pkg/mimo/actuator/actuator_test.go): Failed, dequeued once,
    and wantDidWork false: no task was run."""
    m = add(store, UNKNOWN)
    assert make(store, clock, tasks).process(RID) is False
    got = store.get_manifest(m.id)
    assert (got.state, got.status_text, got.dequeues, got.lease_owner) == ("Failed", "task ID not registered", 1, "")
    assert rec.runs == []


def test_past_run_before_times_out_without_running(store, clock, tasks, rec):
    m = add(store, OK, run_after=T0 - 100, run_before=T0 - 1)
    clock.t = START + timedelta(seconds=0.5)
    assert make(store, clock, tasks).process(RID) is False  # nothing left to run
    got = store.get_manifest(m.id)
    assert (got.state, got.status_text, got.dequeues) == ("TimedOut", "timed out at 2026-01-05T00:00:00Z", 0)
    assert rec.runs == []


def test_run_before_equal_to_now_still_runs(store, clock, tasks, rec):
    m = add(store, OK, run_after=T0 - 100, run_before=T0)
    make(store, clock, tasks).process(RID)
    assert store.get_manifest(m.id).state == "Completed"


class FailingSetState:
    """A store whose TimedOut write fails for one manifest."""

    def __init__(self, inner, bad_id):
        self._inner, self._bad = inner, bad_id

    def set_state(self, manifest_id, *a, **kw):
        if manifest_id == self._bad:
            raise OSError("disk on fire")
        return self._inner.set_state(manifest_id, *a, **kw)

    def __getattr__(self, name):
        return getattr(self._inner, name)


def test_failed_timeout_write_is_logged_and_others_go_on(store, clock, tasks, rec, caplog):
    late1 = add(store, OK, run_after=T0 - 100, run_before=T0 - 50)
    late2 = add(store, OK, run_after=T0 - 90, run_before=T0 - 50)
    fine = add(store, OK)
    with caplog.at_level(logging.ERROR, logger="mimo.actuator"):
        assert make(FailingSetState(store, late1.id), clock, tasks).process(RID) is True
    # Go's words (pkg/mimo/actuator/manager.go, Process), on the manifest's fields
    rec_ = next(r for r in caplog.records if r.getMessage().startswith("failed to patch"))
    assert rec_.getMessage() == (
        "failed to patch manifest with state TimedOut; will still attempt to process other manifests: disk on fire"
    )
    assert (rec_.manifestID, rec_.taskID) == (late1.id, OK)
    assert store.get_manifest(late1.id).state == "Pending"
    assert store.get_manifest(late2.id).state == "TimedOut"
    assert store.get_manifest(fine.id).state == "Completed"
    assert rec.runs == [(fine.id, "ok")]


def test_order_is_run_after_then_priority(store, clock, tasks, rec):
    c = add(store, OK, run_after=T0 - 10, priority=5)
    a = add(store, OK, run_after=T0 - 20, priority=9)
    d = add(store, OK, run_after=T0, priority=-1)
    b = add(store, OK, run_after=T0 - 10, priority=1)
    future = add(store, OK, run_after=T0 + 1)
    make(store, clock, tasks).process(RID)
    assert [r[0] for r in rec.runs] == [a.id, b.id, c.id, d.id]
    assert store.get_manifest(future.id).state == "Pending"


def test_nothing_runnable_returns_false(store, clock, tasks):
    add(store, OK, run_after=T0 + 60)
    assert make(store, clock, tasks).process(RID) is False


def test_fifth_failure_is_retries_exceeded(store, clock, tasks, rec):
    m = add(store, TRANSIENT)
    act = make(store, clock, tasks)
    for attempt in range(1, 5):
        act.process(RID)
        got = store.get_manifest(m.id)
        assert (got.state, got.dequeues) == ("Pending", attempt)
    act.process(RID)
    got = store.get_manifest(m.id)
    assert (got.state, got.dequeues) == ("RetriesExceeded", 5)
    assert got.status_text == "did not succeed after 5 times, failing -- TransientError: try later"
    assert len(rec.runs) == 5
    assert act.process(RID) is False


def test_retries_exceeded_wins_over_terminal_at_the_last_attempt(store, clock, tasks):
    m = add(store, TERMINAL)
    make(store, clock, tasks, max_dequeues=1).process(RID)
    got = store.get_manifest(m.id)
    assert got.state == "RetriesExceeded"
    assert got.status_text == "did not succeed after 1 times, failing -- TerminalError: needs a human"


class SkipLease:
    def __init__(self, inner, bad_id, raise_=False):
        self._inner, self._bad, self._raise = inner, bad_id, raise_

    def lease_manifest(self, manifest_id, *a):
        if manifest_id == self._bad:
            if self._raise:
                raise OSError("locked")
            return None
        return self._inner.lease_manifest(manifest_id, *a)

    def __getattr__(self, name):
        return getattr(self._inner, name)


@pytest.mark.parametrize("raise_", [False, True])
def test_failed_lease_is_logged_and_skipped(store, clock, tasks, rec, caplog, raise_):
    a = add(store, OK, run_after=T0 - 2)
    b = add(store, OK, run_after=T0 - 1)
    with caplog.at_level(logging.WARNING, logger="mimo.actuator"):
        assert make(SkipLease(store, a.id, raise_), clock, tasks).process(RID) is True
    # Go logs the lease's error itself (taskLog.Error(err)); ours names the race when nothing was raised
    want = "locked" if raise_ else f"manifest {a.id}: lease failed: taken or changed by another actuator"
    assert [(r.getMessage(), r.manifestID) for r in caplog.records if r.levelno == logging.ERROR] == [(want, a.id)]
    assert store.get_manifest(a.id).state == "Pending"
    assert store.get_manifest(b.id).state == "Completed"
    assert rec.runs == [(b.id, "ok")]


def test_cluster_document_is_reread_for_each_manifest(store, clock):
    seen = []

    def task(tc, m, cluster):
        seen.append(cluster.properties.operator_version)
        tc.patch_openshift_cluster_document(lambda d: setattr(d.properties, "operator_version", f"v{len(seen)}"))

    add(store, OK, run_after=T0 - 1)
    add(store, OK)
    make(store, clock, {OK: task}).process(RID)
    assert seen == ["", "v1"]
    assert store.get_cluster(RID).properties.operator_version == "v2"


def test_deadline_is_sixty_minutes_and_context_is_fresh(store, clock):
    contexts = []

    def task(tc, m, c):
        contexts.append(tc)
        assert tc.deadline == clock.now() + timedelta(minutes=60)
        assert tc.result_message == ""
        tc.set_result_message("first")

    add(store, OK, run_after=T0 - 1)
    add(store, OK)
    make(store, clock, {OK: task}).process(RID)
    assert len(contexts) == 2 and contexts[0] is not contexts[1]


def test_task_log_lines_carry_manifest_task_and_cluster(store, clock, caplog):
    def task(tc, m, c):
        tc.log().info("hello from the task")

    m = add(store, OK)
    with caplog.at_level(logging.INFO):
        make(store, clock, {OK: task}).process(RID)
    rec = next(r for r in caplog.records if "hello from the task" in r.getMessage())
    assert (rec.manifest_id, rec.task_id, rec.cluster) == (m.id, OK, RID)


def test_missing_subscription_raises_and_leaves_work_pending(tmp_path, clock, tasks):
    s = MemoryStore()
    s.put_cluster(OpenShiftClusterDocument(id="22222222-2222-2222-2222-222222222222", resource_id=RID))
    m = s.create_manifest(MaintenanceManifest.new(RID, OK, now=T0))
    # Go: errFailedFetchingSubscriptionDocument wrapping the database's error, nothing leased
    with pytest.raises(SubscriptionFetchError, match=r"^failed fetching subscription document: subscription '") as e:
        make(s, clock, tasks).process(RID)
    assert isinstance(e.value.__cause__, StoreNotFound)
    assert s.get_manifest(m.id).state == "Pending"


# -- crashes, expired leases ------------------------------------------------------------------


class Crash(BaseException):
    """Like the harness's simulated crash: not an Exception."""


def test_base_exception_propagates_and_leaves_the_lease(store, clock, rec):
    calls = []

    def crashing(tc, m, c):
        calls.append(m.dequeues)
        if len(calls) == 1:
            raise Crash()

    m = add(store, OK)
    act = make(store, clock, {OK: crashing})
    with pytest.raises(Crash):
        act.process(RID)
    got = store.get_manifest(m.id)
    assert (got.state, got.lease_owner, got.lease_expires, got.dequeues) == ("InProgress", "test-owner", T0 + 60, 1)
    # still leased: another pass before expiry does nothing
    clock.sleep(60)
    assert act.process(RID) is False
    assert store.get_manifest(m.id).state == "InProgress"
    # past expiry: recovered, run again, dequeues counts both attempts
    clock.sleep(1)
    assert store.clusters_with_runnable_work(T0 + 61) == [RID]
    assert act.process(RID) is True
    got = store.get_manifest(m.id)
    assert (got.state, got.dequeues, got.lease_owner) == ("Completed", 2, "")
    assert calls == [1, 2]


def test_keyboard_interrupt_is_not_swallowed(store, clock):
    def interrupted(tc, m, c):
        raise KeyboardInterrupt

    m = add(store, OK)
    with pytest.raises(KeyboardInterrupt):
        make(store, clock, {OK: interrupted}).process(RID)
    assert store.get_manifest(m.id).state == "InProgress"


def test_five_crashes_end_in_retries_exceeded(store, clock):
    def crashing(tc, m, c):
        raise Crash()

    m = add(store, OK)
    act = make(store, clock, {OK: crashing})
    for _ in range(5):
        with pytest.raises(Crash):
            act.process(RID)
        clock.sleep(61)
    assert act.process(RID) is False
    got = store.get_manifest(m.id)
    assert (got.state, got.dequeues, got.lease_owner) == ("RetriesExceeded", 5, "")
    assert got.status_text == (
        "did not succeed after 5 times, failing -- lease expired while InProgress (the actuator running it stopped)"
    )


def test_lease_lost_before_finish_is_logged(store, clock, caplog):
    def slow(tc, m, c):
        clock.sleep(120)  # lease (60 s, not renewed) expires; another actuator recovers and takes it
        assert store.recover_expired_leases(int(clock.now().timestamp())) == [m.id]
        assert store.lease_manifest(m.id, "other", int(clock.now().timestamp()) + 60, int(clock.now().timestamp()))

    m = add(store, OK)
    with caplog.at_level(logging.ERROR, logger="mimo.actuator"):
        make(store, clock, {OK: slow}).process(RID)
    assert "lease lost before writing Completed" in caplog.text
    got = store.get_manifest(m.id)
    assert (got.state, got.lease_owner, got.dequeues) == ("InProgress", "other", 2)


# -- lease renewal ----------------------------------------------------------------------------


class RenewSignal:
    def __init__(self, inner):
        self._inner = inner
        self.renewed = threading.Event()

    def renew_lease(self, *a, **kw):
        ok = self._inner.renew_lease(*a, **kw)
        self.renewed.set()
        return ok

    def __getattr__(self, name):
        return getattr(self._inner, name)


def test_lease_is_renewed_while_the_task_runs(store, clock):
    wrapped = RenewSignal(store)
    seen = {}

    def long_task(tc, m, c):
        seen["before"] = store.get_manifest(m.id).lease_expires
        clock.sleep(45)  # 45 s of task time: the original lease would end in 15 s
        # a renewal that read the clock before the sleep may land after it: wait for one that read it after
        for _ in range(50):
            wrapped.renewed.clear()
            assert wrapped.renewed.wait(5), "the lease was not renewed"
            seen["after"] = store.get_manifest(m.id).lease_expires
            if seen["after"] == T0 + 45 + 60:
                break

    m = add(store, OK)
    make(wrapped, clock, {OK: long_task}, renew_leases=True, renew_interval=0.001).process(RID)
    assert seen["before"] == T0 + 60
    assert seen["after"] == T0 + 45 + 60
    assert store.get_manifest(m.id).state == "Completed"


def test_no_renewal_when_turned_off(store, clock):
    wrapped = RenewSignal(store)
    add(store, OK)
    make(wrapped, clock, {OK: lambda tc, m, c: None}, renew_leases=False).process(RID)
    assert not wrapped.renewed.is_set()


def test_renewer_stops_when_the_lease_is_lost(store, clock, caplog):
    m = add(store, OK)
    store.lease_manifest(m.id, "me", T0 + 60, T0)
    r = LeaseRenewer(store, m.id, "me", clock=clock, lease_seconds=60, interval=0.001)
    assert r.renew_once() and r.renewals == 1
    store.finish_manifest(m.id, "me", "Pending", "")
    with caplog.at_level(logging.ERROR, logger="mimo.actuator"):
        r.start()
        r._thread.join(5)
    assert not r._thread.is_alive()
    assert r.lost
    assert f"lease on manifest {m.id} lost" in caplog.text


# -- production context -------------------------------------------------------------------------


def test_production_context_names_missing_access(store, clock):
    errors = {}

    def task(tc, m, c):
        for member in ("client_helper", "load_balancers_client", "cluster_keyvault"):
            try:
                getattr(tc, member)()
            except Unavailable as e:
                errors[member] = str(e)

    add(store, OK)
    make(store, clock, {OK: task}).process(RID)
    assert "client_helper: cluster " + RID + " has no Kubernetes access registered" in errors["client_helper"]
    assert errors["load_balancers_client"].startswith("TerminalError: load_balancers_client: cluster")
    assert "no Azure credential settings" in errors["cluster_keyvault"]


def test_production_context_bad_azure_settings_name_the_field(store, clock):
    store.put_cluster(store.get_cluster(RID), ClusterAccess(kubeconfig="/nonexistent", azure={"kind": "client_secret"}))
    errors = {}

    def task(tc, m, c):
        try:
            tc.tokens_client()
        except Unavailable as e:
            errors["t"] = str(e)

    add(store, OK)
    make(store, clock, {OK: task}).process(RID)
    assert errors["t"].startswith("TerminalError: tokens_client: ") and "tenant_id" in errors["t"]


def test_production_context_unreadable_token_file(store, clock, tmp_path):
    store.put_cluster(
        store.get_cluster(RID), ClusterAccess(api_url="https://127.0.0.1:1", token_file=str(tmp_path / "missing"))
    )
    errors = {}

    def task(tc, m, c):
        try:
            tc.client_helper()
        except Unavailable as e:
            errors["k"] = str(e)

    add(store, OK)
    make(store, clock, {OK: task}).process(RID)
    assert "cannot read token_file" in errors["k"] and "missing" in errors["k"]


def test_context_factory_gets_the_request(store, clock):
    from mimo.actuator import ContextRequest, ProductionTaskContext, production_context

    reqs: list[ContextRequest] = []

    def factory(req):
        reqs.append(req)
        return production_context(req)

    add(store, OK)
    make(store, clock, {OK: lambda tc, m, c: None}, context_factory=factory).process(RID)
    (req,) = reqs
    assert req.cluster.resource_id == RID and req.subscription.id == SUB
    assert req.deadline == START + timedelta(minutes=60) and req.clock is clock
    assert isinstance(production_context(req), ProductionTaskContext)


def test_production_context_missing_kubeconfig(store, clock, tmp_path):
    store.put_cluster(store.get_cluster(RID), ClusterAccess(kubeconfig=str(tmp_path / "gone")))
    errors = {}

    def task(tc, m, c):
        try:
            tc.client_helper()
        except Unavailable as e:
            errors["k"] = str(e)

    add(store, OK)
    make(store, clock, {OK: task}).process(RID)
    assert errors["k"] == f"TerminalError: client_helper: kubeconfig {tmp_path / 'gone'} of cluster {RID} not found"
