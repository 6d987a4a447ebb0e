"""Round trips through the Azure SDK: FakeAzure against a static ``responses`` stub.

Measures, in one run and interleaved, a load balancer GET
(``azure-mgmt-network``) and a Key Vault secret GET (``azure-keyvault-secrets``),
each made through ``mimo.azure.AzureClients`` with a real
``ClientSecretCredential``, against

* the stateful fake (``pytest_mimo.fakes.azure.FakeAzure``), and
* a static stub: ``responses`` answering the same URLs with canned bodies.

Both are built once; each round starts one, measures a batch of each round
trip, stops it, then does the same with the other (the order alternates).
Prints the machine, the median per-call time over the rounds in CPU time of
this process (robust when other work shares the machine) and in wall time,
the fake/static ratio (target: the fake adds at most 30 %), the ARM GETs per
second through the fake single-threaded (target: at least 300), and the
fake's own dispatch cost without the SDK around it.

    python bench/azure_roundtrip.py [--calls 100] [--rounds 21] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import responses

from mimo.azure import AzureClients
from mimo.environment import Environment
from pytest_mimo.fakes.azure import FakeAzure
from pytest_mimo.fakes.azure.responses.sdk import supported_api_versions

SUB = "00000000-0000-0000-0000-000000000000"
LB_ID = f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Network/loadBalancers/lb"
LB_BODY = {
    "location": "eastus",
    "sku": {"name": "Standard"},
    "properties": {
        "frontendIPConfigurations": [{"name": "internal-lb-ip-v4", "properties": {"privateIPAllocationMethod": "Dynamic"}}],
        "backendAddressPools": [{"name": "aro"}, {"name": "ssh-0"}, {"name": "ssh-1"}, {"name": "ssh-2"}],
        "probes": [{"name": "api-internal-probe", "properties": {"protocol": "Https", "port": 6443, "requestPath": "/readyz"}}],
    },
}
SECRET = "-----BEGIN PRIVATE KEY-----\n" + "A" * 1600 + "\n-----END CERTIFICATE-----\n"


def _clear_kv_challenges() -> None:
    from azure.keyvault.secrets._shared import http_challenge_cache

    http_challenge_cache.clear()


def _world() -> FakeAzure:
    fake = FakeAzure()
    fake.put_resource(LB_ID, LB_BODY)
    fake.keyvault("eastus-cls").set_secret("cert", SECRET)
    return fake


def _static_mock(world: FakeAzure) -> responses.RequestsMock:
    """Canned answers for the same URLs, with the bodies the fake gives (not started)."""
    lb_body = world.get_resource(LB_ID)
    version = world.keyvault("eastus-cls").versions("cert")[-1].version
    kv_body = json.dumps({"value": SECRET, "id": f"https://eastus-cls.vault.azure.net/secrets/cert/{version}",
                          "attributes": {"enabled": True, "created": 1767571200, "updated": 1767571200,
                                         "recoveryLevel": "Recoverable+Purgeable", "recoverableDays": 90},
                          "tags": {}})
    challenge = {"WWW-Authenticate": f'Bearer authorization="https://login.microsoftonline.com/{world.tenant_id}", '
                                     'resource="https://vault.azure.net"'}
    unauthorized = json.dumps({"error": {"code": "Unauthorized", "message": "AKV10000"}})

    def kv(request: Any) -> tuple[int, dict[str, str], str]:  # canned: 401 without a token, else the secret
        if "Authorization" not in request.headers:
            return 401, challenge, unauthorized
        return 200, {}, kv_body

    tenant = world.tenant_id
    mock = responses.RequestsMock(assert_all_requests_are_fired=False)
    mock.add(responses.GET, f"https://login.microsoftonline.com/{tenant}/v2.0/.well-known/openid-configuration",
             json={"token_endpoint": f"https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token",
                   "authorization_endpoint": f"https://login.microsoftonline.com/{tenant}/oauth2/v2.0/authorize",
                   "issuer": f"https://login.microsoftonline.com/{tenant}/v2.0"})
    mock.add(responses.POST, f"https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token",
             json={"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": "static"})
    mock.add(responses.GET, f"https://management.azure.com{LB_ID}", json=lb_body)
    mock.add_callback(responses.GET, "https://eastus-cls.vault.azure.net/secrets/cert/", callback=kv,
                      content_type="application/json")
    return mock


class _Target:
    """One backend (fake or static stub) with its own SDK clients; started only while measured."""

    def __init__(self, name: str, start: Callable[[], Any], stop: Callable[[], Any], clients: AzureClients) -> None:
        self.name, self._start, self._stop = name, start, stop
        self.lb = clients.load_balancers_client()
        self.kv = clients.cluster_keyvault()

    def measure(self, calls: int) -> dict[str, tuple[float, float]]:
        """{"lb"|"kv": (cpu seconds per call, wall seconds per call)}"""
        self._start()
        try:
            _clear_kv_challenges()
            for _ in range(3):  # warm: token, Key Vault challenge
                self.lb.get("rg", "lb")
                self.kv.get_secret("cert")
            return {"lb": _time(lambda: self.lb.get("rg", "lb"), calls),
                    "kv": _time(lambda: self.kv.get_secret("cert"), calls)}
        finally:
            self._stop()


def _time(fn: Callable[[], Any], calls: int) -> tuple[float, float]:
    c0, w0 = time.process_time(), time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.process_time() - c0) / calls, (time.perf_counter() - w0) / calls


def _lro_wall(env: Environment) -> float:
    """Wall seconds of a NIC create + delete through the SDK, on a fake running on a SimClock."""
    from pytest_mimo.clock import SimClock

    with FakeAzure(clock=SimClock()) as fake:
        fake.add_resource_group("rg")
        vnet = f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet"
        fake.put_resource(vnet, {"location": "eastus", "properties": {
            "subnets": [{"name": "s", "properties": {"addressPrefix": "10.0.0.0/24"}}]}})
        nics = fake.clients(env).interfaces_client()
        body = {"location": "eastus", "properties": {"ipConfigurations": [
            {"name": "ipc", "properties": {"subnet": {"id": f"{vnet}/subnets/s"}}}]}}
        w0 = time.perf_counter()
        nics.begin_create_or_update("rg", "nic", body).result()
        nics.begin_delete("rg", "nic").result()
        return time.perf_counter() - w0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--calls", type=int, default=100, help="calls per batch (default 100)")
    ap.add_argument("--rounds", type=int, default=21, help="rounds, fake and stub alternating; medians over them (default 21)")
    ap.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    args = ap.parse_args(argv)
    env = Environment()
    u = platform.uname()
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    print(f"machine: {u.system} {u.release} {u.machine}, {os.cpu_count()} cores, "
          f"python {platform.python_version()} ({sys.implementation.name})")
    print(f"load average at start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(f"{args.rounds} rounds x {args.calls} calls per target and round trip, fake and stub alternating "
          "(ABBA), single thread")
    print("per-call figures are medians over the rounds; CPU = this process's CPU time (robust on a shared "
          "machine), wall = elapsed\n")

    fake = _world()
    fake_target = _Target("fake", fake.start, fake.stop, fake.clients(env))
    world = _world()
    mock = _static_mock(world)

    def stop_mock() -> None:
        mock.stop(allow_assert=False)
        mock.calls.reset()

    static_target = _Target("static", mock.start, stop_mock, world.clients(env))
    samples: dict[str, list[tuple[float, float]]] = {k: [] for k in ("lb.fake", "lb.static", "kv.fake", "kv.static")}
    for r in range(args.rounds):
        order = (fake_target, static_target) if r % 2 == 0 else (static_target, fake_target)
        for target in order:
            for key, value in target.measure(args.calls).items():
                samples[f"{key}.{target.name}"].append(value)

    # the fake's own share: its dispatch alone, without the SDK, requests and responses around it
    fake.start()
    token = next(iter(fake.directory.tokens))
    url = f"https://management.azure.com{LB_ID}?api-version={supported_api_versions('microsoft.network/loadbalancers')[-1]}"
    headers = {"Authorization": f"Bearer {token}"}
    dispatch = statistics.median(
        _time(lambda: fake._dispatch("GET", url, headers, None), args.calls * 10)[0] for _ in range(args.rounds)
    )
    fake.stop()

    lro_walls = [_lro_wall(env) for _ in range(5)]

    def med(key: str, i: int) -> float:
        return statistics.median(x[i] for x in samples[key])

    figures: dict[str, Any] = {"machine": f"{u.system} {u.release} {u.machine}", "cores": os.cpu_count(),
                               "python": platform.python_version(), "calls": args.calls, "rounds": args.rounds,
                               "loadavg": list(load)}
    print(f"{'round trip':<26}{'':>6}{'static stub':>13}{'FakeAzure':>12}{'fake/static':>13}{'fake calls/s':>14}")
    for key, label in (("lb", "load balancer GET (ARM)"), ("kv", "Key Vault secret GET")):
        figures[key] = {}
        for i, clock in ((0, "CPU"), (1, "wall")):
            s, f = med(f"{key}.static", i), med(f"{key}.fake", i)
            print(f"{label if i == 0 else '':<26}{clock:>6}{s * 1e3:>10.3f} ms{f * 1e3:>9.3f} ms{f / s:>13.2f}{1 / f:>14.0f}")
            figures[key][clock.lower()] = {"static_ms": s * 1e3, "fake_ms": f * 1e3, "ratio": f / s, "fake_per_s": 1 / f}
    print(f"FakeAzure dispatch alone (ARM GET, no SDK/requests/responses): {dispatch * 1e6:.1f} us CPU per request")
    figures["dispatch_us"] = dispatch * 1e6
    lro_wall = statistics.median(lro_walls)
    figures["lro_create_delete_wall_s"] = lro_wall
    print(f"NIC create + delete (two 30 s operations) on a fake with a SimClock: {lro_wall * 1e3:.0f} ms wall "
          f"(median of 5; target < 1 s: {'met' if lro_wall < 1 else 'MISSED'})")
    worst = max(figures["lb"]["cpu"]["ratio"], figures["kv"]["cpu"]["ratio"])
    arm_rate = figures["lb"]["cpu"]["fake_per_s"]
    print(f"\ntarget fake/static <= 1.30 (CPU): {'met' if worst <= 1.30 else 'MISSED'} (worst {worst:.2f})")
    print(f"target >= 300 ARM GETs/s through the fake (CPU): {'met' if arm_rate >= 300 else 'MISSED'} ({arm_rate:.0f}/s; "
          f"wall {figures['lb']['wall']['fake_per_s']:.0f}/s)")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(figures, fh, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
