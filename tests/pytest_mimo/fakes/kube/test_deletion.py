"""Deletion as kube-apiserver and kube-controller-manager do it, through the official client
and raw HTTP: namespace life cycle, finalizers, propagation policies and the garbage
collector, ``DeleteOptions`` validation, ``deletecollection``, and the watch events.

Sources (kubernetes/kubernetes): ``staging/src/k8s.io/apiserver/pkg/registry/generic/registry/
store.go`` (``Delete``, ``DeleteCollection``, ``deletionFinalizersForGarbageCollection``,
``markAsDeleting``), ``pkg/registry/core/namespace/storage/storage.go`` (``REST.Delete``,
``ShouldDeleteNamespaceDuringUpdate``), ``staging/src/k8s.io/apiserver/pkg/admission/plugin/
namespace/lifecycle/admission.go`` (``Lifecycle.Admit``), ``pkg/controller/namespace/deletion``
(``namespacedResourcesDeleter``, ``status_condition_utils.go``), ``pkg/controller/
garbagecollector`` (``attemptToDeleteItem``), ``staging/src/k8s.io/apimachinery/pkg/apis/meta/
v1/validation/validation.go`` (``ValidateDeleteOptions``, ``ValidateDryRun``),
``staging/src/k8s.io/apiserver/pkg/endpoints/handlers/delete.go``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from kubernetes import client as k8s
from kubernetes import watch as k8s_watch
from kubernetes.client.rest import ApiException
from kubernetes.dynamic import DynamicClient

from pytest_mimo.clock import SimClock
from pytest_mimo.fakes.kube import FakeKube

from .conftest import Wire

CMS = "/api/v1/namespaces/ns/configmaps"


def cm(name: str, **meta: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "ns", **meta}}


def deployment(name: str, **meta: Any) -> dict[str, Any]:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "ns", **meta},
        "spec": {
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "c", "image": "i"}]}},
        },
    }


def owned_by(owner: dict[str, Any], *, block: bool | None = None) -> list[dict[str, Any]]:
    ref: dict[str, Any] = {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
    }
    if block is not None:
        ref["blockOwnerDeletion"] = block
    return [ref]


def as_dict(api: Any, answer: Any) -> dict[str, Any]:
    """A delete's answer as JSON (the typed client decodes it as a V1Status, or a dict)."""
    return answer if isinstance(answer, dict) else api.sanitize_for_serialization(answer)


@pytest.fixture
def api(kube: FakeKube) -> Iterator[Any]:
    with kube.api_client() as c:
        yield c


# -- namespaces -----------------------------------------------------------------------------


def test_the_system_namespaces_exist_and_three_may_not_be_deleted(kube: FakeKube, api: Any) -> None:
    """server.go DEFAULT_NAMESPACES; NamespaceLifecycle's immortal namespaces (default,
    kube-system, kube-public): 403 ``this namespace may not be deleted``; kube-node-lease is
    not immortal."""
    core = k8s.CoreV1Api(api)
    names = {n.metadata.name for n in core.list_namespace().items}
    assert {"default", "kube-system", "kube-public", "kube-node-lease"} <= names
    with pytest.raises(ApiException) as e:
        core.delete_namespace("default")
    assert e.value.status == 403
    body = json.loads(e.value.body)
    assert body["reason"] == "Forbidden"
    assert body["message"] == 'namespaces "default" is forbidden: this namespace may not be deleted'
    assert body["details"] == {"name": "default", "kind": "namespaces"}
    assert kube.get("v1", "Namespace", "default") is not None
    core.delete_namespace("kube-node-lease")  # allowed


