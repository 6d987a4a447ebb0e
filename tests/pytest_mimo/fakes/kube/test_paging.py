"""Paged lists and resourceVersion semantics, through the official client (typed and dynamic)
and on the wire.

Sources (kubernetes staging/src/k8s.io/apiserver):
- pkg/storage/etcd3/store.go ``GetList``: etcd key order, ``limit`` matching items a page,
  a continue token while keys remain, ``remainingItemCount`` only without selectors
  (``PrepareContinueToken``: ``Predicate.Empty()``);
- pkg/storage/continue.go: the token (base64url JSON ``v``/``rv``/``start``) and
  ``DecodeContinue``'s "continue key is not valid" errors, as "invalid continue token: …" (400);
- pkg/storage/etcd3/errors.go: ``inconsistentContinue`` (410 with a fresh token) and
  ``expiredList`` (410) after compaction;
- pkg/storage/cacher/delegator.go ``shouldDelegateList``: Exact and the legacy limit+rv
  case list the state at that rv; ``storage.NewTooLargeResourceVersionError`` (504);
- apimachinery pkg/apis/meta/internalversion/validation ``ValidateListOptions``: the 422s;
- pkg/storage/etcd3/api_object_versioner.go ``ParseResourceVersion`` (a non-Status error: 500).
"""

from __future__ import annotations

import base64
import http.client
import json
from collections.abc import Iterator
from typing import Any

import pytest
from kubernetes import client, dynamic
from kubernetes.client.exceptions import ApiException

from pytest_mimo.fakes.kube import FakeKube

INCONSISTENT = (
    "The provided continue parameter is too old to display a consistent list result. You can "
    "start a new list without the continue parameter, or use the continue token in this response "
    "to retrieve the remainder of the results. Continuing with the provided token results in an "
    "inconsistent list - objects that were created, modified, or deleted between the time the "
    "first chunk was returned and now may show up in the list."
)


@pytest.fixture
def kube() -> Iterator[FakeKube]:
    with FakeKube(token="tok") as fake:
        yield fake


def make(core: client.CoreV1Api, *names: str, ns: str = "default", labels: dict[str, str] | None = None) -> None:
    for n in names:
        core.create_namespaced_config_map(ns, client.V1ConfigMap(metadata=client.V1ObjectMeta(name=n, labels=labels)))


def get(kube: FakeKube, path: str) -> tuple[int, Any, http.client.HTTPResponse]:
    host, port = kube.url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=5)
    try:
        conn.request("GET", path, headers={"Authorization": "Bearer tok"})
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read()), resp
    finally:
        conn.close()


def token(raw: bytes) -> str:
    """A continue token with ``raw`` as its JSON (base64url, unpadded, as the server writes it)."""
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def names(items: list[Any]) -> list[str]:
    return [i.metadata.name for i in items]


def test_pages_of_a_list_with_counts_and_tokens(core: client.CoreV1Api) -> None:
    make(core, "c0", "c1", "c2", "c3", "c4")
    first = core.list_namespaced_config_map("default", limit=2)
    assert names(first.items) == ["c0", "c1"]
    assert first.metadata.remaining_item_count == 3
    token = json.loads(base64.urlsafe_b64decode(first.metadata._continue + "=="))
    assert token == {"v": "meta.k8s.io/v1", "rv": int(first.metadata.resource_version), "start": "c1\x00"}
    second = core.list_namespaced_config_map("default", limit=2, _continue=first.metadata._continue)
    assert names(second.items) == ["c2", "c3"]
    assert second.metadata.remaining_item_count == 1
    assert second.metadata.resource_version == first.metadata.resource_version
    last = core.list_namespaced_config_map("default", limit=2, _continue=second.metadata._continue)
    assert names(last.items) == ["c4"]
    assert last.metadata._continue is None and last.metadata.remaining_item_count is None
    # a page that ends exactly at the last key has no token either
    exact = core.list_namespaced_config_map("default", limit=5)
    assert len(exact.items) == 5 and exact.metadata._continue is None


def test_later_pages_show_the_state_of_the_first(core: client.CoreV1Api) -> None:
    make(core, "a", "b", "c", "d")
    first = core.list_namespaced_config_map("default", limit=2)
    core.delete_namespaced_config_map("c", "default")
    make(core, "bb")  # sorts into the rest of the list, but was created after the first page
    core.patch_namespaced_config_map("d", "default", {"data": {"k": "v"}})
    rest = core.list_namespaced_config_map("default", limit=10, _continue=first.metadata._continue)
    assert names(rest.items) == ["c", "d"]
    assert rest.items[1].data is None
    assert rest.metadata.resource_version == first.metadata.resource_version


