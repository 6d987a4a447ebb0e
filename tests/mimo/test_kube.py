"""The production Kubernetes helper against the fake API server: every verb and error path."""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import urllib3
from kubernetes.dynamic.exceptions import (
    ConflictError,
    InternalServerError,
    NotFoundError,
    ServerTimeoutError,
    ServiceUnavailableError,
    TooManyRequestsError,
    UnauthorizedError,
    UnprocessibleEntityError,
)

from mimo.kube import (
    KubeHelper,
    is_already_exists,
    is_conflict,
    is_not_found,
    is_transient,
    retry_on_conflict,
)
from pytest_mimo.fakes.base import KUBE_FAULT_KINDS, FakeRequest, FaultAction
from pytest_mimo.fakes.kube import FakeKube

CO = ("config.openshift.io/v1", "ClusterOperator")


@pytest.fixture
def kube() -> Iterator[FakeKube]:
    with FakeKube() as fake:
        fake.add(
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "openshift-config"}}
        )
        yield fake


@pytest.fixture
def helper(kube: FakeKube) -> KubeHelper:
    return kube.client_helper()


def secret(name: str = "s", ns: str = "openshift-config", **data: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": ns},
        "stringData": data,
    }


#: when a condition last changed (the ClusterOperator CRD requires it)
SINCE = "2026-01-01T00:00:00Z"


def cluster_operator(name: str = "kube-apiserver", **status: str) -> dict[str, Any]:
    conditions = [{"type": t, "status": s, "lastTransitionTime": SINCE} for t, s in status.items()]
    return {
        "apiVersion": "config.openshift.io/v1",
        "kind": "ClusterOperator",
        "metadata": {"name": name},
        "spec": {},
        "status": {"conditions": conditions},
    }


ARO = ("aro.openshift.io/v1alpha1", "Cluster")


def aro_cluster(**spec: Any) -> dict[str, Any]:
    """The ARO operator's Cluster object: a custom resource whose spec has fields to change
    (the ClusterOperator CRD's spec names none, so a real server prunes whatever it is given)."""
    return {"apiVersion": ARO[0], "kind": ARO[1], "metadata": {"name": "cluster"}, "spec": spec}


def status_of(e: BaseException) -> dict[str, Any]:
    import json

    return dict(json.loads(e.body))  # type: ignore[attr-defined]


# -- reads ---------------------------------------------------------------------


def test_get_one_cluster_scoped_and_namespaced(kube: FakeKube, helper: KubeHelper) -> None:
    kube.add(cluster_operator(Available="True"), secret("tls", a="b"))
    co = helper.get_one(*CO, "kube-apiserver")
    assert co["status"]["conditions"] == [
        {"type": "Available", "status": "True", "lastTransitionTime": SINCE}
    ]
    assert co["kind"] == "ClusterOperator" and co["metadata"]["uid"]
    s = helper.get_one("v1", "Secret", "tls", "openshift-config")
    assert s["data"] == {"a": "Yg=="} and "stringData" not in s


def test_get_missing_is_not_found_with_the_real_message(helper: KubeHelper) -> None:
    with pytest.raises(NotFoundError) as ei:
        helper.get_one(*CO, "kube-apiserver")
    assert is_not_found(ei.value) and not is_conflict(ei.value) and not is_transient(ei.value)
    st = status_of(ei.value)
    assert st["message"] == 'clusteroperators.config.openshift.io "kube-apiserver" not found'
    assert st["reason"] == "NotFound" and st["code"] == 404 and st["status"] == "Failure"
    assert st["details"] == {
        "name": "kube-apiserver",
        "group": "config.openshift.io",
        "kind": "clusteroperators",
    }
    with pytest.raises(NotFoundError) as ei:
        helper.get_one("v1", "Secret", "x", "openshift-config")
    assert status_of(ei.value)["message"] == 'secrets "x" not found'
    assert status_of(ei.value)["details"] == {"name": "x", "kind": "secrets"}


def test_list_with_label_selector_and_namespace(kube: FakeKube, helper: KubeHelper) -> None:
    kube.add(
        {
            **secret("a"),
            "metadata": {
                "name": "a",
                "namespace": "openshift-config",
                "labels": {"app": "x", "tier": "1"},
            },
        },
        {
            **secret("b"),
            "metadata": {"name": "b", "namespace": "openshift-config", "labels": {"app": "y"}},
        },
        {
            **secret("c", ns="other"),
            "metadata": {"name": "c", "namespace": "other", "labels": {"app": "x"}},
        },
    )
    names = lambda items: sorted(i["metadata"]["name"] for i in items)  # noqa: E731
    assert names(helper.list("v1", "Secret")) == ["a", "b", "c"]
    assert names(helper.list("v1", "Secret", "openshift-config")) == ["a", "b"]
    assert names(helper.list("v1", "Secret", label_selector="app=x")) == ["a", "c"]
    assert names(helper.list("v1", "Secret", label_selector="app in (y),!tier")) == ["b"]
    assert names(helper.list("v1", "Secret", label_selector="app!=x")) == ["b"]
    assert names(helper.list("v1", "Secret", "openshift-config", label_selector="app=x,tier")) == [
        "a"
    ]
    items = helper.list("v1", "Secret", "openshift-config")
    assert all(i["apiVersion"] == "v1" and i["kind"] == "Secret" for i in items)
    kube.add(cluster_operator("a"), cluster_operator("b"))
    assert names(helper.list(*CO)) == ["a", "b"]


