"""Strategic merge patch (``application/strategic-merge-patch+json``) on plain dicts.

What the API server does with such a patch on a built-in kind
(``strategicpatch.StrategicMergeMapPatch`` with ``MergeParallelList`` and
``IgnoreUnmatchedNulls``, apimachinery ``pkg/util/strategicpatch/patch.go``), with the
merge keys and strategies of the kind's schema (:mod:`.schemas`):

* objects merge key by key, ``null`` deletes;
* a list whose strategy is ``merge`` merges by its ``x-kubernetes-patch-merge-key``
  (lists of objects) or as a set (lists of scalars); any other list is replaced;
* directives: ``$patch: replace`` / ``delete`` in an object or a list item,
  ``$setElementOrder/<list>``, ``$retainKeys``, ``$deleteFromPrimitiveList/<list>``;
* the order of a merged list: ``$setElementOrder`` first, then the patch's order,
  then the live list's, as ``normalizeElementOrder`` interleaves them.

Pure: the inputs are never changed. Errors are :class:`StrategicPatchError` with the
HTTP code and message the API server answers with (``interpretStrategicMergePatchError``
in apiserver ``pkg/endpoints/handlers/patch.go``: 400 for a malformed directive, 422 for
lists of lists, 500 for anything else, the Go error text as message).
"""

from __future__ import annotations

import copy
from typing import Any

from .schemas import Node

__all__ = ["StrategicPatchError", "strategic_merge_patch", "go_format"]

_DIRECTIVE = "$patch"
_RETAIN_KEYS = "$retainKeys"
_SET_ORDER = "$setElementOrder"
_DELETE_PRIMITIVE = "$deleteFromPrimitiveList"

# the mergepatch errors the handler maps to a status (mergepatch/errors.go)
_BAD_JSON_DOC = "invalid JSON document"
_NO_LIST_OF_LISTS = "lists of lists are not supported"
_BAD_PRIMITIVE_LIST = "invalid patch format of primitive list"
_BAD_RETAIN_KEYS = "invalid patch format of retainKeys"
_BAD_SET_ORDER = "invalid patch format of setElementOrder list"


class StrategicPatchError(ValueError):
    """A patch the server refuses: ``code`` 400 (BadRequest), 422 (Invalid) or 500 (no reason)."""

    def __init__(self, message: str, code: int = 500) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def _bad_request(message: str) -> StrategicPatchError:
    return StrategicPatchError(message, 400)


# -- Go's view of JSON values ------------------------------------------------------------------


def go_format(value: Any) -> str:
    """``fmt.Sprintf("%v", v)`` of a decoded JSON value, as Go error messages print it."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{go_format(value[k])}" for k in sorted(value)) + "]"
    if isinstance(value, list):
        return "[" + " ".join(go_format(v) for v in value) + "]"
    if isinstance(value, float):
        text = repr(value)
        return text[:-2] if text.endswith(".0") else text
    return str(value)


def _go_type(value: Any) -> str:
    """``reflect.TypeOf`` of a decoded value (ints and floats stay apart, as int64/float64)."""
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, dict):
        return "map[string]interface {}"
    if isinstance(value, list):
        return "[]interface {}"
    if isinstance(value, int):
        return "int64"
    if isinstance(value, float):
        return "float64"
    return "string"


def _go_eq(a: Any, b: Any) -> bool:
    """Go's ``==`` on two ``interface{}`` values: same dynamic type and equal value."""
    return _go_type(a) == _go_type(b) and a == b


def _key(value: Any) -> tuple[str, Any]:
    """A value as a Go map key (``map[interface{}]``): typed, so 1 and 1.0 differ."""
    t = _go_type(value)
    if t.startswith(("map", "[]")):
        raise StrategicPatchError(f"runtime error: hash of unhashable type {t}")
    return t, value


def _bad_arg_type(expected: str, actual: Any) -> StrategicPatchError:
    return StrategicPatchError(
        f"expected a {expected}, but received a {_go_type(actual) if actual is not None else '<nil>'}"
    )


def _no_merge_key(m: Any, key: str) -> StrategicPatchError:
    return StrategicPatchError(f"map: {go_format(m)} does not contain declared merge key: {key}")


# -- the schema as LookupPatchMeta (PatchMetaFromStruct over the Go types) ------------------


