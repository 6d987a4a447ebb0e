"""The Go API's error body: ``CloudError`` (``pkg/api/error.go`` in Azure/ARO-RP).

The wire shape is ``{"error": {"code": …, "message": …, "target": …}}`` with
empty fields left out (Go's ``omitempty``), written with a four-space indent
and a trailing newline, as ``api.WriteCloudError`` does.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = [
    "CloudError",
    "dumps",
    "INTERNAL_SERVER_ERROR",
    "INVALID_PARAMETER",
    "INVALID_REQUEST_CONTENT",
    "INVALID_RESOURCE",
    "INVALID_SUBSCRIPTION_ID",
    "INVALID_RESOURCE_NAMESPACE",
    "INVALID_RESOURCE_TYPE",
    "RESOURCE_GROUP_NOT_FOUND",
    "RESOURCE_NOT_FOUND",
    "NOT_FOUND",
    "FORBIDDEN",
    "PROPERTY_CHANGE_NOT_ALLOWED",
    "UNSUPPORTED_MEDIA_TYPE",
]

# the CloudErrorCode constants the admin MIMO endpoints use
INTERNAL_SERVER_ERROR = "InternalServerError"
INVALID_PARAMETER = "InvalidParameter"
INVALID_REQUEST_CONTENT = "InvalidRequestContent"
INVALID_RESOURCE = "InvalidResource"
INVALID_SUBSCRIPTION_ID = "InvalidSubscriptionID"
INVALID_RESOURCE_NAMESPACE = "InvalidResourceNamespace"
INVALID_RESOURCE_TYPE = "InvalidResourceType"
RESOURCE_GROUP_NOT_FOUND = "ResourceGroupNotFound"
RESOURCE_NOT_FOUND = "ResourceNotFound"
NOT_FOUND = "NotFound"
FORBIDDEN = "Forbidden"
PROPERTY_CHANGE_NOT_ALLOWED = "PropertyChangeNotAllowed"
UNSUPPORTED_MEDIA_TYPE = "UnsupportedMediaType"


def dumps(data: Any) -> bytes:
    """JSON as Go's ``json.MarshalIndent(v, "", "    ")`` plus the newline ``reply`` adds."""
    return (json.dumps(data, indent=4, ensure_ascii=False) + "\n").encode("utf-8")


class CloudError(Exception):
    """An error answered with ``status`` and the CloudError body."""

    def __init__(self, status: int, code: str, target: str, message: str) -> None:
        super().__init__(f"{status}: {code}: {target}: {message}")
        self.status = status
        self.code = code
        self.target = target
        self.message = message

    def body(self) -> dict[str, Any]:
        inner: dict[str, Any] = {}
        if self.code:
            inner["code"] = self.code
        if self.message:
            inner["message"] = self.message
        if self.target:
            inner["target"] = self.target
        return {"error": inner} if inner else {}

    def to_bytes(self) -> bytes:
        return dumps(self.body())

    @classmethod
    def internal(cls, message: str = "Internal server error.") -> CloudError:
        return cls(500, INTERNAL_SERVER_ERROR, "", message)
