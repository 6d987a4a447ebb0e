"""What the fakes share: the request log entry, and the fault hook contract.

Both fakes (Kubernetes and Azure) call their ``fault_hook`` once per incoming
request, *before* handling it, with a :class:`FakeRequest`. The hook returns
``None`` (serve normally) or a :class:`FaultAction` naming a fault kind; the
fake then plays that fault on its own wire, the way the real service shows it:

=================  ==========================================================
kind               what the fake does
=================  ==========================================================
throttle           429 with ``Retry-After: <retry_after>`` and the service's
                   throttling body; nothing applied
server_error       500, service's error body; nothing applied
unavailable        503, service's error body; nothing applied
timeout            504 (kube: Status reason ``Timeout``); nothing applied
conflict           kube writes only: 409 ``Conflict`` as if another writer came
                   first (the standard "the object has been modified" message)
connection_reset   the connection drops before any response; nothing applied
lost_response      the request IS applied (state changes), then the connection
                   drops with no response
lro_failed         azure long-running writes: accepted (201/202 as usual) but
                   the operation ends ``Failed``; the resource is not changed
token_error        azure token endpoint: 503 with an AAD error body
                   (``temporarily_unavailable``)
=================  ==========================================================

A fake that gets a kind it cannot play for that request (e.g. ``conflict`` on
a GET) serves the request normally and records ``fault=None``.

Each fake keeps ``requests``: a list of :class:`RequestRecord`, one per request
received, in order, with the fault that was played (or ``None``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["FakeRequest", "FaultAction", "FaultHook", "RequestRecord", "KUBE_FAULT_KINDS", "AZURE_FAULT_KINDS"]

KUBE_FAULT_KINDS = (
    "throttle",
    "server_error",
    "unavailable",
    "timeout",
    "conflict",
    "connection_reset",
    "lost_response",
)
AZURE_FAULT_KINDS = (
    "throttle",
    "server_error",
    "unavailable",
    "lro_failed",
    "lost_response",
    "token_error",
)


@dataclass(frozen=True)
class FakeRequest:
    """One request as a fault hook sees it."""

    backend: str  #: "kube" or "azure"
    method: str  #: HTTP method
    path: str  #: URL path with query (kube) or the full URL (azure)
    verb: str  #: get, list, create, update, patch, delete, status, discovery, token, lro_poll, action, …
    resource: str  #: kube: "<plural>.<group>/<namespace>/<name>"; azure: lower-cased resource ID or vault/secret
    is_write: bool  #: the request would change state
    is_lro: bool = False  #: azure: a write that Azure runs as a long-running operation


@dataclass(frozen=True)
class FaultAction:
    kind: str
    retry_after: int = 1  #: seconds, for ``throttle``


FaultHook = Callable[[FakeRequest], "FaultAction | None"]


@dataclass
class RequestRecord:
    method: str
    path: str
    status: int  #: 0 when the connection was dropped
    fault: str | None = None
    verb: str = ""
    resource: str = ""
    is_write: bool = False
    extra: dict[str, object] = field(default_factory=dict)
