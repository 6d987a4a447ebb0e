"""Each Azure fault kind, played on the wire as base.py says, against the real SDK."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import requests
from azure.core.exceptions import HttpResponseError, ServiceResponseError

from mimo.azure import AzureClients
from pytest_mimo.fakes.azure import FakeAzure
from pytest_mimo.fakes.azure.responses.sdk import supported_api_versions
from pytest_mimo.fakes.base import AZURE_FAULT_KINDS, FakeRequest, FaultAction

NET = supported_api_versions("microsoft.network/loadbalancers")[-1]

SUB = "00000000-0000-0000-0000-000000000000"
LB = f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Network/loadBalancers/lb"
LB_BODY = {"location": "eastus", "properties": {"backendAddressPools": [{"name": "aro"}]}}


def inject(fake: FakeAzure, kind: str, *, verb: str, times: int = 1, retry_after: int = 1) -> list[FakeRequest]:
    seen: list[FakeRequest] = []
    left = [times]

    def hook(req: FakeRequest) -> FaultAction | None:
        seen.append(req)
        if req.verb == verb and left[0]:
            left[0] -= 1
            return FaultAction(kind, retry_after=retry_after)
        return None

    fake.fault_hook = hook
    return seen


def test_every_azure_fault_kind_is_covered_here() -> None:
    # concurrent_write is played by the harness (another writer's PUT through put_resource)
    assert set(AZURE_FAULT_KINDS) == {"throttle", "server_error", "unavailable", "timeout", "connection_reset",
                                      "lro_failed", "lost_response", "token_error"}


def test_throttle_429_with_retry_after_is_survived_by_the_sdk_retry_policy(
    fake: FakeAzure, clients: AzureClients, vclock: Any
) -> None:
    fake.put_resource(LB, LB_BODY)
    lbs = clients.load_balancers_client()
    lbs.get("rg", "lb")  # token fetched
    inject(fake, "throttle", verb="get", times=2, retry_after=5)
    before = vclock.elapsed
    assert lbs.get("rg", "lb").name == "lb"
    gets = [r for r in fake.requests if r.verb == "get"][1:]
    assert [(r.status, r.fault) for r in gets] == [(429, "throttle"), (429, "throttle"), (200, None)]
    assert vclock.elapsed - before == 10  # slept the two Retry-After values, virtually
    assert vclock.slept[-2:] == [5, 5]


def test_throttle_body_and_headers(fake: FakeAzure, arm_token: str) -> None:
    fake.put_resource(LB, LB_BODY)
    inject(fake, "throttle", verb="get", retry_after=17)
    r = requests.get(f"https://management.azure.com{LB}?api-version={NET}", headers={"Authorization": f"Bearer {arm_token}"})
    assert r.status_code == 429 and r.headers["Retry-After"] == "17"
    # ARM's subscription throttling, as the service words it (token bucket per actor)
    assert r.json() == {"error": {"code": "SubscriptionRequestsThrottled", "message": (
        f"Number of 'read' requests for subscription '{SUB}' actor '{fake.client_id}' exceeded. Please try again "
        "after '17' seconds after additional tokens are available. Refer to https://aka.ms/arm-throttling for "
        "additional information.")}}
    inject(fake, "throttle", verb="delete", retry_after=3)
    r = requests.delete(f"https://management.azure.com{LB}?api-version={NET}", headers={"Authorization": f"Bearer {arm_token}"})
    assert r.status_code == 429 and r.headers["Retry-After"] == "3"
    assert r.json()["error"]["message"].startswith(f"Number of 'write' requests for subscription '{SUB}' actor ")
    assert fake.get_resource(LB) is not None


def test_a_throttle_burst_longer_than_the_retry_budget_surfaces(fake: FakeAzure, env: Any) -> None:
    fake.put_resource(LB, LB_BODY)
    lbs = fake.clients(env, retry_total=2).load_balancers_client()
    lbs.get("rg", "lb")
    inject(fake, "throttle", verb="get", times=100)
    with pytest.raises(HttpResponseError) as e:
        lbs.get("rg", "lb")
    assert e.value.status_code == 429 and e.value.error.code == "SubscriptionRequestsThrottled"


@pytest.mark.parametrize(("kind", "status", "code"), [("server_error", 500, "InternalServerError"),
                                                      ("unavailable", 503, "ServiceUnavailable")])
def test_5xx_then_served(fake: FakeAzure, clients: AzureClients, kind: str, status: int, code: str, arm_token: str) -> None:
    fake.put_resource(LB, LB_BODY)
    inject(fake, kind, verb="get")
    r = requests.get(f"https://management.azure.com{LB}?api-version={NET}", headers={"Authorization": f"Bearer {arm_token}"})
    assert r.status_code == status and r.json()["error"]["code"] == code
    inject(fake, kind, verb="get")
    assert clients.load_balancers_client().get("rg", "lb").name == "lb"
    assert [r.status for r in fake.requests if r.verb == "get"][-2:] == [status, 200]


def test_5xx_on_a_write_applies_nothing(fake: FakeAzure, arm_token: str) -> None:
    inject(fake, "server_error", verb="create_or_update")
    r = requests.put(f"https://management.azure.com{LB}?api-version={NET}", json=LB_BODY,
                     headers={"Authorization": f"Bearer {arm_token}"})
    assert r.status_code == 500
    assert fake.get_resource(LB) is None


def _failed(body: dict[str, Any]) -> dict[str, Any]:
    """The resource and its sub-resources in provisioningState Failed, nothing else changed."""
    out = copy.deepcopy(body)
    out["properties"]["provisioningState"] = "Failed"
    for pool in out["properties"]["backendAddressPools"]:
        pool["properties"]["provisioningState"] = "Failed"
    return out


def test_lro_failed_update_is_accepted_then_fails_and_reverts_to_failed(fake: FakeAzure, clients: AzureClients,
                                                                         vclock: Any) -> None:
    """ARM RPC async-api-reference.md, "Creating/Updating Using Async Processing" 5.: the resource
    enters the terminal state Failed; a failed update's properties are reverted."""
    before = fake.put_resource(LB, LB_BODY)
    inject(fake, "lro_failed", verb="create_or_update")
    poller = clients.load_balancers_client().begin_create_or_update("rg", "lb", {**LB_BODY, "tags": {"new": "1"}})
    with pytest.raises(HttpResponseError, match="lro_failed"):
        poller.result()
    assert poller.status() == "Failed"
    put = next(r for r in fake.requests if r.method == "PUT")
    assert put.status == 200 and put.fault == "lro_failed"
    assert fake.get_resource(LB) == _failed(before)
    assert clients.load_balancers_client().get("rg", "lb").provisioning_state == "Failed"


