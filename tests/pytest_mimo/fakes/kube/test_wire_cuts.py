"""The storage and wire side's speed cuts answer exactly as without them (issue #12).

A stored object is encoded once (:func:`~pytest_mimo.fakes.kube.encoding.stored_json`), and its
top-level parts but the metadata are remembered by identity, so the object a write stores next,
sharing its spec and status with the one it replaces, encodes only the rest. These tests compare
every answer with the plain encoder's: on seeded chains of objects sharing parts at random, and
on seeded sessions of requests of every kind answered with every cut of this side and with none
(remembered header blocks, request lines and split paths, the spec encoding admission hands to
the sharing of parts, the generation's content compared in place, the controllers' skipped ticks).
"""

from __future__ import annotations

import http.client
import json
import random
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_mimo.fakes.kube import FakeKube, encoding, framing, models, responses, urls
from pytest_mimo.fakes.kube.controllermanager import ControllerManager

from .conftest import widget_crd

_SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=6)
_JSONISH = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=12,
)
#: top-level keys: the usual ones, any text, and (rarely, from the Python side) keys that are no
#: strings, which the encoder converts (or refuses)
_KEYS = st.sampled_from(["apiVersion", "kind", "metadata", "spec", "status", "data", "type"]) | st.text(max_size=4)
_ODD_KEYS = st.integers() | st.booleans() | st.none() | st.floats(allow_nan=False)


def _plain(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.dictionaries(_KEYS, _JSONISH, max_size=6), st.lists(st.booleans(), min_size=8,
                                                                                       max_size=8)),
                min_size=1, max_size=6),
       st.booleans(), st.dictionaries(_ODD_KEYS, _SCALARS, max_size=2))
def test_a_chain_of_objects_sharing_parts_encodes_as_json_dumps(
    chain: list[tuple[dict[str, Any], list[bool]]], clear: bool, odd: dict[Any, Any]
) -> None:
    """Each object of the chain takes, at random, some parts of the one before (the same dict
    or list, as an update that left them as they were) and new ones: every encoding, fresh or
    remembered, is ``json.dumps``'s (key order, floats, NaN, non-ASCII, empty parts)."""
    before: dict[Any, Any] | None = None
    for n, (fresh, take) in enumerate(chain):
        obj: dict[Any, Any] = {}
        for i, (k, v) in enumerate(fresh.items()):
            shared = before is not None and take[i % len(take)] and k in before
            obj[k] = before[k] if shared and before is not None else v
        if n == len(chain) - 1 and odd:
            obj.update(odd)  # the encoder converts these keys: all of it is encoded plainly
        want = _plain(obj)
        assert encoding.stored_json(obj) == want
        assert encoding.stored_json(obj) == want  # remembered
        if clear:
            encoding._OBJECTS.clear()
            assert encoding.stored_json(obj) == want  # the parts remembered, the whole not
        before = obj


def test_what_a_stored_object_refuses_is_refused_as_json_dumps_refuses() -> None:
    loop: dict[str, Any] = {"kind": "X"}
    loop["spec"] = {"back": loop}
    for bad in (loop, {"spec": {"a": {1, 2}}}, {"metadata": {"a": b"x"}}, {(1, 2): "tuple key"}):
        with pytest.raises(Exception) as want:
            _plain(bad)
        with pytest.raises(type(want.value)) as got:
            encoding.stored_json(bad)
        assert str(got.value) == str(want.value)


def test_the_remembered_encodings_are_bounded_in_entries_and_bytes() -> None:
    table = encoding._ByIdentity(3, 100)
    values = [[i] for i in range(5)]
    for v in values[:3]:
        table.put(v, b"x" * 10)
    assert all(table.get(v) == b"x" * 10 for v in values[:3])
    table.put(values[3], b"y")  # a fourth entry: it starts again
    assert [table.get(v) for v in values[:4]] == [None, None, None, b"y"]
    table.put(values[4], b"z" * 100)  # over the bytes in all: it starts again
    assert table.get(values[3]) is None and table.get(values[4]) == b"z" * 100
    big = ["big"]
    table.put(big, b"b" * 101)  # larger than the bound: not kept
    assert table.get(big) is None and table.get(values[4]) == b"z" * 100
    assert table.get(["big"]) is None  # an equal value is not the same value


