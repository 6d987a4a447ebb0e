"""The ARO operator's ``Cluster`` object, as Go's operator deployer builds and syncs it.

Go: ``pkg/operator/deploy/deploy.go`` (``clusterObject``, ``checkIngressIP``,
``gatewayTelemetryDomain``, ``SyncClusterObject``), its tests ``deploy_test.go``
(``TestClusterObject``, ``TestCheckIngressIP``, ``TestGatewayTelemetryDomain``), the step
``pkg/mimo/steps/cluster/operator.go`` (``SyncClusterObject``), ``clienthelper.Ensure``'s log lines
(``pkg/util/clienthelper/clienthelper.go``) and ``prod.GatewayDomains`` (``pkg/env/prod.go``).
Go's test values are kept where our documents accept them (a cluster's resource ID must be one,
the RP's subscription a UUID).
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from mimo import TerminalError, TransientError
from mimo.api import OpenShiftClusterDocument
from mimo.environment import CLOUDS, Environment
from mimo.steps.cluster.clusterobject import (
    ClusterObjectError,
    check_ingress_ip,
    cluster_spec,
    gateway_telemetry_domain,
)
from mimo.steps.cluster.operator import sync_cluster_object

ARO = ("aro.openshift.io/v1alpha1", "Cluster", "cluster")

# deploy_test.go TestClusterObject's constants
MASTER_SUBNET_ID = "/subscriptions/sub-id/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet/subnets/master"
CLUSTER_ID = ("/subscriptions/11111111-2222-4333-8444-555555555555/resourceGroups/customer-rg"
              "/providers/Microsoft.RedHatOpenShift/openShiftClusters/test-cluster")
CLUSTER_RG_ID = "test-cluster-rg-id"
LOCATION = "eastus"
SUBSCRIPTION_ID = "5b1e6a3c-8d2f-4a7b-9c0e-1f2a3b4c5d6e"  # Go: "sub-id"
RESOURCE_GROUP = "rp-rg"
ACR_DOMAIN = "arosvc.azurecr.io"
ENV_TYPE = "production"
RP_PARENT_DOMAIN = "aro.azure.com"
GATEWAY_RG = "gw-rg"
STORAGE_ACCT = "testregistry"
GATEWAY_IP = "10.0.0.1"
INGRESS_IP = "1.2.3.4"
API_INT_IP = "10.0.0.2"
INFRA_ID = "test-infra"
STORAGE_SUFFIX = "testsuffix"
GATEWAY_ENV_DOMAIN = "gateway.eastus.aro.azure.com"
ENV_DOMAIN = "test.aroenv.com"

VNET_ID = "/subscriptions/sub-id/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet"
RP_PE_SUBNET = (f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{RESOURCE_GROUP}"
                "/providers/Microsoft.Network/virtualNetworks/rp-pe-vnet-001/subnets/rp-pe-subnet")
RP_SUBNET = (f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{RESOURCE_GROUP}"
             "/providers/Microsoft.Network/virtualNetworks/rp-vnet/subnets/rp-subnet")
GW_SUBNET = (f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{GATEWAY_RG}"
             "/providers/Microsoft.Network/virtualNetworks/gateway-vnet/subnets/gateway-subnet")
#: azureclient.PublicCloud's ActiveDirectoryEndpoint, ResourceManagerEndpoint, GenevaMonitoringEndpoint
INTERNET_CHECKER_URLS = [
    f"https://{ACR_DOMAIN}/",
    "https://login.microsoftonline.com/",
    "https://management.azure.com/",
    "https://gcs.prod.monitoring.core.windows.net/",
]
#: what Go's prod GatewayDomains() returns with GATEWAY_DOMAINS=gateway.eastus.aro.azure.com
GATEWAY_DOMAINS = [GATEWAY_ENV_DOMAIN, "login.microsoftonline.com", "management.azure.com", ACR_DOMAIN,
                   "arosvc.eastus.data.azurecr.io"]


def env(**over: Any) -> Environment:
    fields: dict[str, Any] = dict(
        region=LOCATION, acr_domain=ACR_DOMAIN, domain_suffix=ENV_DOMAIN, rp_subscription_id=SUBSCRIPTION_ID,
        rp_resource_group=RESOURCE_GROUP, environment_type=ENV_TYPE, rp_parent_domain_name=RP_PARENT_DOMAIN,
        gateway_resource_group=GATEWAY_RG, gateway_domains=(GATEWAY_ENV_DOMAIN,),
    )
    fields.update(over)
    return Environment(**fields)


def oc(**props: Any) -> OpenShiftClusterDocument:
    """TestClusterObject's newOC(), as the Go pkg/api JSON of a cluster document."""
    p: dict[str, Any] = {
        "masterProfile": {"subnetId": MASTER_SUBNET_ID},
        "clusterProfile": {"domain": "example.com", "resourceGroupId": CLUSTER_RG_ID},
        "ingressProfiles": [{"name": "default", "ip": INGRESS_IP}],
        "apiserverProfile": {"intIp": API_INT_IP},
        "infraId": INFRA_ID,
        "storageSuffix": STORAGE_SUFFIX,
        "imageRegistryStorageAccountName": STORAGE_ACCT,
    }
    for k, v in props.items():
        if v is None:
            p.pop(k, None)
        else:
            p[k] = v
    return OpenShiftClusterDocument.from_dict({
        "id": "0b7d9d8a-3f5e-4c1a-9e2b-6d4c8a1f0e3b",
        "openShiftCluster": {"id": CLUSTER_ID, "properties": p},
    })


