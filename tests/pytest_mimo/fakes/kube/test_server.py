"""The fake API server on the wire: status codes and bodies a real API server gives."""

from __future__ import annotations

import json
import statistics
import time
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import time_machine

from pytest_mimo.fakes.base import FakeRequest, FaultAction
from pytest_mimo.fakes.kube import FakeKube, WriteEvent

from .conftest import Wire

CO_PATH = "/apis/config.openshift.io/v1/clusteroperators"
SECRETS = "/api/v1/namespaces/ns/secrets"
DEPLOYMENTS = "/apis/apps/v1/namespaces/ns/deployments"
INGRESS = "/apis/operator.openshift.io/v1/namespaces/ns/ingresscontrollers"


def co(name: str = "kube-apiserver", **extra: Any) -> dict[str, Any]:
    return {
        "apiVersion": "config.openshift.io/v1",
        "kind": "ClusterOperator",
        "metadata": {"name": name},
        "spec": {},  # required by the ClusterOperator CRD
        **extra,
    }


def sec(name: str = "s", **extra: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": "ns"},
        **extra,
    }


def deployment(name: str = "d", args: list[str] | None = None, **spec: Any) -> dict[str, Any]:
    """A Deployment a real server accepts (a selector matching the template's labels)."""
    container: dict[str, Any] = {"name": "c", "image": "registry.example/app:1.0"}
    if args is not None:
        container["args"] = args
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "ns"},
        "spec": {
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [container]}},
            **spec,
        },
    }


def ingress(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "operator.openshift.io/v1",
        "kind": "IngressController",
        "metadata": {"name": "default", "namespace": "ns"},
        "spec": spec,
    }


def assert_status(body: Any, code: int, reason: str) -> None:
    assert isinstance(body, dict), body
    assert (body["kind"], body["apiVersion"], body["status"]) == ("Status", "v1", "Failure")
    assert (body["code"], body["reason"]) == (code, reason), body


# -- malformed requests ------------------------------------------------------------


def test_bad_json_is_400(wire: Wire) -> None:
    code, body, _ = wire("POST", SECRETS, b"{not json")
    assert code == 400
    assert_status(body, 400, "BadRequest")
    assert body["message"].startswith(
        "the object provided is unrecognized (must be of type Secret): couldn't get version/kind; json parse error:"
    )
    code, body, _ = wire("PATCH", f"{SECRETS}/s", b"{", ctype="application/merge-patch+json")
    assert_status(body, 400, "BadRequest")
    assert body["message"] == "invalid JSON patch"  # patch.go validateAndTranscodePatch (1.37)


def test_wrong_kind_or_api_version_in_body_is_400(wire: Wire) -> None:
    code, body, _ = wire("POST", SECRETS, {**sec(), "kind": "ConfigMap"})
    assert_status(body, 400, "BadRequest")
    assert body["message"].startswith('ConfigMap in version "v1" cannot be handled as a Secret:')
    code, body, _ = wire("POST", SECRETS, {**sec(), "apiVersion": "apps/v1"})
    assert_status(body, 400, "BadRequest")
    assert (
        body["message"]
        == "the API version in the data (apps/v1) does not match the expected API version (v1)"
    )


def test_name_mismatch_between_url_and_body_is_400(kube: FakeKube, wire: Wire) -> None:
    kube.add(sec("a"))
    code, body, _ = wire("PUT", f"{SECRETS}/a", sec("b"))
    assert_status(body, 400, "BadRequest")
    assert body["message"] == "the name of the object (b) does not match the name on the URL (a)"
    assert "details" not in body  # NewBadRequest sets none
    code, body, _ = wire(
        "PUT", f"{SECRETS}/a", {**sec("a"), "metadata": {"name": "a", "namespace": "other"}}
    )
    assert_status(body, 400, "BadRequest")
    assert "namespace" in body["message"]


def test_unknown_resource_is_404_page_not_found(wire: Wire) -> None:
    for path in (
        "/apis/nope.io/v1/things",
        "/apis/config.openshift.io/v9/clusteroperators",
        "/nope",
        f"{CO_PATH}/x/scale",
    ):
        code, body, resp = wire("GET", path)
        assert (code, body) == (404, "404 page not found\n"), path
        assert resp.getheader("Content-Type", "").startswith("text/plain")
    # a cluster-scoped kind under a namespace does not exist either
    assert wire("GET", "/apis/config.openshift.io/v1/namespaces/ns/clusteroperators")[0] == 404