def test_deleting_a_namespace_terminates_it_and_refuses_new_content(kube: FakeKube, api: Any) -> None:
    """storage.go REST.Delete: deletionTimestamp, phase Terminating, spec.finalizers kept
    (``kubernetes``), the namespace returned (ReturnDeletedObject); a create in it: 403 with
    admission.go's words and the NamespaceTerminating cause. Content held by its own finalizer
    keeps the namespace (the controller honours it), with the deleter's conditions."""
    core = k8s.CoreV1Api(api)
    kube.add(cm("held", finalizers=["example.com/hold"]), cm("free"))
    with SimClock("2026-03-02T09:00:00Z") as clock:
        ns = as_dict(api, core.delete_namespace("ns"))
        assert ns["kind"] == "Namespace" and ns["status"]["phase"] == "Terminating"
        live = core.read_namespace("ns")  # the controller ticked before this request
        assert live.status.phase == "Terminating"
        assert live.metadata.deletion_timestamp is not None
        assert live.spec.finalizers == ["kubernetes"]
        assert kube.get("v1", "ConfigMap", "free", "ns") is None  # deleted by the controller
        held = kube.get("v1", "ConfigMap", "held", "ns")
        assert held is not None and held["metadata"]["deletionTimestamp"]
        conditions = {c.type: c for c in live.status.conditions}
        assert conditions["NamespaceContentRemaining"].status == "True"
        assert conditions["NamespaceContentRemaining"].reason == "SomeResourcesRemain"
        assert conditions["NamespaceContentRemaining"].message == (
            "Some resources are remaining: configmaps. has 1 resource instances"
        )
        assert conditions["NamespaceFinalizersRemaining"].message == (
            "Some finalizers are remaining: example.com/hold in 1 resource instances"
        )
        assert conditions["NamespaceDeletionDiscoveryFailure"].status == "False"
        assert conditions["NamespaceDeletionDiscoveryFailure"].reason == "ResourcesDiscovered"

        with pytest.raises(ApiException) as e:
            core.create_namespaced_config_map("ns", cm("new"))
        assert e.value.status == 403
        body = json.loads(e.value.body)
        assert body["reason"] == "Forbidden"
        assert body["message"] == (
            'configmaps "new" is forbidden: unable to create new content in namespace ns '
            "because it is being terminated"
        )
        assert body["details"] == {
            "name": "new",
            "kind": "configmaps",
            "causes": [
                {
                    "reason": "NamespaceTerminating",
                    "message": "namespace ns is being terminated",
                    "field": "metadata.namespace",
                }
            ],
        }
        # a second delete while terminating changes nothing (spec.finalizers not empty)
        again = core.delete_namespace("ns")
        assert again is not None and kube.get("v1", "Namespace", "ns") is not None

        # the content's finalizer goes: the controller's next sync (requeued after
        # estimate/2+1 = 8 s of virtual time) removes `kubernetes` and with it the namespace
        core.patch_namespaced_config_map("held", "ns", {"metadata": {"finalizers": None}})
        assert kube.get("v1", "ConfigMap", "held", "ns") is None
        core.list_namespace()
        assert kube.get("v1", "Namespace", "ns") is not None  # not due yet
        clock.advance(8)
        core.list_namespace()
        assert kube.get("v1", "Namespace", "ns") is None


def test_generate_name_in_a_terminating_namespace_is_named_by_its_prefix(kube: FakeKube, wire: Wire) -> None:
    """extractResourceName: admission runs before the name is generated, so the 403 names
    the generateName."""
    kube.add(cm("held", finalizers=["example.com/hold"]))
    assert wire("DELETE", "/api/v1/namespaces/ns")[0] == 200
    code, body, _ = wire("POST", CMS, {"metadata": {"generateName": "x-"}})
    assert code == 403 and body["message"].startswith('configmaps "x-" is forbidden: ')


def test_namespace_controller_delay_runs_on_the_simulated_clock(kube: FakeKube, wire: Wire) -> None:
    """With ``delay_seconds`` the first sync waits that long in virtual time."""
    kube.namespace_controller.delay_seconds = 30
    kube.add(cm("a"))
    with SimClock() as clock:
        assert wire("DELETE", "/api/v1/namespaces/ns")[0] == 200
        code, body, _ = wire("GET", "/api/v1/namespaces/ns")
        assert code == 200 and body["status"]["phase"] == "Terminating"
        assert kube.get("v1", "ConfigMap", "a", "ns") is not None
        clock.advance(30)
        assert wire("GET", "/api/v1/namespaces/ns")[0] == 404
        assert kube.get("v1", "ConfigMap", "a", "ns") is None


