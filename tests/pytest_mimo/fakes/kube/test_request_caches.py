"""What the fake remembers between requests for speed answers exactly as if it did not (issue #12).

- Routes are remembered per path while the served kinds stay the same: a kind a CRD starts
  serving is routed from then on, and a kind whose CRD is gone is Go's ``404 page not found``
  again (kube-apiserver: the CRD handler serves a kind only while its CRD is established,
  apiextensions-apiserver ``pkg/apiserver/customresource_handler.go``).
- Request headers are looked up through an index (:class:`~pytest_mimo.fakes.kube.framing.RequestHeaders`)
  that gives what ``http.client.HTTPMessage`` gives: the first value, all values in order,
  case-insensitive names, the policy's handling of undecodable bytes, and changes seen.
"""

from __future__ import annotations

import io
import json
from http.client import HTTPMessage, parse_headers
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_mimo.fakes.kube import FakeKube, responses
from pytest_mimo.fakes.kube.framing import RequestHeaders

from .conftest import Raw, request, widget_crd

WIDGETS = "/apis/example.com/v1/namespaces/ns/widgets"
JSON = {"Content-Type": "application/json"}


def test_a_route_follows_the_kinds_a_crd_serves(raw: Raw) -> None:
    status, body, _ = raw("GET", WIDGETS)
    assert (status, body) == (404, "404 page not found\n")  # remembered as no route
    crds = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
    assert raw("POST", crds, json.dumps(widget_crd()).encode(), {"Content-Type": "application/json"})[0] == 201
    status, body, _ = raw("GET", WIDGETS)
    assert status == 200 and body["kind"] == "WidgetList"
    assert raw("DELETE", f"{crds}/widgets.example.com")[0] == 200
    status, body, _ = raw("GET", WIDGETS)
    assert (status, body) == (404, "404 page not found\n")


def _both(text: bytes) -> tuple[HTTPMessage, RequestHeaders]:
    plain = parse_headers(io.BytesIO(text))
    indexed = parse_headers(io.BytesIO(text), _class=RequestHeaders)
    assert isinstance(indexed, RequestHeaders)
    return plain, indexed


HEADERS = (
    b"Host: x\r\nContent-Length: 3\r\ncontent-length: 3\r\nAccept: a\r\n"
    b"X-Odd: caf\xc3\xa9\r\nX-Bytes: \xff\xfe\r\nAuthorization: Bearer t\r\n\r\n"
)


@pytest.mark.parametrize(
    "name", ["Host", "host", "CONTENT-LENGTH", "Accept", "X-Odd", "X-Bytes", "Missing", "authorization"]
)
def test_indexed_headers_answer_as_http_message(name: str) -> None:
    plain, indexed = _both(HEADERS)
    assert indexed.get(name) == plain.get(name)
    assert type(indexed.get(name)) is type(plain.get(name))
    assert indexed.get(name, "dflt") == plain.get(name, "dflt")
    assert indexed.get_all(name) == plain.get_all(name)
    assert indexed.get_all(name, []) == plain.get_all(name, [])
    assert indexed[name] == plain[name]


@pytest.mark.parametrize(
    "change",
    [
        lambda m: m.__setitem__("Accept", "b"),
        lambda m: m.__delitem__("Accept"),
        lambda m: m.replace_header("Accept", "c"),
        lambda m: m.add_header("Accept", "d", q="1"),
        lambda m: m.set_raw("Accept", "e"),
    ],
)
def test_indexed_headers_see_changes(change: Any) -> None:
    plain, indexed = _both(HEADERS)
    assert indexed.get("Accept") == "a"  # the index is built
    change(plain)
    change(indexed)
    assert indexed.get("Accept") == plain.get("Accept")
    assert indexed.get_all("Accept") == plain.get_all("Accept")


