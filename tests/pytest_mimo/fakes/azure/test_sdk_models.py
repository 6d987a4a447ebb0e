"""Read-only and required properties, and api-versions, taken from the official SDKs' models.

Sources: the ``azure-mgmt-*`` packages' model metadata (msrest ``_attribute_map`` / ``_validation``;
TypeSpec ``rest_field(visibility=["read"])``); the ARM RPC (resource-api-reference.md, "Create/Update
Resource": read-only properties in a request are ignored); ARM's own ``NoRegisteredProviderFound`` /
``InvalidApiVersionParameter`` answers (quoted in Azure/azure-cli#28496, ansible-collections/azure#1739);
the network RP's parse errors (``InvalidRequestFormat`` "Cannot parse the request." with details,
hashicorp/terraform-provider-azurerm#24291).
"""

from __future__ import annotations

from typing import Any, ClassVar

import pytest
import requests
from azure.core.exceptions import HttpResponseError
from azure.mgmt.network import NetworkManagementClient

from mimo.azure import AzureClients
from pytest_mimo.fakes.azure import FakeAzure
from pytest_mimo.fakes.azure.models.sdkmodels import (
    SdkResource,
    missing_required,
    model_shape,
    read_only_paths,
    shape_of,
    strip_read_only,
)
from pytest_mimo.fakes.azure.responses.sdk import ARM_API_VERSIONS, supported_api_versions

SUB = "00000000-0000-0000-0000-000000000000"
RG_ID = f"/subscriptions/{SUB}/resourceGroups/rg"
NET = supported_api_versions("microsoft.network/loadbalancers")[-1]
LB_ID = f"{RG_ID}/providers/Microsoft.Network/loadBalancers/lb"
ARM = "https://management.azure.com"