def test_updating_a_terminating_namespace_does_not_delete_it(kube: FakeKube, wire: Wire) -> None:
    """ShouldDeleteNamespaceDuringUpdate: metadata.finalizers empty is not enough while
    spec.finalizers holds ``kubernetes``."""
    kube.namespace_controller.delay_seconds = 60
    with SimClock():
        wire("DELETE", "/api/v1/namespaces/ns")
        code, body, _ = wire(
            "PATCH", "/api/v1/namespaces/ns", {"metadata": {"labels": {"a": "b"}}},
            ctype="application/merge-patch+json",
        )
        assert code == 200 and body["metadata"]["labels"]["a"] == "b"
        assert kube.get("v1", "Namespace", "ns") is not None


# -- finalizers and propagation -------------------------------------------------------------


def test_finalizers_hold_an_object_until_the_last_goes(kube: FakeKube, api: Any) -> None:
    """markAsDeleting: deletionTimestamp and deletionGracePeriodSeconds 0, the object kept;
    removing one finalizer keeps it, removing the last deletes it (ShouldDeleteDuringUpdate);
    a new finalizer while deleting: 422 (validation.go)."""
    core = k8s.CoreV1Api(api)
    kube.add(cm("c", finalizers=["example.com/a", "example.com/b"]))
    out = as_dict(api, core.delete_namespaced_config_map("c", "ns"))
    assert out["kind"] == "ConfigMap"  # the object, not a Status: it is not gone
    live = core.read_namespaced_config_map("c", "ns")
    assert live.metadata.deletion_timestamp is not None
    assert live.metadata.deletion_grace_period_seconds == 0
    with pytest.raises(ApiException) as e:
        core.patch_namespaced_config_map("c", "ns", {"metadata": {"finalizers": ["example.com/a", "example.com/b", "example.com/c"]}})
    assert e.value.status == 422
    core.patch_namespaced_config_map(
        "c", "ns", [{"op": "remove", "path": "/metadata/finalizers/0"}]
    )
    assert core.read_namespaced_config_map("c", "ns").metadata.finalizers == ["example.com/b"]
    live = core.read_namespaced_config_map("c", "ns")
    live.metadata.finalizers = []
    core.replace_namespaced_config_map("c", "ns", live)
    assert kube.get("v1", "ConfigMap", "c", "ns") is None


def test_generation_moves_when_deletion_starts(kube: FakeKube, wire: Wire) -> None:
    """markAsDeleting bumps generation the first time (an object that has one)."""
    kube.add(deployment("web", finalizers=["example.com/a"]))
    code, body, _ = wire("DELETE", "/apis/apps/v1/namespaces/ns/deployments/web")
    assert code == 200 and body["metadata"]["generation"] == 2
    code, body, _ = wire("DELETE", "/apis/apps/v1/namespaces/ns/deployments/web")
    assert body["metadata"]["generation"] == 2  # already deleting: no second bump


def test_background_deletes_dependents_after_the_owner(kube: FakeKube, api: Any) -> None:
    """Background: the owner goes at once; the collector deletes the dependents whose owners
    are all gone, and keeps one that still has a solid owner (dropping the dangling ref)."""
    apps, core = k8s.AppsV1Api(api), k8s.CoreV1Api(api)
    owner = kube.add(deployment("web"))[0]
    other = kube.add(cm("other"))[0]
    kube.add(cm("child", ownerReferences=owned_by(owner)))
    kube.add(cm("shared", ownerReferences=owned_by(owner) + owned_by(other)))
    status = as_dict(api, apps.delete_namespaced_deployment("web", "ns", propagation_policy="Background"))
    assert status["kind"] == "Status" and status["status"] == "Success"
    assert kube.get("apps/v1", "Deployment", "web", "ns") is None
    core.list_namespaced_config_map("ns")  # the collector ticks before this request
    assert kube.get("v1", "ConfigMap", "child", "ns") is None
    shared = kube.get("v1", "ConfigMap", "shared", "ns")
    assert shared is not None
    assert [r["name"] for r in shared["metadata"]["ownerReferences"]] == ["other"]


