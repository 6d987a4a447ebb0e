import logging

import pytest

from mimo import TerminalError, get_task_context
from mimo.context import BaseTaskContext, TaskContext, Unavailable
from mimo.environment import Environment

from .clocks import ManualClock


class Full(BaseTaskContext):
    def client_helper(self):
        return "kube"

    def load_balancers_client(self):
        return None

    interfaces_client = private_link_services_client = resource_skus_client = load_balancers_client
    tokens_client = registries_client = cluster_keyvault = load_balancers_client
    cluster_msi_keyvault = msi_dataplane = load_balancers_client


def test_get_task_context_on_non_context():
    with pytest.raises(TerminalError) as info:
        get_task_context(object())
    assert "not a TaskContext: object" in str(info.value)


def test_get_task_context_returns_context():
    tc = Full(clock=ManualClock(), environment=Environment(), cluster=None, subscription=None)
    assert get_task_context(tc) is tc
    assert isinstance(tc, TaskContext)


def test_missing_documents_name_what_is_missing():
    tc = Full(clock=ManualClock(), environment=Environment(), cluster=None, subscription=None)
    with pytest.raises(Unavailable, match="cluster document"):
        tc.get_cluster_uuid()
    with pytest.raises(Unavailable, match="subscription document"):
        tc.get_subscription_document()
    from mimo.api import OpenShiftClusterDocument

    rid = "/subscriptions/11111111-1111-1111-1111-111111111111/resourcegroups/rg/providers/microsoft.redhatopenshift/openshiftclusters/c"
    doc = OpenShiftClusterDocument(id="22222222-2222-2222-2222-222222222222", resource_id=rid)
    tc = Full(clock=ManualClock(), environment=Environment(), cluster=doc, subscription=None)
    with pytest.raises(Unavailable, match="patch_openshift_cluster_document: this TaskContext has no store"):
        tc.patch_openshift_cluster_document(lambda d: None)


def test_log_carries_context_fields(caplog):
    from mimo.api import MaintenanceManifest, OpenShiftClusterDocument

    rid = "/subscriptions/11111111-1111-1111-1111-111111111111/resourcegroups/rg/providers/microsoft.redhatopenshift/openshiftclusters/c"
    doc = OpenShiftClusterDocument(id="22222222-2222-2222-2222-222222222222", resource_id=rid)
    m = MaintenanceManifest.new(rid, "9b741734-6505-447f-8510-85eb0ae561a2", now=0)
    tc = Full(clock=ManualClock(), environment=Environment(), cluster=doc, subscription=None, manifest=m)
    with caplog.at_level(logging.INFO):
        tc.log().info("hello")
    rec = caplog.records[-1]
    assert rec.manifest_id == m.id and rec.task_id == m.maintenance_task_id and rec.cluster == rid
    # the text is the step's own (Go's task log keeps its message bare); Go's field names ride beside it
    assert rec.getMessage() == "hello"
    assert (rec.manifestID, rec.taskID, rec.resource_id, rec.resource_name) == (m.id, m.maintenance_task_id, rid, "c")
    from mimo.logfields import LOG_FORMAT, FieldsFormatter

    line = FieldsFormatter(LOG_FORMAT).format(rec)
    assert line.endswith(f" mimo.task hello manifestID={m.id} taskID={m.maintenance_task_id} resource_id={rid}")


def test_result_message():
    tc = Full(clock=ManualClock(), environment=Environment(), cluster=None, subscription=None)
    tc.set_result_message("done")
    assert tc.result_message == "done"
