"""OpenAPI v3 validation of custom resources against their CRD's structural schema.

What ``apiextensions-apiserver`` runs (``pkg/apiserver/validation``: kube-openapi's
schema validator, its errors turned into ``field.ErrorList`` by
``kubeOpenAPIResultToFieldErrors``): types (``FieldValueTypeInvalid``, ``<path> in body
must be of type integer: "string"``), ``required`` (``Required value``), ``enum``
(``Unsupported value: …: supported values: …``), ``maxLength`` (``Too long: may not be
longer than N``), ``minLength``, ``pattern``, ``minimum``/``maximum`` (exclusive too),
``maxItems`` (``Too many``), ``minItems``, ``uniqueItems``, ``date-time`` formats,
``oneOf``/``anyOf``/``allOf``/``not`` and the uniqueness of ``x-kubernetes-list-type``
``set``/``map`` lists. ``x-kubernetes-validations`` (CEL rules) are :mod:`.celrules`'.
"""

from __future__ import annotations

import json
import re
from typing import Any

from .decoding import same
from .fielderrors import (
    FieldError,
    duplicate,
    invalid,
    not_supported,
    required,
    too_long_max_length,
    too_many,
    type_invalid,
)
from .schemas import Node

__all__ = ["validate"]

_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


#: the JSON type of a value of exactly these Python types (what JSON decodes to); anything
#: else (a float, a subclass) goes the long way
_EXACT_TYPES: dict[type, str] = {
    type(None): "null", bool: "boolean", int: "integer", str: "string", list: "array", dict: "object",
}


def _json_type(v: Any) -> str:
    jt = _EXACT_TYPES.get(type(v))
    if jt is not None:
        return jt
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "integer"
    if isinstance(v, float):
        return "integer" if v.is_integer() else "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    return "object"


_ACCEPTS = {
    "struct": ("object",),
    "map": ("object",),
    "list": ("array",),
    "string": ("string",),
    "integer": ("integer",),
    "number": ("integer", "number"),
    "boolean": ("boolean",),
    "intorstring": ("integer", "string"),
}
_NAMES = {"struct": "object", "map": "object", "list": "array", "intorstring": "integer,string"}


def _num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else repr(float(v))


