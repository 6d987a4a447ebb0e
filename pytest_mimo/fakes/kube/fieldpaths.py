"""Field sets over typed objects, as structured-merge-diff (SMD) computes them for server-side apply.

A field set is a Python ``set`` of paths; a path is a tuple of path elements:
``("f", name)`` (a struct field or map key), ``("k", ((key, json), …))`` (an item of a
list keyed by ``x-kubernetes-list-map-keys``), ``("v", json)`` (an item of a set),
``("i", n)`` (an index). Values in ``k`` / ``v`` elements are canonical JSON text.

The walks follow SMD (``typed/tofieldset.go``, ``compare.go``, ``merge.go``,
``remove.go``, ``fieldpath/set.go``, ``serialize.go``), read and rewritten over the
schema nodes of :mod:`.schemas`: a struct or map is granular unless
``x-kubernetes-map-type: atomic``; a list is associative when its
``x-kubernetes-list-type`` is ``map`` (keys) or ``set``, or, lacking one, when its patch
strategy is ``merge`` (kube-openapi's legacy rule); any other list is atomic; a value with
no schema (``any``, preserved unknown fields) is deduced: objects granular, lists atomic.
"""

from __future__ import annotations

import json
import marshal
from typing import Any

from .decoding import Remembered, RememberedValues
from .schemas import Node

__all__ = [
    "MISSING",
    "Path",
    "FieldSet",
    "to_set",
    "compare",
    "merge",
    "remove_items",
    "ensure_named_fields",
    "exclude",
    "encode_fields",
    "decode_fields",
    "path_string",
    "iterate",
    "same",
]

PE = tuple[str, Any]
Path = tuple[PE, ...]
FieldSet = set[Path]


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


#: an absent value (JSON ``null`` is ``None``, a present value)
MISSING: Any = _Missing()

#: defaults of list-map key fields the built-in schemas do not carry: the ``+default="TCP"``
#: tags of ContainerPort / ServicePort ``protocol`` (k8s.io/api core/v1), which the OpenAPI
#: that SMD reads has as ``default`` (see also defaulting.py)
_KEY_DEFAULTS = {"protocol": "TCP"}

_SCALARS = {"string", "integer", "number", "boolean", "bytes", "intorstring", "quantity", "time"}


