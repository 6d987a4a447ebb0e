"""``mimo serve`` as a real process and a real uvicorn server on loopback.

The end-to-end test starts ``mimo serve`` on an ephemeral port, creates a
manifest through the API, lets the actuator beside it run it, reads the
metrics and readiness, and stops the process with SIGTERM. The TLS test runs
the host in a thread with client certificates (Go's admin authentication).
Waits are on the process's output or the server's answers, each bounded.
"""

from __future__ import annotations

import os
import select
import signal
import ssl
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from mimo.api import OpenShiftClusterDocument, SubscriptionDocument
from mimo.store.sqlite import SqliteStore

from .certs import CA
from .helpers import RID, SUB, TOKEN

PLUGIN_DIR = Path(__file__).resolve().parents[1] / "cli" / "plugins"
NOOP_ID = "00000000-0000-4000-8000-00000000a001"
CLUSTER_PATH = "/admin" + RID.replace("resourcegroups", "resourceGroups")


def _db(tmp_path: Path) -> str:
    db = str(tmp_path / "mimo.db")
    s = SqliteStore(db)
    s.put_subscription(SubscriptionDocument(id=SUB))
    s.put_cluster(OpenShiftClusterDocument(id="33333333-3333-4333-8333-333333333333", resource_id=RID))
    s.close()
    return db


def _env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(PYTHONPATH=os.pathsep.join([str(PLUGIN_DIR), env.get("PYTHONPATH", "")]),
               MIMO_PLUGINS="mimo_test_tasks", MIMO_TEST_DIR=str(tmp_path))
    env.pop("MIMO_STORE", None)
    return env


def _until(pred, what: str, wait_on, timeout: float = 30.0):
    """Ask ``pred`` until it gives a truthy value; between asks, wait at most 50 ms on ``wait_on``."""
    deadline = time.monotonic() + timeout
    while True:
        got = pred()
        if got:
            return got
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        wait_on(0.05)


def test_mimo_serve_runs_the_api_beside_the_actuator_until_sigterm(tmp_path: Path) -> None:
    db = _db(tmp_path)
    tokens = tmp_path / "tokens"
    tokens.write_text(f"# admins\n{TOKEN}\n")
    err_path = tmp_path / "serve.err"
    with open(err_path, "wb") as err:
        p = subprocess.Popen(
            [sys.executable, "-m", "mimo.cli", "--store", db, "serve", "--listen", "127.0.0.1:0",
             "--token-file", str(tokens), "--readiness-delay", "0", "--poll-interval", "0.05",
             "--probe-interval", "0.05", "--scheduler-interval", "0.05", "--log-level", "WARNING"],
            env=_env(tmp_path), stdout=subprocess.PIPE, stderr=err, cwd=tmp_path, text=True, bufsize=1,
        )
    assert p.stdout is not None

    def wait_on(t: float) -> None:
        select.select([p.stdout], [], [], t)

    try:
        ready, _, _ = select.select([p.stdout], [], [], 30)
        assert ready, f"no line from mimo serve: {err_path.read_text()}"
        line = p.stdout.readline().strip()
        assert line.startswith("mimo serve: listening on http://127.0.0.1:"), (line, err_path.read_text())
        assert "(admin API, actuator, scheduler;" in line
        base = line.split("listening on ", 1)[1].split(" ", 1)[0]
        auth = {"Authorization": f"Bearer {TOKEN}"}
        _until(lambda: requests.get(base + "/healthz/ready", timeout=5).status_code == 200, "ready", wait_on)

        r = requests.put(base + CLUSTER_PATH + "/maintenanceManifests", json={"maintenanceTaskID": NOOP_ID},
                         headers=auth, timeout=5)
        assert r.status_code == 201, r.text
        mid = r.json()["id"]

        def completed():
            g = requests.get(f"{base}{CLUSTER_PATH}/maintenanceManifests/{mid}", headers=auth, timeout=5)
            return g.json() if g.json().get("state") == "Completed" else None

        done = _until(completed, "the actuator beside the API to run the manifest", wait_on)
        assert done["statusText"] == "nothing to do"

        assert requests.get(base + "/metrics", timeout=5).status_code == 403
        text = requests.get(base + "/metrics", headers=auth, timeout=5).text
        assert (f'mimo_actuator_task_duration_seconds_count{{outcome="Completed",task_id="{NOOP_ID}"}} 1.0'
                in text), text
        assert "mimo_database_maintenancemanifests_queue_length " in text
        assert 'mimo_actuator_heartbeat{version="' in text
        p.send_signal(signal.SIGTERM)
        p.communicate(timeout=30)
        assert p.returncode == 0, err_path.read_text()
    finally:
        if p.poll() is None:
            p.kill()
            p.wait(10)


