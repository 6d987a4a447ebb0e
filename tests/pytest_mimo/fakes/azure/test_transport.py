"""FakeAzure's lean ``responses`` mock answers exactly as the stock ``responses`` route did.

The fake used to register one callback with ``responses.RequestsMock`` (a registry that matched
every request to it); it now overrides the mock's per-request path (``_FakeMock``). The reference
below is the old wiring, kept here: the same seeded traffic — the real SDK clients, bare
``requests`` calls, an adapter that retries on its own, hosts the fake does not serve, and faults
of every kind drawn at random — goes through both, and every answer (status, headers in order,
body, reason, URL, the urllib3 response under it, cookies), every exception, the fake's request log,
the virtual sleeps and the world left behind must be the same.
"""

from __future__ import annotations

import random
import time
from typing import Any

import pytest
import requests
import responses as responses_lib
import time_machine
from requests.adapters import HTTPAdapter
from responses.registries import FirstMatchRegistry
from urllib3.util.retry import Retry

from mimo.azure import AzureClients
from mimo.environment import Environment
from pytest_mimo.fakes.azure import FakeAzure
from pytest_mimo.fakes.azure.fake import _FakeMock
from pytest_mimo.fakes.base import AZURE_FAULT_KINDS, FakeRequest, FaultAction

from .conftest import START

SUB = "00000000-0000-0000-0000-000000000000"
RG = f"/subscriptions/{SUB}/resourceGroups/rg"


class _OneRoute(FirstMatchRegistry):
    def find(self, request: Any) -> tuple[Any, list[str]]:
        return (self.registered[0] if self.registered else None), []


class StockFakeAzure(FakeAzure):
    """The fake as it was wired before: one ``responses`` callback route matching every request."""

    def _new_mock(self) -> responses_lib.RequestsMock:
        mock = responses_lib.RequestsMock(assert_all_requests_are_fired=False, registry=_OneRoute)
        mock.add_callback(responses_lib.GET, "https://fake-azure.invalid/", callback=self._callback, content_type=None)
        return mock


def _wire(response: requests.Response) -> tuple[Any, ...]:
    """What a client can see of a response without reading its body."""
    raw = response.raw
    return (response.status_code, list(response.headers.items()), response.reason, response.url, response.encoding,
            sorted(response.cookies.items()), type(raw).__name__, raw.status, raw.reason, list(raw.headers.items()),
            raw.version, raw.decode_content, raw.length_remaining, raw.closed)


def _record_wire(mock: responses_lib.RequestsMock, log: list[Any]) -> None:
    inner = mock._on_request

    def on_request(adapter: Any, request: Any, **kwargs: Any) -> Any:
        try:
            response = inner(adapter, request, **kwargs)
        except BaseException as e:
            log.append(("raised", type(e).__name__, str(e)))
            raise
        log.append(_wire(response))
        return response

    mock._on_request = on_request  # type: ignore[method-assign]


def _faults(seed: int, rate: float) -> Any:
    rng = random.Random(seed)

    def hook(req: FakeRequest) -> FaultAction | None:
        if rng.random() < rate:
            return FaultAction(rng.choice(sorted(AZURE_FAULT_KINDS)), retry_after=rng.choice([1, 3]))
        return None

    return hook


def _outcome(fn: Any, *args: Any) -> tuple[Any, ...]:
    try:
        return ("ok", fn(*args))
    except Exception as e:
        return ("error", type(e).__name__, str(e))


def _raw(r: requests.Response) -> tuple[Any, ...]:
    return (*_wire(r), r.content)


