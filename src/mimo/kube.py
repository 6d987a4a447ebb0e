"""The Kubernetes helper steps use: ``tc.client_helper()``.

A thin layer over the official ``kubernetes`` client (dynamic client over
discovery) that works on plain ``dict`` objects. Errors are the client's own
exceptions, never wrapped: API errors are the ``kubernetes.dynamic.exceptions``
subclasses of ``ApiException`` (``NotFoundError``, ``ConflictError``, …), so a
step classifies them with :func:`is_not_found`, :func:`is_conflict`,
:func:`is_already_exists` or :func:`is_transient`; a dropped connection is the
``urllib3`` error the client raised.

Discovery is done once per helper, lazily on the first resource lookup (not
when the dynamic client is built), and kept in the helper's memory; with a
``cache_dir`` also in a ``cache_file`` there (the client's default is a file
shared by every process on the machine, see measured-facts). A
:class:`DiscoveryMemo` given to the helper is asked first, and told what the
helper discovered: a caller that knows several servers serve the same API
(a fleet of identical fakes) pays discovery once for all of them.
"""

from __future__ import annotations

import copy
import json
import os
import tempfile
import threading
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import urllib3
from kubernetes import client as k8s_client
from kubernetes import config as k8s_config
from kubernetes.client.rest import ApiException
from kubernetes.dynamic import DynamicClient
from kubernetes.dynamic import exceptions as dyn_errors
from kubernetes.dynamic.discovery import LazyDiscoverer
from kubernetes.dynamic.exceptions import ConflictError, NotFoundError
from urllib3.util.retry import Retry

__all__ = [
    "DiscoveredResource",
    "DiscoveryMemo",
    "KubeHelper",
    "is_not_found",
    "is_conflict",
    "is_already_exists",
    "is_transient",
    "retry_on_conflict",
    "MERGE_PATCH",
    "JSON_PATCH",
]

T = TypeVar("T")
Obj = dict[str, Any]
Objs = list[Obj]  # spelled out once: KubeHelper has a ``list`` method

MERGE_PATCH = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"

#: urllib3 retries: connection failures (nothing sent) and reads of GET/HEAD only,
#: like client-go; never on a status code, so 429/5xx reach the step as ApiException.
_RETRIES = Retry(
    total=3,
    connect=3,
    read=3,
    status=0,
    redirect=0,
    other=0,
    allowed_methods=frozenset({"GET", "HEAD"}),
    respect_retry_after_header=False,
    raise_on_status=False,
)


def _undecorated_request() -> Callable[..., Any] | None:
    """``DynamicClient.request`` without its ``meta_request`` wrapper (the function the wrapper
    closes over), or ``None`` when this client version is laid out otherwise."""
    cells = getattr(DynamicClient.request, "__closure__", None) or ()
    for cell in cells:
        fn = cell.cell_contents
        if callable(fn) and getattr(fn, "__name__", "") == "request" and fn is not DynamicClient.request:
            return fn  # type: ignore[no-any-return]
    return None


#: the dynamic client's own request (same URL, headers, body and auth as ``DynamicClient.request``);
#: :meth:`KubeHelper._call` translates its ``ApiException`` itself (see :func:`_dynamic_error`)
_REQUEST = _undecorated_request()

#: ``kubernetes.dynamic.exceptions.api_exception``'s classes by status code
_DYNAMIC_ERRORS: dict[int, type[dyn_errors.DynamicApiError]] = {
    400: dyn_errors.BadRequestError,
    401: dyn_errors.UnauthorizedError,
    403: dyn_errors.ForbiddenError,
    404: dyn_errors.NotFoundError,
    405: dyn_errors.MethodNotAllowedError,
    409: dyn_errors.ConflictError,
    410: dyn_errors.GoneError,
    422: dyn_errors.UnprocessibleEntityError,
    429: dyn_errors.TooManyRequestsError,
    500: dyn_errors.InternalServerError,
    503: dyn_errors.ServiceUnavailableError,
    504: dyn_errors.ServerTimeoutError,
}


