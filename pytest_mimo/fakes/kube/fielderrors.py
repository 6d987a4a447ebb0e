"""Field errors as apimachinery's ``field.Error`` / ``field.ErrorList`` render them.

``k8s.io/apimachinery/pkg/util/validation/field/errors.go``: an error is
``<field>: <body>`` where the body is the type's text (``Invalid value``,
``Required value``, …), then ``: <value>`` for types that show the value (strings
quoted with ``%q``, numbers and booleans with ``%v``, anything else with ``%#v``), then
``: <detail>``. ``errors.NewInvalid`` (``k8s.io/apimachinery/pkg/api/errors``) turns a
list into a 422 ``Invalid`` Status: ``<Kind>[.<group>] "<name>" is invalid: <aggregate>``
with one cause per error (type, body, field); the aggregate is the single message, or
the de-duplicated messages in brackets joined by ``, ``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

from .apierrors import ApiError
from .kinds import KindInfo

__all__ = [
    "FieldError",
    "GoValue",
    "OMIT",
    "invalid",
    "required",
    "forbidden",
    "duplicate",
    "not_supported",
    "too_long",
    "too_long_max_length",
    "too_many",
    "type_invalid",
    "go_value",
    "invalid_error",
]

_TITLES = {
    "FieldValueNotFound": "Not found",
    "FieldValueRequired": "Required value",
    "FieldValueDuplicate": "Duplicate value",
    "FieldValueInvalid": "Invalid value",
    "FieldValueNotSupported": "Unsupported value",
    "FieldValueForbidden": "Forbidden",
    "FieldValueTooLong": "Too long",
    "FieldValueTooMany": "Too many",
    "InternalError": "Internal error",
    "FieldValueTypeInvalid": "Invalid value",
}
#: types whose body never shows the value (ErrorBody's first cases)
_NO_VALUE = frozenset(
    {"FieldValueRequired", "FieldValueForbidden", "FieldValueTooLong", "InternalError"}
)


class _Omit:
    def __repr__(self) -> str:
        return "OMIT"


OMIT: Any = _Omit()


@dataclass(frozen=True)
class GoValue:
    """A value rendered verbatim (what Go's ``%#v`` prints for a typed struct or map)."""

    text: str


def _quote(s: str) -> str:
    """Go's ``%q`` for the strings the fake meets (JSON escaping agrees for them)."""
    return json.dumps(s, ensure_ascii=False)


def go_value(value: Any) -> str:
    """A JSON value as ``field.Error`` prints it (``%q``, ``%v`` or ``%#v`` of interface{} values)."""
    if isinstance(value, GoValue):
        return value.text
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return _quote(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (int, float)):
        return str(value)
    return _go_sharp(value)


def _go_sharp(value: Any) -> str:
    """``%#v`` of a decoded JSON value (``map[string]interface {}{…}``, ``[]interface {}{…}``)."""
    if isinstance(value, dict):
        inner = ", ".join(f"{_quote(k)}:{_go_sharp_elem(value[k])}" for k in sorted(value))
        return "map[string]interface {}{" + inner + "}"
    if isinstance(value, list):
        return "[]interface {}{" + ", ".join(_go_sharp_elem(v) for v in value) + "}"
    return go_value(value)


def _go_sharp_elem(v: Any) -> str:
    if isinstance(v, str):
        return _quote(v)
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return f"{v}"
    if isinstance(v, float):
        return repr(v)
    if v is None:
        return "interface {}(nil)"
    return _go_sharp(v)


def go_string_map(m: dict[str, str] | None) -> GoValue:
    """``%#v`` of a ``map[string]string`` (Go prints map keys sorted)."""
    if not m:
        return GoValue("map[string]string(nil)") if m is None else GoValue("map[string]string{}")
    inner = ", ".join(f"{_quote(k)}:{_quote(str(m[k]))}" for k in sorted(m))
    return GoValue("map[string]string{" + inner + "}")


@dataclass(frozen=True)
class FieldError:
    type: str
    field: str
    value: Any = dc_field(default=OMIT)
    detail: str = ""

    def body(self) -> str:
        if self.type in _NO_VALUE or self.value is OMIT:
            s = _TITLES[self.type]
        else:
            s = f"{_TITLES[self.type]}: {go_value(self.value)}"
        if self.detail:
            s += f": {self.detail}"
        return s

    def __str__(self) -> str:
        return f"{self.field}: {self.body()}"


def invalid(path: str, value: Any, detail: str) -> FieldError:
    return FieldError("FieldValueInvalid", path, value, detail)


def type_invalid(path: str, value: Any, detail: str) -> FieldError:
    return FieldError("FieldValueTypeInvalid", path, value, detail)


def required(path: str, detail: str = "") -> FieldError:
    return FieldError("FieldValueRequired", path, "", detail)


def forbidden(path: str, detail: str) -> FieldError:
    return FieldError("FieldValueForbidden", path, "", detail)


def duplicate(path: str, value: Any) -> FieldError:
    return FieldError("FieldValueDuplicate", path, value)


def not_supported(path: str, value: Any, supported: list[str]) -> FieldError:
    detail = "supported values: " + ", ".join(_quote(v) for v in supported) if supported else ""
    return FieldError("FieldValueNotSupported", path, value, detail)


def too_long(path: str, max_bytes: int) -> FieldError:
    """``field.TooLong``."""
    return FieldError("FieldValueTooLong", path, "", f"must have at most {max_bytes} bytes")


def too_long_max_length(path: str, max_length: int) -> FieldError:
    """``field.TooLongMaxLength`` (CRD ``maxLength``)."""
    return FieldError("FieldValueTooLong", path, "", f"may not be longer than {max_length}")


def too_many(path: str, actual: int, max_items: int) -> FieldError:
    return FieldError("FieldValueTooMany", path, actual, f"must have at most {max_items} items")


def invalid_error(info: KindInfo | None, name: str, errors: list[FieldError]) -> ApiError:
    """``errors.NewInvalid(GroupKind, name, errs)``: 422 with one cause per field error
    (``info`` None: the empty ``GroupKind{}`` of the patch handler's errors)."""

    kind, group = (info.kind, info.group) if info is not None else ("", "")
    qualified = f"{kind}.{group}" if group else kind
    seen: list[str] = []
    for e in errors:
        msg = str(e)
        if msg not in seen:
            seen.append(msg)
    aggregate = seen[0] if len(seen) == 1 else "[" + ", ".join(seen) + "]"
    details: dict[str, Any] = {}
    if name:
        details["name"] = name
    if group:
        details["group"] = group
    if kind:
        details["kind"] = kind
    details["causes"] = [{"reason": e.type, "message": e.body(), "field": e.field} for e in errors]
    return ApiError(422, "Invalid", f'{qualified} "{name}" is invalid: {aggregate}', details)
