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
import marshal
import re
from typing import Any

from .schemas import Node

__all__ = ["DecodeError", "Remembered", "RememberedValues", "decode", "decode_object", "decode_value", "same"]


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


#: where a value sits, built only when an error names it: None (the root) or
#: ``(parent, key, is_field)`` — a struct field, or a list index / map key (``is_field`` False)
Trail = "tuple[Trail | None, str | int, bool] | None"


def _path(trail: Any, last: str | None = None) -> str:
    """The ``field.Path`` string of a trail (``spec.template.spec.containers[0].name``)."""
    parts: list[str] = [] if last is None else [last]
    fields: list[bool] = [] if last is None else [True]
    while trail is not None:
        trail, key, is_field = trail
        parts.append(str(key))
        fields.append(is_field)
    out = ""
    for key, is_field in zip(reversed(parts), reversed(fields), strict=True):
        out = (f"{out}.{key}" if out else key) if is_field else f"{out}[{key}]"
    return out


def _gopath(trail: Any) -> list[str]:
    """The struct fields from the root (what encoding/json's UnmarshalTypeError.Field holds)."""
    keys: list[str] = []
    while trail is not None:
        trail, key, is_field = trail
        if is_field:
            keys.append(str(key))
    return keys[::-1]


def _type_error(what: str, struct: str, trail: Any, go: str) -> DecodeError:
    gopath = _gopath(trail)
    if gopath:
        return DecodeError(
            f"json: cannot unmarshal {what} into Go struct field {struct}.{'.'.join(gopath)} of type {go}"
        )
    return DecodeError(f"json: cannot unmarshal {what} into Go value of type {go}")


