import json
from datetime import datetime, timezone

import pytest

from mimo.api import (
    ARCHITECTURE_VERSION_V1,
    ARCHITECTURE_VERSION_V2,
    DocumentError,
    MaintenanceManifest,
    MaintenanceSchedule,
    OpenShiftClusterDocument,
    OpenShiftClusterProperties,
    RegistryProfile,
    Secret,
    SubscriptionDocument,
)

RID = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/RG/providers/Microsoft.RedHatOpenShift/openShiftClusters/Cluster1"
TASK = "9b741734-6505-447f-8510-85eb0ae561a2"


def roundtrip(cls, obj):
    return cls.from_dict(json.loads(json.dumps(obj.to_dict())))


def test_cluster_document_roundtrip_and_lowercase():
    doc = OpenShiftClusterDocument(
        id="22222222-2222-2222-2222-222222222222",
        resource_id=RID,
        properties=OpenShiftClusterProperties(
            architecture_version=0,
            infra_id="abc-x1",
            operator_flags={"aro.x": "true"},
            registry_profiles=[
                RegistryProfile("arointsvc.azurecr.io", "token-1", Secret("hunter2"),
                                datetime(2026, 1, 1, tzinfo=timezone.utc))
            ],
        ),
    )
    assert doc.resource_id == RID.lower()
    back = roundtrip(OpenShiftClusterDocument, doc)
    assert back == doc
    assert back.properties.registry_profiles[0].password.reveal() == "hunter2"
    d = doc.to_dict()
    assert d["key"] == RID.lower()
    assert d["openShiftCluster"]["properties"]["infraId"] == "abc-x1"
    assert d["openShiftCluster"]["properties"]["architectureVersion"] == 0


def test_secrets_hidden_from_repr_and_redacted_dict():
    doc = OpenShiftClusterDocument(
        id="22222222-2222-2222-2222-222222222222",
        resource_id=RID,
        properties=OpenShiftClusterProperties(registry_profiles=[RegistryProfile("r", "u", Secret("hunter2"))]),
    )
    assert "hunter2" not in repr(doc)
    assert "hunter2" not in str(doc)
    assert "hunter2" not in f"{doc.properties.registry_profiles[0].password}"
    assert "hunter2" not in json.dumps(doc.to_dict(redact=True))
    assert "hunter2" in json.dumps(doc.to_dict())


def test_manifest_roundtrip_uses_reference_names():
    m = MaintenanceManifest.new(RID, TASK, now=1000, priority=3)
    d = m.to_dict()
    for key in ("clusterResourceID", "maintenanceTaskID", "runAfter", "runBefore", "statusText", "createdBySchedule"):
        assert key in d
    assert d["runAfter"] == 1000 and d["runBefore"] == 1000 + 7 * 24 * 3600
    # Go _putAdminMaintManifestCreate (pkg/frontend/admin_mimo_manifest_create.go):
    # RunBefore = f.now().Add(7 * 24h), not runAfter + 7 days
    later = MaintenanceManifest.new(RID, TASK, now=1000, run_after=5000)
    assert (later.run_after, later.run_before) == (5000, 1000 + 7 * 24 * 3600)
    assert d["clusterResourceID"] == RID.lower()
    assert roundtrip(MaintenanceManifest, m) == m


@pytest.mark.parametrize(
    "change, field",
    [
        ({"maintenanceTaskID": "nope"}, "maintenanceTaskID"),
        ({"clusterResourceID": "/subscriptions/x"}, "clusterResourceID"),
        ({"runBefore": 10}, "runBefore"),
        ({"state": "Done"}, "state"),
        ({"priority": "high"}, "priority"),
        ({"bogus": 1}, "bogus"),
        ({"id": "123"}, "id"),
    ],
)
def test_manifest_rejects_bad_values_naming_field(change, field):
    d = MaintenanceManifest.new(RID, TASK, now=1000).to_dict()
    d.update(change)
    with pytest.raises(DocumentError) as info:
        MaintenanceManifest.from_dict(d)
    assert str(info.value).startswith(field)


