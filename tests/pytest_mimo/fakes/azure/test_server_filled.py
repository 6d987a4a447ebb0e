"""What the service fills in on a write, and the references it resolves.

Sources: azure-rest-api-specs ``specification/network/resource-manager/Microsoft.Network/stable/
2024-05-01/examples/NetworkInterfaceCreate.json`` (primary, privateIPAddress from the subnet, IPv4,
dnsSettings, enableIPForwarding, the second configuration taking the primary's subnet);
``LoadBalancerCreate.json`` and the azure-mgmt-network models (frontend / pool / probe
back-references are read-only and filled from the rules); ``containerregistry/.../Registry/stable/
2025-11-01/examples/RegistryCreate.json`` (registry defaults); the network RP's reference errors as
Azure answers them (InvalidResourceReference: Azure/azure-cli#1237, #8569; SubnetIsRequired:
Azure/azure-sdk-for-python#536; MissingJsonReferenceId: Azure/azure-cli#934).
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import requests
from azure.core.exceptions import HttpResponseError

from mimo.azure import AzureClients
from pytest_mimo.fakes.azure import FakeAzure
from pytest_mimo.fakes.azure.fake import UnservedRequestError
from pytest_mimo.fakes.azure.responses.sdk import supported_api_versions

SUB = "00000000-0000-0000-0000-000000000000"
RG_ID = f"/subscriptions/{SUB}/resourceGroups/rg"
NET_ID = f"{RG_ID}/providers/Microsoft.Network"
VNET = f"{NET_ID}/virtualNetworks/rg1-vnet"
SUBNET = f"{VNET}/subnets/default"
NET = supported_api_versions("microsoft.network/networkinterfaces")[-1]
ACR = supported_api_versions("microsoft.containerregistry/registries/tokens")[-1]
ARM = "https://management.azure.com"


def _h(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def vnet(fake: FakeAzure) -> None:
    fake.put_resource(VNET, {"location": "eastus", "properties": {
        "addressSpace": {"addressPrefixes": ["172.20.0.0/16"]},
        "subnets": [{"name": "default", "properties": {"addressPrefix": "172.20.2.0/24"}}]}})


def _nic(ipcs: list[dict[str, Any]]) -> dict[str, Any]:
    return {"location": "eastus", "properties": {"ipConfigurations": ipcs}}


def test_a_nic_is_filled_in_as_network_interface_create_json_shows(vnet: None, clients: AzureClients) -> None:
    nics = clients.interfaces_client()
    nic = nics.begin_create_or_update("rg", "test-nic", _nic([
        {"name": "ipconfig1", "properties": {"subnet": {"id": SUBNET}}},
        {"name": "ipconfig2", "properties": {}},
    ])).result().as_dict()
    props = nic["properties"]
    first, second = props["ipConfigurations"]
    assert first["properties"]["privateIPAddress"] == "172.20.2.4"
    assert first["properties"]["primary"] is True and second["properties"]["primary"] is False
    assert second["properties"]["subnet"] == {"id": SUBNET}  # the primary's subnet
    assert second["properties"]["privateIPAddress"] == "172.20.2.5"
    for ipc in (first, second):
        assert ipc["properties"]["privateIPAllocationMethod"] == "Dynamic"
        assert ipc["properties"]["privateIPAddressVersion"] == "IPv4"
    assert props["dnsSettings"] == {"dnsServers": [], "appliedDnsServers": []}
    assert props["enableIPForwarding"] is False and props["vnetEncryptionSupported"] is False
    uuid.UUID(props["resourceGuid"])


def test_private_addresses_are_allocated_kept_and_freed(vnet: None, fake: FakeAzure, clients: AzureClients) -> None:
    nics = clients.interfaces_client()
    body = _nic([{"name": "ipc", "properties": {"subnet": {"id": SUBNET}}}])

    def address(name: str) -> str:
        return str(nics.get("rg", name).ip_configurations[0].private_ip_address)

    nics.begin_create_or_update("rg", "a", body).result()
    nics.begin_create_or_update("rg", "b", body).result()
    assert (address("a"), address("b")) == ("172.20.2.4", "172.20.2.5")
    again = nics.get("rg", "a").as_dict()
    again["tags"] = {"x": "y"}
    nics.begin_create_or_update("rg", "a", again).result()  # a re-PUT keeps its address
    assert address("a") == "172.20.2.4"
    static = _nic([{"name": "ipc", "properties": {"subnet": {"id": SUBNET}, "privateIPAllocationMethod": "Static",
                                                  "privateIPAddress": "172.20.2.6"}}])
    nics.begin_create_or_update("rg", "s", static).result()
    nics.begin_create_or_update("rg", "c", body).result()
    assert address("s") == "172.20.2.6" and address("c") == "172.20.2.7"
    nics.begin_delete("rg", "a").result()
    nics.begin_create_or_update("rg", "d", body).result()
    assert address("d") == "172.20.2.4"  # freed by the delete


def test_subnet_references_are_resolved(vnet: None, fake: FakeAzure, arm_token: str) -> None:
    url = f"{ARM}{NET_ID}/networkInterfaces/nic?api-version={NET}"
    nic_id = f"{NET_ID}/networkInterfaces/nic"
    r = requests.put(url, json=_nic([{"name": "ipc", "properties": {}}]), headers=_h(arm_token))
    assert r.status_code == 400 and r.json()["error"] == {
        "code": "SubnetIsRequired", "message": f"Subnet reference is required for ipconfiguration {nic_id}/ipConfigurations/ipc."}
    r = requests.put(url, json=_nic([{"name": "ipc", "properties": {"subnet": {}}}]), headers=_h(arm_token))
    assert r.status_code == 400 and r.json()["error"] == {
        "code": "InvalidRequestFormat", "message": "Cannot parse the request.",
        "details": [{"code": "MissingJsonReferenceId", "message": "Value for reference id is missing. "
                                                                  "Path properties.ipConfigurations[0].properties.subnet."}]}
    for ref, named in ((f"{VNET}/subnets/nope", f"{VNET}/subnets/nope"),
                       (f"{NET_ID}/virtualNetworks/gone/subnets/default", f"{NET_ID}/virtualNetworks/gone")):
        r = requests.put(url, json=_nic([{"name": "ipc", "properties": {"subnet": {"id": ref}}}]), headers=_h(arm_token))
        assert r.status_code == 400 and r.json()["error"] == {
            "code": "InvalidResourceReference",
            "message": f"Resource {named} referenced by resource {nic_id} was not found. Please make sure that the "
                       "referenced resource exists, and that both resources are in the same region."}
    assert fake.get_resource(nic_id) is None


def _lb(rules: bool = True) -> dict[str, Any]:
    lb = f"{NET_ID}/loadBalancers/lb"
    props: dict[str, Any] = {
        "frontendIPConfigurations": [{"name": "fe", "properties": {"subnet": {"id": SUBNET}}}],
        "backendAddressPools": [{"name": "pool"}],
        "probes": [{"name": "probe", "properties": {"protocol": "Tcp", "port": 80}}],
    }
    if rules:
        props["loadBalancingRules"] = [{"name": "rule", "properties": {
            "frontendIPConfiguration": {"id": f"{lb}/frontendIPConfigurations/fe"},
            "backendAddressPool": {"id": f"{lb}/backendAddressPools/pool"},
            "probe": {"id": f"{lb}/probes/probe"}, "protocol": "Tcp", "frontendPort": 80, "backendPort": 80}}]
    return {"location": "eastus", "sku": {"name": "Standard"}, "properties": props}


def test_load_balancer_frontends_pools_and_probes_get_their_back_references(vnet: None, clients: AzureClients) -> None:
    lbs = clients.load_balancers_client()
    lb = lbs.begin_create_or_update("rg", "lb", _lb()).result()
    rule_id = f"{NET_ID}/loadBalancers/lb/loadBalancingRules/rule"
    fe = lb.frontend_ip_configurations[0]
    assert fe.private_ip_address == "172.20.2.4" and fe.private_ip_allocation_method == "Dynamic"
    assert fe.private_ip_address_version == "IPv4"
    assert [r.id for r in fe.load_balancing_rules] == [rule_id]
    assert [r.id for r in lb.backend_address_pools[0].load_balancing_rules] == [rule_id]
    assert [r.id for r in lb.probes[0].load_balancing_rules] == [rule_id]
    lb = lbs.begin_create_or_update("rg", "lb", _lb(rules=False)).result()  # maintained on every write
    assert lb.frontend_ip_configurations[0].load_balancing_rules is None
    assert lb.probes[0].load_balancing_rules is None
    assert lb.frontend_ip_configurations[0].private_ip_address == "172.20.2.4"


def test_a_frontend_in_a_missing_subnet_is_invalid_resource_reference(fake: FakeAzure, clients: AzureClients) -> None:
    with pytest.raises(HttpResponseError) as e:
        clients.load_balancers_client().begin_create_or_update("rg", "lb", _lb())
    assert e.value.status_code == 400 and e.value.error.code == "InvalidResourceReference"
    assert e.value.error.message.startswith(f"Resource {VNET} referenced by resource {NET_ID}/loadBalancers/lb was not found.")


def test_a_subnet_lists_what_is_in_it(vnet: None, clients: AzureClients) -> None:
    """SubnetPropertiesFormat.ipConfigurations (read-only): the NIC IP configurations and frontends in it."""
    clients.interfaces_client().begin_create_or_update(
        "rg", "nic", _nic([{"name": "ipc", "properties": {"subnet": {"id": SUBNET}}}])).result()
    clients.load_balancers_client().begin_create_or_update("rg", "lb", _lb()).result()
    subnet = clients.network().subnets.get("rg", "rg1-vnet", "default")
    assert sorted(c.id for c in subnet.ip_configurations) == [
        f"{NET_ID}/loadBalancers/lb/frontendIPConfigurations/fe", f"{NET_ID}/networkInterfaces/nic/ipConfigurations/ipc"]


def test_a_registry_is_filled_in_as_registry_create_json_shows(fake: FakeAzure, clients: AzureClients) -> None:
    reg = f"{RG_ID}/providers/Microsoft.ContainerRegistry/registries/myregistry"
    fake.put_resource(reg, {"location": "eastus", "sku": {"name": "Standard"}, "properties": {"adminUserEnabled": True}})
    props = clients.registries_client().get("rg", "myregistry").as_dict()["properties"]
    assert props["networkRuleSet"] == {"defaultAction": "Allow", "ipRules": []}
    policies = props["policies"]
    assert policies["quarantinePolicy"] == {"status": "disabled"}
    assert policies["trustPolicy"] == {"type": "Notary", "status": "disabled"}
    assert policies["retentionPolicy"]["days"] == 7 and policies["retentionPolicy"]["status"] == "disabled"
    assert policies["exportPolicy"] == {"status": "enabled"}
    assert props["encryption"] == {"status": "disabled"}
    assert props["publicNetworkAccess"] == "Enabled" and props["zoneRedundancy"] == "Disabled"
    assert props["dataEndpointEnabled"] is False and props["dataEndpointHostNames"] == []
    assert props["adminUserEnabled"] is True


def test_a_token_names_a_scope_map_of_its_registry(fake: FakeAzure, arm_token: str, vclock: Any) -> None:
    """Azure refuses a token whose scope map does not exist; its exact answer is not in the specs,
    so the fake fails the test loudly instead of inventing one."""
    reg = f"{RG_ID}/providers/Microsoft.ContainerRegistry/registries/acr"
    fake.put_resource(reg, {"location": "eastus"})
    fake.put_resource(f"{reg}/scopeMaps/mine", {"properties": {"actions": ["repositories/x/content/read"]}})
    for scope_map, code in (("_repositories_pull", 201), ("mine", 201)):
        url = f"{ARM}{reg}/tokens/t-{scope_map.strip('_')}?api-version={ACR}"
        r = requests.put(url, json={"properties": {"scopeMapId": f"{reg}/scopeMaps/{scope_map}"}}, headers=_h(arm_token))
        assert r.status_code == code, r.text
    with pytest.raises(UnservedRequestError, match="is not a scope map of registry"):
        requests.put(f"{ARM}{reg}/tokens/t?api-version={ACR}",
                     json={"properties": {"scopeMapId": f"{reg}/scopeMaps/ghost"}}, headers=_h(arm_token))
