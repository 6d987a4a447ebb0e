"""Server-side apply and managedFields, as a real API server keeps them.

Rules from the Server-Side Apply documentation (kubernetes.io/docs/reference/using-api/
server-side-apply: "Field management", "Conflicts", "Merge strategy", "Field removal",
"Clearing managedFields") and the sources they come from: apiserver
``endpoints/handlers/patch.go`` (PatchOptions validation, create-on-apply), apimachinery
``util/managedfields/internal`` (manager identity, entry order, conflict wording,
before-first-apply, stripped metadata) and structured-merge-diff (``merge/update.go``,
``typed/*.go``: what an apply owns, merges and prunes; ``fieldpath/serialize.go``: fieldsV1).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from pytest_mimo.fakes.kube import FakeKube
from pytest_mimo.fakes.kube import fieldpaths as fp
from pytest_mimo.fakes.kube.schemas import schema_for

from .conftest import Wire
from .test_server import assert_status

APPLY = "application/apply-patch+yaml"
CM = "/api/v1/namespaces/ns/configmaps"
DEP = "/apis/apps/v1/namespaces/ns/deployments"


def cm(name: str = "cm", **data: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data}


def deployment(
    replicas: int | None = 2, containers: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "selector": {"matchLabels": {"app": "web"}},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {"containers": containers or [{"name": "app", "image": "app:1"}]},
        },
    }
    if replicas is not None:
        spec["replicas"] = replicas
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": spec,
    }


def managers(obj: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["manager"]: e for e in obj["metadata"].get("managedFields") or []}


def test_patch_options(wire: Wire) -> None:
    """ValidatePatchOptions: an apply needs fieldManager, force is for applies only, a manager is
    at most 128 bytes — 422 on PatchOptions.meta.k8s.io (errors.NewInvalid)."""
    code, body, _ = wire("PATCH", f"{CM}/cm", cm(a="1"), ctype=APPLY)
    assert_status(body, 422, "Invalid")
    assert body["message"] == (
        'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch'
    )
    assert body["details"] == {
        "group": "meta.k8s.io",
        "kind": "PatchOptions",
        "causes": [
            {
                "reason": "FieldValueRequired",
                "message": "Required value: is required for apply patch",
                "field": "fieldManager",
            }
        ],
    }
    wire("POST", CM, cm(a="1"))
    code, body, _ = wire(
        "PATCH", f"{CM}/cm?force=true", {"data": {"a": "2"}}, ctype="application/merge-patch+json"
    )
    assert_status(body, 422, "Invalid")
    assert body["message"].endswith("force: Forbidden: may not be specified for non-apply patch")
    code, body, _ = wire("PATCH", f"{CM}/cm?fieldManager={'m' * 129}", cm(a="1"), ctype=APPLY)
    assert body["message"].endswith("fieldManager: Too long: may not be more than 128 bytes")


def test_create_on_apply_and_the_entry(kube: FakeKube, wire: Wire) -> None:
    """An apply of a missing object creates it (201, patch.go forceAllowCreate); the entry is
    the applier's, operation Apply, with the configuration's fields only (metadata.name is
    stripped, stripmeta.go); the body may be YAML."""
    body_yaml = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n  labels:\n    app: x\ndata:\n  a: '1'\n"
    code, body, _ = wire("PATCH", f"{CM}/cm?fieldManager=alice", body_yaml, ctype=APPLY)
    assert code == 201, body
    assert body["data"] == {"a": "1"}
    (entry,) = body["metadata"]["managedFields"]
    assert list(entry) == ["manager", "operation", "apiVersion", "time", "fieldsType", "fieldsV1"]
    assert (entry["manager"], entry["operation"], entry["apiVersion"]) == ("alice", "Apply", "v1")
    assert entry["fieldsV1"] == {"f:data": {"f:a": {}}, "f:metadata": {"f:labels": {"f:app": {}}}}
    # the same apply again changes nothing: no new resourceVersion
    code, again, _ = wire("PATCH", f"{CM}/cm?fieldManager=alice", body_yaml, ctype=APPLY)
    assert (
        code == 200 and again["metadata"]["resourceVersion"] == body["metadata"]["resourceVersion"]
    )


def test_refused_apply_bodies(wire: Wire) -> None:
    """versionCheckManager ("invalid object type"), structuredMergeManager ("metadata.managedFields
    must be nil"), checkName, and a body that is not YAML: 400 BadRequest."""
    code, body, _ = wire(
        "PATCH", f"{CM}/cm?fieldManager=a", {"apiVersion": "v1", "kind": "Secret"}, ctype=APPLY
    )
    assert_status(body, 400, "BadRequest")
    assert body["message"] == "invalid object type: /v1, Kind=Secret"
    bad = cm(a="1")
    bad["metadata"]["managedFields"] = [{"manager": "x"}]
    code, body, _ = wire("PATCH", f"{CM}/cm?fieldManager=a", bad, ctype=APPLY)
    assert body["message"] == "metadata.managedFields must be nil"
    code, body, _ = wire("PATCH", f"{CM}/other?fieldManager=a", cm(a="1"), ctype=APPLY)
    assert (
        body["message"] == "the name of the object (cm) does not match the name on the URL (other)"
    )
    code, body, _ = wire("PATCH", f"{CM}/cm?fieldManager=a", "a: [", ctype=APPLY)
    assert_status(body, 400, "BadRequest")
    assert body["message"].startswith("error encoding patch: ")


def test_updates_are_tracked_by_manager(kube: FakeKube, wire: Wire) -> None:
    """A create, update or non-apply patch gives its manager (fieldManager, else the User-Agent
    up to the first "/", managerOrUserAgent) what it added or changed, as operation Update with
    the apiVersion; a field that leaves the object leaves its owner; the fieldsV1 marks a field
    both owned and with owned children with "." (Set.ToJSON)."""
    wire.conn.request(
        "POST",
        f"{CM}?fieldManager=creator",
        body=json.dumps({**cm(a="1", b="2"), "metadata": {"name": "cm", "labels": {"x": "y"}}}),
        headers={"Authorization": "Bearer tok", "Content-Type": "application/json"},
    )
    created = json.loads(wire.conn.getresponse().read())
    assert managers(created)["creator"]["fieldsV1"] == {
        "f:data": {".": {}, "f:a": {}, "f:b": {}},
        "f:metadata": {"f:labels": {".": {}, "f:x": {}}},
    }
    assert managers(created)["creator"]["operation"] == "Update"
    wire.conn.request(
        "PATCH",
        f"{CM}/cm",
        body=json.dumps({"data": {"b": "3", "a": None}}),
        headers={
            "Authorization": "Bearer tok",
            "Content-Type": "application/merge-patch+json",
            "User-Agent": "editor/1.2 (linux)",
        },
    )
    patched = json.loads(wire.conn.getresponse().read())
    owners = managers(patched)
    assert owners["editor"]["fieldsV1"] == {"f:data": {"f:b": {}}}
    assert owners["creator"]["fieldsV1"] == {
        "f:data": {},  # still owns data itself, a member with no children left
        "f:metadata": {"f:labels": {".": {}, "f:x": {}}},
    }
    # "Clearing managedFields": an update with managedFields: [] leaves none
    live = kube.get("v1", "ConfigMap", "cm", "ns")
    assert live is not None
    live["metadata"]["managedFields"] = []
    code, body, _ = wire("PUT", f"{CM}/cm", live)
    assert code == 200 and "managedFields" not in body["metadata"]
    # and an object without managedFields is not tracked again (skipNonApplied)
    code, body, _ = wire(
        "PATCH",
        f"{CM}/cm?fieldManager=late",
        {"data": {"c": "4"}},
        ctype="application/merge-patch+json",
    )
    assert code == 200 and "managedFields" not in body["metadata"]


def test_conflict_with_an_updater_and_force(kube: FakeKube, wire: Wire) -> None:
    """Conflicts: an apply that would change a field another manager set is 409 Conflict naming
    the manager and the field (conflict.go: NewConflictError, getConflictMessage, printManager);
    force takes the field over, and the other manager no longer owns it."""
    assert wire("PATCH", f"{DEP}/web?fieldManager=alice", deployment(2), ctype=APPLY)[0] == 201
    code, body, _ = wire(
        "PATCH",
        f"{DEP}/web?fieldManager=kubectl-scale",
        {"spec": {"replicas": 5}},
        ctype="application/merge-patch+json",
    )
    assert code == 200
    assert managers(body)["kubectl-scale"]["fieldsV1"] == {"f:spec": {"f:replicas": {}}}
    assert "f:replicas" not in json.dumps(
        managers(body)["alice"]["fieldsV1"]
    )  # taken by the update
    code, body, _ = wire("PATCH", f"{DEP}/web?fieldManager=alice", deployment(3), ctype=APPLY)
    assert_status(body, 409, "Conflict")
    assert body["message"] == (
        'Apply failed with 1 conflict: conflict with "kubectl-scale" using apps/v1: .spec.replicas'
    )
    assert body["details"] == {
        "causes": [
            {
                "reason": "FieldManagerConflict",
                "message": 'conflict with "kubectl-scale" using apps/v1',
                "field": ".spec.replicas",
            }
        ]
    }
    assert kube.get("apps/v1", "Deployment", "web", "ns")["spec"]["replicas"] == 5  # type: ignore[index]
    # applying the live value is no conflict: the field is then shared
    code, body, _ = wire("PATCH", f"{DEP}/web?fieldManager=alice", deployment(5), ctype=APPLY)
    assert code == 200, body
    assert "f:replicas" in json.dumps(managers(body)["alice"]["fieldsV1"])
    assert "f:replicas" in json.dumps(managers(body)["kubectl-scale"]["fieldsV1"])
    code, body, _ = wire(
        "PATCH", f"{DEP}/web?fieldManager=alice&force=true", deployment(3), ctype=APPLY
    )
    assert code == 200 and body["spec"]["replicas"] == 3
    assert "kubectl-scale" not in managers(body)  # its only field was taken


def test_conflicts_with_several_managers(wire: Wire) -> None:
    """getConflictMessage with more than one conflict: grouped by manager, sorted, one line each."""
    wire("PATCH", f"{CM}/cm?fieldManager=a", cm(x="1", y="1"), ctype=APPLY)
    wire("PATCH", f"{CM}/cm?fieldManager=b&force=true", cm(x="2"), ctype=APPLY)
    wire("PATCH", f"{CM}/cm?fieldManager=c&force=true", cm(y="2"), ctype=APPLY)
    code, body, _ = wire("PATCH", f"{CM}/cm?fieldManager=a", cm(x="1", y="1"), ctype=APPLY)
    assert_status(body, 409, "Conflict")
    assert body["message"] == (
        'Apply failed with 2 conflicts: conflicts with "b":\n- .data.x\nconflicts with "c":\n- .data.y'
    )
    assert [c["field"] for c in body["details"]["causes"]] == [".data.x", ".data.y"]


def test_field_removal_and_shared_ownership(wire: Wire) -> None:
    """Field removal: a field the applier applied before and no longer does is removed, unless
    another manager owns it too (then only the applier's ownership goes)."""
    wire("PATCH", f"{CM}/cm?fieldManager=a", cm(x="1", y="1", z="1"), ctype=APPLY)
    wire("PATCH", f"{CM}/cm?fieldManager=b", cm(y="1"), ctype=APPLY)  # same value: shared
    code, body, _ = wire("PATCH", f"{CM}/cm?fieldManager=a", cm(x="1"), ctype=APPLY)
    assert code == 200
    assert body["data"] == {"x": "1", "y": "1"}  # z (a's alone) removed, y (shared with b) kept
    assert managers(body)["a"]["fieldsV1"] == {"f:data": {"f:x": {}}}
    assert managers(body)["b"]["fieldsV1"] == {"f:data": {"f:y": {}}}


def test_lists_merge_by_key_between_appliers(wire: Wire) -> None:
    """Merge strategy: containers is a map-list keyed by name, so two appliers each own their
    container (k:{"name":...} entries) and neither removes the other's."""
    wire(
        "PATCH",
        f"{DEP}/web?fieldManager=app",
        deployment(1, [{"name": "app", "image": "app:1"}]),
        ctype=APPLY,
    )
    sidecar = deployment(None, [{"name": "sidecar", "image": "side:1"}])
    code, body, _ = wire("PATCH", f"{DEP}/web?fieldManager=mesh", sidecar, ctype=APPLY)
    assert code == 200, body
    names = [c["name"] for c in body["spec"]["template"]["spec"]["containers"]]
    assert names == ["app", "sidecar"]
    mesh = managers(body)["mesh"]["fieldsV1"]["f:spec"]["f:template"]["f:spec"]["f:containers"]
    assert mesh == {'k:{"name":"sidecar"}': {".": {}, "f:image": {}, "f:name": {}}}
    # app re-applies without change: the sidecar stays (not app's to prune)
    code, body, _ = wire(
        "PATCH",
        f"{DEP}/web?fieldManager=app",
        deployment(1, [{"name": "app", "image": "app:2"}]),
        ctype=APPLY,
    )
    assert [(c["name"], c["image"]) for c in body["spec"]["template"]["spec"]["containers"]] == [
        ("app", "app:2"),
        ("sidecar", "side:1"),
    ]


def test_before_first_apply_and_status_subresource(kube: FakeKube, wire: Wire) -> None:
    """An object with no managedFields: its fields are "before-first-apply"'s (skipnonapplied.go),
    so an apply changing one conflicts with that manager; an apply to /status is recorded with
    subresource status (buildmanagerinfo.go) and reaches only the status."""
    kube.add(
        {
            "apiVersion": "config.openshift.io/v1",
            "kind": "ClusterOperator",
            "metadata": {"name": "dns", "labels": {"team": "net"}},
            "spec": {},
        }
    )
    path = "/apis/config.openshift.io/v1/clusteroperators/dns"
    config = {
        "apiVersion": "config.openshift.io/v1",
        "kind": "ClusterOperator",
        "metadata": {"name": "dns", "labels": {"team": "other"}},
    }
    code, body, _ = wire("PATCH", f"{path}?fieldManager=op", config, ctype=APPLY)
    assert_status(body, 409, "Conflict")
    assert body["message"] == (
        'Apply failed with 1 conflict: conflict with "before-first-apply" using '
        "config.openshift.io/v1: .metadata.labels.team"
    )
    status = {
        **config,
        "metadata": {"name": "dns"},
        "status": {"versions": [{"name": "operator", "version": "1"}]},
    }
    code, body, _ = wire("PATCH", f"{path}/status?fieldManager=op", status, ctype=APPLY)
    assert code == 200, body
    assert body["status"]["versions"] == [{"name": "operator", "version": "1"}]
    entry = managers(body)["op"]
    assert entry["subresource"] == "status" and entry["operation"] == "Apply"
    assert list(entry["fieldsV1"]) == ["f:status"]


def test_official_client_apply(kube: FakeKube) -> None:
    """The typed client can send an apply (its patch methods list application/apply-patch+yaml)."""
    from kubernetes import client

    core = client.CoreV1Api(kube.api_client())
    got = core.patch_namespaced_config_map(
        "cm", "ns", cm(k="v"), field_manager="py", _content_type=APPLY
    )
    assert got.data == {"k": "v"}
    assert [(m.manager, m.operation) for m in got.metadata.managed_fields] == [("py", "Apply")]
    with pytest.raises(client.ApiException) as err:
        core.patch_namespaced_config_map(
            "cm", "ns", cm(k="w"), field_manager="other", _content_type=APPLY
        )
    assert err.value.status == 409
    # the typed client's own writes are tracked under its User-Agent's first word
    core.patch_namespaced_config_map("cm", "ns", {"data": {"extra": "1"}})
    live = kube.get("v1", "ConfigMap", "cm", "ns")
    assert live is not None
    assert {e["manager"] for e in live["metadata"]["managedFields"]} == {"py", "OpenAPI-Generator"}
    # a read-modify-write that changes nothing stays a no-op although the client sends the
    # managedFields back with its own time format (metav1.Time is re-encoded as RFC 3339)
    read = core.read_namespaced_config_map("cm", "ns")
    again = core.replace_namespaced_config_map("cm", "ns", read)
    assert again.metadata.resource_version == read.metadata.resource_version


def test_fields_v1_round_trip_and_paths() -> None:
    """fieldsV1 (de)serialization and Path.String() of each path element kind
    (fieldpath/serialize-pe.go, element.go)."""
    pod = schema_for("v1", "Pod")
    obj = {
        "metadata": {"finalizers": ["a.io/x"], "labels": {"k": "v"}},
        "spec": {"containers": [{"name": "c", "ports": [{"containerPort": 80}]}]},
    }
    paths = fp.to_set(obj, pod)
    encoded = fp.encode_fields(paths)
    assert encoded == {
        "f:metadata": {"f:finalizers": {'v:"a.io/x"': {}}, "f:labels": {"f:k": {}}},
        "f:spec": {
            "f:containers": {
                'k:{"name":"c"}': {
                    ".": {},
                    "f:name": {},
                    "f:ports": {
                        'k:{"containerPort":80,"protocol":"TCP"}': {".": {}, "f:containerPort": {}}
                    },
                }
            }
        },
    }
    assert fp.decode_fields(encoded) == paths
    texts = sorted(fp.path_string(p) for p in paths)
    assert '.metadata.finalizers[="a.io/x"]' in texts
    assert (
        '.spec.containers[name="c"].ports[containerPort=80,protocol="TCP"].containerPort' in texts
    )


def test_order_of_refusals_and_defaults_owned(kube: FakeKube, wire: Wire) -> None:
    """PatchResource checks the media type (415) before the options (422), and refuses a body
    that is not JSON with validateAndTranscodePatch's "invalid JSON patch" whatever the patch
    type; defaults set on decode (Secret type Opaque) belong to the creator, and a reaction's
    write (no request of its own) leaves the ownership as it was."""
    code, body, _ = wire("PATCH", f"{CM}/cm?force=true", "x", ctype="text/plain")
    assert_status(body, 415, "UnsupportedMediaType")
    for ctype in ("application/json-patch+json", "application/strategic-merge-patch+json"):
        code, body, _ = wire("PATCH", f"{CM}/cm", b"{", ctype=ctype)
        assert_status(body, 400, "BadRequest")
        assert body["message"] == "invalid JSON patch"
    code, body, _ = wire(
        "POST",
        "/api/v1/namespaces/ns/secrets?fieldManager=maker",
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "data": {"k": "dg=="}},
    )
    assert code == 201
    assert managers(body)["maker"]["fieldsV1"] == {"f:data": {".": {}, "f:k": {}}, "f:type": {}}

    def relabel(ev: Any) -> None:
        if ev.kind == "ConfigMap" and ev.verb == "create":
            obj = ev.model.find("v1", "ConfigMap", ev.name, "ns")
            obj["metadata"]["labels"] = {"seen": "yes"}
            ev.model.update(ev.model.kind("v1", "ConfigMap"), "ns", ev.name, obj)

    kube.add_reaction(relabel)
    code, body, _ = wire("PATCH", f"{CM}/watched?fieldManager=a", cm("watched", x="1"), ctype=APPLY)
    assert code == 201
    live = kube.get("v1", "ConfigMap", "watched", "ns")
    assert live is not None and live["metadata"]["labels"] == {"seen": "yes"}
    assert [e["manager"] for e in live["metadata"]["managedFields"]] == ["a"]
