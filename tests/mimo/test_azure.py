"""mimo.azure: credential settings, credentials per cloud, and the lazily built SDK clients."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import pytest
import time_machine
from azure.identity import (
    ClientSecretCredential,
    ManagedIdentityCredential,
    WorkloadIdentityCredential,
)

from mimo.api import Secret
from mimo.azure import AzureClients, AzureCredentialError, AzureCredentialSettings, make_credential
from mimo.environment import CLOUDS, Environment
from pytest_mimo.fakes.azure import FakeAzure

TENANT = "11111111-1111-1111-1111-111111111111"
CLIENT = "22222222-2222-2222-2222-222222222222"


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAzure]:
    with time_machine.travel(datetime(2026, 1, 5, tzinfo=timezone.utc), tick=False) as traveller:
        monkeypatch.setattr(time, "sleep", traveller.shift)
        with FakeAzure() as f:
            yield f


# -- settings -------------------------------------------------------------------------------------
def test_client_secret_settings_hide_the_secret() -> None:
    s = AzureCredentialSettings("client_secret", tenant_id=TENANT, client_id=CLIENT, client_secret=Secret("hunter2"))
    assert "hunter2" not in repr(s) and "hunter2" not in str(s)
    assert s.to_dict(redact=True) == {"kind": "client_secret", "tenantId": TENANT, "clientId": CLIENT, "clientSecret": "***"}
    assert s.to_dict()["clientSecret"] == "hunter2"
    assert AzureCredentialSettings.from_dict(s.to_dict()) == s
    assert AzureCredentialSettings("client_secret", tenant_id=TENANT, client_id=CLIENT, client_secret="hunter2") == s  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"kind": "password"}, "kind"),
        ({"kind": "client_secret", "client_id": CLIENT, "client_secret": Secret("x")}, "tenant_id"),
        ({"kind": "client_secret", "tenant_id": "t", "client_id": CLIENT, "client_secret": Secret("x")}, "tenant_id"),
        ({"kind": "client_secret", "tenant_id": TENANT, "client_secret": Secret("x")}, "client_id"),
        ({"kind": "client_secret", "tenant_id": TENANT, "client_id": "c"}, "client_id"),
        ({"kind": "client_secret", "tenant_id": TENANT, "client_id": CLIENT}, "client_secret"),
        ({"kind": "client_secret", "tenant_id": TENANT, "client_id": CLIENT, "client_secret": Secret("")}, "client_secret"),
        ({"kind": "workload_identity", "tenant_id": TENANT, "client_id": CLIENT}, "federated_token_file"),
        ({"kind": "workload_identity", "tenant_id": TENANT, "client_id": CLIENT, "federated_token_file": "/f",
          "client_secret": Secret("x")}, "client_secret"),
        ({"kind": "managed_identity", "federated_token_file": "/f"}, "federated_token_file"),
        ({"kind": "managed_identity", "client_id": 7}, "client_id"),
    ],
)
def test_bad_settings_name_the_field(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(AzureCredentialError, match=f"azure credential field '{field}'") as e:
        AzureCredentialSettings(**kwargs)
    assert "hunter2" not in str(e.value)


def test_from_dict_errors() -> None:
    with pytest.raises(AzureCredentialError, match="unknown field 'secret'"):
        AzureCredentialSettings.from_dict({"kind": "managed_identity", "secret": "x"})
    with pytest.raises(AzureCredentialError, match="'kind': missing"):
        AzureCredentialSettings.from_dict({})
    with pytest.raises(AzureCredentialError, match="redacted"):
        AzureCredentialSettings.from_dict({"kind": "client_secret", "tenantId": TENANT, "clientId": CLIENT, "clientSecret": "***"})
    with pytest.raises(AzureCredentialError, match="must be an object"):
        AzureCredentialSettings.from_dict([])
    assert AzureCredentialSettings.from_dict({"kind": "managed_identity"}).to_dict() == {"kind": "managed_identity"}


def test_from_env_picks_the_kind() -> None:
    base = {"AZURE_TENANT_ID": TENANT, "AZURE_CLIENT_ID": CLIENT}
    assert AzureCredentialSettings.from_env({**base, "AZURE_FEDERATED_TOKEN_FILE": "/var/run/token"}).kind == "workload_identity"
    assert AzureCredentialSettings.from_env({**base, "AZURE_CLIENT_SECRET": "s"}).kind == "client_secret"
    assert AzureCredentialSettings.from_env({"AZURE_CLIENT_ID": CLIENT}).kind == "managed_identity"
    with pytest.raises(AzureCredentialError, match="'client_secret': required"):
        AzureCredentialSettings.from_env({**base, "MIMO_AZURE_CREDENTIAL": "client_secret"})


# -- credentials ------------------------------------------------------------------------------------
@pytest.mark.parametrize("cloud", sorted(CLOUDS))
def test_make_credential_uses_the_clouds_authority(cloud: str, tmp_path: Any) -> None:
    c = CLOUDS[cloud]
    token = tmp_path / "t"
    token.write_text("jwt")
    with FakeAzure(cloud=c, tenant_id=TENANT) as fake:
        fake.add_application(CLIENT, "s", federated_assertion="jwt")
        cs = make_credential(AzureCredentialSettings("client_secret", tenant_id=TENANT, client_id=CLIENT,
                                                     client_secret=Secret("s")), c)
        assert isinstance(cs, ClientSecretCredential)
        assert cs.get_token(c.credential_scope).token
        wi = make_credential(AzureCredentialSettings("workload_identity", tenant_id=TENANT, client_id=CLIENT,
                                                     federated_token_file=str(token)), c)
        assert isinstance(wi, WorkloadIdentityCredential)
        assert wi.get_token(c.credential_scope).token
        posts = [r.path for r in fake.requests if r.verb == "token"]
        assert posts == [f"{c.authority_host}/{TENANT}/oauth2/v2.0/token"] * 2
    mi = make_credential(AzureCredentialSettings("managed_identity", client_id=CLIENT), c)
    assert isinstance(mi, ManagedIdentityCredential)


def test_make_credential_refuses_other_settings() -> None:
    with pytest.raises(AzureCredentialError, match="must be AzureCredentialSettings"):
        make_credential({"kind": "client_secret"}, CLOUDS["AzureCloud"])  # type: ignore[arg-type]


# -- clients -----------------------------------------------------------------------------------------
def test_clients_are_created_lazily_and_once(fake: FakeAzure) -> None:
    clients = AzureClients(fake.subscription_id, fake.credential(), Environment())
    assert "created=[]" in repr(clients)
    lbs = clients.load_balancers_client()
    assert "created=['network']" in repr(clients)
    assert clients.network() is clients.network()
    assert clients.interfaces_client()._client is lbs._client  # one NetworkManagementClient
    assert clients.tokens_client()._client is clients.registries_client()._client
    assert clients.cluster_keyvault() is clients.cluster_keyvault()
    assert fake.requests == []  # creating clients sends nothing


@pytest.mark.parametrize("cloud", ["AzureCloud", "AzureUSGovernment", "AzureChinaCloud"])
def test_clients_use_the_clouds_endpoints(cloud: str) -> None:
    c = CLOUDS[cloud]
    env = Environment(cloud=c, cluster_keyvault_uri=f"https://eastus-cls.{c.keyvault_dns_suffix}/")
    clients = AzureClients(TENANT, ClientSecretCredential(TENANT, CLIENT, "s", authority=c.authority_host), env)
    for make in (clients.network, clients.compute, clients.containerregistry):
        client = make()
        # newer SDK releases keep the endpoint in the configuration (the pipeline
        # client's URL is then a '{endpoint}' template), older ones in the client
        base_url = getattr(client._config, "base_url", None) or client._client._base_url
        assert base_url == c.resource_manager
        assert client._config.credential_scopes == [c.credential_scope]
    assert clients.cluster_keyvault().vault_url == f"https://eastus-cls.{c.keyvault_dns_suffix}"


def test_client_kwargs_reach_the_sdk(fake: FakeAzure) -> None:
    clients = AzureClients(fake.subscription_id, fake.credential(), Environment(), polling_interval=3)
    assert clients.network()._config.polling_interval == 3


def test_bad_arguments_are_named(fake: FakeAzure) -> None:
    with pytest.raises(ValueError, match="subscription_id"):
        AzureClients("", fake.credential(), Environment())
    with pytest.raises(ValueError, match="environment must be a mimo.Environment"):
        AzureClients(fake.subscription_id, fake.credential(), {})  # type: ignore[arg-type]


def test_every_taskcontext_client_works_against_the_fake(fake: FakeAzure) -> None:
    sub = fake.subscription_id
    fake.put_resource(f"/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.Network/loadBalancers/lb", {"location": "eastus"})
    fake.put_resource(f"/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.Network/networkInterfaces/nic", {"location": "eastus"})
    fake.put_resource(f"/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.Network/privateLinkServices/pls", {"location": "eastus"})
    reg = f"/subscriptions/{sub}/resourceGroups/global/providers/Microsoft.ContainerRegistry/registries/arointsvc"
    fake.put_resource(reg, {"location": "eastus"})
    fake.put_resource(f"{reg}/tokens/t", {"properties": {}})
    fake.keyvault("eastus-cls").set_secret("s", "v")
    clients = fake.clients(Environment())
    assert clients.load_balancers_client().get("rg", "lb").name == "lb"
    assert clients.interfaces_client().get("rg", "nic").name == "nic"
    assert clients.private_link_services_client().get("rg", "pls").name == "pls"
    assert list(clients.resource_skus_client().list()) == []
    assert clients.registries_client().get("global", "arointsvc").name == "arointsvc"
    assert clients.tokens_client().get("global", "arointsvc", "t").name == "t"
    assert clients.cluster_keyvault().get_secret("s").value == "v"
    clients.close()
    assert "created=[]" in repr(clients)


def test_shared_credential_is_one_per_settings_and_cloud() -> None:
    from mimo.azure import shared_credential

    cloud, other_cloud = CLOUDS["AzureCloud"], CLOUDS["AzureUSGovernment"]
    a = AzureCredentialSettings("client_secret", TENANT, CLIENT, Secret("s3cret-one"))
    same = AzureCredentialSettings("client_secret", TENANT, CLIENT, Secret("s3cret-one"))
    rotated = AzureCredentialSettings("client_secret", TENANT, CLIENT, Secret("s3cret-two"))
    first = shared_credential(a, cloud)
    assert isinstance(first, ClientSecretCredential)
    assert shared_credential(same, cloud) is first  # reused across task runs: tokens are cached once
    assert shared_credential(rotated, cloud) is not first  # a rotated secret gets a new credential
    assert shared_credential(a, other_cloud) is not first
    with pytest.raises(AzureCredentialError, match="must be AzureCredentialSettings"):
        shared_credential({"kind": "client_secret"}, cloud)  # type: ignore[arg-type]


def test_shared_credentials_are_bounded_least_recently_used_first(monkeypatch: pytest.MonkeyPatch) -> None:
    import mimo.azure.credentials as creds

    monkeypatch.setattr(creds, "SHARED_CREDENTIALS_MAX", 2)
    monkeypatch.setattr(creds, "_SHARED", creds.OrderedDict())
    cloud = CLOUDS["AzureCloud"]

    def settings(secret: str) -> AzureCredentialSettings:
        return AzureCredentialSettings("client_secret", TENANT, CLIENT, Secret(secret))

    a, b = creds.shared_credential(settings("a"), cloud), creds.shared_credential(settings("b"), cloud)
    assert creds.shared_credential(settings("a"), cloud) is a  # a is now the most recently used
    creds.shared_credential(settings("c"), cloud)  # evicts b
    assert creds.shared_credential(settings("a"), cloud) is a
    assert creds.shared_credential(settings("b"), cloud) is not b
    assert len(creds._SHARED) == 2
    assert all("s3cret" not in repr(k) and "'a'" not in repr(k) for k in creds._SHARED)  # hashed, never the secret
