"""``FakeAzure``: Entra ID, Azure Resource Manager and Key Vault, in memory, over ``responses``.

While started, every HTTP request made through ``requests`` (which the Azure
SDKs and ``azure-identity`` use) goes to :meth:`FakeAzure._dispatch`. A request
to a host the fake does not serve raises :class:`UnservedRequestError` at once,
naming the URL: nothing leaves the machine.

Each request is classified (:class:`~pytest_mimo.fakes.base.FakeRequest`),
offered to ``fault_hook``, then handled by the service it belongs to, and
logged in ``requests``. State lives in ``models/``, the wire format in
``responses/``, routing in ``urls``.
"""

from __future__ import annotations

import copy
import functools
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import requests
import responses as responses_lib
from requests.adapters import HTTPAdapter
from urllib3 import HTTPHeaderDict
from urllib3.exceptions import MaxRetryError, ProtocolError

from mimo.environment import CLOUDS, AzureCloud
from pytest_mimo.fakes.azure.models.arm import ArmState
from pytest_mimo.fakes.azure.models.compute import SkuCatalog
from pytest_mimo.fakes.azure.models.identity import Directory
from pytest_mimo.fakes.azure.models.keyvault import FakeVault
from pytest_mimo.fakes.azure.models.msi import MsiState
from pytest_mimo.fakes.azure.responses import (
    arm,
    compute,
    containerregistry,
    identity,
    keyvault,
    msi,
    network,
)
from pytest_mimo.fakes.azure.responses.common import (
    Incoming,
    Reply,
    UnservedRequestError,
    aad_error,
    arm_error,
)
from pytest_mimo.fakes.azure.urls import parse_arm_path, parse_url, split_resource_id
from pytest_mimo.fakes.base import FakeRequest, FaultAction, FaultHook, RequestRecord

if TYPE_CHECKING:
    from requests import PreparedRequest

    from mimo.azure import AzureClients
    from mimo.environment import Environment
    from pytest_mimo.clock import SimClock

__all__ = ["FakeAzure", "UnservedRequestError", "DEFAULT_SUBSCRIPTION_ID", "DEFAULT_TENANT_ID",
           "DEFAULT_CLIENT_ID", "DEFAULT_CLIENT_SECRET", "REQUESTS_LIMIT", "FAKE_SESSION_KWARGS"]

_ = (compute, containerregistry, network)  # resource providers register themselves on import

DEFAULT_SUBSCRIPTION_ID = "00000000-0000-0000-0000-000000000000"
DEFAULT_TENANT_ID = "11111111-1111-1111-1111-111111111111"
DEFAULT_CLIENT_ID = "22222222-2222-2222-2222-222222222222"
DEFAULT_CLIENT_SECRET = "fake-azure-client-secret"  # noqa: S105 - a fake's well-known secret


#: what this fake plays: base.py's Azure kinds, plus two kube kinds that make sense on any HTTP service
_PLAYABLE = ("throttle", "server_error", "unavailable", "lro_failed", "lost_response", "token_error",
             "timeout", "connection_reset")


_ACTIVE: FakeAzure | None = None

#: how many requests ``FakeAzure.requests`` keeps at least (its ``requests_limit``): any test's whole
#: log, a bounded window of a simulation's (which clears it after every pass anyway)
REQUESTS_LIMIT = 10_000

#: what the fake's own clients and credentials get: their ``requests`` sessions skip the per-request
#: proxy, ``NO_PROXY``, ``REQUESTS_CA_BUNDLE`` and ``.netrc`` look-ups of ``trust_env`` (azure-core's
#: ``RequestsTransport(use_env_settings=False)``: ``session.trust_env = False``) — every request goes
#: to the fake whatever the environment says, and a look-up per request was a tenth of a replay.
#: Only these sessions: a client a test or a user builds itself keeps azure-core's default.
FAKE_SESSION_KWARGS: dict[str, Any] = {"use_env_settings": False}