def test_subscription_roundtrip_and_validation():
    s = SubscriptionDocument(id="11111111-1111-1111-1111-111111111111", state="Warned")
    assert roundtrip(SubscriptionDocument, s) == s
    with pytest.raises(DocumentError, match="state"):
        SubscriptionDocument(id="11111111-1111-1111-1111-111111111111", state="Happy")


def test_schedule_roundtrip_and_validation():
    s = MaintenanceSchedule(
        maintenance_task_id=TASK,
        schedule="Mon *-*-* 00:00",
        selectors=[{"key": "subscriptionState", "operator": "eq", "value": "Registered"}],
        look_forward_count=2,
        schedule_across="24h",
    )
    assert roundtrip(MaintenanceSchedule, s) == s
    d = s.to_dict()
    d["lookForwardCount"] = 0
    with pytest.raises(DocumentError, match="lookForwardCount"):
        MaintenanceSchedule.from_dict(d)
    d = s.to_dict()
    d["scheduleAcross"] = "1 day"
    with pytest.raises(DocumentError, match="scheduleAcross"):
        MaintenanceSchedule.from_dict(d)


def test_cluster_properties_reject_bad_values():
    with pytest.raises(DocumentError, match="outboundType"):
        OpenShiftClusterProperties.from_dict({"networkProfile": {"outboundType": "Magic"}})
    with pytest.raises(DocumentError, match="operatorFlags"):
        OpenShiftClusterProperties.from_dict({"operatorFlags": {"a": 1}})
    with pytest.raises(DocumentError, match="architectureVersion"):
        OpenShiftClusterProperties.from_dict({"architectureVersion": "1"})


# -- Go pkg/api documents ------------------------------------------------------------------------
#
# A cluster document as a Go RP / MIMO stores it (pkg/api/openshiftclusterdocument.go,
# pkg/api/openshiftcluster.go): Cosmos system fields, fields this project does not model,
# `architectureVersion` an integer (api.ArchitectureVersionV1 = 0, V2 = 1; omitempty, so V1
# documents often lack it), secrets as SecureString / SecureBytes.

GO_DOC = {
    "id": "22222222-2222-2222-2222-222222222222",
    "_rid": "AbCdEf==",
    "_etag": "\"0000d2c6-0000-0000-0000-65a1b2c30000\"",
    "_ts": 1735689600,
    "key": RID.lower(),
    "partitionKey": "11111111-1111-1111-1111-111111111111",
    "clusterResourceGroupIdKey": "/subscriptions/11111111-1111-1111-1111-111111111111/resourcegroups/aro-x",
    "bucket": 17,
    "openShiftCluster": {
        "id": RID,
        "name": "Cluster1",
        "type": "Microsoft.RedHatOpenShift/openShiftClusters",
        "location": "westeurope",
        "systemData": {"createdBy": "a@example.com", "createdByType": "User"},
        "tags": {"team": "x"},
        "properties": {
            "architectureVersion": 1,
            "provisioningState": "Succeeded",
            "lastProvisioningState": "Succeeded",
            "maintenanceState": "None",
            "createdAt": "2025-01-01T00:00:00Z",
            "infraId": "cluster1-abcde",
            "sshKey": "c3NoLWtleQ==",
            "kubeadminPassword": "kube-secret-1",
            "clusterProfile": {"domain": "c1.westeurope.aroapp.io", "version": "4.15.35",
                               "resourceGroupId": "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/aro-x",
                               "pullSecret": "pull-secret-1", "fipsValidatedModules": "Disabled"},
            "networkProfile": {"podCidr": "10.128.0.0/14", "serviceCidr": "172.30.0.0/16", "mtuSize": 1500,
                               "loadBalancerProfile": {"managedOutboundIps": {"count": 1}}},
            "masterProfile": {"vmSize": "Standard_D8s_v3", "subnetId": "/subscriptions/x/master",
                              "encryptionAtHost": "Disabled"},
            "workerProfiles": [{"name": "worker", "vmSize": "Standard_D4s_v3", "count": 3}],
            "apiserverProfile": {"visibility": "Public", "url": "https://api.c1:6443/", "ip": "20.1.2.3",
                                 "intIp": "10.0.0.4"},
            "ingressProfiles": [{"name": "default", "visibility": "Public", "ip": "20.1.2.4"}],
            "servicePrincipalProfile": {"clientId": "sp-client", "clientSecret": "sp-secret-1", "spObjectId": "o"},
            "install": {"phase": 1},
        },
    },
    "correlationData": {"correlationId": "c"},
}


