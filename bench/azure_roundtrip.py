"""Round trips through the Azure SDK: FakeAzure against a static ``responses`` stub.

Measures, in one run and interleaved, a load balancer GET
(``azure-mgmt-network``) and a Key Vault secret GET (``azure-keyvault-secrets``),
each made through ``mimo.azure.AzureClients`` with a real
``ClientSecretCredential``, against

* the stateful fake (``pytest_mimo.fakes.azure.FakeAzure``), and
* a static stub: ``responses`` answering the same URLs with canned bodies.

Prints the machine, the median per-call time of each over several rounds,
the fake/static ratio (target: the fake adds at most 30 %), and the ARM GETs
per second through the fake single-threaded (target: at least 300).

    python bench/azure_roundtrip.py [--calls 300] [--rounds 7]
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


def _fake_setup(env: Environment) -> tuple[FakeAzure, AzureClients]:
    fake = FakeAzure().start()
    fake.put_resource(LB_ID, LB_BODY)
    fake.keyvault("eastus-cls").set_secret("cert", SECRET)
    return fake, fake.clients(env)


def _static_setup(env: Environment, fake_world: FakeAzure) -> tuple[responses.RequestsMock, AzureClients]:
    """Canned answers for the same URLs, with the bodies the fake would give."""
    lb_body = fake_world.get_resource(LB_ID)
    version = fake_world.keyvault("eastus-cls").versions("cert")[-1].version
    kv_body = {"value": SECRET, "id": f"https://eastus-cls.vault.azure.net/secrets/cert/{version}",
               "attributes": {"enabled": True, "created": 1767571200, "updated": 1767571200,
                              "recoveryLevel": "Recoverable+Purgeable", "recoverableDays": 90}, "tags": {}}
    tenant = fake_world.tenant_id
    mock = responses.RequestsMock(assert_all_requests_are_fired=False)
    mock.add(responses.GET, f"https://login.microsoftonline.com/{tenant}/v2.0/.well-known/openid-configuration",
             json={"token_endpoint": f"https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token",
                   "authorization_endpoint": f"https://login.microsoftonline.com/{tenant}/oauth2/v2.0/authorize",
                   "issuer": f"https://login.microsoftonline.com/{tenant}/v2.0"})
    mock.add(responses.POST, f"https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token",
             json={"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": "static"})
    mock.add(responses.GET, f"https://management.azure.com{LB_ID}", json=lb_body)
    kv_url = "https://eastus-cls.vault.azure.net/secrets/cert/"
    mock.add(responses.GET, kv_url, status=401, json={"error": {"code": "Unauthorized", "message": "AKV10000"}},
             headers={"WWW-Authenticate": f'Bearer authorization="https://login.microsoftonline.com/{tenant}", '
                                          'resource="https://vault.azure.net"'})
    mock.add(responses.GET, kv_url, json=kv_body)
    mock.start()
    return mock, fake_world.clients(env)


def _time(fn: Callable[[], Any], calls: int) -> float:
    t0 = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - t0) / calls


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--calls", type=int, default=300, help="calls per batch (default 300)")
    ap.add_argument("--rounds", type=int, default=7, help="interleaved rounds; medians over them (default 7)")
    ap.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    args = ap.parse_args(argv)
    env = Environment()
    u = platform.uname()
    print(f"machine: {u.system} {u.release} {u.machine}, {os.cpu_count()} cores, "
          f"python {platform.python_version()} ({sys.implementation.name})")
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    print(f"load average at start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(f"{args.rounds} rounds x {args.calls} calls per target, interleaved, single thread\n")

    samples: dict[str, list[float]] = {k: [] for k in ("lb.fake", "lb.static", "kv.fake", "kv.static")}
    for _ in range(args.rounds):
        _clear_kv_challenges()
        fake, fclients = _fake_setup(env)
        lbs, kv = fclients.load_balancers_client(), fclients.cluster_keyvault()
        lbs.get("rg", "lb"), kv.get_secret("cert")  # warm: token, challenge
        samples["lb.fake"].append(_time(lambda c=lbs: c.get("rg", "lb"), args.calls))
        samples["kv.fake"].append(_time(lambda c=kv: c.get_secret("cert"), args.calls))
        fake.stop()

        _clear_kv_challenges()
        world = FakeAzure()
        world.put_resource(LB_ID, LB_BODY)
        world.keyvault("eastus-cls").set_secret("cert", SECRET)
        mock, sclients = _static_setup(env, world)
        slbs, skv = sclients.load_balancers_client(), sclients.cluster_keyvault()
        slbs.get("rg", "lb"), skv.get_secret("cert")
        mock.calls.reset()
        samples["lb.static"].append(_time(lambda c=slbs: c.get("rg", "lb"), args.calls))
        samples["kv.static"].append(_time(lambda c=skv: c.get_secret("cert"), args.calls))
        mock.stop()
        mock.reset()

    # the fake's own share: its dispatch alone, without the SDK, requests and responses around it
    fake, fclients = _fake_setup(env)
    fclients.load_balancers_client().get("rg", "lb")
    token = next(iter(fake.directory.tokens))
    url = f"https://management.azure.com{LB_ID}?api-version=2026-03-01"
    headers = {"Authorization": f"Bearer {token}"}
    dispatch = statistics.median(
        _time(lambda: fake._dispatch("GET", url, headers, None), args.calls * 10) for _ in range(args.rounds)
    )
    fake.stop()

    med = {k: statistics.median(v) for k, v in samples.items()}
    print(f"{'round trip':<28}{'static stub':>14}{'FakeAzure':>14}{'fake/static':>14}{'fake calls/s':>15}")
    figures: dict[str, Any] = {"machine": f"{u.system} {u.release} {u.machine}", "cores": os.cpu_count(),
                               "python": platform.python_version(), "calls": args.calls, "rounds": args.rounds}
    for key, label in (("lb", "load balancer GET (ARM)"), ("kv", "Key Vault secret GET")):
        s, f = med[f"{key}.static"], med[f"{key}.fake"]
        print(f"{label:<28}{s * 1e3:>11.3f} ms{f * 1e3:>11.3f} ms{f / s:>14.2f}{1 / f:>15.0f}")
        figures[key] = {"static_ms": s * 1e3, "fake_ms": f * 1e3, "ratio": f / s, "fake_per_s": 1 / f,
                        "fake_samples_ms": [x * 1e3 for x in samples[f"{key}.fake"]],
                        "static_samples_ms": [x * 1e3 for x in samples[f"{key}.static"]]}
    print(f"FakeAzure dispatch alone (ARM GET, no SDK): {dispatch * 1e6:.1f} us per request")
    figures["dispatch_us"] = dispatch * 1e6
    figures["loadavg"] = list(load)
    worst = max(figures["lb"]["ratio"], figures["kv"]["ratio"])
    arm_rate = figures["lb"]["fake_per_s"]
    ok_ratio, ok_rate = worst <= 1.30, arm_rate >= 300
    print(f"\ntarget fake/static <= 1.30: {'met' if ok_ratio else 'MISSED'} (worst {worst:.2f})")
    print(f"target >= 300 ARM GETs/s through the fake: {'met' if ok_rate else 'MISSED'} ({arm_rate:.0f}/s)")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(figures, fh, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
