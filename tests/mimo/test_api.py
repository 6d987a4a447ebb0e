import json
from datetime import datetime, timezone

import pytest

from mimo.api import (
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
            arch_version=1,
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
    assert d["openShiftCluster"]["properties"]["archVersion"] == 1


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
    with pytest.raises(DocumentError, match="archVersion"):
        OpenShiftClusterProperties.from_dict({"archVersion": "2"})
