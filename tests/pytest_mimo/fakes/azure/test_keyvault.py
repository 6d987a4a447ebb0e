"""Key Vault through the real SecretClient: challenge authentication, get/set/versions, errors."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.keyvault.secrets import SecretClient

from mimo.azure import AzureClients
from pytest_mimo.fakes.azure import FakeAzure, UnservedRequestError
from pytest_mimo.fakes.base import FaultAction

VAULT = "https://eastus-cls.vault.azure.net"


def test_challenge_then_bearer_token(fake: FakeAzure, clients: AzureClients) -> None:
    # the SDK caches a vault's challenge process-wide; FakeAzure.start() forgets earlier ones
    fake.keyvault("eastus-cls").set_secret("tls", "pem-bundle")
    assert clients.cluster_keyvault().get_secret("tls").value == "pem-bundle"
    kv = [r for r in fake.requests if r.extra.get("service") == "keyvault"]
    assert [r.status for r in kv] == [401, 200]
    token = [r for r in fake.requests if r.verb == "token"]
    assert len(token) == 1
    issued = list(fake.directory.tokens.values())
    assert [t.audience for t in issued] == ["https://vault.azure.net"]


def test_the_401_challenge_is_exactly_what_key_vault_sends(fake: FakeAzure) -> None:
    fake.keyvault("eastus-cls")
    r = requests.get(f"{VAULT}/secrets/x/?api-version=7.6")
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"] == (
        f'Bearer authorization="https://login.microsoftonline.com/{fake.tenant_id}", '
        'resource="https://vault.azure.net"'
    )
    assert r.json() == {"error": {"code": "Unauthorized", "message": "AKV10000: Request is missing a Bearer or PoP token."}}


def test_an_arm_token_is_refused_by_key_vault(fake: FakeAzure, arm_token: str) -> None:
    fake.keyvault("eastus-cls")
    r = requests.get(f"{VAULT}/secrets/x/?api-version=7.6", headers={"Authorization": f"Bearer {arm_token}"})
    assert r.status_code == 401 and "Invalid audience" in r.json()["error"]["message"]


def test_get_latest_or_a_version_set_and_list_versions(fake: FakeAzure, clients: AzureClients) -> None:
    vault = fake.keyvault("eastus-cls")
    first = vault.set_secret("cert", "one")
    kv = clients.cluster_keyvault()
    second = kv.set_secret("cert", "two", content_type="application/x-pem-file", tags={"k": "v"})
    assert second.value == "two" and second.properties.version != first.version
    assert second.properties.content_type == "application/x-pem-file"
    assert kv.get_secret("cert").value == "two"
    assert kv.get_secret("cert", first.version).value == "one"
    assert vault.get_secret("cert") == "two"
    versions = [p.version for p in kv.list_properties_of_secret_versions("cert")]
    assert versions == [first.version, second.properties.version]
    assert [p.name for p in kv.list_properties_of_secrets()] == ["cert"]
    assert kv.get_secret("CERT").name == "cert"  # names are case-insensitive, first casing kept
    got = kv.get_secret("cert")
    assert got.id == f"{VAULT}/secrets/cert/{second.properties.version}"
    assert got.properties.created_on is not None and got.properties.enabled


def test_missing_secret_is_secret_not_found(fake: FakeAzure, clients: AzureClients) -> None:
    fake.keyvault("eastus-cls").set_secret("there", "x")
    kv = clients.cluster_keyvault()
    with pytest.raises(ResourceNotFoundError) as e:
        kv.get_secret("nope")
    assert e.value.status_code == 404
    assert e.value.error.code == "SecretNotFound"
    assert e.value.error.message.startswith("A secret with (name/id) nope was not found in this key vault.")
    with pytest.raises(ResourceNotFoundError) as e:
        kv.get_secret("there", "0" * 32)
    assert f"(name/id) there/{'0' * 32} was not found" in e.value.error.message


def test_versions_page_with_next_link(vclock: Any, env: Any) -> None:
    with FakeAzure(page_size=2) as fake:
        vault = fake.keyvault("eastus-cls")
        made = [vault.set_secret("s", str(i)).version for i in range(5)]
        kv = fake.clients(env).cluster_keyvault()
        assert [p.version for p in kv.list_properties_of_secret_versions("s")] == made
        lists = [r for r in fake.requests if r.verb == "list" and r.status == 200]
        assert len(lists) == 3  # 2 + 2 + 1
        assert "$skiptoken=2" in lists[1].path and "$skiptoken=4" in lists[2].path


def test_bad_secret_body_gets_a_400(fake: FakeAzure) -> None:
    fake.keyvault("eastus-cls")
    token = fake.credential().get_token("https://vault.azure.net/.default").token
    r = requests.put(f"{VAULT}/secrets/s?api-version=7.6", data=b"{oops", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "BadParameter"
    r = requests.put(f"{VAULT}/secrets/bad_name?api-version=7.6", json={"value": "x"},
                     headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 400 and "invalid name" in r.json()["error"]["message"]


def test_throttled_by_key_vault_then_served(fake: FakeAzure, clients: AzureClients, vclock: Any) -> None:
    fake.keyvault("eastus-cls").set_secret("s", "v")
    left = [2]

    def hook(req):  # type: ignore[no-untyped-def]
        if req.backend == "azure" and req.resource == "eastus-cls/s" and left[0]:
            left[0] -= 1
            return FaultAction("throttle", retry_after=7)
        return None

    fake.fault_hook = hook
    assert clients.cluster_keyvault().get_secret("s").value == "v"
    faults = [r for r in fake.requests if r.fault]
    assert [(r.status, r.fault) for r in faults] == [(429, "throttle"), (429, "throttle")]
    assert vclock.slept.count(7) == 2


def test_a_vault_the_fake_does_not_have_is_not_served(fake: FakeAzure) -> None:
    kv = SecretClient("https://other-vault.vault.azure.net/", fake.credential())
    with pytest.raises(UnservedRequestError, match=r"https://other-vault\.vault\.azure\.net/secrets/x.*no vault 'other-vault'"):
        kv.get_secret("x")


def test_key_vault_operations_the_fake_does_not_model_fail_loudly(fake: FakeAzure, clients: AzureClients) -> None:
    """Key Vault deletes and backs up secrets and serves keys and certificates: a 404 or 405 from
    the fake would tell a step "not there" or "not allowed" where the vault would answer."""
    fake.keyvault("eastus-cls").set_secret("tls", "pem-bundle")
    kv = clients.cluster_keyvault()
    with pytest.raises(UnservedRequestError, match=r"DELETE https://eastus-cls\.vault\.azure\.net/secrets/tls\?"):
        kv.begin_delete_secret("tls")
    with pytest.raises(UnservedRequestError, match=r"POST https://eastus-cls\.vault\.azure\.net/secrets/tls/backup\?"):
        kv.backup_secret("tls")
    with pytest.raises(UnservedRequestError, match=r"PATCH https://eastus-cls\.vault\.azure\.net/secrets/tls/"):
        kv.update_secret_properties("tls", version="0" * 32, enabled=False)
    token = fake.credential().get_token("https://vault.azure.net/.default").token
    with pytest.raises(UnservedRequestError, match=r"GET https://eastus-cls\.vault\.azure\.net/keys/k\?"):
        requests.get(f"{VAULT}/keys/k?api-version=7.5", headers={"Authorization": f"Bearer {token}"})
    assert fake.keyvault("eastus-cls").get_secret("tls") == "pem-bundle"


def test_a_disabled_secret_is_403_forbidden_secret_disabled(fake: FakeAzure, clients: AzureClients) -> None:
    fake.keyvault("eastus-cls").set_secret("tls", "pem-bundle", enabled=False)
    token = fake.credential().get_token("https://vault.azure.net/.default").token
    r = requests.get(f"{VAULT}/secrets/tls?api-version=7.5", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 403
    assert r.json() == {"error": {"code": "Forbidden", "message": "Operation get is not allowed on a disabled secret.",
                                  "innererror": {"code": "SecretDisabled"}}}
    with pytest.raises(HttpResponseError) as e:
        clients.cluster_keyvault().get_secret("tls")
    assert e.value.status_code == 403 and "SecretDisabled" in str(e.value)