def test_a_get_answers_the_object_as_stored_now_after_every_kind_of_write(kube: FakeKube, raw: Raw) -> None:
    """A stored object's JSON is encoded once and sent again while that object is stored; every
    write stores a new object, so a GET after any write (over HTTP, Python-side, another
    writer's, a controller's) sends the new one."""
    path = "/api/v1/namespaces/ns/configmaps/c"
    kube.add({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "ns"}, "data": {"k": "1"}})
    first = raw("GET", path)[1]
    assert raw("GET", path)[1] == first and first["data"] == {"k": "1"}
    kube.add({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "ns"}, "data": {"k": "2"}})
    assert raw("GET", path)[1]["data"] == {"k": "2"}
    assert kube.concurrent_write("v1", "ConfigMap", "c", "ns")
    got = raw("GET", path)[1]
    assert "pytest-mimo.io/concurrent-writer" in got["metadata"]["annotations"]
    got["data"] = {"k": "3"}
    status, put, _ = raw("PUT", path, json.dumps(got).encode(), {"Content-Type": "application/json"})
    assert status == 200 and raw("GET", path)[1] == put and put["data"] == {"k": "3"}
    status, patched, _ = raw("PATCH", path, b'{"data":{"k":"4"}}', {"Content-Type": "application/merge-patch+json"})
    assert status == 200 and raw("GET", path)[1] == patched and patched["data"] == {"k": "4"}
    # a dry run answers the object it would store, and the stored one stays
    patched["data"] = {"k": "5"}
    status, dry, _ = raw("PUT", path + "?dryRun=All", json.dumps(patched).encode(), {"Content-Type": "application/json"})
    assert status == 200 and dry["data"] == {"k": "5"}
    assert raw("GET", path)[1]["data"] == {"k": "4"}
    kube.delete("v1", "ConfigMap", "c", "ns")
    assert raw("GET", path)[0] == 404


def _deployment(name: str, replicas: Any = 1) -> dict[str, Any]:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": "ns"},
        "spec": {"replicas": replicas, "selector": {"matchLabels": labels}, "template": {
            "metadata": {"labels": labels}, "spec": {"containers": [{"name": "c", "image": "i:1"}]}}},
    }


def test_a_spec_that_passed_its_rules_is_still_refused_once_it_breaks_them(kube: FakeKube, raw: Raw) -> None:
    """A Deployment's spec rules (``ValidateDeploymentSpec``) are remembered as passed per exact
    spec, never as failed: a label-only update of a stored spec that breaks them (a broken
    world, ``validate=False``) is still 422, and a passing spec changed to a failing one too."""
    path = "/apis/apps/v1/namespaces/ns/deployments"
    json_type = {"Content-Type": "application/json"}
    broken = _deployment("broken", replicas=-1)
    kube.add(broken, validate=False)
    got = raw("GET", f"{path}/broken")[1]
    got["metadata"]["labels"] = {"x": "1"}
    status, body, _ = raw("PUT", f"{path}/broken", json.dumps(got).encode(), json_type)
    assert status == 422 and body["details"]["causes"][0]["field"] == "spec.replicas"
    status, ok, _ = raw("POST", path, json.dumps(_deployment("ok")).encode(), json_type)
    assert status == 201
    for i in range(2):  # the same spec twice: passes (the second time from memory)
        ok["metadata"]["labels"] = {"n": str(i)}
        status, ok, _ = raw("PUT", f"{path}/ok", json.dumps(ok).encode(), json_type)
        assert status == 200
    ok["spec"]["replicas"] = -1
    status, body, _ = raw("PUT", f"{path}/ok", json.dumps(ok).encode(), json_type)
    assert status == 422 and body["details"]["causes"][0]["field"] == "spec.replicas"
    ok["spec"]["replicas"] = True  # not the same JSON as 1: decoding refuses a bool
    status, body, _ = raw("PUT", f"{path}/ok", json.dumps(ok).encode(), json_type)
    assert status == 400


def _put(raw: Raw, path: str, obj: Any) -> tuple[int, Any, dict[str, str]]:
    return raw("PUT", path, json.dumps(obj).encode(), {"Content-Type": "application/json"})


