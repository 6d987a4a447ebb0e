"""Discovery: the legacy documents and the aggregated ``APIGroupDiscoveryList``, from one set of kinds.

Sources: k8s.io/api ``apidiscovery/v2/types.go`` (the fields), k8s.io/apiserver
``endpoints/discovery/aggregated/{handler,wrapper,etag}.go`` (negotiation, ETag, 304),
``endpoints/installer.go`` ``ConvertGroupVersionIntoToDiscovery`` (built-in kinds),
apiextensions-apiserver ``customresource_discovery_controller.go`` (CRD kinds), and the real
server's document ``api/discovery/aggregated_v2.json`` (kubernetes/kubernetes @ 0b1dcaba).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from pytest_mimo.fakes.kube import FakeKube

from .conftest import Raw, widget_crd

#: what kubectl 1.32 (client-go's discovery client) sends to /api and /apis
KUBECTL_ACCEPT = (
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
    "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json"
)
V2 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"

#: the deployments entry of the real aggregated_v2.json (apps/v1), keys in the Go struct's order
REAL_DEPLOYMENTS = {
    "resource": "deployments",
    "responseKind": {"group": "", "version": "", "kind": "Deployment"},
    "scope": "Namespaced",
    "singularResource": "deployment",
    "verbs": ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
    "shortNames": ["deploy"],
    "categories": ["all"],
    "subresources": [
        {"subresource": "scale", "responseKind": {"group": "autoscaling", "version": "v1", "kind": "Scale"},
         "verbs": ["get", "patch", "update"]},
        {"subresource": "status", "responseKind": {"group": "", "version": "", "kind": "Deployment"},
         "verbs": ["get", "patch", "update"]},
    ],
}


def _resources(doc: dict[str, Any], group: str, version: str) -> dict[str, dict[str, Any]]:
    item = next(i for i in doc["items"] if i["metadata"].get("name", "") == group)
    entry = next(v for v in item["versions"] if v["version"] == version)
    assert entry["freshness"] == "Current"
    return {r["resource"]: r for r in entry["resources"]}


def test_apis_answers_the_aggregated_list_kubectl_asks_for(raw: Raw) -> None:
    status, doc, headers = raw("GET", "/apis", headers={"Accept": KUBECTL_ACCEPT})
    assert status == 200
    # WriteObjectNegotiated(..., listGVKInContentType=true): the GVK in the Content-Type
    assert headers["Content-Type"] == V2
    assert (doc["kind"], doc["apiVersion"], doc["metadata"]) == (
        "APIGroupDiscoveryList", "apidiscovery.k8s.io/v2", {})
    apps = _resources(doc, "apps", "v1")
    assert apps["deployments"] == REAL_DEPLOYMENTS
    assert json.dumps(apps["deployments"]) == json.dumps(REAL_DEPLOYMENTS)  # and the field order
    # the core group is not in /apis; groups sort by priority (apps before batch before CRD groups)
    names = [i["metadata"].get("name") for i in doc["items"]]
    assert None not in names and names.index("apps") < names.index("batch") < names.index("config.openshift.io")
    # a CRD kind: its response kind has group and version, its scale answers autoscaling/v1 Scale
    ic = _resources(doc, "operator.openshift.io", "v1")["ingresscontrollers"]
    assert ic["responseKind"] == {"group": "operator.openshift.io", "version": "v1", "kind": "IngressController"}
    assert [s["subresource"] for s in ic["subresources"]] == ["scale", "status"]
    assert ic["subresources"][0]["responseKind"] == {"group": "autoscaling", "version": "v1", "kind": "Scale"}
    assert ic["verbs"] == ["delete", "deletecollection", "get", "list", "patch", "create", "update", "watch"]


def test_api_answers_the_core_group_alone(raw: Raw) -> None:
    status, doc, _ = raw("GET", "/api", headers={"Accept": KUBECTL_ACCEPT})
    assert status == 200 and len(doc["items"]) == 1
    (core,) = doc["items"]
    assert core["metadata"] == {} and [v["version"] for v in core["versions"]] == ["v1"]
    res = _resources(doc, "", "v1")
    # api__v1.json: componentstatuses are get/list only; namespaces have no deletecollection
    assert res["componentstatuses"]["verbs"] == ["get", "list"]
    assert res["componentstatuses"]["scope"] == "Cluster"
    assert "deletecollection" not in res["namespaces"]["verbs"]
    assert res["pods"]["shortNames"] == ["po"] and res["pods"]["categories"] == ["all"]
    # only what the fake serves is listed (pods/exec, pods/log are not served)
    assert [s["subresource"] for s in res["pods"]["subresources"]] == ["status"]
    assert "subresources" not in res["configmaps"]


def test_the_aggregated_and_the_legacy_documents_agree(kube: FakeKube, raw: Raw) -> None:
    """Both are built from the kinds the fake serves: every group-version of /apis has the same
    resources, verbs, short names, categories and subresources in both forms."""
    _, agg, _ = raw("GET", "/apis", headers={"Accept": V2})
    _, legacy_groups, _ = raw("GET", "/apis")
    assert [g["name"] for g in legacy_groups["groups"]] == [i["metadata"]["name"] for i in agg["items"]]
    for item in agg["items"]:
        for version in item["versions"]:
            _, legacy, _ = raw("GET", f"/apis/{item['metadata']['name']}/{version['version']}")
            flat = {r["name"]: r for r in legacy["resources"]}
            for r in version["resources"]:
                entry = flat.pop(r["resource"])
                assert entry["verbs"] == r["verbs"]
                assert entry.get("shortNames", []) == r.get("shortNames", [])
                assert entry.get("categories", []) == r.get("categories", [])
                assert entry["namespaced"] == (r["scope"] == "Namespaced")
                for sub in r.get("subresources", []):
                    assert flat.pop(f"{r['resource']}/{sub['subresource']}")["verbs"] == sub["verbs"]
            assert flat == {}


def test_v2beta1_when_the_client_prefers_it(raw: Raw) -> None:
    beta = "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList"
    _, doc, headers = raw("GET", "/apis", headers={"Accept": f"{V2};q=0.5,{beta}"})
    assert doc["apiVersion"] == "apidiscovery.k8s.io/v2beta1" and headers["Content-Type"] == beta


@pytest.mark.parametrize(
    ("path", "accept"),
    [
        ("/apis", "application/json;g=apidiscovery.k8s.io;v=v3;as=APIGroupDiscoveryList"),  # no such version
        ("/apis", "application/json;as=Table;g=meta.k8s.io;v=v1"),  # discovery has no Table
        ("/apis/apps/v1", V2),  # only /api and /apis are aggregated
        ("/api", "text/html"),
    ],
)
def test_what_discovery_cannot_serve_is_406(raw: Raw, path: str, accept: str) -> None:
    status, body, _ = raw("GET", path, headers={"Accept": accept})
    assert status == 406 and body["reason"] == "NotAcceptable"
    assert body["message"].startswith("only the following media types are accepted: application/json")


def test_legacy_discovery_without_the_aggregated_accept(raw: Raw) -> None:
    _, doc, headers = raw("GET", "/apis", headers={"Accept": "application/json, */*"})
    assert doc["kind"] == "APIGroupList" and headers["Content-Type"] == "application/json"
    _, doc, _ = raw("GET", "/api/v1")
    pods = next(r for r in doc["resources"] if r["name"] == "pods")
    # discovery.StorageVersionHash: base64 of 8 bytes of sha256("/v1/Pod"), as api__v1.json has it
    assert pods["storageVersionHash"] == "xPOwRZ+Yhw8="


def test_an_unchanged_document_is_304_on_its_etag(kube: FakeKube, raw: Raw) -> None:
    """etag.go ServeHTTPWithETag: ETag, Vary: Accept, Cache-Control: public; If-None-Match
    with it → 304 and no body; a new kind changes the document and its ETag."""
    _, _, headers = raw("GET", "/apis", headers={"Accept": V2})
    tag = headers["ETag"]
    assert tag.startswith('"') and len(tag) == 130
    assert headers["Vary"] == "Accept" and headers["Cache-Control"] == "public"
    status, body, again = raw("GET", "/apis", headers={"Accept": V2, "If-None-Match": tag})
    assert status == 304 and body == "" and again["ETag"] == tag
    kube.add(widget_crd())
    status, doc, changed = raw("GET", "/apis", headers={"Accept": V2, "If-None-Match": tag})
    assert status == 200 and changed["ETag"] != tag
    widgets = _resources(doc, "example.com", "v1")["widgets"]
    assert widgets["categories"] == ["all"] and widgets["shortNames"] == ["wd"]
    assert [s["subresource"] for s in widgets["subresources"]] == ["scale", "status"]