def test_unknown_route_in_a_built_in_group_version_is_a_404_status(wire: Wire) -> None:
    """go-restful serves built-in group versions: an unmatched route is a Status (serviceErrorHandler)."""
    for path in (
        "/api/v1/namespaces/ns/widgets",
        "/api/v1/namespaces/ns/secrets/s/status",
        "/api/v1/namespaces/ns/namespaces",
        "/apis/apps/v1/namespaces/ns/widgets",
    ):
        code, body, resp = wire("GET", path)
        assert code == 404 and resp.getheader("Content-Type") == "application/json", path
        assert body == {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": "the server could not find the requested resource",
            "reason": "NotFound",
            "details": {},
            "code": 404,
        }, path


def test_missing_name_on_create_is_422(wire: Wire) -> None:
    code, body, _ = wire(
        "POST",
        CO_PATH,
        {"apiVersion": "config.openshift.io/v1", "kind": "ClusterOperator", "metadata": {}, "spec": {}},
    )
    assert_status(body, 422, "Invalid")
    # rest.BeforeCreate: NewInvalid(kind.GroupKind(), "", field.Required(...)); empty name omitted
    assert body["message"] == (
        'ClusterOperator.config.openshift.io "" is invalid: '
        "metadata.name: Required value: name or generateName is required"
    )
    assert body["details"] == {
        "group": "config.openshift.io",
        "kind": "ClusterOperator",
        "causes": [
            {
                "reason": "FieldValueRequired",
                "message": "Required value: name or generateName is required",
                "field": "metadata.name",
            }
        ],
    }
    code, body, _ = wire("POST", SECRETS, {"apiVersion": "v1", "kind": "Secret", "metadata": {}})
    assert body["message"] == (
        'Secret "" is invalid: metadata.name: Required value: name or generateName is required'
    )


def test_custom_resource_update_without_resource_version_is_422(kube: FakeKube, wire: Wire) -> None:
    """store.go builds the qualified kind from the *resource*: ``plural.group``, details.kind plural."""
    kube.add(co())
    code, body, _ = wire("PUT", f"{CO_PATH}/kube-apiserver", co(spec={"x": 1}))
    assert_status(body, 422, "Invalid")
    assert body["message"] == (
        'clusteroperators.config.openshift.io "kube-apiserver" is invalid: '
        "metadata.resourceVersion: Invalid value: 0x0: must be specified for an update"
    )
    assert body["details"] == {
        "name": "kube-apiserver",
        "group": "config.openshift.io",
        "kind": "clusteroperators",
        "causes": [
            {
                "reason": "FieldValueInvalid",
                "message": "Invalid value: 0x0: must be specified for an update",
                "field": "metadata.resourceVersion",
            }
        ],
    }
    # a built-in kind takes an unconditional update
    kube.add(sec())
    assert wire("PUT", f"{SECRETS}/s", sec(data={"a": "YQ=="}))[0] == 200


def test_create_with_a_resource_version_is_a_500_with_no_reason(kube: FakeKube, wire: Wire) -> None:
    """etcd3 store.Create refuses it with a plain error: ErrorToAPIStatus makes it a 500."""
    kube.add(sec("old"))
    copied = kube.get("v1", "Secret", "old", "ns")
    assert copied is not None
    copied["metadata"]["name"] = "new"
    code, body, _ = wire("POST", SECRETS, copied)
    assert (code, body) == (
        500,
        {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": "resourceVersion should not be set on objects to be created",
            "code": 500,
        },
    )
    assert kube.get("v1", "Secret", "new", "ns") is None
    # a resourceVersion the versioner cannot parse (or "0") is not checked, as on a real server
    for i, rv in enumerate(("0", "-1", "abc")):
        meta = {"name": f"rv{i}", "namespace": "ns", "resourceVersion": rv}
        code, body, _ = wire("POST", SECRETS, sec(metadata=meta))
        assert code == 201, body
        assert body["metadata"]["resourceVersion"] != rv


def test_generate_name(wire: Wire) -> None:
    code, body, _ = wire(
        "POST",
        CO_PATH,
        {
            "apiVersion": "config.openshift.io/v1",
            "kind": "ClusterOperator",
            "metadata": {"generateName": "x-"},
            "spec": {},
        },
    )
    assert (
        code == 201
        and body["metadata"]["name"].startswith("x-")
        and len(body["metadata"]["name"]) == 7
    )


