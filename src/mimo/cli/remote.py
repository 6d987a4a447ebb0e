"""The admin commands over a remote admin API (``mimo --api URL …``) instead of a local store.

``--api URL`` (or ``MIMO_API``) sends ``manifests``, ``schedules`` and
``selectors`` to a running ``mimo serve`` (or any server with the Go MIMO's
admin endpoints); ``--api-token-file`` (or ``MIMO_API_TOKEN_FILE``) gives the
bearer token, ``--api-cert``/``--api-key`` a client certificate and
``--api-ca`` the CA to trust. The admin API keys manifests by cluster, so
``manifests show|cancel|delete`` need ``--cluster`` there. Commands with no
admin endpoint (``clusters``, ``actuator``, ``scheduler``, ``serve``,
``simulate``) refuse ``--api``. The server's refusal is one line on stderr
with its status and code, exit code 2; a server that cannot be reached,
exit code 1.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import click

from mimo.adminapi.client import AdminAPIError, AdminAPIUnreachable, AdminClient
from mimo.cli.common import fail, fmt_time, print_fields, print_json, print_table, settings

__all__ = ["API_ENV", "API_TOKEN_ENV", "api_client", "calling", "MANIFEST_COLUMNS", "manifest_row"]

API_ENV = "MIMO_API"
API_TOKEN_ENV = "MIMO_API_TOKEN_FILE"
MANIFEST_COLUMNS = ("id", "cluster", "task", "state", "priority", "runAfter", "runBefore", "statusText")


def _unreachable(message: str) -> NoReturn:
    click.echo(f"mimo: error: {' '.join(message.split())}", err=True)
    sys.exit(1)


def api_client() -> AdminClient | None:
    """The client of ``--api``, or ``None`` for the local store."""
    s = settings()
    if not s.api_url:
        return None
    if s._api is None:
        token = None
        if s.api_token_file:
            from mimo.adminapi.auth import AuthConfigError, read_token_file

            try:
                token = read_token_file(s.api_token_file)[0]
            except AuthConfigError as e:
                fail(str(e).replace("--token-file", "--api-token-file"))
        if (s.api_cert is None) != (s.api_key is None):
            fail("--api-cert and --api-key: give both or neither")
        cert = (s.api_cert, s.api_key) if s.api_cert and s.api_key else None
        try:
            s._api = AdminClient(s.api_url, token=token, cert=cert, ca=s.api_ca)
        except ValueError as e:
            fail(str(e))
        click.get_current_context().call_on_close(s._api.close)
    return s._api


@contextmanager
def calling() -> Iterator[None]:
    """The API's refusal → one ``mimo: error:`` line (exit 2); no answer → exit 1."""
    try:
        yield
    except AdminAPIError as e:
        if e.status >= 500:
            _unreachable(f"--api: the server failed: {e}")
        fail(str(e))
    except AdminAPIUnreachable as e:
        _unreachable(str(e))


def manifest_row(m: dict[str, Any], cluster: str = "") -> list[object]:
    rid = m.get("clusterResourceID") or cluster
    return [
        m.get("id", ""), rid.rsplit("/", 1)[-1], m.get("maintenanceTaskID", ""), m.get("state", ""),
        m.get("priority", 0), fmt_time(m.get("runAfter")), fmt_time(m.get("runBefore")), m.get("statusText", ""),
    ]


def show_manifests(found: list[dict[str, Any]], as_json: bool, cluster: str = "") -> None:
    if as_json:
        print_json(found)
        return
    print_table(f"{len(found)} manifests", MANIFEST_COLUMNS, [manifest_row(m, cluster) for m in found])


def show_manifest(m: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print_json(m)
        return
    d = dict(m)
    for k in ("runAfter", "runBefore"):
        if d.get(k):
            d[k] = f"{d[k]} ({fmt_time(d[k])})"
    print_fields(f"manifest {m.get('id', '')}", d)
