"""The default world a test starts from: a valid cluster, its subscription, an environment."""

from __future__ import annotations

from datetime import datetime, timedelta

from mimo.api import (
    ARCHITECTURE_VERSION_V2,
    ClusterProfile,
    MasterProfile,
    OpenShiftClusterDocument,
    OpenShiftClusterProperties,
    RegistryProfile,
    Secret,
    SubscriptionDocument,
)
from mimo.environment import Environment

__all__ = [
    "SUBSCRIPTION_ID",
    "TENANT_ID",
    "CLUSTER_ID",
    "CLUSTER_RESOURCE_GROUP",
    "CLUSTER_RESOURCE_ID",
    "MSI_RP_ENDPOINT",
    "default_environment",
    "default_cluster_document",
    "default_subscription_document",
]

SUBSCRIPTION_ID = "11111111-2222-4333-8444-555555555555"
TENANT_ID = "66666666-7777-4888-9999-aaaaaaaaaaaa"
CLUSTER_ID = "c0ffee00-0000-4000-8000-00000000c1a5"
CLUSTER_RESOURCE_GROUP = "aro-mycluster"
CLUSTER_RESOURCE_ID = (
    f"/subscriptions/{SUBSCRIPTION_ID}/resourcegroups/customer-rg"
    "/providers/microsoft.redhatopenshift/openshiftclusters/mycluster"
)


#: the MSI data plane audience of the default environment, which the fake MSI data plane expects
MSI_RP_ENDPOINT = "https://msi-rp.fake-azure.invalid"


def default_environment() -> Environment:
    return Environment(msi_rp_endpoint=MSI_RP_ENDPOINT)


def default_cluster_document(now: datetime, environment: Environment | None = None) -> OpenShiftClusterDocument:
    """A healthy managed-domain cluster (architecture V2) whose ACR token was issued 30 days before ``now``."""
    env = environment or default_environment()
    return OpenShiftClusterDocument(
        id=CLUSTER_ID,
        resource_id=CLUSTER_RESOURCE_ID,
        location=env.region,
        properties=OpenShiftClusterProperties(
            provisioning_state="Succeeded",
            architecture_version=ARCHITECTURE_VERSION_V2,
            infra_id="mycluster-x7k2p",
            cluster_profile=ClusterProfile(
                domain="mycluster",
                resource_group_id=f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{CLUSTER_RESOURCE_GROUP}",
                version="4.16.30",
            ),
            master_profile=MasterProfile(
                subnet_id=(
                    f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/vnet-rg/providers/Microsoft.Network"
                    "/virtualNetworks/vnet/subnets/master"
                )
            ),
            operator_flags={"aro.imageconfig.enabled": "true", "aro.genevalogging.enabled": "true"},
            registry_profiles=[
                RegistryProfile(
                    name=env.acr_domain,
                    username="token-mycluster",
                    password=Secret("acr-token-password"),
                    issue_date=now - timedelta(days=30),
                )
            ],
        ),
    )


def default_subscription_document() -> SubscriptionDocument:
    return SubscriptionDocument(id=SUBSCRIPTION_ID, state="Registered", tenant_id=TENANT_ID)