def test_lro_failed_create_leaves_a_failed_resource_that_can_be_deleted_or_put_again(
    fake: FakeAzure, clients: AzureClients, vclock: Any
) -> None:
    """A task doing "404 → create" meets the Failed resource Azure leaves behind."""
    lbs = clients.load_balancers_client()
    inject(fake, "lro_failed", verb="create_or_update")
    with pytest.raises(HttpResponseError):
        lbs.begin_create_or_update("rg", "lb", LB_BODY).result()
    got = lbs.get("rg", "lb")
    assert got.provisioning_state == "Failed" and got.backend_address_pools[0].provisioning_state == "Failed"
    assert [x.name for x in lbs.list("rg")] == ["lb"]
    assert lbs.begin_create_or_update("rg", "lb", LB_BODY).result().provisioning_state == "Succeeded"
    inject(fake, "lro_failed", verb="create_or_update")
    with pytest.raises(HttpResponseError):
        lbs.begin_create_or_update("rg", "lb2", LB_BODY).result()
    lbs.begin_delete("rg", "lb2").result()
    assert fake.get_resource(LB + "2") is None


def test_lro_failed_delete_leaves_the_resource_failed(fake: FakeAzure, clients: AzureClients, vclock: Any) -> None:
    before = fake.put_resource(LB, LB_BODY)
    inject(fake, "lro_failed", verb="delete")
    with pytest.raises(HttpResponseError):
        clients.load_balancers_client().begin_delete("rg", "lb").result()
    assert fake.get_resource(LB) == _failed(before)


def test_lro_failed_on_a_read_is_not_played(fake: FakeAzure, clients: AzureClients) -> None:
    fake.put_resource(LB, LB_BODY)
    inject(fake, "lro_failed", verb="get")
    assert clients.load_balancers_client().get("rg", "lb").name == "lb"
    assert all(r.fault is None for r in fake.requests)


def test_lost_response_applies_the_write_then_drops_the_connection(fake: FakeAzure, arm_token: str, vclock: Any) -> None:
    inject(fake, "lost_response", verb="create_or_update")
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.put(f"https://management.azure.com{LB}?api-version={NET}", json=LB_BODY,
                     headers={"Authorization": f"Bearer {arm_token}"})
    rec = fake.requests[-1]
    assert rec.status == 0 and rec.fault == "lost_response"
    vclock.sleep(fake.lro_seconds)
    assert fake.get_resource(LB)["properties"]["provisioningState"] == "Succeeded"


def test_lost_response_on_an_idempotent_put_is_retried_by_the_sdk(fake: FakeAzure, clients: AzureClients, vclock: Any) -> None:
    inject(fake, "lost_response", verb="create_or_update")
    assert clients.load_balancers_client().begin_create_or_update("rg", "lb", LB_BODY).result().name == "lb"
    # the lost PUT was applied and its operation runs for lro_seconds (30): the network RP answers the
    # SDK's retries 429 RetryableErrorDueToAnotherOperation (Retry-After 10) until it is done
    assert [r.status for r in fake.requests if r.method == "PUT"] == [0, 429, 429, 429, 200]