# -- create --------------------------------------------------------------------


def test_create_stamps_server_fields_and_folds_string_data(helper: KubeHelper) -> None:
    s = helper.create(secret("tls", **{"tls.key": "k", "tls.crt": "c"}))
    meta = s["metadata"]
    assert meta["uid"] and meta["resourceVersion"] and meta["creationTimestamp"].endswith("Z")
    assert "generation" not in meta  # secrets have no generation
    assert s["data"] == {"tls.key": "aw==", "tls.crt": "Yw=="} and s["type"] == "Opaque"
    co = helper.create(cluster_operator("x", Available="True"))
    assert co["metadata"]["generation"] == 1
    assert "status" not in co  # a create cannot set status on a kind with a status subresource


def test_create_twice_is_already_exists_not_conflict(helper: KubeHelper) -> None:
    helper.create(cluster_operator())
    with pytest.raises(ConflictError) as ei:
        helper.create(cluster_operator())
    assert is_already_exists(ei.value) and not is_conflict(ei.value)
    st = status_of(ei.value)
    assert (st["reason"], st["code"]) == ("AlreadyExists", 409)
    assert st["message"] == 'clusteroperators.config.openshift.io "kube-apiserver" already exists'


def test_create_in_missing_namespace_is_namespace_not_found(
    kube: FakeKube, helper: KubeHelper
) -> None:
    with pytest.raises(NotFoundError) as ei:
        helper.create(secret("s", ns="nope"))
    st = status_of(ei.value)
    assert st["message"] == 'namespaces "nope" not found'
    assert st["details"] == {"name": "nope", "kind": "namespaces"}
    assert kube.get("v1", "Secret", "s", "nope") is None


def test_namespaced_kind_without_namespace_is_refused_before_sending(helper: KubeHelper) -> None:
    with pytest.raises(ValueError, match="namespaced"):
        helper.create({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}})
    with pytest.raises(ValueError, match="namespaced"):
        helper.get_one("v1", "Secret", "s")


# -- update --------------------------------------------------------------------


def test_update_changes_resource_version_and_noop_does_not(helper: KubeHelper) -> None:
    s = helper.create(secret("s", a="1"))
    s["data"]["b"] = "Mg=="
    s2 = helper.update(s)
    assert int(s2["metadata"]["resourceVersion"]) > int(s["metadata"]["resourceVersion"])
    s3 = helper.update(s2)
    assert s3["metadata"]["resourceVersion"] == s2["metadata"]["resourceVersion"]


def test_update_with_stale_resource_version_is_conflict(helper: KubeHelper) -> None:
    co = helper.create(cluster_operator())
    helper.update(dict(co, metadata={**co["metadata"], "labels": {"x": "1"}}))
    with pytest.raises(ConflictError) as ei:
        helper.update(dict(co, metadata={**co["metadata"], "labels": {"x": "2"}}))
    assert is_conflict(ei.value) and not is_already_exists(ei.value) and is_transient(ei.value)
    assert status_of(ei.value)["message"] == (
        'Operation cannot be fulfilled on clusteroperators.config.openshift.io "kube-apiserver": '
        "the object has been modified; please apply your changes to the latest version and try again"
    )


def test_update_missing_is_not_found(helper: KubeHelper) -> None:
    with pytest.raises(NotFoundError):
        helper.update(secret("ghost"))


def test_custom_resource_update_needs_a_resource_version(helper: KubeHelper) -> None:
    helper.create(cluster_operator())
    with pytest.raises(UnprocessibleEntityError) as ei:
        helper.update(cluster_operator())
    assert "metadata.resourceVersion" in status_of(ei.value)["message"]


def test_generation_bumps_on_spec_only_and_status_is_a_subresource(
    kube: FakeKube, helper: KubeHelper
) -> None:
    co = helper.create(aro_cluster())
    co["metadata"]["labels"] = {"a": "b"}
    co = helper.update(co)
    assert co["metadata"]["generation"] == 1  # metadata change
    co["spec"] = {"domain": "example.com"}
    co["status"] = {"conditions": [{"type": "Available", "status": "True"}]}
    co = helper.update(co)
    assert co["metadata"]["generation"] == 2
    assert "status" not in co  # a PUT on the main resource keeps the (absent) status
    co["status"] = {"conditions": [{"type": "Available", "status": "True"}]}
    co2 = helper.update_status(co)
    assert co2["status"]["conditions"][0]["status"] == "True"
    assert co2["metadata"]["generation"] == 2
    assert co2["metadata"]["resourceVersion"] != co["metadata"]["resourceVersion"]


# -- patch / delete --------------------------------------------------------------


def test_merge_patch(kube: FakeKube, helper: KubeHelper) -> None:
    kube.add(aro_cluster(domain="a.example", operatorflags={"c": "2", "d": "3"}))
    patch = {"spec": {"domain": None, "operatorflags": {"c": "5"}, "gatewayDomains": ["g"]}}
    out = helper.patch(*ARO, "cluster", patch)
    assert out["spec"] == {"operatorflags": {"c": "5", "d": "3"}, "gatewayDomains": ["g"]}
    assert out["metadata"]["generation"] == 2
    assert kube.get(*ARO, "cluster")["spec"] == out["spec"]  # type: ignore[index]
    with pytest.raises(NotFoundError):
        helper.patch(*CO, "ghost", {"spec": {}})
    s = helper.create(secret("s", a="1"))
    out = helper.patch("v1", "Secret", "s", {"stringData": {"b": "2"}}, "openshift-config")
    assert out["data"] == {"a": "MQ==", "b": "Mg=="}
    assert out["metadata"]["resourceVersion"] != s["metadata"]["resourceVersion"]


