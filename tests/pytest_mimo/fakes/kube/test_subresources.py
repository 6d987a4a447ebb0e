"""The scale subresource, server-side printing (Table, PartialObjectMetadata), protobuf request
bodies and SelfSubjectAccessReview, through the official client and raw HTTP (issue #14, items
6 and 8). Each test names the apiserver source its rule follows; kubectl's side is in
test_kubectl.py."""

from __future__ import annotations

import http.client
import json
import struct
from typing import Any

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException
from kubernetes.dynamic import DynamicClient

from pytest_mimo.clock import SimClock
from pytest_mimo.fakes.kube import FakeKube
from pytest_mimo.fakes.kube.protobuf import decode_object
from pytest_mimo.fakes.kube.tables import human_duration

from .conftest import request as raw
from .conftest import widget_crd

TABLE = "application/json;as=Table;g=meta.k8s.io;v=v1"


def deployment(name: str = "web", replicas: int = 2) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "ns"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name, "tier": "fe"}},
            "template": {
                "metadata": {"labels": {"app": name, "tier": "fe"}},
                "spec": {"containers": [{"name": "c", "image": "img:1"}]},
            },
        },
    }


# -- scale (pkg/registry/apps/deployment/storage/storage.go, ScaleREST) ------------------------------


def test_scale_reads_and_writes_the_deployments_replicas(kube: FakeKube) -> None:
    """scaleFromDeployment: spec.replicas, status.replicas, the selector as labels.Selector
    String() (sorted by key); a write changes only spec.replicas."""
    kube.add(deployment())
    apps = client.AppsV1Api(kube.api_client())
    scale = apps.read_namespaced_deployment_scale("web", "ns")
    assert scale.spec.replicas == 2 and scale.status.selector == "app=web,tier=fe"
    rv = scale.metadata.resource_version
    assert rv == kube.get("apps/v1", "Deployment", "web", "ns")["metadata"]["resourceVersion"]
    out = apps.patch_namespaced_deployment_scale("web", "ns", {"spec": {"replicas": 5}})
    assert out.spec.replicas == 5
    stored = kube.get("apps/v1", "Deployment", "web", "ns")
    assert stored["spec"]["replicas"] == 5 and stored["spec"]["template"]["spec"]["containers"][0]["image"] == "img:1"
    assert stored["metadata"]["resourceVersion"] != rv


def test_scale_refuses_a_stale_resource_version_and_negative_replicas(kube: FakeKube) -> None:
    """ScaleREST.Update: a Scale whose resourceVersion is not the Deployment's → 409 Conflict on
    deployments.apps; ValidateScale: spec.replicas >= 0 → 422 on Scale.autoscaling."""
    kube.add(deployment())
    apps = client.AppsV1Api(kube.api_client())
    old = apps.read_namespaced_deployment_scale("web", "ns")
    apps.patch_namespaced_deployment_scale("web", "ns", {"spec": {"replicas": 3}})
    old.spec.replicas = 9
    with pytest.raises(ApiException) as stale:
        apps.replace_namespaced_deployment_scale("web", "ns", old)
    assert stale.value.status == 409
    assert 'Operation cannot be fulfilled on deployments.apps "web"' in json.loads(stale.value.body)["message"]
    with pytest.raises(ApiException) as negative:
        apps.patch_namespaced_deployment_scale("web", "ns", {"spec": {"replicas": -1}})
    body = json.loads(negative.value.body)
    assert negative.value.status == 422 and body["reason"] == "Invalid"
    assert body["message"] == (
        'Scale.autoscaling "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0'
    )
    assert kube.get("apps/v1", "Deployment", "web", "ns")["spec"]["replicas"] == 3


def _ingress_controller(replicas: int | None = 2) -> dict[str, Any]:
    spec: dict[str, Any] = {} if replicas is None else {"replicas": replicas}
    return {
        "apiVersion": "operator.openshift.io/v1",
        "kind": "IngressController",
        "metadata": {"name": "default", "namespace": "ns"},
        "spec": spec,
        "status": {"availableReplicas": 1, "selector": "ingresscontroller.operator.openshift.io/deployment-ingresscontroller=default"},
    }


IC_SCALE = "/apis/operator.openshift.io/v1/namespaces/ns/ingresscontrollers/default/scale"