def expected(*, domain: str = "example.com", service_subnets: list[str] | None = None,
             gateway_domains: list[str] | None = None, telemetry: str = "", gateway_pe_ip: str = "",
             flags: dict[str, str] | None = None) -> dict[str, Any]:
    """TestClusterObject's buildExpected, as encoding/json writes it (omitempty)."""
    spec = {
        "resourceId": CLUSTER_ID,
        "clusterResourceGroupId": CLUSTER_RG_ID,
        "domain": domain,
        "acrDomain": ACR_DOMAIN,
        "azEnvironment": "AzurePublicCloud",
        "location": LOCATION,
        "infraId": INFRA_ID,
        "storageSuffix": STORAGE_SUFFIX,
        "vnetId": VNET_ID,
        "serviceSubnets": service_subnets or [RP_PE_SUBNET, RP_SUBNET],
        "internetChecker": {"urls": INTERNET_CHECKER_URLS},
        "apiIntIP": API_INT_IP,
        "ingressIP": INGRESS_IP,
        "operatorflags": flags if flags is not None else {"aro.environment": ENV_TYPE},
    }
    if gateway_pe_ip:
        spec["gatewayPrivateEndpointIP"] = gateway_pe_ip
    if gateway_domains:
        spec["gatewayDomains"] = gateway_domains
    if telemetry:
        spec["gatewayTelemetryDomain"] = telemetry
    return spec


def spec_of(make_task_context: Any, doc: OpenShiftClusterDocument, environment: Environment | None = None) -> Any:
    return cluster_spec(make_task_context(environment=environment or env(), cluster=doc))


# -- deploy_test.go TestClusterObject ---------------------------------------------------------------


def test_invalid_subnet_id_returns_error(make_task_context: Any) -> None:
    # "invalid subnetID returns error"
    with pytest.raises(ClusterObjectError) as e:
        spec_of(make_task_context, oc(masterProfile={"subnetId": "not-a-valid-subnet-id"}))
    assert str(e.value) == 'subnet ID "not-a-valid-subnet-id" has incorrect length'


def test_no_ingress_profiles_returns_error(make_task_context: Any) -> None:
    # "no IngressProfiles returns error"
    with pytest.raises(ClusterObjectError) as e:
        spec_of(make_task_context, oc(ingressProfiles=None))
    assert str(e.value) == "no Ingress Profiles found"


