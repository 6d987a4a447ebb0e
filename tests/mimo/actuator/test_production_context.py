"""The production TaskContext against the harness's fake Kubernetes and fake Azure.

The clients are the real ones (``mimo.kube`` over the official client, the
Azure SDKs with a real ``azure-identity`` credential), built from the access
registered with the cluster in the store.
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from mimo.actuator import Actuator
from mimo.api import MaintenanceManifest, OpenShiftClusterDocument, SubscriptionDocument
from mimo.store import ClusterAccess, MemoryStore

from ..clocks import ManualClock

TASK = "00000000-0000-4000-8000-000000000001"
START = datetime(2026, 1, 5, tzinfo=timezone.utc)


def world(subscription_id: str, access: ClusterAccess) -> tuple[MemoryStore, str]:
    rid = (
        f"/subscriptions/{subscription_id}/resourcegroups/rg/providers/"
        "microsoft.redhatopenshift/openshiftclusters/c1"
    )
    store = MemoryStore()
    store.put_subscription(SubscriptionDocument(id=subscription_id))
    store.put_cluster(OpenShiftClusterDocument(id="22222222-2222-2222-2222-222222222222", resource_id=rid), access)
    store.create_manifest(MaintenanceManifest.new(rid, TASK, now=int(START.timestamp())))
    return store, rid


def run(store, rid, task) -> str:
    Actuator(store, {TASK: task}, clock=ManualClock(START), renew_leases=False).process(rid)
    (m,) = store.list_manifests()
    return m.state


@pytest.mark.parametrize("how", ["kubeconfig", "token+ca"])
def test_client_helper_from_the_registered_access(tmp_path, how):
    from pytest_mimo.fakes.kube import FakeKube

    with FakeKube(tls=(how == "token+ca")) as fk:
        fk.add({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "openshift-azure-operator"}})
        if how == "kubeconfig":
            access = ClusterAccess(kubeconfig=fk.kubeconfig())
        else:
            token = tmp_path / "token"
            token.write_text(fk.token + "\n")
            access = ClusterAccess(api_url=fk.url, token_file=str(token), ca_file=str(fk.ca_file))
        store, rid = world("11111111-1111-1111-1111-111111111111", access)
        seen = {}

        def task(tc, m, c):
            kube = tc.client_helper()
            assert tc.client_helper() is kube  # once per context
            seen["ns"] = kube.get_one("v1", "Namespace", "openshift-azure-operator")["metadata"]["name"]
            kube.create({"apiVersion": "v1", "kind": "ConfigMap",
                         "metadata": {"name": "mimo", "namespace": "openshift-azure-operator"}, "data": {"a": "b"}})

        assert run(store, rid, task) == "Completed"
        assert seen["ns"] == "openshift-azure-operator"
        assert fk.get("v1", "ConfigMap", "mimo", "openshift-azure-operator")["data"] == {"a": "b"}


def test_wrong_token_is_refused_by_the_server(tmp_path):
    from pytest_mimo.fakes.kube import FakeKube

    with FakeKube() as fk:
        token = tmp_path / "token"
        token.write_text("not-the-token")
        store, rid = world("11111111-1111-1111-1111-111111111111", ClusterAccess(api_url=fk.url, token_file=str(token)))
        errors = []

        def task(tc, m, c):
            try:
                tc.client_helper().get_one("v1", "Namespace", "default")
            except Exception as e:
                errors.append(e)
                raise

        assert run(store, rid, task) == "Failed"
        assert "401" in str(errors[0]) or "Unauthorized" in str(errors[0])


def test_azure_clients_from_the_registered_credential():
    from pytest_mimo.fakes.azure import FakeAzure

    with FakeAzure() as fa:
        settings = {
            "kind": "client_secret",
            "tenantId": fa.tenant_id,
            "clientId": fa.client_id,
            "clientSecret": fa.client_secret,
        }
        store, rid = world(fa.subscription_id, ClusterAccess(azure=settings))
        lb_id = f"/subscriptions/{fa.subscription_id}/resourceGroups/aro-rg/providers/Microsoft.Network/loadBalancers/lb1"
        fa.put_resource(lb_id, {"location": "eastus", "properties": {}})
        seen = {}

        def task(tc, m, c):
            lb = tc.load_balancers_client().get("aro-rg", "lb1")
            seen["lb"] = lb.name
            assert tc.interfaces_client() is not None and tc.tokens_client() is not None

        assert run(store, rid, task) == "Completed"
        assert seen["lb"] == "lb1"
        assert "clientSecret" in ClusterAccess(azure=settings).to_dict()["azure"]
        assert fa.client_secret not in repr(store.get_cluster_access(rid))