def test_json_patch(kube: FakeKube, helper: KubeHelper) -> None:
    kube.add(aro_cluster(operatorflags={"a": "1"}))
    flags = "/spec/operatorflags"
    out = helper.json_patch(*ARO, "cluster", [{"op": "replace", "path": flags, "value": {"b": "2"}}])
    assert out["spec"] == {"operatorflags": {"b": "2"}}
    with pytest.raises(UnprocessibleEntityError):
        helper.json_patch(*ARO, "cluster", [{"op": "test", "path": f"{flags}/b", "value": "3"}])
    with pytest.raises(TypeError, match="list of operations"):
        helper.json_patch(*ARO, "cluster", {"op": "add"})  # type: ignore[arg-type]


def test_delete(kube: FakeKube, helper: KubeHelper) -> None:
    kube.add(cluster_operator(), secret("s"))
    assert helper.delete(*CO, "kube-apiserver") is None
    assert helper.delete("v1", "Secret", "s", "openshift-config") is None
    assert (
        kube.get(*CO, "kube-apiserver") is None
        and kube.get("v1", "Secret", "s", "openshift-config") is None
    )
    with pytest.raises(NotFoundError) as ei:
        helper.delete("v1", "Secret", "s", "openshift-config")
    assert is_not_found(ei.value)


# -- ensure ----------------------------------------------------------------------


def test_ensure_creates_then_updates_carrying_the_live_resource_version(
    kube: FakeKube, helper: KubeHelper
) -> None:
    helper.ensure(secret("a", x="1"), secret("b", x="1"))
    rv = kube.get("v1", "Secret", "a", "openshift-config")["metadata"]["resourceVersion"]  # type: ignore[index]
    helper.ensure(secret("a", x="1"))  # same content: a no-op
    assert kube.get("v1", "Secret", "a", "openshift-config")["metadata"]["resourceVersion"] == rv  # type: ignore[index]
    kube.add(aro_cluster())
    desired = aro_cluster(domain="wanted.example")
    helper.ensure(desired)  # a custom resource needs the live resourceVersion, which ensure carries
    assert kube.get(*ARO, "cluster")["spec"] == {"domain": "wanted.example"}  # type: ignore[index]
    helper.ensure(secret("a", x="2"))
    assert kube.get("v1", "Secret", "a", "openshift-config")["data"] == {"x": "Mg=="}  # type: ignore[index]


# -- races -----------------------------------------------------------------------


def test_two_writers_race_one_gets_conflict(kube: FakeKube) -> None:
    kube.add(aro_cluster())
    a = KubeHelper.from_kubeconfig(kube.kubeconfig())
    b = kube.client_helper()
    mine, theirs = a.get_one(*ARO, "cluster"), b.get_one(*ARO, "cluster")
    mine["spec"] = {"domain": "a.example"}
    theirs["spec"] = {"domain": "b.example"}
    a.update(mine)
    with pytest.raises(ConflictError) as ei:
        b.update(theirs)
    assert is_conflict(ei.value)
    assert kube.get(*ARO, "cluster")["spec"] == {"domain": "a.example"}  # type: ignore[index]


def test_retry_on_conflict_wins_the_race(kube: FakeKube, helper: KubeHelper) -> None:
    kube.add(aro_cluster())
    calls = []

    def set_flag() -> dict[str, Any]:
        c = helper.get_one(*ARO, "cluster")
        calls.append(c["metadata"]["resourceVersion"])
        if len(calls) == 1:  # another writer slips in between our read and our write
            kube.add({**kube.get(*ARO, "cluster"), "spec": {"domain": "other.example"}})  # type: ignore[dict-item]
        c["spec"] = {**c["spec"], "operatorflags": {"flag": "true"}}
        return helper.update(c)

    out = retry_on_conflict(set_flag)
    assert len(calls) == 2 and calls[0] != calls[1]
    assert out["spec"] == {"domain": "other.example", "operatorflags": {"flag": "true"}}


def test_retry_on_conflict_does_not_retry_already_exists_or_other_errors(
    helper: KubeHelper,
) -> None:
    helper.create(cluster_operator())
    calls = []

    def create() -> None:
        calls.append(1)
        helper.create(cluster_operator())

    with pytest.raises(ConflictError) as ei:
        retry_on_conflict(create)
    assert is_already_exists(ei.value) and len(calls) == 1

    def missing() -> None:
        calls.append(2)
        helper.get_one(*CO, "ghost")

    with pytest.raises(NotFoundError):
        retry_on_conflict(missing)
    assert calls == [1, 2]


def test_retry_on_conflict_gives_up_after_attempts(kube: FakeKube, helper: KubeHelper) -> None:
    kube.add(cluster_operator())
    kube.fault_hook = lambda req: FaultAction("conflict") if req.verb == "update" else None
    calls = []

    def bump() -> None:
        calls.append(1)
        co = helper.get_one(*CO, "kube-apiserver")
        helper.update(co)

    with pytest.raises(ConflictError):
        retry_on_conflict(bump, attempts=3)
    assert len(calls) == 3
    with pytest.raises(ValueError, match="attempts"):
        retry_on_conflict(bump, attempts=0)