def test_a_custom_kinds_scale_follows_its_crds_paths(kube: FakeKube) -> None:
    """The IngressController CRD declares ``subresources.scale`` (specReplicasPath .spec.replicas,
    statusReplicasPath .status.availableReplicas, labelSelectorPath .status.selector):
    apiextensions' ScaleREST (registry/customresource/etcd.go scaleFromCustomResource) reads
    them, an absent value as 0, and a write sets the spec path only."""
    kube.add(_ingress_controller())
    status, scale, _ = raw(kube, "GET", IC_SCALE)
    assert status == 200 and scale["kind"] == "Scale" and scale["apiVersion"] == "autoscaling/v1"
    assert scale["spec"] == {"replicas": 2}
    assert scale["status"] == {
        "replicas": 1,
        "selector": "ingresscontroller.operator.openshift.io/deployment-ingresscontroller=default",
    }
    status, out, _ = raw(kube, "PATCH", IC_SCALE, json.dumps({"spec": {"replicas": 4}}).encode(),
                         {"Content-Type": "application/merge-patch+json"})
    assert status == 200 and out["spec"]["replicas"] == 4
    stored = kube.get("operator.openshift.io/v1", "IngressController", "default", "ns")
    assert stored["spec"]["replicas"] == 4 and stored["status"]["availableReplicas"] == 1
    # a stale resourceVersion on a PUT: 409 on the custom resource
    stale = {**out, "metadata": {**out["metadata"], "resourceVersion": scale["metadata"]["resourceVersion"]}}
    status, body, _ = raw(kube, "PUT", IC_SCALE, json.dumps(stale).encode(), {"Content-Type": "application/json"})
    assert status == 409 and body["details"]["group"] == "operator.openshift.io"


def test_a_scale_of_an_unset_replicas_is_zero_and_a_put_sets_it(kube: FakeKube) -> None:
    kube.add(_ingress_controller(replicas=None))
    _, scale, _ = raw(kube, "GET", IC_SCALE)
    assert scale["spec"] == {"replicas": 0}
    scale["spec"]["replicas"] = 3
    status, out, _ = raw(kube, "PUT", IC_SCALE, json.dumps(scale).encode(), {"Content-Type": "application/json"})
    assert status == 200 and out["spec"]["replicas"] == 3
    assert kube.get("operator.openshift.io/v1", "IngressController", "default", "ns")["spec"]["replicas"] == 3


def test_a_crd_created_through_the_api_serves_its_scale(kube: FakeKube) -> None:
    """A CRD's own paths (.spec.size, .status.ready) and no labelSelectorPath: no selector."""
    crd = widget_crd()
    del crd["spec"]["versions"][0]["subresources"]["scale"]["labelSelectorPath"]
    kube.add(crd)
    kube.add({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w", "namespace": "ns"},
              "spec": {"size": 5}, "status": {"ready": 2}})
    path = "/apis/example.com/v1/namespaces/ns/widgets/w/scale"
    _, scale, _ = raw(kube, "GET", path)
    assert scale["spec"] == {"replicas": 5} and scale["status"] == {"replicas": 2}
    status, _, _ = raw(kube, "PATCH", path, b'{"spec":{"replicas":1}}', {"Content-Type": "application/merge-patch+json"})
    assert status == 200 and kube.get("example.com/v1", "Widget", "w", "ns")["spec"] == {"size": 1}
    # a kind whose CRD has no scale subresource has no such path
    assert raw(kube, "GET", "/apis/config.openshift.io/v1/clusteroperators/x/scale")[0] == 404


def test_discovery_lists_the_scale_subresource_with_its_own_kind(kube: FakeKube) -> None:
    """APIResource of a subresource names its group/version/kind (autoscaling/v1 Scale), as
    kubectl scale and the scale client's discovery read it."""
    status, doc, _ = raw(kube, "GET", "/apis/apps/v1")
    entry = next(r for r in doc["resources"] if r["name"] == "deployments/scale")
    assert status == 200
    assert (entry["group"], entry["version"], entry["kind"]) == ("autoscaling", "v1", "Scale")
    assert sorted(entry["verbs"]) == ["get", "patch", "update"]
    # a kind without a scale subresource has no such path
    assert raw(kube, "GET", "/api/v1/namespaces/ns/configmaps/x/scale")[0] == 404


# -- Table (handlers/response.go transformObject, printers.go, tableconvertor) -----------------------


