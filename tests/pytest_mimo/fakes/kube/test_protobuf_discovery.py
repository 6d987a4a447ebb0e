"""Discovery and /openapi/v3 in the media type the real negotiation picks.

Sources: k8s.io/apiserver ``endpoints/handlers/negotiation/negotiate.go``
(``NegotiateMediaTypeOptions``, ``acceptMediaTypeOptions``, ``DefaultEndpointRestrictions``),
``endpoints/discovery/aggregated/{wrapper,negotiation}.go``, github.com/munnerz/goautoneg
(``ParseAccept``: order by q, then concreteness), k8s.io/apimachinery
``runtime/serializer/protobuf`` and ``runtime/types_proto.go`` (``k8s\\x00`` + ``runtime.Unknown``,
``NestedMarshalTo``), the ``generated.pb.go`` marshalers, kube-openapi ``pkg/handler3/handler.go``,
and k8s.io/api's round-trip fixtures (``testdata/HEAD``, copied to ``fixtures/``).
"""

from __future__ import annotations

import http.client
import json
from pathlib import Path

import pytest
import yaml
from kubernetes import client

from pytest_mimo.fakes.kube import FakeKube
from pytest_mimo.fakes.kube.encoding import encode
from pytest_mimo.fakes.kube.negotiation import negotiate, parse_accept
from pytest_mimo.fakes.kube.protobuf import decode_object, encode_object

from .conftest import Raw

FIXTURES = Path(__file__).with_name("fixtures")
PB = "application/vnd.kubernetes.protobuf"
AGG_PB = f"{PB};g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
AGG_JSON = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"


def _raw_bytes(kube: FakeKube, path: str, accept: str) -> tuple[int, bytes, dict[str, str]]:
    host, port = kube.url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=5)
    conn.request("GET", path, headers={"Authorization": "Bearer tok", "Accept": accept})
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp.status, data, dict(resp.getheaders())


@pytest.mark.parametrize("version", ["v2", "v2beta1"])
def test_the_encoders_write_what_the_real_serializers_write(version: str) -> None:
    """k8s.io/api testdata/HEAD/apidiscovery.k8s.io.<v>.APIGroupDiscovery.{json,pb,yaml}: every
    field set (pointers, maps, times, owner references, managed fields); the fake's protobuf and
    YAML of the JSON are the real bytes, and the protobuf decodes back to the JSON."""
    base = f"apidiscovery.k8s.io.{version}.APIGroupDiscovery"
    obj = json.loads((FIXTURES / f"{base}.json").read_text())
    real_pb = (FIXTURES / f"{base}.pb").read_bytes()
    assert encode_object(obj) == real_pb
    assert decode_object(real_pb, documents=True) == obj
    assert encode(obj, "application/yaml") == (FIXTURES / f"{base}.yaml").read_bytes()


def test_legacy_discovery_in_protobuf(kube: FakeKube) -> None:
    """/apis with a protobuf Accept: ``k8s\\x00`` + Unknown{TypeMeta v1/APIGroupList} carrying
    the same groups as the JSON document; Content-Type application/vnd.kubernetes.protobuf."""
    status, body, headers = _raw_bytes(kube, "/apis", PB)
    assert status == 200 and headers["Content-Type"] == PB and body.startswith(b"k8s\x00")
    _, as_json, _ = _raw_bytes(kube, "/apis", "application/json")
    doc = json.loads(as_json)
    assert encode_object(doc) == body
    assert decode_object(body, documents=True)["groups"][0]["name"] == doc["groups"][0]["name"]
    # /apis/apps/v1: an APIResourceList whose verbs travel in the Verbs message
    status, body, headers = _raw_bytes(kube, "/apis/apps/v1", PB)
    assert status == 200 and headers["Content-Type"] == PB
    assert encode_object(json.loads(_raw_bytes(kube, "/apis/apps/v1", "application/json")[1])) == body


@pytest.mark.parametrize("accept", [
    f"{PB}, application/json",  # both concrete, q=1: the header's order
    f"application/json;q=0.5, {PB}",  # the higher q
    f"*/*, {PB}",  # a concrete type sorts before a wildcard at the same q
])
def test_a_protobuf_accept_that_also_offers_json_gets_what_the_real_negotiation_picks(
    kube: FakeKube, accept: str
) -> None:
    status, body, headers = _raw_bytes(kube, "/api", accept)
    assert (status, headers["Content-Type"]) == (200, PB) and body.startswith(b"k8s\x00")
    assert decode_object(body, documents=True)["versions"] == ["v1"]