# -- the wire, with and without the remembered parts -------------------------------------

DEPLOYS = "/apis/apps/v1/namespaces/ns/deployments"
WIDGETS = "/apis/example.com/v1/namespaces/ns/widgets"
CMS = "/api/v1/namespaces/ns/configmaps"


def _deployment(name: str, rng: random.Random) -> dict[str, Any]:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "labels": {"tier": rng.choice(["a", "b"])}},
        "spec": {"replicas": rng.randint(0, 3), "selector": {"matchLabels": labels},
                 "template": {"metadata": {"labels": labels},
                              "spec": {"containers": [{"name": "c", "image": f"img:{rng.randint(0, 9)}"}]}}},
    }


class _Client:
    """Raw requests on one keep-alive connection: (status, headers in order, body bytes)."""

    def __init__(self, kube: FakeKube) -> None:
        host, port = kube.url.removeprefix("http://").split(":")
        self.conn = http.client.HTTPConnection(host, int(port), timeout=5)

    def __call__(self, method: str, path: str, body: Any = None, ctype: str = "application/json",
                 extra: dict[str, str] | None = None) -> tuple[int, list[tuple[str, str]], bytes]:
        data = None if body is None else body if isinstance(body, bytes) else json.dumps(body).encode()
        headers = {"Authorization": "Bearer tok", "Content-Type": ctype, **(extra or {})}
        self.conn.request(method, path, body=data, headers=headers)
        resp = self.conn.getresponse()
        return resp.status, resp.getheaders(), resp.read()


#: headers a request may carry besides the usual ones: none, an extra one, a Table or metadata
#: Accept, a folded line and a value with a tab (parsed the standard way), a wrong token
_EXTRAS: list[dict[str, str]] = [
    {}, {}, {}, {"X-Extra": "1"}, {"Accept": "application/json;as=Table;v=v1;g=meta.k8s.io"},
    {"Accept": "application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io"},
    {"X-Folded": "a,\r\n b"}, {"X-Tab": "a\tb"}, {"Authorization": "Bearer nope"},
]
#: queries a request may carry
_QUERIES = ["", "", "", "?fieldValidation=Strict", "?dryRun=All", "?fieldManager=m", "?pretty=true", "?a=1&a=2"]


