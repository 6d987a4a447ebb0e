"""Static private IP addresses, and load balancers their NICs still join.

Sources:
* codes ``PrivateIPAddressNotInSubnet`` / ``PrivateIPAddressInReservedRange``: Microsoft's
  "Troubleshoot common Azure deployment errors" table (MicrosoftDocs azure-docs,
  ``azure-resource-manager/troubleshooting/common-deployment-errors.md``); their wording and 400 as
  Azure answers them: hashicorp/terraform-provider-azurerm#4225 (``PrivateIPAddressInReservedRange``
  "Private static IP address … falls within reserved IP range of subnet prefix …", StatusCode=400)
  and users' error bodies ("Private static IP address … does not belong to the range of subnet prefix …");
* ``PrivateIPAddressIsAllocated`` "IP configuration … is using the private IP address … which is
  already allocated to resource …": Microsoft's Azure Database for PostgreSQL private-endpoint
  article; status 400: F5Networks/terraform-azure-bigip-module#63;
* the five reserved addresses (the first four and the last of each subnet): Azure Virtual Network
  FAQ, "Are there any restrictions on using IP addresses within these subnets?";
* a load balancer a NIC's backend-pool association or a private link service still uses cannot be
  deleted (``InUseLoadBalancerCannotBeDeleted``, ``CannotDeleteLoadBalancerWithPrivateLinkService``):
  Microsoft's "Troubleshoot an Azure Load Balancer that can't be deleted", which gives neither the
  status nor the full wording; the fake fails such a test loudly (``UnservedRequestError``).
"""

from __future__ import annotations

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
VNET = f"{NET_ID}/virtualNetworks/vnet"
SUBNET = f"{VNET}/subnets/master"
LB_ID = f"{NET_ID}/loadBalancers/lb"
NET = supported_api_versions("microsoft.network/networkinterfaces")[-1]


@pytest.fixture
def vnet(fake: FakeAzure) -> None:
    fake.put_resource(VNET, {"location": "eastus", "properties": {
        "addressSpace": {"addressPrefixes": ["10.30.0.0/16"]},
        "subnets": [{"name": "master", "properties": {"addressPrefix": "10.30.20.0/27"}}]}})


def _static(name: str, address: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "properties": {"privateIPAllocationMethod": "Static", "privateIPAddress": address,
                                         "subnet": {"id": SUBNET}, **extra}}


def _dynamic(name: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "properties": {"subnet": {"id": SUBNET}, **extra}}


def _nic(*ipcs: dict[str, Any]) -> dict[str, Any]:
    return {"location": "eastus", "properties": {"ipConfigurations": list(ipcs)}}


def _lb(*frontends: dict[str, Any], pools: tuple[str, ...] = ("pool",)) -> dict[str, Any]:
    return {"location": "eastus", "sku": {"name": "Standard"}, "properties": {
        "frontendIPConfigurations": list(frontends), "backendAddressPools": [{"name": p} for p in pools]}}


@pytest.mark.parametrize(("address", "code", "message"), [
    ("10.30.21.10", "PrivateIPAddressNotInSubnet",
     "Private static IP address 10.30.21.10 does not belong to the range of subnet prefix 10.30.20.0/27."),
    ("10.30.20.1", "PrivateIPAddressInReservedRange",
     "Private static IP address 10.30.20.1 falls within reserved IP range of subnet prefix 10.30.20.0/27."),
    ("10.30.20.0", "PrivateIPAddressInReservedRange",
     "Private static IP address 10.30.20.0 falls within reserved IP range of subnet prefix 10.30.20.0/27."),
    ("10.30.20.3", "PrivateIPAddressInReservedRange",
     "Private static IP address 10.30.20.3 falls within reserved IP range of subnet prefix 10.30.20.0/27."),
    ("10.30.20.31", "PrivateIPAddressInReservedRange",
     "Private static IP address 10.30.20.31 falls within reserved IP range of subnet prefix 10.30.20.0/27."),
])
def test_a_static_address_outside_the_subnet_or_reserved_is_refused(
        fake: FakeAzure, vnet: None, clients: AzureClients, address: str, code: str, message: str) -> None:
    nics = clients.interfaces_client()
    with pytest.raises(HttpResponseError) as e:
        nics.begin_create_or_update("rg", "nic", _nic(_static("ipc", address)))
    assert (e.value.status_code, e.value.error.code, e.value.error.message) == (400, code, message)
    assert fake.get_resource(f"{NET_ID}/networkInterfaces/nic") is None  # nothing written
    # the edges of the usable range are fine: the fifth address and the one before the last
    for ok in ("10.30.20.4", "10.30.20.30"):
        nic = nics.begin_create_or_update("rg", f"nic-{ok.rsplit('.', 1)[1]}", _nic(_static("ipc", ok))).result()
        assert nic.ip_configurations[0].private_ip_address == ok
        assert nic.ip_configurations[0].private_ip_allocation_method == "Static"


