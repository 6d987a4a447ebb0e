"""Watches: a stream of ``WatchEvent`` JSON lines in a chunked 200 response.

As kube-apiserver's watch cache serves them (``storage/cacher``):

* ``resourceVersion`` unset or ``0``: the current objects as ``ADDED``, then changes;
  ``N``: the changes after N; older than the log keeps: one ``ERROR`` event with the
  410 ``Expired`` Status ``too old resource version: N (oldest)`` and the end.
* label and field selectors filter events, and an object that moves in or out of the
  selection is ``ADDED`` / ``DELETED`` (the cacher's ``watchCacheEvent`` filtering).
* ``allowWatchBookmarks``: a ``BOOKMARK`` (an object of the kind with only
  ``metadata.resourceVersion``) each minute of (virtual) time; ``sendInitialEvents``
  ends the initial ``ADDED`` events with a bookmark annotated
  ``k8s.io/initial-events-end: "true"``.
* ``timeoutSeconds`` (default 1800, kube-apiserver's ``--min-request-timeout``) ends
  the stream, counted on ``time.time()``: under a :class:`~pytest_mimo.clock.SimClock`
  virtual time, so a test that advances the clock ends the watch at once, and a watch
  waiting for events costs no wall time.

A stopped server, a restored snapshot (history reset) or a client that went away ends
the stream too.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import socket
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import encoding
from .fieldselectors import field_matcher
from .history import Change, TooOld
from .labels import SelectorError, parse_selector
from .models import ApiError, KindInfo
from .options import ListOptions

if TYPE_CHECKING:
    from .serving import KubeServing

__all__ = ["Watch", "DEFAULT_TIMEOUT_SECONDS", "BOOKMARK_SECONDS"]

Obj = dict[str, Any]

#: kube-apiserver's ``--min-request-timeout`` (watches without timeoutSeconds end after it)
DEFAULT_TIMEOUT_SECONDS = 1800
#: how often the cacher sends a bookmark to a watch that asked for them
BOOKMARK_SECONDS = 60.0
#: real seconds between checks that the client is still there while nothing happens
LIVENESS_SECONDS = 1.0


def _dumps(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


def too_old_status(err: TooOld) -> Obj:
    return ApiError(410, "Expired", str(err)).status()


class Watch:
    """One watch request: set up with :meth:`start` (under the model lock, may raise
    ``ApiError``), then :meth:`run` streams until it ends."""

    def __init__(
        self,
        fake: KubeServing,
        info: KindInfo,
        namespace: str | None,
        opts: ListOptions,
        name: str | None = None,
    ) -> None:
        self.fake = fake
        self.info = info
        self.namespace = namespace if info.namespaced else None
        self.opts = opts
        try:
            labels = parse_selector(opts.label_selector)
        except SelectorError as e:
            raise ApiError.bad_request(str(e)) from None
        fields = field_matcher(info, opts.field_selector, name=name)
        self._labels, self._fields = labels, fields
        self._gvk = (info.api_version, info.kind)
        self._initial: list[Obj] = []
        self._seq = 0
        self._after_rv = 0
        self._epoch = 0
        self._too_old: TooOld | None = None
        self._initial_end_rv: int | None = None

    # -- selection ------------------------------------------------------------

    def _selected(self, obj: Obj | None) -> bool:
        if obj is None:
            return False
        meta = obj.get("metadata") or {}
        if self.namespace is not None and meta.get("namespace") != self.namespace:
            return False
        return self._labels(meta.get("labels") or {}) and self._fields(obj)

    def _event(self, change: Change) -> tuple[str, Obj] | None:
        if change.gvk != self._gvk or change.rv <= self._after_rv:
            return None
        if change.type == "DELETED":
            return ("DELETED", change.object) if self._selected(change.old) else None
        now, before = self._selected(change.object), self._selected(change.old)
        if change.type == "ADDED":
            return ("ADDED", change.object) if now else None
        if now and before:
            return "MODIFIED", change.object
        if now:
            return "ADDED", change.object
        if before:
            return "DELETED", change.object
        return None

    # -- setting up -----------------------------------------------------------

    def start(self) -> None:
        """Fix the starting point: call under the model lock."""
        model = self.fake.model
        history = model.history
        self._epoch = history.epoch
        rv_text = self.opts.resource_version
        initial = self.opts.send_initial_events
        if initial is None:
            initial = rv_text in ("", "0")
        current = int(model.resource_version)
        if rv_text in ("", "0"):
            self._seq = history.next_seq
            self._after_rv = current
        else:
            try:
                asked = int(rv_text)
                if asked < 0:
                    raise ValueError(rv_text)
            except ValueError:
                raise ApiError.bad_request(f"invalid resource version: {rv_text!r}"[:200]) from None
            try:
                self._seq = history.seq_after(asked)
                self._after_rv = asked
            except TooOld as e:
                self._too_old = e
                return
            if initial:
                # sendInitialEvents with a resourceVersion: the state not older than it
                self._seq = history.next_seq
                self._after_rv = current
        if initial:
            self._initial = [
                o for o in model.list(self.info, self.namespace) if self._selected(o)
            ]
        if self.opts.send_initial_events:
            self._initial_end_rv = current

    # -- streaming ------------------------------------------------------------

    def _object(self, obj: Obj) -> Obj:
        if obj.get("apiVersion") == self.info.api_version and obj.get("kind") == self.info.kind:
            return obj
        return {"apiVersion": self.info.api_version, "kind": self.info.kind, **obj}

    def _line(self, type_: str, obj: Obj) -> bytes:
        """The event ``{"type": type_, "object": obj}`` as one JSON line. An object sent as it is
        stored (the change log's and the store's are never changed in place) is the JSON the wire
        remembers for it (:func:`.encoding.stored_json`: the object a write just answered with is
        not encoded again), joined as the encoder joins a dict's pairs."""
        o = self._object(obj)
        if o is obj and type(o) is dict:
            return b'{"type":' + _dumps(type_) + b',"object":' + encoding.stored_json(o) + b"}\n"
        return _dumps({"type": type_, "object": o}) + b"\n"

    def _bookmark(self, rv: int, *, initial_end: bool = False) -> bytes:
        meta: Obj = {"resourceVersion": str(rv)}
        if initial_end:
            meta["annotations"] = {"k8s.io/initial-events-end": "true"}
        obj = {"kind": self.info.kind, "apiVersion": self.info.api_version, "metadata": meta}
        return _dumps({"type": "BOOKMARK", "object": obj}) + b"\n"

    def run(self, write: Callable[[bytes], None], conn: socket.socket | None) -> None:
        """Stream events through ``write`` (one chunk per call) until the watch ends."""
        fake, history = self.fake, self.fake.model.history
        timeout = self.opts.timeout_seconds
        if timeout is None or timeout <= 0:
            timeout = DEFAULT_TIMEOUT_SECONDS
        deadline = time.time() + timeout
        if self._too_old is not None:
            write(_dumps({"type": "ERROR", "object": too_old_status(self._too_old)}) + b"\n")
            return
        if self._initial:
            write(b"".join(self._line("ADDED", o) for o in self._initial))
            self._initial = []
        if self._initial_end_rv is not None:
            write(self._bookmark(self._initial_end_rv, initial_end=True))
        last_bookmark = time.time()
        last_alive = time.monotonic()
        fake._watch_started()
        try:
            while True:
                with history.cond:
                    while (
                        history.next_seq <= self._seq
                        and not history.closed
                        and history.epoch == self._epoch
                        and time.time() < deadline
                        and not (
                            self.opts.allow_watch_bookmarks
                            and time.time() - last_bookmark >= BOOKMARK_SECONDS
                        )
                    ):
                        wait = min(deadline - time.time(), LIVENESS_SECONDS)
                        history.cond.wait(timeout=max(wait, 0.0))
                        if time.monotonic() - last_alive >= LIVENESS_SECONDS:
                            last_alive = time.monotonic()
                            if _client_gone(conn):
                                return
                    if history.closed:
                        return
                    if history.epoch != self._epoch:
                        raise TooOld(self._after_rv, history.floor)
                    changes = history.since_seq(self._seq)
                self._seq += len(changes)
                out = []
                for change in changes:
                    event = self._event(change)
                    if event is not None:
                        out.append(self._line(event[0], event[1]))
                if out:
                    write(b"".join(out))
                now = time.time()
                if now >= deadline:
                    return
                if self.opts.allow_watch_bookmarks and now - last_bookmark >= BOOKMARK_SECONDS:
                    last_bookmark = now
                    write(self._bookmark(int(fake.model.resource_version)))
        except TooOld as e:
            # fell out of the log (compacted or reset): the cacher's "too old" error event
            with contextlib.suppress(OSError):
                write(_dumps({"type": "ERROR", "object": too_old_status(e)}) + b"\n")
        finally:
            fake._watch_ended()


def _client_gone(conn: socket.socket | None) -> bool:
    """Has the client closed its end? (a readable socket with nothing to read is EOF)"""
    if conn is None:
        return False
    try:
        fd = conn.fileno()
        if fd < 0:
            return True
        readable, _, _ = select.select([fd], [], [], 0)
        if not readable:
            return False
        with socket.socket(fileno=os.dup(fd)) as raw:
            return raw.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True