def _session(seed: int) -> Iterator[Any]:
    """A seeded sequence of creates, updates (labels, spec, status), patches, conflicts, dry runs,
    GETs, lists, tables and deletions (a garbage-collected dependent among them) on Deployments,
    a custom resource and ConfigMaps, with assorted headers and queries: each answer as sent, then
    the change log and the stored objects as they ended."""
    rng = random.Random(seed)
    with FakeKube(token="tok", seed=seed) as kube:
        kube.add({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ns"}}, widget_crd())
        call = _Client(kube)
        names = ["d0", "d1"]
        for name in names:
            yield call("POST", DEPLOYS, _deployment(name, rng))
        yield call("POST", WIDGETS, {"apiVersion": "example.com/v1", "kind": "Widget",
                                     "metadata": {"name": "w"}, "spec": {"size": 1}})
        yield call("POST", CMS, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"},
                                 "data": {"k": "v"}})
        for n in range(80):
            what = rng.randrange(12)
            path = (f"{DEPLOYS}/{rng.choice(names)}", f"{WIDGETS}/w", f"{CMS}/c")[rng.randrange(3)]
            if n == 5:  # at least one garbage-collected dependent in every session
                what, path = 8, f"{DEPLOYS}/{names[0]}"
            query, extra = rng.choice(_QUERIES), rng.choice(_EXTRAS)
            status, _, body = call("GET", path)
            yield status, [], body
            if status != 200:
                yield call("GET", path + query, extra=extra)
                continue
            if what == 11:
                yield call("GET", rng.choice(["/healthz", "/livez?verbose", "/readyz/ping", "//healthz", "/healthzz",
                                              "/livez/", "/readyz?exclude=etcd"]), extra=extra)
            obj = json.loads(body)
            if what == 0:
                obj["metadata"]["labels"] = {"n": str(rng.randrange(5))}  # the spec as it was
            elif what == 1 and "spec" in obj:
                obj["spec"] = {**obj["spec"], "replicas" if "selector" in obj["spec"] else "size": rng.randrange(4)}
            elif what == 2:
                obj.setdefault("metadata", {})["annotations"] = {"a": "x" * rng.randrange(3)}
            elif what == 3 and "data" in obj:
                obj["data"] = {"k": rng.choice(["v", "w"])}
            if what == 4 and "spec" in obj:
                yield call("PUT", path + "/status" + query, {**obj, "status": {"replicas": rng.randrange(3)}}
                           if "selector" in obj["spec"] else {**obj, "status": {"ready": rng.randrange(3)}}, extra=extra)
            elif what == 5:
                yield call("PATCH", path + query, {"metadata": {"labels": {"p": str(rng.randrange(3))}}},
                           "application/merge-patch+json", extra)
            elif what == 6:
                yield call("GET", path.rsplit("/", 1)[0] + rng.choice(["", "?limit=1", "?labelSelector=n%3D1"]),
                           extra=extra)  # the list
            elif what == 7:
                stale = dict(obj, metadata={**obj["metadata"], "resourceVersion": "1"})
                yield call("PUT", path, stale)  # a conflict
            elif what == 8 and "selector" in obj.get("spec", {}):
                # a ConfigMap the Deployment owns, then the Deployment deleted: the collector
                # deletes the dependent on a later request's tick
                owner = {"apiVersion": "apps/v1", "kind": "Deployment", "name": obj["metadata"]["name"],
                         "uid": obj["metadata"]["uid"]}
                yield call("POST", CMS, {"apiVersion": "v1", "kind": "ConfigMap",
                                         "metadata": {"name": f"dep{n}", "ownerReferences": [owner]}})
                yield call("DELETE", path + query, extra=extra)
                yield call("GET", f"{CMS}/dep{n}")
                yield call("POST", DEPLOYS, _deployment(obj["metadata"]["name"], rng))
            else:
                yield call("PUT", path + query, obj, extra=extra)
            yield call("GET", path, extra=extra)
        with kube.model.lock:
            yield [(c.seq, c.rv, c.type, c.gvk, c.key, json.dumps(c.object), json.dumps(c.old))
                   for c in kube.model.history.since_seq(kube.model.history._offset)]
            yield json.dumps(kube.objects())


class _Forgets(dict):  # type: ignore[type-arg]
    """A memo table that keeps nothing (every look-up misses)."""

    def __setitem__(self, key: Any, value: Any) -> None:
        return


def _without_cuts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every speed cut of the storage and wire side off: the plain encoder, no remembered header
    blocks, request lines or split paths, no spec encoding handed to the sharing of parts, the
    generation's content built and compared, a whole controller tick before every request, every
    answer written the general way, every path asked whether it is a health check."""
    monkeypatch.setattr(responses, "_stored_json", encoding.compact)
    monkeypatch.setattr(framing, "_BLOCKS", _Forgets())
    monkeypatch.setattr(framing, "_LINES", _Forgets())
    monkeypatch.setattr(urls, "_SPLIT", _Forgets())
    monkeypatch.setattr(models, "_share_unchanged", lambda obj, old, spec_code=None: _share_parts(obj, old))
    monkeypatch.setattr(models, "_content_changed",
                        lambda info, obj, old: models._content(info, obj) != models._content(info, old))
    monkeypatch.setattr(ControllerManager, "_nothing_to_do", lambda self, history: False)
    monkeypatch.setattr(responses.KubeHandler, "_send", responses.KubeHandler._send_any)
    monkeypatch.setattr(responses, "_HEALTH_ROOTS", "/")


_share_parts = models._share_unchanged


@pytest.mark.parametrize("seed", range(10))
def test_the_wire_answers_the_same_bytes_without_the_cuts(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same seeded session, with every cut and with none: the same answers (status, headers
    in order, body bytes), the same change log (resourceVersions, events, objects) and the same
    stored objects."""
    encoding._OBJECTS.clear()
    encoding._PARTS.clear()
    with time_machine.travel("2026-12-04T00:00:00Z", tick=False):  # the same timestamps in both
        cut = list(_session(seed))
        _without_cuts(monkeypatch)
        plain = list(_session(seed))
    assert len(cut) == len(plain)
    for n, (a, b) in enumerate(zip(cut, plain, strict=True)):
        assert a == b, f"answer {n} differs"
    statuses = {a[0] for a in plain[:-2]}
    assert statuses >= {200, 201, 404}, statuses


# -- each cut against its slow path, on many inputs ---------------------------------------

_TARGETS = st.lists(st.sampled_from(["/api", "/v1", "/a%20b", "?", "a=1", "&", "b=", "=", "x", "%zz", "#f",
                                     ";", "+", "dryRun=All", "//", ""]), max_size=6).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.lists(_TARGETS, min_size=1, max_size=8))