def test_many_threads_incrementing_one_counter_lose_no_update(kube: FakeKube) -> None:
    kube.add(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "c", "namespace": "openshift-config"},
            "data": {"n": "0"},
        }
    )
    helpers = [KubeHelper.from_kubeconfig(kube.kubeconfig()) for _ in range(4)]
    errors: list[BaseException] = []

    def work(h: KubeHelper) -> None:
        def inc() -> None:
            cm = h.get_one("v1", "ConfigMap", "c", "openshift-config")
            cm["data"]["n"] = str(int(cm["data"]["n"]) + 1)
            h.update(cm)

        try:
            for _ in range(10):
                retry_on_conflict(inc, attempts=200)
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(h,)) for h in helpers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors
    assert kube.get("v1", "ConfigMap", "c", "openshift-config")["data"]["n"] == "40"  # type: ignore[index]


# -- faults, played on the wire as base.py says ------------------------------------


def once(kind: str, verb: str, retry_after: int = 1) -> Any:
    """A hook that plays ``kind`` on the first request with ``verb``, and records what it saw."""
    seen: list[FakeRequest] = []

    def hook(req: FakeRequest) -> FaultAction | None:
        seen.append(req)
        if req.verb == verb and not any(r.verb == verb for r in seen[:-1]):
            return FaultAction(kind, retry_after=retry_after)
        return None

    hook.seen = seen  # type: ignore[attr-defined]
    return hook


@pytest.mark.parametrize(
    ("kind", "exc", "code", "reason"),
    [
        ("server_error", InternalServerError, 500, "InternalError"),
        ("unavailable", ServiceUnavailableError, 503, "ServiceUnavailable"),
        ("timeout", ServerTimeoutError, 504, "Timeout"),
    ],
)
def test_error_faults_on_a_write_apply_nothing(
    kube: FakeKube, helper: KubeHelper, kind: str, exc: type, code: int, reason: str
) -> None:
    helper.get_one("v1", "Namespace", "openshift-config")  # discovery done, outside the fault
    kube.fault_hook = once(kind, "create", retry_after=7)
    with pytest.raises(exc) as ei:
        helper.create(secret("s"))
    st = status_of(ei.value)
    assert (st["code"], st["reason"], st["kind"]) == (code, reason, "Status")
    assert is_transient(ei.value)
    assert kube.get("v1", "Secret", "s", "openshift-config") is None
    last = kube.requests[-1]
    assert (last.verb, last.status, last.fault, last.is_write) == ("create", code, kind, True)
    assert last.resource == "secrets/openshift-config/"
    helper.create(secret("s"))  # the next request is served
    assert kube.get("v1", "Secret", "s", "openshift-config") is not None


def test_throttle_is_plain_text_with_retry_after_as_priority_and_fairness_sends_it(
    kube: FakeKube, helper: KubeHelper
) -> None:
    """APF/max-in-flight answer with Go's http.Error: no Status body, so no Status reason."""
    helper.get_one("v1", "Namespace", "openshift-config")
    kube.fault_hook = once("throttle", "create", retry_after=7)
    with pytest.raises(TooManyRequestsError) as ei:
        helper.create(secret("s"))
    e: Any = ei.value
    # kubernetes < 31.0.1 hands a non-JSON body over as bytes, later releases as str
    body = e.body.decode() if isinstance(e.body, bytes) else e.body
    assert (e.status, body) == (429, "Too many requests, please try again later.\n")
    assert e.headers["Retry-After"] == "7"
    assert e.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert is_transient(e) and not is_conflict(e) and not is_not_found(e)
    assert kube.get("v1", "Secret", "s", "openshift-config") is None
    last = kube.requests[-1]
    assert (last.verb, last.status, last.fault, last.is_write) == ("create", 429, "throttle", True)
    helper.create(secret("s"))
    assert kube.get("v1", "Secret", "s", "openshift-config") is not None


def test_throttle_on_a_read_is_not_retried_silently(kube: FakeKube, helper: KubeHelper) -> None:
    kube.add(cluster_operator())
    helper.get_one(*CO, "kube-apiserver")
    kube.fault_hook = once("throttle", "get")
    with pytest.raises(TooManyRequestsError):
        helper.get_one(*CO, "kube-apiserver")
    assert [r.fault for r in kube.requests[-1:]] == ["throttle"]


def test_conflict_and_lost_response_on_a_read_are_served_normally(
    kube: FakeKube, helper: KubeHelper
) -> None:
    kube.add(cluster_operator())
    for kind in ("conflict", "lost_response"):
        kube.fault_hook = lambda req, kind=kind: FaultAction(kind)  # type: ignore[misc]
        assert helper.get_one(*CO, "kube-apiserver")["metadata"]["name"] == "kube-apiserver"
        assert (kube.requests[-1].status, kube.requests[-1].fault) == (200, None)


def test_lost_response_applies_the_write_then_drops_the_connection(
    kube: FakeKube, helper: KubeHelper
) -> None:
    helper.get_one("v1", "Namespace", "openshift-config")
    kube.fault_hook = once("lost_response", "create")
    with pytest.raises(urllib3.exceptions.ProtocolError) as ei:
        helper.create(secret("s", a="1"))
    assert is_transient(ei.value)
    assert kube.get("v1", "Secret", "s", "openshift-config") is not None  # applied
    assert (kube.requests[-1].status, kube.requests[-1].fault) == (0, "lost_response")
    # the step's retry sees the effect of its lost write: ensure is idempotent
    helper.ensure(secret("s", a="1"))
    with pytest.raises(ConflictError) as e2:
        helper.create(secret("s", a="1"))
    assert is_already_exists(e2.value)