class _TracebackText:
    """The ``original_traceback`` text of a dynamic client error, formatted when first read.

    ``api_exception`` formats it at once: ``traceback.format_tb`` stats and reads the client's
    source files and compiles each line for its carets, about 0.25 ms per error, and a step's
    expected 404 (``get_or_none``) or a retried 429 never shows it. Read (``str``, ``format``,
    any ``str`` method), it is the same text.
    """

    __slots__ = ("_tb", "_text")

    def __init__(self, tb: Any) -> None:
        self._tb = tb
        self._text: str | None = None

    def __str__(self) -> str:
        if self._text is None:
            self._text = "\n".join(traceback.format_tb(self._tb))
            self._tb = None
        return self._text

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)

    def __repr__(self) -> str:
        return repr(str(self))

    def __bool__(self) -> bool:
        return bool(str(self)) if self._tb is None else True

    def __eq__(self, other: object) -> bool:
        return str(self) == (str(other) if isinstance(other, _TracebackText) else other)

    def __hash__(self) -> int:
        return hash(str(self))

    def __getattr__(self, name: str) -> Any:
        return getattr(str(self), name)


#: the parameters :meth:`KubeHelper._send` builds the request for (``DynamicClient.request`` takes more)
_SENT_PARAMS = frozenset({"label_selector", "content_type"})

#: the authentication ``DynamicClient.request`` asks ``ApiClient.update_params_for_auth`` for
_AUTH_SETTINGS = ["BearerToken"]

#: the ``Accept`` choices ``DynamicClient.request`` hands ``ApiClient.select_header_accept``
_ACCEPTS = ["application/json", "application/yaml"]

_PLAIN_SCALARS = frozenset({str, int, float, bool, type(None)})


def _plain_json(obj: Any) -> bool:
    """Only exact dicts, lists and JSON scalars: ``sanitize_for_serialization`` returns an equal copy
    (same keys in the same order, the same values of the same types), so ``json.dumps`` writes the
    same text from the object itself."""
    t = type(obj)
    if t is dict:
        obj = obj.values()
    elif t is not list:
        return t in _PLAIN_SCALARS
    for v in obj:  # noqa: SIM110 - a loop, not all(): no generator per dict or list
        if type(v) not in _PLAIN_SCALARS and not _plain_json(v):
            return False
    return True


def _dynamic_error(e: ApiException, tb: Any) -> dyn_errors.DynamicApiError:
    """What ``kubernetes.dynamic.exceptions.api_exception(e)`` returns, its traceback text lazy."""
    return _DYNAMIC_ERRORS.get(e.status, dyn_errors.DynamicApiError)(e, _TracebackText(tb))


def _status_reason(e: BaseException) -> tuple[int | None, str]:
    """(HTTP code, Status reason) of an API error; reason "" when the body is not a Status."""
    if not isinstance(e, ApiException):
        return None, ""
    reason = ""
    body = e.body
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    if isinstance(body, str) and body.startswith("{"):
        try:
            status = json.loads(body)
        except ValueError:
            status = None
        if isinstance(status, dict) and status.get("kind") == "Status":
            reason = str(status.get("reason") or "")
    return e.status, reason


def is_not_found(e: BaseException) -> bool:
    """404 NotFound (also a bare 404 without a Status reason), as ``apierrors.IsNotFound``."""
    code, reason = _status_reason(e)
    return reason == "NotFound" or (reason == "" and code == 404)


def is_conflict(e: BaseException) -> bool:
    """409 Conflict (stale resourceVersion). Not AlreadyExists, as ``apierrors.IsConflict``."""
    code, reason = _status_reason(e)
    return reason == "Conflict" or (reason == "" and code == 409)


def is_already_exists(e: BaseException) -> bool:
    """409 AlreadyExists (a create of a name that is taken)."""
    return _status_reason(e)[1] == "AlreadyExists"