def test_a_split_path_is_the_standard_split_and_each_caller_has_its_own_query(targets: list[str]) -> None:
    from urllib.parse import parse_qs, urlsplit

    for raw in targets + targets:  # each one fresh, then remembered
        parts = urlsplit(raw)
        path, query = urls.split_path(raw)
        assert (path, query) == (parts.path, parse_qs(parts.query))
        query.setdefault("mine", []).append("x")  # a caller changing its query changes no other's
        for values in query.values():
            values.append("y")
        assert urls.split_path(raw) == (parts.path, parse_qs(parts.query))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(st.sampled_from("0123456789 ,+-a\u00b2\u0663"), max_size=6), max_size=3))
def test_a_content_length_is_read_as_go_reads_it(values: list[str]) -> None:
    """The one plain value taken directly answers as the general rule: every value split on
    commas, trimmed, all the same, ASCII digits only (Go's ``fixLength``)."""
    from email.message import Message

    headers = Message()
    for v in values:
        headers["Content-Length"] = v

    def general() -> Any:
        if not values:
            return None
        parts = {p.strip() for v in values for p in v.split(",")}
        if len(parts) != 1:
            return "400"
        text = parts.pop()
        return int(text) if text and text.isascii() and text.isdigit() else "400"

    try:
        got: Any = framing.content_length(headers)
    except framing.FramingError as e:
        got = str(e.code)
    assert got == general()


_PARTS_OF = st.sampled_from([{}, {"a": 1}, {"a": 1.0}, {"a": True}, [1], [], "x", None, {"b": {"c": [1, 2]}}])


@settings(max_examples=500, deadline=None)
@given(st.dictionaries(st.sampled_from(["apiVersion", "kind", "metadata", "spec", "status", "data",
                                        "metadata.annotations", "x"]), _PARTS_OF, max_size=6),
       st.dictionaries(st.sampled_from(["apiVersion", "kind", "metadata", "spec", "status", "data",
                                        "metadata.annotations", "x"]), _PARTS_OF, max_size=6),
       st.lists(st.booleans(), min_size=8, max_size=8),
       st.sampled_from([None, {}, {"a": "1"}, {"a": "2"}]), st.sampled_from([None, {}, {"a": "1"}]),
       st.sampled_from(["Deployment", "Widget", "ConfigMap"]), st.booleans())
def test_the_generation_compares_content_as_the_built_content_compares(
    a: dict[str, Any], b: dict[str, Any], share: list[bool], ann_a: Any, ann_b: Any, kind: str, status: bool
) -> None:
    """``_content_changed`` (in place) against ``_content != _content`` (built): shared parts
    (the same object), equal ones, missing keys, the Deployment's annotations, status or not."""
    from pytest_mimo.fakes.kube.kinds import KindInfo

    api_version = {"Deployment": "apps/v1", "Widget": "example.com/v1", "ConfigMap": "v1"}[kind]
    info = KindInfo(api_version, kind, kind.lower() + "s", True, has_status=status, builtin=kind != "Widget")
    for i, k in enumerate(list(b)):
        if share[i % len(share)] and k in a:
            b[k] = a[k]  # the very part, as an update that left it as it was
    for obj, ann in ((a, ann_a), (b, ann_b)):
        if ann is not None and isinstance(obj.get("metadata"), dict):
            obj["metadata"] = {**obj["metadata"], "annotations": ann}
        elif isinstance(obj.get("metadata"), (list, str)):
            obj["metadata"] = {}
    want = models._content(info, a) != models._content(info, b)
    assert models._content_changed(info, a, b) == want
    assert models._content_changed(info, a, a) is False