def test_a_spec_remembered_as_decoded_and_defaulted_is_still_decoded_once_it_changes(raw: Raw) -> None:
    """A top-level ``spec``/``status`` that decoded (and was defaulted) to itself is remembered
    per exact encoding, so an update that leaves it as it was walks only the rest; any other
    value is decoded and defaulted anew: a float where Go wants an int32 (``1.0 == 1`` in
    Python) is 400, an unknown field is dropped and warned about every time, a null dropped,
    a default set again, and the response is the new object each time."""
    path = "/apis/apps/v1/namespaces/ns/deployments"
    status, ok, _ = raw("POST", path, json.dumps(_deployment("ok")).encode(), {"Content-Type": "application/json"})
    assert status == 201
    defaulted = ok["spec"]
    assert defaulted["strategy"]["type"] == "RollingUpdate"
    for i in range(3):  # the same spec again and again: remembered from the second time
        ok["metadata"]["labels"] = {"n": str(i)}
        status, ok, headers = _put(raw, f"{path}/ok", ok)
        assert status == 200 and ok["spec"] == defaulted and ok["metadata"]["labels"] == {"n": str(i)}
        assert "Warning" not in headers
    for _ in range(2):
        ok["spec"]["replicas"] = 1.0
        status, body, _ = _put(raw, f"{path}/ok", ok)
        assert status == 400, body
        assert "cannot unmarshal number 1.0 into Go struct field DeploymentSpec.spec.replicas of type int32" in body["message"]
    ok["spec"]["replicas"] = 1
    for _ in range(2):
        ok["spec"]["replica"] = 2
        status, got, headers = _put(raw, f"{path}/ok", ok)
        assert status == 200 and headers["Warning"] == '299 - "unknown field \\"spec.replica\\""'
        assert got["spec"] == defaulted
    del ok["spec"]["replica"]
    for _ in range(2):
        ok["spec"]["paused"] = None
        ok["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] = None
        status, got, _ = _put(raw, f"{path}/ok", ok)
        assert status == 200 and got["spec"] == defaulted, got["spec"]
    for _ in range(2):
        del ok["spec"]["strategy"], ok["spec"]["revisionHistoryLimit"]
        status, got, _ = _put(raw, f"{path}/ok", ok)
        assert status == 200 and got["spec"] == defaulted
        ok = got
    ok["spec"]["replicas"] = 3  # a real change: stored, and answered
    status, got, _ = _put(raw, f"{path}/ok", ok)
    assert status == 200 and got["spec"]["replicas"] == 3
    assert raw("GET", f"{path}/ok")[1]["spec"]["replicas"] == 3


def test_a_stored_spec_never_decoded_is_not_remembered_as_decoded(kube: FakeKube, raw: Raw) -> None:
    """A spec stored without decoding (a broken world, ``validate=False``) is not taken for a
    decoded one: a label-only update defaults it as a create of that spec would, every time;
    one with an unknown field is not remembered, so a create of that spec drops the field."""
    path = "/apis/apps/v1/namespaces/ns/deployments"
    kube.add(_deployment("raw"), validate=False)
    odd = _deployment("odd")
    odd["spec"]["replica"] = 2
    kube.add(odd, validate=False)
    got = raw("GET", f"{path}/odd")[1]
    for i in range(2):
        got["metadata"]["labels"] = {"n": str(i)}
        status, got, _ = _put(raw, f"{path}/odd", got)
        assert status == 200
    again = {**_deployment("again"), "spec": odd["spec"]}
    status, body, headers = raw("POST", path, json.dumps(again).encode(), {"Content-Type": "application/json"})
    assert status == 201 and "replica" not in body["spec"]
    assert headers["Warning"] == '299 - "unknown field \\"spec.replica\\""'
    made = {**_deployment("made"), "spec": _deployment("raw")["spec"]}  # the same spec, created
    status, made, _ = raw("POST", path, json.dumps(made).encode(), {"Content-Type": "application/json"})
    assert status == 201
    got = raw("GET", f"{path}/raw")[1]
    assert "strategy" not in got["spec"]
    for i in range(2):
        got["metadata"]["labels"] = {"n": str(i)}
        status, got, _ = _put(raw, f"{path}/raw", got)
        assert status == 200 and got["spec"] == made["spec"]


def test_a_custom_resource_value_remembered_as_pruned_is_still_pruned_and_defaulted(kube: FakeKube, raw: Raw) -> None:
    """The same for a custom resource: its spec and status are pruned and defaulted from its
    CRD's schema unless exactly a value that came out as it went in."""
    crd = widget_crd()
    props = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]
    props["spec"]["properties"]["color"] = {"type": "string", "default": "blue"}
    crds = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
    assert raw("POST", crds, json.dumps(crd).encode(), {"Content-Type": "application/json"})[0] == 201
    path = "/apis/example.com/v1/namespaces/ns/widgets"
    widget = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": {"size": 1}}
    status, w, _ = raw("POST", path, json.dumps(widget).encode(), {"Content-Type": "application/json"})
    assert status == 201 and w["spec"] == {"size": 1, "color": "blue"}
    for i in range(3):
        w["metadata"]["labels"] = {"n": str(i)}
        status, w, headers = _put(raw, f"{path}/w", w)
        assert status == 200 and w["spec"] == {"size": 1, "color": "blue"} and "Warning" not in headers
    for _ in range(2):
        w["spec"]["extra"] = True
        status, got, headers = _put(raw, f"{path}/w", w)
        assert status == 200 and headers["Warning"] == '299 - "unknown field \\"spec.extra\\""'
        assert got["spec"] == {"size": 1, "color": "blue"}
        del w["spec"]["extra"]
    for _ in range(2):
        w["spec"] = {"size": 1}
        status, got, _ = _put(raw, f"{path}/w", w)
        assert status == 200 and got["spec"] == {"size": 1, "color": "blue"}
    w["spec"] = {"size": "big", "color": "blue"}  # a type error in a custom resource is validation's
    status, body, _ = _put(raw, f"{path}/w", w)
    assert status == 422 and body["details"]["causes"][0]["field"] == "spec.size"