def _traffic(cls: type[FakeAzure], seed: int, rate: float) -> dict[str, Any]:
    slept: list[float] = []
    with time_machine.travel(START, tick=False) as traveller, pytest.MonkeyPatch.context() as mp:
        mp.setattr(time, "sleep", lambda s: (slept.append(s), traveller.shift(s)))
        with cls(seed=seed) as fake:
            wire: list[Any] = []
            assert fake._mock is not None
            _record_wire(fake._mock, wire)
            fake.add_resource_group("rg")
            env = Environment()
            clients = AzureClients(SUB, fake.credential(), env, retry_total=3)
            fake.keyvault(env.cluster_keyvault_uri.split("//", 1)[1].split(".", 1)[0])
            kv = clients.cluster_keyvault()
            lbs = clients.load_balancers_client()
            fake.fault_hook = _faults(seed, rate)
            retrying = requests.Session()
            retrying.mount("https://", HTTPAdapter(max_retries=Retry(total=2, status_forcelist=[500, 503, 504],
                                                                     backoff_factor=0, allowed_methods=None)))

            def run(op: str, i: int, name: str, lb: str, secret: str) -> Any:
                if op == "kv_set":
                    return kv.set_secret(name, f"v{i}").properties.version
                if op == "kv_get":
                    s = kv.get_secret(name)
                    return s.name, s.value, s.properties.version
                if op == "kv_get_missing":
                    return kv.get_secret("missing").value
                if op == "kv_list":
                    return sorted(p.name or "" for p in kv.list_properties_of_secrets())
                if op == "lb_put":
                    body = {"location": "eastus", "properties": {"backendAddressPools": [{"name": "aro"}]}}
                    return lbs.begin_create_or_update("rg", lb, body).result().as_dict()
                if op == "lb_get":
                    return lbs.get("rg", lb).as_dict()
                if op == "lb_get_missing":
                    return lbs.get("rg", "nope").as_dict()
                if op == "raw_arm":
                    url = f"https://management.azure.com{RG}/providers/Microsoft.Network/loadBalancers/{lb}"
                    return _raw(requests.get(url, params={"api-version": "2024-05-01"}))
                if op == "raw_token":
                    url = f"https://login.microsoftonline.com/{fake.tenant_id}/oauth2/v2.0/token"
                    data = {"grant_type": "client_credentials", "client_id": fake.client_id, "client_secret": secret,
                            "scope": "https://vault.azure.net/.default"}
                    return _raw(requests.post(url, data=data))
                if op == "raw_retrying":
                    url = f"https://management.azure.com/subscriptions/{SUB}/resourcegroups?api-version=2021-04-01"
                    return _raw(retrying.get(url, headers={"Authorization": "Bearer x"}))
                if op == "unserved":
                    return _raw(requests.get("https://example.invalid/x"))
                return _raw(requests.get("https://nope.vault.azure.net/secrets/x?api-version=7.5"))

            rng = random.Random(seed)
            ops = ["kv_set", "kv_get", "kv_get_missing", "kv_list", "lb_put", "lb_get", "lb_get_missing", "raw_arm",
                   "raw_token", "raw_retrying", "unserved", "no_vault"]
            out = [_outcome(run, rng.choice(ops), i, f"s{rng.randrange(4)}", f"lb{rng.randrange(3)}",
                            rng.choice([fake.client_secret, "wrong"])) for i in range(60)]
            clients.close()
            return {"out": out, "wire": wire, "requests": list(fake.requests), "slept": slept,
                    "world": (fake.resources(), {k: v.state() for k, v in fake.vaults.items()})}


@pytest.mark.parametrize("seed", range(8))
def test_the_lean_mock_answers_as_the_stock_responses_route(seed: int) -> None:
    rate = (0.0, 0.15, 0.35)[seed % 3]
    stock = _traffic(StockFakeAzure, seed, rate)
    lean = _traffic(FakeAzure, seed, rate)
    assert len(stock["wire"]) > 60
    assert lean["out"] == stock["out"]
    assert lean["wire"] == stock["wire"]
    assert lean["requests"] == stock["requests"]
    assert lean["slept"] == stock["slept"]
    assert lean["world"] == stock["world"]
    if rate:
        assert any(r.fault for r in stock["requests"]), "the traffic must meet faults"
        assert any(w[0] == "raised" for w in stock["wire"]), "and exceptions"


def test_the_fake_uses_the_lean_mock() -> None:
    with FakeAzure() as fake:
        assert isinstance(fake._mock, _FakeMock)