def test_a_compacted_token_is_410_with_a_token_for_the_rest(kube: FakeKube, core: client.CoreV1Api) -> None:
    make(core, "a", "b", "c")
    first = core.list_namespaced_config_map("default", limit=1)
    make(core, "bb")
    kube.compact()
    with pytest.raises(ApiException) as e:
        core.list_namespaced_config_map("default", limit=1, _continue=first.metadata._continue)
    status = json.loads(e.value.body)
    assert (e.value.status, status["reason"], status["message"]) == (410, "Expired", INCONSISTENT)
    fresh = status["metadata"]["continue"]
    assert json.loads(base64.urlsafe_b64decode(fresh + "=="))["rv"] == -1
    # the fresh token goes on from the same key, at the current state (the new "bb" shows)
    rest = core.list_namespaced_config_map("default", limit=10, _continue=fresh)
    assert names(rest.items) == ["b", "bb", "c"]
    assert int(rest.metadata.resource_version) > int(first.metadata.resource_version)


def test_selectors_fill_pages_without_a_count(core: client.CoreV1Api) -> None:
    make(core, "a", "c", "e", labels={"pick": "yes"})
    make(core, "b", "d", "f")
    first = core.list_namespaced_config_map("default", limit=2, label_selector="pick=yes")
    assert names(first.items) == ["a", "c"]
    assert first.metadata.remaining_item_count is None and first.metadata._continue
    rest = core.list_namespaced_config_map("default", limit=2, label_selector="pick=yes", _continue=first.metadata._continue)
    # not filled: the server read on to the end ("f"), so no token
    assert names(rest.items) == ["e"] and rest.metadata._continue is None
    full = core.list_namespaced_config_map("default", limit=1, label_selector="pick=yes", _continue=first.metadata._continue)
    # filled at "e" with a key left after it: a token, and an empty last page
    assert names(full.items) == ["e"] and full.metadata._continue
    empty = core.list_namespaced_config_map("default", limit=1, label_selector="pick=yes", _continue=full.metadata._continue)
    assert empty.items == [] and empty.metadata._continue is None
    by_field = core.list_namespaced_config_map("default", limit=1, field_selector="metadata.name!=a")
    assert names(by_field.items) == ["b"] and by_field.metadata.remaining_item_count is None


def test_all_namespaces_in_etcd_key_order(kube: FakeKube, core: client.CoreV1Api) -> None:
    for ns in ("a", "a-b"):
        core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=ns)))
        make(core, "x", ns=ns)
    seen, token = [], None
    while True:
        page = core.list_config_map_for_all_namespaces(limit=1, _continue=token)
        seen += [f"{i.metadata.namespace}/{i.metadata.name}" for i in page.items]
        token = page.metadata._continue
        if not token:
            break
    # "/registry/configmaps/a-b/x" sorts before "/registry/configmaps/a/x" ('-' < '/')
    assert seen == ["a-b/x", "a/x"]


def test_dynamic_client_pages(kube: FakeKube) -> None:
    api = kube.api_client()
    try:
        dyn = dynamic.DynamicClient(api)
        cos = dyn.resources.get(api_version="config.openshift.io/v1", kind="ClusterOperator")
        for n in ("dns", "ingress", "network"):
            cos.create(body={"apiVersion": "config.openshift.io/v1", "kind": "ClusterOperator", "metadata": {"name": n}, "spec": {}})
        seen, token = [], None
        while True:
            page = cos.get(limit=2, _continue=token)
            seen += [i.metadata.name for i in page.items]
            token = page.metadata.get("continue")
            if not token:
                break
        assert seen == ["dns", "ingress", "network"]
    finally:
        api.close()


def test_exact_and_legacy_lists_show_an_old_state(core: client.CoreV1Api) -> None:
    make(core, "a", "b")
    rv = core.list_namespaced_config_map("default").metadata.resource_version
    core.delete_namespaced_config_map("a", "default")
    then = core.list_namespaced_config_map("default", resource_version=rv, resource_version_match="Exact")
    assert names(then.items) == ["a", "b"] and then.metadata.resource_version == rv
    legacy = core.list_namespaced_config_map("default", resource_version=rv, limit=1)
    assert names(legacy.items) == ["a"] and legacy.metadata.resource_version == rv
    # NotOlderThan (and a bare rv without limit): the current state
    now = core.list_namespaced_config_map("default", resource_version=rv, resource_version_match="NotOlderThan")
    assert names(now.items) == ["b"] and int(now.metadata.resource_version) > int(rv)
    assert names(core.list_namespaced_config_map("default", resource_version=rv).items) == ["b"]
    # resourceVersion=0 is "any": the fake's current state, paged as the 1.33+ cacher pages it
    zero = core.list_namespaced_config_map("default", resource_version="0", limit=1)
    assert names(zero.items) == ["b"]


