"""The JSON of stored objects, remembered and composed of remembered parts, is exactly the JSON
``json.dumps`` writes (issue #12).

A stored object is encoded once (:func:`~pytest_mimo.fakes.kube.encoding.stored_json`), and its
top-level parts but the metadata are remembered by identity, so the object a write stores next,
sharing its spec and status with the one it replaces, encodes only the rest. These tests compare
every answer with the plain encoder's: on seeded chains of objects sharing parts at random, and
on a seeded sequence of requests of every kind answered with and without the remembered parts.
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

from pytest_mimo.fakes.kube import FakeKube, encoding, responses

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

    def __call__(self, method: str, path: str, body: Any = None,
                 ctype: str = "application/json") -> tuple[int, list[tuple[str, str]], bytes]:
        data = None if body is None else body if isinstance(body, bytes) else json.dumps(body).encode()
        self.conn.request(method, path, body=data, headers={"Authorization": "Bearer tok", "Content-Type": ctype})
        resp = self.conn.getresponse()
        return resp.status, resp.getheaders(), resp.read()


def _session(seed: int) -> Iterator[tuple[int, list[tuple[str, str]], bytes]]:
    """A seeded sequence of creates, updates (labels, spec, status), patches, GETs and lists
    on a Deployment, a custom resource and a ConfigMap, each answer as sent."""
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
        for _ in range(60):
            what = rng.randrange(9)
            path = (f"{DEPLOYS}/{rng.choice(names)}", f"{WIDGETS}/w", f"{CMS}/c")[rng.randrange(3)]
            status, _, body = call("GET", path)
            yield status, [], body
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
                yield call("PUT", path + "/status", {**obj, "status": {"replicas": rng.randrange(3)}}
                           if "selector" in obj["spec"] else {**obj, "status": {"ready": rng.randrange(3)}})
            elif what == 5:
                yield call("PATCH", path, {"metadata": {"labels": {"p": str(rng.randrange(3))}}},
                           "application/merge-patch+json")
            elif what == 6:
                yield call("GET", path.rsplit("/", 1)[0])  # the list
            elif what == 7:
                stale = dict(obj, metadata={**obj["metadata"], "resourceVersion": "1"})
                yield call("PUT", path, stale)  # a conflict
            else:
                yield call("PUT", path, obj)
            yield call("GET", path)


@pytest.mark.parametrize("seed", range(8))
def test_the_wire_answers_the_same_bytes_without_remembered_encodings(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    encoding._OBJECTS.clear()
    encoding._PARTS.clear()
    with time_machine.travel("2026-12-04T00:00:00Z", tick=False):  # the same timestamps in both
        remembered = list(_session(seed))
        monkeypatch.setattr(responses, "_stored_json", encoding.compact)
        plain = list(_session(seed))
    assert [a[0] for a in remembered] == [a[0] for a in plain]
    assert remembered == plain
    assert {a[0] for a in plain} >= {200, 201, 409}
