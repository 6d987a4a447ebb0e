"""Microsoft.Network through the real azure-mgmt-network clients, via mimo.azure."""

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

NET = supported_api_versions("microsoft.network/loadbalancers")[-1]

SUB = "00000000-0000-0000-0000-000000000000"
RG_ID = f"/subscriptions/{SUB}/resourceGroups/rg"
VNET_ID = f"{RG_ID}/providers/Microsoft.Network/virtualNetworks/vnet"
SUBNET_ID = f"{VNET_ID}/subnets/master"

BODIES: dict[str, dict[str, Any]] = {
    "load_balancers": {
        "location": "eastus",
        "sku": {"name": "Standard"},
        "properties": {
            "frontendIPConfigurations": [{"name": "fe", "properties": {"privateIPAllocationMethod": "Dynamic"}}],
            "backendAddressPools": [{"name": "aro"}, {"name": "ssh-0"}],
        },
    },
    "network_interfaces": {
        "location": "eastus",
        "properties": {"ipConfigurations": [{"name": "pipConfig", "properties": {
            "privateIPAllocationMethod": "Dynamic", "subnet": {"id": SUBNET_ID}}}]},
    },
    "private_link_services": {
        "location": "eastus",
        "properties": {"ipConfigurations": [{"name": "ipc", "properties": {"privateIPAllocationMethod": "Dynamic"}}]},
    },
}
ARM_TYPES = {
    "load_balancers": ("Microsoft.Network/loadBalancers", "frontend_ip_configurations", "frontendIPConfigurations"),
    "network_interfaces": ("Microsoft.Network/networkInterfaces", "ip_configurations", "ipConfigurations"),
    "private_link_services": ("Microsoft.Network/privateLinkServices", "ip_configurations", "ipConfigurations"),
}


@pytest.fixture
def vnet(fake: FakeAzure) -> None:
    """The virtual network NICs are created in (the network RP resolves a NIC's subnet)."""
    fake.put_resource(VNET_ID, {"location": "eastus", "properties": {
        "subnets": [{"name": "master", "properties": {"addressPrefix": "10.0.0.0/24"}}]}})


def _client(clients: AzureClients, which: str) -> Any:
    return {
        "load_balancers": clients.load_balancers_client,
        "network_interfaces": clients.interfaces_client,
        "private_link_services": clients.private_link_services_client,
    }[which]()


@pytest.mark.parametrize("which", sorted(BODIES))
def test_create_get_list_delete(fake: FakeAzure, vnet: None, clients: AzureClients, vclock: Any, which: str) -> None:
    client = _client(clients, which)
    full_type, sub_attr, sub_json = ARM_TYPES[which]
    rid = f"{RG_ID}/providers/{full_type}/thing-0"

    created = client.begin_create_or_update("rg", "thing-0", BODIES[which]).result()
    assert vclock.elapsed >= fake.lro_seconds  # the poller waited, in virtual time
    assert created.provisioning_state == "Succeeded"
    assert created.id == rid and created.name == "thing-0" and created.type == full_type
    assert created.etag.startswith('W/"')
    sub = getattr(created, sub_attr)[0]
    assert sub.id == f"{rid}/{sub_json}/{sub.name}"
    assert sub.provisioning_state == "Succeeded"

    got = client.get("rg", "thing-0")
    assert got.id == rid and got.etag == created.etag
    assert got.location == "eastus"

    client.begin_create_or_update("rg", "thing-1", BODIES[which]).result()
    assert [x.name for x in client.list("rg")] == ["thing-0", "thing-1"]

    updated = client.begin_create_or_update("rg", "thing-0", {**BODIES[which], "tags": {"a": "b"}}).result()
    assert updated.tags == {"a": "b"}
    assert updated.etag != created.etag
    guid = fake.get_resource(rid)["properties"].get("resourceGuid")
    assert guid == (getattr(created, "resource_guid", None) if which != "private_link_services" else None)

    client.begin_delete("rg", "thing-0").result()
    assert fake.get_resource(rid) is None
    assert [x.name for x in client.list("rg")] == ["thing-1"]
    with pytest.raises(ResourceNotFoundError):
        client.get("rg", "thing-0")


