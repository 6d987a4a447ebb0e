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


# -- /openapi/v3 (kube-openapi pkg/handler3/handler.go; the schemas: kubernetes-validate 1.37 and the CRDs) --


def _gv_doc(raw: Raw, gv_path: str) -> tuple[str, dict[str, Any]]:
    _, index, _ = raw("GET", "/openapi/v3")
    url = index["paths"][gv_path]["serverRelativeURL"]
    status, doc, _ = raw("GET", url)
    assert status == 200
    return url, doc


def test_openapi_documents_carry_the_real_schemas(raw: Raw) -> None:
    """Deployment's schema is the API's: spec a reference to DeploymentSpec (wrapped in allOf, as
    kube-openapi's v3 builder writes a reference with a description), replicas an int32 with
    its Go doc comment, every referenced definition present; no JSON-schema null types."""
    url, doc = _gv_doc(raw, "apis/apps/v1")
    schemas = doc["components"]["schemas"]
    dep = schemas["io.k8s.api.apps.v1.Deployment"]
    assert dep["x-kubernetes-group-version-kind"] == [{"group": "apps", "kind": "Deployment", "version": "v1"}]
    assert dep["properties"]["spec"]["allOf"] == [{"$ref": "#/components/schemas/io.k8s.api.apps.v1.DeploymentSpec"}]
    replicas = schemas["io.k8s.api.apps.v1.DeploymentSpec"]["properties"]["replicas"]
    assert replicas["type"] == "integer" and replicas["format"] == "int32"
    assert replicas["description"].startswith("Number of desired pods.")
    assert "enum" not in dep["properties"]["kind"]  # the strict variant's enum is not the API's
    text = json.dumps(doc)
    assert '"null"' not in text and '"additionalProperties": false' not in text
    refs = {r.split("/")[-1] for r in _all_refs(doc)}
    assert refs <= set(schemas)  # closed: every reference resolves
    assert schemas["io.k8s.apimachinery.pkg.util.intstr.IntOrString"] == {"type": "string", "format": "int-or-string"}
    # the hash is the upper-case SHA-512 of the document's bytes (computeETag)
    assert len(url.rsplit("hash=", 1)[1]) == 128


def _all_refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [v for k, v in node.items() if k == "$ref"] + [r for v in node.values() for r in _all_refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _all_refs(v)]
    return []


def test_a_crds_openapi_is_its_schema_with_object_meta(kube: FakeKube, raw: Raw) -> None:
    """apiextensions' builder: the CRD's openAPIV3Schema under the reversed-group name, metadata
    an ObjectMeta reference; a CRD created through the API is in the index with its own."""
    _, doc = _gv_doc(raw, "apis/config.openshift.io/v1")
    cv = doc["components"]["schemas"]["io.openshift.config.v1.ClusterVersion"]
    assert cv["properties"]["spec"]["required"] == ["clusterID"]  # the real CRD's
    assert cv["properties"]["metadata"]["allOf"] == [
        {"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"}]
    assert "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta" in doc["components"]["schemas"]
    kube.add(widget_crd())
    _, doc = _gv_doc(raw, "apis/example.com/v1")
    widget = doc["components"]["schemas"]["com.example.v1.Widget"]
    assert widget["properties"]["spec"]["properties"]["size"] == {"type": "integer"}


def test_openapi_hash_redirect_cache_and_406(raw: Raw) -> None:
    url, _ = _gv_doc(raw, "api/v1")
    status, _, headers = raw("GET", url)
    assert headers["Cache-Control"] == "public, immutable" and headers["Vary"] == "Accept"
    assert headers["Etag"] == f'"{url.rsplit("hash=", 1)[1]}"'
    # a stale hash: 301 to the current URL
    status, body, headers = raw("GET", "/openapi/v3/api/v1?hash=0000")
    assert status == 301 and headers["Location"] == url
    # http.Redirect after handler3 set the Content-Type: it keeps it and writes no body
    assert headers["Content-Type"] == "application/json" and body == ""
    # without a hash: no immutable caching
    status, _, headers = raw("GET", "/openapi/v3/api/v1")
    assert status == 200 and headers["Cache-Control"] == "no-cache, private"
    # neither JSON nor a wildcard: a bare 406 (w.WriteHeader(406): no body, so Go sets no Content-Type)
    status, body, headers = raw("GET", "/openapi/v3/api/v1", headers={"Accept": "application/xml"})
    assert status == 406 and body == "" and "Content-Type" not in headers
    assert headers["Vary"] == "Accept" and headers["Content-Length"] == "0"


@pytest.mark.parametrize("accept", [None, "application/json", "application/xml"])
def test_openapi_of_a_group_version_nobody_serves_is_a_bare_404(raw: Raw, accept: str | None) -> None:
    """kube-aggregator ``pkg/controllers/openapiv3/aggregator/aggregator.go`` (``specProxier.
    handleGroupVersion``, in front of every handler3 in kube-apiserver): no API service lists the
    group-version, so ``w.WriteHeader(404)`` before any Accept is looked at: no body, no
    Content-Type (net/http sniffs none from an empty body), no Vary."""
    status, body, headers = raw("GET", "/openapi/v3/apis/nosuch.example.com/v1",
                                headers={"Accept": accept} if accept else None)
    assert (status, body, headers["Content-Length"]) == (404, "", "0")
    assert "Content-Type" not in headers and "Vary" not in headers
    # a served group with a version it does not have is the same
    status, body, headers = raw("GET", "/openapi/v3/apis/apps/v9")
    assert (status, body) == (404, "") and "Content-Type" not in headers