def is_transient(e: BaseException) -> bool:
    """May heal by itself: 429, 5xx, conflicts, or a connection that failed or dropped.

    A server certificate that does not verify is not transient (wrong CA: a human
    must fix the configuration), whichever layer reports it.
    """
    text = str(e)
    if "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text:
        return False
    if isinstance(e, ApiException):
        code = e.status or 0
        return code == 0 or code == 429 or code >= 500 or is_conflict(e)
    return isinstance(e, (urllib3.exceptions.HTTPError, ConnectionError, TimeoutError))


def retry_on_conflict(fn: Callable[[], T], attempts: int = 5) -> T:
    """Run ``fn`` again when it raises a 409 Conflict, up to ``attempts`` runs in all.

    Only ``Conflict`` is retried (not ``AlreadyExists``, nothing else); the last
    conflict is re-raised when every attempt lost the race. ``fn`` must re-read
    the object it updates, as with client-go's ``retry.RetryOnConflict``.
    """
    if attempts < 1:
        raise ValueError(f"attempts must be at least 1, got {attempts}")
    for attempt in range(1, attempts + 1):
        try:
            return fn()
        except Exception as e:
            if attempt == attempts or not is_conflict(e):
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _meta(obj: Obj) -> tuple[str, str, str, str | None]:
    if not isinstance(obj, dict):
        raise TypeError(f"a Kubernetes object must be a dict, got {type(obj).__name__}")
    try:
        api_version, kind = obj["apiVersion"], obj["kind"]
        name = obj["metadata"]["name"]
    except (KeyError, TypeError):
        raise ValueError("a Kubernetes object needs apiVersion, kind and metadata.name") from None
    return api_version, kind, name, (obj.get("metadata") or {}).get("namespace")


@dataclass(frozen=True)
class DiscoveredResource:
    """What the helper keeps of a discovered resource: where its objects live."""

    api_version: str
    kind: str
    plural: str
    namespaced: bool
    base: str  #: ``/api/v1`` or ``/apis/<group>/<version>``

    @classmethod
    def of(cls, res: Any) -> DiscoveredResource:
        """From the client library's ``kubernetes.dynamic.Resource``."""
        return cls(str(res.group_version), str(res.kind), str(res.name).lower(), bool(res.namespaced),
                   f"/{res.prefix}/{res.group_version}")

    def path(self, name: str | None = None, namespace: str | None = None) -> str:
        """The URL path, as ``kubernetes.dynamic.Resource.path`` builds it."""
        where = f"{self.base}/namespaces/{namespace}/{self.plural}" if self.namespaced and namespace else \
            f"{self.base}/{self.plural}"
        return f"{where}/{name}" if name else where


class DiscoveryMemo(Protocol):
    """Discovery shared beyond one helper: ``get`` answers for the server the helper talks to
    (``None``: not known, the helper discovers it and calls ``put``)."""

    def get(self, api_version: str, kind: str) -> DiscoveredResource | None: ...

    def put(self, api_version: str, kind: str, res: DiscoveredResource) -> None: ...


class _MemoryDiscoverer(LazyDiscoverer):  # type: ignore[misc]
    """The client library's lazy discovery, without the cache file (kept in memory only), and
    started by the first search rather than by the client's constructor: a helper whose lookups
    a :class:`DiscoveryMemo` answers sends no discovery request at all."""

    def __init__(self, client: Any, cache_file: str) -> None:
        self._started = False
        super().__init__(client, cache_file)

    def _write_cache(self) -> None:
        return

    def _start(self) -> None:
        if not self._started:
            self._started = True
            self._load_server_info()
            self.discover()

    def _load_server_info(self) -> None:
        if self._started:
            super()._load_server_info()

    def discover(self) -> None:
        if self._started:
            super().discover()

    def search(self, **kwargs: Any) -> Any:  # type: ignore[override]  # LazyDiscoverer takes keywords only
        self._start()
        return super().search(**kwargs)

    @property
    def version(self) -> Any:
        self._start()
        return super().version

    @property
    def api_groups(self) -> Any:
        self._start()
        return super().api_groups

    def __iter__(self) -> Any:
        self._start()
        return super().__iter__()


