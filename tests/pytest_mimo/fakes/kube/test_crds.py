"""CustomResourceDefinitions created through the API: the fake serves their kind.

Rules from apiextensions-apiserver (kubernetes/staging/src/k8s.io/apiextensions-apiserver):
``pkg/apis/apiextensions/validation/validation.go`` (``ValidateCustomResourceDefinition``,
``validateCustomResourceDefinitionSpec``), ``pkg/apis/apiextensions/v1/defaults.go``,
``pkg/controller/status/naming_controller.go`` (``NamesAccepted``: ``NoConflicts`` /
``no conflicts found``), ``pkg/controller/establish/establishing_controller.go``
(``Established``: ``InitialNamesAccepted`` / ``the initial names have been accepted``),
``pkg/controller/finalizer/crd_finalizer.go`` (deleting a CRD deletes its objects) and
``pkg/apiserver/customresource_handler.go`` (served versions, pruning, defaulting, validation).
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import dynamic
from kubernetes.client.exceptions import ApiException

from pytest_mimo.fakes.kube import FakeKube
from pytest_mimo.worlds.kube import crd_document

WIDGETS: dict[str, Any] = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.example.com"},
    "spec": {
        "group": "example.com",
        "scope": "Namespaced",
        "names": {"plural": "widgets", "kind": "Widget", "shortNames": ["wd"]},
        "versions": [
            {
                "name": "v1",
                "served": True,
                "storage": True,
                "subresources": {"status": {}},
                "schema": {
                    "openAPIV3Schema": {
                        "type": "object",
                        "properties": {
                            "spec": {
                                "type": "object",
                                "properties": {"size": {"type": "integer", "default": 3, "maximum": 10}},
                            }
                        },
                    }
                },
            }
        ],
    },
}


@pytest.fixture
def kube() -> Iterator[FakeKube]:
    with FakeKube(token="tok") as fake:
        yield fake


@pytest.fixture
def client(kube: FakeKube) -> Iterator[dynamic.DynamicClient]:
    api = kube.api_client()
    try:
        yield dynamic.DynamicClient(api)
    finally:
        api.close()


def _crds(client: dynamic.DynamicClient) -> Any:
    return client.resources.get(api_version="apiextensions.k8s.io/v1", kind="CustomResourceDefinition")


def test_a_created_crd_is_established_and_its_kind_served(kube: FakeKube, client: dynamic.DynamicClient) -> None:
    created = _crds(client).create(body=WIDGETS)
    # the create's answer carries no conditions yet: the controllers write them after
    assert not (created.to_dict().get("status") or {}).get("conditions")
    crd = _crds(client).get(name="widgets.example.com").to_dict()
    conditions = {c["type"]: c for c in crd["status"]["conditions"]}
    assert (conditions["NamesAccepted"]["status"], conditions["NamesAccepted"]["reason"]) == ("True", "NoConflicts")
    assert conditions["NamesAccepted"]["message"] == "no conflicts found"
    assert conditions["Established"]["reason"] == "InitialNamesAccepted"
    assert conditions["Established"]["message"] == "the initial names have been accepted"
    # v1/defaults.go: singular and listKind defaulted, conversion None; status.storedVersions
    assert crd["spec"]["names"]["singular"] == "widget"
    assert crd["spec"]["names"]["listKind"] == "WidgetList"
    assert crd["spec"]["conversion"] == {"strategy": "None"}
    assert crd["status"]["storedVersions"] == ["v1"]
    assert crd["status"]["acceptedNames"]["kind"] == "Widget"

    fresh = dynamic.DynamicClient(kube.api_client())  # discovery anew
    widgets = fresh.resources.get(api_version="example.com/v1", kind="Widget")
    assert widgets.namespaced and widgets.short_names == ["wd"]
    obj = widgets.create(namespace="default", body={
        "apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "a"}, "spec": {"junk": 1}}).to_dict()
    # pruned (junk) and defaulted (size) by the version's structural schema
    assert obj["spec"] == {"size": 3}
    assert (obj["apiVersion"], obj["kind"]) == ("example.com/v1", "Widget")
    with pytest.raises(ApiException) as e:
        widgets.create(namespace="default", body={
            "apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "b"}, "spec": {"size": 11}})
    assert e.value.status == 422
    assert json.loads(e.value.body)["message"] == (
        'Widget.example.com "b" is invalid: spec.size: Invalid value: 11: '
        "spec.size in body should be less than or equal to 10"
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda c: c["metadata"].update(name="gadgets.example.com"),
         'metadata.name: Invalid value: "gadgets.example.com": must be spec.names.plural+"."+spec.group'),
        (lambda c: c["spec"]["versions"][0].update(storage=False),
         "spec.versions: Invalid value: []apiextensions.CustomResourceDefinitionVersion{...}: "
         "must have exactly one version marked as storage version"),
        (lambda c: c["spec"]["versions"][0].pop("schema"),
         "spec.versions[0].schema.openAPIV3Schema: Required value: schemas are required"),
        (lambda c: (c["spec"].update(group="example"), c["metadata"].update(name="widgets.example")),
         'spec.group: Invalid value: "example": should be a domain with at least one dot'),
        (lambda c: c["spec"].update(scope="Global"),
         'spec.scope: Unsupported value: "Global": supported values: "Cluster", "Namespaced"'),
    ],
)
def test_an_invalid_crd_is_refused_and_nothing_served(kube: FakeKube, client: dynamic.DynamicClient,
                                                      change: Any, message: str) -> None:
    """validation.go's messages (the spec.versions value abbreviated: Go prints struct pointers)."""
    body = copy.deepcopy(WIDGETS)
    change(body)
    with pytest.raises(ApiException) as e:
        _crds(client).create(body=body)
    assert e.value.status == 422
    assert message in json.loads(e.value.body)["message"]
    assert ("example.com/v1", "Widget") not in kube.model.kinds
    assert kube.list("apiextensions.k8s.io/v1", "CustomResourceDefinition") == []