def test_unauthorized_without_token(kube: FakeKube) -> None:
    code, body, _ = Wire(kube, token=None)("GET", f"{CO_PATH}")
    assert_status(body, 401, "Unauthorized")
    code, body, _ = Wire(kube, token="wrong")("GET", "/version")
    assert code == 401
    assert kube.requests[-1].status == 401


def test_a_bug_in_a_reaction_is_a_500_status_not_a_traceback(kube: FakeKube, wire: Wire) -> None:
    kube.add_reaction(lambda ev: 1 / 0)  # type: ignore[func-returns-value]
    code, body, _ = wire("POST", CO_PATH, co())
    assert_status(body, 500, "InternalError")
    assert "Traceback" not in json.dumps(body)


# -- patch flavours, update rules ---------------------------------------------------------


def test_json_patch_and_its_failures(kube: FakeKube, wire: Wire) -> None:
    kube.add(deployment(args=["1", "2"]))
    args = "/spec/template/spec/containers/0/args"
    ops = [
        {"op": "add", "path": f"{args}/-", "value": "3"},
        {"op": "replace", "path": "/spec/paused", "value": True},
    ]
    code, body, _ = wire("PATCH", f"{DEPLOYMENTS}/d", ops, ctype="application/json-patch+json")
    assert_status(body, 422, "Invalid")  # replace of a missing key
    assert "missing" in body["details"]["causes"][0]["message"]
    ops = [
        {"op": "test", "path": f"{args}/0", "value": "1"},
        {"op": "add", "path": f"{args}/-", "value": "3"},
        {"op": "remove", "path": f"{args}/0"},
    ]
    code, body, _ = wire("PATCH", f"{DEPLOYMENTS}/d", ops, ctype="application/json-patch+json")
    assert code == 200 and body["spec"]["template"]["spec"]["containers"][0]["args"] == ["2", "3"]


def test_strategic_merge_patch_only_on_built_in_kinds(kube: FakeKube, wire: Wire) -> None:
    kube.add(co(), sec("s", data={"a": "YQ=="}))
    code, body, _ = wire(
        "PATCH",
        f"{CO_PATH}/kube-apiserver",
        {"spec": {}},
        ctype="application/strategic-merge-patch+json",
    )
    assert_status(body, 415, "UnsupportedMediaType")
    assert "details" not in body  # negotiation.errUnsupportedMediaType sets none
    code, body, _ = wire(
        "PATCH",
        f"{SECRETS}/s",
        {"data": {"b": "Yg=="}},
        ctype="application/strategic-merge-patch+json",
    )
    assert code == 200 and body["data"] == {"a": "YQ==", "b": "Yg=="}


def test_status_subresource(kube: FakeKube, wire: Wire) -> None:
    kube.add(ingress(replicas=1))
    code, body, _ = wire(
        "PATCH",
        f"{INGRESS}/default/status",
        {"spec": {"replicas": 2}, "status": {"availableReplicas": 1}},
        ctype="application/merge-patch+json",
    )
    assert code == 200 and body["status"] == {"availableReplicas": 1}
    assert body["spec"]["replicas"] == 1  # the CRD defaults the rest of spec
    assert wire("GET", f"{INGRESS}/default/status")[1]["status"] == {"availableReplicas": 1}
    assert wire("GET", f"{SECRETS}/s/status")[0] == 404  # secrets have no status subresource
    assert kube.requests[-3].verb == "status" and kube.requests[-3].is_write


def test_finalizers_delay_deletion(kube: FakeKube, wire: Wire) -> None:
    kube.add(co(metadata={"name": "f", "finalizers": ["x"]}))
    code, body, _ = wire("DELETE", f"{CO_PATH}/f")
    assert code == 200 and body["metadata"]["deletionTimestamp"]
    assert kube.get("config.openshift.io/v1", "ClusterOperator", "f") is not None
    code, body, _ = wire(
        "PATCH",
        f"{CO_PATH}/f",
        {"metadata": {"finalizers": None}},
        ctype="application/merge-patch+json",
    )
    assert code == 200
    assert kube.get("config.openshift.io/v1", "ClusterOperator", "f") is None


def test_delete_of_a_builtin_returns_a_success_status(kube: FakeKube, wire: Wire) -> None:
    kube.add(sec("s"))
    code, body, _ = wire("DELETE", f"{SECRETS}/s")
    assert code == 200 and body["kind"] == "Status" and body["status"] == "Success"
    assert body["details"]["name"] == "s" and body["details"]["kind"] == "secrets"


