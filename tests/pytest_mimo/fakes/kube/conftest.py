"""Fixtures of the fake's wire tests: a fake with namespace ``ns``, a keep-alive connection and
a one-request helper (a module may define its own ``kube`` fixture, which then wins)."""

from __future__ import annotations

import http.client
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from kubernetes import client

from pytest_mimo.fakes.kube import FakeKube

#: ``raw(method, path, body=None, headers=None)`` → (status, JSON body or text, headers)
Raw = Callable[..., tuple[int, Any, dict[str, str]]]


class Wire:
    """A keep-alive HTTP/1.1 connection to the fake."""

    def __init__(self, kube: FakeKube, token: str | None = "tok") -> None:
        host, port = kube.url.removeprefix("http://").split(":")
        self.conn = http.client.HTTPConnection(host, int(port), timeout=5)
        self.token = token

    def __call__(
        self, method: str, path: str, body: Any = None, ctype: str = "application/json"
    ) -> tuple[int, Any, http.client.HTTPResponse]:
        headers = {"Content-Type": ctype}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        raw = body if isinstance(body, (bytes, str)) or body is None else json.dumps(body)
        self.conn.request(method, path, body=raw, headers=headers)
        resp = self.conn.getresponse()
        data = resp.read()
        try:
            return resp.status, json.loads(data), resp
        except ValueError:
            return resp.status, data.decode(), resp


@pytest.fixture
def kube() -> Iterator[FakeKube]:
    with FakeKube(token="tok") as fake:
        fake.add({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ns"}})
        yield fake


@pytest.fixture
def wire(kube: FakeKube) -> Wire:
    return Wire(kube)


def request(kube: FakeKube, method: str, path: str, body: bytes | None = None,
            headers: dict[str, str] | None = None) -> tuple[int, Any, dict[str, str]]:
    """One request on a fresh connection, with the fixture's token."""
    host, port = kube.url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=5)
    conn.request(method, path, body=body, headers={"Authorization": "Bearer tok", **(headers or {})})
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    try:
        return resp.status, json.loads(data), dict(resp.getheaders())
    except ValueError:
        return resp.status, data.decode(), dict(resp.getheaders())


@pytest.fixture
def core(kube: FakeKube) -> Iterator[client.CoreV1Api]:
    """The official typed client's CoreV1Api on the fixture's fake."""
    api = kube.api_client()
    yield client.CoreV1Api(api)
    api.close()


@pytest.fixture
def raw(kube: FakeKube) -> Raw:
    def call(method: str, path: str, body: bytes | None = None,
             headers: dict[str, str] | None = None) -> tuple[int, Any, dict[str, str]]:
        return request(kube, method, path, body, headers)

    return call


def widget_crd() -> dict[str, Any]:
    """A CRD of kind Widget (example.com/v1) with short name, category, status and scale."""
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {
            "group": "example.com",
            "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "listKind": "WidgetList",
                      "shortNames": ["wd"], "categories": ["all"]},
            "scope": "Namespaced",
            "versions": [{
                "name": "v1", "served": True, "storage": True,
                "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                    "spec": {"type": "object", "properties": {"size": {"type": "integer"}}},
                    "status": {"type": "object", "properties": {
                        "ready": {"type": "integer"}, "selector": {"type": "string"}}},
                }}},
                "subresources": {"status": {}, "scale": {
                    "specReplicasPath": ".spec.size", "statusReplicasPath": ".status.ready",
                    "labelSelectorPath": ".status.selector"}},
            }],
        },
    }