def _canon(v: Any) -> str:
    return json.dumps(v, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def same(a: Any, b: Any) -> bool:
    """SMD's ``value.Equals``: JSON equality where a bool is never a number."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(map(same, a, b))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    return type(a) is type(b) and a == b


# -- the schema's shapes -------------------------------------------------------------------


def _shape(node: Node | None, value: Any) -> str:
    """``scalar``, ``atomic``, ``map`` (granular object) or ``assoc`` (associative list)."""
    if node is None or node.type == "any":
        if isinstance(value, dict):
            return "map"
        return "atomic" if isinstance(value, list) else "scalar"
    t = node.type
    if t in _SCALARS:
        return "scalar"
    if t in ("struct", "map"):
        return "atomic" if node.map_type == "atomic" else "map"
    if t == "list":
        if node.list_type in ("map", "set"):
            return "assoc"
        if node.list_type is None and "merge" in node.strategy.split(","):
            return "assoc"
        return "atomic"
    return "scalar"


def _keys(node: Node | None) -> tuple[str, ...]:
    if node is None or node.type != "list":
        return ()
    if node.list_type == "map":
        return node.map_keys
    if node.list_type is None and node.merge_key:
        return (node.merge_key,)
    return ()


def _child(node: Node | None, name: str) -> Node | None:
    if node is None or node.type == "any":
        return None
    if node.type == "struct":
        return node.fields.get(name)
    if node.type == "map":
        return node.values
    return None


def _named(node: Node | None, name: str) -> bool:
    return node is not None and node.type == "struct" and name in node.fields


def _item_pe(node: Node | None, item: Any) -> PE:
    """``listItemToPathElement``: the key fields of a map-list item, or the item of a set."""
    keys = _keys(node)
    if keys:
        if not isinstance(item, dict):
            raise ValueError(f"expected a map in a keyed list, got {_canon(item)}")
        fields = []
        for k in keys:
            if k in item:
                fields.append((k, _canon(item[k])))
            else:
                sub = node.items.fields.get(k) if node and node.items else None
                if sub is not None and sub.has_default:
                    fields.append((k, _canon(sub.default)))
                elif k in _KEY_DEFAULTS:
                    fields.append((k, _canon(_KEY_DEFAULTS[k])))
        return ("k", tuple(sorted(fields)))
    return ("v", _canon(item))


def _index(items: list[Any], node: Node | None) -> tuple[list[PE], dict[PE, Any]]:
    pes: list[PE] = []
    seen: dict[PE, Any] = {}
    for item in items:
        pe = _item_pe(node, item)
        if pe not in seen:
            seen[pe] = item
            pes.append(pe)
    return pes, seen


# -- ToFieldSet ------------------------------------------------------------------------------


def to_set(value: Any, node: Node | None) -> FieldSet:
    """Every field the value sets (``TypedValue.ToFieldSet``)."""
    out: FieldSet = set()
    _to_set((), value, node, out)
    return out


def _to_set(path: Path, value: Any, node: Node | None, out: FieldSet) -> None:
    shape = _shape(node, value)
    if shape == "scalar" or shape == "atomic":
        out.add(path)
    elif shape == "map":
        if not isinstance(value, dict):
            return
        for k, v in value.items():
            sub = (*path, ("f", k))
            _to_set(sub, v, _child(node, k), out)
            if v is None or v == {} or not _named(node, k):
                out.add(sub)
    elif isinstance(value, list):
        assert node is not None
        counts: dict[PE, int] = {}
        pes = [_item_pe(node, item) for item in value]
        for pe in pes:
            counts[pe] = counts.get(pe, 0) + 1
        for pe, item in zip(pes, value, strict=True):
            sub = (*path, pe)
            if counts[pe] > 1:
                out.add(sub)
                continue
            _to_set(sub, item, node.items, out)
            out.add(sub)


# -- Compare ---------------------------------------------------------------------------------


class Comparison:
    """Fields ``added``, ``modified`` and ``removed`` from one object to another."""

    __slots__ = ("added", "modified", "removed")

    def __init__(self) -> None:
        self.added: FieldSet = set()
        self.modified: FieldSet = set()
        self.removed: FieldSet = set()

    def same(self) -> bool:
        return not (self.added or self.modified or self.removed)


def compare(lhs: Any, rhs: Any, node: Node | None) -> Comparison:
    """``TypedValue.Compare``: what changed from ``lhs`` to ``rhs``."""
    out = Comparison()
    _compare((), lhs, rhs, node, out)
    return out


#: (schema node, ``marshal`` encoding) of top-level parts (a whole ``spec``) that compared with
#: the same JSON gave no change and raised nothing: comparing a value with itself depends on
#: the value and the node alone, so an update that leaves a part as it was is not walked again
_UNCHANGED = Remembered()


def _compare_part(path: Path, lhs: Any, rhs: Any, node: Node | None, out: Comparison) -> None:
    """:func:`_compare` of a top-level container present on both sides, skipped when both are
    exactly the same JSON (equal ``marshal`` encodings: key order and types too) known to
    compare without a change."""
    code: bytes | None = None
    if type(lhs) is type(rhs) and lhs == rhs:
        try:
            code = marshal.dumps(rhs, 2)
            if lhs is not rhs and marshal.dumps(lhs, 2) != code:
                code = None  # equal, yet not the same JSON (or merely encoded apart): walk
        except ValueError:  # nested too deeply for marshal
            code = None
        if code is not None and (node, code) in _UNCHANGED.keys:
            return
    before = len(out.added) + len(out.modified) + len(out.removed)
    _compare(path, lhs, rhs, node, out)
    if code is not None and len(out.added) + len(out.modified) + len(out.removed) == before:
        _UNCHANGED.add((node, code), len(code))


def _leaf(path: Path, lhs: Any, rhs: Any, out: Comparison) -> None:
    if lhs is MISSING:
        out.added.add(path)
    elif rhs is MISSING:
        out.removed.add(path)
    elif not same(lhs, rhs):
        out.modified.add(path)


def _compare(path: Path, lhs: Any, rhs: Any, node: Node | None, out: Comparison) -> None:
    shape = _shape(node, rhs if rhs is not MISSING else lhs)
    if shape == "map":
        lm = lhs if isinstance(lhs, dict) else None
        rm = rhs if isinstance(rhs, dict) else None
        if (lhs is not MISSING and lm is None and lhs is not None) or (
            rhs is not MISSING and rm is None and rhs is not None
        ):
            return _leaf(path, lhs, rhs, out)  # a value of another type: a leaf change
        if not lm and not rm:
            return _leaf(path, lhs, rhs, out)
        for k in {**(lm or {}), **(rm or {})}:
            lv, rv = (lm or {}).get(k, MISSING), (rm or {}).get(k, MISSING)
            if not path and lv is not MISSING and type(rv) in (dict, list):
                _compare_part((("f", k),), lv, rv, _child(node, k), out)
            else:
                _compare((*path, ("f", k)), lv, rv, _child(node, k), out)
    elif shape == "assoc":
        ll = lhs if isinstance(lhs, list) else None
        rl = rhs if isinstance(rhs, list) else None
        if not ll and not rl:
            return _leaf(path, lhs, rhs, out)
        assert node is not None
        lpes, lseen = _index(ll or [], node)
        rpes, rseen = _index(rl or [], node)
        for pe in lpes + [p for p in rpes if p not in lseen]:
            _compare((*path, pe), lseen.get(pe, MISSING), rseen.get(pe, MISSING), node.items, out)
    else:
        return _leaf(path, lhs, rhs, out)
    if lhs is MISSING:
        out.added.add(path)
    elif rhs is MISSING:
        out.removed.add(path)


# -- Merge -----------------------------------------------------------------------------------


def merge(lhs: Any, rhs: Any, node: Node | None) -> Any:
    """``TypedValue.Merge``: ``rhs`` (an applied configuration) over ``lhs`` (the live object)."""
    if rhs is MISSING:
        return lhs
    if lhs is MISSING:
        return rhs
    shape = _shape(node, rhs)
    if shape == "map":
        lm = lhs if isinstance(lhs, dict) else {}
        rm = rhs if isinstance(rhs, dict) else {}
        if not lm and not rm:
            return rhs
        out = {}
        for k in {**lm, **rm}:
            v = merge(lm.get(k, MISSING), rm.get(k, MISSING), _child(node, k))
            if v is not MISSING:
                out[k] = v
        return out if out else MISSING
    if shape == "assoc":
        ll = lhs if isinstance(lhs, list) else []
        rl = rhs if isinstance(rhs, list) else []
        if not ll and not rl:
            return rhs
        assert node is not None
        return _merge_list(ll, rl, node)
    return rhs


def _merge_list(lhs: list[Any], rhs: list[Any], node: Node) -> list[Any]:
    """merge.go ``visitListItems``: the live order, the configuration's items where it places
    them relative to the items both share."""
    rpes = [_item_pe(node, v) for v in rhs]
    rseen: dict[PE, Any] = {}
    for pe, v in zip(rpes, rhs, strict=True):
        if pe in rseen:
            raise ValueError(f"duplicate entries for key {_pe_string(pe)}")
        rseen[pe] = v
    lpes = [_item_pe(node, v) for v in lhs]
    lseen: dict[PE, Any] = {}
    for pe, v in zip(lpes, lhs, strict=True):
        lseen[pe] = v if pe not in lseen else None
    shared = [pe for pe in rpes if pe in lseen]
    next_shared = shared.pop(0) if shared else None
    done: set[PE] = set()
    out: list[Any] = []

    def put(v: Any) -> None:
        if v is not MISSING:
            out.append(v)

    li = ri = 0
    while li < len(lpes) or ri < len(rpes):
        if li < len(lpes) and ri < len(rpes):
            pe = lpes[li]
            if pe == rpes[ri]:
                done.add(pe)
                put(merge(lseen[pe], rseen[pe], node.items))
                li += 1
                ri += 1
                next_shared = shared.pop(0) if shared else None
                continue
            if pe in rseen and next_shared is not None and next_shared != pe:
                li += 1
                continue
        if li < len(lpes):
            pe = lpes[li]
            if pe not in rseen:
                put(merge(lhs[li], MISSING, node.items))
                li += 1
                continue
            if pe in done:
                li += 1
        if ri < len(rpes):
            pe = rpes[ri]
            done.add(pe)
            put(merge(lseen.get(pe, MISSING), rseen[pe], node.items))
            ri += 1
            if next_shared is not None and next_shared == pe:
                next_shared = shared.pop(0) if shared else None
    return out


# -- RemoveItems, EnsureNamedFieldsAreMembers, filters -----------------------------------------


def _with_prefix(paths: FieldSet, pe: PE) -> FieldSet:
    return {p[1:] for p in paths if len(p) > 1 and p[0] == pe}


def remove_items(value: Any, paths: FieldSet, node: Node | None) -> Any:
    """``TypedValue.RemoveItems``: ``value`` without the fields in ``paths`` (MISSING if nothing
    is left of it)."""
    shape = _shape(node, value)
    if shape == "map" and isinstance(value, dict) and value:
        out = {}
        for k, v in value.items():
            pe = ("f", k)
            if (pe,) in paths:
                continue
            sub = _with_prefix(paths, pe)
            if sub:
                v = remove_items(v, sub, _child(node, k))
                if v is MISSING:
                    continue
            out[k] = v
        return out if out else MISSING
    if shape == "assoc" and isinstance(value, list) and value:
        assert node is not None
        items = []
        for item in value:
            pe = _item_pe(node, item)
            if (pe,) in paths:
                continue
            sub = _with_prefix(paths, pe)
            if sub:
                item = remove_items(item, sub, node.items)
                if item is MISSING:
                    continue
            items.append(item)
        return items if items else MISSING
    if shape in ("map", "assoc", "atomic") and not paths:
        return value
    return MISSING if shape != "scalar" else value


def _node_at(root: Node | None, path: Path) -> Node | None:
    node = root
    for kind, arg in path:
        if kind == "f":
            node = _child(node, arg)
        else:
            node = node.items if node is not None and node.type == "list" else None
    return node


def ensure_named_fields(paths: FieldSet, root: Node | None) -> FieldSet:
    """``Set.EnsureNamedFieldsAreMembers``: every struct field on the way to a member is one."""
    out = set(paths)
    for p in paths:
        for i in range(1, len(p)):
            kind, name = p[i - 1]
            if kind == "f" and _named(_node_at(root, p[: i - 1]), name):
                out.add(p[:i])
    return out


def exclude(paths: FieldSet, prefixes: FieldSet) -> FieldSet:
    """An exclude filter (``fieldpath.NewExcludeFilter``): the paths not under any prefix."""
    if not prefixes:
        return paths
    return {p for p in paths if not any(p[: len(q)] == q for q in prefixes)}


# -- fieldsV1 --------------------------------------------------------------------------------


def _pe_sort(pe: PE) -> tuple[Any, ...]:
    kind, arg = pe
    if kind == "f":
        return (0, arg)
    if kind == "k":
        return (1, tuple((n, _value_sort(json.loads(v))) for n, v in arg))
    if kind == "v":
        return (2, _value_sort(json.loads(arg)))
    return (3, arg)


def _value_sort(v: Any) -> tuple[Any, ...]:
    if v is None:
        return (0,)
    if isinstance(v, bool):
        return (1, v)
    if isinstance(v, (int, float)):
        return (2, v)
    if isinstance(v, str):
        return (3, v)
    return (4, _canon(v))


def _tree(paths: FieldSet) -> dict[PE, Any]:
    """Nested dicts ``{pe: (member, children)}``."""
    root: dict[PE, Any] = {}
    for p in paths:
        level = root
        for i, pe in enumerate(p):
            entry = level.setdefault(pe, [False, {}])
            if i == len(p) - 1:
                entry[0] = True
            level = entry[1]
    return root


def _pe_key(pe: PE) -> str:
    kind, arg = pe
    if kind == "f":
        return f"f:{arg}"
    if kind == "k":
        return "k:{" + ",".join(f"{json.dumps(n)}:{v}" for n, v in arg) + "}"
    if kind == "v":
        return f"v:{arg}"
    return f"i:{arg}"


#: sets lately encoded (``frozenset`` of the paths) and their ``fieldsV1`` (``marshal``
#: encoding, so each answer is a fresh object): a tracked write encodes every entry again
_WRITTEN = RememberedValues(max_items=1024)


def encode_fields(paths: FieldSet) -> dict[str, Any]:
    """The ``fieldsV1`` object of a set, ordered and with ``.`` as ``Set.ToJSON`` writes it
    (remembered per exact set: see :data:`_WRITTEN`)."""
    key = frozenset(paths)
    hit = _WRITTEN.values.get(key)
    if hit is not None:
        return marshal.loads(hit)  # type: ignore[no-any-return]
    encoded = _encode_fields(paths)
    try:
        code = marshal.dumps(encoded, 2)
    except ValueError:  # nested too deeply for marshal
        return encoded
    _WRITTEN.put(key, code, 8 * len(code))  # the set's paths weigh more than their encoding
    return encoded


def _encode_fields(paths: FieldSet) -> dict[str, Any]:
    def emit(level: dict[PE, Any], self_member: bool) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self_member and level:
            out["."] = {}
        for pe in sorted(level, key=_pe_sort):
            member, children = level[pe]
            out[_pe_key(pe)] = emit(children, member)
        return out

    return emit(_tree(paths), False)


def _decode_pe(key: str) -> PE:
    kind, sep, rest = key.partition(":")
    if not sep:
        raise ValueError(f"parsing error: missing colon: {key}")
    if kind == "f":
        return ("f", rest)
    if kind == "k":
        fields = json.loads(rest)
        if not isinstance(fields, dict):
            raise ValueError(f"expected a key object: {key}")
        return ("k", tuple(sorted((n, _canon(v)) for n, v in fields.items())))
    if kind == "v":
        return ("v", _canon(json.loads(rest)))
    if kind == "i":
        return ("i", int(rest))
    raise ValueError(f"unknown path element type: {kind!r}")


#: ``fieldsV1`` objects lately read, by exact JSON (``marshal`` encoding), and their sets: a
#: tracked write reads every stored entry again. A malformed one is never remembered
_READ = RememberedValues(max_items=1024)


def decode_fields(fields: Any) -> FieldSet:
    """A ``fieldsV1`` object as a set (``Set.FromJSON``; remembered per exact JSON, see
    :data:`_READ`); a fresh set each time (callers may change it)."""
    try:
        key = marshal.dumps(fields, 2)
    except ValueError:  # nested too deeply, or no JSON value
        return _read_fields(fields)
    hit = _READ.values.get(key)
    if hit is None:
        hit = frozenset(_read_fields(fields))  # raises as before: nothing remembered
        _READ.put(key, hit, 8 * len(key))  # the set's paths weigh more than their encoding
    return set(hit)


def _read_fields(fields: Any) -> FieldSet:
    out: FieldSet = set()

    def read(obj: Any, prefix: Path) -> None:
        if not isinstance(obj, dict):
            raise ValueError("expected an object")
        for key, sub in obj.items():
            if key == ".":
                continue
            path = (*prefix, _decode_pe(key))
            if not isinstance(sub, dict):
                raise ValueError("expected an object")
            if not sub or "." in sub:
                out.add(path)
            read(sub, path)

    read(fields, ())
    return out


def _pe_string(pe: PE) -> str:
    kind, arg = pe
    if kind == "f":
        return f".{arg}"
    if kind == "k":
        return "[" + ",".join(f"{n}={_to_string(json.loads(v))}" for n, v in arg) + "]"
    if kind == "v":
        return f"[={_to_string(json.loads(arg))}]"
    return f"[{arg}]"


def _to_string(v: Any) -> str:
    """SMD ``value.ToString``: strings quoted as Go's ``%q``, the rest as JSON."""
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    return _canon(v)


def path_string(path: Path) -> str:
    """``fieldpath.Path.String()``: ``.spec.template.spec.containers[name="app"].image``."""
    return "".join(_pe_string(pe) for pe in path)


def iterate(paths: FieldSet) -> list[Path]:
    """The set's paths in ``Set.Iterate`` order: a level's members, then its children."""
    out: list[Path] = []

    def walk(level: dict[PE, Any], prefix: Path) -> None:
        keys = sorted(level, key=_pe_sort)
        out.extend((*prefix, pe) for pe in keys if level[pe][0])
        for pe in keys:
            walk(level[pe][1], (*prefix, pe))

    walk(_tree(paths), ())
    return out