def test_deleting_a_namespace_deletes_its_objects(kube: FakeKube, wire: Wire) -> None:
    """The namespace store marks it Terminating; the namespace controller (ticking before the
    next request) deletes its content, then the namespace (test_namespaces.py has the rest)."""
    kube.add(sec("s"))
    code, body, _ = wire("DELETE", "/api/v1/namespaces/ns")
    assert code == 200 and body["status"]["phase"] == "Terminating"
    assert wire("GET", "/api/v1/namespaces/ns")[0] == 404
    assert kube.get("v1", "Secret", "s", "ns") is None


def test_bad_label_selector_is_400(wire: Wire) -> None:
    code, body, _ = wire("GET", f"{SECRETS}?labelSelector=a%20in%20b")
    assert_status(body, 400, "BadRequest")


def test_list_has_a_resource_version_and_typed_items(kube: FakeKube, wire: Wire) -> None:
    kube.add(sec("a"), sec("b"))
    code, body, _ = wire("GET", SECRETS)
    assert body["kind"] == "SecretList" and body["metadata"]["resourceVersion"]
    assert [i["metadata"]["name"] for i in body["items"]] == ["a", "b"]
    # a typed built-in list leaves apiVersion/kind off its items; a custom resource list keeps them
    assert not any("kind" in i or "apiVersion" in i for i in body["items"])
    kube.add(co("a"))
    items = wire("GET", CO_PATH)[1]["items"]
    assert [(i["apiVersion"], i["kind"]) for i in items] == [
        ("config.openshift.io/v1", "ClusterOperator")
    ]


# -- discovery ------------------------------------------------------------------------


def test_discovery_documents(kube: FakeKube, wire: Wire) -> None:
    version = wire("GET", "/version")[1]  # the release whose schemas the fake enforces
    assert (version["gitVersion"], version["major"], version["minor"]) == ("v1.37.0", "1", "37")
    assert wire("GET", "/api")[1]["versions"] == ["v1"]
    groups = {g["name"] for g in wire("GET", "/apis")[1]["groups"]}
    assert {"apps", "config.openshift.io", "operator.openshift.io", "aro.openshift.io"} <= groups
    res = wire("GET", "/apis/config.openshift.io/v1")[1]
    names = {r["name"]: r for r in res["resources"]}
    assert (
        names["clusteroperators"]["kind"] == "ClusterOperator"
        and not names["clusteroperators"]["namespaced"]
    )
    assert "clusteroperators/status" in names
    core = {r["name"]: r for r in wire("GET", "/api/v1")[1]["resources"]}
    assert core["secrets"]["namespaced"] and "secrets/status" not in core
    assert wire("GET", "/apis/config.openshift.io")[1]["kind"] == "APIGroup"
    index = wire("GET", "/openapi/v3")[1]["paths"]
    url = index["apis/config.openshift.io/v1"]["serverRelativeURL"]
    doc = wire("GET", url)[1]
    assert doc["openapi"].startswith("3.") and doc["components"]["schemas"]
    assert all(r.verb == "discovery" and not r.is_write for r in kube.requests)


def test_register_kind_is_served_and_discovered(kube: FakeKube, wire: Wire) -> None:
    kube.register_kind("example.com/v1", "Widget", "widgets", True)
    code, body, _ = wire(
        "POST",
        "/apis/example.com/v1/namespaces/ns/widgets",
        {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}},
    )
    assert code == 201 and body["metadata"]["namespace"] == "ns"
    assert wire("GET", "/apis/example.com/v1")[1]["resources"][0]["name"] == "widgets"
    assert kube.get("example.com/v1", "Widget", "w", "ns") is not None
    with FakeKube(kinds=[("example.com/v1", "Gadget", "gadgets", False)]) as other:
        other.add({"apiVersion": "example.com/v1", "kind": "Gadget", "metadata": {"name": "g"}})
        assert (
            other.client_helper().get_one("example.com/v1", "Gadget", "g")["metadata"]["name"]
            == "g"
        )


# -- the hook, reactions, tickers, snapshot --------------------------------------------------