def _h(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# -- the models themselves ----------------------------------------------------------------------
class _SubResource:  # an msrest-style model, as azure-mgmt-compute 33 / -containerregistry 14 ship them
    _validation: ClassVar[dict[str, Any]] = {"etag": {"readonly": True}}
    _attribute_map: ClassVar[dict[str, Any]] = {"id": {"key": "id", "type": "str"},
                                                "etag": {"key": "etag", "type": "str"}}


class _Thing:
    _validation: ClassVar[dict[str, Any]] = {"name": {"readonly": True}, "vm_id": {"readonly": True},
                                             "port": {"required": True}}
    _attribute_map: ClassVar[dict[str, Any]] = {
        "name": {"key": "name", "type": "str"},
        "vm_id": {"key": "properties.vmId", "type": "str"},  # flattened into "properties"
        "port": {"key": "properties.port", "type": "int"},
        "refs": {"key": "properties.refs", "type": "[_SubResource]"},
        "tag\\.s": {"key": "tag\\.s", "type": "{str}"},
    }


def test_msrest_models_flatten_dotted_keys_and_mark_readonly_and_required() -> None:
    shape = model_shape(_Thing)
    assert shape.props["name"].read_only
    props = shape.props["properties"].shape
    assert props is not None and props.props["vmId"].read_only and props.props["port"].required
    assert props.props["refs"].container == "list" and props.props["refs"].shape is not None
    body = {"name": "x", "properties": {"vmId": "v", "port": 1, "refs": [{"id": "a", "etag": "e"}]}}
    assert read_only_paths(shape, body) == ["name", "properties.vmId", "properties.refs[0].etag"]
    assert strip_read_only(shape, body) == {"properties": {"port": 1, "refs": [{"id": "a"}]}}
    assert missing_required(shape, {"properties": {}}) == ["properties.port"]


def test_typespec_models_read_visibility_and_required_annotations() -> None:
    """azure-mgmt-network's own models: a NIC's virtualMachine and macAddress, a frontend's
    loadBalancingRules, a pool's backendIPConfigurations are read-only; a probe's port is required."""
    nic = shape_of(SdkResource("azure.mgmt.network", "NetworkInterface", "NetworkInterfacesOperations"))
    props = nic.props["properties"].shape
    assert props is not None
    assert props.props["virtualMachine"].read_only and props.props["macAddress"].read_only
    assert not props.props["ipConfigurations"].read_only
    lb = shape_of(SdkResource("azure.mgmt.network", "LoadBalancer", "LoadBalancersOperations"))
    lbp = lb.props["properties"].shape
    assert lbp is not None
    fe = lbp.props["frontendIPConfigurations"].shape.props["properties"].shape  # type: ignore[union-attr]
    pool = lbp.props["backendAddressPools"].shape.props["properties"].shape  # type: ignore[union-attr]
    probe = lbp.props["probes"].shape.props["properties"].shape  # type: ignore[union-attr]
    assert fe.props["loadBalancingRules"].read_only and pool.props["backendIPConfigurations"].read_only
    assert probe.props["port"].required and probe.props["protocol"].required


# -- api-versions --------------------------------------------------------------------------------
def test_an_api_version_the_type_does_not_have_is_no_registered_provider_found(fake: FakeAzure, arm_token: str) -> None:
    fake.put_resource(LB_ID, {"location": "eastus"})
    assert requests.get(f"{ARM}{LB_ID}?api-version={NET}", headers=_h(arm_token)).status_code == 200
    r = requests.get(f"{ARM}{LB_ID}?api-version=1999-01-01", headers=_h(arm_token))
    assert r.status_code == 400
    assert r.json()["error"] == {
        "code": "NoRegisteredProviderFound",
        "message": "No registered resource provider found for location 'eastus' and API version '1999-01-01' for "
                   f"type 'loadBalancers'. The supported api-versions are "
                   f"'{', '.join(supported_api_versions('microsoft.network/loadbalancers'))}'.",
    }
    client = NetworkManagementClient(fake.credential(), SUB)
    with pytest.raises(HttpResponseError) as e:
        client.load_balancers.get("rg", "lb", api_version="1999-01-01")
    assert e.value.status_code == 400 and e.value.error.code == "NoRegisteredProviderFound"


def test_a_malformed_api_version_is_invalid_api_version_parameter(fake: FakeAzure, arm_token: str) -> None:
    want = ("The api-version '%%%' is invalid. The supported versions are "
            f"'{','.join(ARM_API_VERSIONS)}'.")
    for url in (f"{ARM}{LB_ID}?api-version=%25%25%25", f"{ARM}{RG_ID}?api-version=%25%25%25"):
        r = requests.get(url, headers=_h(arm_token))
        assert r.status_code == 400
        assert r.json()["error"] == {"code": "InvalidApiVersionParameter", "message": want}
    r = requests.get(f"{ARM}{RG_ID}?api-version=1999-01-01", headers=_h(arm_token))
    assert r.json()["error"]["code"] == "InvalidApiVersionParameter"
    assert requests.get(f"{ARM}{RG_ID}?api-version=2021-04-01", headers=_h(arm_token)).status_code == 200


def test_every_sdk_default_version_is_served(fake: FakeAzure, clients: AzureClients) -> None:
    """What the runtime's clients send is what the fake serves (the set is read from the same SDKs)."""
    fake.put_resource(LB_ID, {"location": "eastus"})
    assert clients.load_balancers_client().get("rg", "lb").name == "lb"
    sent = {r.path.split("api-version=")[1].split("&")[0] for r in fake.requests if "api-version=" in r.path}
    assert sent <= set(supported_api_versions("microsoft.network/loadbalancers"))


# -- read-only properties on the wire -----------------------------------------------------------------
def test_read_only_properties_in_a_put_are_dropped_at_any_depth(fake: FakeAzure, arm_token: str, vclock: Any) -> None:
    """resource-api-reference.md: read-only properties in a PUT are ignored. A frontend's
    loadBalancingRules back-reference to a rule that does not exist is dropped, not refused."""
    body = {"location": "eastus", "properties": {
        "provisioningState": "Failed", "resourceGuid": "not-mine",
        "frontendIPConfigurations": [{"name": "fe", "etag": 'W/"mine"', "properties": {
            "publicIPAddress": None,
            "loadBalancingRules": [{"id": f"{LB_ID}/loadBalancingRules/ghost"}]}}],
        "backendAddressPools": [{"name": "pool", "properties": {
            "backendIPConfigurations": [{"id": f"{RG_ID}/providers/Microsoft.Network/networkInterfaces/n/ipConfigurations/i"}]}}],
    }}
    r = requests.put(f"{ARM}{LB_ID}?api-version={NET}", json=body, headers=_h(arm_token))
    assert r.status_code == 201, r.text
    vclock.sleep(fake.lro_seconds)
    stored = fake.get_resource(LB_ID)
    assert stored is not None
    props = stored["properties"]
    assert props["provisioningState"] == "Succeeded" and props["resourceGuid"] != "not-mine"
    fe = props["frontendIPConfigurations"][0]
    assert fe["etag"] != 'W/"mine"' and "loadBalancingRules" not in fe["properties"]
    assert "backendIPConfigurations" not in props["backendAddressPools"][0]["properties"]


def test_a_nic_put_with_a_virtual_machine_is_not_in_use(fake: FakeAzure, clients: AzureClients, arm_token: str,
                                                       vclock: Any) -> None:
    """NetworkInterfacePropertiesFormat.virtualMachine is read-only: sending it does not attach the
    NIC, so the NIC can be deleted (no NicInUse) — only a VM's networkProfile makes it in use."""
    vnet = f"{RG_ID}/providers/Microsoft.Network/virtualNetworks/vnet"
    fake.put_resource(vnet, {"location": "eastus", "properties": {
        "addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
        "subnets": [{"name": "master", "properties": {"addressPrefix": "10.0.0.0/24"}}]}})
    nic_url = f"{ARM}{RG_ID}/providers/Microsoft.Network/networkInterfaces/nic?api-version={NET}"
    body = {"location": "eastus", "properties": {
        "virtualMachine": {"id": f"{RG_ID}/providers/Microsoft.Compute/virtualMachines/vm"},
        "macAddress": "00-0D-3A-00-00-01",
        "ipConfigurations": [{"name": "ipc", "properties": {"subnet": {"id": f"{vnet}/subnets/master"}}}]}}
    assert requests.put(nic_url, json=body, headers=_h(arm_token)).status_code == 201
    vclock.sleep(fake.lro_seconds)
    nic = clients.interfaces_client().get("rg", "nic")
    assert nic.virtual_machine is None and nic.mac_address is None
    clients.interfaces_client().begin_delete("rg", "nic").result()


def test_a_missing_required_property_is_invalid_request_format(fake: FakeAzure, arm_token: str) -> None:
    """ProbePropertiesFormat.port is required (the model's annotation): the network RP cannot parse the request."""
    body = {"location": "eastus", "properties": {"probes": [{"name": "p", "properties": {"protocol": "Tcp"}}]}}
    r = requests.put(f"{ARM}{LB_ID}?api-version={NET}", json=body, headers=_h(arm_token))
    assert r.status_code == 400
    assert r.json()["error"] == {
        "code": "InvalidRequestFormat", "message": "Cannot parse the request.",
        "details": [{"code": "InvalidJson", "message": "Required property 'port' not found in JSON. "
                                                      "Path 'properties.probes[0].properties'."}],
    }
    assert fake.get_resource(LB_ID) is None
