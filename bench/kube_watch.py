"""Watch fan-out of the fake kube: LISTENERS official-client watches, WRITES writes over HTTP.

Each run: a fresh FakeKube, LISTENERS threads each running ``watch.Watch().stream``
on the ConfigMaps of ``default`` (established before the first write), then WRITES
ConfigMap creates over one keep-alive HTTP connection. Every listener must receive
every write's ADDED event, in resourceVersion order, none lost (checked, not assumed).
Prints events/s delivered (WRITES x LISTENERS / wall time) and writes/s; median of RUNS.

    python bench/kube_watch.py [--runs 3] [--writes 10000] [--listeners 8]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import statistics
import sys
import threading
import time

from kubernetes import client, watch

from pytest_mimo.fakes.kube import FakeKube


def one_run(writes: int, listeners: int) -> tuple[float, float]:
    with FakeKube(token="bench") as kube:
        received: list[list[tuple[str, int, str]]] = [[] for _ in range(listeners)]
        api = kube.api_client()
        core = client.CoreV1Api(api)

        def listen(i: int) -> None:
            w = watch.Watch()
            for ev in w.stream(core.list_namespaced_config_map, "default", timeout_seconds=3600, deserialize=False):
                meta = ev["object"]["metadata"]
                received[i].append((ev["type"], int(meta["resourceVersion"]), meta["name"]))
                if len(received[i]) == writes:
                    w.stop()

        threads = [threading.Thread(target=listen, args=(i,), daemon=True) for i in range(listeners)]
        for t in threads:
            t.start()
        if not kube.wait_for_watches(listeners, timeout=60):
            raise SystemExit("the watches did not start")
        host, port = kube.url.removeprefix("http://").split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        headers = {"Authorization": "Bearer bench", "Content-Type": "application/json"}
        start = time.perf_counter()
        for n in range(writes):
            body = json.dumps({"metadata": {"name": f"cm-{n}"}, "data": {"n": str(n)}})
            conn.request("POST", "/api/v1/namespaces/default/configmaps", body=body, headers=headers)
            resp = conn.getresponse()
            resp.read()
            if resp.status != 201:
                raise SystemExit(f"write {n}: HTTP {resp.status}")
        wrote = time.perf_counter() - start
        for t in threads:
            t.join(timeout=600)
        elapsed = time.perf_counter() - start
        conn.close()
        for i, got in enumerate(received):
            rvs = [rv for _, rv, _ in got]
            # every write's own event, in the order written: event n names cm-n
            names_in_order = [name for _, _, name in got] == [f"cm-{n}" for n in range(writes)]
            if (len(got) != writes or any(t != "ADDED" for t, _, _ in got) or rvs != sorted(rvs)
                    or len(set(rvs)) != writes or not names_in_order):
                raise SystemExit(f"listener {i}: {len(got)} events of {writes}, resourceVersions in order: "
                                 f"{rvs == sorted(rvs)}, names in write order: {names_in_order}")
        api.close()
        return writes * listeners / elapsed, writes / wrote


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--writes", type=int, default=10_000)
    p.add_argument("--listeners", type=int, default=8)
    a = p.parse_args()
    print(f"machine: {platform.platform()}, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    delivered, written = [], []
    for r in range(a.runs):
        d, w = one_run(a.writes, a.listeners)
        delivered.append(d)
        written.append(w)
        print(f"run {r + 1}: {a.listeners} listeners got all {a.writes} events in order, none lost; "
              f"{d:,.0f} events/s delivered, {w:,.0f} writes/s")
    print(f"median over {a.runs} runs: {statistics.median(delivered):,.0f} events/s delivered, "
          f"{statistics.median(written):,.0f} writes/s")


if __name__ == "__main__":
    main()