def test_foreground_waits_for_blocking_dependents(kube: FakeKube, api: Any) -> None:
    """Foreground: the owner gets ``foregroundDeletion`` and stays while a dependent with
    blockOwnerDeletion exists (here held by its own finalizer); then it goes."""
    apps, core = k8s.AppsV1Api(api), k8s.CoreV1Api(api)
    owner = kube.add(deployment("web"))[0]
    kube.add(cm("blocker", finalizers=["example.com/hold"], ownerReferences=owned_by(owner, block=True)))
    kube.add(cm("plain", ownerReferences=owned_by(owner)))
    out = as_dict(
        api, apps.delete_namespaced_deployment("web", "ns", body=k8s.V1DeleteOptions(propagation_policy="Foreground"))
    )
    assert out["metadata"]["finalizers"] == ["foregroundDeletion"]
    assert out["metadata"]["deletionTimestamp"]
    core.list_namespaced_config_map("ns")
    assert kube.get("v1", "ConfigMap", "plain", "ns") is None  # every dependent is deleted
    blocker = kube.get("v1", "ConfigMap", "blocker", "ns")
    assert blocker is not None and blocker["metadata"]["deletionTimestamp"]
    assert kube.get("apps/v1", "Deployment", "web", "ns") is not None  # waits for the blocker
    core.patch_namespaced_config_map("blocker", "ns", {"metadata": {"finalizers": None}})
    core.list_namespaced_config_map("ns")
    assert kube.get("apps/v1", "Deployment", "web", "ns") is None


def test_orphan_keeps_dependents_without_their_owner_reference(kube: FakeKube, api: Any) -> None:
    """Orphan: the owner gets the ``orphan`` finalizer; the collector removes the owner's
    references from the dependents, then the finalizer, and the owner goes."""
    apps = k8s.AppsV1Api(api)
    owner = kube.add(deployment("web"))[0]
    kube.add(cm("child", ownerReferences=owned_by(owner)))
    out = as_dict(api, apps.delete_namespaced_deployment("web", "ns", propagation_policy="Orphan"))
    assert out["metadata"]["finalizers"] == ["orphan"]
    apps.list_namespaced_deployment("ns")
    assert kube.get("apps/v1", "Deployment", "web", "ns") is None
    child = kube.get("v1", "ConfigMap", "child", "ns")
    assert child is not None and "ownerReferences" not in child["metadata"]


def test_orphan_dependents_false_answers_202(kube: FakeKube, wire: Wire) -> None:
    """delete.go: 202 Accepted when not deleted at once and orphanDependents=false was asked
    (shouldDeleteDependents: an explicit orphanDependents never adds foregroundDeletion)."""
    kube.add(cm("c", finalizers=["example.com/a"]))
    code, body, _ = wire("DELETE", f"{CMS}/c", {"orphanDependents": False})
    assert code == 202 and body["metadata"]["finalizers"] == ["example.com/a"]


def test_an_owner_of_a_kind_not_served_is_never_taken_as_gone(kube: FakeKube, wire: Wire) -> None:
    kube.add(cm("c", ownerReferences=[{"apiVersion": "example.com/v1", "kind": "Thing", "name": "t", "uid": "u"}]))
    wire("GET", CMS)
    assert kube.get("v1", "ConfigMap", "c", "ns") is not None


# -- DeleteOptions ----------------------------------------------------------------------------