def _go_kind(node: Node) -> str:
    if node.type in ("struct", "quantity", "time", "intorstring"):
        return "struct"
    if node.type == "map":
        return "map"
    if node.type in ("list", "bytes"):
        return "slice"
    if node.type == "any":
        if node.go.startswith("map["):
            return "map"
        return "interface" if node.go == "interface {}" else "struct"
    return {"integer": node.format or "int64", "number": "float64", "boolean": "bool"}.get(
        node.type, "string"
    )


def _struct_name(node: Node) -> str:
    return node.struct or node.go.rpartition(".")[2]


class _Meta:
    """Patch metadata of one field: the strategies (``merge``, ``retainKeys``, ``replace``)
    and the merge key."""

    __slots__ = ("strategies", "merge_key")

    def __init__(self, strategies: list[str], merge_key: str) -> None:
        self.strategies = strategies
        self.merge_key = merge_key

    def strategy(self) -> str:
        """The strategy other than ``retainKeys`` (``extractRetainKeysPatchStrategy``)."""
        s = self.strategies
        if len(s) <= 1:
            return "" if not s or s[0] == "retainKeys" else s[0]
        if len(s) == 2 and "retainKeys" in s:
            return s[1] if s[0] == "retainKeys" else s[0]
        raise StrategicPatchError(f"unexpected patch strategy: {go_format(s)}")


_NO_META = _Meta([], "")


def _lookup_struct(schema: Node | None, key: str) -> tuple[Node | None, _Meta]:
    """``LookupPatchMetadataForStruct``: the field's type and patch metadata."""
    if schema is None:  # a kind served without a schema: no strategies anywhere
        return None, _NO_META
    kind = _go_kind(schema)
    if kind != "struct":
        raise StrategicPatchError(
            f"merging an object in json but data type is not struct, instead is: {kind}"
        )
    field = schema.fields.get(key)
    name = key
    if field is None:  # encoding/json's case-insensitive fallback
        for candidate, node in schema.fields.items():
            if candidate.lower() == key.lower():
                field, name = node, candidate
                break
    if field is None:
        raise StrategicPatchError(
            f'unable to find api field in struct {_struct_name(schema)} for the json field "{key}"'
        )
    strategy = schema.field_strategies.get(name) or field.strategy
    return field, _Meta(strategy.split(",") if strategy else [], field.merge_key or "")


def _lookup_slice(schema: Node | None, key: str) -> tuple[Node | None, _Meta]:
    """``LookupPatchMetadataForSlice``: the element type of a list field and its metadata."""
    field, meta = _lookup_struct(schema, key)
    if field is None or schema is None:
        return None, meta
    if field.type == "list":
        assert field.items is not None
        if field.items.type in ("list", "bytes"):
            raise StrategicPatchError("unexpected slice of slice")
        return field.items, meta
    if field.type == "bytes":
        uint8 = Node("integer")
        uint8.format = "uint8"
        return uint8, meta
    raise StrategicPatchError(f"expected slice or array type, but got: {_go_kind(schema)}")


def _name(schema: Node | None) -> str:
    """``LookupPatchMeta.Name()``: the Go kind of the type."""
    return "struct" if schema is None else _go_kind(schema)


# -- the merge ---------------------------------------------------------------------------------


def strategic_merge_patch(
    original: dict[str, Any], patch: dict[str, Any], schema: Node | None
) -> dict[str, Any]:
    """``original`` with ``patch`` applied as the API server applies a strategic merge patch.

    ``schema`` is the kind's root node (:func:`.schemas.schema_for`); ``None`` merges every
    list by replacement (a kind served without a schema).
    """
    if not isinstance(original, dict) or not isinstance(patch, dict):
        raise _bad_request(_BAD_JSON_DOC)
    return _merge_map(copy.deepcopy(original), copy.deepcopy(patch), schema)


