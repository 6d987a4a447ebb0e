"""ARM semantics from the ARM RPC contract (Azure/azure-resource-manager-rpc, v1.0/):
PATCH of tags replaces, JSON merge-patch inside properties, If-Match / If-None-Match,
Retry-After on every 201/202, deletes refused while a reference (kept read-only) exists.

Through the real SDK clients and raw ``requests``.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests
from azure.core.exceptions import HttpResponseError

from mimo.azure import AzureClients
from pytest_mimo.fakes.azure import FakeAzure
from pytest_mimo.fakes.azure.responses.sdk import supported_api_versions

NET = supported_api_versions("microsoft.network/loadbalancers")[-1]
ACR = supported_api_versions("microsoft.containerregistry/registries/tokens")[-1]

SUB = "00000000-0000-0000-0000-000000000000"
RG_ID = f"/subscriptions/{SUB}/resourceGroups/rg"
LB_ID = f"{RG_ID}/providers/Microsoft.Network/loadBalancers/lb"
LB_URL = f"https://management.azure.com{LB_ID}?api-version={NET}"
LB_BODY: dict[str, Any] = {"location": "eastus", "tags": {"a": "1"},
                           "properties": {"backendAddressPools": [{"name": "aro"}]}}
PRECONDITION = {"code": "PreconditionFailed", "message": "The condition specified using HTTP conditional header(s) is not met."}


def _h(token: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **extra}


def test_patch_of_tags_replaces_the_tag_set(fake: FakeAzure, clients: AzureClients, arm_token: str) -> None:
    """resource-api-reference.md "Patch Resource": a resource with tag1, tag2 PATCHed with tag3 has tag3 only."""
    fake.put_resource(LB_ID, {**LB_BODY, "tags": {"tag1": "x", "tag2": "y"}})
    lb = clients.load_balancers_client().update_tags("rg", "lb", {"tags": {"tag3": "z"}})
    assert lb.tags == {"tag3": "z"}
    r = requests.patch(LB_URL, json={"tags": {}}, headers=_h(arm_token))
    assert r.status_code == 200 and r.json()["tags"] == {}
    assert fake.get_resource(LB_ID)["tags"] == {}  # type: ignore[index]


def test_patch_inside_properties_is_json_merge_patch(fake: FakeAzure, arm_token: str) -> None:
    """resource-api-reference.md "Patch Resource": fields inside properties follow RFC 7396 (null removes)."""
    reg = f"{RG_ID}/providers/Microsoft.ContainerRegistry/registries/acr"
    fake.put_resource(reg, {"location": "eastus"})
    fake.put_resource(f"{reg}/tokens/t", {"properties": {"scopeMapId": f"{reg}/scopeMaps/_repositories_pull",
                                                          "status": "enabled"}})
    url = f"https://management.azure.com{reg}/tokens/t?api-version={ACR}"
    r = requests.patch(url, json={"properties": {"status": "disabled", "scopeMapId": None}}, headers=_h(arm_token))
    assert r.status_code == 200
    props = r.json()["properties"]
    assert props["status"] == "disabled" and "scopeMapId" not in props


def test_put_full_replace_drops_what_the_new_body_leaves_out(fake: FakeAzure, clients: AzureClients) -> None:
    """resource-api-reference.md "Create/Update Resource": PUT replaces the resource."""
    fake.put_resource(LB_ID, LB_BODY)
    lb = clients.load_balancers_client().begin_create_or_update("rg", "lb", {"location": "eastus"}).result()
    assert lb.tags is None and not lb.backend_address_pools


def test_if_none_match_star_on_an_existing_resource_is_412(fake: FakeAzure, arm_token: str, vclock: Any) -> None:
    """Addendum.md "ETags for Resources": PUT If-None-Match=* → 201 when absent, 412 when present."""
    r = requests.put(LB_URL, json=LB_BODY, headers=_h(arm_token, **{"If-None-Match": "*"}))
    assert r.status_code == 201
    vclock.sleep(fake.lro_seconds)
    r = requests.put(LB_URL, json=LB_BODY, headers=_h(arm_token, **{"If-None-Match": "*"}))
    assert r.status_code == 412 and r.json()["error"] == PRECONDITION
    etag = fake.get_resource(LB_ID)["etag"]  # type: ignore[index]
    r = requests.get(LB_URL, headers=_h(arm_token))
    assert r.json()["etag"] == etag


def test_if_match_as_the_etag_tables_say(fake: FakeAzure, arm_token: str, vclock: Any) -> None:
    """Addendum.md "ETags for Resources": PUT If-Match=* on a missing resource → 412; a stale etag
    → 412; the current one → 200; PATCH of a missing resource → 404, DELETE → 204, whatever If-Match says."""
    r = requests.put(LB_URL, json=LB_BODY, headers=_h(arm_token, **{"If-Match": "*"}))
    assert r.status_code == 412 and r.json()["error"] == PRECONDITION
    assert requests.patch(LB_URL, json={"tags": {}}, headers=_h(arm_token, **{"If-Match": "*"})).status_code == 404
    assert requests.delete(LB_URL, headers=_h(arm_token, **{"If-Match": 'W/"x"'})).status_code == 204
    stored = fake.put_resource(LB_ID, LB_BODY)
    r = requests.put(LB_URL, json=LB_BODY, headers=_h(arm_token, **{"If-Match": 'W/"stale"'}))
    assert r.status_code == 412
    r = requests.patch(LB_URL, json={"tags": {}}, headers=_h(arm_token, **{"If-Match": 'W/"stale"'}))
    assert r.status_code == 412
    r = requests.put(LB_URL, json=LB_BODY, headers=_h(arm_token, **{"If-Match": stored["etag"]}))
    assert r.status_code == 200
    vclock.sleep(fake.lro_seconds)
    r = requests.delete(LB_URL, headers=_h(arm_token, **{"If-Match": stored["etag"]}))
    assert r.status_code == 412  # the PUT renewed the etag


def test_every_201_and_202_carries_retry_after(fake: FakeAzure, arm_token: str, vclock: Any) -> None:
    """async-api-reference.md: 201/202 of an asynchronous operation carry Retry-After (in seconds)."""
    h = _h(arm_token)
    seen = [requests.put(LB_URL, json=LB_BODY, headers=h)]
    vclock.sleep(fake.lro_seconds)
    seen.append(requests.delete(LB_URL, headers=h))
    seen.append(requests.put(f"https://management.azure.com/subscriptions/{SUB}/resourceGroups/new?api-version=2021-04-01",
                             json={"location": "eastus"}, headers=h))
    reg = f"{RG_ID}/providers/Microsoft.ContainerRegistry/registries/acr"
    fake.put_resource(reg, {"location": "eastus"})
    seen.append(requests.put(f"https://management.azure.com{reg}/tokens/t?api-version={ACR}",
                             json={"properties": {}}, headers=h))
    vclock.sleep(fake.lro_seconds)
    seen.append(requests.post(f"https://management.azure.com{reg}/generateCredentials?api-version={ACR}",
                              json={"tokenId": f"{reg}/tokens/t"}, headers=h))
    assert [r.status_code for r in seen] == [201, 202, 201, 201, 202]
    assert all(int(r.headers["Retry-After"]) >= 10 for r in seen)


def test_a_nic_listed_by_a_vm_cannot_be_deleted(fake: FakeAzure, clients: AzureClients) -> None:
    """NicInUse comes from the VM's networkProfile: the NIC's virtualMachine is read-only and filled by the service."""
    nic_id = f"{RG_ID}/providers/Microsoft.Network/networkInterfaces/nic"
    fake.put_resource(nic_id, {"location": "eastus", "properties": {"ipConfigurations": [{"name": "ipc", "properties": {}}]}})
    vm_id = f"{RG_ID}/providers/Microsoft.Compute/virtualMachines/master-0"
    fake.put_resource(vm_id, {"location": "eastus", "properties": {"networkProfile": {"networkInterfaces": [{"id": nic_id}]}}})
    nics = clients.interfaces_client()
    assert nics.get("rg", "nic").virtual_machine.id == vm_id
    with pytest.raises(HttpResponseError) as e:
        nics.begin_delete("rg", "nic")
    assert e.value.status_code == 400 and e.value.error.code == "NicInUse"
    assert f"is used by existing resource {vm_id}" in e.value.error.message