def _child(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _enum_text(v: Any) -> str:
    return v if isinstance(v, str) else json.dumps(v, separators=(",", ":"))


#: no old value to ratchet against (a create, or a value the old object did not have)
_NEW: Any = object()


def validate(node: Node, value: Any, path: str = "", old: Any = _NEW) -> list[FieldError]:
    """The field errors of ``value`` (a whole custom resource when ``path`` is empty).

    With ``old`` (an update), a value equal to the old object's value at the same place is
    not validated: ``CRDValidationRatcheting`` (on by default since 1.30) drops the errors
    of unchanged values. List items are correlated only through an unchanged list (the real
    ratcheting also correlates ``x-kubernetes-list-type: map`` items by key; the fake does
    not, so it may report an error there that a real server would let through unchanged).
    A missing required field is the error of the object that should hold it, which changed.
    """
    errs: list[FieldError] = []
    _validate(node, value, path, errs, root=not path, old=old)
    return errs


def _validate(
    node: Node,
    value: Any,
    path: str,
    errs: list[FieldError],
    root: bool = False,
    old: Any = _NEW,
) -> None:
    t = node.type
    if not node.crd:
        return  # metadata: ObjectMeta, validated as object metadata
    if old is not _NEW and same(value, old):
        return  # unchanged by this update: ratcheted
    if value is None:
        if node.nullable or t == "any":
            return
        errs.append(
            type_invalid(path, "null", f'{path} in body must be of type {_NAMES.get(t, t)}: "null"')
        )
        return
    accepts = _ACCEPTS.get(t)
    if accepts is not None:
        jt = _json_type(value)
        if jt not in accepts:
            errs.append(
                type_invalid(path, jt, f'{path} in body must be of type {_NAMES.get(t, t)}: "{jt}"')
            )
            return
    if node.enum is not None and value not in node.enum:
        errs.append(not_supported(path, value, [_enum_text(e) for e in node.enum]))
    if isinstance(value, dict):  # no value is two of dict, str, list and a number
        _object(node, value, path, errs, root, old if isinstance(old, dict) else None)
    elif isinstance(value, str):
        _string(node, value, path, errs)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        _number(node, value, path, errs)
    elif isinstance(value, list):
        _list(node, value, path, errs)
    for sub in node.all_of:
        _validate(sub, value, path, errs)
    if node.one_of:
        ok = sum(1 for sub in node.one_of if not validate_quiet(sub, value, path))
        if ok != 1:
            errs.append(
                invalid(
                    path, "", f"{path or '.'} in body must validate one and only one schema (oneOf)"
                )
            )
    if node.any_of and all(validate_quiet(sub, value, path) for sub in node.any_of):
        errs.append(
            invalid(path, "", f"{path or '.'} in body must validate at least one schema (anyOf)")
        )
    if node.not_ is not None and not validate_quiet(node.not_, value, path):
        errs.append(invalid(path, "", f"{path or '.'} in body must not validate the schema (not)"))


def validate_quiet(node: Node, value: Any, path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    _validate(node, value, path, errs)
    return errs


def _string(node: Node, value: str, path: str, errs: list[FieldError]) -> None:
    if node.max_length is not None and len(value) > node.max_length:
        errs.append(too_long_max_length(path, node.max_length))
    if node.min_length is not None and len(value) < node.min_length:
        errs.append(
            invalid(path, value, f"{path} in body should be at least {node.min_length} chars long")
        )
    if node.pattern is not None and node.regex is not None and not node.regex.search(value):
        errs.append(invalid(path, value, f"{path} in body should match '{node.pattern}'"))
    if node.format == "date-time" and not _DATE_TIME.match(value):
        errs.append(
            type_invalid(path, value, f'{path} in body must be of type date-time: "{value}"')
        )


def _number(node: Node, value: float, path: str, errs: list[FieldError]) -> None:
    if node.maximum is not None:
        if node.exclusive_maximum and value >= node.maximum:
            errs.append(
                invalid(path, value, f"{path} in body should be less than {_num(node.maximum)}")
            )
        elif value > node.maximum:
            errs.append(
                invalid(
                    path,
                    value,
                    f"{path} in body should be less than or equal to {_num(node.maximum)}",
                )
            )
    if node.minimum is not None:
        if node.exclusive_minimum and value <= node.minimum:
            errs.append(
                invalid(path, value, f"{path} in body should be greater than {_num(node.minimum)}")
            )
        elif value < node.minimum:
            errs.append(
                invalid(
                    path,
                    value,
                    f"{path} in body should be greater than or equal to {_num(node.minimum)}",
                )
            )


def _list(node: Node, value: list[Any], path: str, errs: list[FieldError]) -> None:
    if node.max_items is not None and len(value) > node.max_items:
        errs.append(too_many(path, len(value), node.max_items))
    if node.min_items is not None and len(value) < node.min_items:
        errs.append(
            invalid(path, len(value), f"{path} in body should have at least {node.min_items} items")
        )
    if node.unique_items and len({json.dumps(v, sort_keys=True) for v in value}) < len(value):
        errs.append(invalid(path, value, f"{path} in body shouldn't contain duplicates"))
    if node.items is not None:
        for i, v in enumerate(value):
            _validate(node.items, v, f"{path}[{i}]", errs)
    if node.list_type in ("set", "map"):
        seen: set[str] = set()
        for i, v in enumerate(value):
            if node.list_type == "map" and isinstance(v, dict):
                key = json.dumps([v.get(k) for k in node.map_keys])
                shown: Any = {k: v[k] for k in node.map_keys if k in v}
            else:
                key, shown = json.dumps(v, sort_keys=True), v
            if key in seen:
                errs.append(duplicate(f"{path}[{i}]", shown))
            seen.add(key)


def _object(
    node: Node,
    value: dict[str, Any],
    path: str,
    errs: list[FieldError],
    root: bool,
    old: dict[str, Any] | None,
) -> None:
    for name in node.required:
        if name not in value:
            errs.append(required(_child(path, name)))
    n = len(value)
    if node.max_properties is not None and n > node.max_properties:
        errs.append(too_many(path, n, node.max_properties))
    if node.min_properties is not None and n < node.min_properties:
        errs.append(
            invalid(
                path, n, f"{path} in body should have at least {node.min_properties} properties"
            )
        )
    if node.type == "struct":
        for k, v in value.items():
            if root and k in ("apiVersion", "kind", "metadata"):
                continue
            f = node.fields.get(k)
            if f is not None:
                _validate(f, v, _child(path, k), errs, old=_NEW if old is None else old.get(k, _NEW))
    elif node.type == "map" and node.values is not None:
        for k, v in value.items():
            _validate(
                node.values, v, _child(path, k), errs, old=_NEW if old is None else old.get(k, _NEW)
            )