def test_put_shows_updating_until_the_operation_finishes(fake: FakeAzure, clients: AzureClients, vclock: Any) -> None:
    lbs = clients.load_balancers_client()
    initial = lbs.begin_create_or_update("rg", "lb", BODIES["load_balancers"], polling=False).result()
    assert initial.provisioning_state == "Updating"
    assert lbs.get("rg", "lb").provisioning_state == "Updating"
    vclock.sleep(fake.lro_seconds - 1)
    assert lbs.get("rg", "lb").provisioning_state == "Updating"
    vclock.sleep(1)
    assert lbs.get("rg", "lb").provisioning_state == "Succeeded"
    assert lbs.get("rg", "lb").frontend_ip_configurations[0].provisioning_state == "Succeeded"


def test_create_answers_201_with_azure_async_operation_and_retry_after(fake: FakeAzure, clients: AzureClients) -> None:
    clients.load_balancers_client().begin_create_or_update("rg", "lb", BODIES["load_balancers"]).result()
    put = next(r for r in fake.requests if r.method == "PUT")
    assert put.status == 201 and put.is_write and put.extra["is_lro"]
    polls = [r for r in fake.requests if r.verb == "lro_poll"]
    assert polls and all(r.resource == put.resource for r in polls)  # a poll names the resource it is about
    assert all("/providers/Microsoft.Network/locations/eastus/operations/" in r.path for r in polls)
    clients.load_balancers_client().begin_create_or_update("rg", "lb", BODIES["load_balancers"]).result()
    assert [r.status for r in fake.requests if r.method == "PUT"] == [201, 200]


def test_delete_answers_202_with_both_headers_and_204_when_absent(fake: FakeAzure, arm_token: str) -> None:
    fake.put_resource(f"{RG_ID}/providers/Microsoft.Network/loadBalancers/lb", BODIES["load_balancers"])
    url = f"https://management.azure.com{RG_ID}/providers/Microsoft.Network/loadBalancers/lb?api-version={NET}"
    h = {"Authorization": f"Bearer {arm_token}"}
    r = requests.delete(url, headers=h)
    assert r.status_code == 202
    assert "/operations/" in r.headers["Azure-AsyncOperation"]
    assert "/operationResults/" in r.headers["Location"]
    assert r.headers["Retry-After"] == "10"
    assert requests.get(url, headers=h).json()["properties"]["provisioningState"] == "Deleting"
    status = requests.get(r.headers["Azure-AsyncOperation"], headers=h)
    assert status.json()["status"] == "InProgress"
    assert requests.get(r.headers["Location"], headers=h).status_code == 202
    import time

    time.sleep(fake.lro_seconds)
    assert requests.get(r.headers["Azure-AsyncOperation"], headers=h).json()["status"] == "Succeeded"
    assert requests.get(r.headers["Location"], headers=h).status_code == 204
    assert requests.get(url, headers=h).status_code == 404
    assert requests.delete(url, headers=h).status_code == 204


def test_get_missing_raises_resource_not_found_with_arms_message(clients: AzureClients) -> None:
    with pytest.raises(ResourceNotFoundError) as e:
        clients.load_balancers_client().get("rg", "nope")
    assert e.value.status_code == 404
    assert e.value.error.code == "ResourceNotFound"
    assert e.value.error.message == (
        "The Resource 'Microsoft.Network/loadBalancers/nope' under resource group 'rg' was not found. "
        "For more details please go to https://aka.ms/ARMResourceNotFoundFix"
    )


def test_resource_ids_are_case_insensitive(fake: FakeAzure, clients: AzureClients) -> None:
    fake.put_resource(f"{RG_ID}/providers/Microsoft.Network/networkInterfaces/Master-0-NIC", BODIES["network_interfaces"])
    nic = clients.interfaces_client().get("RG", "master-0-nic")
    assert nic.name == "Master-0-NIC"  # the casing of the first write is kept
    assert fake.get_resource(nic.id.upper()) is not None


def test_put_in_a_missing_resource_group_is_resource_group_not_found(clients: AzureClients) -> None:
    with pytest.raises(ResourceNotFoundError) as e:
        clients.load_balancers_client().begin_create_or_update("nogroup", "lb", BODIES["load_balancers"])
    assert e.value.error.code == "ResourceGroupNotFound"
    assert e.value.error.message == "Resource group 'nogroup' could not be found."


def test_missing_location_is_location_required(clients: AzureClients) -> None:
    with pytest.raises(HttpResponseError) as e:
        clients.load_balancers_client().begin_create_or_update("rg", "lb", {"properties": {}})
    assert e.value.status_code == 400 and e.value.error.code == "LocationRequired"