def test_a_static_address_another_configuration_holds_is_private_ip_address_is_allocated(
        fake: FakeAzure, vnet: None, clients: AzureClients) -> None:
    nics = clients.interfaces_client()
    first = nics.begin_create_or_update("rg", "a", _nic(_static("ipc", "10.30.20.10"))).result()
    holder = first.ip_configurations[0].id
    with pytest.raises(HttpResponseError) as e:
        nics.begin_create_or_update("rg", "b", _nic(_static("ipc", "10.30.20.10")))
    assert e.value.status_code == 400 and e.value.error.code == "PrivateIPAddressIsAllocated"
    assert e.value.error.message == (
        f"IP configuration {NET_ID}/networkInterfaces/b/ipConfigurations/ipc is using the private IP address "
        f"10.30.20.10 which is already allocated to resource {holder}.")
    # a dynamic address held by a load balancer frontend counts as well
    lb = clients.load_balancers_client().begin_create_or_update("rg", "lb", _lb(_dynamic("fe"))).result()
    taken = lb.frontend_ip_configurations[0].private_ip_address
    with pytest.raises(HttpResponseError) as e:
        nics.begin_create_or_update("rg", "b", _nic(_static("ipc", str(taken))))
    assert e.value.error.code == "PrivateIPAddressIsAllocated"
    assert e.value.error.message.endswith(f"already allocated to resource {LB_ID}/frontendIPConfigurations/fe.")
    # two configurations of one body asking for the same address
    with pytest.raises(HttpResponseError) as e:
        nics.begin_create_or_update("rg", "b", _nic(_static("one", "10.30.20.20", primary=True),
                                                    _static("two", "10.30.20.20")))
    assert e.value.error.code == "PrivateIPAddressIsAllocated"
    assert f"{NET_ID}/networkInterfaces/b/ipConfigurations/one." in e.value.error.message
    # a NIC re-PUT with its own static address is not in conflict with itself
    again = nics.begin_create_or_update("rg", "a", _nic(_static("ipc", "10.30.20.10"))).result()
    assert again.ip_configurations[0].private_ip_address == "10.30.20.10"


def test_a_dynamic_address_never_takes_a_static_one_of_the_same_body(fake: FakeAzure, vnet: None,
                                                                      clients: AzureClients) -> None:
    """Allocation goes from the fifth address up; the dynamic configuration listed first must skip
    the address the static one after it asks for (Azure gives each address to one configuration)."""
    nic = clients.interfaces_client().begin_create_or_update(
        "rg", "nic", _nic(_dynamic("dyn", primary=True), _static("st", "10.30.20.4"))).result()
    got = {c.name: c.private_ip_address for c in nic.ip_configurations}
    assert got == {"dyn": "10.30.20.5", "st": "10.30.20.4"}


