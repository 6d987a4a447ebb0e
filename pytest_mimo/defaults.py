"""The default world a test starts from: a valid cluster, its subscription, an environment."""

from __future__ import annotations

from datetime import datetime, timedelta

from mimo.api import (
    ARCHITECTURE_VERSION_V2,
    APIServerProfile,
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
    "RP_SUBSCRIPTION_ID",
    "RP_RESOURCE_GROUP",
    "INGRESS_IP",
    "API_INT_IP",
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


#: the default cluster's ingress IP and internal API server IP (inside the master subnet's 10.0.0.0/23)
INGRESS_IP = "20.62.130.17"
API_INT_IP = "10.0.0.10"

#: the MSI data plane audience of the default environment, which the fake MSI data plane expects
MSI_RP_ENDPOINT = "https://msi-rp.fake-azure.invalid"


#: the RP's own subscription and resource group in the default environment (what the ARO
#: operator's Cluster object names in its serviceSubnets, Go deploy.clusterObject)
RP_SUBSCRIPTION_ID = "fe16a035-e540-4ab7-80d9-373fa9a3d6ae"
RP_RESOURCE_GROUP = "rp-eastus"


def default_environment() -> Environment:
    return Environment(msi_rp_endpoint=MSI_RP_ENDPOINT, rp_subscription_id=RP_SUBSCRIPTION_ID,
                       rp_resource_group=RP_RESOURCE_GROUP)


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
            apiserver_profile=APIServerProfile(int_ip=API_INT_IP),
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
            # Go pkg/api IngressProfile (not modelled here; kept as the document has it)
            extra={"ingressProfiles": [{"name": "default", "visibility": "Public", "ip": INGRESS_IP}]},
        ),
    )


def default_subscription_document() -> SubscriptionDocument:
    return SubscriptionDocument(id=SUBSCRIPTION_ID, state="Registered", tenant_id=TENANT_ID)