class KubeHelper:
    """Get, list, create, update, patch, delete and ensure plain-dict objects on one cluster."""

    #: seconds before a request is abandoned (connect, read)
    request_timeout: tuple[float, float] = (10.0, 60.0)

    def __init__(self, api_client: k8s_client.ApiClient, *, cache_dir: str | None = None,
                 discovery: DiscoveryMemo | None = None) -> None:
        """``discovery``: asked before the helper discovers a kind itself (see :class:`DiscoveryMemo`)."""
        self._api = api_client
        self._server = str(api_client.configuration.host)
        # discovery is cached in memory for the helper's life; given a cache_dir, it is also kept
        # in a file there for the next helper (as kubectl keeps ~/.kube/cache/discovery)
        self._cache_file: str | None = None
        if cache_dir is not None:
            os.makedirs(cache_dir, exist_ok=True)
            self._cache_file = os.path.join(cache_dir, "discovery.json")
        self._dyn: DynamicClient | None = None
        self._resources: dict[tuple[str, str], DiscoveredResource] = {}
        self._memo = discovery
        self._lock = threading.Lock()
        self._accept = api_client.select_header_accept(_ACCEPTS)

    # -- construction --------------------------------------------------------

    @classmethod
    def from_kubeconfig(
        cls, path: str, *, context: str | None = None, cache_dir: str | None = None
    ) -> KubeHelper:
        """From a kubeconfig file (its current context, or ``context``)."""
        if not os.path.isfile(path):
            raise FileNotFoundError(f"kubeconfig not found: {path}")
        cfg = k8s_client.Configuration()
        k8s_config.load_kube_config(
            config_file=path, context=context, client_configuration=cfg, persist_config=False
        )
        cfg.retries = _RETRIES
        return cls(k8s_client.ApiClient(configuration=cfg), cache_dir=cache_dir)

    @classmethod
    def from_token(
        cls,
        server: str,
        token: str,
        *,
        ca_file: str | None = None,
        verify: bool = True,
        cache_dir: str | None = None,
        discovery: DiscoveryMemo | None = None,
    ) -> KubeHelper:
        """From the API server URL and a bearer token; ``ca_file`` is the CA bundle to trust."""
        if not server.startswith(("https://", "http://")):
            raise ValueError(f"server must be an http(s) URL, got {server!r}")
        if not token:
            raise ValueError("token is empty")
        cfg = k8s_client.Configuration(host=server.rstrip("/"))
        cfg.api_key = {"authorization": token}
        cfg.api_key_prefix = {"authorization": "Bearer"}
        cfg.verify_ssl = verify
        if ca_file:
            cfg.ssl_ca_cert = ca_file
        cfg.retries = _RETRIES
        return cls(k8s_client.ApiClient(configuration=cfg), cache_dir=cache_dir, discovery=discovery)

    def __repr__(self) -> str:  # never the token
        return f"KubeHelper(server={self._server!r})"

    def close(self) -> None:
        """Close pooled connections; the helper reconnects if used again."""
        self._api.rest_client.pool_manager.clear()

    # -- plumbing ------------------------------------------------------------

    @property
    def dynamic(self) -> DynamicClient:
        """The underlying dynamic client (discovery happens on first use)."""
        with self._lock:
            if self._dyn is None:
                if self._cache_file is not None:
                    self._dyn = DynamicClient(self._api, cache_file=self._cache_file)
                else:  # a file nobody reads again is not written (nor read: the name is unique)
                    unread = os.path.join(tempfile.gettempdir(), f"mimo-kube-discovery-{uuid.uuid4().hex}.json")
                    self._dyn = DynamicClient(self._api, cache_file=unread, discoverer=_MemoryDiscoverer)
            return self._dyn

    def _resource(self, api_version: str, kind: str) -> DiscoveredResource:
        key = (api_version, kind)
        res = self._resources.get(key)
        if res is None:
            res = self._memo.get(api_version, kind) if self._memo is not None else None
            if res is None:
                dyn = self.dynamic
                with self._lock:
                    res = DiscoveredResource.of(dyn.resources.get(api_version=api_version, kind=kind))
                if self._memo is not None:
                    self._memo.put(api_version, kind, res)
            self._resources[key] = res
        return res

    def _path(self, api_version: str, kind: str, name: str | None, namespace: str | None) -> str:
        res = self._resource(api_version, kind)
        if res.namespaced and not namespace and name is not None:
            raise ValueError(f"{kind} {name!r} is namespaced: give its namespace")
        return str(res.path(name=name, namespace=namespace if res.namespaced else None))

    def _call(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        dyn = self.dynamic
        if _REQUEST is None:  # pragma: no cover - a client whose request is not wrapped as expected
            resp = dyn.request(method, path, body=body, serialize=False, _request_timeout=self.request_timeout,
                               **params)
        else:
            try:
                if params.keys() <= _SENT_PARAMS:
                    resp = self._send(method, path, body, params.get("label_selector"), params.get("content_type"))
                else:  # pragma: no cover - no verb of the helper passes other parameters
                    resp = _REQUEST(dyn, method, path, body=body, _request_timeout=self.request_timeout, **params)
            except ApiException as e:  # as meta_request does (its context kept), the traceback formatted on demand
                raise _dynamic_error(e, e.__traceback__)  # noqa: B904
        data = resp.data
        return json.loads(data) if data else None

    def _send(self, method: str, path: str, body: Any, label_selector: str | None, content_type: str | None) -> Any:
        """``DynamicClient.request`` (the function ``meta_request`` wraps) for the parameters the helper
        passes, step by step as it goes, less the work whose result is known: the same headers in the
        same order (``Accept``, ``Content-Type``, the client's default headers, its cookie, then the
        credential ``update_params_for_auth`` adds, asked per request: a kubeconfig's token may be
        refreshed), the same URL and query, and the same body: a body of plain JSON values (exact
        ``dict``, ``list``, ``str``, ``int``, ``float``, ``bool``, ``None``) goes as it is, which is
        what ``sanitize_for_serialization`` would copy it to, anything else through it. Sent by
        ``ApiClient.call_api``; a status outside 2xx raises what ``response_deserialize`` raises."""
        api = self._api
        if not path.startswith("/"):  # pragma: no cover - the helper's paths all start with /
            path = "/" + path
        method = method.upper()
        headers: dict[str, Any] = {"Accept": self._accept, "Content-Type": content_type or "application/json"}
        headers.update(api.default_headers)
        if api.cookie:
            headers["Cookie"] = api.cookie
        if not all(type(v) is str for v in headers.values()):  # noqa: E721 - exact types only
            headers = dict(api.parameters_to_tuples(api.sanitize_for_serialization(headers), None))
        query: list[tuple[str, Any]] = [] if label_selector is None else [("labelSelector", label_selector)]
        api.update_params_for_auth(headers, query, _AUTH_SETTINGS, path, method, body)
        if body and not _plain_json(body):
            body = api.sanitize_for_serialization(body)
        url = api.configuration.host + path
        if query:
            url += "?" + api.parameters_to_url_query(api.sanitize_for_serialization(query), None)
        resp = api.call_api(method, url, header_params=headers, body=body, post_params=[],
                            _request_timeout=self.request_timeout)
        if not 200 <= resp.status <= 299:
            resp.read()
            api.response_deserialize(resp, {})
        return resp.response

    # -- verbs -----------------------------------------------------------------

    def get_one(self, api_version: str, kind: str, name: str, namespace: str | None = None) -> Obj:
        obj: Obj = self._call("get", self._path(api_version, kind, name, namespace))
        return obj

    def list(
        self,
        api_version: str,
        kind: str,
        namespace: str | None = None,
        label_selector: str | None = None,
    ) -> Objs:
        res = self._resource(api_version, kind)
        path = str(res.path(namespace=namespace if res.namespaced else None))
        doc = self._call("get", path, label_selector=label_selector)
        items: Objs = []
        for item in doc.get("items") or []:
            item.setdefault("apiVersion", api_version)
            item.setdefault("kind", kind)
            items.append(item)
        return items

    def create(self, obj: Obj) -> Obj:
        api_version, kind, _, namespace = _meta(obj)
        res = self._resource(api_version, kind)
        if res.namespaced and not namespace:
            raise ValueError(
                f"{kind} {obj['metadata']['name']!r} is namespaced: set metadata.namespace"
            )
        created: Obj = self._call(
            "post", str(res.path(namespace=namespace if res.namespaced else None)), body=obj
        )
        return created

    def update(self, obj: Obj) -> Obj:
        """PUT; with ``metadata.resourceVersion`` set, a stale object gets 409 Conflict."""
        api_version, kind, name, namespace = _meta(obj)
        updated: Obj = self._call("put", self._path(api_version, kind, name, namespace), body=obj)
        return updated

    def update_status(self, obj: Obj) -> Obj:
        """PUT to the ``status`` subresource."""
        api_version, kind, name, namespace = _meta(obj)
        updated: Obj = self._call(
            "put", self._path(api_version, kind, name, namespace) + "/status", body=obj
        )
        return updated

    def patch(
        self, api_version: str, kind: str, name: str, patch: Obj, namespace: str | None = None
    ) -> Obj:
        """JSON merge patch (RFC 7386): ``None`` removes a key, lists are replaced."""
        patched: Obj = self._call(
            "patch",
            self._path(api_version, kind, name, namespace),
            body=patch,
            content_type=MERGE_PATCH,
        )
        return patched

    def json_patch(
        self, api_version: str, kind: str, name: str, ops: Objs, namespace: str | None = None
    ) -> Obj:
        """JSON patch (RFC 6902), e.g. ``[{"op": "test", …}, {"op": "replace", …}]``."""
        if not isinstance(ops, list):
            raise TypeError(f"a JSON patch is a list of operations, got {type(ops).__name__}")
        patched: Obj = self._call(
            "patch",
            self._path(api_version, kind, name, namespace),
            body=ops,
            content_type=JSON_PATCH,
        )
        return patched

    def delete(self, api_version: str, kind: str, name: str, namespace: str | None = None) -> None:
        self._call("delete", self._path(api_version, kind, name, namespace))

    def ensure(self, *objs: Obj) -> None:
        """Create each object, or update it when it exists (carrying over the live resourceVersion).

        A race with another writer (409 Conflict on update, AlreadyExists on
        create) is retried from a fresh read, up to 5 times.
        """
        for obj in objs:
            self._ensure_one(obj)

    def _ensure_one(self, obj: Obj, attempts: int = 5) -> None:
        api_version, kind, name, namespace = _meta(obj)
        last: Exception | None = None
        for _ in range(attempts):
            try:
                live = self.get_one(api_version, kind, name, namespace)
            except NotFoundError:
                try:
                    self.create(obj)
                    return
                except ConflictError as e:
                    if not is_already_exists(e):
                        raise
                    last = e
                    continue
            body = copy.deepcopy(obj)
            meta, live_meta = body["metadata"], live["metadata"]
            meta["resourceVersion"] = live_meta["resourceVersion"]
            # labels and annotations set by other writers are kept under ours, as OpenShift's
            # resourcemerge.EnsureObjectMeta merges them: replacing the object must not lose them
            for k in ("labels", "annotations"):
                if live_meta.get(k):
                    meta[k] = {**live_meta[k], **(meta.get(k) or {})}
            try:
                self.update(body)
                return
            except ConflictError as e:
                if not is_conflict(e):
                    raise
                last = e
        assert last is not None
        raise last
