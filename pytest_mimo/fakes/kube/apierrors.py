"""API errors as a real API server reports them (k8s.io/apimachinery/pkg/api/errors).

Kept apart from :mod:`.models` so that every layer (decoding, validation, the
store, the wire) can raise them without importing the store.
"""

from __future__ import annotations

from typing import Any

from .kinds import APPLY_PATCH, JSON_PATCH, MERGE_PATCH, KindInfo

__all__ = ["ApiError"]

Obj = dict[str, Any]


class ApiError(Exception):
    """An API error as a real server reports it (becomes a ``Status`` body)."""

    def __init__(
        self,
        code: int,
        reason: str,
        message: str,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details
        self.headers = headers or {}

    def status(self) -> Obj:
        body: Obj = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
        }
        if self.reason:  # StatusReasonUnknown ("") is omitted
            body["reason"] = self.reason
        if self.details is not None:
            body["details"] = self.details
        body["code"] = self.code
        return body

    # -- the errors a real API server gives (k8s.io/apimachinery/pkg/api/errors) --

    @classmethod
    def _for(cls, code: int, reason: str, info: KindInfo, name: str, message: str) -> ApiError:
        details: Obj = {"name": name}
        if info.group:
            details["group"] = info.group
        details["kind"] = info.plural
        return cls(code, reason, message, details)

    @classmethod
    def not_found(cls, info: KindInfo, name: str) -> ApiError:
        return cls._for(404, "NotFound", info, name, f'{info.group_resource} "{name}" not found')

    @classmethod
    def already_exists(cls, info: KindInfo, name: str) -> ApiError:
        return cls._for(
            409, "AlreadyExists", info, name, f'{info.group_resource} "{name}" already exists'
        )

    @classmethod
    def conflict(cls, info: KindInfo, name: str) -> ApiError:
        return cls._for(
            409,
            "Conflict",
            info,
            name,
            f'Operation cannot be fulfilled on {info.group_resource} "{name}": the object has been '
            "modified; please apply your changes to the latest version and try again",
        )

    @classmethod
    def invalid(
        cls,
        info: KindInfo,
        name: str,
        field_path: str,
        detail: str,
        *,
        cause: str = "FieldValueInvalid",
        by_resource: bool = False,
    ) -> ApiError:
        """``NewInvalid(qualifiedKind, name, errs)`` with one field error.

        The qualified kind is ``Kind.group`` (``GroupKind.String()``), or, where the
        store builds it from the resource (a missing resourceVersion on update,
        store.go), ``plural.group``. ``detail`` is the field error's body
        (``Required value: …``, ``Invalid value: …``) and ``cause`` its type.
        """
        kind = info.plural if by_resource else info.kind
        qualified = f"{kind}.{info.group}" if info.group else kind
        details: Obj = {}
        if name:  # omitempty
            details["name"] = name
        if info.group:
            details["group"] = info.group
        details["kind"] = kind
        details["causes"] = [{"reason": cause, "message": detail, "field": field_path}]
        return cls(
            422, "Invalid", f'{qualified} "{name}" is invalid: {field_path}: {detail}', details
        )

    @classmethod
    def invalid_fields(
        cls, info: KindInfo, name: str, errors: list[tuple[str, str, str]]
    ) -> ApiError:
        """``NewInvalid`` with several field errors ``(field, detail, cause)``: the message lists
        them in brackets, as ``ErrorList.ToAggregate()`` prints them."""
        if len(errors) == 1:
            field_path, detail, cause = errors[0]
            return cls.invalid(info, name, field_path, detail, cause=cause)
        qualified = f"{info.kind}.{info.group}" if info.group else info.kind
        joined = ", ".join(f"{f}: {d}" for f, d, _ in errors)
        details: Obj = {"name": name} if name else {}
        if info.group:
            details["group"] = info.group
        details["kind"] = info.kind
        details["causes"] = [{"reason": c, "message": d, "field": f} for f, d, c in errors]
        return cls(422, "Invalid", f'{qualified} "{name}" is invalid: [{joined}]', details)

    @classmethod
    def bad_request(cls, message: str) -> ApiError:
        """``NewBadRequest``: no details."""
        return cls(400, "BadRequest", message)

    @classmethod
    def unsupported_media_type(cls, content_type: str) -> ApiError:
        return cls(
            415,
            "UnsupportedMediaType",
            f"the body of the request was in an unknown format - accepted media types include: "
            f"{JSON_PATCH}, {MERGE_PATCH}, {APPLY_PATCH}",
        )  # negotiation's errUnsupportedMediaType: no details

    @classmethod
    def method_not_allowed(cls) -> ApiError:
        """go-restful's 405 through the apiserver's ``serviceErrorHandler``
        (``NewGenericServerResponse(405, ...)``): no route has the method."""
        return cls(405, "MethodNotAllowed", "the server does not allow this method on the requested resource", {})

    @classmethod
    def not_acceptable(cls) -> ApiError:
        """``negotiation.NewNotAcceptableError`` with the media types the server encodes."""
        return cls(
            406,
            "NotAcceptable",
            "only the following media types are accepted: application/json, application/yaml, "
            "application/vnd.kubernetes.protobuf",
            {},
        )