def test_compacted_exact_list_is_410(kube: FakeKube, core: client.CoreV1Api) -> None:
    make(core, "a")
    rv = core.list_namespaced_config_map("default").metadata.resource_version
    make(core, "b")
    kube.compact()
    with pytest.raises(ApiException) as e:
        core.list_namespaced_config_map("default", resource_version=rv, resource_version_match="Exact")
    assert e.value.status == 410
    assert json.loads(e.value.body)["message"] == "The resourceVersion for the provided list is too old."


def test_a_future_resource_version_is_too_large(kube: FakeKube) -> None:
    status, body, resp = get(kube, "/api/v1/namespaces/default/configmaps?resourceVersion=999999")
    current = kube.model.resource_version
    assert (status, body["reason"]) == (504, "Timeout")
    assert body["message"] == f"Timeout: Too large resource version: 999999, current: {current}"
    assert body["details"] == {
        "causes": [{"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}],
        "retryAfterSeconds": 1,
    }
    assert resp.getheader("Retry-After") == "1"
    # an Exact list goes to etcd, whose error says no retry
    status, body, resp = get(kube, "/api/v1/namespaces/default/configmaps?resourceVersion=999999&resourceVersionMatch=Exact")
    assert status == 504 and "retryAfterSeconds" not in body["details"] and resp.getheader("Retry-After") is None
    # a get with a resourceVersion is served by the cacher: not older than it
    status, body, _ = get(kube, "/api/v1/namespaces/default?resourceVersion=999999")
    assert status == 504 and body["message"].startswith("Timeout: Too large resource version: 999999")
    status, body, _ = get(kube, f"/api/v1/namespaces/default?resourceVersion={current}")
    assert status == 200 and body["metadata"]["name"] == "default"


@pytest.mark.parametrize(
    ("query", "code", "message"),
    [
        (
            "continue=abc$",
            400,
            "invalid continue token: continue key is not valid: illegal base64 data at input byte 3",
        ),
        (
            "continue=" + token(b'{"v":"meta.k8s.io/v2","rv":5,"start":"a"}'),
            400,
            "invalid continue token: continue key is not valid: server does not recognize this encoded version meta.k8s.io/v2",
        ),
        (
            "continue=" + token(b'{"v":"meta.k8s.io/v1","rv":0,"start":"a"}'),
            400,
            "invalid continue token: continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)",
        ),
        (
            "continue=" + token(b'{"v":"meta.k8s.io/v1","rv":5,"start":""}'),
            400,
            "invalid continue token: continue key is not valid: encoded start key empty (version meta.k8s.io/v1)",
        ),
        (
            "continue=" + token(b'{"v":"meta.k8s.io/v1","rv":5,"start":"../x"}'),
            400,
            "invalid continue token: continue key is not valid: ../x",
        ),
        (
            "continue=" + token(b'{"v":"meta.k8s.io/v1","rv":5,"start":"a"}') + "&resourceVersion=5",
            400,
            "specifying resource version is not allowed when using continue",
        ),
        (
            "resourceVersionMatch=Exact",
            422,
            'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided',
        ),
        (
            "resourceVersionMatch=Exact&resourceVersion=0",
            422,
            'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch "exact" is forbidden for resourceVersion "0"',
        ),
        (
            "resourceVersion=abc",
            500,
            'resourceVersion: Invalid value: "abc": strconv.ParseUint: parsing "abc": invalid syntax',
        ),
    ],
)
def test_refused_list_options(kube: FakeKube, query: str, code: int, message: str) -> None:
    status, body, _ = get(kube, f"/api/v1/namespaces/default/configmaps?{query}")
    assert (status, body["message"]) == (code, message)


def test_limit_zero_and_negative_mean_everything(core: client.CoreV1Api, kube: FakeKube) -> None:
    make(core, "a", "b")
    for limit in ("0", "-3"):
        status, body, _ = get(kube, f"/api/v1/namespaces/default/configmaps?limit={limit}")
        assert status == 200 and [i["metadata"]["name"] for i in body["items"]] == ["a", "b"]
        assert "continue" not in body["metadata"]
