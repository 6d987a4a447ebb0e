"""Discovery shared between fakes serving the same kinds (issue #15 item 7, speed).

The fake's discovery documents are built from its registered kinds alone (``fakes/kube/discovery.py``),
so a helper of a second fake with the same kinds may take what the first discovered; a fake with
other kinds (a CRD served) must discover over HTTP itself. The paths the helper builds must be the
ones the client library's ``kubernetes.dynamic.Resource.path`` builds (kubernetes 37, ``resource.py``).
"""

from __future__ import annotations

from kubernetes.dynamic.resource import Resource

from mimo.kube import DiscoveredResource
from pytest_mimo.fakes.kube import FakeKube
from pytest_mimo.fakes.kube.server import SharedDiscovery

CO = ("config.openshift.io/v1", "ClusterOperator")


def _secret(name: str) -> dict[str, object]:
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": "default"},
            "stringData": {"k": "v"}}


def _co() -> dict[str, object]:
    return {"apiVersion": "config.openshift.io/v1", "kind": "ClusterOperator", "metadata": {"name": "ingress"},
            "spec": {}}  # the CRD requires spec (config.openshift.io clusteroperators CRD)


def _discovery(kube: FakeKube) -> list[str]:
    return [r.path for r in kube.requests if r.verb in ("discovery", "version")]


def test_a_second_fake_with_the_same_kinds_sends_no_discovery_request() -> None:
    SharedDiscovery.clear()
    with FakeKube() as first, FakeKube() as second:
        for kube in (first, second):
            kube.add(_secret("s"), _co())
        h1 = first.client_helper()
        assert h1.get_one("v1", "Secret", "s", "default")["metadata"]["name"] == "s"
        assert h1.get_one(*CO, "ingress")["metadata"]["name"] == "ingress"
        assert "/apis" in _discovery(first) and "/api/v1" in _discovery(first)
        h2 = second.client_helper()
        assert h2.get_one("v1", "Secret", "s", "default")["metadata"]["name"] == "s"
        assert h2.get_one(*CO, "ingress")["metadata"]["name"] == "ingress"
        assert [i["metadata"]["name"] for i in h2.list("v1", "Secret", "default")] == ["s"]
        assert _discovery(second) == []
        assert [r.verb for r in second.requests] == ["get", "get", "list"]


def test_a_fake_with_other_kinds_discovers_itself() -> None:
    SharedDiscovery.clear()
    with FakeKube() as first, FakeKube(kinds=[("example.com/v1", "Widget", "widgets", True)]) as other:
        first.add(_secret("s"))
        other.add(_secret("s"))
        first.client_helper().get_one("v1", "Secret", "s", "default")
        other.client_helper().get_one("v1", "Secret", "s", "default")
        assert _discovery(other), "a fake serving another kind set took the first fake's discovery"


def test_a_kind_registered_later_is_discovered_over_http() -> None:
    SharedDiscovery.clear()
    with FakeKube() as first, FakeKube() as second:
        first.client_helper().get_one("v1", "Namespace", "default")
        second.register_kind("example.com/v1", "Widget", "widgets", True)
        second.add({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w", "namespace": "default"}})
        h2 = second.client_helper()
        assert h2.get_one("example.com/v1", "Widget", "w", "default")["metadata"]["name"] == "w"
        assert "/apis/example.com/v1" in _discovery(second)


def test_share_discovery_false_discovers_as_a_fresh_process() -> None:
    SharedDiscovery.clear()
    with FakeKube() as first, FakeKube(share_discovery=False) as alone:
        first.client_helper().get_one("v1", "Namespace", "default")
        alone.client_helper().get_one("v1", "Namespace", "default")
        assert "/version" in _discovery(alone) and "/api/v1" in _discovery(alone)


def test_paths_are_the_client_librarys() -> None:
    for namespaced, prefix, group, version, plural in (
        (True, "api", "", "v1", "secrets"),
        (False, "apis", "config.openshift.io", "v1", "clusteroperators"),
        (True, "apis", "apps", "v1", "deployments"),
    ):
        lib = Resource(prefix=prefix, group=group, api_version=version, kind="K", namespaced=namespaced,
                       name=plural, client=None)
        ours = DiscoveredResource.of(lib)
        for name in (None, "x"):
            for ns in (None, "ns"):
                assert ours.path(name=name, namespace=ns) == lib.path(name=name, namespace=ns), (plural, name, ns)