def test_gateway_disabled_no_private_endpoint_ip(make_task_context: Any) -> None:
    # "gateway disabled, no GatewayPrivateEndpointIP: neither GatewayDomains nor GatewayTelemetryDomain populated"
    assert spec_of(make_task_context, oc()) == expected()


def test_gateway_enabled_no_private_endpoint_ip(make_task_context: Any) -> None:
    # "gateway enabled, no GatewayPrivateEndpointIP: GatewayDomains and service subnet added, no GatewayTelemetryDomain"
    assert spec_of(make_task_context, oc(featureProfile={"gatewayEnabled": True})) == expected(
        service_subnets=[RP_PE_SUBNET, RP_SUBNET, GW_SUBNET],
        gateway_domains=[*GATEWAY_DOMAINS, f"{STORAGE_ACCT}.blob.core.windows.net"],
    )


def test_gateway_disabled_private_endpoint_ip_set(make_task_context: Any) -> None:
    # "gateway disabled, GatewayPrivateEndpointIP set: GatewayTelemetryDomain populated, GatewayDomains empty"
    doc = oc(networkProfile={"gatewayPrivateEndpointIp": GATEWAY_IP})
    assert spec_of(make_task_context, doc) == expected(
        telemetry=f"telemetry.{LOCATION}.{RP_PARENT_DOMAIN}", gateway_pe_ip=GATEWAY_IP
    )


def test_gateway_enabled_and_private_endpoint_ip_set(make_task_context: Any) -> None:
    # "gateway enabled and GatewayPrivateEndpointIP set: GatewayDomains and GatewayTelemetryDomain both populated"
    doc = oc(featureProfile={"gatewayEnabled": True}, networkProfile={"gatewayPrivateEndpointIp": GATEWAY_IP})
    assert spec_of(make_task_context, doc) == expected(
        service_subnets=[RP_PE_SUBNET, RP_SUBNET, GW_SUBNET],
        gateway_domains=[*GATEWAY_DOMAINS, f"{STORAGE_ACCT}.blob.core.windows.net"],
        telemetry=f"telemetry.{LOCATION}.{RP_PARENT_DOMAIN}", gateway_pe_ip=GATEWAY_IP,
    )


def test_domain_without_a_dot_is_expanded(make_task_context: Any) -> None:
    # "domain without a dot is expanded using env.Domain()"
    doc = oc(clusterProfile={"domain": "shortdomain", "resourceGroupId": CLUSTER_RG_ID})
    assert spec_of(make_task_context, doc) == expected(domain=f"shortdomain.{ENV_DOMAIN}")


def test_existing_aro_environment_flag_is_kept(make_task_context: Any) -> None:
    # "pre-existing aro.environment in OperatorFlags is not overwritten"
    doc = oc(operatorFlags={"aro.environment": "original-value"})
    assert spec_of(make_task_context, doc) == expected(flags={"aro.environment": "original-value"})


def test_other_flags_kept_and_aro_environment_added(make_task_context: Any) -> None:
    # "OperatorFlags with other keys but no aro.environment: aro.environment added, other keys preserved"
    doc = oc(operatorFlags={"some.flag": "some-value"})
    assert spec_of(make_task_context, doc) == expected(
        flags={"some.flag": "some-value", "aro.environment": ENV_TYPE}
    )


def test_architecture_v1_is_left_out_v2_written(make_task_context: Any) -> None:
    # ClusterSpec.ArchitectureVersion is `json:"architectureVersion,omitempty"`: V1 (0) is not written
    assert "architectureVersion" not in spec_of(make_task_context, oc())
    assert spec_of(make_task_context, oc(architectureVersion=1))["architectureVersion"] == 1