def test_an_update_shares_only_the_parts_it_left_exactly_as_they_were() -> None:
    """An update stores the stored object's own spec when the new one is exactly the same (same
    JSON, key order and types), and the new spec otherwise: ``==`` would take the keys in
    another order, ``1.0`` for ``1`` or ``True`` for ``1`` as the same, and the stored object
    (what a GET, a list or a watch encodes) would keep the old order and types."""
    things = "/apis/example.com/v1/namespaces/ns/things"
    with FakeKube(token="tok", kinds=[("example.com/v1", "Thing", "things", True)]) as kube:
        kube.add({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ns"}})
        first = {"apiVersion": "example.com/v1", "kind": "Thing", "metadata": {"name": "t"},
                 "spec": {"a": 1, "b": [1, {"c": True}]}}
        status, obj, _ = request(kube, "POST", things, json.dumps(first).encode(), JSON)
        assert status == 201

        def stored_spec() -> Any:
            return kube.model.get(kube.model.kind("example.com/v1", "Thing"), "ns", "t")["spec"]

        spec = stored_spec()
        obj["metadata"]["labels"] = {"n": "1"}  # the spec as it was: the stored one is kept
        status, obj, _ = request(kube, "PUT", f"{things}/t", json.dumps(obj).encode(), JSON)
        assert status == 200 and obj["metadata"]["labels"] == {"n": "1"}
        assert stored_spec() is spec
        for n, new in enumerate([
            {"b": [1, {"c": True}], "a": 1},  # other key order
            {"a": 1.0, "b": [1, {"c": True}]},  # a float for an int
            {"a": True, "b": [1, {"c": True}]},  # a bool for an int
            {"a": 1, "b": [1, {"c": 1}]},  # deep inside
            {"a": 1, "b": [1, {"c": 1}, 2]},
        ], start=2):
            obj["metadata"]["labels"] = {"n": str(n)}
            obj["spec"] = new
            status, obj, _ = request(kube, "PUT", f"{things}/t", json.dumps(obj).encode(), JSON)
            assert status == 200
            for got in (obj["spec"], request(kube, "GET", f"{things}/t")[1]["spec"], stored_spec()):
                assert json.dumps(got) == json.dumps(new)
            assert stored_spec() is not spec
            spec = stored_spec()


def test_indexed_headers_give_a_value_with_surrogates_as_the_policy_does() -> None:
    """A value with surrogates (set after parsing) comes back wrapped in an ``email`` Header, as
    ``compat32`` gives it; a plain ASCII one as it is."""
    plain, indexed = _both(HEADERS)
    for m in (plain, indexed):
        m["X-Surrogate"] = "caf\udce9"
    for name in ("X-Surrogate", "Accept"):
        assert type(indexed.get(name)) is type(plain.get(name))
        assert str(indexed.get(name)) == str(plain.get(name))
        assert [type(v) for v in indexed.get_all(name)] == [type(v) for v in plain.get_all(name)]


_JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(_JSONISH)
def test_the_wire_encodes_as_json_dumps(value: Any) -> None:
    """Bodies are encoded with the C encoder made directly: the same bytes as ``json.dumps``
    (NaN and infinities, non-ASCII escaped, any nesting)."""
    assert responses._dumps(value) == json.dumps(value, separators=(",", ":")).encode()


def test_the_wire_refuses_what_json_dumps_refuses() -> None:
    loop: dict[str, Any] = {"a": 1}
    loop["self"] = loop
    for bad in (loop, {"a": {1, 2}}, {"a": b"x"}):
        with pytest.raises(Exception) as want:
            json.dumps(bad, separators=(",", ":"))
        with pytest.raises(type(want.value)) as got:
            responses._dumps(bad)
        assert str(got.value) == str(want.value)


def test_what_is_remembered_is_bounded_in_entries_and_bytes() -> None:
    """The remembered verdicts (decoded to itself, defaulted to itself, passed a spec rule) hold
    at most so many entries and so many bytes of encodings: full, they start again; an
    encoding larger than the bound is never held."""
    from pytest_mimo.fakes.kube.decoding import Remembered

    memo = Remembered(max_items=3, max_bytes=100)
    for i in range(3):
        memo.add(i, 10)
    assert memo.keys == {0, 1, 2}
    memo.add(3, 10)  # a fourth entry: emptied first
    assert memo.keys == {3}
    memo.add(4, 95)  # 10 + 95 bytes > 100: emptied first
    assert memo.keys == {4}
    memo.add(5, 101)  # larger than the bound: not held, nothing dropped
    assert memo.keys == {4}
