"""Shared values and helpers of the admin API tests."""

from __future__ import annotations

from mimo.api import OpenShiftClusterDocument, OpenShiftClusterProperties
from mimo.const import TLS_CERT_ROTATION_ID
from mimo.store.base import Store

SUB = "11111111-2222-3333-4444-555555555555"
RID = f"/subscriptions/{SUB}/resourcegroups/rg/providers/microsoft.redhatopenshift/openshiftclusters/c1"
#: the cluster's path as a caller writes it (mixed case: Go lower-cases the path)
CLUSTER_URL = f"/admin/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.RedHatOpenShift/openShiftClusters/c1"
TOKEN = "s3cret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
NOW = 1_800_000_000
TASK = TLS_CERT_ROTATION_ID


def put_cluster(store: Store, name: str = "c1", state: str = "Succeeded") -> str:
    rid = RID.rsplit("/", 1)[0] + "/" + name
    doc = OpenShiftClusterDocument(
        id="00000000-0000-4000-8000-" + format(abs(hash(name)) % 10**12, "012d"),
        resource_id=rid,
        properties=OpenShiftClusterProperties(provisioning_state=state),
    )
    store.put_cluster(doc)
    return rid
