"""The managed identity (MSI) data plane on the wire: ``POST <identity URL>?…&api-version=2024-01-01``.

From the service's OpenAPI definition (Go ``msi-dataplane``
``msi-credentials-data-plane.openapi.v2.json``) and its Go client:

* the path and query are those of the identity URL ARM handed out for the resource
  (the fake's :meth:`~pytest_mimo.fakes.azure.FakeAzure.assign_identities`), plus
  ``api-version`` (one value: ``2024-01-01``);
* a request without a valid bearer token for the configured audience answers ``401``
  with ``WWW-Authenticate: Bearer authorization="<authority>/<tenant>"`` and the
  ``{"error": {"code", "message"}}`` envelope (the fake's code and wording: the
  definition fixes only the status, the header and the envelope);
* the body ``{"identityIds": [...]}`` names user-assigned identities of that resource;
  the answer is ``ManagedIdentityCredentials`` with one ``explicit_identities`` entry each.

What the fake does not model fails the test (:class:`UnservedRequestError`) rather than
guess the service's answer: an unknown identity URL, a query without the URL's
signature, another API version, an identity the resource does not have, a body of
another shape, the system-assigned ``GET``, ``DELETE`` and ``/proxy/move``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pytest_mimo.fakes.azure.responses.common import (
    ArmError,
    Incoming,
    Reply,
    UnservedRequestError,
    json_reply,
    parse_json_body,
)

if TYPE_CHECKING:
    from pytest_mimo.fakes.azure.serving import AzureServing

__all__ = ["API_VERSION", "classify", "handle"]

API_VERSION = "2024-01-01"


def classify(inc: Incoming) -> tuple[str, str, bool]:
    """(verb, resource, is_write): getting credentials reads them (a renewal past ``renew_after``
    is the service's own doing, as it would be for any caller)."""
    return "action", inc.url.path.lower(), False


def _unserved(inc: Incoming, why: str) -> Exception:
    return UnservedRequestError(f"FakeAzure does not serve {inc.method} {inc.url.base}{inc.url.path}: {why}")


def _challenge(fake: AzureServing, message: str) -> ArmError:
    authority = f"{fake.cloud.authority_host.rstrip('/')}/{fake.tenant_id}"
    return ArmError(401, "Unauthorized", message, {"WWW-Authenticate": f'Bearer authorization="{authority}"'})


def handle(fake: AzureServing, inc: Incoming) -> Reply:
    proxy = fake.msi.find(inc.url.host, inc.url.path)
    if proxy is None:
        raise _unserved(inc, "no resource has this identity URL (assign identities with FakeAzure.assign_identities)")
    if inc.method != "POST" or inc.url.path.rstrip("/").lower().endswith("/proxy/move"):
        raise _unserved(inc, "only POST for user-assigned identities' credentials is faked")
    try:
        issued, why = fake.directory.lookup(inc.headers.get("Authorization"))
        if issued is None:
            raise _challenge(fake, "The request has no valid bearer token." if why != "missing"
                             else "The request is missing a bearer token.")
        if why == "expired":
            raise _challenge(fake, "The bearer token has expired.")
        if issued.audience != fake.msi_audience.rstrip("/"):
            raise _challenge(fake, f"The bearer token's audience {issued.audience} is not {fake.msi_audience}.")
    except ArmError as e:
        return e.reply()
    for key, value in proxy.query.items():
        if inc.url.query.get(key) != value:
            raise _unserved(inc, f"the query lacks the identity URL's {key!r} (keep the identity URL's query)")
    if inc.url.query.get("api-version") != API_VERSION:
        raise _unserved(inc, f"api-version {inc.url.query.get('api-version')!r} (the service has {API_VERSION} only)")
    try:
        body = parse_json_body(inc.body)
    except ArmError as e:
        raise _unserved(inc, f"a body that is not JSON ({e.message})") from None
    ids = body.get("identityIds") if isinstance(body, dict) else None
    if not isinstance(ids, list) or not ids or not all(isinstance(x, str) for x in ids):
        raise _unserved(inc, 'a body without {"identityIds": [<resource ID>, …]}')
    assigned = {i.lower() for i in proxy.identities}
    explicit: list[dict[str, Any]] = []
    now = fake._now()
    authority = fake.cloud.authority_host.rstrip("/") + "/"
    for identity in ids:
        cred = fake.msi.current(identity, now) if identity.lower() in assigned else None
        if cred is None:
            raise _unserved(inc, f"identity {identity} is not assigned to {proxy.resource_id}")
        explicit.append(cred.wire(authority, proxy.identity_url))
    return json_reply(200, {"explicit_identities": explicit})
