"""Entra ID state: the tenant, its applications, and the bearer tokens it has issued."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

__all__ = ["Application", "Directory", "IssuedToken", "TOKEN_LIFETIME"]

TOKEN_LIFETIME = 3599  #: seconds, as Entra ID issues app tokens


@dataclass
class Application:
    client_id: str
    client_secret: str = field(default="", repr=False)
    federated_assertion: str = field(default="", repr=False)  #: the token a workload identity presents, if any


@dataclass(frozen=True)
class IssuedToken:
    tenant_id: str
    client_id: str
    audience: str  #: the resource, e.g. ``https://management.azure.com``
    expires_on: float


@dataclass
class Directory:
    """One tenant with its applications; remembers every token it issued."""

    tenant_id: str
    applications: dict[str, Application] = field(default_factory=dict)
    tokens: dict[str, IssuedToken] = field(default_factory=dict, repr=False)  #: bearer token -> what it grants

    def add_application(self, client_id: str, client_secret: str = "", federated_assertion: str = "") -> Application:
        app = Application(client_id.lower(), client_secret, federated_assertion)
        self.applications[app.client_id] = app
        return app

    def issue(self, token: str, client_id: str, audience: str) -> IssuedToken:
        issued = IssuedToken(self.tenant_id, client_id, audience, time.time() + TOKEN_LIFETIME)
        self.tokens[token] = issued
        return issued

    def lookup(self, authorization: str | None) -> tuple[IssuedToken | None, str]:
        """The token behind an ``Authorization`` header, or ``None`` and why not
        (``missing``, ``invalid``, ``expired``)."""
        if not authorization:
            return None, "missing"
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() != "bearer" or not value:
            return None, "invalid"
        issued = self.tokens.get(value.strip())
        if issued is None:
            return None, "invalid"
        if issued.expires_on <= time.time():
            return issued, "expired"
        return issued, ""
