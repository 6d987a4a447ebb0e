"""The Go frontend's request rules that run before a handler (``pkg/frontend/middleware``).

In Go's order: the path is lower-cased before routing (``lowercase.go``);
path parameters are checked (``validate.go``); a PUT/POST/PATCH body is read
(at most 1 MiB) and must be ``application/json`` when it has content or a
content type (``body.go``); then authentication (``authenticated.go``). So a
malformed path or body is answered (400/415) before the caller's credentials
are looked at, exactly as the Go admin API does.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from mimo.adminapi import errors as E
from mimo.adminapi.errors import CloudError
from mimo.api import is_uuid

__all__ = ["LowercasePath", "cluster_resource_id", "read_body", "MAX_BODY"]

MAX_BODY = 1048576
_RX_NAME = re.compile(r"^[-a-z0-9_().]{0,89}[-a-z0-9_()]$")
_NAMESPACE = "microsoft.redhatopenshift"
_TYPE = "openshiftclusters"


class LowercasePath:
    """ASGI middleware: route on the lower-cased path, as ``middleware.Lowercase`` does."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = scope.get("path", "")
            # chi's CleanPath: repeated slashes collapse; a route's "/" also matches without it
            clean = re.sub(r"/{2,}", "/", path).lower()
            if len(clean) > 1 and clean.endswith("/"):
                clean = clean[:-1]
            scope = {**scope, "path": clean, "raw_path": clean.encode("utf-8"), "mimo.original_path": path}
        await self.app(scope, receive, send)


def cluster_resource_id(
    subscription_id: str, resource_group: str, namespace: str, resource_type: str, name: str, api_version: str
) -> str:
    """``ValidateMiddleware.Validate`` on the cluster path, then ``resourceIdFromURLParams`` (lower-cased)."""
    if not is_uuid(subscription_id):
        raise CloudError(
            400, E.INVALID_SUBSCRIPTION_ID, "",
            f"The provided subscription identifier '{subscription_id}' is malformed or invalid.",
        )
    if not _RX_NAME.match(resource_group):
        raise CloudError(400, E.RESOURCE_GROUP_NOT_FOUND, "", f"Resource group '{resource_group}' could not be found.")
    if namespace != _NAMESPACE:
        raise CloudError(400, E.INVALID_RESOURCE_NAMESPACE, "", f"The resource namespace '{namespace}' is invalid.")
    if resource_type != _TYPE:
        raise CloudError(
            400, E.INVALID_RESOURCE_TYPE, "",
            f"The resource type '{resource_type}' could not be found in the namespace '{namespace}' "
            f"for api version '{api_version}'.",
        )
    if not _RX_NAME.match(name):
        raise CloudError(
            400, E.RESOURCE_NOT_FOUND, "",
            f"The Resource '{namespace}/{resource_type}/{name}' under resource group '{resource_group}' was not found.",
        )
    return f"/subscriptions/{subscription_id}/resourcegroups/{resource_group}/providers/{namespace}/{resource_type}/{name}"


async def read_body(request: Request) -> bytes:
    """``middleware.Body``: at most 1 MiB, JSON content type when there is content or a type."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise CloudError(400, E.INVALID_RESOURCE, "", "The resource definition is invalid.")
        chunks.append(chunk)
    body = b"".join(chunks)
    header = request.headers.get("content-type", "")
    content_type = header.split(";", 1)[0]
    if content_type != "application/json" and (body or content_type):
        raise CloudError(
            415, E.UNSUPPORTED_MEDIA_TYPE, "",
            f"The content media type '{header}' is not supported. Only 'application/json' is supported.",
        )
    return body


def tls_of(request: Request) -> Any:
    return (request.scope.get("extensions") or {}).get("tls")
