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
conflict           kube writes to an existing object: another writer changes it
                   first (a new resourceVersion and the annotation
                   ``pytest-mimo.io/concurrent-writer``), then the request is
                   served: with the old resourceVersion it meets the real 409
                   ``Conflict``; without one it overwrites the other's change
connection_reset   the connection drops before any response; nothing applied
lost_response      the request IS applied (state changes), then the connection
                   drops with no response
lro_failed         azure long-running writes: accepted (201/202 as usual) but
                   the operation ends ``Failed``: the resource is left in
                   ``provisioningState: Failed`` (a created one stays, an updated
                   one gets its previous properties back, a deleted one stays)
token_error        azure token endpoint: 503 with an AAD error body
                   (``temporarily_unavailable``)
=================  ==========================================================

A fake that gets a kind it cannot play for that request (e.g. ``conflict`` on
a GET) serves the request normally and records ``fault=None``.

Each fake keeps ``requests``: a list of :class:`RequestRecord`, one per request
received, in order, with the fault that was played (or ``None``).
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from pytest_mimo.faultkinds import kinds_of

__all__ = ["fast_thread_handoff", "FakeRequest", "FaultAction", "FaultHook", "RequestRecord", "KUBE_FAULT_KINDS", "AZURE_FAULT_KINDS"]

#: the kinds each fake plays, from the one table (:mod:`pytest_mimo.faultkinds`; the crash kinds
#: at a write are the harness's: it plays them to the fakes as connection_reset / lost_response)
KUBE_FAULT_KINDS = kinds_of("kube")
AZURE_FAULT_KINDS = tuple(k for k in kinds_of("azure") if k != "concurrent_write")  # played by the harness


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


# -- GIL hand-off between a client and an in-process fake server ------------------------------

#: while a fake server thread runs, the GIL switch interval drops to this (seconds)
FAST_SWITCH_INTERVAL = 0.0001
_handoff_lock = threading.Lock()
_handoff_users = 0
_saved_interval = 0.005


def fast_thread_handoff(on: bool) -> None:
    """Shorten the GIL switch interval while an in-process fake server runs (counted; restored
    by the last ``fast_thread_handoff(False)``).

    A request to a server thread in the same process costs a GIL hand-off each
    way; with CPython's default 5 ms switch interval the client waits for the
    server thread to give the GIL back, and a loopback GET through the official
    Kubernetes client costs 1.3–2 ms. At 0.1 ms it costs about 0.35 ms (measured
    in ``bench/replay.py``). The setting is process-wide and only affects how
    often threads that all want the GIL take turns.
    """
    global _handoff_users, _saved_interval
    with _handoff_lock:
        if on:
            if _handoff_users == 0:
                _saved_interval = sys.getswitchinterval()
                sys.setswitchinterval(FAST_SWITCH_INTERVAL)
            _handoff_users += 1
        elif _handoff_users > 0:
            _handoff_users -= 1
            if _handoff_users == 0:
                sys.setswitchinterval(_saved_interval)
