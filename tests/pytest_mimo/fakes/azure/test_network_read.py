"""Read-only network and compute resources (NSGs, public IPs, virtual networks and subnets,
virtual machines), zonal load balancer frontends and private link services.

Through the real ``azure-mgmt-network`` / ``azure-mgmt-compute`` clients and raw ``requests``.
Shapes follow the REST API specs' examples (azure-rest-api-specs,
``specification/network/resource-manager/Microsoft.Network/stable/*/examples/``:
``NetworkSecurityGroupGet.json``, ``PublicIpAddressGet.json``, ``VirtualNetworkGet.json``,
``SubnetGet.json``, ``LoadBalancerCreateWithZones.json``; compute ``VirtualMachine_Get.json``):
a subnet is served both inside its virtual network and at its own URL.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import requests
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

from mimo.azure import AzureClients
from pytest_mimo.fakes.azure import FakeAzure
from pytest_mimo.fakes.azure.fake import UnservedRequestError
from pytest_mimo.fakes.azure.responses.sdk import supported_api_versions

NETV = supported_api_versions("microsoft.network/loadbalancers")[-1]
VM = supported_api_versions("microsoft.compute/virtualmachines")[-1]

SUB = "00000000-0000-0000-0000-000000000000"
RG_ID = f"/subscriptions/{SUB}/resourceGroups/rg"
NET = f"{RG_ID}/providers/Microsoft.Network"
VNET_ID = f"{NET}/virtualNetworks/vnet"
MASTER_SUBNET = f"{VNET_ID}/subnets/master"
ARM = "https://management.azure.com"


def _seed(fake: FakeAzure) -> None:
    fake.put_resource(f"{NET}/networkSecurityGroups/aro-nsg", {
        "location": "eastus",
        "properties": {"securityRules": [{"name": "apiserver_in", "properties": {
            "protocol": "Tcp", "sourcePortRange": "*", "destinationPortRange": "6443", "sourceAddressPrefix": "*",
            "destinationAddressPrefix": "*", "access": "Allow", "priority": 120, "direction": "Inbound"}}]},
    })
    fake.put_resource(f"{NET}/publicIPAddresses/aro-pip-v4", {
        "location": "eastus", "sku": {"name": "Standard"}, "zones": ["1", "2", "3"],
        "properties": {"publicIPAllocationMethod": "Static", "publicIPAddressVersion": "IPv4", "ipAddress": "20.1.2.3"},
    })
    fake.put_resource(VNET_ID, {
        "location": "eastus",
        "properties": {
            "addressSpace": {"addressPrefixes": ["10.0.0.0/22"]},
            "subnets": [{"name": "master", "properties": {"addressPrefix": "10.0.0.0/23"}},
                        {"name": "worker", "properties": {"addressPrefix": "10.0.2.0/23"}}],
        },
    })
    fake.put_resource(f"{RG_ID}/providers/Microsoft.Compute/virtualMachines/aro-master-0", {
        "location": "eastus", "zones": ["1"],
        "properties": {"hardwareProfile": {"vmSize": "Standard_D8s_v3"},
                       "networkProfile": {"networkInterfaces": [{"id": f"{NET}/networkInterfaces/aro-master0-nic"}]}},
    })


def test_read_only_network_resources_through_the_sdk(fake: FakeAzure, clients: AzureClients) -> None:
    _seed(fake)
    net = clients.network()
    nsg = net.network_security_groups.get("rg", "aro-nsg")
    assert nsg.id == f"{NET}/networkSecurityGroups/aro-nsg" and nsg.type == "Microsoft.Network/networkSecurityGroups"
    assert nsg.security_rules[0].id == f"{nsg.id}/securityRules/apiserver_in"
    assert nsg.provisioning_state == "Succeeded" and nsg.resource_guid and nsg.etag.startswith('W/"')
    assert [x.name for x in net.network_security_groups.list("rg")] == ["aro-nsg"]
    assert [x.name for x in net.network_security_groups.list_all()] == ["aro-nsg"]

    pip = net.public_ip_addresses.get("rg", "aro-pip-v4")
    assert pip.ip_address == "20.1.2.3" and pip.zones == ["1", "2", "3"]
    assert [x.name for x in net.public_ip_addresses.list("rg")] == ["aro-pip-v4"]

    vnet = net.virtual_networks.get("rg", "vnet")
    assert [s.id for s in vnet.subnets] == [MASTER_SUBNET, f"{VNET_ID}/subnets/worker"]
    subnet = net.subnets.get("rg", "vnet", "master")
    assert subnet.id == MASTER_SUBNET and subnet.address_prefix == "10.0.0.0/23"
    assert subnet.type == "Microsoft.Network/virtualNetworks/subnets"
    assert [s.name for s in net.subnets.list("rg", "vnet")] == ["master", "worker"]
    assert fake.get_resource(MASTER_SUBNET)["properties"]["addressPrefix"] == "10.0.0.0/23"  # type: ignore[index]


def test_subnets_of_a_missing_network_or_a_missing_subnet_are_404(fake: FakeAzure, clients: AzureClients) -> None:
    _seed(fake)
    net = clients.network()
    with pytest.raises(ResourceNotFoundError) as e:
        net.subnets.get("rg", "vnet", "nope")
    assert e.value.error.code == "ResourceNotFound"
    assert "Microsoft.Network/virtualNetworks/vnet/subnets/nope" in e.value.error.message
    with pytest.raises(ResourceNotFoundError) as e:
        list(net.subnets.list("rg", "ghost"))
    assert "Microsoft.Network/virtualNetworks/ghost'" in e.value.error.message


def test_virtual_machines_through_the_sdk(fake: FakeAzure, clients: AzureClients) -> None:
    _seed(fake)
    vms = clients.compute().virtual_machines
    vm = vms.get("rg", "aro-master-0")
    assert vm.type == "Microsoft.Compute/virtualMachines" and vm.zones == ["1"]
    assert vm.hardware_profile.vm_size == "Standard_D8s_v3"
    assert vm.provisioning_state == "Succeeded" and vm.vm_id
    assert vm.network_profile.network_interfaces[0].id.endswith("/networkInterfaces/aro-master0-nic")
    assert [x.name for x in vms.list("rg")] == ["aro-master-0"]
    assert [x.name for x in vms.list_all()] == ["aro-master-0"]
    with pytest.raises(ResourceNotFoundError):
        vms.get("rg", "aro-master-9")


def test_writes_and_expansions_of_read_only_types_fail_loudly(fake: FakeAzure, arm_token: str) -> None:
    """The fake serves these types read-only: a write (which Azure would answer) fails the test, naming the URL."""
    _seed(fake)
    h = {"Authorization": f"Bearer {arm_token}"}
    for path, version in ((f"{NET}/networkSecurityGroups/aro-nsg", NETV), (f"{NET}/publicIPAddresses/aro-pip-v4", NETV),
                          (VNET_ID, NETV), (MASTER_SUBNET, NETV),
                          (f"{RG_ID}/providers/Microsoft.Compute/virtualMachines/aro-master-0", VM)):
        url = f"{ARM}{path}?api-version={version}"
        for method in ("PUT", "DELETE", "PATCH"):
            with pytest.raises(UnservedRequestError, match=re.escape(f"{method} {url}")):
                requests.request(method, url, headers=h, json={"location": "eastus"})
    url = f"{ARM}{RG_ID}/providers/Microsoft.Compute/virtualMachines/aro-master-0?api-version={VM}&$expand=instanceView"
    with pytest.raises(UnservedRequestError, match=r"\$expand"):
        requests.get(url, headers=h)
    assert fake.get_resource(VNET_ID) is not None


def _lb_with_frontend(name: str, zones: list[str] | None = None, **props: Any) -> dict[str, Any]:
    fe: dict[str, Any] = {"name": name, "properties": {"privateIPAllocationMethod": "Dynamic",
                                                       "subnet": {"id": MASTER_SUBNET}, **props}}
    if zones is not None:
        fe["zones"] = zones
    return {"location": "eastus", "sku": {"name": "Standard"},
            "properties": {"frontendIPConfigurations": [fe], "backendAddressPools": [{"name": "aro"}]}}


def test_zonal_frontends_are_kept_and_their_zones_are_fixed(fake: FakeAzure, clients: AzureClients) -> None:
    """LoadBalancerCreateWithZones.json: zones sit on the frontend, beside its properties. A frontend's
    zones cannot change (a new zonal frontend is added instead, as the Go MIMO's migration does): the
    fake does not know Azure's exact refusal, so it fails the test rather than accept the write."""
    _seed(fake)
    lbs = clients.load_balancers_client()
    lb = lbs.begin_create_or_update("rg", "aro-internal", _lb_with_frontend("internal-lb-ip-v4")).result()
    assert not lb.frontend_ip_configurations[0].zones
    body = fake.get_resource(lb.id)
    assert body is not None
    body["properties"]["frontendIPConfigurations"][0]["zones"] = ["1", "2", "3"]
    with pytest.raises(UnservedRequestError, match="changes the zones of frontend IP configuration"):
        lbs.begin_create_or_update("rg", "aro-internal", body)
    zonal = _lb_with_frontend("internal-lb-ip-v4", ["1", "2", "3"])
    zonal["properties"]["frontendIPConfigurations"][0]["name"] = "zonal"
    zonal["properties"]["frontendIPConfigurations"].insert(0, fake.get_resource(lb.id)["properties"]["frontendIPConfigurations"][0])  # type: ignore[index]
    lb = lbs.begin_create_or_update("rg", "aro-internal", zonal).result()
    assert {f.name: f.zones for f in lb.frontend_ip_configurations} == {"internal-lb-ip-v4": None, "zonal": ["1", "2", "3"]}


def test_private_link_service_frontends_must_exist_and_stay(fake: FakeAzure, clients: AzureClients) -> None:
    _seed(fake)
    lbs, plss = clients.load_balancers_client(), clients.private_link_services_client()
    lb = lbs.begin_create_or_update("rg", "aro-internal", _lb_with_frontend("internal-lb-ip-v4")).result()
    fe_id = lb.frontend_ip_configurations[0].id

    def pls_body(ref: str) -> dict[str, Any]:
        return {"location": "eastus", "properties": {
            "loadBalancerFrontendIpConfigurations": [{"id": ref}],
            "ipConfigurations": [{"name": "pls-nic", "properties": {"privateIPAllocationMethod": "Dynamic",
                                                                    "subnet": {"id": MASTER_SUBNET}}}]}}

    with pytest.raises(HttpResponseError) as e:
        plss.begin_create_or_update("rg", "aro-pls", pls_body(fe_id + "-nope"))
    assert e.value.status_code == 400 and e.value.error.code == "InvalidResourceReference"
    assert f"{fe_id}-nope referenced by resource" in e.value.error.message
    pls = plss.begin_create_or_update("rg", "aro-pls", pls_body(fe_id)).result()
    assert pls.load_balancer_frontend_ip_configurations[0].id == fe_id
    assert plss.get("rg", "aro-pls").load_balancer_frontend_ip_configurations[0].id == fe_id

    # removing the frontend the service uses is refused by Azure: the fake fails the test
    replaced = _lb_with_frontend("other")
    with pytest.raises(UnservedRequestError, match="which private link service .*aro-pls uses"):
        lbs.begin_create_or_update("rg", "aro-internal", replaced)
    assert [f.name for f in lbs.get("rg", "aro-internal").frontend_ip_configurations] == ["internal-lb-ip-v4"]


def test_the_go_internal_load_balancer_zone_migration_runs_through(fake: FakeAzure, clients: AzureClients) -> None:
    """The sequence of Azure/ARO-RP pkg/cluster MigrateInternalLoadBalancerZones (the MIGRATE_LB_ZONES step):
    temporary zonal frontend, PLS moved to it, old frontend and rules removed, the zonal
    ``internal-lb-ip-v4`` added with the old address, PLS moved back, temporary frontend removed."""
    _seed(fake)
    lbs, plss = clients.load_balancers_client(), clients.private_link_services_client()
    lb = lbs.begin_create_or_update("rg", "aro-internal", _lb_with_frontend("internal-lb-ip-v4")).result()
    lb_id = lb.id
    pls = plss.begin_create_or_update("rg", "aro-pls", {"location": "eastus", "properties": {
        "loadBalancerFrontendIpConfigurations": [{"id": lb.frontend_ip_configurations[0].id}],
        "ipConfigurations": [{"name": "n", "properties": {"subnet": {"id": MASTER_SUBNET}}}]}}).result()
    zones = ["1", "2", "3"]
    temp = {"name": "1767571200-ip", "zones": zones,
            "properties": {"privateIPAllocationMethod": "Dynamic", "subnet": {"id": MASTER_SUBNET}}}
    body = lbs.get("rg", "aro-internal").as_dict()
    body["properties"]["frontendIPConfigurations"].append(temp)
    lbs.begin_create_or_update("rg", "aro-internal", body).result()
    pls_body = pls.as_dict()
    pls_body["properties"]["loadBalancerFrontendIpConfigurations"] = [{"id": f"{lb_id}/frontendIPConfigurations/{temp['name']}"}]
    plss.begin_create_or_update("rg", "aro-pls", pls_body).result()
    body["properties"]["frontendIPConfigurations"] = [temp]
    body["properties"]["loadBalancingRules"] = []
    lbs.begin_create_or_update("rg", "aro-internal", body).result()
    new = {"name": "internal-lb-ip-v4", "zones": zones, "properties": {
        "privateIPAllocationMethod": "Static", "privateIPAddress": "10.0.0.10", "subnet": {"id": MASTER_SUBNET}}}
    body["properties"]["frontendIPConfigurations"] = [temp, new]
    lbs.begin_create_or_update("rg", "aro-internal", body).result()
    pls_body["properties"]["loadBalancerFrontendIpConfigurations"] = [{"id": f"{lb_id}/frontendIPConfigurations/internal-lb-ip-v4"}]
    plss.begin_create_or_update("rg", "aro-pls", pls_body).result()
    body["properties"]["frontendIPConfigurations"] = [new]
    done = lbs.begin_create_or_update("rg", "aro-internal", body).result()
    assert [(f.name, f.zones) for f in done.frontend_ip_configurations] == [("internal-lb-ip-v4", zones)]
    assert done.frontend_ip_configurations[0].private_ip_address == "10.0.0.10"
