"""The MSI data plane client over azure-core, against the fake MSI data plane.

What it must do is Go ``github.com/Azure/msi-dataplane`` ``pkg/dataplane``: ``client_factory.go``
(the identity URL's query kept, ``api-version`` added), ``authenticator.go`` (no token first, then
the challenge's tenant and the configured audience), and the OpenAPI definition's wire format.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from azure.core.exceptions import HttpResponseError

from mimo.azure.msidataplane import ChallengeError, MsiDataplaneClientFactory, _challenge_tenant
from pytest_mimo import defaults

MSI = (f"/subscriptions/{defaults.SUBSCRIPTION_ID}/resourceGroups/rg/providers/"
       "Microsoft.ManagedIdentity/userAssignedIdentities/aro-cluster-msi")


@pytest.fixture
def url(fake_azure: Any) -> str:
    return str(fake_azure.assign_identities(defaults.CLUSTER_RESOURCE_ID, [MSI]))


def _factory(fake_azure: Any, audience: str = defaults.MSI_RP_ENDPOINT) -> MsiDataplaneClientFactory:
    return MsiDataplaneClientFactory(fake_azure.credential(), audience)


def _msi_requests(fake_azure: Any) -> list[Any]:
    return [r for r in fake_azure.requests if r.extra.get("service") == "msi"]


def test_credentials_of_the_cluster_msi(fake_azure: Any, url: str) -> None:
    creds = _factory(fake_azure).new_client(url).get_user_assigned_identities_credentials([MSI])
    [identity] = creds["explicit_identities"]
    issued = fake_azure.msi.credentials[MSI.lower()]
    assert identity["resource_id"] == MSI
    assert (identity["client_id"], identity["client_secret"]) == (issued.client_id, issued.client_secret)
    for key in ("not_before", "not_after", "renew_after", "cannot_renew_after"):
        assert identity[key].endswith("Z")
    # one unauthenticated request, challenged, then the same request with a token
    first, second = _msi_requests(fake_azure)
    assert (first.status, second.status) == (401, 200)
    query = dict(parse_qsl(urlsplit(second.path).query))
    proxy = fake_azure.msi.proxies[next(iter(fake_azure.msi.proxies))]
    assert query == {**proxy.query, "api-version": "2024-01-01"}  # the identity URL's query, kept
    assert urlsplit(second.path).path == proxy.path


def test_the_token_is_reused(fake_azure: Any, url: str) -> None:
    client = _factory(fake_azure).new_client(url)
    client.get_user_assigned_identities_credentials([MSI])
    fake_azure.requests.clear()
    client.get_user_assigned_identities_credentials([MSI])
    assert [r.status for r in _msi_requests(fake_azure)] == [200]


def test_the_same_credential_until_renew_after(fake_azure: Any, url: str, mimo_clock: Any) -> None:
    client = _factory(fake_azure).new_client(url)
    first = client.get_user_assigned_identities_credentials([MSI])["explicit_identities"][0]
    mimo_clock.advance(45 * 86400)
    again = _factory(fake_azure).new_client(url).get_user_assigned_identities_credentials([MSI])
    assert again["explicit_identities"][0]["client_secret"] == first["client_secret"]
    mimo_clock.advance(2 * 86400)
    renewed = _factory(fake_azure).new_client(url).get_user_assigned_identities_credentials([MSI])
    assert renewed["explicit_identities"][0]["client_secret"] != first["client_secret"]
    assert renewed["explicit_identities"][0]["not_before"] > first["not_before"]


def test_a_token_for_another_audience_is_challenged_again(fake_azure: Any, url: str) -> None:
    client = _factory(fake_azure, "https://management.azure.com").new_client(url)
    with pytest.raises(HttpResponseError) as e:
        client.get_user_assigned_identities_credentials([MSI])
    assert e.value.status_code == 401


def test_a_bad_identity_url_is_refused() -> None:
    with pytest.raises(ValueError, match="^error parsing identity URL: "):
        MsiDataplaneClientFactory(object(), "https://msi").new_client("not a url")  # type: ignore[arg-type]


def test_the_signature_never_shows(fake_azure: Any, url: str) -> None:
    client = _factory(fake_azure).new_client(url)
    sig = fake_azure.msi.proxies[next(iter(fake_azure.msi.proxies))].query["sig"]
    assert sig not in repr(client) and "sig" not in repr(client)


@pytest.mark.parametrize(("header", "error"), [
    ("", "no challenges found"),
    ('Basic realm="x"', "no bearer challenge found"),
    ('Bearer resource="https://x"', "no authorization parameter in bearer challenge"),
])
def test_go_challenge_parsing(header: str, error: str) -> None:
    with pytest.raises(ChallengeError) as e:
        _challenge_tenant(header)
    assert str(e.value) == f"could not parse the provided WWW-Authenticate header: {error}"


def test_challenge_tenant() -> None:
    # Go authenticator.go: 'Bearer authorization="https://login.windows-ppe.net/5D929AE3-…"' -> lower-cased tenant
    header = 'Bearer authorization="https://login.windows-ppe.net/5D929AE3-B37C-46AA-A3C8-C1558902F101"'
    assert _challenge_tenant(header) == "5d929ae3-b37c-46aa-a3c8-c1558902f101"