def test_hook_sees_every_request_with_verb_and_resource(kube: FakeKube, wire: Wire) -> None:
    kube.add(sec("s"))
    seen: list[FakeRequest] = []
    kube.fault_hook = lambda r: seen.append(r)  # type: ignore[func-returns-value]
    wire("GET", f"{SECRETS}/s")
    wire("GET", SECRETS)
    wire("PUT", f"{SECRETS}/s", sec("s"))
    wire("GET", "/apis")
    assert [(r.verb, r.resource, r.is_write) for r in seen] == [
        ("get", "secrets/ns/s", False),
        ("list", "secrets/ns/", False),
        ("update", "secrets/ns/s", True),
        ("discovery", "/apis", False),
    ]
    assert seen[0].method == "GET" and seen[0].path == f"{SECRETS}/s" and seen[0].backend == "kube"


def test_unknown_fault_kind_is_served_normally(kube: FakeKube, wire: Wire) -> None:
    kube.add(sec("s"))
    kube.fault_hook = lambda r: FaultAction("lro_failed")
    assert wire("GET", f"{SECRETS}/s")[0] == 200
    assert kube.requests[-1].fault is None


def test_python_side_access_is_not_logged_and_never_faulted(kube: FakeKube) -> None:
    kube.fault_hook = lambda r: FaultAction("server_error")
    n = len(kube.requests)
    kube.add(sec("s", stringData={"a": "b"}))
    assert kube.get("v1", "Secret", "s", "ns")["data"] == {"a": "Yg=="}  # type: ignore[index]
    assert [o["metadata"]["name"] for o in kube.list("v1", "Secret", "ns")] == ["s"]
    assert kube.delete("v1", "Secret", "s", "ns") and not kube.delete("v1", "Secret", "s", "ns")
    assert len(kube.requests) == n


def test_add_creates_missing_namespaces_and_bumps_resource_version(kube: FakeKube) -> None:
    a = kube.add({**sec("s"), "metadata": {"name": "s", "namespace": "fresh"}})[0]
    assert kube.get("v1", "Namespace", "fresh") is not None
    b = kube.add(
        {**sec("s"), "metadata": {"name": "s", "namespace": "fresh"}, "data": {"x": "eA=="}}
    )[0]
    assert int(b["metadata"]["resourceVersion"]) > int(a["metadata"]["resourceVersion"])
    assert b["metadata"]["uid"] == a["metadata"]["uid"]
    c = kube.add(b)[0]
    assert (
        c["metadata"]["resourceVersion"] == b["metadata"]["resourceVersion"]
    )  # no change, no bump


def test_reaction_acts_as_a_controller(kube: FakeKube) -> None:
    """A Deployment rolled by a step gets its status set by a simulated controller."""
    events: list[WriteEvent] = []

    def controller(ev: WriteEvent) -> None:
        events.append(ev)
        if (
            ev.kind == "Deployment"
            and ev.verb in ("create", "update", "patch")
            and ev.object is not None
        ):
            dep = ev.kube.get("apps/v1", "Deployment", ev.name, ev.namespace)
            dep["status"] = {
                "observedGeneration": dep["metadata"]["generation"],
                "availableReplicas": 1,
            }
            ev.kube.add(dep)

    kube.add_reaction(controller)
    h = kube.client_helper()
    created = h.create(deployment(replicas=1))
    live = h.get_one("apps/v1", "Deployment", "d", "ns")
    assert live["status"] == {"observedGeneration": 1, "availableReplicas": 1}
    assert int(live["metadata"]["resourceVersion"]) > int(created["metadata"]["resourceVersion"])
    h.patch("apps/v1", "Deployment", "d", {"spec": {"replicas": 2}}, "ns")
    assert h.get_one("apps/v1", "Deployment", "d", "ns")["status"]["observedGeneration"] == 2
    h.delete("apps/v1", "Deployment", "d", "ns")
    assert [(e.verb, e.kind) for e in events] == [
        ("create", "Deployment"),
        ("patch", "Deployment"),
        ("delete", "Deployment"),
    ]
    assert (
        events[-1].object is None and events[-1].old is not None and events[0].model is kube.model
    )