def test_lost_response_on_update_and_delete(kube: FakeKube, helper: KubeHelper) -> None:
    kube.add(cluster_operator())
    co = helper.get_one(*CO, "kube-apiserver")
    kube.fault_hook = once("lost_response", "update")
    co["metadata"]["labels"] = {"x": "1"}
    with pytest.raises(urllib3.exceptions.ProtocolError):
        helper.update(co)
    assert kube.get(*CO, "kube-apiserver")["metadata"]["labels"] == {"x": "1"}  # type: ignore[index]
    kube.fault_hook = once("lost_response", "delete")
    with pytest.raises(urllib3.exceptions.ProtocolError):
        helper.delete(*CO, "kube-apiserver")
    assert kube.get(*CO, "kube-apiserver") is None


def test_connection_reset_applies_nothing(kube: FakeKube, helper: KubeHelper) -> None:
    helper.get_one("v1", "Namespace", "openshift-config")
    kube.fault_hook = once("connection_reset", "create")
    with pytest.raises(urllib3.exceptions.ProtocolError) as ei:
        helper.create(secret("s"))
    assert is_transient(ei.value)
    assert kube.get("v1", "Secret", "s", "openshift-config") is None
    assert (kube.requests[-1].status, kube.requests[-1].fault) == (0, "connection_reset")


def test_connection_reset_on_a_read_is_retried_by_the_client(
    kube: FakeKube, helper: KubeHelper
) -> None:
    kube.add(cluster_operator())
    helper.get_one(*CO, "kube-apiserver")
    hook = once("connection_reset", "get")
    kube.fault_hook = hook
    assert helper.get_one(*CO, "kube-apiserver")["metadata"]["name"] == "kube-apiserver"
    assert [(r.fault, r.status) for r in kube.requests[-2:]] == [
        ("connection_reset", 0),
        (None, 200),
    ]
    kube.fault_hook = lambda req: FaultAction("connection_reset")
    with pytest.raises(urllib3.exceptions.MaxRetryError) as ei:
        helper.get_one(*CO, "kube-apiserver")
    assert is_transient(ei.value)


def test_every_kube_fault_kind_is_played(kube: FakeKube, helper: KubeHelper) -> None:
    helper.get_one("v1", "Namespace", "openshift-config")
    played = set()
    for i, kind in enumerate(KUBE_FAULT_KINDS):
        if kind == "conflict":  # another writer changes an existing object: an update meets it
            helper.create(secret(f"s{i}"))
            stale = helper.get_one("v1", "Secret", f"s{i}", "openshift-config")
            kube.fault_hook = once(kind, "update")
            with pytest.raises(ConflictError):
                helper.update(stale)
        else:
            kube.fault_hook = once(kind, "create")
            with pytest.raises(Exception):  # noqa: B017 - each kind has its own test above
                helper.create(secret(f"s{i}"))
        played.add(kube.requests[-1].fault)
    assert played == set(KUBE_FAULT_KINDS)


def test_conflict_is_another_writer_changing_the_object_first(kube: FakeKube, helper: KubeHelper) -> None:
    """The conflict fault is a real concurrent write (new resourceVersion, an annotation), after
    which the request is served as sent: the stale resourceVersion meets the apiserver's own
    optimistic-concurrency 409 (apiserver registry/generic Update: 'the object has been modified;
    please apply your changes to the latest version and try again')."""
    kube.add(secret("s"))
    stale = helper.get_one("v1", "Secret", "s", "openshift-config")
    kube.fault_hook = once("conflict", "update")
    with pytest.raises(ConflictError) as ei:
        helper.update(stale)
    st = status_of(ei.value)
    assert (st["code"], st["reason"]) == (409, "Conflict")
    assert st["message"].startswith('Operation cannot be fulfilled on secrets "s": the object has been modified')
    live = kube.get("v1", "Secret", "s", "openshift-config")
    assert live["metadata"]["resourceVersion"] != stale["metadata"]["resourceVersion"]
    assert live["metadata"]["annotations"] == {"pytest-mimo.io/concurrent-writer": "1"}
    assert kube.concurrent_writes == [(("v1", "Secret", "openshift-config", "s"), "pytest-mimo.io/concurrent-writer", "1")]
    assert (kube.requests[-1].status, kube.requests[-1].fault) == (409, "conflict")
    # an update without resourceVersion (allowed for built-in kinds) overwrites the other writer
    kube.fault_hook = once("conflict", "update")
    blind = copy.deepcopy(stale)
    del blind["metadata"]["resourceVersion"]
    helper.update(blind)
    assert "annotations" not in kube.get("v1", "Secret", "s", "openshift-config")["metadata"]
    assert kube.requests[-1].fault == "conflict"


def test_conflict_on_a_create_has_no_object_to_change_and_is_served(kube: FakeKube, helper: KubeHelper) -> None:
    helper.get_one("v1", "Namespace", "openshift-config")
    kube.fault_hook = once("conflict", "create")
    helper.create(secret("s"))
    assert (kube.requests[-1].status, kube.requests[-1].fault) == (201, None)


def test_discovery_passes_the_hook_as_discovery_and_is_paid_once() -> None:
    with FakeKube(share_discovery=False) as kube:  # its own discovery, over HTTP, as a fresh process
        _discovery_passes_the_hook_once(kube)