def test_us_government_cloud(make_task_context: Any) -> None:
    # azureclient.USGovernmentCloud: go-autorest's name and endpoints, its Geneva endpoint
    gov = env(cloud=CLOUDS["AzureUSGovernment"], cluster_keyvault_uri="https://eastus-cls.vault.usgovcloudapi.net/")
    spec = spec_of(make_task_context, oc(), gov)
    assert spec["azEnvironment"] == "AzureUSGovernmentCloud"
    assert spec["internetChecker"]["urls"][1:] == [
        "https://login.microsoftonline.us/", "https://management.usgovcloudapi.net/",
        "https://gcs.monitoring.core.usgovcloudapi.net/",
    ]


def test_gateway_domains_as_go_s_prod_environment_builds_them() -> None:
    # pkg/env/prod.go newProd: GATEWAY_DOMAINS, the AD and ARM hosts, the ACR domain, its data domain
    assert env().all_gateway_domains() == GATEWAY_DOMAINS
    assert env(gateway_domains=()).all_gateway_domains() == GATEWAY_DOMAINS[1:]


# -- what the RP environment must give (Go reads it from instance metadata and variables) -----------


@pytest.mark.parametrize(
    ("missing", "props"),
    [
        ("rp_subscription_id", {}),
        ("rp_resource_group", {}),
        ("gateway_resource_group", {"featureProfile": {"gatewayEnabled": True}}),
        ("rp_parent_domain_name", {"networkProfile": {"gatewayPrivateEndpointIp": GATEWAY_IP}}),
    ],
)
def test_an_rp_value_not_configured_is_terminal_and_named(make_task_context: Any, missing: str, props: Any) -> None:
    with pytest.raises(TerminalError) as e:
        spec_of(make_task_context, oc(**props), env(**{missing: ""}))
    assert str(e.value).startswith(f"TerminalError: environment field {missing!r} is not set: the Cluster object's")


def test_a_malformed_unmodelled_field_is_terminal_and_named(make_task_context: Any) -> None:
    with pytest.raises(TerminalError) as e:
        spec_of(make_task_context, oc(ingressProfiles=[{"name": "default", "ip": 7}]))
    assert str(e.value) == "TerminalError: cluster document: properties.ingressProfiles[0].ip: must be a string"
    with pytest.raises(TerminalError, match=r"properties\.featureProfile\.gatewayEnabled: must be a bool"):
        spec_of(make_task_context, oc(featureProfile={"gatewayEnabled": "yes"}))


# -- deploy_test.go TestCheckIngressIP, TestGatewayTelemetryDomain --------------------------------------


@pytest.mark.parametrize(
    ("profiles", "want"),
    [
        ([{"name": "default", "ip": "1.2.3.4"}], "1.2.3.4"),  # default IngressProfile
        ([{"name": "custom-ingress", "ip": "1.1.1.1"}, {"name": "default", "ip": "1.2.3.4"},
          {"name": "not-default", "ip": "1.1.2.2"}], "1.2.3.4"),  # Multiple IngressProfiles, pick default
        ([{"name": "custom-ingress", "ip": "1.1.1.1"}], "1.1.1.1"),  # Single Ingress Profile, No Default
        ([{"name": "custom-ingress", "ip": "1.1.1.1"}, {"name": "not-default", "ip": "1.1.2.2"}],
         "1.1.1.1"),  # Multiple Ingress Profiles, No Default
    ],
)
def test_check_ingress_ip(profiles: list[dict[str, str]], want: str) -> None:
    assert check_ingress_ip(profiles) == want


@pytest.mark.parametrize(
    ("profiles", "error"),
    [
        ([{"name": "default", "ip": ""}], "ingress IP is empty"),  # Single IngressProfile with empty IP
        ([{"name": "custom-ingress", "ip": "1.1.1.1"}, {"name": "default", "ip": ""}],
         "ingress IP is empty"),  # Multiple IngressProfiles, default has empty IP
        ([], "no Ingress Profiles found"),  # No Ingresses / Nil IngressProfiles
    ],
)
def test_check_ingress_ip_errors(profiles: list[dict[str, str]], error: str) -> None:
    with pytest.raises(ClusterObjectError) as e:
        check_ingress_ip(profiles)
    assert str(e.value) == error


