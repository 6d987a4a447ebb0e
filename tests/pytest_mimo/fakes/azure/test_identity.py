"""Entra ID: the real ClientSecretCredential gets its token from the fake; ARM checks it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import ClientSecretCredential

from mimo.azure import AzureCredentialSettings, make_credential
from pytest_mimo.fakes.azure import FakeAzure
from pytest_mimo.fakes.azure.responses.sdk import supported_api_versions
from pytest_mimo.fakes.base import FaultAction

NET = supported_api_versions("microsoft.network/loadbalancers")[-1]

LB_PATH = f"/resourceGroups/rg/providers/Microsoft.Network/loadBalancers/lb?api-version={NET}"


def test_client_secret_credential_gets_a_bearer_token_from_the_token_endpoint(fake: FakeAzure) -> None:
    tok = fake.credential().get_token("https://management.azure.com/.default")
    assert tok.token.startswith("fake.")
    assert tok.expires_on > 0
    posts = [r for r in fake.requests if r.verb == "token"]
    assert len(posts) == 1
    assert posts[0].path == f"https://login.microsoftonline.com/{fake.tenant_id}/oauth2/v2.0/token"
    assert posts[0].status == 200
    assert fake.directory.tokens[tok.token].audience == "https://management.azure.com"


def test_wrong_client_secret_is_refused_with_aadsts_7000215(fake: FakeAzure) -> None:
    cred = ClientSecretCredential(fake.tenant_id, fake.client_id, "not-the-secret")
    with pytest.raises(ClientAuthenticationError, match="AADSTS7000215"):
        cred.get_token("https://management.azure.com/.default")


def test_unknown_application_is_refused(fake: FakeAzure) -> None:
    cred = ClientSecretCredential(fake.tenant_id, "33333333-3333-3333-3333-333333333333", "x")
    with pytest.raises(ClientAuthenticationError, match="AADSTS700016"):
        cred.get_token("https://management.azure.com/.default")


def test_workload_identity_credential_presents_the_federated_token(fake: FakeAzure, tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("federated-jwt")
    app = "44444444-4444-4444-4444-444444444444"
    fake.add_application(app, federated_assertion="federated-jwt")
    settings = AzureCredentialSettings("workload_identity", tenant_id=fake.tenant_id, client_id=app,
                                       federated_token_file=str(token_file))
    cred = make_credential(settings, fake.cloud)
    assert cred.get_token("https://management.azure.com/.default").token.startswith("fake.")
    token_file.write_text("someone-else")
    other = make_credential(settings, fake.cloud)
    with pytest.raises(ClientAuthenticationError, match="AADSTS700211"):
        other.get_token("https://management.azure.com/.default")


def test_openid_configuration_and_instance_discovery_are_served(fake: FakeAzure) -> None:
    cfg = requests.get(f"https://login.microsoftonline.com/{fake.tenant_id}/v2.0/.well-known/openid-configuration").json()
    assert cfg["token_endpoint"] == f"https://login.microsoftonline.com/{fake.tenant_id}/oauth2/v2.0/token"
    disc = requests.get("https://login.microsoftonline.com/common/discovery/instance",
                        params={"api-version": "1.1", "authorization_endpoint": "https://login.microsoftonline.com/common/oauth2/authorize"})
    assert disc.status_code == 200
    assert disc.json()["metadata"][0]["aliases"] == ["login.microsoftonline.com"]


def test_arm_without_a_token_answers_401_authentication_failed(fake: FakeAzure) -> None:
    r = requests.get(f"https://management.azure.com/subscriptions/{fake.subscription_id}{LB_PATH}")
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "AuthenticationFailed"
    assert "missing" in r.json()["error"]["message"]
    assert "Bearer" in r.headers["WWW-Authenticate"]


def test_arm_with_an_unknown_token_answers_401_invalid_token(fake: FakeAzure) -> None:
    r = requests.get(f"https://management.azure.com/subscriptions/{fake.subscription_id}{LB_PATH}",
                     headers={"Authorization": "Bearer forged"})
    assert r.status_code == 401
    assert r.json() == {"error": {"code": "InvalidAuthenticationToken", "message": "The access token is invalid."}}


def test_arm_refuses_a_key_vault_token(fake: FakeAzure) -> None:
    kv_token = fake.credential().get_token("https://vault.azure.net/.default").token
    r = requests.get(f"https://management.azure.com/subscriptions/{fake.subscription_id}{LB_PATH}",
                     headers={"Authorization": f"Bearer {kv_token}"})
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "InvalidAuthenticationTokenAudience"


def test_expired_tokens_are_refused_and_the_sdk_fetches_a_new_one(fake: FakeAzure, clients, vclock, arm_token: str) -> None:
    fake.put_resource(f"/subscriptions/{fake.subscription_id}/resourceGroups/rg/providers/Microsoft.Network/loadBalancers/lb",
                      {"location": "eastus"})
    lbs = clients.load_balancers_client()
    assert lbs.get("rg", "lb").name == "lb"
    vclock.traveller.shift(2 * 3600)
    r = requests.get(f"https://management.azure.com/subscriptions/{fake.subscription_id}{LB_PATH}",
                     headers={"Authorization": f"Bearer {arm_token}"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "ExpiredAuthenticationToken"
    assert r.json()["error"]["message"] == (
        "The access token expiry UTC time '1/5/2026 12:59:59 AM' is earlier than current UTC time '1/5/2026 2:00:00 AM'.")
    before = len([x for x in fake.requests if x.verb == "token"])
    assert lbs.get("rg", "lb").name == "lb"  # the SDK's policy refreshes the token itself
    assert len([x for x in fake.requests if x.verb == "token"]) == before + 1


def test_token_error_fault_is_a_503_with_an_aad_body(fake: FakeAzure) -> None:
    fake.fault_hook = lambda req: FaultAction("token_error") if req.verb == "token" else None
    r = requests.post(f"https://login.microsoftonline.com/{fake.tenant_id}/oauth2/v2.0/token",
                      data={"grant_type": "client_credentials", "client_id": fake.client_id,
                            "client_secret": fake.client_secret, "scope": "https://management.azure.com/.default"})
    assert r.status_code == 503
    body = r.json()
    assert body["error"] == "temporarily_unavailable"
    assert body["error_codes"] == [90033] and body["error_description"].startswith("AADSTS90033")
    assert fake.requests[-1].fault == "token_error"
    assert json.loads(r.text)["trace_id"] == body["correlation_id"]


def test_the_credential_survives_one_token_error_and_not_a_persistent_one(fake: FakeAzure) -> None:
    left = [1]

    def once(req):  # type: ignore[no-untyped-def]
        if req.verb == "token" and left[0]:
            left[0] -= 1
            return FaultAction("token_error")
        return None

    fake.fault_hook = once
    assert fake.credential().get_token("https://management.azure.com/.default").token
    assert [r.status for r in fake.requests if r.verb == "token"] == [503, 200]
    fake.fault_hook = lambda req: FaultAction("token_error") if req.verb == "token" else None
    with pytest.raises(ClientAuthenticationError):
        fake.credential().get_token("https://vault.azure.net/.default")


def test_no_secret_or_issued_token_in_the_directory_repr(fake: FakeAzure) -> None:
    fake.add_application("33333333-3333-3333-3333-333333333333", federated_assertion="eyJ.workload.assertion")
    token = fake.credential().get_token(fake.cloud.credential_scope).token
    shown = repr(fake.directory) + repr(list(fake.directory.applications.values()))
    for secret in (fake.client_secret, "eyJ.workload.assertion", token):
        assert secret not in shown