def test_ticker_acts_when_virtual_time_has_passed(kube: FakeKube) -> None:
    start = datetime(2026, 1, 5, tzinfo=timezone.utc)
    with time_machine.travel(start, tick=False) as clock:
        dep = deployment()
        dep["metadata"]["annotations"] = {"rolled": start.isoformat()}
        kube.add(dep)

        def rollout(k: FakeKube) -> None:
            dep = k.get("apps/v1", "Deployment", "d", "ns")
            rolled = datetime.fromisoformat(dep["metadata"]["annotations"]["rolled"])  # type: ignore[index]
            if datetime.now(timezone.utc) - rolled >= timedelta(seconds=30) and not dep.get(
                "status"
            ):  # type: ignore[union-attr]
                k.add({**dep, "status": {"availableReplicas": 1}})  # type: ignore[dict-item]

        kube.add_ticker(rollout)
        h = kube.client_helper()
        assert not h.get_one("apps/v1", "Deployment", "d", "ns").get("status")
        clock.shift(timedelta(seconds=29))
        assert not h.get_one("apps/v1", "Deployment", "d", "ns").get("status")
        clock.shift(timedelta(seconds=1))
        got = h.get_one("apps/v1", "Deployment", "d", "ns")
        assert got["status"] == {"availableReplicas": 1}
        assert (
            got["metadata"]["creationTimestamp"] == "2026-01-05T00:00:00Z"
        )  # stamped from the frozen clock


def test_snapshot_restore(kube: FakeKube) -> None:
    kube.add(co("a"))
    snap = kube.snapshot()
    h = kube.client_helper()
    h.create(co("b"))
    h.delete("config.openshift.io/v1", "ClusterOperator", "a")
    kube.restore(snap)
    names = sorted(
        o["metadata"]["name"] for o in kube.list("config.openshift.io/v1", "ClusterOperator")
    )
    assert names == ["a"]
    again = h.create(
        co("b")
    )  # same uid and resourceVersion as the first time: the counters are restored too
    kube.restore(snap)
    assert h.create(co("b"))["metadata"] == again["metadata"]


def test_uids_are_reproducible_from_the_seed() -> None:
    def uids(seed: int) -> list[str]:
        with FakeKube(seed=seed) as k:
            return [o["metadata"]["uid"] for o in k.add(co("a"), co("b"))]

    assert uids(1) == uids(1) and uids(1) != uids(2)


# -- the wire itself -------------------------------------------------------------------------


def test_keep_alive_and_no_nagle_delay(kube: FakeKube, wire: Wire) -> None:
    """Many requests on one connection, each well under the 40 ms Nagle/delayed-ACK stall."""
    kube.add(sec("s"))
    times = []
    for _ in range(30):
        t = time.perf_counter()
        code, _, resp = wire("PUT", f"{SECRETS}/s", sec("s"))
        times.append(time.perf_counter() - t)
        assert code == 200 and not resp.will_close
    assert statistics.median(times) < 0.02, times


def test_stop_is_clean_and_restartable() -> None:
    fake = FakeKube()
    with pytest.raises(RuntimeError, match="not started"):
        _ = fake.url
    fake.start()
    fake.add(co())
    assert fake.client_helper().get_one(
        "config.openshift.io/v1", "ClusterOperator", "kube-apiserver"
    )
    fake.stop()
    fake.start()
    assert fake.client_helper().get_one(
        "config.openshift.io/v1", "ClusterOperator", "kube-apiserver"
    )
    fake.stop()


def test_reactions_see_status_writes_and_not_their_own_writes(kube: FakeKube) -> None:
    seen: list[tuple[str, str]] = []

    def react(ev: WriteEvent) -> None:
        seen.append((ev.verb, ev.name))
        if ev.name == "a":  # a controller mirroring a's status onto b, through the model
            ev.model.put(
                co("b", status=ev.object["status"] if ev.object and "status" in ev.object else {})
            )

    versions = {"versions": [{"name": "operator", "version": "4.17.0"}]}  # a real status field
    kube.add(co("a"))
    kube.add_reaction(react)
    h = kube.client_helper()
    live = h.get_one("config.openshift.io/v1", "ClusterOperator", "a")
    h.update_status({**live, "status": versions})
    assert seen == [("status", "a")]
    assert kube.get("config.openshift.io/v1", "ClusterOperator", "b")["status"] == versions  # type: ignore[index]


def test_delete_preconditions(kube: FakeKube, wire: Wire) -> None:
    live = kube.add(sec("s"))[0]
    code, body, _ = wire("DELETE", f"{SECRETS}/s", {"preconditions": {"resourceVersion": "1"}})
    assert_status(body, 409, "Conflict")
    assert "Precondition failed: ResourceVersion in precondition: 1" in body["message"]
    code, body, _ = wire(
        "DELETE", f"{SECRETS}/s", {"preconditions": {"uid": live["metadata"]["uid"]}}
    )
    assert code == 200 and kube.get("v1", "Secret", "s", "ns") is None


