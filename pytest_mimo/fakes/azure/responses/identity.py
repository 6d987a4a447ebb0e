"""Entra ID on the wire: OpenID configuration, instance discovery, the v2.0 token endpoint.

A real ``ClientSecretCredential`` posts ``grant_type=client_credentials`` with
its client ID, secret and ``scope=<resource>/.default``; a
``WorkloadIdentityCredential`` posts a ``client_assertion`` instead of a secret.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

from pytest_mimo.fakes.azure.responses.common import Incoming, Reply, aad_error, json_reply

if TYPE_CHECKING:
    from pytest_mimo.fakes.azure.serving import AzureServing

__all__ = ["classify", "handle"]


def _tenant_of(path: str) -> str:
    segs = [s for s in path.split("/") if s]
    return segs[0] if segs else ""


def classify(inc: Incoming) -> tuple[str, str, bool]:
    """(verb, resource, is_write)."""
    if inc.method == "POST" and inc.url.path.endswith("/oauth2/v2.0/token"):
        return "token", _tenant_of(inc.url.path).lower(), False
    return "discovery", inc.url.path.lower(), False


def _openid(authority: str, tenant: str) -> dict[str, object]:
    base = f"{authority}/{tenant}"
    return {
        "token_endpoint": f"{base}/oauth2/v2.0/token",
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "jwks_uri": f"{authority}/{tenant}/discovery/v2.0/keys",
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": f"{authority}/{tenant}/v2.0",
        "request_uri_parameter_supported": False,
        "userinfo_endpoint": "https://graph.microsoft.com/oidc/userinfo",
        "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
        "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
        "http_logout_supported": True,
        "frontchannel_logout_supported": True,
        "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "tid", "ver"],
        "tenant_region_scope": "NA",
        "cloud_instance_name": "microsoftonline.com",
        "cloud_graph_host_name": "graph.windows.net",
        "msgraph_host": "graph.microsoft.com",
        "rbac_url": "https://pas.windows.net",
    }


def handle(fake: AzureServing, inc: Incoming) -> Reply:
    authority = fake.cloud.authority_host.rstrip("/")
    host = inc.url.host
    path = inc.url.path
    tenant = _tenant_of(path)
    now, trace = fake._aad_stamp()
    if inc.method == "GET" and path.endswith("/v2.0/.well-known/openid-configuration"):
        if tenant.lower() not in (fake.tenant_id, "common", "organizations"):
            return aad_error(400, "invalid_tenant", 90002, f"Tenant '{tenant}' not found. Check to make sure you "
                             "have the correct tenant ID and are signing into the correct cloud.", now=now, trace_id=trace)
        return json_reply(200, _openid(authority, tenant))
    if inc.method == "GET" and path.endswith("/discovery/instance"):
        return json_reply(
            200,
            {
                "tenant_discovery_endpoint": f"{authority}/{{tenant}}/v2.0/.well-known/openid-configuration",
                "api-version": "1.1",
                "metadata": [
                    {"preferred_network": host, "preferred_cache": host, "aliases": [host]},
                ],
            },
        )
    if inc.method == "POST" and path.endswith("/oauth2/v2.0/token"):
        return _token(fake, inc, tenant, now, trace)
    return aad_error(404, "invalid_request", 90027, f"The endpoint '{path}' is not served by this fake Entra ID.",
                     now=now, trace_id=trace)


def _token(fake: AzureServing, inc: Incoming, tenant: str, now: str, trace: str) -> Reply:
    # a body that is not UTF-8 is read as the endpoint reads it (replacement characters), never a Python error
    body = inc.body.decode("utf-8", errors="replace") if isinstance(inc.body, bytes) else (inc.body or "")
    form = dict(parse_qsl(body, keep_blank_values=True))
    directory = fake.directory
    if tenant.lower() != directory.tenant_id:
        return aad_error(400, "invalid_request", 90002, f"Tenant '{tenant}' not found. Check to make sure you have "
                         "the correct tenant ID and are signing into the correct cloud.", now=now, trace_id=trace)
    if form.get("grant_type") != "client_credentials":
        return aad_error(400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type "
                         f"'{form.get('grant_type', '')}'.", now=now, trace_id=trace)
    client_id = form.get("client_id", "").lower()
    app = directory.applications.get(client_id)
    if app is None:
        return aad_error(400, "unauthorized_client", 700016, f"Application with identifier '{client_id}' was not "
                         f"found in the directory '{tenant}'.", now=now, trace_id=trace)
    if "client_assertion" in form:
        if not app.federated_assertion or form["client_assertion"] != app.federated_assertion:
            return aad_error(400, "invalid_client", 700211, "No matching federated identity record found for "
                             "presented assertion.", now=now, trace_id=trace)
    elif not app.client_secret or form.get("client_secret") != app.client_secret:
        return aad_error(401, "invalid_client", 7000215, "Invalid client secret provided. Ensure the secret being "
                         "sent in the request is the client secret value, not the client secret ID, for a secret "
                         f"added to app '{client_id}'.", now=now, trace_id=trace)
    scopes = [s for s in form.get("scope", "").split() if s.endswith("/.default")]
    if len(scopes) != 1:
        return aad_error(400, "invalid_scope", 1002012, f"The provided value for scope {form.get('scope', '')} is "
                         "not valid. Client credential flows must have a scope value with /.default suffixed to "
                         "the resource identifier (application ID URI).", now=now, trace_id=trace)
    audience = scopes[0][: -len("/.default")].rstrip("/")
    token = fake._new_token()
    issued = directory.issue(token, client_id, audience)
    lifetime = int(issued.expires_on - fake._now())
    return json_reply(
        200,
        {"token_type": "Bearer", "expires_in": lifetime, "ext_expires_in": lifetime, "access_token": token},
        {"Cache-Control": "no-store, no-cache", "Pragma": "no-cache"},
    )