@pytest.mark.parametrize(
    "args, message",
    [
        ([], "no authentication configured"),
        (["--token-file", "TOKENS", "--listen", "0.0.0.0:0"], "bearer tokens would cross the network in clear text"),
        (["--token-file", "TOKENS", "--client-cn", "admin"], "--client-ca and --client-cn: give both or neither"),
        (["--insecure-no-auth", "--token-file", "TOKENS"], "--insecure-no-auth: give it alone"),
        (["--token-file", "TOKENS", "--listen", "8443"], "--listen: '8443' is not HOST:PORT"),
        (["--token-file", "TOKENS", "--tls-cert", "missing.crt", "--tls-key", "missing.key"],
         "--tls-cert: missing.crt: no such file"),
    ],
)
def test_mimo_serve_refuses_to_start_without_safe_authentication(tmp_path: Path, args, message) -> None:
    (tmp_path / "TOKENS").write_text("t0k\n")
    out = subprocess.run(
        [sys.executable, "-m", "mimo.cli", "--store", str(tmp_path / "mimo.db"), "serve", *args],
        env=_env(tmp_path), cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and out.stderr.startswith("mimo: error: ") and message in out.stderr, out.stderr
    assert not (tmp_path / "mimo.db").exists()


def test_client_certificates_with_the_configured_common_name_are_admins(tmp_path: Path) -> None:
    from mimo.adminapi.auth import Authenticator
    from mimo.host import FleetHost, HostConfig
    from mimo.store.memory import MemoryStore

    ca = CA(tmp_path)
    server_crt, server_key = ca.issue("server", "localhost", server=True)
    admin = ca.issue("admin", "mimo-admin", server=False)
    other = ca.issue("other", "someone-else", server=False)
    stranger = CA(tmp_path, "other CA").issue("stranger", "mimo-admin", server=False)
    store = MemoryStore()
    store.put_subscription(SubscriptionDocument(id=SUB))
    config = HostConfig(host="127.0.0.1", port=0, auth=Authenticator(client_cert_cn="mimo-admin"),
                        tls_cert=str(server_crt), tls_key=str(server_key), client_ca=str(ca.path),
                        run_actuator=False, run_scheduler=False, readiness_delay=0, log_level="warning")
    host = FleetHost(store, {}, config)
    url = host.url
    t = threading.Thread(target=host.serve, daemon=True)
    t.start()
    try:
        verify = str(ca.path)
        for cert, want in (
            (admin, (200, {"value": []})),
            (other, (403, {"error": {"code": "Forbidden", "message": "Forbidden."}})),
        ):
            with requests.Session() as session:
                r = session.get(url + "/admin/maintenanceschedules", cert=(str(cert[0]), str(cert[1])),
                                verify=verify, timeout=10, headers={"Connection": "close"})
                assert (r.status_code, r.json()) == want
        for cert in (None, (str(stranger[0]), str(stranger[1]))):
            # no certificate, or one from another CA: the TLS handshake itself is refused
            with requests.Session() as session, pytest.raises(
                (requests.exceptions.SSLError, requests.exceptions.ConnectionError)
            ):
                session.get(url + "/admin/maintenanceschedules", cert=cert, verify=verify, timeout=10)
    finally:
        host.stop()
        t.join(30)
    assert not t.is_alive()
    assert ssl.OPENSSL_VERSION  # the TLS layer in use


def test_the_host_is_not_ready_while_its_store_does_not_answer(tmp_path: Path) -> None:
    """Go's checkReady: a loop that could not refresh its view recently makes the host not ready."""
    from mimo.adminapi.auth import Authenticator
    from mimo.host import FleetHost, HostConfig
    from mimo.store.memory import MemoryStore

    class FlakyStore(MemoryStore):
        down = True

        def count_manifests(self):
            if self.down:
                raise ConnectionError("database unreachable")
            return super().count_manifests()

    store = FlakyStore()
    config = HostConfig(host="127.0.0.1", port=0, auth=Authenticator(tokens=[TOKEN]), run_actuator=False,
                        run_scheduler=False, readiness_delay=0, probe_interval=0.05, log_level="critical")
    host = FleetHost(store, {}, config)
    url = host.url
    t = threading.Thread(target=host.serve, daemon=True)
    t.start()
    gate = threading.Event()
    try:
        with requests.Session() as s:
            r = s.get(url + "/healthz/ready", timeout=10)
            assert (r.status_code, r.text) == (500, "internal server error: not ready\n")
            assert s.get(url + "/healthz", timeout=10).text == "[-]ready failed: reason withheld\nhealthz check failed\n"
            store.down = False
            _until(lambda: s.get(url + "/healthz/ready", timeout=10).text == "ok", "ready once the store answers",
                   gate.wait)
    finally:
        host.stop()
        t.join(30)
    assert not t.is_alive()
