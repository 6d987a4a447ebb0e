"""Container registries and their tokens through the real azure-mgmt-containerregistry client."""

from __future__ import annotations

from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

from mimo.azure import AzureClients
from pytest_mimo.fakes.azure import FakeAzure, UnservedRequestError

SUB = "00000000-0000-0000-0000-000000000000"
REG = f"/subscriptions/{SUB}/resourceGroups/global/providers/Microsoft.ContainerRegistry/registries/arointsvc"
TOKEN_BODY = {"properties": {"scopeMapId": f"{REG}/scopeMaps/_repositories_pull", "status": "enabled"}}


@pytest.fixture
def registry(fake: FakeAzure) -> str:
    fake.put_resource(REG, {"location": "eastus"})
    return REG


def test_registry_get(fake: FakeAzure, clients: AzureClients, registry: str) -> None:
    reg = clients.registries_client().get("global", "arointsvc")
    assert reg.id == REG and reg.login_server == "arointsvc.azurecr.io"
    assert reg.provisioning_state == "Succeeded"
    with pytest.raises(ResourceNotFoundError):
        clients.registries_client().get("global", "missing")
    with pytest.raises(UnservedRequestError, match="PUT on Microsoft.ContainerRegistry/registries"):
        clients.registries_client().begin_create("global", "other", {"location": "eastus", "sku": {"name": "Basic"}})


def test_token_create_get_list_delete(fake: FakeAzure, clients: AzureClients, registry: str, vclock: Any) -> None:
    tokens = clients.tokens_client()
    created = tokens.begin_create("global", "arointsvc", "cluster-1", TOKEN_BODY).result()
    assert created.name == "cluster-1" and created.provisioning_state == "Succeeded"
    assert created.creation_date is not None
    assert [r.status for r in fake.requests if r.method == "PUT"] == [201]
    assert tokens.get("global", "arointsvc", "cluster-1").scope_map_id.endswith("_repositories_pull")
    tokens.begin_create("global", "arointsvc", "cluster-2", TOKEN_BODY).result()
    assert [t.name for t in tokens.list("global", "arointsvc")] == ["cluster-1", "cluster-2"]
    tokens.begin_delete("global", "arointsvc", "cluster-1").result()
    with pytest.raises(ResourceNotFoundError) as e:
        tokens.get("global", "arointsvc", "cluster-1")
    assert e.value.error.message.startswith(
        "The Resource 'Microsoft.ContainerRegistry/registries/arointsvc/tokens/cluster-1' under resource group 'global'")


def test_token_in_a_missing_registry_is_parent_resource_not_found(fake: FakeAzure, clients: AzureClients, registry: str) -> None:
    with pytest.raises(ResourceNotFoundError) as e:
        clients.tokens_client().begin_create("global", "ghost", "t", TOKEN_BODY)
    assert e.value.error.code == "ParentResourceNotFound"


def test_generate_credentials_returns_new_passwords_and_records_their_creation(
    fake: FakeAzure, clients: AzureClients, registry: str, vclock: Any
) -> None:
    tokens, registries = clients.tokens_client(), clients.registries_client()
    tokens.begin_create("global", "arointsvc", "cluster-1", TOKEN_BODY).result()
    token_id = f"{REG}/tokens/cluster-1"
    started = vclock.elapsed
    result = registries.begin_generate_credentials("global", "arointsvc", {"tokenId": token_id, "name": "password1"}).result()
    assert result.username == "cluster-1"
    [pw] = result.passwords
    assert pw.name == "password1" and len(pw.value) > 20
    assert pw.creation_time.timestamp() == pytest.approx(1767571200 + started)
    assert vclock.elapsed - started >= fake.lro_seconds
    stored = tokens.get("global", "arointsvc", "cluster-1")
    [spw] = stored.credentials.passwords
    assert spw.name == "password1" and spw.creation_time == pw.creation_time
    assert spw.value is None  # ARM never returns password values on GET
    assert fake.token_passwords(token_id) == {"password1": pw.value}
    both = registries.begin_generate_credentials("global", "arointsvc", {"tokenId": token_id}).result()
    assert [p.name for p in both.passwords] == ["password1", "password2"]
    assert both.passwords[0].value != pw.value
    post = next(r for r in fake.requests if r.verb == "action")
    assert post.status == 202 and post.is_write and post.extra["is_lro"]


def test_generate_credentials_for_a_missing_token(fake: FakeAzure, clients: AzureClients, registry: str) -> None:
    with pytest.raises(ResourceNotFoundError):
        clients.registries_client().begin_generate_credentials("global", "arointsvc", {"tokenId": f"{REG}/tokens/none"})
    with pytest.raises(HttpResponseError) as e:
        clients.registries_client().begin_generate_credentials("global", "arointsvc", {"name": "password1"})
    assert e.value.status_code == 400 and e.value.error.code == "InvalidRequestContent"


def test_token_update_is_a_long_running_patch(fake: FakeAzure, clients: AzureClients, registry: str, vclock: Any) -> None:
    tokens = clients.tokens_client()
    tokens.begin_create("global", "arointsvc", "t", TOKEN_BODY).result()
    updated = tokens.begin_update("global", "arointsvc", "t", {"properties": {"status": "disabled"}}).result()
    assert updated.status == "disabled" and updated.provisioning_state == "Succeeded"
    assert updated.scope_map_id.endswith("_repositories_pull")  # merged, not replaced
    patch = next(r for r in fake.requests if r.method == "PATCH")
    assert patch.verb == "update" and patch.is_write and patch.extra["is_lro"]
    with pytest.raises(ResourceNotFoundError):
        tokens.begin_update("global", "arointsvc", "none", {"properties": {"status": "disabled"}})