def test_a_load_balancer_frontend_static_address_is_checked_too(fake: FakeAzure, vnet: None, arm_token: str) -> None:
    """Raw requests: a frontend is an IP configuration of the subnet like a NIC's."""
    url = f"https://management.azure.com{LB_ID}?api-version={supported_api_versions('microsoft.network/loadbalancers')[-1]}"
    h = {"Authorization": f"Bearer {arm_token}"}
    r = requests.put(url, json=_lb(_static("fe", "10.30.21.4")), headers=h)
    assert r.status_code == 400 and r.json()["error"]["code"] == "PrivateIPAddressNotInSubnet"
    r = requests.put(url, json=_lb(_static("fe", "10.30.20.31")), headers=h)
    assert r.status_code == 400 and r.json()["error"]["code"] == "PrivateIPAddressInReservedRange"
    r = requests.put(url, json=_lb(_static("fe", "10.30.20.9")), headers=h)
    assert r.status_code == 201
    assert r.json()["properties"]["frontendIPConfigurations"][0]["properties"]["privateIPAddress"] == "10.30.20.9"
    nic_url = f"https://management.azure.com{NET_ID}/networkInterfaces/nic?api-version={NET}"
    r = requests.put(nic_url, json=_nic(_static("ipc", "10.30.20.9")), headers=h)
    assert r.status_code == 400 and r.json()["error"]["code"] == "PrivateIPAddressIsAllocated"
    with pytest.raises(UnservedRequestError, match="not an IPv4 address"):
        requests.put(nic_url, json=_nic(_static("ipc", "10.30.20.x")), headers=h)


def _join(pool: str) -> dict[str, Any]:
    return _nic(_dynamic("ipc", loadBalancerBackendAddressPools=[{"id": f"{LB_ID}/backendAddressPools/{pool}"}]))


def test_a_load_balancer_a_nic_joins_cannot_be_deleted_nor_lose_that_pool(fake: FakeAzure, vnet: None,
                                                                           clients: AzureClients) -> None:
    lbs, nics = clients.load_balancers_client(), clients.interfaces_client()
    lbs.begin_create_or_update("rg", "lb", _lb(_dynamic("fe"), pools=("pool", "spare"))).result()
    nic = nics.begin_create_or_update("rg", "nic", _join("pool")).result()
    pools = {p.name: p for p in lbs.get("rg", "lb").backend_address_pools}
    assert [c.id for c in pools["pool"].backend_ip_configurations] == [nic.ip_configurations[0].id]
    with pytest.raises(UnservedRequestError, match="InUseLoadBalancerCannotBeDeleted"):
        lbs.begin_delete("rg", "lb")
    with pytest.raises(UnservedRequestError, match=r"removes backend address pool .*/backendAddressPools/pool"):
        lbs.begin_create_or_update("rg", "lb", _lb(_dynamic("fe"), pools=("spare",)))
    assert fake.get_resource(LB_ID) is not None
    # a pool no NIC joins may go; once the NIC leaves, the load balancer may go too
    lbs.begin_create_or_update("rg", "lb", _lb(_dynamic("fe"), pools=("pool",))).result()
    nics.begin_create_or_update("rg", "nic", _nic(_dynamic("ipc"))).result()
    lbs.begin_delete("rg", "lb").result()
    assert fake.get_resource(LB_ID) is None


def test_a_load_balancer_a_private_link_service_fronts_cannot_be_deleted(fake: FakeAzure, vnet: None,
                                                                         clients: AzureClients) -> None:
    clients.load_balancers_client().begin_create_or_update("rg", "lb", _lb(_dynamic("fe"))).result()
    clients.private_link_services_client().begin_create_or_update("rg", "pls", {"location": "eastus", "properties": {
        "loadBalancerFrontendIpConfigurations": [{"id": f"{LB_ID}/frontendIPConfigurations/fe"}],
        "ipConfigurations": [{"name": "ipc", "properties": {"subnet": {"id": SUBNET}}}]}}).result()
    with pytest.raises(UnservedRequestError, match="CannotDeleteLoadBalancerWithPrivateLinkService"):
        clients.load_balancers_client().begin_delete("rg", "lb")
    assert fake.get_resource(LB_ID) is not None