def test_json_first_stays_json(kube: FakeKube) -> None:
    status, body, headers = _raw_bytes(kube, "/api", f"application/json, {PB}")
    assert headers["Content-Type"] == "application/json" and json.loads(body)["kind"] == "APIVersions"
    # YAML asked: sigs.k8s.io/yaml's document
    status, body, headers = _raw_bytes(kube, "/apis/apps", "application/yaml")
    assert headers["Content-Type"] == "application/yaml"
    assert yaml.safe_load(body)["kind"] == "APIGroup"


def test_aggregated_discovery_in_protobuf(kube: FakeKube) -> None:
    """client-go's newer discovery Accept names the protobuf aggregated list first: the list in
    protobuf, the GVK in the Content-Type, the same ETag as the JSON list's."""
    status, body, headers = _raw_bytes(kube, "/apis", f"{AGG_PB},{AGG_JSON},application/json")
    assert status == 200 and headers["Content-Type"] == AGG_PB
    _, as_json, json_headers = _raw_bytes(kube, "/apis", AGG_JSON)
    assert encode_object(json.loads(as_json)) == body
    assert headers["ETag"] == json_headers["ETag"]
    # a conversion is refused on a path without aggregated discovery: the next clause, then 406
    status, body, headers = _raw_bytes(kube, "/apis/apps/v1", f"{AGG_PB},application/json")
    assert headers["Content-Type"] == "application/json"
    status, body, _ = _raw_bytes(kube, "/apis/apps/v1", AGG_PB)
    assert status == 406 and json.loads(body)["reason"] == "NotAcceptable"


def test_goautoneg_order_and_go_float_q() -> None:
    """ParseAccept keeps q=0 clauses and reads an unparsable q as 0; its Less (a higher q, or a
    concrete type, or a concrete subtype, each alone) under Go's insertion sort lets a concrete
    clause of lower q pass a wildcard: ``json;q=0`` ends up ahead of ``*/*`` and ``text/*``."""
    clauses = parse_accept("text/*;q=0.8, */*, application/json;q= 1, application/yaml")
    assert [(c.type, c.subtype, c.q) for c in clauses] == [
        ("application", "yaml", 1.0), ("application", "json", 0.0), ("*", "*", 1.0), ("text", "*", 0.8)]
    assert negotiate("application/json;q=0").media_type == "application/json"  # type: ignore[union-attr]
    assert negotiate("text/html") is None and negotiate("").media_type == "application/json"  # type: ignore[union-attr]
    assert negotiate("application/yaml;stream=watch") is None  # YAML has no stream serializer


def test_openapi_v3_protobuf_is_refused_not_answered_in_json(raw: Raw) -> None:
    """handler3 would answer gnostic's openapi_v3.Document in protobuf for a protobuf clause that
    comes first; the fake does not encode it and answers a bare 406 rather than JSON. JSON first
    (or only JSON, as kubectl asks) is served."""
    for accept in ("application/com.github.proto-openapi.spec.v3@v1.0+protobuf, application/json",
                   "application/com.github.proto-openapi.spec.v3.v1.0+protobuf"):
        status, body, headers = raw("GET", "/openapi/v3/api/v1", headers={"Accept": accept})
        assert (status, body) == (406, "") and "Content-Type" not in headers
    status, doc, headers = raw("GET", "/openapi/v3/api/v1", headers={
        "Accept": "application/json, application/com.github.proto-openapi.spec.v3@v1.0+protobuf"})
    assert status == 200 and headers["Content-Type"] == "application/json" and "components" in doc
    # a header that parses to no clause: handler3 returns without writing (an empty 200)
    status, body, headers = raw("GET", "/openapi/v3/api/v1", headers={"Accept": "garbage"})
    assert (status, body) == (200, "") and "Content-Type" not in headers


def test_the_official_client_discovers_through_the_negotiation(kube: FakeKube) -> None:
    """The typed client asks JSON: unchanged."""
    api = kube.api_client()
    try:
        groups = client.ApisApi(api).get_api_versions()
        assert any(g.name == "apps" for g in groups.groups)
    finally:
        api.close()