def test_deleting_the_crd_removes_its_kind_and_objects(kube: FakeKube, client: dynamic.DynamicClient) -> None:
    kube.add(WIDGETS, {"apiVersion": "example.com/v1", "kind": "Widget",
                       "metadata": {"name": "a", "namespace": "default"}})
    _crds(client).delete(name="widgets.example.com")
    assert ("example.com/v1", "Widget") not in kube.model.kinds
    assert not any(o["kind"] == "Widget" for o in kube.objects())
    with pytest.raises(ApiException) as e:
        client.request("GET", "/apis/example.com/v1/namespaces/default/widgets")
    assert e.value.status == 404


def test_a_restore_serves_what_the_snapshot_had(kube: FakeKube) -> None:
    snap = kube.snapshot()
    kube.add(WIDGETS)
    assert ("example.com/v1", "Widget") in kube.model.kinds
    kube.restore(snap)
    assert ("example.com/v1", "Widget") not in kube.model.kinds
    kube.add(WIDGETS, {"apiVersion": "example.com/v1", "kind": "Widget",
                       "metadata": {"name": "a", "namespace": "default"}})
    snap = kube.snapshot()
    kube.delete("apiextensions.k8s.io/v1", "CustomResourceDefinition", "widgets.example.com")
    kube.restore(snap)
    assert kube.get("example.com/v1", "Widget", "a", "default") is not None


def test_the_real_servicemonitor_and_credentialsrequest_crds_are_served(kube: FakeKube) -> None:
    """prometheus-operator's ServiceMonitor CRD and cloud-credential-operator's CredentialsRequest CRD
    (files in pytest_mimo/fakes/kube/crds/), with the objects Go's ARO operator static resources hold."""
    kube.add(crd_document("servicemonitors.monitoring.coreos.com"),
             crd_document("credentialsrequests.cloudcredential.openshift.io"))
    kube.add({"apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor",
              "metadata": {"name": "aro-operator-master", "namespace": "default"},
              "spec": {"selector": {"matchLabels": {"name": "aro-operator-master"}},
                       "endpoints": [{"port": "http-metrics"}]}})
    with pytest.raises(Exception, match="unknown field"):
        kube.add({"apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor",
                  "metadata": {"name": "x", "namespace": "default"}, "spec": {"selector": {}, "endpoint": []}})


KUBECTL = shutil.which("kubectl")


@pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed on this machine (not on PATH)")
def test_kubectl_get_crd_and_servicemonitors(tmp_path: Path) -> None:
    with FakeKube(tls=True) as fake:
        fake.add(crd_document("servicemonitors.monitoring.coreos.com"))
        fake.add({"apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor",
                  "metadata": {"name": "aro-operator-master", "namespace": "default"},
                  "spec": {"selector": {"matchLabels": {"name": "aro-operator-master"}},
                           "endpoints": [{"port": "http-metrics"}]}})
        env = {"PATH": os.environ.get("PATH", ""), "KUBECONFIG": fake.kubeconfig(),
               "HOME": str(tmp_path / "home"), "NO_PROXY": "127.0.0.1"}

        def kubectl(*args: str) -> str:
            assert KUBECTL is not None
            proc = subprocess.run([KUBECTL, f"--cache-dir={tmp_path / 'cache'}", "--request-timeout=10s", *args],
                                  env=env, capture_output=True, text=True, timeout=60)
            assert proc.returncode == 0, proc.stderr
            return proc.stdout

        assert kubectl("get", "crd", "-o", "name") == (
            "customresourcedefinition.apiextensions.k8s.io/servicemonitors.monitoring.coreos.com\n")
        assert kubectl("get", "servicemonitors", "-A", "-o", "name") == (
            "servicemonitor.monitoring.coreos.com/aro-operator-master\n")
        got = json.loads(kubectl("get", "crd", "servicemonitors.monitoring.coreos.com", "-o", "json"))
        assert {c["type"]: c["status"] for c in got["status"]["conditions"]} == {
            "NamesAccepted": "True", "Established": "True"}