def test_a_deployment_list_as_table_has_the_printers_columns(kube: FakeKube) -> None:
    """printDeployment: Name, Ready (ready/desired), Up-to-date, Available, Age, and the wide
    Containers, Images, Selector (priority 1); each row carries a PartialObjectMetadata
    (includeObject=Metadata, the default)."""
    kube.add(deployment())
    status, table, _ = raw(kube, "GET", "/apis/apps/v1/namespaces/ns/deployments", headers={"Accept": TABLE})
    assert status == 200 and table["kind"] == "Table" and table["apiVersion"] == "meta.k8s.io/v1"
    cols = [(c["name"], c["priority"]) for c in table["columnDefinitions"]]
    assert cols == [("Name", 0), ("Ready", 0), ("Up-to-date", 0), ("Available", 0), ("Age", 0),
                    ("Containers", 1), ("Images", 1), ("Selector", 1)]
    (row,) = table["rows"]
    assert row["cells"][:4] == ["web", "0/2", 0, 0]
    assert row["cells"][5:] == ["c", "img:1", "app=web,tier=fe"]
    assert row["object"]["kind"] == "PartialObjectMetadata" and row["object"]["metadata"]["name"] == "web"
    assert table["metadata"]["resourceVersion"]
    # includeObject=Object carries the whole object, None none
    _, full, _ = raw(kube, "GET", "/apis/apps/v1/namespaces/ns/deployments?includeObject=Object",
                     headers={"Accept": TABLE})
    assert full["rows"][0]["object"]["kind"] == "Deployment"
    _, bare, _ = raw(kube, "GET", "/apis/apps/v1/namespaces/ns/deployments?includeObject=None",
                     headers={"Accept": TABLE})
    assert "object" not in bare["rows"][0]


def test_the_age_column_follows_the_simulated_clock() -> None:
    """The Age cell is duration.HumanDuration(now - creationTimestamp), on the fake's clock."""
    with SimClock("2027-01-15T10:00:00Z") as clock, FakeKube(token="tok") as kube:
        kube.add({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "default"},
                  "data": {"a": "1", "b": "2"}})
        clock.advance(3 * 3600 + 25 * 60)
        _, table, _ = raw(kube, "GET", "/api/v1/namespaces/default/configmaps/c", headers={"Accept": TABLE})
        assert [c["name"] for c in table["columnDefinitions"]] == ["Name", "Data", "Age"]
        assert table["rows"][0]["cells"] == ["c", 2, "3h25m"]


def test_human_duration_is_gos() -> None:
    """k8s.io/apimachinery/pkg/util/duration.HumanDuration's thresholds."""
    cases = {-5: "<invalid>", -1: "0s", 0: "0s", 119: "119s", 120: "2m", 150: "2m30s", 600: "10m",
             3 * 3600 - 1: "179m", 3 * 3600: "3h", 7 * 3600 + 60: "7h1m", 30 * 3600: "30h",
             50 * 3600: "2d2h", 72 * 3600: "3d", 10 * 86400: "10d", 800 * 86400: "2y70d",
             9 * 365 * 86400: "9y"}
    assert {s: human_duration(s) for s in cases} == cases


def test_a_custom_resource_prints_its_crds_additional_printer_columns(kube: FakeKube) -> None:
    """The ClusterOperator CRD's additionalPrinterColumns after Name; JSONPath filters take the
    first match; a missing value is null; a date column is an age
    (tableconvertor.cellForJSONValue / ConvertToHumanReadableDateType)."""
    kube.add({"apiVersion": "config.openshift.io/v1", "kind": "ClusterOperator", "metadata": {"name": "dns"},
              "spec": {}, "status": {"versions": [{"name": "operand", "version": "x"},
                                                  {"name": "operator", "version": "4.15.3"}],
                                     "conditions": [{"type": "Available", "status": "True",
                                                     "lastTransitionTime": "2000-01-01T00:00:00Z"}]}})
    _, table, _ = raw(kube, "GET", "/apis/config.openshift.io/v1/clusteroperators", headers={"Accept": TABLE})
    names = [c["name"] for c in table["columnDefinitions"]]
    assert names[:4] == ["Name", "Version", "Available", "Progressing"]
    cells = dict(zip(names, table["rows"][0]["cells"], strict=True))
    assert cells["Name"] == "dns" and cells["Version"] == "4.15.3" and cells["Available"] == "True"
    assert cells["Progressing"] is None
    since = next(c for c in table["columnDefinitions"] if c["name"] == "Since")
    assert since["type"] == "date" and cells["Since"].endswith("y")