#: what ``base64.StdEncoding`` decodes without error and without a line break to skip: whole
#: quanta of the alphabet, the last one possibly padded (``xx==``, ``xxx=``); the empty string too
_B64_PLAIN = re.compile(r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?")


def base64_error(s: str) -> str | None:
    """Go's ``base64.StdEncoding.Decode`` verdict: None, or its CorruptInputError text.

    Well-formed data without line breaks (a Secret's certificates and keys, every write) is
    recognised in one regular-expression match; anything else is walked byte by byte
    (:func:`_base64_walk`) for Go's verdict and the offset its error names."""
    if _B64_PLAIN.fullmatch(s) is not None:
        return None
    return _base64_walk(s)


def _base64_walk(s: str) -> str | None:
    """``base64.StdEncoding.Decode``'s loop over the input: None, or its CorruptInputError text."""
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


def same(a: Any, b: Any) -> bool:
    """Are two JSON values the same JSON (``true`` is not ``1``, ``1.0`` is not ``1``, which
    Python's ``==`` confuses)? Equality first (C speed, and it fails fast), then the types:
    equal values whose ``marshal`` encodings (version 2: no back-references) are equal have
    the same types throughout (``marshal`` writes a bool, an int and a float each with its own
    code), also at C speed. Equal values may still encode apart (a different key order, or an
    interned string on one side only): then a walk decides."""
    if a is b:
        return True
    if type(a) is not type(b) or a != b:
        return False
    if type(a) not in (dict, list):
        return True
    try:
        if marshal.dumps(a, 2) == marshal.dumps(b, 2):
            return True
    except ValueError:  # nested too deeply for marshal
        pass
    return _same_types(a, b)


def _same_types(a: Any, b: Any) -> bool:
    """Given ``a == b`` (same keys, equal values), do the values have the same JSON types
    throughout? (A walk of type checks: cheaper than encoding both.)"""
    # equal containers: same length, so the pairs are all of them
    pairs = zip(a.values(), map(b.__getitem__, a), strict=True) if type(a) is dict else zip(a, b, strict=True)
    for v, w in pairs:
        t = type(v)
        if t is not type(w):
            return False
        if (t is dict or t is list) and v is not w and not _same_types(v, w):
            return False
    return True


#: no stored value to compare with (a create, or a field the stored object does not have)
_NEW: Any = object()

#: scalar kinds whose value is accepted as is when its Python type is this one (the fast path)
_PLAIN = {"string": str, "boolean": bool}


def _go(
    node: Node, value: Any, trail: Any, struct: str, unknown: list[str], old: Any = _NEW
) -> Any:
    """Decode ``value`` into ``node``'s Go type, in place; returns the value (a null list item
    of a struct list becomes ``{}``, a null map value of a string map ``""``).

    ``old`` is the stored object's value at the same place (an update): a container that is
    the same JSON was decoded when it was stored and is not walked again."""
    t = node.type
    if t == "struct":
        if type(value) is not dict:
            raise _type_error(_json_kind(value), struct, trail, node.go)
        fields = node.decoded_fields
        if fields is None:
            fields = node.decoded_fields = {k: (f, _PLAIN.get(f.type)) for k, f in node.fields.items()}
        inner = node.struct or struct
        olds = old if type(old) is dict else None
        dropped: list[str] = []  # unknown fields and nulls, deleted after the walk
        for k, v in value.items():
            known = fields.get(k)
            if known is None:
                unknown.append(_path(trail, k))
                dropped.append(k)
            elif v is None:
                dropped.append(k)
            elif known[1] is not type(v):
                ov = _NEW if olds is None else olds.get(k, _NEW)
                if ov is not _NEW and same(v, ov):
                    continue
                _go(known[0], v, (trail, k, True), inner, unknown, ov)
        for k in dropped:
            del value[k]
        return value
    if t == "string":
        if type(value) is not str:
            raise _type_error(_json_kind(value), struct, trail, "string")
        return value
    if t == "integer":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _type_error(_json_kind(value), struct, trail, node.go)
        lo, hi = _INT_RANGE.get(node.format, _INT_RANGE["int64"])
        if isinstance(value, float) or not lo <= value <= hi:
            raise _type_error(f"number {value}", struct, trail, node.go)
        return value
    if t == "boolean":
        if type(value) is not bool:
            raise _type_error(_json_kind(value), struct, trail, "bool")
        return value
    if t == "map":
        if type(value) is not dict:
            raise _type_error(_json_kind(value), struct, trail, node.go)
        vnode = node.values
        assert vnode is not None
        plain = _PLAIN.get(vnode.type)
        olds = old if type(old) is dict else None
        for k, v in value.items():
            if v is None:
                if vnode.type == "string":
                    value[k] = ""  # a null decodes to the zero value of the element
            elif plain is None or type(v) is not plain:
                ov = _NEW if olds is None else olds.get(k, _NEW)
                if ov is not _NEW and same(v, ov):
                    continue
                _go(vnode, v, (trail, k, False), struct, unknown, ov)
        return value
    if t == "list":
        if type(value) is not list:
            raise _type_error(_json_kind(value), struct, trail, node.go)
        inode = node.items
        assert inode is not None
        plain = _PLAIN.get(inode.type)
        items_old: list[Any] | tuple[()] = old if type(old) is list else ()
        for i, v in enumerate(value):
            if v is None:
                if inode.type == "struct":
                    value[i] = {}
            elif plain is None or type(v) is not plain:
                ov = items_old[i] if i < len(items_old) else _NEW
                if ov is not _NEW and same(v, ov):
                    continue  # positions need not correlate: a stored item decoded anyway
                _go(inode, v, (trail, i, False), struct, unknown, ov)
        return value
    if t == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _type_error(_json_kind(value), struct, trail, "float64")
        return value
    if t == "bytes":
        if not isinstance(value, str):
            raise _type_error(_json_kind(value), struct, trail, "[]uint8")
        err = base64_error(value)
        if err:
            raise DecodeError(err)
        return value
    if t == "intorstring":
        if isinstance(value, str):
            return value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _type_error(_json_kind(value), struct, trail, "int32")
        if isinstance(value, float) or not -(2**31) <= value < 2**31:
            raise _type_error(f"number {value}", struct, trail, "int32")
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
            raise _type_error(_json_kind(value), struct, trail, "string")
        if value and not _RFC3339.match(value):
            raise DecodeError(
                f'parsing time "{value}" as "2006-01-02T15:04:05Z07:00": cannot parse '
                f'"{value}" as "2006"'
            )
        return value
    return value  # any


#: per struct node of a CRD schema, its fields that have a default, in the schema's order
#: (a schema's nodes are complete before the first object is decoded against them)
_DEFAULTED: dict[Node, tuple[tuple[str, Node], ...]] = {}


def _defaulted(node: Node) -> tuple[tuple[str, Node], ...]:
    found = _DEFAULTED.get(node)
    if found is None:
        found = _DEFAULTED[node] = tuple((k, f) for k, f in node.fields.items() if f.has_default)
    return found


def _prune(node: Node, value: Any, path: str, unknown: list[str], old: Any = _NEW) -> None:
    """Prune and default a custom resource's value in place (type errors are validation's);
    a container that is the same JSON as the stored one (``old``) was pruned when stored."""
    t = node.type
    if t == "struct":
        if not isinstance(value, dict):
            return
        fields = node.fields
        olds = old if type(old) is dict else None
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
            if f.crd and not isinstance(v, (dict, list)):
                continue  # a scalar: nothing below it to prune or default
            ov = _NEW if olds is None else olds.get(k, _NEW)
            if ov is not _NEW and type(v) in (dict, list) and same(v, ov):
                continue
            if f.crd:
                _prune(f, v, _child(path, k), unknown, ov)
            else:  # metadata: ObjectMeta, decoded as a Go struct
                trail = (None, k, True) if not path else (None, _child(path, k), True)
                _go(f, v, trail, "ObjectMeta", unknown, ov)
        for k, f in _defaulted(node):
            if k not in value:
                value[k] = copy.deepcopy(f.default)
                _prune(f, value[k], _child(path, k), [])
        return
    if t == "map":
        if not isinstance(value, dict) or node.values is None:
            return
        vnode = node.values
        olds = old if type(old) is dict else None
        for k in list(value):
            v = value[k]
            if v is None and not vnode.nullable:
                if vnode.has_default:
                    value[k] = copy.deepcopy(vnode.default)
                else:
                    del value[k]
                continue
            if not isinstance(v, (dict, list)):
                continue  # a scalar: nothing below it to prune or default
            ov = _NEW if olds is None else olds.get(k, _NEW)
            if ov is not _NEW and type(v) in (dict, list) and same(v, ov):
                continue
            _prune(vnode, v, f"{path}[{k}]", unknown, ov)
        return
    if t == "list":
        if not isinstance(value, list) or node.items is None:
            return
        items_old: list[Any] | tuple[()] = old if type(old) is list else ()
        for i, v in enumerate(value):
            if not isinstance(v, (dict, list)):
                continue  # a scalar: nothing below it to prune or default
            ov = items_old[i] if i < len(items_old) else _NEW
            if ov is not _NEW and type(v) in (dict, list) and same(v, ov):
                continue
            _prune(node.items, v, f"{path}[{i}]", unknown, ov)


def decode(node: Node, obj: dict[str, Any], stored: dict[str, Any] | None = None) -> list[str]:
    """Decode ``obj`` (a fresh body, changed in place) against its kind's root node.

    Returns the paths of the unknown fields (dropped); raises :class:`DecodeError` for a
    built-in body that does not decode. ``stored`` (an update: the object as stored, decoded
    when it was written) lets parts that are the same JSON go unwalked.
    """
    return decode_value(node, obj, "", stored)[1]


def decode_value(
    node: Node, value: Any, path: str = "", stored: Any = None
) -> tuple[Any, list[str]]:
    """Decode one value against a (sub-)node; see :func:`decode`."""
    unknown: list[str] = []
    old = _NEW if stored is None else stored
    if node.crd:
        _prune(node, value, path, unknown, old)
        return value, unknown
    trail = (None, path, True) if path else None
    return _go(node, value, trail, node.struct, unknown, old), unknown



class Remembered:
    """A set of keys that each carry an encoding (what a rule or a decoder did with exactly that
    value), bounded in entries and in the encodings' bytes: when either would be exceeded it
    is emptied (what it held is computed anew); an encoding larger than the byte bound is not
    kept at all. ``keys`` is the set, for look-ups at C speed."""

    __slots__ = ("keys", "max_items", "max_bytes", "_bytes")

    def __init__(self, max_items: int = 4096, max_bytes: int = 16 * 2**20) -> None:
        self.keys: set[Any] = set()
        self.max_items = max_items
        self.max_bytes = max_bytes
        self._bytes = 0

    def add(self, key: Any, size: int) -> None:
        """Remember ``key``, whose encoding is ``size`` bytes long."""
        if size > self.max_bytes:
            return
        if len(self.keys) >= self.max_items or self._bytes + size > self.max_bytes:
            self.keys.clear()
            self._bytes = 0
        self.keys.add(key)
        self._bytes += size


class RememberedValues:
    """A mapping bounded as :class:`Remembered` is (entries, and the sizes its caller gives):
    full, it is emptied and what it held is computed anew. ``values`` is the dict."""

    __slots__ = ("values", "max_items", "max_bytes", "_bytes")

    def __init__(self, max_items: int = 4096, max_bytes: int = 16 * 2**20) -> None:
        self.values: dict[Any, Any] = {}
        self.max_items = max_items
        self.max_bytes = max_bytes
        self._bytes = 0

    def put(self, key: Any, value: Any, size: int) -> None:
        """Remember ``value`` for ``key``, the two about ``size`` bytes."""
        if size > self.max_bytes:
            return
        if len(self.values) >= self.max_items or self._bytes + size > self.max_bytes:
            self.values.clear()
            self._bytes = 0
        self.values[key] = value
        self._bytes += size


#: the top-level fields whose values are remembered when they decode to themselves
_MEMO_FIELDS = ("spec", "status")
#: (root node, field, ``marshal`` encoding of its value) of the top-level values that decode to
#: themselves: no decode error, no unknown field, no null dropped, no default set — the same
#: encoding out as in. Equal encodings are the same JSON (key order and types included: a bool,
#: an int and a float each have their own code), and decoding is a pure function of the schema
#: node and the value, so decoding such a value again would change nothing and fail nothing:
#: an update that leaves the spec as it was walks only the rest
_FIXED = Remembered()


def _remember(node: Node, k: str, enc: bytes) -> None:
    _FIXED.add((node, k, enc), len(enc))


def _decodes_to_itself(node: Node, k: str, enc: bytes) -> bool:
    """Does the value ``enc`` encodes decode, in full, to itself (on a copy: ``marshal.loads``
    rebuilds the same JSON)?"""
    value = marshal.loads(enc)
    try:
        _, unknown = decode_value(node.fields[k], value, k)
    except DecodeError:
        return False
    return not unknown and marshal.dumps(value, 2) == enc


def decode_object(
    node: Node, obj: Any, stored: Any = None
) -> tuple[list[str], dict[str, bytes]]:
    """:func:`decode_value` of a whole body (``obj``, changed in place) against its kind's root
    node, its top-level ``spec`` and ``status`` looked up in (and added to) the values known
    to decode to themselves (:data:`_FIXED`); exactly what :func:`decode_value` does.

    Returns the unknown fields' paths and, per top-level field that is as it came (a value
    known to decode to itself), that value's ``marshal`` encoding."""
    if type(obj) is not dict or node.type != "struct":
        return decode_value(node, obj, "", stored)[1], {}
    hint: dict[str, Any] | None = stored if type(stored) is dict else None
    own = False  # is ``hint`` a copy of its own (the stored object is never changed)?
    kept: dict[str, bytes] = {}
    walked: list[tuple[str, bytes]] = []  # decoded in full here: learnt from the result
    as_stored: list[tuple[str, bytes]] = []  # not walked (the stored value): learnt on a copy
    for k in _MEMO_FIELDS:
        v = obj.get(k)
        if (type(v) is not dict and type(v) is not list) or k not in node.fields:
            continue
        try:
            enc = marshal.dumps(v, 2)
        except ValueError:  # nested too deeply for marshal
            continue
        if (node, k, enc) in _FIXED.keys:
            kept[k] = enc
            if not own:
                hint, own = (dict(hint) if hint is not None else {}), True
            assert hint is not None
            hint[k] = v  # the value itself: not walked
        elif hint is None or k not in hint:
            walked.append((k, enc))
        elif same(v, hint[k]):
            as_stored.append((k, enc))
    unknown = decode_value(node, obj, "", hint)[1]
    for k, enc in walked:
        v = obj.get(k)
        if not unknown and (type(v) is dict or type(v) is list) and marshal.dumps(v, 2) == enc:
            _remember(node, k, enc)
            kept[k] = enc
    for k, enc in as_stored:
        if _decodes_to_itself(node, k, enc):
            _remember(node, k, enc)
            kept[k] = enc
    return unknown, kept