def test_an_unknown_propagation_policy_is_invalid(kube: FakeKube, wire: Wire) -> None:
    """ValidateDeleteOptions, answered by delete.go as errors.NewInvalid on
    ``DeleteOptions.meta.k8s.io`` (a 422, not a 400)."""
    kube.add(cm("c"))
    code, body, _ = wire("DELETE", f"{CMS}/c", {"propagationPolicy": "Sideways"})
    assert code == 422 and body["reason"] == "Invalid"
    assert body["message"] == (
        'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "Sideways": '
        'supported values: "Foreground", "Background", "Orphan", "nil"'
    )
    assert body["details"] == {
        "group": "meta.k8s.io",
        "kind": "DeleteOptions",
        "causes": [
            {
                "reason": "FieldValueNotSupported",
                "message": 'Unsupported value: "Sideways": supported values: "Foreground", "Background", "Orphan", "nil"',
                "field": "propagationPolicy",
            }
        ],
    }
    code, body, _ = wire("DELETE", f"{CMS}/c", {"propagationPolicy": "Orphan", "orphanDependents": True})
    assert code == 422 and body["message"].endswith(
        'propagationPolicy: Invalid value: "Orphan": orphanDependents and deletionPropagation cannot be both set'
    )
    assert kube.get("v1", "ConfigMap", "c", "ns") is not None


def test_dry_run_other_than_all_is_invalid(kube: FakeKube, wire: Wire) -> None:
    """ValidateDryRun (delete, and create through ValidateCreateOptions): only ``All``."""
    kube.add(cm("c"))
    code, body, _ = wire("DELETE", f"{CMS}/c?dryRun=Some")
    assert code == 422
    assert body["message"] == (
        'DeleteOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{"Some"}: '
        'supported values: "All"'
    )
    code, body, _ = wire("POST", f"{CMS}?dryRun=Some", cm("d"))
    assert code == 422 and body["message"].startswith('CreateOptions.meta.k8s.io "" is invalid: dryRun:')
    assert kube.get("v1", "ConfigMap", "c", "ns") is not None and kube.get("v1", "ConfigMap", "d", "ns") is None


def test_dry_run_delete_changes_nothing_and_body_options_win(kube: FakeKube, wire: Wire) -> None:
    """A dry run answers as the delete would (the Terminating namespace) and keeps nothing;
    with a body, the query's options are not read (delete.go)."""
    kube.add(cm("c"))
    code, body, _ = wire("DELETE", "/api/v1/namespaces/ns?dryRun=All")
    assert code == 200 and body["status"]["phase"] == "Terminating"
    assert kube.get("v1", "Namespace", "ns")["status"]["phase"] == "Active"  # type: ignore[index]
    code, body, _ = wire("DELETE", f"{CMS}/c", {"dryRun": ["All"]})
    assert code == 200 and kube.get("v1", "ConfigMap", "c", "ns") is not None
    code, body, _ = wire("DELETE", f"{CMS}/c?dryRun=All", {"kind": "DeleteOptions"})
    assert code == 200 and kube.get("v1", "ConfigMap", "c", "ns") is None


def test_grace_period_is_accepted_and_changes_nothing_for_kinds_without_graceful_delete(
    kube: FakeKube, wire: Wire
) -> None:
    """rest.BeforeDelete: only a graceful strategy (Pods) uses gracePeriodSeconds."""
    kube.add(cm("c"))
    code, body, _ = wire("DELETE", f"{CMS}/c", {"gracePeriodSeconds": 30})
    assert code == 200 and body["kind"] == "Status"


# -- deletecollection -------------------------------------------------------------------------


def test_deletecollection_with_selectors_returns_the_list(kube: FakeKube, api: Any, wire: Wire) -> None:
    """store.go DeleteCollection: each matching item deleted; the answer is the list read."""
    core = k8s.CoreV1Api(api)
    kube.add(cm("a", labels={"app": "x"}), cm("b", labels={"app": "x"}), cm("c", labels={"app": "y"}))
    kube.add(cm("held", labels={"app": "x"}, finalizers=["example.com/hold"]))
    code, resp, _ = wire("DELETE", f"{CMS}?labelSelector=app%3Dx&fieldSelector=metadata.name%21%3Db")
    assert code == 200 and resp["kind"] == "ConfigMapList"
    assert [i["metadata"]["name"] for i in resp["items"]] == ["a", "held"]
    left = sorted(c.metadata.name for c in core.list_namespaced_config_map("ns").items)
    assert left == ["b", "c", "held"]
    assert kube.get("v1", "ConfigMap", "held", "ns")["metadata"]["deletionTimestamp"]  # type: ignore[index]
    core.delete_collection_namespaced_config_map("ns", label_selector="app=y")  # typed client
    assert kube.get("v1", "ConfigMap", "c", "ns") is None


