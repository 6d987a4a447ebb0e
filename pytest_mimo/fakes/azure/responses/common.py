"""What every fake Azure service answers with: a :class:`Reply`, and Azure's error bodies."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Incoming", "Reply", "UnservedRequestError", "json_reply", "arm_error", "kv_error", "aad_error", "ArmError", "parse_json_body"]


class UnservedRequestError(RuntimeError):
    """A request to a host or route the fake does not serve; the message names the URL.

    Not a ``requests`` exception, so the Azure SDK's retry policy does not retry it.
    """


@dataclass
class Reply:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


def json_reply(status: int, body: Any, headers: dict[str, str] | None = None) -> Reply:
    h = {"Content-Type": "application/json; charset=utf-8"}
    if headers:
        h.update(headers)
    return Reply(status, h, json.dumps(body, separators=(",", ":")).encode())


def arm_error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Reply:
    """ARM's error body: ``{"error": {"code", "message"}}``."""
    return json_reply(status, {"error": {"code": code, "message": message}}, headers)


kv_error = arm_error  # Key Vault uses the same envelope: {"error": {"code", "message"}}


def aad_error(status: int, error: str, code: int, description: str, *, now: str, trace_id: str) -> Reply:
    """Entra ID's OAuth error body."""
    return json_reply(
        status,
        {
            "error": error,
            "error_description": f"AADSTS{code}: {description} Trace ID: {trace_id} "
            f"Correlation ID: {trace_id} Timestamp: {now}",
            "error_codes": [code],
            "timestamp": now,
            "trace_id": trace_id,
            "correlation_id": trace_id,
        },
    )


class ArmError(Exception):
    """Raised inside a handler to answer with an ARM (or Key Vault) error body."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None,
                 *, inner_code: str | None = None, details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}
        self.inner_code = inner_code  #: Key Vault's ``innererror.code``, e.g. ``SecretDisabled``
        self.details = details  #: ARM's ``error.details`` (the network RP's parse errors)

    def reply(self) -> Reply:
        if self.details is not None:
            return json_reply(self.status, {"error": {"code": self.code, "message": self.message,
                                                      "details": self.details}}, self.headers)
        if self.inner_code is None:
            return arm_error(self.status, self.code, self.message, self.headers)
        return json_reply(self.status, {"error": {"code": self.code, "message": self.message,
                                                  "innererror": {"code": self.inner_code}}}, self.headers)


def _json_error_text(err: json.JSONDecodeError, text: str) -> str:
    ch = text[err.pos] if err.pos < len(text) else ""
    return (
        f"Unexpected character encountered while parsing value: {ch}. Path '', line {err.lineno}, "
        f"position {err.colno - 1}."
    )


def parse_json_body(body: bytes | str | None, *, required: bool = True) -> Any:
    """The JSON request body, or :class:`ArmError` 400 ``InvalidRequestContent`` as ARM answers."""
    if body is None or body in (b"", ""):
        if required:
            raise ArmError(400, "InvalidRequestContent", "The request content was invalid and could not be deserialized: "
                           "'Request body is empty.'.")
        return None
    text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise ArmError(
            400,
            "InvalidRequestContent",
            f"The request content was invalid and could not be deserialized: '{_json_error_text(e, text)}'.",
        ) from None


@dataclass
class Incoming:
    """One request as the fake's handlers see it."""

    method: str
    url: Any  #: :class:`pytest_mimo.fakes.azure.urls.Url`
    headers: Any  #: case-insensitive mapping
    body: bytes | str | None