def _discovery_passes_the_hook_once(kube: FakeKube) -> None:
    kube.add(cluster_operator())
    seen: list[FakeRequest] = []
    kube.fault_hook = lambda req: seen.append(req)  # type: ignore[func-returns-value]
    helper = kube.client_helper()
    for _ in range(5):
        helper.get_one(*CO, "kube-apiserver")
        helper.list("v1", "Secret")
    discovery = [r for r in seen if r.verb == "discovery"]
    assert discovery and all(not r.is_write and r.backend == "kube" for r in discovery)
    assert [r.verb for r in seen if r.verb != "discovery"] == ["get", "list"] * 5
    first_data = next(i for i, r in enumerate(seen) if r.verb != "discovery")
    assert all(
        r.verb != "discovery" for r in seen[first_data + 1 :] if r.path.startswith("/apis/config")
    )


def test_discovery_cache_file_is_per_helper(kube: FakeKube, tmp_path: Any) -> None:
    kube.add(cluster_operator())
    a = KubeHelper.from_token(kube.url, kube.token, cache_dir=str(tmp_path / "a"))
    a.get_one(*CO, "kube-apiserver")
    assert (tmp_path / "a" / "discovery.json").is_file()
    n = len(kube.requests)
    b = KubeHelper.from_token(
        kube.url, kube.token, cache_dir=str(tmp_path / "a")
    )  # reuses the file
    b.get_one(*CO, "kube-apiserver")
    assert [r.verb for r in kube.requests[n:]].count("discovery") <= 1  # /version only


def test_faults_from_the_hook_can_be_a_burst(kube: FakeKube, helper: KubeHelper) -> None:
    kube.add(cluster_operator())
    helper.get_one(*CO, "kube-apiserver")
    kube.fault_hook = lambda req: FaultAction("unavailable") if req.verb == "get" else None
    for _ in range(3):
        with pytest.raises(ServiceUnavailableError):
            helper.get_one(*CO, "kube-apiserver")
    kube.fault_hook = None
    assert helper.get_one(*CO, "kube-apiserver")


# -- auth, TLS, construction ---------------------------------------------------------


def test_wrong_token_is_unauthorized(kube: FakeKube) -> None:
    h = KubeHelper.from_token(kube.url, "not-the-token")
    with pytest.raises(UnauthorizedError) as ei:
        h.get_one(*CO, "x")
    st = status_of(ei.value)
    assert (st["code"], st["reason"], st["message"]) == (401, "Unauthorized", "Unauthorized")


def test_repr_never_shows_the_token(kube: FakeKube, helper: KubeHelper) -> None:
    assert kube.token not in repr(helper) and kube.url in repr(helper)
    assert kube.token not in repr(kube)


def test_bad_construction_arguments_are_named() -> None:
    with pytest.raises(ValueError, match="server must be an http"):
        KubeHelper.from_token("127.0.0.1:1", "t")
    with pytest.raises(ValueError, match="token is empty"):
        KubeHelper.from_token("https://127.0.0.1:1", "")
    with pytest.raises(FileNotFoundError, match="kubeconfig not found"):
        KubeHelper.from_kubeconfig("/nonexistent/kubeconfig")


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_tls_with_generated_ca_is_verified() -> None:
    with FakeKube(tls=True) as kube:
        kube.add(cluster_operator())
        assert kube.url.startswith("https://127.0.0.1:")
        assert (
            kube.client_helper().get_one(*CO, "kube-apiserver")["metadata"]["name"]
            == "kube-apiserver"
        )
        via_config = KubeHelper.from_kubeconfig(kube.kubeconfig())
        assert via_config.get_one(*CO, "kube-apiserver")
        untrusting = KubeHelper.from_token(kube.url, kube.token)  # system CAs only
        with pytest.raises(Exception) as ei:  # noqa: B017 - the client's SSL error type varies
            untrusting.get_one(*CO, "kube-apiserver")
        assert "CERTIFICATE_VERIFY_FAILED" in str(ei.value) or "certificate verify failed" in str(
            ei.value
        )
        insecure = KubeHelper.from_token(kube.url, kube.token, verify=False)
        assert insecure.get_one(*CO, "kube-apiserver")


def test_from_kubeconfig_with_context(kube: FakeKube) -> None:
    kube.add(cluster_operator())
    h = KubeHelper.from_kubeconfig(kube.kubeconfig(), context="fake")
    assert h.get_one(*CO, "kube-apiserver")["metadata"]["name"] == "kube-apiserver"


def test_without_a_cache_dir_discovery_stays_in_memory(kube: FakeKube, tmp_path: Any, monkeypatch: Any) -> None:
    import tempfile as tf

    monkeypatch.setattr(tf, "tempdir", str(tmp_path))
    kube.add(cluster_operator())
    h = KubeHelper.from_token(kube.url, kube.token)
    h.get_one(*CO, "kube-apiserver")
    n = len(kube.requests)
    h.get_one(*CO, "kube-apiserver")
    assert [r.verb for r in kube.requests[n:]] == ["get"]  # discovered once, kept in memory
    assert list(tmp_path.iterdir()) == []  # and no file written anywhere


# -- the helper's own error translation (no traceback formatted per error) -------------------------


