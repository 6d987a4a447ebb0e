"""The fake's own HTTP sessions and its request log (issue #15, speed).

- The clients and credentials ``FakeAzure`` builds skip ``requests``' per-request environment look-ups
  (``trust_env``: proxies, ``NO_PROXY``, ``REQUESTS_CA_BUNDLE``, ``.netrc``), through azure-core's own
  switch ``RequestsTransport(use_env_settings=False)`` (``azure/core/pipeline/transport/_requests_basic.py``:
  ``session.trust_env = self._use_env_settings``); a client built outside the fake keeps the default.
- ``FakeAzure.requests`` is bounded like the ``responses`` call log (``test_faults.py``).
"""

from __future__ import annotations

from typing import Any

import pytest
import requests
from azure.keyvault.secrets import SecretClient

from mimo.azure import AzureClients
from pytest_mimo.fakes.azure import FakeAzure

SUB = "00000000-0000-0000-0000-000000000000"
LB = f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Network/loadBalancers/lb"


@pytest.fixture
def lookups(monkeypatch: Any) -> list[str]:
    """Every environment proxy look-up ``requests`` makes (``Session.merge_environment_settings`` and
    ``utils.resolve_proxies`` call these only when ``trust_env`` is set)."""
    seen: list[str] = []
    real_env, real_bypass = requests.sessions.get_environ_proxies, requests.utils.should_bypass_proxies

    def env(url: str, *a: Any, **kw: Any) -> Any:
        seen.append(url)
        return real_env(url, *a, **kw)

    def bypass(url: str, *a: Any, **kw: Any) -> Any:
        seen.append(url)
        return real_bypass(url, *a, **kw)

    monkeypatch.setattr(requests.sessions, "get_environ_proxies", env)
    monkeypatch.setattr(requests.utils, "should_bypass_proxies", bypass)
    return seen


def test_the_fakes_clients_and_credential_skip_the_proxy_look_up(
    fake: FakeAzure, clients: AzureClients, lookups: list[str]
) -> None:
    fake.keyvault("eastus-cls").set_secret("s", "v")
    fake.put_resource(LB, {"location": "eastus", "properties": {}})
    assert clients.cluster_keyvault().get_secret("s").value == "v"  # challenge, discovery, token, get
    assert clients.load_balancers_client().get("rg", "lb").name == "lb"
    assert [r.verb for r in fake.requests].count("token") == 2  # the vault's and ARM's
    assert lookups == []


def test_a_client_built_outside_the_fake_keeps_azure_cores_default(fake: FakeAzure, lookups: list[str]) -> None:
    fake.keyvault("eastus-cls").set_secret("s", "v")
    kv = SecretClient("https://eastus-cls.vault.azure.net", fake.credential())
    assert kv.get_secret("s").value == "v"
    assert any("eastus-cls.vault.azure.net" in url for url in lookups)


def test_the_request_log_keeps_at_least_its_limit(fake: FakeAzure, clients: AzureClients) -> None:
    fake.requests_limit = 40
    fake.put_resource(LB, {"location": "eastus", "properties": {}})
    lbs = clients.load_balancers_client()
    for _ in range(120):
        lbs.get("rg", "lb")
    assert 40 <= len(fake.requests) <= 50, len(fake.requests)
    assert fake.requests_dropped + len(fake.requests) > 120  # every request counted: kept or dropped
    assert all(r.verb == "get" for r in fake.requests[-40:])  # the newest are the ones kept