def _unknown_parts(d, known):
    return {k: v for k, v in d.items() if k not in known}


def test_a_go_cluster_document_loads_and_keeps_what_it_does_not_model():
    # Go keeps unknown fields too: api.MissingFields (pkg/api/missingfields.go)
    doc = OpenShiftClusterDocument.from_dict(json.loads(json.dumps(GO_DOC)))
    p = doc.properties
    assert p.architecture_version == ARCHITECTURE_VERSION_V2 == 1
    assert (p.master_profile.vm_size, p.apiserver_profile.int_ip) == ("Standard_D8s_v3", "10.0.0.4")
    doc.properties.operator_flags["aro.x"] = "true"  # patch something modelled
    out = json.loads(json.dumps(doc.to_dict()))
    levels = ([], ["openShiftCluster"], ["openShiftCluster", "properties"],
              ["openShiftCluster", "properties", "clusterProfile"],
              ["openShiftCluster", "properties", "networkProfile"],
              ["openShiftCluster", "properties", "masterProfile"],
              ["openShiftCluster", "properties", "apiserverProfile"],
              ["openShiftCluster", "properties", "servicePrincipalProfile"])
    for path in levels:
        a, b = GO_DOC, out
        for k in path:
            a, b = a[k], b[k]
        for k, v in a.items():
            if [*path, k] in levels:
                continue  # compared at its own level
            # every field read comes back as it was, serialized the same
            assert json.dumps(b[k], sort_keys=True) == json.dumps(v, sort_keys=True), (path, k)
    assert out["openShiftCluster"]["id"] == RID  # Go keeps the casing; key is lower-cased
    assert out["openShiftCluster"]["properties"]["operatorFlags"] == {"aro.x": "true"}
    # read, written, read again: the same document
    assert OpenShiftClusterDocument.from_dict(out).to_dict() == out


def test_unmodelled_secrets_are_redacted_too():
    doc = OpenShiftClusterDocument.from_dict(json.loads(json.dumps(GO_DOC)))
    shown = json.dumps(doc.to_dict(redact=True))
    for secret in ("kube-secret-1", "pull-secret-1", "sp-secret-1", "c3NoLWtleQ=="):
        assert secret not in shown and secret not in repr(doc)
        assert secret in json.dumps(doc.to_dict())


def test_architecture_version_absent_is_v1():
    # Go: ArchitectureVersionV1 = iota (0) and `json:"architectureVersion,omitempty"`
    d = json.loads(json.dumps(GO_DOC))
    del d["openShiftCluster"]["properties"]["architectureVersion"]
    assert OpenShiftClusterDocument.from_dict(d).properties.architecture_version == ARCHITECTURE_VERSION_V1 == 0


@pytest.mark.parametrize(
    "path, value, message",
    [
        (["openShiftCluster", "properties", "architectureVersion"], "1",
         "openShiftCluster.properties.architectureVersion: must be an integer"),
        (["openShiftCluster", "properties", "masterProfile", "vmSize"], 8,
         "openShiftCluster.properties.masterProfile.vmSize: must be a string"),
        (["openShiftCluster", "properties", "apiserverProfile", "intIp"], ["10.0.0.4"],
         "openShiftCluster.properties.apiserverProfile.intIp: must be a string"),
        (["openShiftCluster", "properties", "clusterProfile"], "x",
         "openShiftCluster.properties.clusterProfile: must be an object"),
        (["openShiftCluster", "properties", "servicePrincipalProfile"], "x",
         "openShiftCluster.properties.servicePrincipalProfile: must be an object"),
        (["openShiftCluster", "properties", "registryProfiles"], [5],
         "openShiftCluster.properties.registryProfiles[0]: must be an object"),
        (["openShiftCluster", "properties", "zones"], "1",
         "openShiftCluster.properties.zones: must be a list of strings"),
        (["openShiftCluster", "managedServiceIdentity"], [],
         "openShiftCluster.managedServiceIdentity: must be an object"),
        (["openShiftCluster"], None, "openShiftCluster: missing"),
    ],
)
def test_only_malformed_documents_are_refused_naming_the_field(path, value, message):
    d = json.loads(json.dumps(GO_DOC))
    target = d
    for k in path[:-1]:
        target = target[k]
    if value is None:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    with pytest.raises(DocumentError) as info:
        OpenShiftClusterDocument.from_dict(d)
    assert str(info.value).startswith(message), str(info.value)


