"""What a connection and a watch use of the server that accepted them (a typing :class:`Protocol`).

:class:`~pytest_mimo.fakes.kube.server.FakeKube` is the one implementation. The
connection handler (``responses.py``) and the watch (``watch.py``) are typed
against this protocol instead of the server class, so neither imports
``server.py``, which imports them: state and serving stand apart from the wire.
"""

from __future__ import annotations

from typing import Protocol

from ..base import FaultHook, RequestRecord
from .models import KubeModel

__all__ = ["KubeServing"]


class KubeServing(Protocol):
    #: the objects, their history and the lock every request takes
    model: KubeModel
    #: every request served, in order (what the tests read)
    requests: list[RequestRecord]
    #: the bearer token a request must carry
    token: str
    #: seconds (real time) a connection may sit in a half-sent request or idle keep-alive
    read_timeout: float
    #: faults injected into requests, when a FaultInjector is attached
    fault_hook: FaultHook | None

    @property
    def url(self) -> str: ...

    def concurrent_write(self, api_version: str, kind: str, name: str, namespace: str | None = None) -> bool:
        """Another writer changes the object now (the ``conflict`` fault)."""
        ...

    def _tick(self) -> None:
        """Run the tickers (the simulated controllers) before a request is served."""

    def _watch_started(self) -> None:
        """A watch is past its initial events."""

    def _watch_ended(self) -> None:
        """A watch ended."""