def test_deletecollection_on_every_collection_route_but_namespaces(kube: FakeKube, wire: Wire) -> None:
    """Discovery lists ``deletecollection`` for every kind but namespaces (their REST storage has
    none); a namespaced kind across namespaces has no DELETE route: 405."""
    code, doc, _ = wire("GET", "/api/v1")
    verbs = {r["name"]: r["verbs"] for r in doc["resources"]}
    assert "deletecollection" not in verbs["namespaces"]
    assert "deletecollection" in verbs["configmaps"] and "watch" in verbs["configmaps"]
    assert wire("DELETE", "/api/v1/namespaces")[0] == 405
    assert wire("DELETE", "/api/v1/configmaps")[0] == 405
    kube.add({"apiVersion": "config.openshift.io/v1", "kind": "ClusterOperator", "metadata": {"name": "dns"}, "spec": {}})
    code, body, _ = wire("DELETE", "/apis/config.openshift.io/v1/clusteroperators")
    assert code == 200 and body["kind"] == "ClusterOperatorList" and len(body["items"]) == 1
    assert kube.get("config.openshift.io/v1", "ClusterOperator", "dns") is None
    assert kube.requests[-1].verb == "deletecollection"


def test_dynamic_client_delete_with_propagation(kube: FakeKube, api: Any) -> None:
    dyn = DynamicClient(api)
    owner = kube.add(deployment("web"))[0]
    kube.add(cm("child", ownerReferences=owned_by(owner)))
    deployments = dyn.resources.get(api_version="apps/v1", kind="Deployment")
    deployments.delete(name="web", namespace="ns", propagation_policy="Foreground")
    configmaps = dyn.resources.get(api_version="v1", kind="ConfigMap")
    assert [i.metadata.name for i in configmaps.get(namespace="ns").items] == []
    assert kube.get("apps/v1", "Deployment", "web", "ns") is None


# -- watches ----------------------------------------------------------------------------------


def test_watch_sees_modified_then_deleted(kube: FakeKube, api: Any) -> None:
    """The deletionTimestamp is a MODIFIED event; the removal of the last finalizer DELETED."""
    core = k8s.CoreV1Api(api)
    kube.add(cm("c", finalizers=["example.com/a"]))
    rv = core.list_namespaced_config_map("ns").metadata.resource_version
    core.delete_namespaced_config_map("c", "ns")
    core.patch_namespaced_config_map("c", "ns", {"metadata": {"finalizers": None}})
    events: list[tuple[str, bool]] = []
    for ev in k8s_watch.Watch().stream(
        core.list_namespaced_config_map, "ns", resource_version=rv, timeout_seconds=1
    ):
        events.append((ev["type"], ev["object"].metadata.deletion_timestamp is not None))
        if ev["type"] == "DELETED":
            break
    assert events == [("MODIFIED", True), ("DELETED", True)]


def test_a_waiting_watch_sees_the_namespace_go_when_the_clock_moves(kube: FakeKube, wire: Wire) -> None:
    """The controllers also tick when the simulated clock moves while a watch is open."""
    kube.namespace_controller.delay_seconds = 10
    with SimClock() as clock, kube.api_client() as api:
        core = k8s.CoreV1Api(api)
        wire("DELETE", "/api/v1/namespaces/ns")
        rv = core.list_namespace().metadata.resource_version
        seen: list[str] = []

        def watch() -> None:
            for ev in k8s_watch.Watch().stream(
                core.list_namespace, field_selector="metadata.name=ns", resource_version=rv, timeout_seconds=600
            ):
                seen.append(ev["type"])
                if ev["type"] == "DELETED":
                    return

        t = threading.Thread(target=watch, daemon=True)
        t.start()
        assert kube.wait_for_watches(1, timeout=10)
        clock.advance(10)
        t.join(timeout=10)
        assert not t.is_alive() and seen[-1] == "DELETED"
