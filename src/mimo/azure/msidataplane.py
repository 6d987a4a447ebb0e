"""A client of the managed identity (MSI) data plane, over ``azure-core``'s pipeline.

No maintained Python SDK speaks this API, so this module does what the Go module
``github.com/Azure/msi-dataplane`` (``pkg/dataplane``) does, from its OpenAPI
definition (``msi-credentials-data-plane.openapi.v2.json``, API version ``2024-01-01``):

* the server is the identity URL ARM hands out for a resource
  (``x-ms-identity-url``): its scheme, host and path are the endpoint, and its
  query parameters are kept on every request, with ``api-version`` added;
* ``POST`` with ``{"identityIds": [...]}`` returns the credentials of those
  user-assigned identities (``ManagedIdentityCredentials``, snake_case JSON);
* authentication is by challenge: the first request carries no token, the
  ``401`` answer's ``WWW-Authenticate: Bearer authorization="<authority>/<tenant>"``
  names the tenant, and the token is for ``<audience>/.default`` in that tenant
  (the audience is configured, never taken from the challenge).

Credentials are secrets: they never appear in ``repr`` or logs (the pipeline's
HTTP logging policy logs no bodies).
"""

from __future__ import annotations

import json
import re
import time
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from azure.core import PipelineClient
from azure.core.credentials import TokenCredential
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ServiceRequestError
from azure.core.pipeline import PipelineRequest, PipelineResponse
from azure.core.pipeline.policies import (
    ContentDecodePolicy,
    HeadersPolicy,
    HttpLoggingPolicy,
    HTTPPolicy,
    RequestIdPolicy,
    RetryPolicy,
    UserAgentPolicy,
)
from azure.core.rest import HttpRequest

__all__ = [
    "API_VERSION",
    "ChallengeError",
    "MsiDataplaneClient",
    "MsiDataplaneClientFactory",
]

API_VERSION = "2024-01-01"
_AUTHORIZATION = re.compile(r'\bauthorization\s*=\s*"([^"]*)"', re.IGNORECASE)
_SDK_MONIKER = "mimo-msi-dataplane/1.0"


class ChallengeError(ClientAuthenticationError):
    """The ``401`` answer's challenge could not be read (Go ``errInvalidAuthHeader``)."""

    def __init__(self, why: str) -> None:
        super().__init__(f"could not parse the provided WWW-Authenticate header: {why}")


def _challenge_tenant(header: str) -> str:
    """The tenant of a ``Bearer authorization="https://login…/<tenant>"`` challenge."""
    bearer = [c for c in re.split(r",\s*(?=[A-Za-z]+\s)", header) if c.strip().lower().startswith("bearer")]
    if not header.strip():
        raise ChallengeError("no challenges found")
    if not bearer:
        raise ChallengeError("no bearer challenge found")
    m = _AUTHORIZATION.search(bearer[-1])
    if m is None:
        raise ChallengeError("no authorization parameter in bearer challenge")
    parts = urlsplit(m.group(1))
    if not parts.scheme or not parts.netloc:
        raise ChallengeError(f"authorization {m.group(1)!r} is not a URL")
    return parts.path.strip("/").lower()


class _ChallengeAuthenticationPolicy(HTTPPolicy):  # type: ignore[type-arg]
    """Go ``newAuthenticatorPolicy``: send without a token; on a ``401`` challenge, get a token
    for the configured audience in the challenge's tenant and send again. A token got this way
    is reused until five minutes before it expires."""

    def __init__(self, credential: TokenCredential, audience: str) -> None:
        super().__init__()
        self._credential = credential
        self._scope = audience.rstrip("/") + "/.default"
        self._token: Any = None

    def _valid_token(self) -> str | None:
        token = self._token
        if token is None or token.expires_on - 300 <= time.time():
            return None
        return str(token.token)

    def send(self, request: PipelineRequest) -> PipelineResponse:  # type: ignore[type-arg]
        if not request.http_request.url.lower().startswith("https://"):
            raise ServiceRequestError("MSI data plane requests must use TLS (https)")
        token = self._valid_token()
        if token is not None:
            request.http_request.headers["Authorization"] = f"Bearer {token}"
        response = self.next.send(request)
        if response.http_response.status_code != 401:
            return response
        self._token = None
        header = response.http_response.headers.get("WWW-Authenticate", "")
        tenant = _challenge_tenant(header)
        self._token = self._credential.get_token(self._scope, tenant_id=tenant or None)
        request.http_request.headers["Authorization"] = f"Bearer {self._token.token}"
        return self.next.send(request)


class MsiDataplaneClient:
    """The credentials of one resource's managed identities, at its identity URL."""

    def __init__(self, identity_url: str, credential: TokenCredential, audience: str, **kwargs: Any) -> None:
        parts = urlsplit(identity_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"error parsing identity URL: {identity_url!r} is not an absolute URL")
        self._endpoint = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
        self._query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "api-version"]
        policies = [
            RequestIdPolicy(**kwargs),
            HeadersPolicy(**kwargs),
            UserAgentPolicy(sdk_moniker=_SDK_MONIKER, **kwargs),
            RetryPolicy(**kwargs),
            _ChallengeAuthenticationPolicy(credential, audience),
            ContentDecodePolicy(**kwargs),
            HttpLoggingPolicy(**kwargs),
        ]
        self._client: PipelineClient[Any, Any] = PipelineClient(self._endpoint, policies=policies, **kwargs)

    def __repr__(self) -> str:  # the identity URL's query carries a signature: never shown
        return f"MsiDataplaneClient(endpoint={self._endpoint!r})"

    def get_user_assigned_identities_credentials(self, identity_ids: list[str]) -> dict[str, Any]:
        """``POST`` the identity URL for these identities' credentials (Go
        ``GetUserAssignedIdentitiesCredentials``); ``HttpResponseError`` for any answer but 200."""
        query = urlencode([*self._query, ("api-version", API_VERSION)])
        request = HttpRequest(
            "POST", f"{self._endpoint}?{query}",
            headers={"Accept": "application/json", "Content-Type": "application/json"},
            content=json.dumps({"identityIds": list(identity_ids)}),
        )
        response = self._client.send_request(request)
        if response.status_code != 200:
            raise HttpResponseError(response=response)
        try:
            body = response.json()
        except ValueError:
            raise HttpResponseError(message="MSI data plane answered 200 with a body that is not JSON",
                                    response=response) from None
        if not isinstance(body, dict):
            raise HttpResponseError(message="MSI data plane answered 200 with a body that is not an object",
                                    response=response)
        return body

    def close(self) -> None:
        self._client.close()


class MsiDataplaneClientFactory:
    """Go ``dataplane.ClientFactory``: clients for any identity URL, with one credential and audience."""

    def __init__(self, credential: TokenCredential, audience: str, **client_kwargs: Any) -> None:
        if not isinstance(audience, str) or not audience.startswith("https://"):
            raise ValueError(f"MSI data plane audience must be an https:// URL, got {audience!r}")
        self._credential = credential
        self._audience = audience
        self._kwargs = client_kwargs

    def __repr__(self) -> str:
        return f"MsiDataplaneClientFactory(audience={self._audience!r})"

    def new_client(self, identity_url: str) -> MsiDataplaneClient:
        return MsiDataplaneClient(identity_url, self._credential, self._audience, **self._kwargs)
