"""Field selectors (the ``fieldSelector`` query parameter), per kind as the apiserver serves them.

The grammar is apimachinery's ``fields.ParseSelector``: terms joined by ``,``, each
``field=value``, ``field==value`` or ``field!=value``, with ``\\,`` ``\\=`` ``\\\\``
escapes in values. Which fields a kind may select on is its field-label conversion
function; an unknown field is refused in that function's words:

* core/v1 kinds with their own function (pkg/apis/core/v1/conversion.go: Pod, Node,
  ReplicationController, Event, Namespace, Secret, Service), apps/v1 ReplicaSet,
  batch/v1 Job: ``field label not supported: <field>``;
* every other built-in kind (``runtime.DefaultMetaV1FieldSelectorConversion``):
  ``"<field>" is not a known field selector: only "metadata.name", "metadata.namespace"``;
* custom resources (apiextensions' converter): ``metadata.name``, and
  ``metadata.namespace`` when namespaced; else ``field label not supported: <field>``.

The list and watch handlers answer either refusal as a 400 ``BadRequest``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .models import ApiError, KindInfo

__all__ = ["FieldMatcher", "field_matcher", "selectable_fields"]

Obj = dict[str, Any]
FieldMatcher = Callable[[Obj], bool]

_META = ("metadata.name", "metadata.namespace")

#: (apiVersion, kind) → the fields its conversion function accepts
_SUPPORTED: dict[tuple[str, str], tuple[str, ...]] = {
    ("v1", "Pod"): (
        *_META,
        "spec.nodeName",
        "spec.restartPolicy",
        "spec.schedulerName",
        "spec.serviceAccountName",
        "spec.hostNetwork",
        "status.phase",
        "status.podIP",
        "status.podIPs",
        "status.nominatedNodeName",
        "spec.host",  # old clients: converted to spec.nodeName
    ),
    ("v1", "Node"): ("metadata.name", "spec.unschedulable"),
    ("v1", "ReplicationController"): (*_META, "status.replicas"),
    ("v1", "Event"): (
        "involvedObject.kind",
        "involvedObject.namespace",
        "involvedObject.name",
        "involvedObject.uid",
        "involvedObject.apiVersion",
        "involvedObject.resourceVersion",
        "involvedObject.fieldPath",
        "reason",
        "reportingComponent",
        "source",
        "type",
        *_META,
    ),
    ("v1", "Namespace"): ("status.phase", "metadata.name"),
    ("v1", "Secret"): ("type", *_META),
    ("v1", "Service"): (*_META, "spec.clusterIP", "spec.type"),
    ("apps/v1", "ReplicaSet"): (*_META, "status.replicas"),
    ("batch/v1", "Job"): (*_META, "status.successful"),
}


def _dig(obj: Obj, path: str) -> Any:
    cur: Any = obj
    for part in path.split("."):
        if not isinstance(cur, dict):
            return None
        cur = cur.get(part)
    return cur


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _value(info: KindInfo, obj: Obj, field: str) -> str:
    """The field's value as the kind's ``GetAttrs`` / ``SelectableFields`` set it."""
    gvk = (info.api_version, info.kind)
    if field == "metadata.namespace":
        return _text(_dig(obj, field)) if info.namespaced else ""
    if gvk == ("v1", "Secret") and field == "type":
        return _text(obj.get("type") or "Opaque")
    if gvk == ("v1", "Pod"):
        if field == "spec.host":
            field = "spec.nodeName"
        if field == "spec.hostNetwork":
            return _text(bool(_dig(obj, field)))
        if field == "status.podIPs":
            # accepted by the conversion function; the fake compares it with the primary IP
            # (status.podIP), not with the list
            return _text(_dig(obj, "status.podIP"))
    if gvk == ("v1", "Node") and field == "spec.unschedulable":
        return _text(bool(_dig(obj, field)))
    if gvk == ("v1", "Event") and field == "source":
        return _text(_dig(obj, "source.component"))
    if gvk in (("v1", "ReplicationController"), ("apps/v1", "ReplicaSet")) and field == "status.replicas":
        return _text(_dig(obj, field) or 0)
    if gvk == ("batch/v1", "Job") and field == "status.successful":
        return _text(_dig(obj, field) or 0)
    return _text(_dig(obj, field))


def selectable_fields(info: KindInfo) -> tuple[str, ...]:
    if not info.builtin:
        return _META if info.namespaced else ("metadata.name",)
    return _SUPPORTED.get((info.api_version, info.kind), _META)


def _refuse(info: KindInfo, field: str) -> ApiError:
    if info.builtin and (info.api_version, info.kind) not in _SUPPORTED:
        return ApiError.bad_request(
            f'"{field}" is not a known field selector: only "metadata.name", "metadata.namespace"'
        )
    return ApiError.bad_request(f"field label not supported: {field}")


def _split_terms(text: str) -> list[str]:
    terms, cur, escaped = [], "", False
    for ch in text:
        if escaped:
            cur += "\\" + ch
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == ",":
            terms.append(cur)
            cur = ""
        else:
            cur += ch
    if escaped:
        cur += "\\"
    terms.append(cur)
    return terms


def _split_term(term: str) -> tuple[str, str, str] | None:
    """``field``, operator, raw value: the first operator left to right (``!=``, ``==``, ``=``)."""
    i = 0
    while i < len(term):
        if term[i] == "\\":
            i += 2
            continue
        for op in ("!=", "==", "="):
            if term.startswith(op, i):
                return term[:i], op, term[i + len(op) :]
        i += 1
    return None


def _unescape(text: str, selector: str) -> str:
    out, i = "", 0
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            nxt = text[i + 1 : i + 2]
            if nxt not in ("\\", ",", "="):
                raise ApiError.bad_request(
                    f"invalid field selector: invalid escape sequence: \\{nxt}"
                )
            out += nxt
            i += 2
        else:
            out += ch
            i += 1
    return out


def field_matcher(info: KindInfo, selector: str | None, *, name: str | None = None) -> FieldMatcher:
    """A predicate over objects of ``info``; ``ApiError`` 400 for a selector that does not
    parse or selects on a field the kind does not support. ``name`` adds
    ``metadata.name=<name>`` (a watch of one object)."""
    requirements: list[tuple[str, bool, str]] = []
    text = (selector or "").strip()
    if text:
        for term in _split_terms(text):
            parts = _split_term(term)
            if parts is None:
                raise ApiError.bad_request(f"invalid selector: '{text}'; can't understand '{term}'")
            field, op, value = parts
            field = field.strip()
            if field not in selectable_fields(info):
                raise _refuse(info, field)
            requirements.append((field, op == "!=", _unescape(value, text)))
    if name is not None:
        requirements.append(("metadata.name", False, name))
    if not requirements:
        return lambda obj: True

    def matches(obj: Obj) -> bool:
        for field, negate, value in requirements:
            if (_value(info, obj, field) == value) == negate:
                return False
        return True

    return matches
