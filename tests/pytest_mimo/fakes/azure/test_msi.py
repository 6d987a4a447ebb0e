"""The fake MSI data plane, and Key Vault's ``nbf``/``exp`` that MSI credentials are stored with.

The wire follows the service's OpenAPI definition (Go ``msi-dataplane``
``msi-credentials-data-plane.openapi.v2.json``: ``POST`` at the identity URL, ``api-version``
``2024-01-01``, ``{"identityIds": [...]}``, ``401`` with a ``Bearer authorization=`` challenge, the
``{"error": {code, message}}`` envelope); Key Vault's secret attributes follow the Key Vault REST
``SecretAttributes`` (``nbf``/``exp`` in seconds; a get works outside that window, per Key Vault's
"date-time controlled operations").
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
import requests

from mimo.azure import AzureClients
from pytest_mimo.fakes.azure import FakeAzure, UnservedRequestError

MSI = ("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/"
       "Microsoft.ManagedIdentity/userAssignedIdentities/msi")
CLUSTER = ("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/"
           "Microsoft.RedHatOpenShift/openShiftClusters/c")


@pytest.fixture
def url(fake: FakeAzure) -> str:
    return fake.assign_identities(CLUSTER, [MSI])


def _token(fake: FakeAzure) -> str:
    return str(fake.credential().get_token(fake.msi_audience + "/.default").token)


def _post(url: str, body: Any = None, token: str | None = None, **query: str) -> requests.Response:
    parts = urlsplit(url)
    q = dict(parse_qsl(parts.query))
    q.setdefault("api-version", "2024-01-01")
    q.update(query)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.post(f"{parts.scheme}://{parts.netloc}{parts.path}?{urlencode(q)}",
                         json=body if body is not None else {"identityIds": [MSI]}, headers=headers)


def test_the_identity_url_is_served_on_the_region_host(fake: FakeAzure, url: str) -> None:
    parts = urlsplit(url)
    assert parts.netloc == "eastus.identity.azure.net"
    assert parts.path == f"{CLUSTER}/credentials/v2/identities"
    assert set(dict(parse_qsl(parts.query))) == {"arpid", "said", "sigver", "tid", "sig"}


def test_no_token_is_a_challenge_naming_the_tenant(fake: FakeAzure, url: str) -> None:
    r = _post(url)
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"] == f'Bearer authorization="https://login.microsoftonline.com/{fake.tenant_id}"'
    assert set(r.json()["error"]) == {"code", "message"}


def test_a_token_for_another_audience_is_challenged(fake: FakeAzure, url: str) -> None:
    arm = str(fake.credential().get_token(fake.cloud.credential_scope).token)
    assert _post(url, token=arm).status_code == 401


def test_credentials_of_an_assigned_identity(fake: FakeAzure, url: str) -> None:
    r = _post(url, token=_token(fake))
    assert r.status_code == 200
    [identity] = r.json()["explicit_identities"]
    assert identity["resource_id"] == MSI
    nb = datetime.fromisoformat(identity["not_before"].replace("Z", "+00:00"))
    for key, days in (("renew_after", 46), ("not_after", 90), ("cannot_renew_after", 90)):
        assert (datetime.fromisoformat(identity[key].replace("Z", "+00:00")) - nb).days == days


@pytest.mark.parametrize(("change", "why"), [
    (lambda u: (u.replace("eastus.identity", "westus.identity"), {}, None), "no resource has this identity URL"),
    (lambda u: (u.replace("sig=", "nosig="), {}, None), "lacks the identity URL's 'sig'"),
    (lambda u: (u, {"api-version": "2023-01-01"}, None), "api-version '2023-01-01'"),
    (lambda u: (u, {}, {"identityIds": ["/subscriptions/x/other"]}), "is not assigned to"),
    (lambda u: (u, {}, {"ids": [MSI]}), "a body without"),
])
def test_what_the_fake_does_not_model_fails_loudly(fake: FakeAzure, url: str, change: Any, why: str) -> None:
    new_url, query, body = change(url)
    with pytest.raises(UnservedRequestError, match=why):
        _post(new_url, body, _token(fake), **query)


def test_snapshot_and_restore_keep_the_credentials(fake: FakeAzure, url: str, vclock: Any) -> None:
    snap = fake.snapshot()
    first = fake.msi.credentials[MSI.lower()].client_secret
    vclock.sleep(47 * 86400)
    assert _post(url, token=_token(fake)).json()["explicit_identities"][0]["client_secret"] != first
    fake.restore(snap)
    assert fake.msi.credentials[MSI.lower()].client_secret == first


def test_key_vault_keeps_nbf_and_exp(fake: FakeAzure, clients: AzureClients) -> None:
    kv = clients.cluster_msi_keyvault()
    nbf = datetime(2026, 1, 5, tzinfo=timezone.utc)
    exp = datetime(2026, 4, 5, tzinfo=timezone.utc)
    kv.set_secret("msi-x", "{}", not_before=nbf, expires_on=exp, tags={"renew_after": "t"})
    got = kv.get_secret("msi-x")
    assert (got.properties.not_before, got.properties.expires_on) == (nbf, exp)
    stored = fake.keyvault("eastus-msi").find("msi-x")
    assert stored is not None and (stored.not_before, stored.expires) == (int(nbf.timestamp()), int(exp.timestamp()))
    plain = clients.cluster_msi_keyvault().set_secret("plain", "v")
    assert plain.properties.expires_on is None