def test_workload_identity_is_go_uses_workload_identity():
    # Go (*OpenShiftCluster).UsesWorkloadIdentity: a workload identity profile AND no service principal
    both = OpenShiftClusterProperties(platform_workload_identity_profile={}, service_principal_profile=None)
    assert both.authentication_type == "WorkloadIdentity"
    sp = OpenShiftClusterProperties.from_dict(
        {"platformWorkloadIdentityProfile": {}, "servicePrincipalProfile": {"clientId": "x"}}
    )
    assert sp.authentication_type == "ServicePrincipal"


def test_subscription_document_keeps_go_fields():
    go = {"id": "11111111-1111-1111-1111-111111111111", "_etag": "e", "deleting": False,
          "subscription": {"state": "Registered", "properties": {
              "tenantId": "33333333-3333-3333-3333-333333333333",
              "registeredFeatures": [{"name": "Microsoft.RedHatOpenShift/x", "state": "Registered"}]}}}
    s = SubscriptionDocument.from_dict(json.loads(json.dumps(go)))
    assert s.tenant_id == "33333333-3333-3333-3333-333333333333"
    assert s.to_dict() == go


def test_manifest_and_schedule_read_from_go_cosmos_documents():
    # pkg/api/mimodocument.go: the manifest's own fields nest under maintenanceManifest
    go_manifest = {
        "id": "44444444-4444-4444-4444-444444444444", "_rid": "r", "_ts": 5, "_etag": "e", "ttl": 100,
        "clusterResourceID": RID.lower(), "leaseOwner": "", "dequeues": 2,
        "maintenanceManifest": {"state": "Failed", "statusText": "TransientError: x",
                                "maintenanceTaskID": TASK, "priority": 1, "runAfter": 10, "runBefore": 20},
    }
    m = MaintenanceManifest.from_dict(go_manifest)
    assert (m.state, m.status_text, m.dequeues, m.run_before) == ("Failed", "TransientError: x", 2, 20)
    go_schedule = {
        "id": "55555555-5555-5555-5555-555555555555", "_rid": "r",
        "maintenanceSchedule": {"state": "Enabled", "maintenanceTaskID": TASK, "schedule": "Mon *-*-* 00:00",
                                "lookForwardCount": 2, "scheduleAcross": "1h",
                                "selectors": [{"key": "architectureVersion", "operator": "eq", "value": "1"}]},
    }
    s = MaintenanceSchedule.from_dict(go_schedule)
    assert (s.look_forward_count, s.selectors[0].value) == (2, "1")
    go_manifest["maintenanceManifest"]["bogus"] = 1
    with pytest.raises(DocumentError, match="^bogus: unknown field"):
        MaintenanceManifest.from_dict(go_manifest)


@pytest.mark.parametrize("key", [RID, RID.lower() + "x", "", 7])
def test_a_key_other_than_the_lower_cased_resource_id_is_refused(key: object) -> None:
    """Go's frontend files a cluster under key = strings.ToLower(resource ID)
    (pkg/frontend/openshiftcluster_putorpatch.go): any other key names another cluster (issue #17)."""
    with pytest.raises(DocumentError, match=r"^key: must be the lower-cased openShiftCluster\.id"):
        OpenShiftClusterDocument.from_dict({**GO_DOC, "key": key})
    assert OpenShiftClusterDocument.from_dict(GO_DOC).resource_id == RID.lower()
