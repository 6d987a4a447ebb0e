"""Managed identity (MSI) data plane state: which resource's identity URL serves which
user-assigned identities, and the credentials each identity currently has.

What the service does, from its OpenAPI definition (Go ``msi-dataplane``,
``msi-credentials-data-plane.openapi.v2.json``, 2024-01-01) and the Go MIMO's notes
(``pkg/cluster/clustermsi.go``: "eligible to be refreshed after the 46 day mark, and
expires at 90 days"):

* an identity has one current credential (a client ID, object ID, tenant, and a
  base64 certificate with its private key as ``client_secret``) valid from
  ``not_before`` to ``not_after`` (90 days);
* a call before ``renew_after`` (46 days) returns the same credential; a call after
  it returns a new one, issued then;
* ``cannot_renew_after`` is the credential's ``not_after``: an expired credential
  cannot authenticate to renew itself.

A credential exists from the moment the identity is assigned (:meth:`MsiState.assign`),
so a run that only reads it sees the same credential whenever it runs. Secret
material comes from an RNG seeded per identity and credential serial, never from the
fake's shared RNG, so retries elsewhere do not change it.
"""

from __future__ import annotations

import base64
import copy
import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

__all__ = ["CREDENTIAL_LIFETIME", "RENEW_AFTER", "IssuedCredential", "MsiState", "ProxyResource"]

CREDENTIAL_LIFETIME = timedelta(days=90)
RENEW_AFTER = timedelta(days=46)


def _rfc3339(t: float) -> str:
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class IssuedCredential:
    resource_id: str
    client_id: str
    object_id: str
    tenant_id: str
    client_secret: str = field(repr=False)
    issued: float
    serial: int

    @property
    def renew_after(self) -> float:
        return self.issued + RENEW_AFTER.total_seconds()

    @property
    def not_after(self) -> float:
        return self.issued + CREDENTIAL_LIFETIME.total_seconds()

    def wire(self, authority: str, identity_url: str) -> dict[str, Any]:
        """``UserAssignedIdentityCredentials`` as the service sends it (snake_case, RFC 3339 times)."""
        return {
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "client_secret_url": identity_url,
            "tenant_id": self.tenant_id,
            "object_id": self.object_id,
            "resource_id": self.resource_id,
            "authentication_endpoint": authority,
            "mtls_authentication_endpoint": authority,
            "not_before": _rfc3339(self.issued),
            "not_after": _rfc3339(self.not_after),
            "renew_after": _rfc3339(self.renew_after),
            "cannot_renew_after": _rfc3339(self.not_after),
        }


@dataclass
class ProxyResource:
    """The ARM resource an identity URL belongs to (e.g. a cluster) and what the URL carries."""

    resource_id: str
    host: str
    path: str
    query: dict[str, str]
    identities: list[str]  #: user-assigned identity resource IDs, as assigned

    @property
    def identity_url(self) -> str:
        from urllib.parse import urlencode

        return f"https://{self.host}{self.path}?{urlencode(self.query)}"


class MsiState:
    """Every identity URL the fake hands out, and every identity's current credential."""

    def __init__(self, tenant_id: str, seed: int) -> None:
        self.tenant_id = tenant_id
        self.seed = seed
        self.proxies: dict[tuple[str, str], ProxyResource] = {}  #: (host, lower-cased path) -> resource
        self.credentials: dict[str, IssuedCredential] = {}  #: lower-cased identity ID -> current credential
        self.issued: list[IssuedCredential] = []  #: every credential issued, oldest first

    def __repr__(self) -> str:
        return f"MsiState(resources={len(self.proxies)}, identities={sorted(self.credentials)})"

    def _rng(self, identity: str, serial: int) -> random.Random:
        return random.Random(f"msi-{self.seed}-{identity.lower()}-{serial}")

    def assign(self, resource_id: str, identities: list[str], *, host: str, now: float) -> ProxyResource:
        """Assigns user-assigned identities to a resource: its identity URL, and a current
        credential for each identity that has none (issued ``now``)."""
        rng = self._rng(resource_id, 0)
        query = {
            "arpid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "said": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "sigver": "1.0",
            "tid": self.tenant_id,
            "sig": base64.urlsafe_b64encode(rng.randbytes(32)).decode().rstrip("="),
        }
        proxy = ProxyResource(resource_id, host.lower(), f"{resource_id}/credentials/v2/identities", query,
                              list(identities))
        self.proxies[(proxy.host, proxy.path.lower())] = proxy
        for identity in identities:
            if identity.lower() not in self.credentials:
                self.issue(identity, now)
        return proxy

    def find(self, host: str, path: str) -> ProxyResource | None:
        return self.proxies.get((host.lower(), path.rstrip("/").lower()))

    def issue(self, identity: str, now: float) -> IssuedCredential:
        """A new current credential for ``identity``."""
        old = self.credentials.get(identity.lower())
        serial = old.serial + 1 if old is not None else 0
        rng = self._rng(identity, serial)
        first = self._rng(identity, 0)
        cred = IssuedCredential(
            resource_id=identity,
            client_id=str(uuid.UUID(int=first.getrandbits(128), version=4)),
            object_id=str(uuid.UUID(int=first.getrandbits(128), version=4)),
            tenant_id=self.tenant_id,
            client_secret=base64.b64encode(b"fake-msi-certificate:" + rng.randbytes(48)).decode(),
            issued=float(int(now)),
            serial=serial,
        )
        self.credentials[identity.lower()] = cred
        self.issued.append(cred)
        return cred

    def current(self, identity: str, now: float) -> IssuedCredential | None:
        """The credential a call returns ``now``: the current one, or a new one past its ``renew_after``."""
        cred = self.credentials.get(identity.lower())
        if cred is None:
            return None
        if now > cred.renew_after:
            cred = self.issue(cred.resource_id, now)
        return cred

    def state(self) -> Any:
        return copy.deepcopy((self.proxies, self.credentials, self.issued))

    def load(self, state: Any) -> None:
        self.proxies, self.credentials, self.issued = copy.deepcopy(state)