def _merge_map(
    original: dict[str, Any] | None, patch: dict[str, Any], schema: Node | None
) -> dict[str, Any]:
    if _DIRECTIVE in patch:
        return _directive_in_map(patch[_DIRECTIVE], patch)
    if original is None:
        original = {}
    _apply_retain_keys(original, patch)
    _merge_set_element_order(original, patch, schema)
    for key, value in list(patch.items()):
        delete_list = key.startswith(_DELETE_PRIMITIVE)
        if delete_list:
            key = _extract_key(key, _DELETE_PRIMITIVE)
        if value is None:
            original.pop(key, None)
            continue
        if key not in original or _go_type(original[key]) != _go_type(value):
            if not delete_list:
                _discard_nulls(value)
                kept, keep = _remove_directives(value)
                if keep:
                    original[key] = kept
                else:
                    original.pop(key, None)
            continue
        current = original[key]
        if isinstance(current, dict):
            sub, meta = _lookup_struct(schema, key)
            original[key] = (
                value if meta.strategy() == "replace" else _merge_map(current, value, sub)
            )
        elif isinstance(current, list):
            sub, meta = _lookup_slice(schema, key)
            original[key] = _merge_slice_handler(current, value, sub, meta, delete_list)
        else:
            kept, keep = _remove_directives(value)
            if keep:
                original[key] = kept
            else:
                del original[key]
    return original


def _directive_in_map(directive: Any, patch: dict[str, Any]) -> dict[str, Any]:
    if directive == "replace":
        return {k: v for k, v in patch.items() if k != _DIRECTIVE}
    if directive == "delete":
        return {}
    raise StrategicPatchError(
        f"unknown patch type: {go_format(directive)} in map: {go_format(patch)}"
    )


def _extract_key(key: str, prefix: str) -> str:
    head, sep, rest = key.partition("/")
    if not sep or head != prefix:
        raise _bad_request(_BAD_PRIMITIVE_LIST if prefix == _DELETE_PRIMITIVE else _BAD_SET_ORDER)
    return rest


def _discard_nulls(value: Any) -> None:
    if isinstance(value, dict):
        for k in [k for k, v in value.items() if v is None]:
            del value[k]
        for v in value.values():
            _discard_nulls(v)
    elif isinstance(value, list):
        for v in value:
            _discard_nulls(v)


def _remove_directives(value: Any) -> tuple[Any, bool]:
    """The value without directive maps; False when the value itself is one (drop it)."""
    if isinstance(value, dict):
        if _DIRECTIVE in value:
            return None, False
        out = {}
        for k, v in value.items():
            kept, keep = _remove_directives(v)
            if keep:
                out[k] = kept
        return out, True
    if isinstance(value, list):
        return [kept for kept, keep in map(_remove_directives, value) if keep], True
    return value, True


def _apply_retain_keys(original: dict[str, Any], patch: dict[str, Any]) -> None:
    """``$retainKeys``: the patch may name only those keys; the others leave the original."""
    if _RETAIN_KEYS not in patch:
        return
    retain = patch.pop(_RETAIN_KEYS)
    if not isinstance(retain, list):
        raise _bad_request(_BAD_RETAIN_KEYS)
    keep = {_key(k) for k in retain}
    for k, v in patch.items():
        if v is None or k.startswith((_DELETE_PRIMITIVE, _SET_ORDER)):
            continue
        if _key(k) not in keep:
            raise _bad_request(_BAD_RETAIN_KEYS)
    for k in [k for k in original if _key(k) not in keep]:
        del original[k]


def _merge_set_element_order(
    original: dict[str, Any], patch: dict[str, Any], schema: Node | None
) -> None:
    """``mergePatchIntoOriginal``: each ``$setElementOrder/<list>`` with its list, merged and ordered."""
    for directive in [k for k in patch if k.startswith(_SET_ORDER)]:
        order = patch.pop(directive)
        if not isinstance(order, list):
            raise _bad_arg_type("[]interface {}", order)
        key = _extract_key(directive, _SET_ORDER)
        found_original, found_patch = key in original, key in patch
        original_list: list[Any] = []
        patch_list: list[Any] = []
        if found_original:
            if not isinstance(original[key], list):
                raise _bad_arg_type("[]interface {}", original[key])
            original_list = original[key]
        if found_patch:
            if not isinstance(patch[key], list):
                raise _bad_arg_type("[]interface {}", patch[key])
            patch_list = patch[key]
        sub, meta = _lookup_slice(schema, key)
        strategy = meta.strategy()
        _check_order(patch_list, order, meta.merge_key)
        if found_original and not found_patch:
            merged = original_list
        elif found_patch and not found_original:
            merged = _remove_directives(patch_list)[0]
        elif found_patch and found_original:
            merged = _merge_slice_handler(
                original_list, patch_list, sub, _Meta([strategy], meta.merge_key), False
            )
        else:
            continue
        if meta.merge_key:
            ordered, server_only = _partition_maps(merged, order, meta.merge_key)
        else:
            ordered, server_only = _partition_scalars(merged, order)
        elem = _element_type(original_list, patch_list)
        original[key] = _normalize_order(
            ordered, server_only, order, original_list, meta.merge_key, elem
        )
        patch.pop(key, None)