def test_lost_response_on_a_post_surfaces_but_was_applied(fake: FakeAzure, clients: AzureClients, vclock: Any) -> None:
    reg = f"/subscriptions/{SUB}/resourceGroups/global/providers/Microsoft.ContainerRegistry/registries/acr"
    fake.put_resource(reg, {"location": "eastus"})
    fake.put_resource(f"{reg}/tokens/t", {"properties": {}})
    inject(fake, "lost_response", verb="action")
    with pytest.raises(ServiceResponseError):
        clients.registries_client().begin_generate_credentials("global", "acr", {"tokenId": f"{reg}/tokens/t"})
    assert set(fake.token_passwords(f"{reg}/tokens/t")) == {"password1", "password2"}


def test_token_error_only_on_the_token_endpoint(fake: FakeAzure, clients: AzureClients) -> None:
    fake.put_resource(LB, LB_BODY)
    seen = inject(fake, "token_error", verb="get")
    assert clients.load_balancers_client().get("rg", "lb").name == "lb"
    assert all(r.fault is None for r in fake.requests)
    assert any(s.verb == "token" for s in seen)
    inject(fake, "token_error", verb="token")
    kv = fake.credential()
    assert kv.get_token("https://vault.azure.net/.default").token
    assert [(r.status, r.fault) for r in fake.requests if r.verb == "token"][-2:] == [(503, "token_error"), (200, None)]


def test_the_hook_sees_what_base_py_promises(fake: FakeAzure, clients: AzureClients, vclock: Any) -> None:
    seen = inject(fake, "none", verb="-")
    clients.load_balancers_client().begin_create_or_update("rg", "lb", LB_BODY).result()
    fake.keyvault("eastus-cls").set_secret("s", "v")
    clients.cluster_keyvault().get_secret("s")
    put = next(s for s in seen if s.method == "PUT")
    assert put == FakeRequest("azure", "PUT", put.path, "create_or_update", LB.lower(), True, True)
    assert put.path.startswith(f"https://management.azure.com{LB}?api-version=")
    assert {s.verb for s in seen} >= {"discovery", "token", "create_or_update", "lro_poll", "get"}
    kv_get = [s for s in seen if s.resource == "eastus-cls/s"]
    assert kv_get and all(s.verb == "get" and not s.is_write for s in kv_get)
    assert len(seen) == len(fake.requests)
    assert all(r.fault is None for r in fake.requests)  # an unknown kind is served normally


def test_timeout_and_connection_reset_are_played_too(fake: FakeAzure, arm_token: str, clients: AzureClients) -> None:
    fake.put_resource(LB, LB_BODY)
    url = f"https://management.azure.com{LB}?api-version={NET}"
    h = {"Authorization": f"Bearer {arm_token}"}
    inject(fake, "timeout", verb="get")
    r = requests.get(url, headers=h)
    assert r.status_code == 504 and r.json()["error"]["code"] == "GatewayTimeout"
    inject(fake, "connection_reset", verb="create_or_update")
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.put(url, json={**LB_BODY, "tags": {"x": "y"}}, headers=h)
    assert fake.requests[-1].status == 0 and fake.requests[-1].fault == "connection_reset"
    assert "tags" not in fake.get_resource(LB)  # nothing applied
    inject(fake, "connection_reset", verb="get")
    assert clients.load_balancers_client().get("rg", "lb").name == "lb"  # the SDK retries a reset read


def test_many_requests_keep_memory_flat(fake: FakeAzure, clients: AzureClients) -> None:
    fake.put_resource(LB, LB_BODY)
    lbs = clients.load_balancers_client()
    for _ in range(600):
        lbs.get("rg", "lb")
    assert fake._mock is not None and len(fake._mock.calls) <= 512
    assert len([r for r in fake.requests if r.verb == "get"]) == 600


def test_lro_failed_generate_credentials_makes_no_passwords(fake: FakeAzure, clients: AzureClients, vclock: Any) -> None:
    reg = f"/subscriptions/{SUB}/resourceGroups/global/providers/Microsoft.ContainerRegistry/registries/acr"
    fake.put_resource(reg, {"location": "eastus"})
    token = fake.put_resource(f"{reg}/tokens/t", {"properties": {}})
    inject(fake, "lro_failed", verb="action")
    with pytest.raises(HttpResponseError):
        clients.registries_client().begin_generate_credentials("global", "acr", {"tokenId": f"{reg}/tokens/t"}).result()
    assert fake.token_passwords(f"{reg}/tokens/t") == {}
    assert fake.get_resource(f"{reg}/tokens/t") == token  # an action changes no provisioningState