@pytest.mark.parametrize(
    ("location", "suffix", "want"),
    [
        ("eastus", "aro.azure.com", "telemetry.eastus.aro.azure.com"),
        ("usgovvirginia", "aro.azure.us", "telemetry.usgovvirginia.aro.azure.us"),
        ("", "aro.azure.com", ""),
        ("eastus", "", ""),
    ],
)
def test_gateway_telemetry_domain(location: str, suffix: str, want: str) -> None:
    assert gateway_telemetry_domain(location, suffix) == want


# -- the step: Go SyncClusterObject (operator.go) over clienthelper.Ensure -----------------------------


@pytest.fixture
def sync_tc(make_task_context: Any, fake_kube: Any) -> Any:
    return make_task_context(environment=env(), cluster=oc()).with_kube(fake_kube)


def test_sync_creates_a_missing_cluster_object(sync_tc: Any, fake_kube: Any, caplog: Any) -> None:
    # Ensure: not found -> "Create <key>" and create (Go's UpdateClusterOperatorFlags, not this step,
    # treats a missing object as terminal)
    caplog.set_level(logging.INFO, "mimo.task")
    sync_cluster_object(sync_tc)
    assert fake_kube.get(*ARO)["spec"] == expected()
    assert [r.getMessage() for r in caplog.records] == ["Create Cluster.aro.openshift.io/cluster"]


def test_sync_updates_what_differs_keeps_status_and_fields_go_does_not_set(
    sync_tc: Any, fake_kube: Any, caplog: Any
) -> None:
    # Merge copies the status over; a field Go sets to its zero value (gatewayDomains) goes; the
    # banner, which clusterObject does not set, stays (README: Go differences)
    fake_kube.add({
        "apiVersion": "aro.openshift.io/v1alpha1", "kind": "Cluster", "metadata": {"name": "cluster"},
        "spec": {"resourceId": CLUSTER_ID, "operatorflags": {"aro.stale": "true"}, "gatewayDomains": ["old.example"],
                 "banner": {"content": "ClusterMaintenanceScheduled"}},
        "status": {"operatorVersion": "v20260101.0"},
    })
    caplog.set_level(logging.INFO, "mimo.task")
    sync_cluster_object(sync_tc)
    obj = fake_kube.get(*ARO)
    assert obj["spec"] == {**expected(), "banner": {"content": "ClusterMaintenanceScheduled"}}
    assert obj["status"] == {"operatorVersion": "v20260101.0"}
    assert [r.getMessage() for r in caplog.records] == ["Update Cluster.aro.openshift.io/cluster: changed"]
    rv = obj["metadata"]["resourceVersion"]
    caplog.clear()
    sync_cluster_object(sync_tc)  # in sync: Merge finds no change, nothing written or logged
    assert fake_kube.get(*ARO)["metadata"]["resourceVersion"] == rv
    assert caplog.records == []


def test_sync_errors_are_go_s_transient_wrapping(make_task_context: Any, fake_kube: Any, mimo_faults: Any) -> None:
    # operator.go SyncClusterObject: mimo.TransientError(fmt.Errorf("failed syncing cluster resource: %w", err))
    tc = make_task_context(environment=env(), cluster=oc(ingressProfiles=None)).with_kube(fake_kube)
    with pytest.raises(TransientError) as e:
        sync_cluster_object(tc)
    assert str(e.value) == "TransientError: failed syncing cluster resource: no Ingress Profiles found"
    mimo_faults.inject("kube", "unavailable", match="clusters")
    with pytest.raises(TransientError) as e:
        sync_cluster_object(make_task_context(environment=env(), cluster=oc()).with_kube(fake_kube))
    assert str(e.value).startswith("TransientError: failed syncing cluster resource: ")