def _check_order(patch_list: list[Any], order: list[Any], merge_key: str) -> None:
    """``validatePatchWithSetOrderList``: the patch list's items appear in the order's order."""
    if not order or not patch_list:
        return
    items = _split_deletes(patch_list)[0] if merge_key else patch_list
    i = j = 0
    while i < len(items) and j < len(order):
        if isinstance(items[i], dict) and _DIRECTIVE in items[i]:
            i += 1
            continue
        if _merge_key_equal(items[i], order[j], merge_key):
            i += 1
        j += 1
    if i < len(items) and j >= len(order):
        raise StrategicPatchError(
            f"The order in patch list:\n{go_format(patch_list)}\n doesn't match "
            f"{_SET_ORDER} list:\n{go_format(order)}\n"
        )


def _merge_key_equal(left: Any, right: Any, merge_key: str) -> bool:
    if not merge_key:
        return _go_eq(left, right)
    for m in (left, right):
        if not isinstance(m, dict):
            raise _bad_arg_type("map[string]interface {}", m)
        if merge_key not in m:
            raise _no_merge_key(m, merge_key)
    return _go_eq(left[merge_key], right[merge_key])


def _split_deletes(items: list[Any]) -> tuple[list[Any], list[Any]]:
    """``extractToDeleteItems``: (items to keep, ``$patch: delete`` items)."""
    keep: list[Any] = []
    delete: list[Any] = []
    for v in items:
        if not isinstance(v, dict):
            raise _bad_arg_type("map[string]interface {}", v)
        (delete if v.get(_DIRECTIVE) == "delete" else keep).append(v)
    return keep, delete


def _merge_slice_handler(
    original: Any, patch: Any, schema: Node | None, meta: _Meta, delete_list: bool
) -> list[Any]:
    if not isinstance(original, list):
        raise _bad_arg_type("[]interface {}", original)
    if not isinstance(patch, list):
        raise _bad_arg_type("[]interface {}", patch)
    if meta.strategy() == "merge" or delete_list:
        return _merge_slice(original, patch, schema, meta.merge_key, delete_list)
    return patch


def _element_type(*lists: list[Any]) -> str:
    """``sliceElementType``: the one Go type of every element of the lists."""
    found: str | None = None
    for items in lists:
        for v in items:
            t = _go_type(v)
            if found is None:
                if t == "nil":
                    raise StrategicPatchError(
                        "runtime error: invalid memory address or nil pointer dereference"
                    )
                if t.startswith("[]"):
                    raise StrategicPatchError(_NO_LIST_OF_LISTS, 422)
                found = t
            elif t != found:
                raise StrategicPatchError(
                    f"list element types are not identical: {go_format(list(lists))}"
                )
    if found is None:
        raise StrategicPatchError("no elements in any of the given slices")
    return found


def _merge_slice(
    original: list[Any], patch: list[Any], schema: Node | None, merge_key: str, delete_list: bool
) -> list[Any]:
    if not original and not patch:
        return original
    elem = _element_type(original, patch)
    if not elem.startswith("map"):
        if delete_list:
            gone = {_key(v) for v in patch}
            return [v for v in original if _key(v) not in gone]
        merged = _dedupe(original + patch)
    else:
        if not merge_key:
            raise StrategicPatchError(f"cannot merge lists without merge key for {_name(schema)}")
        original, patch = _special_elements(original, patch, merge_key)
        merged = list(original)
        for item in patch:
            if merge_key not in item:
                raise _no_merge_key(item, merge_key)
            at = _find(merged, merge_key, item[merge_key])
            if at is None:
                merged.append(item)
            else:
                merged[at] = _merge_map(merged[at], item, schema)
        original = merged[: len(original)]
    if merge_key:
        in_patch, server_only = _partition_maps(merged, patch, merge_key)
    else:
        in_patch, server_only = _partition_scalars(merged, patch)
    return _normalize_order(in_patch, server_only, patch, original, merge_key, elem)


