"""``FakeKube``: a real HTTP(S) server on 127.0.0.1 speaking the Kubernetes REST protocol.

Works without pytest: ``with FakeKube() as kube: helper = kube.client_helper()``.
State lives in :class:`~.models.KubeModel`, the wire in :mod:`.responses`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import secrets
import shutil
import socket
import ssl
import tempfile
import threading
from collections.abc import Callable, Iterable
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...clock import off_advance, on_advance
from ..base import FaultHook, RequestRecord, fast_thread_handoff
from .controllermanager import ControllerManager
from .models import BUILTIN_KINDS, KindInfo, KubeModel, WriteEvent
from .responses import KubeHandler

if TYPE_CHECKING:
    from mimo.kube import DiscoveredResource, KubeHelper

__all__ = ["FakeKube", "SharedDiscovery"]

Obj = dict[str, Any]
Objs = list[Obj]  # spelled out once: the class has a ``list`` method
Ticker = Callable[["FakeKube"], None]


#: how often an idle server's accept loop wakes up (stop_serving() does not wait for it). Each
#: wake-up takes the GIL from whatever thread runs: a simulated fleet of 1,000 idle fakes woke
#: 200 times a second at 5 s, and a GET to the one fake in use cost about twice the wall time
#: (``bench/simulate.py``); at 60 s it is 17 times a second
IDLE_POLL_SECONDS = 60.0

#: kube-apiserver's ``ReadHeaderTimeout`` (32 s, just shy of requestTimeoutUpperBound)
READ_TIMEOUT_SECONDS = 32.0

#: the namespaces every cluster has from the start (kube-apiserver's system namespaces
#: controller creates them; ``kube-node-lease`` since 1.14)
#: the annotation "another writer" sets (the ``conflict`` fault)
CONCURRENT_WRITER_ANNOTATION = "pytest-mimo.io/concurrent-writer"

DEFAULT_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = False

    def __init__(self, fake: FakeKube, ssl_context: ssl.SSLContext | None) -> None:
        self.fake = fake
        self.ssl_context = ssl_context
        self.open_sockets: set[socket.socket] = set()
        self._sockets_lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), KubeHandler)

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, addr = super().get_request()
        if self.ssl_context is not None:
            # handshake later, in the handler's thread, so a stalled client cannot block accept()
            sock = self.ssl_context.wrap_socket(
                sock, server_side=True, do_handshake_on_connect=False
            )
        with self._sockets_lock:
            self.open_sockets.add(sock)
        return sock, addr

    def shutdown_request(self, request: Any) -> None:
        with self._sockets_lock:
            self.open_sockets.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        return  # a client that went away (or a failed TLS handshake) is not our error

    def stop_serving(self) -> None:
        """``shutdown()`` without waiting up to a poll interval: flag the loop, then wake its
        ``select`` with a throw-away connection (stopping a fake costs ~1 ms, not an idle poll)."""
        self._BaseServer__shutdown_request = True  # type: ignore[attr-defined]  # read by serve_forever
        host, port = self.server_address[:2]
        with contextlib.suppress(OSError), socket.create_connection((str(host), port), timeout=0.5):
            pass
        self.shutdown()

    def drop_all(self) -> None:
        with self._sockets_lock:
            socks = list(self.open_sockets)
            self.open_sockets.clear()
        for s in socks:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                s.close()


class SharedDiscovery:
    """The :class:`mimo.kube.DiscoveryMemo` of one fake: what any helper in this process discovered
    on a fake serving exactly the same kinds (the discovery documents are a function of the kinds
    alone, :mod:`.discovery`), so each kind is discovered over HTTP once per process and kind set,
    not once per fake — a fleet of a thousand identical clusters, or a fresh world per replay,
    pays it once. A fake whose kinds change (a CRD created or deleted) looks up another set."""

    _table: dict[tuple[frozenset[KindInfo], str, str], DiscoveredResource] = {}
    _lock = threading.Lock()

    def __init__(self, model: KubeModel) -> None:
        self.model = model

    def _key(self, api_version: str, kind: str) -> tuple[frozenset[KindInfo], str, str]:
        with self.model.lock:
            kinds = frozenset(self.model.kinds.values())
        return kinds, api_version, kind

    def get(self, api_version: str, kind: str) -> DiscoveredResource | None:
        return self._table.get(self._key(api_version, kind))

    def put(self, api_version: str, kind: str, res: DiscoveredResource) -> None:
        key = self._key(api_version, kind)
        with self._lock:
            self._table.setdefault(key, res)

    @classmethod
    def clear(cls) -> None:
        """Forget everything (the next helper of every fake discovers again)."""
        with cls._lock:
            cls._table.clear()


def _as_kind(k: KindInfo | tuple[Any, ...]) -> KindInfo:
    return k if isinstance(k, KindInfo) else KindInfo(*k)


class FakeKube:
    """A fake Kubernetes API server for one cluster.

    ``kinds`` adds kinds to the built-in ones (``KindInfo`` or
    ``(api_version, kind, plural, namespaced)`` tuples). ``token`` is the
    bearer token it accepts (random if not given; never printed). ``seed``
    makes object UIDs reproducible. ``share_discovery``: the helper reuses what helpers of other
    fakes serving the same kinds discovered (:class:`SharedDiscovery`); ``False``: it discovers
    over HTTP itself, as a fresh process would.
    """

    def __init__(
        self,
        *,
        tls: bool = False,
        token: str | None = None,
        kinds: Iterable[KindInfo | tuple[Any, ...]] | None = None,
        seed: int = 0,
        read_timeout: float = READ_TIMEOUT_SECONDS,
        share_discovery: bool = True,
    ) -> None:
        self.share_discovery = share_discovery
        self.model = KubeModel(BUILTIN_KINDS + tuple(_as_kind(k) for k in (kinds or ())), seed=seed)
        #: seconds (real time) a connection may sit in a half-sent request or idle keep-alive
        self.read_timeout = read_timeout
        for ns in DEFAULT_NAMESPACES:
            self.model.put({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
        #: the namespace controller and garbage collector every cluster runs (:mod:`.controllermanager`)
        self.controllers = ControllerManager(self.model)
        self.token = token or secrets.token_hex(24)
        self.tls = tls
        self.requests: list[RequestRecord] = []
        self.fault_hook: FaultHook | None = None
        #: changes made by "another writer" (the ``conflict`` fault), in order
        self.concurrent_writes: list[tuple[tuple[str, str, str | None, str], str, str]] = []
        self._concurrent = 0
        self._tickers: list[Ticker] = []
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._dir: Path | None = None
        self._ca_file: Path | None = None
        self._helper: KubeHelper | None = None
        self._watches = 0
        self._watches_changed = threading.Condition()

    def __repr__(self) -> str:
        where = self.url if self._server is not None else "stopped"
        return f"FakeKube({where})"

    # -- life cycle ----------------------------------------------------------

    def start(self) -> FakeKube:
        if self._server is not None:
            return self
        self._dir = Path(tempfile.mkdtemp(prefix="fake-kube-"))
        ctx = None
        if self.tls:
            from .tls import write_ca_and_cert

            self._ca_file, cert, key = write_ca_and_cert(self._dir)
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(cert, key)
        self._server = _Server(self, ctx)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            # stop_serving() wakes the loop itself: an idle server need not poll often, and a
            # fleet of hundreds of idle servers then costs no GIL hand-offs
            kwargs={"poll_interval": IDLE_POLL_SECONDS},
            name="fake-kube",
            daemon=True,
        )
        self._thread.start()
        fast_thread_handoff(True)
        self.model.history.reopen()
        on_advance(self._on_clock)
        return self

    def stop(self) -> None:
        if self._helper is not None:
            self._helper.close()
            self._helper = None
        off_advance(self._on_clock)
        self.model.history.close()  # open watches end
        if self._server is not None:
            fast_thread_handoff(False)
            self._server.stop_serving()
            self._server.drop_all()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    def __enter__(self) -> FakeKube:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _running(self) -> _Server:
        if self._server is None:
            raise RuntimeError(
                "FakeKube is not started: call start() or use it as a context manager"
            )
        return self._server

    @property
    def url(self) -> str:
        host, port = self._running().server_address[:2]
        return f"{'https' if self.tls else 'http'}://{host!s}:{port}"

    @property
    def ca_file(self) -> str | None:
        """PEM file of the CA that signed the serving certificate (TLS mode only)."""
        return str(self._ca_file) if self._ca_file else None

    def kubeconfig(self) -> str:
        """Path of a kubeconfig (for kubectl or ``KubeHelper.from_kubeconfig``) pointing here."""
        self._running()
        assert self._dir is not None
        path = self._dir / "kubeconfig"
        cluster: Obj = {"server": self.url}
        if self.ca_file:
            cluster["certificate-authority"] = self.ca_file
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "fake", "cluster": cluster}],
            "users": [{"name": "fake", "user": {"token": self.token}}],
            "contexts": [{"name": "fake", "context": {"cluster": "fake", "user": "fake"}}],
            "current-context": "fake",
        }
        path.write_text(json.dumps(config, indent=2))
        path.chmod(0o600)
        return str(path)

    def api_client(self) -> Any:
        """A new official ``kubernetes.client.ApiClient`` pointed here (typed APIs, dynamic
        client, ``watch.Watch``); the caller closes it."""
        from kubernetes import client as k8s_client

        self._running()
        config = k8s_client.Configuration()
        config.host = self.url
        config.api_key = {"authorization": self.token}
        config.api_key_prefix = {"authorization": "Bearer"}
        if self.ca_file:
            config.ssl_ca_cert = self.ca_file
        return k8s_client.ApiClient(config)

    def client_helper(self) -> KubeHelper:
        """The production helper (``mimo.kube.KubeHelper``) pointed at this server, one per fake."""
        if self._helper is None:
            from mimo.kube import KubeHelper

            self._running()
            assert self._dir is not None
            # discovery stays in the helper's memory, as the production context's helper keeps it
            # (a cache file was rewritten whole after every group discovered, and never read again)
            memo = SharedDiscovery(self.model) if self.share_discovery else None
            self._helper = KubeHelper.from_token(self.url, self.token, ca_file=self.ca_file, discovery=memo)
        return self._helper

    # -- kinds, reactions, tickers -------------------------------------------

    def register_kind(
        self,
        api_version: str,
        kind: str,
        plural: str,
        namespaced: bool,
        *,
        has_status: bool = True,
        generation: bool = True,
        builtin: bool = False,
    ) -> KindInfo:
        info = KindInfo(
            api_version,
            kind,
            plural,
            namespaced,
            has_status=has_status,
            generation=generation,
            builtin=builtin,
        )
        self.model.register(info)
        return info

    def add_reaction(self, fn: Callable[[WriteEvent], None]) -> None:
        """Call ``fn(event)`` after every successful write over HTTP (``event.kube`` is this fake).

        Runs under the model lock, right after the write and before the response
        leaves. A no-op update is no write; writes a reaction makes (through
        ``event.kube`` or ``event.model``) bump resourceVersion but wake no reaction.
        """
        self.model.add_reaction(lambda ev: fn(dataclasses.replace(ev, kube=self)))

    def add_ticker(self, fn: Ticker) -> None:
        """Call ``fn(self)`` before serving each HTTP request (e.g. when virtual time has passed).

        Tickers run under the model lock: they use the Python-side API
        (``add``/``get``/``list``/``delete``), never HTTP to this server.
        """
        self._tickers.append(fn)

    # -- watches and virtual time --------------------------------------------

    def _watch_started(self) -> None:
        with self._watches_changed:
            self._watches += 1
            self._watches_changed.notify_all()

    def _watch_ended(self) -> None:
        with self._watches_changed:
            self._watches -= 1
            self._watches_changed.notify_all()

    @property
    def open_watches(self) -> int:
        """Watches being served now (each past its initial events)."""
        return self._watches

    def wait_for_watches(self, count: int, timeout: float | None = None) -> bool:
        """Block until exactly ``count`` watches are open (a client's watch is established,
        or has ended); False after ``timeout`` real seconds."""
        with self._watches_changed:
            return self._watches_changed.wait_for(lambda: self._watches == count, timeout)

    def _on_clock(self) -> None:
        """The simulated clock moved: waiting watches look at their deadlines."""
        if self._watches:
            self.controllers.tick()  # a deletion a watch waits for can finish on virtual time
            self.model.history.wake()

    @property
    def namespace_controller(self) -> Any:
        """The fake's namespace controller (``delay_seconds`` settable)."""
        return self.controllers.namespace_controller

    def _tick(self) -> None:
        self.controllers.tick()
        if self._tickers:
            with self.model.lock:
                for fn in list(self._tickers):
                    fn(self)

    # -- another writer (the ``conflict`` fault) --------------------------------

    def concurrent_write(
        self, api_version: str, kind: str, name: str, namespace: str | None = None
    ) -> bool:
        """Another writer (a controller, an admin) changes the object now: it gets a new
        resourceVersion and the annotation :data:`CONCURRENT_WRITER_ANNOTATION` set to a count.
        ``False`` (nothing done) when the object does not exist. Each change is appended to
        ``concurrent_writes`` as ``(object, annotation, value)``."""
        with self.model.lock:
            obj = self.model.find(api_version, kind, name, namespace)
            if obj is None:
                return False
            self._concurrent += 1
            value = str(self._concurrent)
            meta = obj.setdefault("metadata", {})
            meta["annotations"] = {**(meta.get("annotations") or {}), CONCURRENT_WRITER_ANNOTATION: value}
            self.model.put(obj)
            self.concurrent_writes.append(
                ((api_version, kind, namespace if self.model.kind(api_version, kind).namespaced else None, name),
                 CONCURRENT_WRITER_ANNOTATION, value)
            )
            return True

    # -- Python-side access: straight to the model, not logged, no faults ------

    def add(self, *objs: Obj, validate: bool = True) -> Objs:
        """Create or overwrite objects as given (status too); missing namespaces are created.

        Each object is decoded, defaulted and validated as the API server would on a
        create (``fieldValidation=Strict``), so a world starts from objects a real cluster
        could hold; an invalid one raises :class:`~.models.ApiError` (400 or 422, the
        server's message). ``validate=False`` stores them as given, for a test that needs
        a deliberately broken world.
        """
        return [self.model.put(o, validate=validate) for o in objs]

    def get(
        self, api_version: str, kind: str, name: str, namespace: str | None = None
    ) -> Obj | None:
        return self.model.find(api_version, kind, name, namespace)

    def list(
        self,
        api_version: str,
        kind: str,
        namespace: str | None = None,
        label_selector: str | None = None,
    ) -> Objs:
        return self.model.find_all(api_version, kind, namespace, label_selector)

    def delete(self, api_version: str, kind: str, name: str, namespace: str | None = None) -> bool:
        return self.model.remove(api_version, kind, name, namespace)

    def objects(self) -> Objs:
        return self.model.objects()

    def stored_objects(self) -> Objs:
        """The stored objects themselves, without copying (never change them: a write stores new ones)."""
        return self.model.stored_objects()

    def compact(self) -> None:
        """Forget the change log, as etcd compaction: watches and continue tokens from
        before now get 410 Gone."""
        self.model.history.compact()

    def snapshot(self) -> Any:
        return self.model.snapshot()

    def restore(self, snap: Any) -> None:
        self.model.restore(snap)


if TYPE_CHECKING:  # FakeKube is what its connections and watches are typed against (mypy checks it here)
    from .serving import KubeServing

    def _serves(fake: FakeKube) -> KubeServing:
        return fake