def test_bad_json_gets_arms_400_invalid_request_content(fake: FakeAzure, arm_token: str) -> None:
    url = f"https://management.azure.com{RG_ID}/providers/Microsoft.Network/loadBalancers/lb?api-version={NET}"
    r = requests.put(url, data=b"{not json", headers={"Authorization": f"Bearer {arm_token}",
                                                      "Content-Type": "application/json"})
    assert r.status_code == 400
    err = r.json()["error"]
    assert err["code"] == "InvalidRequestContent"
    assert err["message"].startswith("The request content was invalid and could not be deserialized: ")
    r = requests.put(url, data=b"[1, 2]", headers={"Authorization": f"Bearer {arm_token}"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "InvalidRequestContent"
    assert fake.get_resource(url.split("?")[0].split(".com")[1]) is None


def test_a_resource_type_the_fake_does_not_serve_fails_loudly(fake: FakeAzure, arm_token: str) -> None:
    """virtualHubs and load balancer backend pools exist in Azure: a 404 would tell a step
    "not there" where Azure would answer; the fake must fail the test instead, naming the URL."""
    h = {"Authorization": f"Bearer {arm_token}"}
    fake.put_resource(f"{RG_ID}/providers/Microsoft.Network/loadBalancers/lb", {"location": "eastus"})
    for path in (
        f"{RG_ID}/providers/Microsoft.Network/virtualHubs/x",
        f"{RG_ID}/providers/Microsoft.Network/loadBalancers/lb/backendAddressPools/aro",
        f"{RG_ID}/providers/Microsoft.Storage/storageAccounts",
        f"/subscriptions/{SUB}/providers/Microsoft.Network/virtualHubs",
    ):
        url = f"https://management.azure.com{path}?api-version={NET}"
        with pytest.raises(UnservedRequestError, match=re.escape(f"GET {url}")):
            requests.get(url, headers=h)
    url = f"https://management.azure.com{RG_ID}/providers/Microsoft.Network/loadBalancers/lb/migrateToIpBased?api-version={NET}"
    with pytest.raises(UnservedRequestError, match="migrateToIpBased"):
        requests.post(url, headers=h, json={})
    r = requests.get(f"https://management.azure.com/nothing/here?api-version={NET}", headers=h)
    assert r.status_code == 404 and r.json()["error"]["code"] == "InvalidResourceType"


def test_missing_api_version_and_foreign_subscription(fake: FakeAzure, arm_token: str) -> None:
    h = {"Authorization": f"Bearer {arm_token}"}
    r = requests.get(f"https://management.azure.com{RG_ID}/providers/Microsoft.Network/loadBalancers/x", headers=h)
    assert r.status_code == 400 and r.json()["error"]["code"] == "MissingApiVersionParameter"
    other = "99999999-9999-9999-9999-999999999999"
    r = requests.get(f"https://management.azure.com/subscriptions/{other}/resourceGroups/rg/providers/"
                     "Microsoft.Network/loadBalancers/x?api-version=1", headers=h)
    assert r.status_code == 404
    assert r.json()["error"] == {"code": "SubscriptionNotFound", "message": f"The subscription '{other}' could not be found."}


def test_lists_page_through_next_link(vclock: Any, env: Any) -> None:
    with FakeAzure(page_size=2) as fake:
        for i in range(5):
            fake.put_resource(f"{RG_ID}/providers/Microsoft.Network/networkInterfaces/nic-{i}", BODIES["network_interfaces"])
        clients = fake.clients(env)
        assert [n.name for n in clients.interfaces_client().list("rg")] == [f"nic-{i}" for i in range(5)]
        lists = [r for r in fake.requests if r.verb == "list"]
        assert len(lists) == 3
        assert "$skiptoken=2" in lists[1].path and "$skiptoken=4" in lists[2].path
        assert [n.name for n in clients.interfaces_client().list_all()] == [f"nic-{i}" for i in range(5)]


def test_list_in_a_missing_group_is_resource_group_not_found(clients: AzureClients) -> None:
    with pytest.raises(ResourceNotFoundError) as e:
        list(clients.interfaces_client().list("ghost"))
    assert e.value.error.code == "ResourceGroupNotFound"


def test_if_match_mismatch_is_412(fake: FakeAzure, arm_token: str) -> None:
    fake.put_resource(f"{RG_ID}/providers/Microsoft.Network/loadBalancers/lb", BODIES["load_balancers"])
    url = f"https://management.azure.com{RG_ID}/providers/Microsoft.Network/loadBalancers/lb?api-version={NET}"
    r = requests.put(url, json=BODIES["load_balancers"], headers={"Authorization": f"Bearer {arm_token}", "If-Match": 'W/"old"'})
    assert r.status_code == 412 and r.json()["error"]["code"] == "PreconditionFailed"


def test_resource_groups_are_served(fake: FakeAzure, arm_token: str) -> None:
    h = {"Authorization": f"Bearer {arm_token}"}
    r = requests.get(f"https://management.azure.com{RG_ID}?api-version=2021-04-01", headers=h)
    assert r.status_code == 200 and r.json()["name"] == "rg"
    r = requests.put(f"https://management.azure.com/subscriptions/{SUB}/resourceGroups/new?api-version=2021-04-01",
                     json={"location": "westus"}, headers=h)
    assert r.status_code == 201
    assert fake.arm.group("NEW") is not None


def _nic_in_pools(*pool_ids: str) -> dict[str, Any]:
    return {
        "location": "eastus",
        "properties": {"ipConfigurations": [{"name": "pipConfig", "properties": {
            "privateIPAllocationMethod": "Dynamic", "subnet": {"id": SUBNET_ID},
            "loadBalancerBackendAddressPools": [{"id": p} for p in pool_ids],
        }}]},
    }


def test_nic_joining_a_pool_shows_on_the_load_balancer(fake: FakeAzure, vnet: None, clients: AzureClients, vclock: Any) -> None:
    lb_id = f"{RG_ID}/providers/Microsoft.Network/loadBalancers/aro-internal"
    fake.put_resource(lb_id, BODIES["load_balancers"])
    nics = clients.interfaces_client()
    nic = nics.begin_create_or_update("rg", "aro-master0-nic", _nic_in_pools(f"{lb_id}/backendAddressPools/ssh-0")).result()
    ipc_id = nic.ip_configurations[0].id
    assert ipc_id.endswith("/networkInterfaces/aro-master0-nic/ipConfigurations/pipConfig")
    lb = clients.load_balancers_client().get("rg", "aro-internal")
    pools = {p.name: p for p in lb.backend_address_pools}
    assert [c.id for c in pools["ssh-0"].backend_ip_configurations] == [ipc_id]
    assert not pools["aro"].backend_ip_configurations
    nics.begin_create_or_update("rg", "aro-master0-nic", _nic_in_pools()).result()
    lb = clients.load_balancers_client().get("rg", "aro-internal")
    assert all(not p.backend_ip_configurations for p in lb.backend_address_pools)


def test_nic_referencing_a_missing_pool_is_invalid_resource_reference(fake: FakeAzure, vnet: None, clients: AzureClients) -> None:
    lb_id = f"{RG_ID}/providers/Microsoft.Network/loadBalancers/aro-internal"
    fake.put_resource(lb_id, BODIES["load_balancers"])
    with pytest.raises(HttpResponseError) as e:
        clients.interfaces_client().begin_create_or_update("rg", "nic", _nic_in_pools(f"{lb_id}/backendAddressPools/ssh-9"))
    assert e.value.status_code == 400 and e.value.error.code == "InvalidResourceReference"
    assert f"{lb_id}/backendAddressPools/ssh-9 referenced by resource" in e.value.error.message
    assert fake.get_resource(f"{RG_ID}/providers/Microsoft.Network/networkInterfaces/nic") is None


def test_a_nic_attached_to_a_vm_cannot_be_deleted(fake: FakeAzure, clients: AzureClients) -> None:
    vm = f"{RG_ID}/providers/Microsoft.Compute/virtualMachines/master-0"
    fake.put_resource(f"{RG_ID}/providers/Microsoft.Network/networkInterfaces/nic",
                      {**BODIES["network_interfaces"], "properties": {"virtualMachine": {"id": vm}}})
    with pytest.raises(HttpResponseError) as e:
        clients.interfaces_client().begin_delete("rg", "nic")
    assert e.value.status_code == 400 and e.value.error.code == "NicInUse"
    assert fake.get_resource(f"{RG_ID}/providers/Microsoft.Network/networkInterfaces/nic") is not None


def test_lro_seconds_zero_finishes_at_the_first_poll(vclock: Any, env: Any) -> None:
    with FakeAzure(lro_seconds=0) as fake:
        fake.add_resource_group("rg")
        lb = fake.clients(env).load_balancers_client().begin_create_or_update("rg", "lb", BODIES["load_balancers"]).result()
        assert lb.provisioning_state == "Succeeded"
        assert len([r for r in fake.requests if r.verb == "lro_poll"]) == 1


def test_update_tags_is_a_synchronous_patch(fake: FakeAzure, clients: AzureClients) -> None:
    before = fake.put_resource(f"{RG_ID}/providers/Microsoft.Network/loadBalancers/lb", BODIES["load_balancers"])
    lb = clients.load_balancers_client().update_tags("rg", "lb", {"tags": {"owner": "mimo"}})
    assert lb.tags == {"owner": "mimo"} and lb.provisioning_state == "Succeeded"
    assert lb.etag != before["etag"]
    assert [b.name for b in lb.backend_address_pools] == ["aro", "ssh-0"]
    rec = fake.requests[-1]
    assert (rec.method, rec.status, rec.verb, rec.extra["is_lro"]) == ("PATCH", 200, "update", False)


def test_arm_replies_carry_request_ids(fake: FakeAzure, arm_token: str) -> None:
    r = requests.get(f"https://management.azure.com{RG_ID}?api-version=2021-04-01", headers={"Authorization": f"Bearer {arm_token}"})
    assert r.headers["x-ms-request-id"] == r.headers["x-ms-correlation-request-id"]


def test_lb_rule_referencing_a_missing_probe_is_invalid_resource_reference(fake: FakeAzure, clients: AzureClients) -> None:
    """The network RP resolves a rule's frontend, pool and probe inside the load balancer on PUT."""
    lb_id = f"{RG_ID}/providers/Microsoft.Network/loadBalancers/lb"
    fake.put_resource(lb_id, BODIES["load_balancers"])
    lbs = clients.load_balancers_client()

    def with_rule(probe: str, frontend: str = "fe", pool: str = "ssh-0") -> dict[str, Any]:
        body = fake.get_resource(lb_id)
        assert body is not None
        body["properties"]["probes"] = [{"name": "ssh", "properties": {"protocol": "Tcp", "port": 22}}]
        body["properties"]["loadBalancingRules"] = [{"name": "ssh-0", "properties": {
            "frontendIPConfiguration": {"id": f"{lb_id}/frontendIPConfigurations/{frontend}"},
            "backendAddressPool": {"id": f"{lb_id.upper()}/backendAddressPools/{pool}"},
            "probe": {"id": f"{lb_id}/probes/{probe}"},
            "protocol": "Tcp", "frontendPort": 2200, "backendPort": 22}}]
        return body

    for bad, ref in ((with_rule("sssh"), "probes/sssh"), (with_rule("ssh", frontend="x"), "frontendIPConfigurations/x"),
                     (with_rule("ssh", pool="ssh-9"), "backendAddressPools/ssh-9")):
        with pytest.raises(HttpResponseError) as e:
            lbs.begin_create_or_update("rg", "lb", bad)
        assert e.value.status_code == 400 and e.value.error.code == "InvalidResourceReference"
        assert e.value.error.message.lower().startswith(
            f"resource {lb_id}/{ref} referenced by resource {lb_id}/loadbalancingrules/ssh-0 was not found.".lower())
        assert "probes" not in (fake.get_resource(lb_id) or {})["properties"]
    lbs.begin_create_or_update("rg", "lb", with_rule("ssh")).result()
    assert [r["name"] for r in fake.get_resource(lb_id)["properties"]["loadBalancingRules"]] == ["ssh-0"]  # type: ignore[index]


def test_a_write_while_the_resources_operation_runs_is_429_retryable(fake: FakeAzure, vnet: None, arm_token: str,
                                                                       clients: AzureClients, vclock: Any) -> None:
    """The network RP locks a resource while an operation on it runs: another PUT or DELETE gets
    429 RetryableErrorDueToAnotherOperation with Retry-After (the SDK retries it); reads are served."""
    h = {"Authorization": f"Bearer {arm_token}"}
    url = f"https://management.azure.com{RG_ID}/providers/Microsoft.Network/networkInterfaces/nic?api-version={NET}"
    first = requests.put(url, json=BODIES["network_interfaces"], headers=h)
    assert first.status_code == 201
    for again in (requests.put(url, json=BODIES["network_interfaces"], headers=h), requests.delete(url, headers=h)):
        assert again.status_code == 429 and again.headers["Retry-After"] == "10"
        err = again.json()["error"]
        assert err["code"] == "RetryableErrorDueToAnotherOperation"
        assert first.headers["Azure-AsyncOperation"].split("?")[0].rsplit("/", 1)[1] in err["message"]
    assert requests.get(url, headers=h).status_code == 200
    # through the SDK the 429 is retried after Retry-After until the first operation is done
    before = vclock.elapsed
    clients.interfaces_client().begin_delete("rg", "nic").result()
    assert vclock.elapsed - before >= 30
    assert fake.get_resource(url.split("?")[0].split(".com")[1]) is None
