"""Field selectors on lists, through the official typed and dynamic clients.

Sources: pkg/apis/core/v1/conversion.go (the core kinds' field-label conversion
functions, "field label not supported: %s"), apimachinery runtime
``DefaultMetaV1FieldSelectorConversion`` (other built-ins: "%q is not a known field
selector: only %q, %q"), apiextensions' converter (custom resources: metadata.name and,
when namespaced, metadata.namespace), fields/selector.go (``=``, ``==``, ``!=``, commas).
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from kubernetes import client, dynamic
from kubernetes.client.exceptions import ApiException

from pytest_mimo.fakes.kube import FakeKube


@pytest.fixture
def kube() -> Iterator[FakeKube]:
    with FakeKube() as fake:
        fake.add(
            {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "tls", "namespace": "default"}, "type": "kubernetes.io/tls", "data": {"tls.crt": "", "tls.key": ""}},
            {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "plain", "namespace": "default"}},
            {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "plain", "namespace": "kube-system"}},
            {"apiVersion": "config.openshift.io/v1", "kind": "ClusterOperator", "metadata": {"name": "dns"}, "spec": {}},
            {"apiVersion": "config.openshift.io/v1", "kind": "ClusterOperator", "metadata": {"name": "ingress"}, "spec": {}},
        )
        yield fake


@pytest.fixture
def core(kube: FakeKube) -> client.CoreV1Api:
    return client.CoreV1Api(kube.api_client())


def names(items: list[client.V1Secret]) -> list[str]:
    return [f"{i.metadata.namespace}/{i.metadata.name}" for i in items]


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("type=kubernetes.io/tls", ["default/tls"]),
        ("type==Opaque", ["default/plain", "kube-system/plain"]),
        ("type!=Opaque", ["default/tls"]),
        ("metadata.name=plain,metadata.namespace!=default", ["kube-system/plain"]),
        ("metadata.namespace=default", ["default/plain", "default/tls"]),
        ("", ["default/plain", "default/tls", "kube-system/plain"]),
    ],
)
def test_secret_field_selectors(core: client.CoreV1Api, selector: str, expected: list[str]) -> None:
    assert names(core.list_secret_for_all_namespaces(field_selector=selector).items) == expected


def test_namespace_status_phase(core: client.CoreV1Api) -> None:
    found = core.list_namespace(field_selector="status.phase=Active,metadata.name=default").items
    assert [n.metadata.name for n in found] == ["default"]


@pytest.mark.parametrize(
    ("call", "selector", "message"),
    [
        ("list_namespaced_secret", "data.x=1", "field label not supported: data.x"),
        ("list_namespace", "metadata.namespace=x", "field label not supported: metadata.namespace"),
        (
            "list_namespaced_config_map",
            "data.x=1",
            '"data.x" is not a known field selector: only "metadata.name", "metadata.namespace"',
        ),
        ("list_namespaced_secret", "type", "invalid selector: 'type'; can't understand 'type'"),
    ],
)
def test_an_unsupported_field_is_400(core: client.CoreV1Api, call: str, selector: str, message: str) -> None:
    args = () if call == "list_namespace" else ("default",)
    with pytest.raises(ApiException) as e:
        getattr(core, call)(*args, field_selector=selector)
    assert e.value.status == 400
    body = json.loads(e.value.body)
    assert (body["reason"], body["message"]) == ("BadRequest", message)


def test_custom_resources_select_on_name_and_refuse_the_rest(kube: FakeKube) -> None:
    dyn = dynamic.DynamicClient(kube.api_client())
    cos = dyn.resources.get(api_version="config.openshift.io/v1", kind="ClusterOperator")
    assert [o.metadata.name for o in cos.get(field_selector="metadata.name=dns").items] == ["dns"]
    with pytest.raises(ApiException) as e:
        cos.get(field_selector="metadata.namespace=x")  # cluster-scoped: not selectable
    assert json.loads(e.value.body)["message"] == "field label not supported: metadata.namespace"
    with pytest.raises(ApiException) as e:
        cos.get(field_selector="status.versions=1")
    assert json.loads(e.value.body)["message"] == "field label not supported: status.versions"