def _sent(helper: KubeHelper, monkeypatch: Any) -> list[tuple[Any, ...]]:
    """What the helper hands urllib3 (method, URL, body, headers), one entry per request."""
    pool = helper._api.rest_client.pool_manager
    real = pool.request
    sent: list[tuple[Any, ...]] = []

    def spy(method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        sent.append((method, url, kwargs.get("body"), dict(kwargs.get("headers") or {})))
        return real(method, url, *args, **kwargs)

    monkeypatch.setattr(pool, "request", spy)
    return sent


@pytest.mark.parametrize("status", [400, 404, 409, 422, 429, 500, 503, 504])
def test_errors_are_the_dynamic_clients_own_with_its_message(
    kube: FakeKube, helper: KubeHelper, monkeypatch: Any, status: int
) -> None:
    """The helper sends through the dynamic client's own request and translates its ApiException as
    ``kubernetes.dynamic.exceptions.api_exception`` does (same class, status, reason, body, headers,
    str), formatting the original traceback only when it is read."""
    from kubernetes.client.rest import ApiException
    from kubernetes.dynamic.exceptions import DynamicApiError

    kube.add(secret("s", a="b"))
    path = "/api/v1/namespaces/openshift-config/secrets/" + ("missing" if status == 404 else "s")
    kind = {409: "conflict", 429: "throttle", 500: "server_error", 503: "unavailable", 504: "timeout"}.get(status)
    body: dict[str, Any] | None = None
    method = "get"
    if status in (400, 409):
        method = "put"
        body = helper.get_one("v1", "Secret", "s", "openshift-config")
        if status == 400:
            body["metadata"]["name"] = "other"  # not the URL's name: BadRequest
    elif status == 422:
        method, path = "post", "/api/v1/namespaces/openshift-config/secrets"
        body = secret("Not_A_Name", a="b")  # not a DNS subdomain: Invalid
    sent = _sent(helper, monkeypatch)

    def hook(req: FakeRequest) -> FaultAction | None:
        return FaultAction(kind) if kind is not None and req.path == path else None

    kube.fault_hook = hook
    with pytest.raises(DynamicApiError) as ours:
        helper._call(method, path, body=copy.deepcopy(body))
    try:  # the library's own path, from the same request
        helper.dynamic.request(method, path, body=copy.deepcopy(body), serialize=False,
                               _request_timeout=helper.request_timeout)
    except DynamicApiError as e:  # meta_request's api_exception(e)
        theirs = e
    else:  # pragma: no cover
        raise AssertionError("the library's request did not fail")
    kube.fault_hook = None
    a, b = ours.value, theirs
    assert type(a) is type(b) and a.status == b.status == status
    assert (a.reason, a.body) == (b.reason, b.body)
    assert a.headers.keys() == b.headers.keys()
    assert isinstance(a.__context__, ApiException)
    assert sent[0][:3] == sent[1][:3] and sent[0][3] == sent[1][3]  # the same request on the wire
    # the text: the same lines up to the traceback, then the dynamic client's traceback of the request
    head_a, _, tb_a = str(a).partition("Original traceback: \n")
    head_b, _, tb_b = str(b).partition("Original traceback: \n")
    drop_date = [line for line in head_a.splitlines() if "Date" not in line]
    assert len(drop_date) == len([line for line in head_b.splitlines() if "Date" not in line])
    # every frame but the first two (the helper's _call and _send there, the client's meta_request
    # wrapper and the request it wraps here)
    frames_a, frames_b = tb_a.split('  File "'), tb_b.split('  File "')
    assert len(frames_a) > 3 and frames_a[3:] == frames_b[3:]
    assert [f.split('"')[0].rsplit("/", 2)[-2:] for f in frames_a[1:3]] == [["mimo", "kube.py"]] * 2
    assert [f.split('"')[0].rsplit("/", 2)[-2:] for f in frames_b[1:3]] == [["dynamic", "client.py"]] * 2
    assert str(a.original_traceback) == tb_a and a.original_traceback


def test_an_error_does_not_format_its_traceback_until_read(helper: KubeHelper, monkeypatch: Any) -> None:
    import traceback

    calls: list[Any] = []
    real = traceback.format_tb
    monkeypatch.setattr(traceback, "format_tb", lambda tb, *a: calls.append(tb) or real(tb, *a))
    with pytest.raises(NotFoundError) as ei:
        helper.get_one("v1", "Secret", "missing", "openshift-config")
    assert is_not_found(ei.value) and calls == []
    assert "Original traceback" in str(ei.value) and len(calls) == 1
    str(ei.value)
    assert len(calls) == 1  # formatted once


# -- the helper builds the dynamic client's request itself (same request on the wire) --------------


class _Stop(Exception):
    """Raised by the spy instead of sending: the request is compared, nothing reaches the server."""


def _handed(helper: KubeHelper, monkeypatch: Any) -> list[tuple[Any, ...]]:
    """What each request hands urllib3 (method, URL, body, headers in their order, timeout); the
    request is not sent."""
    pool = helper._api.rest_client.pool_manager
    seen: list[tuple[Any, ...]] = []

    def spy(method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        timeout = kwargs.get("timeout")
        seen.append((method, url, kwargs.get("body"), list((kwargs.get("headers") or {}).items()),
                     kwargs.get("fields"), kwargs.get("preload_content"),
                     (timeout.connect_timeout, timeout.read_timeout) if timeout is not None else None))
        raise _Stop

    monkeypatch.setattr(pool, "request", spy)
    return seen


class _Stamp:
    """Not JSON: ``sanitize_for_serialization`` turns it into its ``to_dict()``."""

    def to_dict(self) -> dict[str, Any]:
        return {"by": "stamp"}


def _odd_body() -> dict[str, Any]:
    import datetime
    import decimal
    import enum
    import uuid as uuid_

    class Colour(str, enum.Enum):
        RED = "red"

    class Ordered(dict):  # type: ignore[type-arg]
        pass

    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "c", "namespace": "openshift-config", "labels": Ordered(b="1", a="2")},
            "data": {"when": datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc),
                     "day": datetime.date(2026, 1, 2), "id": uuid_.UUID(int=7), "n": decimal.Decimal("1.50"),
                     "colour": Colour.RED, "pair": ("x", "y"), "stamp": _Stamp(), "nested": [[1, 2.5, True, None]]}}