def test_partial_object_metadata_and_unservable_accepts(kube: FakeKube) -> None:
    """as=PartialObjectMetadata(List) answer the metadata only; an Accept whose every entry asks
    a conversion the server lacks → 406 NotAcceptable (negotiation.NewNotAcceptableError)."""
    kube.add(deployment())
    _, meta, _ = raw(kube, "GET", "/apis/apps/v1/namespaces/ns/deployments/web",
                     headers={"Accept": "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1"})
    assert meta["kind"] == "PartialObjectMetadata" and set(meta) == {"kind", "apiVersion", "metadata"}
    _, metas, _ = raw(kube, "GET", "/apis/apps/v1/namespaces/ns/deployments",
                      headers={"Accept": "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"})
    assert metas["kind"] == "PartialObjectMetadataList" and metas["items"][0]["metadata"]["name"] == "web"
    status, body, _ = raw(kube, "GET", "/apis/apps/v1/namespaces/ns/deployments",
                          headers={"Accept": "application/json;as=Nope;g=meta.k8s.io;v=v1"})
    assert status == 406 and body["reason"] == "NotAcceptable"
    # the dynamic client's plain JSON is unchanged
    dyn = DynamicClient(kube.api_client())
    items = dyn.resources.get(api_version="apps/v1", kind="Deployment").get(namespace="ns").items
    assert [i.metadata.name for i in items] == ["web"]


# -- protobuf bodies (runtime/serializer/protobuf; field numbers from generated.proto) --------------


def _field(num: int, wire: int, payload: bytes | int) -> bytes:
    def varint(n: int) -> bytes:
        out = b""
        while True:
            b, n = n & 0x7F, n >> 7
            out += struct.pack("B", b | (0x80 if n else 0))
            if not n:
                return out
    key = varint(num << 3 | wire)
    if wire == 0:
        assert isinstance(payload, int)
        return key + varint(payload)
    assert isinstance(payload, bytes)
    return key + varint(len(payload)) + payload


def _configmap_pb(name: str, data: dict[str, str], immutable: bool | None = None) -> bytes:
    meta = _field(1, 2, name.encode()) + _field(3, 2, b"ns")
    body = _field(1, 2, meta)
    for k, v in data.items():
        body += _field(2, 2, _field(1, 2, k.encode()) + _field(2, 2, v.encode()))
    if immutable is not None:
        body += _field(4, 0, int(immutable))
    type_meta = _field(1, 2, b"v1") + _field(2, 2, b"ConfigMap")
    return b"k8s\x00" + _field(1, 2, type_meta) + _field(2, 2, body)


def test_a_protobuf_configmap_is_decoded_validated_and_stored(kube: FakeKube) -> None:
    """ConfigMap fields 1 metadata, 2 data, 4 immutable (k8s.io/api core/v1 generated.proto)
    in the runtime.Unknown envelope after the ``k8s\\0`` prefix; then the same validation as
    JSON (a bad key → 422)."""
    assert decode_object(_configmap_pb("c", {"a": "1"}, True)) == {
        "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "ns"},
        "data": {"a": "1"}, "immutable": True}
    pb = {"Content-Type": "application/vnd.kubernetes.protobuf"}
    status, obj, _ = raw(kube, "POST", "/api/v1/namespaces/ns/configmaps", _configmap_pb("c", {"a": "1"}), pb)
    assert status == 201 and obj["data"] == {"a": "1"}
    status, err, _ = raw(kube, "POST", "/api/v1/namespaces/ns/configmaps", _configmap_pb("d", {"b@d": "1"}), pb)
    assert status == 422 and err["reason"] == "Invalid" and "b@d" in err["message"]
    status, err, _ = raw(kube, "POST", "/api/v1/namespaces/ns/configmaps", b"k8s\x00\xff\xff", pb)
    assert status == 400 and err["reason"] == "BadRequest"
    # custom resources are never protobuf (NegotiateInputSerializer over the CRD's codecs)
    status, err, _ = raw(kube, "POST", "/apis/config.openshift.io/v1/clusteroperators",
                         _configmap_pb("e", {}), pb)
    assert status == 415
    assert {o["metadata"]["name"] for o in kube.objects() if o["kind"] == "ConfigMap"} == {"c"}


# -- SelfSubjectAccessReview (pkg/registry/authorization/selfsubjectaccessreview) --------------------


