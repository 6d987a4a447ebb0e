"""Decoding a request body as the API server does, before defaulting and validation.

Built-in kinds are decoded into Go structs (``sigs.k8s.io/json``, encoding/json's
rules, case-sensitive): a value of the wrong JSON type, an integer out of range,
non-base64 ``[]byte`` data, a malformed quantity or time fail the whole request
(the caller answers 400 with the decoder's message); unknown fields are dropped and
reported by path; ``null`` leaves a field unset (a null map value is the empty string).

Custom resources are decoded as unstructured JSON, then **pruned** against the CRD's
structural schema (``apiextensions-apiserver/pkg/apiserver/schema/pruning``): fields the
schema does not name are dropped and reported (unless
``x-kubernetes-preserve-unknown-fields``), ``null`` in a non-nullable field without a
default is dropped, and the schema's ``default`` values are set where a field is absent
(``schema/defaulting``). Type errors in custom resources are left to validation (422).

Unknown-field paths are rendered as ``field.Path`` does: ``spec.template.spec.containers[0].imagePullPolice``.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from .schemas import Node

__all__ = ["DecodeError", "decode", "decode_value"]


class DecodeError(ValueError):
    """The body cannot be decoded into the kind (the decoder's own message)."""


_INT_RANGE = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}
_QUANTITY = re.compile(r"^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$")
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
_B64 = {
    c: i for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
}


def _json_kind(v: Any) -> str:
    """The JSON value's kind as encoding/json names it in an UnmarshalTypeError."""
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    if isinstance(v, dict):
        return "object"
    return "null"