def _dedupe(items: list[Any]) -> list[Any]:
    """``deduplicateScalars``: each duplicate's place taken by the last item (Go's order)."""
    s = list(items)
    length = len(s) - 1
    i = 0
    while i < length:
        j = i + 1
        while j <= length:
            if _go_eq(s[i], s[j]):
                s[j] = s[length]
                s = s[:length]
                length -= 1
                j -= 1
            j += 1
        i += 1
    return s


def _special_elements(
    original: list[Any], patch: list[Any], merge_key: str
) -> tuple[list[Any], list[Any]]:
    """``mergeSliceWithSpecialElements``: apply ``$patch: delete`` items; ``$patch: replace``
    makes the patch's other items the list."""
    plain: list[Any] = []
    replace = False
    for item in patch:
        if _DIRECTIVE not in item:
            plain.append(item)
            continue
        directive = item[_DIRECTIVE]
        if directive == "delete":
            if merge_key not in item:
                raise _no_merge_key(item, merge_key)
            original = [
                o
                for o in original
                if not (merge_key in o and _go_eq(o[merge_key], item[merge_key]))
            ]
        elif directive == "replace":
            replace = True
        elif directive == "merge":
            raise StrategicPatchError("merging lists cannot yet be specified in the patch")
        else:
            raise StrategicPatchError(
                f"unknown patch type: {go_format(directive)} in map: {go_format(item)}"
            )
    if replace:
        return plain, []
    return original, plain


def _find(items: list[Any], merge_key: str, value: Any) -> int | None:
    """``findMapInSliceBasedOnKeyValue``."""
    for i, v in enumerate(items):
        if not isinstance(v, dict):
            raise StrategicPatchError(f"value for key {i} is not a map")
        if merge_key in v and _go_eq(v[merge_key], value):
            return i
    return None


def _partition_scalars(items: list[Any], by: list[Any]) -> tuple[list[Any], list[Any]]:
    wanted = {_key(v) for v in by}
    inside = [v for v in items if _key(v) in wanted]
    outside = [v for v in items if _key(v) not in wanted]
    return inside, outside


def _partition_maps(items: list[Any], by: list[Any], merge_key: str) -> tuple[list[Any], list[Any]]:
    inside: list[Any] = []
    outside: list[Any] = []
    for v in items:
        if not isinstance(v, dict):
            raise _bad_arg_type("map[string]interface {}", v)
        if merge_key not in v:
            raise _no_merge_key(v, merge_key)
        (inside if _find(by, merge_key, v[merge_key]) is not None else outside).append(v)
    return inside, outside


def _index(items: list[Any], value: Any, merge_key: str, elem: str) -> int:
    def val(item: Any) -> Any:
        if elem.startswith("map"):
            return item.get(merge_key) if isinstance(item, dict) else None
        return item

    want = val(value)
    for i, v in enumerate(items):
        if _go_eq(want, val(v)):
            return i
    return -1


def _sort_by(items: list[Any], order: list[Any], merge_key: str, elem: str) -> list[Any]:
    """``normalizeSliceOrder``: ``items`` stably sorted by their place in ``order``."""
    deletes: list[Any] = []
    if elem.startswith("map"):
        for m in (*items, *order):
            if not isinstance(m, dict):
                raise _bad_arg_type("map[string]interface {}", m)
            if merge_key not in m:
                raise _no_merge_key(m, merge_key)
        items, deletes = _split_deletes(items)
    # every item is found in ``order`` here (each comes from it), so the index is a total order
    return sorted(items, key=lambda v: _index(order, v, merge_key, elem)) + deletes


def _normalize_order(
    in_patch: list[Any],
    server_only: list[Any],
    patch_order: list[Any],
    server_order: list[Any],
    merge_key: str,
    elem: str,
) -> list[Any]:
    """``normalizeElementOrder``: the patch's items in the patch's order, the server-only ones in
    the live order, interleaved by their live places (``mergeSortedSlice``)."""
    right = _sort_by(in_patch, patch_order, merge_key, elem)
    left = _sort_by(server_only, server_order, merge_key, elem)
    out: list[Any] = []
    i = j = 0
    while i < len(left) or j < len(right):
        if i >= len(left):
            out.append(right[j])
            j += 1
        elif j >= len(right):
            out.append(left[i])
            i += 1
        else:
            li = _index(server_order, left[i], merge_key, elem)
            ri = _index(server_order, right[j], merge_key, elem)
            if li >= 0 and ri >= 0 and li < ri:
                out.append(left[i])
                i += 1
            else:
                out.append(right[j])
                j += 1
    return out
