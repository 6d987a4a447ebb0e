"""Key Vault secrets on the wire, with the challenge authentication of the real service.

A request without a bearer token gets ``401`` with ``WWW-Authenticate: Bearer
authorization="<authority>/<tenant>", resource="https://vault.azure.net"``; the
SDK then fetches a token for that resource and repeats the request.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from pytest_mimo.fakes.azure.models.keyvault import FakeVault, SecretVersion
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

__all__ = ["classify", "handle"]

_NAME = re.compile(r"^[0-9a-zA-Z-]{1,127}$")
_KV_PAGE = 25  #: Key Vault's default maxresults


def _split(path: str) -> list[str]:
    return [s for s in path.split("/") if s]


def classify(inc: Incoming, vault: str) -> tuple[str, str, bool]:
    segs = _split(inc.url.path)
    name = segs[1].lower() if len(segs) > 1 else ""
    resource = f"{vault}/{name}" if name else vault
    if inc.method == "PUT":
        return "create_or_update", resource, True
    if inc.method == "DELETE":
        return "delete", resource, True
    if inc.method == "PATCH":
        return "update", resource, True
    if len(segs) == 1 or (len(segs) == 3 and segs[2].lower() == "versions"):
        return "list", resource, False
    return "get", resource, False


def _not_found(name: str) -> ArmError:
    return ArmError(
        404,
        "SecretNotFound",
        f"A secret with (name/id) {name} was not found in this key vault. If you recently deleted this secret "
        "you may be able to recover it using the correct recovery command. For help resolving this issue, "
        "please see https://go.microsoft.com/fwlink/?linkid=2125182",
    )


def challenge_header(fake: AzureServing) -> str:
    return (
        f'Bearer authorization="{fake.cloud.authority_host.rstrip("/")}/{fake.tenant_id}", '
        f'resource="{fake.keyvault_resource}"'
    )


def _unauthorized(fake: AzureServing, message: str) -> ArmError:
    return ArmError(401, "Unauthorized", message, {"WWW-Authenticate": challenge_header(fake)})


def _check_auth(fake: AzureServing, inc: Incoming) -> None:
    issued, why = fake.directory.lookup(inc.headers.get("Authorization"))
    if why == "missing":
        raise _unauthorized(fake, "AKV10000: Request is missing a Bearer or PoP token.")
    if issued is None:
        raise _unauthorized(fake, "AKV10022: Invalid token: the token was not issued by the expected authority.")
    if why == "expired":
        raise _unauthorized(fake, "AKV10022: Invalid token: the token has expired.")
    if issued.audience != fake.keyvault_resource:
        raise _unauthorized(
            fake, f"AKV10022: Invalid audience. Expected {fake.keyvault_resource}, found: {issued.audience}."
        )


def _bundle(vault: FakeVault, name: str, v: SecretVersion, *, value: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if value:
        out["value"] = v.value
    out["id"] = f"{vault.vault_uri}/secrets/{vault.display_name(name)}/{v.version}"
    if v.content_type is not None:
        out["contentType"] = v.content_type
    out["attributes"] = {
        "enabled": v.enabled,
        **({"nbf": v.not_before} if v.not_before is not None else {}),
        **({"exp": v.expires} if v.expires is not None else {}),
        "created": v.created,
        "updated": v.updated,
        "recoveryLevel": "Recoverable+Purgeable",
        "recoverableDays": 90,
    }
    out["tags"] = dict(v.tags)
    return out


def _page(fake: AzureServing, inc: Incoming, items: list[dict[str, Any]]) -> Reply:
    try:
        size = min(int(inc.url.query.get("maxresults", _KV_PAGE)), fake.page_size)
        start = int(inc.url.query.get("$skiptoken", "0") or 0)
    except ValueError:
        raise ArmError(400, "BadParameter", "The request has an invalid maxresults or $skiptoken value.") from None
    size = max(1, size)
    chunk = items[start : start + size]
    next_link = None
    if start + size < len(items):
        base = inc.url.raw.split("?", 1)[0]
        next_link = f"{base}?api-version={inc.url.query.get('api-version', '')}&$skiptoken={start + size}&maxresults={size}"
    return json_reply(200, {"value": chunk, "nextLink": next_link})


def handle(fake: AzureServing, inc: Incoming, vault: FakeVault) -> Reply:
    try:
        _check_auth(fake, inc)
        if not inc.url.query.get("api-version"):
            raise ArmError(400, "BadParameter", "The 'api-version' query parameter is missing.")
        return _route(fake, inc, vault)
    except ArmError as e:
        return e.reply()


def _route(fake: AzureServing, inc: Incoming, vault: FakeVault) -> Reply:
    segs = _split(inc.url.path)
    if not segs or segs[0].lower() != "secrets" or len(segs) > 3:
        raise _unserved(inc, "only secrets (get, set, list, list versions) are faked")
    if len(segs) == 1:
        if inc.method != "GET":
            raise ArmError(405, "MethodNotAllowed", f"The requested method {inc.method} is not allowed on /secrets.")
        items = [_bundle(vault, n, vault.find(n), value=False) for n in vault.secret_names()]  # type: ignore[arg-type]
        for item in items:
            item["id"] = item["id"].rsplit("/", 1)[0]
        return _page(fake, inc, items)
    name = segs[1]
    if not _NAME.match(name):
        raise ArmError(400, "BadParameter", f"The request URI contains an invalid name: {name}")
    if len(segs) == 3 and segs[2].lower() == "versions":
        if inc.method != "GET":
            raise ArmError(405, "MethodNotAllowed", f"The requested method {inc.method} is not allowed on versions.")
        versions = vault.versions(name)
        if not versions:
            raise _not_found(name)
        return _page(fake, inc, [_bundle(vault, name, v, value=False) for v in versions])
    version = segs[2] if len(segs) == 3 else ""
    if inc.method == "GET":
        v = vault.find(name, version or None)
        if v is None:
            raise _not_found(f"{name}/{version}" if version else name)
        if not v.enabled:
            raise ArmError(403, "Forbidden", "Operation get is not allowed on a disabled secret.", inner_code="SecretDisabled")
        return json_reply(200, _bundle(vault, name, v, value=True))
    if inc.method == "PUT" and not version:
        body = _json(inc)
        value = body.get("value")
        if not isinstance(value, str):
            raise ArmError(400, "BadParameter", "Property 'value' is required and must be a string.")
        attrs = body.get("attributes") or {}
        tags = body.get("tags") or {}
        if not isinstance(attrs, dict) or not isinstance(tags, dict):
            raise ArmError(400, "BadParameter", "Properties 'attributes' and 'tags' must be objects.")
        times = {k: attrs.get(k) for k in ("nbf", "exp")}
        if any(t is not None and (isinstance(t, bool) or not isinstance(t, int)) for t in times.values()):
            raise ArmError(400, "BadParameter", "Attributes 'nbf' and 'exp' must be integers (seconds since 1970).")
        v = vault.set_secret(name, value, content_type=body.get("contentType"), tags=tags,
                             enabled=bool(attrs.get("enabled", True)), not_before=times["nbf"], expires=times["exp"])
        return json_reply(200, _bundle(vault, name, v, value=True))
    if inc.method == "PUT":
        raise ArmError(405, "MethodNotAllowed", f"The requested method {inc.method} is not allowed on this secret path.")
    raise _unserved(inc, f"{inc.method} of a secret (delete, update, backup, ...) is not faked")


def _unserved(inc: Incoming, why: str) -> Exception:
    """Key Vault serves far more than the fake models: a 404 or 405 would tell a step "not there"
    or "not allowed" where the vault would answer, so the test fails instead, naming the URL."""
    return UnservedRequestError(f"FakeAzure does not serve {inc.method} {inc.url.raw}: {why}")


def _json(inc: Incoming) -> dict[str, Any]:
    try:
        body = parse_json_body(inc.body)
    except ArmError as e:
        raise ArmError(400, "BadParameter", e.message) from None
    if not isinstance(body, dict):
        raise ArmError(400, "BadParameter", "The request body must be a JSON object.")
    return body