def _child(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _type_error(what: str, struct: str, gopath: list[str], go: str) -> DecodeError:
    if gopath:
        return DecodeError(
            f"json: cannot unmarshal {what} into Go struct field {struct}.{'.'.join(gopath)} of type {go}"
        )
    return DecodeError(f"json: cannot unmarshal {what} into Go value of type {go}")


def base64_error(s: str) -> str | None:
    """Go's ``base64.StdEncoding.Decode`` verdict: None, or its CorruptInputError text."""
    src = s.encode("utf-8", "surrogatepass")
    n = len(src)
    si = 0
    while True:
        j = 0
        while j < 4:
            if si == n:
                if j == 0:
                    return None
                return f"illegal base64 data at input byte {si - j}"
            c = src[si]
            si += 1
            if chr(c) in _B64:
                j += 1
                continue
            if c in (0x0A, 0x0D):
                continue
            if c != 0x3D:  # '='
                return f"illegal base64 data at input byte {si - 1}"
            # padding
            if j in (0, 1):
                return f"illegal base64 data at input byte {si - 1}"
            if j == 2:
                while si < n and src[si] in (0x0A, 0x0D):
                    si += 1
                if si == n:
                    return f"illegal base64 data at input byte {n}"
                if src[si] != 0x3D:
                    return f"illegal base64 data at input byte {si - 1}"
                si += 1
            while si < n and src[si] in (0x0A, 0x0D):
                si += 1
            if si < n:
                return f"illegal base64 data at input byte {si}"
            return None


def _go(
    node: Node, value: Any, path: str, struct: str, gopath: list[str], unknown: list[str]
) -> Any:
    """Decode ``value`` into ``node``'s Go type; returns the (possibly normalized) value."""
    t = node.type
    if t == "struct":
        if not isinstance(value, dict):
            raise _type_error(_json_kind(value), struct, gopath, node.go)
        fields = node.fields
        inner = node.struct or struct
        for k in list(value):
            v = value[k]
            f = fields.get(k)
            if f is None:
                unknown.append(_child(path, k))
                del value[k]
            elif v is None:
                del value[k]
            else:
                value[k] = _go(f, v, _child(path, k), inner, [*gopath, k], unknown)
        return value
    if t == "string":
        if not isinstance(value, str):
            raise _type_error(_json_kind(value), struct, gopath, "string")
        return value
    if t == "integer":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _type_error(_json_kind(value), struct, gopath, node.go)
        lo, hi = _INT_RANGE.get(node.format, _INT_RANGE["int64"])
        if isinstance(value, float) or not lo <= value <= hi:
            raise _type_error(f"number {value}", struct, gopath, node.go)
        return value
    if t == "boolean":
        if not isinstance(value, bool):
            raise _type_error(_json_kind(value), struct, gopath, "bool")
        return value
    if t == "map":
        if not isinstance(value, dict):
            raise _type_error(_json_kind(value), struct, gopath, node.go)
        vnode = node.values
        assert vnode is not None
        for k in list(value):
            v = value[k]
            if v is None:
                if vnode.type == "string":
                    value[k] = ""  # a null decodes to the zero value of the element
                continue
            value[k] = _go(vnode, v, f"{path}[{k}]", struct, gopath, unknown)
        return value
    if t == "list":
        if not isinstance(value, list):
            raise _type_error(_json_kind(value), struct, gopath, node.go)
        inode = node.items
        assert inode is not None
        for i, v in enumerate(value):
            if v is None:
                if inode.type == "struct":
                    value[i] = {}
                continue
            value[i] = _go(inode, v, f"{path}[{i}]", struct, gopath, unknown)
        return value
    if t == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _type_error(_json_kind(value), struct, gopath, "float64")
        return value
    if t == "bytes":
        if not isinstance(value, str):
            raise _type_error(_json_kind(value), struct, gopath, "[]uint8")
        err = base64_error(value)
        if err:
            raise DecodeError(err)
        return value
    if t == "intorstring":
        if isinstance(value, str):
            return value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _type_error(_json_kind(value), struct, gopath, "int32")
        if isinstance(value, float) or not -(2**31) <= value < 2**31:
            raise _type_error(f"number {value}", struct, gopath, "int32")
        return value
    if t == "quantity":
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return value
        if not isinstance(value, str) or not _QUANTITY.match(value):
            raise DecodeError(
                "quantities must match the regular expression "
                "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
            )
        return value
    if t == "time":
        if not isinstance(value, str):
            raise _type_error(_json_kind(value), struct, gopath, "string")
        if value and not _RFC3339.match(value):
            raise DecodeError(
                f'parsing time "{value}" as "2006-01-02T15:04:05Z07:00": cannot parse '
                f'"{value}" as "2006"'
            )
        return value
    return value  # any


def _prune(node: Node, value: Any, path: str, unknown: list[str]) -> None:
    """Prune and default a custom resource's value in place (type errors are validation's)."""
    t = node.type
    if t == "struct":
        if not isinstance(value, dict):
            return
        fields = node.fields
        for k in list(value):
            f = fields.get(k)
            if f is None:
                if not node.preserve:
                    unknown.append(_child(path, k))
                    del value[k]
                continue
            v = value[k]
            if v is None and not f.nullable:
                if f.has_default:
                    value[k] = copy.deepcopy(f.default)
                    _prune(f, value[k], _child(path, k), [])
                else:
                    del value[k]
                continue
            if f.crd:
                _prune(f, v, _child(path, k), unknown)
            else:  # metadata: ObjectMeta, decoded as a Go struct
                value[k] = _go(f, v, _child(path, k), "ObjectMeta", [k], unknown)
        for k, f in fields.items():
            if f.has_default and k not in value:
                value[k] = copy.deepcopy(f.default)
                _prune(f, value[k], _child(path, k), [])
        return
    if t == "map":
        if not isinstance(value, dict) or node.values is None:
            return
        vnode = node.values
        for k in list(value):
            v = value[k]
            if v is None and not vnode.nullable:
                if vnode.has_default:
                    value[k] = copy.deepcopy(vnode.default)
                else:
                    del value[k]
                continue
            _prune(vnode, v, f"{path}[{k}]", unknown)
        return
    if t == "list":
        if not isinstance(value, list) or node.items is None:
            return
        for i, v in enumerate(value):
            _prune(node.items, v, f"{path}[{i}]", unknown)


def decode(node: Node, obj: dict[str, Any]) -> list[str]:
    """Decode ``obj`` (a fresh body, changed in place) against its kind's root node.

    Returns the paths of the unknown fields (dropped); raises :class:`DecodeError` for a
    built-in body that does not decode.
    """
    unknown: list[str] = []
    if node.crd:
        _prune(node, obj, "", unknown)
    else:
        _go(node, obj, "", node.struct, [], unknown)
    return unknown


def decode_value(node: Node, value: Any, path: str = "") -> tuple[Any, list[str]]:
    """Decode one value against a sub-node (used for patches of a part of an object)."""
    unknown: list[str] = []
    if node.crd:
        _prune(node, value, path, unknown)
        return value, unknown
    return _go(node, value, path, node.struct, [], unknown), unknown