class _FakeMock(responses_lib.RequestsMock):
    """``responses``' patch of ``HTTPAdapter.send`` with every request answered by one fake.

    ``responses`` itself would, per request, parse the query string and set it on the request (for
    its matchers), look the route up, build the reply's headers from the route's, and log the call
    twice (a bounded log we emptied anyway); about 50 us a request, a twentieth of a Key Vault GET
    through the SDK. What reaches the client is built as ``responses`` builds it — its own
    ``_handle_body`` and ``_form_response``, then the adapter's ``build_response`` — and its emulation
    of the adapter's retries is kept: the same ``requests.Response``, or the same exception
    (``tests/pytest_mimo/fakes/azure/test_transport.py`` compares both paths on seeded traffic)."""

    def __init__(self, answer: Callable[[PreparedRequest], tuple[int, dict[str, str], bytes]]) -> None:
        super().__init__(assert_all_requests_are_fired=False)
        self._answer = answer

    def _on_request(self, adapter: HTTPAdapter, request: PreparedRequest, *, retries: Any = None,
                    **kwargs: Any) -> requests.Response:
        request.body = self._read_filelike_body(request.body)
        status, reply_headers, body = self._answer(request)
        headers = HTTPHeaderDict()
        headers.extend(reply_headers)
        response = adapter.build_response(
            request, responses_lib._form_response(responses_lib._handle_body(body), headers, status, request.method))
        retries = retries or adapter.max_retries
        if retries.is_retry(method=request.method, status_code=response.status_code,
                            has_retry_after="Retry-After" in response.headers):
            try:
                retries = retries.increment(method=request.method, url=response.url, response=response.raw)
            except MaxRetryError as e:
                if retries.raise_on_status:
                    raise requests.exceptions.RetryError(e, request=request)  # noqa: B904 - as responses raises it
                return response
            return self._on_request(adapter, request, retries=retries, **kwargs)
        return response