def test_self_subject_access_review_allows_the_token_holder(kube: FakeKube) -> None:
    """REST.Create answers 201 with status.allowed; ValidateSelfSubjectAccessReviewSpec wants
    exactly one of resourceAttributes and nonResourceAttributes."""
    api = client.AuthorizationV1Api(kube.api_client())
    review = api.create_self_subject_access_review(client.V1SelfSubjectAccessReview(
        spec=client.V1SelfSubjectAccessReviewSpec(
            resource_attributes=client.V1ResourceAttributes(verb="delete", resource="secrets", namespace="ns"))))
    assert review.status.allowed is True
    status, err, _ = raw(kube, "POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
                         json.dumps({"kind": "SelfSubjectAccessReview", "apiVersion": "authorization.k8s.io/v1",
                                     "spec": {}}).encode(), {"Content-Type": "application/json"})
    assert status == 422 and err["message"] == (
        'SelfSubjectAccessReview.authorization.k8s.io "" is invalid: spec.resourceAttributes: Required value: '
        "exactly one of nonResourceAttributes or resourceAttributes must be specified")
    assert raw(kube, "GET", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews")[0] == 405
    _, groups, _ = raw(kube, "GET", "/apis")
    assert "authorization.k8s.io" in {g["name"] for g in groups["groups"]}
    # without the token: 401, as for every other path
    host, port = kube.url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=5)
    conn.request("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", body=b"{}")
    assert conn.getresponse().status == 401


def test_health_paths_answer_verbose(kube: FakeKube) -> None:
    """healthz.go handleRootHealth: ``ok``; ``?verbose`` lists each check then
    ``<name> check passed``; an unknown check path is Go's 404."""
    assert raw(kube, "GET", "/readyz")[1] == "ok"
    status, text, _ = raw(kube, "GET", "/livez?verbose")
    assert status == 200 and text.splitlines()[0] == "[+]ping ok" and text.endswith("livez check passed\n")
    assert raw(kube, "GET", "/healthz/nope")[0] == 404


def test_a_verb_the_kind_lacks_is_405(kube: FakeKube) -> None:
    """componentstatuses are get/list only (real discovery, api/discovery/api__v1.json): the
    installer registers no create/delete route, so go-restful answers 405; namespaces have no
    deletecollection."""
    doc = {"apiVersion": "v1", "kind": "ComponentStatus", "metadata": {"name": "etcd-0"}}
    status, body, _ = raw(kube, "POST", "/api/v1/componentstatuses", json.dumps(doc).encode(),
                          {"Content-Type": "application/json"})
    assert status == 405 and body["reason"] == "MethodNotAllowed"
    assert raw(kube, "GET", "/api/v1/componentstatuses")[0] == 200
    assert raw(kube, "DELETE", "/api/v1/namespaces")[0] == 405


def test_a_crd_created_through_the_api_prints_its_columns(kube: FakeKube) -> None:
    """apiextensions-apiserver: the CRD version's additionalPrinterColumns after Name
    (``tableconvertor.New``: a column without description gets "Custom resource definition
    column (in JSONPath format): <path>", priority and format kept); a version without columns
    prints Name and Age, Age described as ObjectMeta's creationTimestamp
    (``serveDefaultColumnsIfEmpty``). Through raw HTTP with kubectl's Table Accept."""
    from .conftest import widget_crd

    crd = widget_crd()
    crd["spec"]["versions"][0]["additionalPrinterColumns"] = [
        {"name": "Size", "type": "integer", "jsonPath": ".spec.size"},
        {"name": "Note", "type": "string", "jsonPath": ".spec.note", "priority": 1,
         "description": "what the widget is for"},
    ]
    kube.add(crd)
    kube.add({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w", "namespace": "ns"},
              "spec": {"size": 3}})
    status, table, _ = raw(kube, "GET", "/apis/example.com/v1/namespaces/ns/widgets", headers={"Accept": TABLE})
    assert status == 200
    defs = {c["name"]: c for c in table["columnDefinitions"]}
    assert list(defs) == ["Name", "Size", "Note"]
    assert defs["Size"]["description"] == "Custom resource definition column (in JSONPath format): .spec.size"
    assert (defs["Note"]["priority"], defs["Note"]["description"]) == (1, "what the widget is for")
    assert table["rows"][0]["cells"] == ["w", 3, None]
    # a CRD without columns: Name and Age
    plain = widget_crd()
    plain["metadata"]["name"] = "gadgets.example.com"
    plain["spec"]["names"] = {"plural": "gadgets", "singular": "gadget", "kind": "Gadget", "listKind": "GadgetList"}
    kube.add(plain)
    kube.add({"apiVersion": "example.com/v1", "kind": "Gadget", "metadata": {"name": "g", "namespace": "ns"}})
    _, table, _ = raw(kube, "GET", "/apis/example.com/v1/namespaces/ns/gadgets/g", headers={"Accept": TABLE})
    age = table["columnDefinitions"][1]
    assert [c["name"] for c in table["columnDefinitions"]] == ["Name", "Age"]
    assert age["type"] == "date" and age["description"].startswith("CreationTimestamp is a timestamp")
