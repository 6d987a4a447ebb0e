"""The wire protocol: one HTTP/1.1 request in, one Kubernetes response out.

The handler authenticates (bearer token), routes (:mod:`.urls`), asks the
fault hook, calls the model (:mod:`.models`) and writes each response in a
single send with Nagle off (see measured-facts: 44 ms per request otherwise).
Every failure is a ``Status`` body with the real server's code and reason;
a bug in the fake is a 500 ``InternalError``, never a traceback on the wire.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import json
import socket
import struct
import weakref
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from ..base import FakeRequest, FaultAction, RequestRecord
from . import (
    authorization,
    discovery,
    encoding,
    health,
    managedfields,
    openapi,
    protobuf,
    scale,
    tables,
)
from .admission import WriteOptions, check_options, warning_headers
from .apply import check_patch_type, decode_apply, is_apply, write_options
from .deletion import DeleteOptions, parse_delete_options
from .framing import (
    MAX_HEADER_BYTES,
    MAX_REQUEST_BODY_BYTES,
    BodyTooLarge,
    FramingError,
    Replay,
    RequestHeaders,
    read_body,
    read_simple_request,
)
from .models import ApiError, KindInfo, KubeModel
from .options import list_options
from .paging import check_get_resource_version, list_page
from .schemas import KUBERNETES_VERSION
from .urls import Discovery, Resource, route, split_path
from .watch import Watch

if TYPE_CHECKING:
    from .serving import KubeServing

__all__ = ["KubeHandler", "THROTTLE_BODY", "fault_status", "throttle_headers"]

_WRITE_VERBS = frozenset({"create", "update", "patch", "delete", "status", "deletecollection"})
_CONTENT_PLAYED = frozenset({"server_error", "unavailable", "timeout"})


#: ``json.dumps(obj, separators=(",", ":"))`` as bytes, and the same of a stored object
#: (remembered, and composed of its parts' remembered encodings: :func:`.encoding.stored_json`)
_dumps = encoding.compact
_stored_json = encoding.stored_json


#: ``HTTPStatus(code).phrase`` by code (an enum look-up costs ~1 us a response); "" for an unknown code
_PHRASES = {s.value: s.phrase for s in HTTPStatus}


def _list_item(info: KindInfo, obj: dict[str, Any]) -> dict[str, Any]:
    """An item as a list carries it: a typed built-in list (``SecretList``) has no
    apiVersion/kind on its items; a custom resource list (unstructured) does."""
    if info.builtin:
        return {k: v for k, v in obj.items() if k not in ("apiVersion", "kind")}
    if obj.get("apiVersion") == info.api_version and obj.get("kind") == info.kind:
        return obj
    return {"apiVersion": info.api_version, "kind": info.kind, **obj}


#: what API Priority and Fairness (and max-in-flight) send when they shed a request:
#: ``tooManyRequests`` in apiserver/pkg/server/filters/maxinflight.go is Go's
#: ``http.Error`` with a ``Retry-After`` header: plain text, not a ``Status``
THROTTLE_BODY = b"Too many requests, please try again later.\n"


def throttle_headers(retry_after: int) -> dict[str, str]:
    return {"X-Content-Type-Options": "nosniff", "Retry-After": str(retry_after)}


def fault_status(kind: str, target: Resource | None, retry_after: int) -> ApiError | None:
    """The ``Status`` a real server gives for a fault kind (None: not played as a Status;
    ``throttle`` is plain text, see :data:`THROTTLE_BODY`)."""
    if kind == "server_error":
        msg = "etcdserver: leader changed"
        return ApiError(
            500, "InternalError", f"Internal error occurred: {msg}", {"causes": [{"message": msg}]}
        )
    if kind == "unavailable":
        return ApiError(
            503, "ServiceUnavailable", "the server is currently unable to handle the request", {}
        )
    if kind == "timeout":
        return ApiError(
            504,
            "Timeout",
            "Timeout: request did not complete within requested timeout - context deadline exceeded",
            {},
        )
    return None


class _Answered(Exception):
    """An ``ApiError`` found before dispatch (a watch's options): answer it as is."""

    def __init__(self, error: ApiError) -> None:
        super().__init__(error.message)
        self.error = error


#: what a create or update body may be in (protobuf is not decoded by the fake)
_OBJECT_MEDIA_TYPES = frozenset({"application/json", "application/yaml"})


_NOT_CACHED: Any = object()
#: per model: the kinds version the routes were found for, and the routes (path -> target)
_ROUTES: weakref.WeakKeyDictionary[KubeModel, tuple[int, dict[str, Discovery | Resource | None]]] = (
    weakref.WeakKeyDictionary()
)
_ROUTES_PER_MODEL = 1024


def _route(model: KubeModel, path: str) -> Discovery | Resource | None:
    """:func:`.urls.route` on the model's kinds, remembered per path while the kinds stay the
    same (``KubeModel.kinds_version``; a target is a frozen dataclass, shared by requests)."""
    version = model.kinds_version
    cached = _ROUTES.get(model)
    if cached is None or cached[0] != version:
        cached = _ROUTES[model] = (version, {})
    table = cached[1]
    target = table.get(path, _NOT_CACHED)
    if target is _NOT_CACHED:
        target = route(path, model.by_plural)
        if len(table) >= _ROUTES_PER_MODEL:
            table.clear()
        table[path] = target
    return target


_WRITE_METHOD_VERBS = {"POST": "create", "PUT": "update", "PATCH": "patch"}
#: the headers an answer carries besides the usual ones
_Headers = dict[str, str] | list[tuple[str, str]] | None
#: what a health path starts with
_HEALTH_ROOTS = tuple("/" + root for root in health.CHECKS)


def _verb(method: str, t: Resource) -> str:
    """The API verb of a request on a resource path (``RequestInfoFactory``)."""
    if method == "GET":
        return "get" if t.name else "list"
    if method == "DELETE":
        return "delete" if t.name else "deletecollection"
    return _WRITE_METHOD_VERBS.get(method) or method.lower()


def _method_not_allowed() -> tuple[int, bytes, str]:
    err = ApiError.method_not_allowed()
    return err.code, _dumps(err.status()), "application/json"


class KubeHandler(BaseHTTPRequestHandler):
    """Serves one connection of a :class:`~pytest_mimo.fakes.kube.server.FakeKube`."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = f"fake-kube/{KUBERNETES_VERSION}"
    sys_version = ""
    #: what ``parse_request`` parses the headers into (indexed look-ups, same answers)
    MessageClass = RequestHeaders

    def setup(self) -> None:
        self.timeout = self.fake.read_timeout  # type: ignore[misc]  # socket timeout: a half-sent request ends in it
        super().setup()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet: requests are in fake.requests
        return

    @property
    def fake(self) -> KubeServing:
        return self.server.fake  # type: ignore[attr-defined, no-any-return]

    # -- framing: every method goes the same way -------------------------------

    def handle_one_request(self) -> None:
        """One request off the connection. Unlike ``BaseHTTPRequestHandler``, any method reaches
        :meth:`_serve` (an unknown one gets the apiserver's 405 ``Status``, not an HTML 501),
        and what cannot be framed gets Go's plain-text answer and a closed connection."""
        try:
            self.raw_requestline = self.rfile.readline(MAX_HEADER_BYTES + 1)
            if not self.raw_requestline:
                self.close_connection = True
                return
            if len(self.raw_requestline) > MAX_HEADER_BYTES:
                return self._refuse(FramingError(431, "431 Request Header Fields Too Large"))
            if not self.parse_request():  # answered through send_error
                return
            self._serve()
            self.wfile.flush()
        except TimeoutError:
            # a client that stopped half way through its request (or an idle keep-alive
            # connection): Go's server closes the connection without an answer
            self.close_connection = True

    def parse_request(self) -> bool:
        """``BaseHTTPRequestHandler.parse_request``, with a plain request (``HTTP/1.1``, a plain
        path, printable one-line headers) taken apart directly to the same command, path,
        version and headers (:func:`~.framing.read_simple_request`); anything else goes the
        standard way, its header lines read again from where they were."""
        simple = read_simple_request(self.raw_requestline, self.rfile.readline, self.rfile)
        if simple is None:
            return super().parse_request()
        if simple.headers is None:
            real = self.rfile
            self.rfile = Replay(simple.read, real)  # type: ignore[assignment]
            try:
                return super().parse_request()
            finally:
                self.rfile = real
        self.command, self.path, self.request_version = simple.command, simple.path, "HTTP/1.1"
        self.requestline = str(self.raw_requestline, "iso-8859-1").rstrip("\r\n")
        self.close_connection = False  # HTTP/1.1 on an HTTP/1.1 server, no Connection header
        self.headers = simple.headers
        return True

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """What ``parse_request`` refuses (a malformed request line or header), as Go's
        ``net/http`` answers it: plain text, connection closed."""
        text = {
            431: "431 Request Header Fields Too Large",
            505: "505 HTTP Version Not Supported",
        }.get(code, "400 Bad Request")
        self._refuse(FramingError(431 if code == 431 else 505 if code == 505 else 400, text))

    def _refuse(self, err: FramingError) -> None:
        self.close_connection = True
        method, path = getattr(self, "command", None) or "", getattr(self, "path", None) or ""
        self.fake.requests.append(RequestRecord(method, path, err.code))
        with contextlib.suppress(OSError):
            self.wfile.write(err.response())

    # -- writing -----------------------------------------------------------

    def _send(self, code: int, body: bytes, content_type: str = "application/json", headers: _Headers = None) -> None:
        phrase = _PHRASES.get(code, "")
        if not headers and content_type and code != 304 and not self.close_connection:
            # the usual answer: what the general way below writes for it, in one format
            self.wfile.write(
                f"HTTP/1.1 {code} {phrase}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
                "Cache-Control: no-cache, private\r\n\r\n".encode("latin-1") + (b"" if self.command == "HEAD" else body)
            )
            return
        self._send_any(code, body, content_type, headers)

    def _send_any(self, code: int, body: bytes, content_type: str, headers: _Headers) -> None:
        """:meth:`_send` for any answer (headers of the handler's own, a 304, no body type, a
        connection to close)."""
        extra = list(headers.items() if isinstance(headers, dict) else headers or ())
        head = [f"HTTP/1.1 {code} {_PHRASES.get(code, '')}"]
        if code != 304:  # Go's server writes no body headers on a 304
            if content_type:  # "": a handler that wrote no body (Go sniffs no type from nothing)
                head.append(f"Content-Type: {content_type}")
            head.append(f"Content-Length: {len(body)}")
        if not any(k == "Cache-Control" for k, _ in extra):
            # WithCacheControl: set unless the handler set its own
            head.append("Cache-Control: no-cache, private")
        for k, v in extra:
            head.append(f"{k}: {v}")
        if self.close_connection:
            head.append("Connection: close")
        if self.command == "HEAD":
            body = b""
        self.wfile.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)

    def _send_error(self, err: ApiError) -> int:
        self._send(err.code, _dumps(err.status()), headers=err.headers)
        return err.code

    def _drop(self, reset: bool) -> None:
        """Close the connection with no response (RST when ``reset``)."""
        self.close_connection = True
        conn = self.connection
        try:
            if reset:
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            else:
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()
        except OSError:
            pass

    # -- reading -----------------------------------------------------------

    def _body(self) -> bytes:
        return read_body(self.headers, self.rfile.readline, self.rfile.read)

    def _authorized(self) -> bool:
        auth = self.headers.get("Authorization", "")
        return auth == f"Bearer {self.fake.token}"

    # -- the request -------------------------------------------------------

    def _serve(self) -> None:
        """Handle one request. The record is logged *before* the response leaves, so a
        client that has its answer always finds the request in ``fake.requests``."""
        fake = self.fake
        record = RequestRecord(self.command, self.path, 0)
        logged = False

        def log() -> None:
            nonlocal logged
            if not logged:
                fake.requests.append(record)
                logged = True

        self._warnings: list[str] = []
        #: headers the answer carries besides the usual ones (set while dispatching)
        self._headers: dict[str, str] = {}

        def reply(
            code: int,
            payload: bytes,
            ctype: str = "application/json",
            headers: dict[str, str] | None = None,
        ) -> None:
            record.status = code
            log()
            if self._warnings:  # the warning recorder's headers go with any answer
                self._send(code, payload, ctype, [*(headers or {}).items(), *warning_headers(self._warnings)])
            else:
                self._send(code, payload, ctype, headers)

        def drop(kind: str, reset: bool) -> None:
            record.fault, record.status = kind, 0
            log()
            self._drop(reset)

        try:
            try:
                raw = self._body()
            except FramingError as refused:
                record.status = refused.code
                log()
                self.close_connection = True
                self.wfile.write(refused.response())
                return
            except BodyTooLarge as too_large:
                # Go's server drains a small unread rest (maxPostHandlerReadBytes) and
                # keeps the connection; a larger rest closes it
                self.close_connection = not too_large.drained
                too_big = ApiError(
                    413,
                    "RequestEntityTooLarge",
                    f"Request entity too large: limit is {MAX_REQUEST_BODY_BYTES}",
                )
                return reply(too_big.code, _dumps(too_big.status()))
            path, query = split_path(self.path)
            # (health.answer answers only a path that starts with "/" and a check's root)
            healthy = health.answer(path, self.path.partition("?")[2]) if path.startswith(_HEALTH_ROOTS) else None
            if healthy is not None:
                # public (system:public-info-viewer binds them to everyone): no token needed
                return reply(healthy[0], healthy[1], healthy[2], healthy[3])
            fake._tick()
            target = _route(fake.model, path)
            record.verb, record.resource, record.is_write = self._classify(target, path)
            if not self._authorized():
                err = ApiError(401, "Unauthorized", "Unauthorized")
                return reply(err.code, _dumps(err.status()), headers=err.headers)
            hook = fake.fault_hook
            action: FaultAction | None = None
            if hook is not None:
                action = hook(
                    FakeRequest(
                        "kube",
                        self.command,
                        self.path,
                        record.verb,
                        record.resource,
                        record.is_write,
                    )
                )
            kind = action.kind if action is not None else None
            if kind in ("conflict", "lost_response") and not record.is_write:
                kind = None
            if kind == "connection_reset":
                return drop(kind, reset=True)
            if kind == "conflict":
                # another writer comes first (a real change, not a played 409); the request is then
                # served: the old resourceVersion meets the real Conflict, none overwrites the change
                kind = None
                if isinstance(target, Resource) and target.name and fake.concurrent_write(
                    target.info.api_version, target.info.kind, target.name, target.namespace
                ):
                    record.fault = "conflict"
            if kind == "throttle":
                assert action is not None
                record.fault = kind
                return reply(
                    429,
                    THROTTLE_BODY,
                    "text/plain; charset=utf-8",
                    throttle_headers(action.retry_after),
                )
            if kind in _CONTENT_PLAYED:
                assert action is not None
                err = fault_status(kind, self._named(target, raw), action.retry_after)  # type: ignore[assignment]
                if err is not None:
                    record.fault = kind
                    return reply(err.code, _dumps(err.status()), headers=err.headers)
            if isinstance(target, Resource) and self.command == "GET" and target.subresource is None:
                started = self._start_watch(target, query)
                if started is not None:
                    record.status = 200
                    log()
                    return self._stream(started)
            if target is None and path == authorization.PATH:
                if self.command != "POST":
                    code, payload, ctype = _method_not_allowed()
                    return reply(code, payload, ctype)
                try:
                    answered = authorization.review(raw, self.headers.get("Content-Type", ""))
                except ApiError as refused:
                    return reply(refused.code, _dumps(refused.status()))
                return reply(201, _dumps(answered))
            code, payload, ctype = self._dispatch(target, query, raw, path)
            if kind == "lost_response":
                return drop(kind, reset=False)
            reply(code, payload, ctype, self._headers or None)
        except _Answered as answered:
            err = answered.error
            reply(err.code, _dumps(err.status()), headers=err.headers)
        except OSError:
            self.close_connection = True
        except Exception as exc:  # a bug in the fake: a 500 Status, never a traceback
            err = ApiError(
                500, "InternalError", f"Internal error occurred: {type(exc).__name__}: {exc}", {}
            )
            try:
                reply(err.code, _dumps(err.status()))
            except OSError:
                self.close_connection = True
        finally:
            log()

    def _start_watch(self, t: Resource, query: dict[str, list[str]]) -> Watch | None:
        """A :class:`~.watch.Watch` if the request asks for one (``watch=true`` on a list, or
        the ``/watch/`` prefix); an invalid one is answered here (and None returned)."""
        if not t.watch and (t.name is not None or not query.get("watch")):
            return None
        try:
            opts = list_options(query, watch_path=t.watch)
            if not opts.watch:
                return None
            w = Watch(self.fake, t.info, t.namespace, opts, name=t.name)
            with self.fake.model.lock:
                w.start()
        except ApiError as err:
            raise _Answered(err) from None
        return w

    def _stream(self, w: Watch) -> None:
        """The watch's 200 and its events, one HTTP chunk per write."""
        head = (
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            "Cache-Control: no-cache, private\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        self.wfile.write(head.encode())

        def write(data: bytes) -> None:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))

        w.run(write, self.connection)
        self.wfile.write(b"0\r\n\r\n")

    @staticmethod
    def _named(target: Discovery | Resource | None, raw: bytes) -> Resource | None:
        """The target, named from the body's ``metadata.name`` when the URL names nothing
        (a create), so a played conflict names the object as the server would."""
        if not isinstance(target, Resource):
            return None
        if target.name is None and raw:
            try:
                name = json.loads(raw).get("metadata", {}).get("name")
            except (ValueError, AttributeError, UnicodeDecodeError):
                name = None
            if isinstance(name, str) and name:
                return dataclasses.replace(target, name=name)
        return target

    def _classify(self, target: Discovery | Resource | None, path: str) -> tuple[str, str, bool]:
        if isinstance(target, Resource):
            m = self.command
            if target.subresource == "status" and m in ("PUT", "PATCH"):
                verb = "status"
            else:
                verb = _verb(m, target)
            return verb, target.resource, verb in _WRITE_VERBS
        if isinstance(target, Discovery):
            return "discovery", path, False
        return "unknown", path, self.command not in ("GET", "HEAD")

    def _restful(self, path: str) -> bool:
        """Is ``path`` under a built-in group version? kube-apiserver serves those with
        go-restful, whose unmatched routes go to serviceErrorHandler (a ``Status``);
        anything else falls through to the CRD handler and Go's ``http.NotFound``."""
        segs = path.strip("/").split("/")
        if segs[:2] == ["api", "v1"]:
            api_version = "v1"
        elif len(segs) >= 3 and segs[0] == "apis":
            api_version = f"{segs[1]}/{segs[2]}"
        else:
            return False
        return any(k.builtin and k.api_version == api_version for k in self.fake.model.iter_kinds())

    def _dispatch(
        self,
        target: Discovery | Resource | None,
        query: dict[str, list[str]],
        raw: bytes,
        path: str = "",
    ) -> tuple[int, bytes, str]:
        if target is None:
            if self._restful(path):
                # NewGenericServerResponse(404, "", GroupResource{}, "", msg, 0, false)
                err = ApiError(
                    404, "NotFound", "the server could not find the requested resource", {}
                )
                return err.code, _dumps(err.status()), "application/json"
            return 404, b"404 page not found\n", "text/plain; charset=utf-8"
        if isinstance(target, Discovery):
            if self.command not in ("GET", "HEAD"):
                return _method_not_allowed()
            return self._discovery(target)
        try:
            code, obj = self._resource(target, query, raw)
        except ApiError as err:
            if err.headers:  # a Retry-After: answered with its headers
                raise _Answered(err) from None
            return err.code, _dumps(err.status()), "application/json"
        return code, obj, "application/json"

    def _discovery(self, d: Discovery) -> tuple[int, bytes, str]:
        kinds = list(self.fake.model.iter_kinds())
        doc: dict[str, Any] | None = None
        if d.what == "version":
            doc = discovery.version()
        elif d.what in ("openapi", "openapi-gv"):
            return self._openapi(kinds, d)
        else:
            if d.what == "core":
                doc = discovery.core_versions(self.fake.url.split("://", 1)[1])
            elif d.what == "groups":
                doc = discovery.group_list(kinds)
            elif d.what == "group":
                doc = discovery.group(kinds, d.arg)
            elif d.what == "resources":
                doc = discovery.resource_list(kinds, d.arg)
            if doc is None:  # no handler for the path: nothing is negotiated
                return 404, b"404 page not found\n", "text/plain; charset=utf-8"
            try:
                media, wanted = discovery.negotiate(
                    self.headers.get("Accept", ""), aggregated=d.what in ("core", "groups")
                )
            except ApiError as err:
                return err.code, _dumps(err.status()), "application/json"
            if wanted:
                return self._aggregated(discovery.aggregated(kinds, core=d.what == "core", version=wanted), media)
            return 200, encoding.encode(doc, media), media
        if doc is None:
            return 404, b"404 page not found\n", "text/plain; charset=utf-8"
        return 200, _dumps(doc), "application/json"

    def _openapi(self, kinds: list[KindInfo], d: Discovery) -> tuple[int, bytes, str]:
        """kube-openapi handler3 (:mod:`.openapi`): the index, or a group-version's document."""
        if d.what == "openapi":
            body = openapi.index(kinds)
            self._headers["Etag"] = f'"{openapi.etag(body)}"'
            return 200, body, "application/json"
        doc = openapi.document(kinds, d.arg)
        if doc is None:
            # kube-aggregator's specProxier.handleGroupVersion: no API service serves the
            # group-version: ``w.WriteHeader(404)``, no body, no Content-Type, no Vary, whatever
            # the Accept (it is asked before handler3 negotiates)
            return 404, b"", ""
        self._headers["Vary"] = "Accept"
        subtype = openapi.negotiate(self.headers.get("Accept", ""))
        if subtype == "":
            return 200, b"", ""  # handler3 returns without writing: net/http's empty 200
        if subtype != "json":
            # None: w.WriteHeader(406), no body, so no Content-Type. A protobuf subtype: the real
            # server answers gnostic's openapi_v3.Document in protobuf, which the fake does not
            # encode; it refuses rather than answer JSON the real server would not send
            return 406, b"", ""
        tag = openapi.etag(doc)
        self._headers["Etag"] = f'"{tag}"'
        asked = (parse_qs(urlsplit(self.path).query).get("hash") or [""])[0]
        if asked and asked != tag:
            self._headers["Location"] = f"/openapi/v3/{openapi.gv_path(d.arg)}?hash={tag}"
            # http.Redirect after handler3 set the Content-Type: it keeps it and writes no body
            return 301, b"", "application/json"
        if asked:
            self._headers["Cache-Control"] = "public, immutable"
            self._headers["Expires"] = format_datetime(datetime.now(timezone.utc) + timedelta(days=365), usegmt=True)
        return 200, doc, "application/json"

    def _aggregated(self, doc: dict[str, Any], media: str) -> tuple[int, bytes, str]:
        """aggregated/etag.go ``ServeHTTPWithETag``: the ETag, ``Vary: Accept``,
        ``Cache-Control: public``; 304 with no body when ``If-None-Match`` names the ETag;
        else the list in the negotiated media type (the ETag is the JSON's, whatever the media)."""
        quoted = f'"{discovery.etag(doc)}"'
        self._headers.update({"ETag": quoted, "Vary": "Accept", "Cache-Control": "public"})
        ctype = discovery.aggregated_content_type(doc["apiVersion"].rpartition("/")[2], media)
        if self.headers.get("If-None-Match") == quoted:
            return 304, b"", ctype
        return 200, encoding.encode(doc, media), ctype

    def _check_media_type(self, info: KindInfo) -> None:
        """``negotiation.NegotiateInputSerializer``: a create or update body must be in a media
        type the server decodes; no Content-Type means the first supported one (JSON)."""
        ctype = (self.headers.get("Content-Type") or "application/json").split(";")[0]
        if ctype.strip().lower() == protobuf.MEDIA_TYPE and info.builtin:
            return  # built-in kinds are served in protobuf too (custom resources never)
        if ctype.strip().lower() not in _OBJECT_MEDIA_TYPES:
            accepted = "application/json, application/yaml"
            if info.builtin:
                accepted += ", application/vnd.kubernetes.protobuf"
            raise ApiError(
                415,
                "UnsupportedMediaType",
                f"the body of the request was in an unknown format - accepted media types include: {accepted}",
            )

    def _decoded(self, raw: bytes, info: KindInfo) -> bytes:
        """A YAML body as JSON text (the object decoder takes both)."""
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if ctype == protobuf.MEDIA_TYPE:
            try:
                return json.dumps(protobuf.decode_object(raw)).encode()
            except protobuf.ProtobufError as e:
                raise ApiError.bad_request(
                    f'{info.kind} in version "{info.version}" cannot be handled as a {info.kind}: {e}'
                ) from None
        if ctype != "application/yaml" or not raw.strip():
            return raw
        import yaml

        try:
            return json.dumps(yaml.safe_load(raw.decode("utf-8"))).encode()
        except (yaml.YAMLError, UnicodeDecodeError, TypeError, ValueError) as e:
            raise ApiError.bad_request(
                f"the object provided is unrecognized (must be of type {info.kind}): "
                f"couldn't get version/kind; yaml parse error: {e}"
            ) from None

    @staticmethod
    def _json(raw: bytes, what: str) -> Any:
        try:
            return json.loads(raw.decode("utf-8") or "null")
        except (UnicodeDecodeError, ValueError) as e:
            raise ApiError.bad_request(f"{what}: {e}") from None

    @classmethod
    def _object_body(cls, raw: bytes, info: KindInfo) -> Any:
        """A create/update body; undecodable JSON in the API server's transformDecodeError wording."""
        try:
            return json.loads(raw.decode("utf-8") or "null")
        except (UnicodeDecodeError, ValueError) as e:
            text = raw.decode("utf-8", "replace")
            summary = "<empty>" if not text else text if len(text) <= 30 else text[:30] + " ..."
            raise ApiError.bad_request(
                f"the object provided is unrecognized (must be of type {info.kind}): "
                f"couldn't get version/kind; json parse error: {e} ({summary})"
            ) from None

    def _resource(self, t: Resource, query: dict[str, list[str]], raw: bytes) -> tuple[int, bytes]:
        model: KubeModel = self.fake.model
        info, m = t.info, self.command
        if t.subresource == "scale":
            return self._scale(t, raw)
        if t.subresource is None and _verb(m, t) not in info.verbs:
            # the installer registers no route for a verb the storage lacks (componentstatuses:
            # get and list only): go-restful's 405 (apiserver/pkg/endpoints/installer.go)
            raise ApiError.method_not_allowed()
        if m == "GET":
            wanted, version = tables.negotiate(self.headers.get("Accept", ""), is_list=t.name is None)
            include = (query.get("includeObject") or [""])[0]
            with model.lock:
                if t.name is None:
                    page = list_page(model, info, t.namespace, list_options(query))
                    if wanted == "Table":  # a row's object is encoded with its kind
                        return 200, _dumps(tables.table(info, page.items, page.list_meta(), version, include))
                    if wanted == "PartialObjectMetadataList":
                        return 200, _dumps(tables.partial_list(page.items, page.list_meta(), version))
                    items = [_list_item(info, o) for o in page.items]
                    return 200, _dumps(
                        {
                            "kind": f"{info.kind}List",
                            "apiVersion": info.api_version,
                            "metadata": page.list_meta(),
                            "items": items,
                        }
                    )
                check_get_resource_version(model, (query.get("resourceVersion") or [""])[0])
                obj = model.get(info, t.namespace, t.name)
                if wanted == "Table":
                    return 200, _dumps(tables.table(info, [obj], None, version, include))
                if wanted == "PartialObjectMetadata":
                    return 200, _dumps(tables.partial(obj, version))
                return 200, _stored_json(obj)
        if m == "DELETE":
            return self._delete(t, query, raw)
        if self.command == "PATCH":
            check_patch_type(self.headers.get("Content-Type", ""), t.info)
        ctx = write_options(self.command, query, self.headers, t)
        with managedfields.write_context(ctx):
            if "All" in query.get("dryRun", ()):
                with model.dry_run():
                    return self._write(t, raw, query)
            return self._write(t, raw, query)

    def _scale(self, t: Resource, raw: bytes) -> tuple[int, bytes]:
        """``<plural>/<name>/scale`` (:mod:`.scale`): GET, PUT, PATCH."""
        model: KubeModel = self.fake.model
        assert t.name is not None
        if self.command == "GET":
            return 200, _dumps(scale.get(model, t.info, t.namespace, t.name))
        if self.command == "PUT":
            try:
                body = json.loads(raw.decode("utf-8") or "null")
            except (UnicodeDecodeError, ValueError) as err:
                raise ApiError.bad_request(f'Scale in version "v1" cannot be handled as a Scale: {err}') from None
            return 200, _dumps(scale.put(model, t.info, t.namespace, t.name, body))
        if self.command == "PATCH":
            ctype = self.headers.get("Content-Type", "")
            return 200, _dumps(scale.patch(model, t.info, t.namespace, t.name, ctype, raw))
        raise ApiError.method_not_allowed()

    def _options(self, verb: str, query: dict[str, list[str]]) -> WriteOptions:
        """The write's ``fieldValidation`` (``Validate{Create,Update,Patch}Options``: 422 on a
        value not supported); the options collect the warnings this request answers with."""
        value = (query.get("fieldValidation") or [""])[0]
        options = WriteOptions(
            field_validation=check_options(verb, value, query.get("dryRun") or [])
        )
        self._warnings = options.warnings
        return options

    def _write(self, t: Resource, raw: bytes, query: dict[str, list[str]]) -> tuple[int, bytes]:
        model: KubeModel = self.fake.model
        info, m = t.info, self.command
        if info.namespaced and t.namespace is None and m in ("POST", "PUT", "PATCH", "DELETE"):
            raise ApiError.method_not_allowed()
        if m == "POST" and t.name is None:
            self._check_media_type(info)
            opts = self._options("CreateOptions", query)
            body = self._object_body(self._decoded(raw, info), info)
            with model.lock:
                return 201, _dumps(
                    model.create(info, t.namespace, body, owned=True, options=opts)
                )
        if t.name is None or m not in ("PUT", "PATCH", "DELETE"):
            raise ApiError.method_not_allowed()
        status = t.subresource == "status"
        if m == "PUT":
            self._check_media_type(info)
            opts = self._options("UpdateOptions", query)
            body = self._object_body(self._decoded(raw, info), info)
            with model.lock:
                return 200, _stored_json(
                    model.update(
                        info, t.namespace, t.name, body, status=status, owned=True, options=opts
                    )
                )
        if m == "PATCH":
            ctype = self.headers.get("Content-Type", "")
            opts = self._options("PatchOptions", query)
            if is_apply(ctype):
                config = decode_apply(raw)
                with model.lock:
                    obj, created = model.apply(info, t.namespace, t.name, config, status=status)
                    return (201 if created else 200), _dumps(obj)
            try:
                patch = json.loads(raw.decode("utf-8") or "null")
            except (UnicodeDecodeError, ValueError):
                # patch.go validateAndTranscodePatch (1.37): any patch body that is not JSON
                raise ApiError.bad_request("invalid JSON patch") from None
            with model.lock:
                return 200, _dumps(
                    model.patch(
                        info, t.namespace, t.name, ctype, patch, status=status, options=opts
                    )
                )
        raise ApiError.method_not_allowed()

    def _delete(self, t: Resource, query: dict[str, list[str]], raw: bytes) -> tuple[int, bytes]:
        """``DELETE`` of one object or of a collection (``deletecollection``): the options from
        the body, else the query (:func:`~.deletion.parse_delete_options`); a dry run leaves
        no trace. A namespace has no ``deletecollection`` (its REST storage does not offer
        it), nor does a namespaced kind across all namespaces: 405."""
        model: KubeModel = self.fake.model
        info = t.info
        is_namespace = (info.api_version, info.kind) == ("v1", "Namespace")
        if t.subresource is not None or (
            t.name is None and (is_namespace or (info.namespaced and t.namespace is None))
        ):
            raise ApiError.method_not_allowed()
        body = self._json(raw, "error decoding DeleteOptions") if raw.strip() else None
        opts = parse_delete_options(body, query)
        with model.lock:
            if opts.is_dry_run:
                with model.dry_run():
                    return self._deleted(t, query, opts)
            return self._deleted(t, query, opts)

    def _deleted(self, t: Resource, query: dict[str, list[str]], opts: DeleteOptions) -> tuple[int, bytes]:
        model: KubeModel = self.fake.model
        info = t.info
        if t.name is None:
            # store.go DeleteCollection: the list (one page when a limit is given), each item
            # deleted with the same options (one gone meanwhile is no error); the answer is the
            # list as it was read
            page = list_page(model, info, t.namespace, list_options(query))
            for o in page.items:
                try:
                    model.delete(info, t.namespace, o["metadata"]["name"], options=copy.deepcopy(opts))
                except ApiError as err:
                    if err.code != 404:
                        raise
            return 200, _dumps(
                {
                    "kind": f"{info.kind}List",
                    "apiVersion": info.api_version,
                    "metadata": page.list_meta(),
                    "items": [_list_item(info, o) for o in page.items],
                }
            )
        obj, gone = model.delete(info, t.namespace, t.name, options=opts)
        if not gone:
            # handlers/delete.go: 202 only when the client asked orphanDependents=false
            return (202 if opts.orphan_dependents is False else 200), _dumps(obj)
        if not info.builtin or (info.api_version, info.kind) == ("v1", "Namespace"):
            return 200, _dumps(obj)  # ReturnDeletedObject
        details: dict[str, Any] = {"name": t.name}
        if info.group:
            details["group"] = info.group
        details["kind"] = info.plural
        details["uid"] = obj["metadata"].get("uid", "")
        return 200, _dumps(
            {
                "kind": "Status",
                "apiVersion": "v1",
                "metadata": {},
                "status": "Success",
                "details": details,
            }
        )