@pytest.mark.parametrize("case", ["get", "get-missing", "list", "list-selector", "create", "update",
                                  "update-status", "merge-patch", "json-patch", "delete", "odd-body",
                                  "odd-headers", "refreshed-token", "cookie"])
def test_the_helper_hands_urllib3_what_the_dynamic_clients_request_does(
    kube: FakeKube, helper: KubeHelper, monkeypatch: Any, case: str
) -> None:
    """KubeHelper builds the request ``DynamicClient.request`` builds (headers in the same order, URL,
    query, body text, timeout) without its per-request serialisation of plain JSON; a body or a
    default header that is not plain JSON goes through ``sanitize_for_serialization`` as there."""
    from mimo import kube as mkube
    from mimo.kube import JSON_PATCH, MERGE_PATCH

    assert mkube._REQUEST is not None
    kube.add(secret("s", a="b"))
    sec = "/api/v1/namespaces/openshift-config/secrets"
    live = helper.get_one("v1", "Secret", "s", "openshift-config")
    calls: dict[str, tuple[str, str, Any, dict[str, Any]]] = {
        "get": ("get", f"{sec}/s", None, {}),
        "get-missing": ("get", f"{sec}/missing", None, {}),
        "list": ("get", sec, None, {}),
        "list-selector": ("get", sec, None, {"label_selector": "app in (a,b),tier!=x"}),
        "create": ("post", sec, secret("n", a="b"), {}),
        "update": ("put", f"{sec}/s", live, {}),
        "update-status": ("put", "/apis/config.openshift.io/v1/clusteroperators/x/status", cluster_operator("x"), {}),
        "merge-patch": ("patch", f"{sec}/s", {"metadata": {"labels": {"a": None, "b": "ü"}}}, {"content_type": MERGE_PATCH}),
        "json-patch": ("patch", f"{sec}/s", [{"op": "test", "path": "/data", "value": {}}], {"content_type": JSON_PATCH}),
        "delete": ("delete", f"{sec}/s", None, {}),
        "odd-body": ("post", "/api/v1/namespaces/openshift-config/configmaps", _odd_body(), {}),
        "odd-headers": ("get", f"{sec}/s", None, {}),
        "refreshed-token": ("get", f"{sec}/s", None, {}),
        "cookie": ("get", f"{sec}/s", None, {}),
    }
    method, path, body, params = calls[case]
    api = helper._api
    if case == "odd-headers":
        api.set_default_header("X-Flag", True)
        api.set_default_header("X-Count", 3)
    if case == "cookie":
        api.cookie = "a=b"
    tokens = iter(["first", "second", "third", "fourth"])
    if case == "refreshed-token":  # a kubeconfig's exec or OIDC token is refreshed per request
        api.configuration.refresh_api_key_hook = lambda cfg: cfg.api_key.update(authorization=next(tokens))
    seen = _handed(helper, monkeypatch)
    for send in (lambda: helper._call(method, path, body=copy.deepcopy(body), **params),
                 lambda: mkube._REQUEST(helper.dynamic, method, path, body=copy.deepcopy(body),
                                        _request_timeout=helper.request_timeout, **params)):
        with pytest.raises(_Stop):
            send()
    assert len(seen) == 2
    ours, theirs = seen
    if case == "refreshed-token":  # asked once per request, each time the hook's new token
        assert ours[3][-1] == ("authorization", "Bearer first") and theirs[3][-1] == ("authorization", "Bearer second")
        ours = (*ours[:3], ours[3][:-1], *ours[4:])
        theirs = (*theirs[:3], theirs[3][:-1], *theirs[4:])
    assert ours == theirs
    if case == "odd-body":
        assert '"when": "2026-01-02T03:04:05+00:00"' in ours[2] and '"stamp": {"by": "stamp"}' in ours[2]


def test_a_plain_json_body_is_sent_as_it_is_anything_else_sanitized(helper: KubeHelper, monkeypatch: Any) -> None:
    from mimo.kube import _plain_json

    assert _plain_json({"a": [1, 2.5, "x", True, None, {"b": []}], "c": {}})
    for odd in ({"a": (1,)}, {"a": b"x"}, [object()], {"a": {"b": [{"c": _Stamp()}]}}):
        assert not _plain_json(odd)
    sanitized: list[Any] = []
    real = helper._api.sanitize_for_serialization
    monkeypatch.setattr(helper._api, "sanitize_for_serialization", lambda o: sanitized.append(o) or real(o))
    seen = _handed(helper, monkeypatch)
    plain = secret("p", a="b")
    with pytest.raises(_Stop):
        helper.create(plain)
    assert sanitized == [] and seen[-1][2] == __import__("json").dumps(plain)
    with pytest.raises(_Stop):
        helper.create({**plain, "stamp": _Stamp()})
    assert sanitized[0]["stamp"].__class__ is _Stamp and '"stamp": {"by": "stamp"}' in seen[-1][2]