def test_dry_run_changes_nothing(kube: FakeKube, wire: Wire) -> None:
    woken: list[str] = []
    kube.add_reaction(lambda ev: woken.append(ev.verb))  # type: ignore[func-returns-value]
    before = kube.objects()
    code, body, _ = wire("POST", f"{SECRETS}?dryRun=All", sec("s", stringData={"a": "b"}))
    assert code == 201 and body["data"] == {"a": "Yg=="}
    code, body, _ = wire("DELETE", "/api/v1/namespaces/ns?dryRun=All")
    assert code == 200
    assert kube.objects() == before and woken == []
    code, body, _ = wire("POST", f"{SECRETS}?dryRun=All", sec("s", apiVersion="apps/v1"))
    assert_status(body, 400, "BadRequest")  # a dry run still validates


def test_generation_of_a_custom_resource_without_status_subresource_tracks_status_too(
    kube: FakeKube, wire: Wire
) -> None:
    """customResourceStrategy.PrepareForUpdate: any change outside metadata bumps generation."""
    kube.register_kind("example.com/v1", "Gadget", "gadgets", False, has_status=False)
    path = "/apis/example.com/v1/gadgets"
    code, body, _ = wire("POST", path, {"metadata": {"name": "g"}, "spec": {"a": 1}})
    assert code == 201 and body["metadata"]["generation"] == 1
    body["status"] = {"ready": True}
    code, body, _ = wire("PUT", f"{path}/g", body)
    assert code == 200 and body["status"] == {"ready": True}
    assert body["metadata"]["generation"] == 2
    # with a status subresource, a status write leaves generation alone
    kube.add(co())
    code, body, _ = wire(
        "PATCH",
        f"{CO_PATH}/kube-apiserver/status",
        {"status": {"versions": [{"name": "operator", "version": "4.17.0"}]}},
        "application/merge-patch+json",
    )
    assert code == 200 and body["status"]["versions"] and body["metadata"]["generation"] == 1


def test_deployment_generation_bumps_on_spec_and_annotations(kube: FakeKube, wire: Wire) -> None:
    """The deployment strategy bumps generation on annotation changes (copied to ReplicaSets)."""
    path = DEPLOYMENTS
    assert wire("POST", path, deployment(replicas=1))[1]["metadata"]["generation"] == 1
    merge = "application/merge-patch+json"
    body = wire("PATCH", f"{path}/d", {"metadata": {"labels": {"a": "b"}}}, merge)[1]
    assert body["metadata"]["generation"] == 1  # labels: no bump
    body = wire("PATCH", f"{path}/d", {"metadata": {"annotations": {"a": "b"}}}, merge)[1]
    assert body["metadata"]["generation"] == 2
    body = wire("PATCH", f"{path}/d", {"spec": {"replicas": 2}}, merge)[1]
    assert body["metadata"]["generation"] == 3


def test_secret_type_is_immutable_and_tls_secrets_need_both_keys():
    """ValidateSecretUpdate / ValidateSecret of the real API server (422 Invalid)."""
    import pytest
    from kubernetes.dynamic.exceptions import ApiException

    from pytest_mimo.fakes.kube import FakeKube

    with FakeKube() as kube:
        kube.add({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ns"}})
        h = kube.client_helper()
        h.create({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "ns"},
                  "data": {"a": "Yg=="}})
        live = h.get_one("v1", "Secret", "s", "ns")
        live["type"] = "kubernetes.io/tls"
        live["data"] = {"tls.crt": "Yg==", "tls.key": "Yg=="}
        with pytest.raises(ApiException) as e:
            h.update(live)
        assert e.value.status == 422
        body = json.loads(e.value.body)
        assert body["reason"] == "Invalid"
        assert body["message"] == 'Secret "s" is invalid: type: Invalid value: "kubernetes.io/tls": field is immutable'
        with pytest.raises(ApiException) as e:
            h.create({"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
                      "metadata": {"name": "t", "namespace": "ns"}, "data": {}})
        assert e.value.status == 422
        assert json.loads(e.value.body)["message"] == (
            'Secret "t" is invalid: [data[tls.crt]: Required value, data[tls.key]: Required value]'
        )
        assert kube.get("v1", "Secret", "t", "ns") is None
