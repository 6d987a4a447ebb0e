"""The admin API's documents on the wire, as the Go admin API reads and writes them.

Writing follows ``pkg/api/admin/mimo.go`` and the converters
(``maintenancemanifest_convert.go``, ``maintenanceschedule_convert.go``):
fields in the struct's order, empty ones left out (``omitempty``), and a
manifest listed under its cluster without its ``clusterResourceID``
(``ToExternal(doc, clusterNamespaced=true)``).

Reading follows Go's ``encoding/json`` as the handlers use it: an empty or
invalid body is ``InvalidRequestContent`` "The request content was invalid and
could not be deserialized."; keys match field names case-insensitively (an
exact match first), unknown keys and ``null`` values are ignored, and a value
of the wrong type is refused with Go's own words, e.g. "The request content
could not be deserialized: json: cannot unmarshal string into Go struct field
MaintenanceManifest.runAfter of type int64".
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from mimo.adminapi.errors import INVALID_REQUEST_CONTENT, CloudError
from mimo.api import MaintenanceManifest, MaintenanceSchedule

__all__ = [
    "Field",
    "MANIFEST_FIELDS",
    "SCHEDULE_FIELDS",
    "SELECTOR_FIELDS",
    "decode_body",
    "manifest_out",
    "schedule_out",
]

_INT64_MAX = 2**63 - 1


@dataclass(frozen=True)
class Field:
    """One field of a Go struct: its JSON name, kind and the Go type named in errors."""

    name: str
    kind: str  # "string" | "int" | "strings" | "structs"
    go_type: str
    of: tuple[Field, ...] = ()
    of_struct: str = ""


SELECTOR_FIELDS = (
    Field("key", "string", "string"),
    Field("operator", "string", "admin.MaintenanceScheduleSelectorOperator"),
    Field("value", "string", "string"),
    Field("values", "strings", "[]string"),
)

MANIFEST_FIELDS = (
    Field("id", "string", "string"),
    Field("clusterResourceID", "string", "string"),
    Field("state", "string", "admin.MaintenanceManifestState"),
    Field("statusText", "string", "string"),
    Field("maintenanceTaskID", "string", "admin.MIMOTaskID"),
    Field("createdBySchedule", "string", "admin.MIMOScheduleID"),
    Field("priority", "int", "int"),
    Field("runAfter", "int", "int64"),
    Field("runBefore", "int", "int64"),
)

SCHEDULE_FIELDS = (
    Field("id", "string", "string"),
    Field("state", "string", "admin.MaintenanceScheduleState"),
    Field("maintenanceTaskID", "string", "admin.MIMOTaskID"),
    Field("schedule", "string", "string"),
    Field("lookForwardCount", "int", "int"),
    Field("scheduleAcross", "string", "string"),
    Field(
        "selectors", "structs", "[]*admin.MaintenanceScheduleSelector",
        of=SELECTOR_FIELDS, of_struct="MaintenanceScheduleSelector",
    ),
)

_ZERO: dict[str, Any] = {"string": "", "int": 0, "strings": None, "structs": None}


class _TypeError(Exception):
    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


def _json_kind(v: Any) -> str:
    """The JSON kind Go names in an UnmarshalTypeError."""
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, _Number):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    return "object"


class _Decoder:
    """Decodes parsed JSON into a struct the way Go does, keeping the first type error."""

    def __init__(self) -> None:
        self.first_error: str | None = None

    def fail(self, text: str) -> None:
        if self.first_error is None:
            self.first_error = text

    def struct(self, obj: dict[str, Any], fields: tuple[Field, ...], struct: str, path: str) -> dict[str, Any]:
        out = {f.name: _ZERO[f.kind] for f in fields}
        exact = {f.name: f for f in fields}
        folded = {f.name.lower(): f for f in fields}
        for key, value in obj.items():
            f = exact.get(key) or folded.get(key.lower())
            if f is None or value is None:
                continue
            where = f"{path}.{f.name}" if path else f.name
            out[f.name] = self.value(value, f, struct, where, out[f.name])
        return out

    def _mismatch(self, what: str, struct: str, where: str, go_type: str) -> None:
        self.fail(f"json: cannot unmarshal {what} into Go struct field {struct}.{where} of type {go_type}")

    def value(self, v: Any, f: Field, struct: str, where: str, current: Any) -> Any:
        if f.kind == "string":
            if isinstance(v, str):
                return v
            self._mismatch(_json_kind(v), struct, where, f.go_type)
            return current
        if f.kind == "int":
            if not isinstance(v, _Number):
                self._mismatch(_json_kind(v), struct, where, f.go_type)
                return current
            lit = v.literal
            try:
                n = int(lit, 10)
            except ValueError:
                self._mismatch(f"number {lit}", struct, where, f.go_type)
                return current
            if not -_INT64_MAX - 1 <= n <= _INT64_MAX:
                self._mismatch(f"number {lit}", struct, where, f.go_type)
                return current
            return n
        # "strings" and "structs": a JSON array, decoded element by element
        if not isinstance(v, list):
            self._mismatch(_json_kind(v), struct, where, f.go_type)
            return current
        strings = f.kind == "strings"
        elem_type = "string" if strings else f.go_type.removeprefix("[]*")
        zero: Any = "" if strings else None  # Go: "" for a null string, a nil pointer for a null struct
        items: list[Any] = []
        for item in v:
            if strings and isinstance(item, str):
                items.append(item)
                continue
            if not strings and isinstance(item, dict):
                items.append(self.struct(item, f.of, f.of_struct, where))
                continue
            if item is not None:
                self._mismatch(_json_kind(item), struct, where, elem_type)
            items.append(zero)
        return items


class _Number:
    """A JSON number kept as written, so ``1.0`` and ``1e3`` are refused for an int as Go does."""

    __slots__ = ("literal",)

    def __init__(self, literal: str) -> None:
        self.literal = literal


def _no_constant(name: str) -> Any:
    raise ValueError(f"invalid JSON constant {name}")


def _parse(body: bytes) -> Any:
    if not body:
        raise ValueError("empty")
    text = body.decode("utf-8", errors="replace")
    if text.startswith("\ufeff"):
        raise ValueError("BOM")
    return json.loads(text, parse_int=_Number, parse_float=_Number, parse_constant=_no_constant)


def decode_body(body: bytes, fields: tuple[Field, ...], go_struct: str) -> dict[str, Any]:
    """Go's ``json.Valid`` + ``json.Unmarshal(body, &ext)`` for one admin struct.

    Returns every field (missing ones as Go's zero value: ``""``, ``0``, ``None``
    for a nil slice); raises :class:`CloudError` as the Go handler answers.
    """
    try:
        data = _parse(body)
    except ValueError:
        raise CloudError(
            400, INVALID_REQUEST_CONTENT, "", "The request content was invalid and could not be deserialized."
        ) from None
    if data is None:
        # Go unmarshals null into a nil *struct and the handler then dereferences it
        raise CloudError.internal()
    if not isinstance(data, dict):
        kind = _json_kind(data)
        raise CloudError(
            400, INVALID_REQUEST_CONTENT, "",
            f"The request content could not be deserialized: json: cannot unmarshal {kind} into Go value of type admin.{go_struct}",
        )
    dec = _Decoder()
    out = dec.struct(data, fields, go_struct, "")
    if dec.first_error is not None:
        raise CloudError(400, INVALID_REQUEST_CONTENT, "", "The request content could not be deserialized: " + dec.first_error)
    return out


# -- writing -----------------------------------------------------------------------------------


def _omit_empty(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    return {k: v for k, v in pairs if v not in ("", 0, None, []) or isinstance(v, bool)}


def manifest_out(m: MaintenanceManifest, *, cluster_namespaced: bool) -> dict[str, Any]:
    """``maintenanceManifestConverter.ToExternal``."""
    return _omit_empty([
        ("id", m.id),
        ("clusterResourceID", "" if cluster_namespaced else m.cluster_resource_id),
        ("state", m.state),
        ("statusText", m.status_text),
        ("maintenanceTaskID", m.maintenance_task_id),
        ("createdBySchedule", m.created_by_schedule),
        ("priority", m.priority),
        ("runAfter", m.run_after),
        ("runBefore", m.run_before),
    ])


def schedule_out(s: MaintenanceSchedule) -> dict[str, Any]:
    """``maintenanceScheduleConverter.ToExternal``."""
    selectors = [
        _omit_empty([("key", x.key), ("operator", x.operator), ("value", x.value or ""), ("values", list(x.values or []))])
        for x in s.selectors
    ]
    return _omit_empty([
        ("id", s.id),
        ("state", s.state),
        ("maintenanceTaskID", s.maintenance_task_id),
        ("schedule", s.schedule),
        ("lookForwardCount", s.look_forward_count),
        ("scheduleAcross", s.schedule_across),
        ("selectors", selectors),
    ])