def test_a_remembered_header_block_gives_what_a_fresh_parse_gives() -> None:
    """A block parsed again from memory: the same fields in order, the same look-ups, and a
    header added to one request is not in the next one's."""
    import io

    framing._BLOCKS.clear()
    block = (b"Host: h\r\nAccept: application/json\r\nX-A: 1\r\nx-a: 2\r\nContent-Length: 2\r\n"
             b"authorization: Bearer t\r\n\r\n{}")
    first = framing.read_simple_request(b"PUT /a HTTP/1.1\r\n", (r := io.BufferedReader(io.BytesIO(block))).readline, r)
    assert first is not None and first.headers is not None and r.read() == b"{}"
    first.headers["X-New"] = "1"
    second = framing.read_simple_request(b"PUT /a HTTP/1.1\r\n", (r := io.BufferedReader(io.BytesIO(block))).readline, r)
    assert second is not None and second.headers is not None and r.read() == b"{}"
    assert second.headers.get("X-New") is None and "X-New" not in second.headers
    plain = framing.RequestHeaders()
    for k, v in [("Host", "h"), ("Accept", "application/json"), ("X-A", "1"), ("x-a", "2"),
                 ("Content-Length", "2"), ("authorization", "Bearer t")]:
        plain.set_raw(k, v)
    assert second.headers.items() == plain.items()
    for name in ("host", "X-A", "Authorization", "content-length", "missing"):
        assert second.headers.get(name) == plain.get(name)
        assert second.headers.get_all(name) == plain.get_all(name)
    assert first.headers.get_all("X-New") == ["1"]


@pytest.mark.parametrize("command", ["GET", "PUT", "HEAD"])
@pytest.mark.parametrize("close", [False, True])
@pytest.mark.parametrize("headers", [None, {}, [], {"Retry-After": "1"}, [("Cache-Control", "public"), ("Vary", "Accept")]])
@pytest.mark.parametrize("code, ctype", [(200, "application/json"), (201, "application/json"), (304, "application/json"),
                                         (404, "text/plain; charset=utf-8"), (200, ""), (599, "application/json")])
def test_the_usual_answer_is_written_as_any_answer_is(command: str, close: bool, headers: Any, code: int, ctype: str) -> None:
    """``_send``'s one-format path for the usual answer writes what the general one writes."""
    import io

    def written(method: str) -> bytes:
        h = responses.KubeHandler.__new__(responses.KubeHandler)
        h.wfile, h.command, h.close_connection = io.BytesIO(), command, close  # type: ignore[assignment]
        getattr(h, method)(code, b'{"a":1}', ctype, headers)
        return h.wfile.getvalue()  # type: ignore[attr-defined, no-any-return]

    assert written("_send") == written("_send_any")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["ADDED", "MODIFIED", "DELETED"]),
                          st.dictionaries(_KEYS, _JSONISH, max_size=5), st.booleans()), min_size=1, max_size=5))
def test_a_watch_event_line_is_json_dumps_of_the_event(events: list[tuple[str, dict[str, Any], bool]]) -> None:
    """A watch's event line, its object sent as stored (its remembered JSON) or completed with
    the watched kind's apiVersion and kind (encoded plainly), is ``json.dumps`` of the event."""
    from pytest_mimo.fakes.kube.kinds import KindInfo
    from pytest_mimo.fakes.kube.watch import Watch

    w = Watch.__new__(Watch)
    w.info = KindInfo("v1", "ConfigMap", "configmaps", True)
    for type_, obj, as_stored in events:
        if as_stored:
            obj = {**obj, "apiVersion": "v1", "kind": "ConfigMap"}
        want = json.dumps({"type": type_, "object": w._object(obj)}, separators=(",", ":")).encode() + b"\n"
        assert w._line(type_, obj) == want
        assert w._line(type_, obj) == want  # remembered