class FakeAzure:
    """Fake Entra ID, Resource Manager and Key Vault for one tenant and subscription."""

    def __init__(
        self,
        *,
        subscription_id: str = DEFAULT_SUBSCRIPTION_ID,
        tenant_id: str = DEFAULT_TENANT_ID,
        lro_seconds: float = 30,
        page_size: int = 100,
        cloud: AzureCloud | None = None,
        seed: int = 0,
        clock: SimClock | None = None,
    ) -> None:
        for name, value in (("subscription_id", subscription_id), ("tenant_id", tenant_id)):
            try:
                uuid.UUID(value)
            except (ValueError, TypeError, AttributeError):
                raise ValueError(f"FakeAzure: {name} {value!r} is not a UUID") from None
        if not isinstance(page_size, int) or page_size < 1:
            raise ValueError(f"FakeAzure: page_size must be a positive integer, got {page_size!r}")
        if lro_seconds < 0:
            raise ValueError(f"FakeAzure: lro_seconds must not be negative, got {lro_seconds!r}")
        self.subscription_id = subscription_id.lower()
        self.tenant_id = tenant_id.lower()
        self.lro_seconds = float(lro_seconds)
        self.page_size = page_size
        self.cloud = cloud or CLOUDS["AzureCloud"]
        self.seed = seed
        #: virtual time: while the fake runs, so does this clock (started by start() if it was not),
        #: so the SDK's LRO polling and retry waits cost no wall time
        self.clock = clock
        self._started_clock = False
        self.rng = random.Random(seed)  #: draws etags, operation IDs, versions, passwords
        self._token_rng = random.Random(f"tokens-{seed}")  # tokens are not world state
        self.client_id = DEFAULT_CLIENT_ID
        self.client_secret = DEFAULT_CLIENT_SECRET
        self.directory = Directory(self.tenant_id)
        self.directory.add_application(self.client_id, self.client_secret)
        self.arm = ArmState(self.subscription_id)
        self.skus = SkuCatalog()
        self.vaults: dict[str, FakeVault] = {}
        #: the MSI data plane: identity URLs on ``<region>.<msi_dns_suffix>``, tokens for ``msi_audience``
        self.msi = MsiState(self.tenant_id, seed)
        self.msi_dns_suffix = "identity.azure.net"
        from pytest_mimo.defaults import MSI_RP_ENDPOINT

        self.msi_audience = MSI_RP_ENDPOINT
        #: every request served, oldest first — bounded like the ``responses`` call log: past
        #: :attr:`requests_limit` entries the oldest are dropped (a quarter of the limit at a time, so
        #: at least the last ``requests_limit`` are always there) and counted in :attr:`requests_dropped`
        self.requests: list[RequestRecord] = []
        #: how many requests :attr:`requests` keeps at least (a long simulation or soak stays flat)
        self.requests_limit = REQUESTS_LIMIT
        #: how many of the oldest requests were dropped from :attr:`requests` so far
        self.requests_dropped = 0
        self.fault_hook: FaultHook | None = None
        self._lock = threading.RLock()
        self._mock: responses_lib.RequestsMock | None = None
        self._authority_host = _host(self.cloud.authority_host)
        self._arm_host = _host(self.cloud.resource_manager)
        self._kv_suffix = "." + self.cloud.keyvault_dns_suffix.lower().strip(".")
        self.keyvault_resource = "https://" + self.cloud.keyvault_dns_suffix.strip(".")

    def __repr__(self) -> str:
        return (
            f"FakeAzure(subscription_id={self.subscription_id!r}, tenant_id={self.tenant_id!r}, "
            f"seed={self.seed}, resources={len(self.arm.resources)}, vaults={sorted(self.vaults)}, "
            f"active={self._mock is not None})"
        )

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self) -> FakeAzure:
        """Routes every ``requests`` call to this fake. One FakeAzure is active at a time
        (serve several clusters from one, with :meth:`add_subscription`)."""
        global _ACTIVE
        if self._mock is not None:
            return self
        if _ACTIVE is not None and _ACTIVE is not self:
            raise RuntimeError(f"another FakeAzure is active ({_ACTIVE!r}); stop it first, or serve several "
                               "subscriptions from one with add_subscription()")
        if self.clock is not None and not self.clock.running:
            self.clock.start()
            self._started_clock = True
        mock = self._new_mock()
        mock.start()
        self._mock = mock
        _ACTIVE = self
        _forget_key_vault_challenges()
        return self

    def stop(self) -> None:
        global _ACTIVE
        mock, self._mock = self._mock, None
        if _ACTIVE is self:
            _ACTIVE = None
        if mock is not None:
            mock.stop()
            mock.reset()
        if self._started_clock and self.clock is not None:
            self._started_clock = False
            self.clock.stop()

    def __enter__(self) -> FakeAzure:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @staticmethod
    def forget_client_caches() -> None:
        """Empty the process-wide client caches (the Key Vault SDK's challenge cache), so the next
        client meets the service as a new process would. ``start()`` does it; replays call it per run."""
        _forget_key_vault_challenges()

    # -- credentials and clients --------------------------------------------------------------------
    def credential(self) -> Any:
        """A real ``azure.identity.ClientSecretCredential`` for the fake tenant (its session skips
        the environment's proxy settings: :data:`FAKE_SESSION_KWARGS`)."""
        from azure.identity import ClientSecretCredential

        return ClientSecretCredential(
            self.tenant_id, self.client_id, self.client_secret, authority=self.cloud.authority_host,
            **FAKE_SESSION_KWARGS,
        )

    def add_application(self, client_id: str, client_secret: str = "", *, federated_assertion: str = "") -> None:
        """Registers another app: a client secret, or the assertion a workload identity presents."""
        self.directory.add_application(client_id, client_secret, federated_assertion)

    def clients(self, environment: Environment, *, subscription_id: str | None = None, credential: Any = None,
                **client_kwargs: Any) -> AzureClients:
        """``mimo.azure.AzureClients`` for a fake subscription (the primary one by default);
        creates the cluster vault the environment names. ``credential``: one to reuse (as the
        actuator reuses its credential across task runs); a new :meth:`credential` by default.
        The clients' sessions skip the environment's proxy settings (:data:`FAKE_SESSION_KWARGS`,
        unless ``client_kwargs`` say otherwise)."""
        from mimo.azure import AzureClients

        sub = (subscription_id or self.subscription_id).lower()
        if sub not in self.arm.subscriptions:
            raise ValueError(f"FakeAzure.clients: unknown subscription {subscription_id!r} (add_subscription first)")
        for uri in (environment.cluster_keyvault_uri, environment.cluster_msi_keyvault_uri):
            vault_host = _host(uri)
            if vault_host.endswith(self._kv_suffix):
                self.keyvault(vault_host[: -len(self._kv_suffix)])
        return AzureClients(sub, credential if credential is not None else self.credential(), environment,
                            **{**FAKE_SESSION_KWARGS, **client_kwargs})

    def add_subscription(self, subscription_id: str) -> None:
        """Serves another subscription (same tenant): e.g. one per cluster in a simulation."""
        try:
            uuid.UUID(subscription_id)
        except (ValueError, TypeError, AttributeError):
            raise ValueError(f"FakeAzure.add_subscription: {subscription_id!r} is not a UUID") from None
        with self._lock:
            self.arm.subscriptions.add(subscription_id.lower())

    @property
    def subscriptions(self) -> list[str]:
        return sorted(self.arm.subscriptions)

    # -- Python-side state ---------------------------------------------------------------------------
    def add_resource_group(self, name: str, location: str = "eastus", *, subscription_id: str | None = None) -> None:
        with self._lock:
            sub = (subscription_id or self.subscription_id).lower()
            if sub not in self.arm.subscriptions:
                raise ValueError(f"add_resource_group: unknown subscription {subscription_id!r} (add_subscription first)")
            self.arm.add_group(name, location, sub)

    def put_resource(self, resource_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """Stores a resource as the service would after a successful PUT (no LRO); creates its group.
        Returns a copy of what was stored."""
        with self._lock:
            return copy.deepcopy(self._put(resource_id, body))

    def put_resources(self, resources: Iterable[dict[str, Any]]) -> None:
        """Stores each resource at its ``id``, in order, as :meth:`put_resource` does, and hands
        nothing back: a world builder's bulk load (the copy of each stored body that
        ``put_resource`` returns was a third of its cost, 10 bodies per simulated cluster)."""
        with self._lock:
            for r in resources:
                self._put(r["id"], r)

    def _put(self, resource_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """:meth:`put_resource` without the copy: the stored body itself (an embedded child: its item)."""
        p = split_resource_id(resource_id)
        if not isinstance(body, dict):
            raise TypeError(f"put_resource({resource_id!r}): body must be a dict")
        with self._lock:
            self.arm.settle()
            assert p.resource_group is not None
            if p.subscription.lower() not in self.arm.subscriptions:
                raise ValueError(f"put_resource({resource_id!r}): subscription {p.subscription!r} is not served "
                                 "by this fake (add_subscription first)")
            self.arm.add_group(p.resource_group, str(body.get("location") or "eastus"), p.subscription)
            kind = arm.KINDS.get(p.type_key)
            if kind is not None and kind.embedded_in is not None:
                return self._put_embedded(p, kind.embedded_in, body)
            old = self.arm.get(resource_id)
            if kind is not None:
                stored = kind.build(self, resource_id, body, old, "Succeeded")
            else:
                stored = {"id": old["id"] if old else resource_id, "name": p.names[-1],
                          "type": "/".join([p.namespace or "", *p.types]), **copy.deepcopy(body)}
            self.arm.put(resource_id, stored)
            return stored

    def _put_embedded(self, p: Any, collection: str, body: dict[str, Any]) -> dict[str, Any]:
        """A child kept in its parent's body (a subnet): the parent is stored again with it."""
        parent_id = p.resource_id(len(p.names) - 1)
        parent = self.arm.get(parent_id)
        if parent is None:
            raise ValueError(f"put_resource({p.resource_id()!r}): its parent {parent_id!r} does not exist (put it first)")
        name = p.names[-1]
        new_parent = copy.deepcopy(parent)
        items = [x for x in (new_parent.setdefault("properties", {}).get(collection) or [])
                 if not (isinstance(x, dict) and str(x.get("name", "")).lower() == name.lower())]
        items.append({**copy.deepcopy(body), "name": name})
        new_parent["properties"][collection] = items
        stored = self._put(parent_id, new_parent)
        return next(x for x in stored["properties"][collection] if x.get("name") == name)  # type: ignore[no-any-return]

    def get_resource(self, resource_id: str) -> dict[str, Any] | None:
        with self._lock:
            self.arm.settle()
            p = split_resource_id(resource_id)
            kind = arm.KINDS.get(p.type_key)
            if kind is not None and kind.embedded_in is not None:
                parent = self.arm.get(p.resource_id(len(p.names) - 1)) or {}
                items = (parent.get("properties") or {}).get(kind.embedded_in) or []
                found = [x for x in items if isinstance(x, dict) and str(x.get("name", "")).lower() == p.names[-1].lower()]
                return copy.deepcopy(found[0]) if found else None
            body = self.arm.get(resource_id)
            return copy.deepcopy(body) if body is not None else None

    def delete_resource(self, resource_id: str) -> bool:
        with self._lock:
            self.arm.settle()
            return self.arm.delete(resource_id) is not None

    def resources(self) -> dict[str, dict[str, Any]]:
        """Every resource, by lower-cased ID (copies)."""
        with self._lock:
            self.arm.settle()
            return copy.deepcopy(self.arm.resources)

    def assign_identities(self, resource_id: str, identities: list[str], *, region: str = "eastus") -> str:
        """Assigns user-assigned identities to an ARM resource (a cluster) as ARM does: returns the
        identity URL (``x-ms-identity-url``) the MSI data plane serves for it, and gives each identity a
        current credential (see ``models/msi.py``)."""
        with self._lock:
            proxy = self.msi.assign(resource_id, identities, host=f"{region}.{self.msi_dns_suffix}", now=self._now())
            return proxy.identity_url

    def add_resource_skus(self, *skus: dict[str, Any]) -> None:
        with self._lock:
            self.skus.add(*copy.deepcopy(skus))

    def token_passwords(self, token_id: str) -> dict[str, str]:
        """The password values ``generateCredentials`` last made for an ACR token, by name."""
        with self._lock:
            return dict(self.arm.hidden.get(token_id.lower(), {}))

    def keyvault(self, name: str) -> FakeVault:
        """The vault ``name`` (created on first call), served at ``https://<name>.vault.azure.net``."""
        key = name.lower()
        with self._lock:
            vault = self.vaults.get(key)
            if vault is None:
                vault = self.vaults[key] = FakeVault(key, self._kv_suffix.lstrip("."), self._new_version)
            return vault

    # -- snapshots --------------------------------------------------------------------------------------
    def snapshot(self) -> Any:
        """Opaque copy of the world: resources, groups, operations, SKUs, vault contents, RNG state.

        Each part is copied once: the vaults' and the MSI state's own ``state()`` are copies already,
        and the generator's state is a tuple of ints, immutable, kept as it is (a deep copy of its
        625 numbers, here and again in :meth:`restore`, was most of a snapshot's cost)."""
        with self._lock:
            return {
                "arm": copy.deepcopy(self.arm),
                "skus": copy.deepcopy(self.skus.skus),
                "vaults": {k: v.state() for k, v in self.vaults.items()},
                "msi": self.msi.state(),
                "rng": self.rng.getstate(),
            }

    def restore(self, snap: Any) -> None:
        """Puts the world back as :meth:`snapshot` saw it (issued tokens stay valid); ``snap`` stays as
        it was, to restore again (``FakeVault.load`` and ``MsiState.load`` copy what they take)."""
        with self._lock:
            self.arm = copy.deepcopy(snap["arm"])
            self.skus.skus = copy.deepcopy(snap["skus"])
            for key in list(self.vaults):
                if key not in snap["vaults"]:
                    del self.vaults[key]
            for key, state in snap["vaults"].items():
                self.keyvault(key).load(state)
            self.msi.load(snap["msi"])
            self.rng.setstate(snap["rng"])

    # -- internals shared with the handlers ----------------------------------------------------------------
    @staticmethod
    def _now() -> float:
        return time.time()

    def _new_uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def _new_version(self) -> str:
        return f"{self.rng.getrandbits(128):032x}"

    def _new_token(self) -> str:
        return "fake." + f"{self._token_rng.getrandbits(256):064x}"

    def _request_id(self) -> str:
        return str(uuid.UUID(int=self._token_rng.getrandbits(128), version=4))

    def _aad_stamp(self) -> tuple[str, str]:
        now = datetime.fromtimestamp(self._now(), timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ")
        return now, str(uuid.UUID(int=self._token_rng.getrandbits(128), version=4))

    # -- the wire ---------------------------------------------------------------------------------------------
    def _new_mock(self) -> responses_lib.RequestsMock:
        return _FakeMock(self._callback)

    def _callback(self, request: PreparedRequest) -> tuple[int, dict[str, str], bytes]:
        reply = self._dispatch(str(request.method or "GET"), str(request.url), request.headers, request.body)
        return reply.status, reply.headers, reply.body

    def _dispatch(self, method: str, url_text: str, headers: Any, body: Any) -> Reply:
        url = parse_url(url_text)
        inc = Incoming(method.upper(), url, headers, body)
        host = url.host
        with self._lock:
            vault: FakeVault | None = None
            if url.scheme == "https" and host == self._arm_host:
                service = "arm"
                verb, resource, is_write, is_lro = arm.classify(self, inc)
            elif url.scheme == "https" and host == self._authority_host:
                service = "identity"
                verb, resource, is_write = identity.classify(inc)
                is_lro = False
            elif url.scheme == "https" and host.endswith("." + self.msi_dns_suffix):
                service = "msi"
                verb, resource, is_write = msi.classify(inc)
                is_lro = False
            elif url.scheme == "https" and host.endswith(self._kv_suffix) and host[: -len(self._kv_suffix)] in self.vaults:
                service = "keyvault"
                vault = self.vaults[host[: -len(self._kv_suffix)]]
                verb, resource, is_write = keyvault.classify(inc, vault.name)
                is_lro = False
            else:
                why = "unknown host"
                if host.endswith(self._kv_suffix):
                    why = f"no vault {host[: -len(self._kv_suffix)]!r} (create it with FakeAzure.keyvault(name))"
                raise UnservedRequestError(f"FakeAzure does not serve {method} {url_text}: {why}; nothing leaves the machine")

            fault: FaultAction | None = None
            if self.fault_hook is not None:
                fault = self.fault_hook(FakeRequest("azure", inc.method, url_text, verb, resource, is_write, is_lro))
            kind = fault.kind if fault is not None else None
            if kind == "lro_failed" and not is_lro:
                kind = None
            if kind == "token_error" and verb != "token":
                kind = None
            if kind is not None and kind not in _PLAYABLE:
                kind = None
            record = RequestRecord(inc.method, url_text, 0, kind, verb, resource, is_write, {"is_lro": is_lro, "service": service})
            self.requests.append(record)
            if len(self.requests) > self.requests_limit + self.requests_limit // 4:
                drop = len(self.requests) - self.requests_limit
                del self.requests[:drop]
                self.requests_dropped += drop

            if kind == "connection_reset":
                raise requests.exceptions.ConnectionError(
                    ProtocolError("Connection aborted.", ConnectionResetError(
                        104, f"Connection reset by peer (fault connection_reset injected by pytest_mimo on {method} {url_text})")),
                )
            if kind in ("throttle", "server_error", "unavailable", "timeout", "token_error"):
                assert fault is not None
                reply = self._fault_reply(service, kind, fault, inc, is_write)
            else:
                try:
                    if service == "arm":
                        reply = arm.handle(self, inc, kind == "lro_failed")
                    elif service == "identity":
                        reply = identity.handle(self, inc)
                    elif service == "msi":
                        reply = msi.handle(self, inc)
                    else:
                        assert vault is not None
                        reply = keyvault.handle(self, inc, vault)
                except UnservedRequestError:
                    self.requests.pop()
                    raise
            if kind == "lost_response":
                record.status = 0
                raise requests.exceptions.ConnectionError(
                    ProtocolError("Connection aborted.", ConnectionResetError(
                        104, f"Connection reset by peer (fault lost_response injected by pytest_mimo on {method} {url_text})")),
                )
            record.status = reply.status
            request_id = self._request_id()
            reply.headers.setdefault("x-ms-request-id", request_id)
            if service == "arm":
                reply.headers.setdefault("x-ms-correlation-request-id", request_id)
            return reply

    def _fault_reply(self, service: str, kind: str, fault: FaultAction, inc: Incoming, is_write: bool) -> Reply:
        now, trace = self._aad_stamp()
        if service == "identity":
            if kind == "throttle":
                r = aad_error(429, "temporarily_unavailable", 90033,
                              "A transient error has occurred. Please try again.", now=now, trace_id=trace)
                r.headers["Retry-After"] = str(fault.retry_after)
                return r
            status = {"server_error": 500, "timeout": 504}.get(kind, 503)
            return aad_error(status, "temporarily_unavailable", 90033,
                             "A transient error has occurred. Please try again.", now=now, trace_id=trace)
        if kind == "throttle":
            if service == "keyvault":
                return arm_error(429, "Throttled", "Request was not processed because too many requests were "
                                 "received. Reason: VaultRequestTypeLimitReached", {"Retry-After": str(fault.retry_after)})
            # Resource Manager's own throttle (per subscription and actor), which covers every provider
            parsed = parse_arm_path(inc.url.path)
            sub = parsed.subscription if parsed is not None else self.subscription_id
            issued, _ = self.directory.lookup(inc.headers.get("Authorization"))
            actor = issued.client_id if issued is not None else self.client_id
            return arm_error(429, "SubscriptionRequestsThrottled",
                             f"Number of '{'write' if is_write else 'read'}' requests for subscription '{sub}' actor "
                             f"'{actor}' exceeded. Please try again after '{fault.retry_after}' seconds after "
                             "additional tokens are available. Refer to https://aka.ms/arm-throttling for additional "
                             "information.", {"Retry-After": str(fault.retry_after)})
        if kind == "timeout":
            return arm_error(504, "GatewayTimeout", "The gateway did not receive a response from the resource "
                             f"provider within the specified time period (fault injected by pytest_mimo, tracking id '{trace}').")
        if kind == "server_error":
            return arm_error(500, "InternalServerError", f"Encountered internal server error. Diagnostic information: "
                             f"timestamp '{now}', tracking id '{trace}' (fault injected by pytest_mimo).")
        return arm_error(503, "ServiceUnavailable", "The server is currently unable to handle the request. "
                         f"Please retry later. Tracking id '{trace}' (fault injected by pytest_mimo).")


def _forget_key_vault_challenges() -> None:
    """The Key Vault SDK caches each vault's challenge process-wide; a new fake world
    starts with none, so clients meet the challenge as a new process would."""
    try:
        from azure.keyvault.secrets._shared import http_challenge_cache
    except ImportError:  # pragma: no cover - a future SDK layout
        return
    http_challenge_cache.clear()


@functools.lru_cache(maxsize=256)
def _host(url: str) -> str:
    """The lower-cased host of ``url`` (a bare host too); remembered: :meth:`FakeAzure.clients` asks
    for both vault URIs of the environment once per task attempt."""
    return parse_url(url if "://" in url else f"https://{url}").host


