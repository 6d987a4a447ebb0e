"""CEL ``x-kubernetes-validations`` rules of custom resources, evaluated as the apiserver does.

What ``apiextensions-apiserver/pkg/apiserver/schema/cel/validation.go`` (``Validator.validate``,
``validateExpressions``) runs after the OpenAPI validation of a custom resource, when that left
no blocking error (``registry/customresource/strategy.go``, ``hasBlockingErr``):

* every rule of a schema node is evaluated with ``self`` bound to the value at the node (a
  ``null`` value is not validated); at a resource root ``self.metadata`` holds only ``name`` and
  ``generateName`` (``model.WithTypeAndObjectMeta``);
* a rule using ``oldSelf`` (a transition rule) is evaluated only on an update whose old object
  has a value at the same place (``optionalOldSelf`` rules aside, which the fake does not know);
  object properties and map values correlate by key, list items only in ``map`` lists;
* a false rule is ``field.Invalid(<path>, <schema type>, <message>)`` (``Forbidden``,
  ``Required`` or ``Duplicate`` with ``reason``), the message ``messageExpression``'s string
  when it evaluates to a usable one, else ``message``, else ``failed rule: <rule>``; the path
  the node's, with ``fieldPath`` appended; the root's path is Go's nil ``*field.Path``
  (``<nil>``);
* an evaluation error is ``field.Invalid(<path>, <type>, "<error> evaluating rule: <rule or
  message>")``;
* ratcheting (``CRDValidationRatcheting``): the error of a rule without ``oldSelf`` on a value
  the update left unchanged is a warning, not an error. The fake drops it (no ``Warning``
  header).

The Kubernetes CEL environment's extensions the shipped CRDs use are implemented here as
``k8s.io/apiserver/pkg/cel/library`` defines them: ``isIP`` (``ip.go``: ``netip.ParseAddr``,
no zone, no IPv4-mapped IPv6), ``lowerAscii`` and ``split`` (cel-go ``ext/strings.go``),
``format.dns1123Subdomain().validate(s)`` with ``hasValue`` (``format.go``: an optional list of
``IsDNS1123Subdomain``'s messages); regular expressions are RE2 (``google-re2``, through
``cel-python``). Not done: the cost budget, ``optionalOldSelf``, list-type ``set``/``map``
equality semantics in CEL, and the exact cel-go text of evaluation errors other than list index
and map key errors.

Each rule is compiled once per process, on the first write that reaches its node; kinds whose
schema holds no rule pay one dictionary look-up per write. cel-python interprets its parse
tree (0.1-0.6 ms a rule), so two exact cuts: a subtree an update left unchanged and without
transition rules is not walked (its errors would be ratcheting warnings), and a rule's outcome
is remembered per JSON value it saw (a rule is a pure function of ``self``/``oldSelf``).
``test_celrules`` compares both against the full walk on seeded inputs.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from . import fielderrors as fe
from .decoding import same
from .fielderrors import FieldError
from .schemas import Node
from .validation import dns1123_subdomain

__all__ = ["has_rules", "validate", "compile_rule", "evaluate", "unsupported_functions", "FUNCTIONS"]

#: cel-python, imported on the first rule compiled (its import and parser cost ~0.2 s, which a
#: process that never writes a kind with rules does not pay)
celpy: Any = None
ct: Any = None
json_to_cel: Any = None


class CELEvalError(Exception):
    """Replaced by cel-python's ``CELEvalError`` when it is loaded."""


def _load() -> None:
    global celpy, ct, json_to_cel, CELEvalError
    if celpy is not None:
        return
    import celpy as _celpy
    import celpy.adapter
    import celpy.celtypes
    import celpy.evaluation

    ct = _celpy.celtypes
    json_to_cel = _celpy.adapter.json_to_cel
    CELEvalError = _celpy.evaluation.CELEvalError  # type: ignore[misc,assignment]
    celpy = _celpy

Obj = dict[str, Any]

#: the error strategy.go adds instead of evaluating the rules when a blocking error exists
BLOCKED = fe.invalid(
    "<nil>",
    None,
    "some validation rules were not checked because the object was invalid; "
    "correct the existing errors to complete validation",
)
_BLOCKING = frozenset(
    {
        "FieldValueNotSupported",
        "FieldValueRequired",
        "FieldValueTooLong",
        "FieldValueTooMany",
        "FieldValueTypeInvalid",
    }
)


def blocking(errors: list[FieldError]) -> bool:
    """``hasBlockingErr``: a type, required, enum or size error stops the CEL rules."""
    return any(e.type in _BLOCKING for e in errors)


# --- the Kubernetes library functions ------------------------------------------------------


class _Format:
    """The ``format`` variable of ``library/format.go``."""


class _Validator:
    def __init__(self, name: str) -> None:
        self.name = name


class _Optional:
    def __init__(self, value: Any) -> None:
        self.value = value


_FORMAT = _Format()


def _dns1123_subdomain_format(_f: Any) -> _Validator:
    return _Validator("dns1123Subdomain")


def _format_validate(v: Any, s: Any) -> Any:
    if not isinstance(v, _Validator) or not isinstance(s, str):
        return CELEvalError("no such overload")
    errs = dns1123_subdomain(str(s))
    return _Optional(ct.ListType([ct.StringType(e) for e in errs]) if errs else None)


def _has_value(o: Any) -> Any:
    if not isinstance(o, _Optional):
        return CELEvalError("no such overload")
    return ct.BoolType(o.value is not None)


def _is_ip(s: Any) -> Any:
    """``library/ip.go`` ``isIP``: ``netip.ParseAddr`` succeeds, without a zone, not 4-in-6."""
    if not isinstance(s, str):
        return CELEvalError("no such overload")
    text = str(s)
    if "%" in text:
        return ct.BoolType(False)
    try:
        addr = ipaddress.ip_address(text)
    except ValueError:
        return ct.BoolType(False)
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return ct.BoolType(False)
    return ct.BoolType(True)


def _lower_ascii(s: Any) -> Any:
    """cel-go ``ext/strings.go`` ``lowerAscii``: only ASCII letters change."""
    if not isinstance(s, str):
        return CELEvalError("no such overload")
    return ct.StringType("".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in str(s)))


def _split(s: Any, sep: Any, n: Any = None) -> Any:
    """cel-go ``ext/strings.go`` ``split``: Go's ``strings.Split`` / ``SplitN``."""
    if not isinstance(s, str) or not isinstance(sep, str):
        return CELEvalError("no such overload")
    text, by = str(s), str(sep)
    limit = -1 if n is None else int(n)
    if limit == 0:
        return ct.ListType([])
    if by == "":
        parts = list(text)
        if limit > 0 and len(parts) > limit:
            parts = parts[: limit - 1] + ["".join(parts[limit - 1 :])]
    else:
        parts = text.split(by) if limit < 0 else text.split(by, limit - 1)
    return ct.ListType([ct.StringType(p) for p in parts])


def _index(container: Any, key: Any) -> Any:
    """``_[_]`` with cel-go's error texts (``common/types/list.go``, ``map.go``)."""
    if isinstance(container, CELEvalError):
        return container
    if isinstance(key, CELEvalError):
        return key
    if isinstance(container, ct.ListType):
        if not isinstance(key, int) or isinstance(key, bool):
            return CELEvalError(f"unsupported index type '{type(key).__name__}' in list")
        i = int(key)
        if i < 0 or i >= len(container):
            return CELEvalError(f"index '{i}' out of range in list size '{len(container)}'")
        return container[i]
    if isinstance(container, ct.MapType):
        try:
            return container[key]
        except KeyError:
            return CELEvalError(f"no such key: {key}")
    return CELEvalError("no such overload")


FUNCTIONS: dict[str, Any] = {
    "dns1123Subdomain": _dns1123_subdomain_format,
    "validate": _format_validate,
    "hasValue": _has_value,
    "isIP": _is_ip,
    "lowerAscii": _lower_ascii,
    "split": _split,
    "_[_]": _index,
}

#: CEL macros (expanded by the parser, not functions)
_MACROS = frozenset({"has", "all", "exists", "exists_one", "map", "filter"})


# --- compilation ---------------------------------------------------------------------------

_ENV: Any = None


def _env() -> Any:
    global _ENV
    if _ENV is None:
        _load()
        _ENV = celpy.Environment()
    return _ENV


@dataclass
class Rule:
    source: Obj
    program: Any
    message_program: Any
    uses_old_self: bool
    field_path: str

    @property
    def rule_error(self) -> str:
        """``ruleErrorString``."""
        msg = (self.source.get("message") or "").strip()
        return msg or (self.source.get("rule") or "").strip()

    @property
    def default_message(self) -> str:
        """``ruleMessageOrDefault``."""
        msg = (self.source.get("message") or "").strip()
        return msg or f"failed rule: {(self.source.get('rule') or '').strip()}"


def _idents(tree: Any) -> Iterator[str]:
    for t in tree.iter_subtrees():
        if t.data == "ident":
            yield str(t.children[0])


def _calls(tree: Any) -> Iterator[str]:
    for t in tree.iter_subtrees():
        if t.data == "member_dot_arg":
            yield str(t.children[1])
        elif t.data == "ident_arg":
            yield str(t.children[0])


def compile_rule(rule: Obj) -> Rule:
    """A rule compiled (``CELEvalError``/``lark`` errors for a rule CEL cannot parse)."""
    env = _env()
    ast = env.compile(rule.get("rule") or "true")
    program = env.program(ast, functions=FUNCTIONS)
    message_program = None
    if rule.get("messageExpression"):
        message_program = env.program(env.compile(rule["messageExpression"]), functions=FUNCTIONS)
    return Rule(
        source=rule,
        program=program,
        message_program=message_program,
        uses_old_self="oldSelf" in set(_idents(ast)),
        field_path=_normalize_field_path(rule.get("fieldPath") or ""),
    )


def evaluate(source: str, value: Any, old: Any = None) -> Any:
    """``source`` evaluated with ``self`` = ``value`` (and ``oldSelf`` = ``old``): the CEL value."""
    rule = compile_rule({"rule": source})
    act = {"self": json_to_cel(value), "format": _FORMAT}
    if old is not None:
        act["oldSelf"] = json_to_cel(old)
    return rule.program.evaluate(act)


def unsupported_functions(source: str) -> set[str]:
    """The functions ``source`` calls that neither cel-python nor :data:`FUNCTIONS` has."""
    ast = _env().compile(source)
    known = set(celpy.evaluation.base_functions) | set(FUNCTIONS) | _MACROS
    return {name for name in _calls(ast) if name not in known}


def _normalize_field_path(path: str) -> str:
    """``fieldPath`` (``.a.b``, ``['a'].b``) as the dotted child the error path gets."""
    out: list[str] = []
    i = 0
    while i < len(path):
        c = path[i]
        if c == ".":
            j = i + 1
            while j < len(path) and path[j] not in ".[":
                j += 1
            out.append(path[i + 1 : j])
            i = j
        elif c == "[" and path[i + 1 : i + 2] == "'":
            j = path.index("']", i + 2)
            out.append(path[i + 2 : j].replace("\\'", "'"))
            i = j + 2
        else:
            i += 1
    return ".".join(out)


#: per schema node (by identity, the node kept alive here): its compiled rules
_COMPILED: dict[int, tuple[Node, list[Rule | str]]] = {}
#: per schema node: whether it or a node below it holds a rule
_HAS: dict[int, tuple[Node, bool]] = {}


def _compile_or_error(rule: Obj) -> Rule | str:
    """The compiled rule, or the ``rule compile error: …`` detail of a rule cel-python cannot
    parse (the apiserver refuses such a CRD; the fake does not check CRD rules)."""
    try:
        return compile_rule(rule)
    except Exception as e:  # noqa: BLE001 - lark's and celpy's parse errors
        return f"rule compile error: {e}"


def _rules(node: Node) -> list[Rule | str]:
    hit = _COMPILED.get(id(node))
    if hit is None:
        hit = (node, [_compile_or_error(r) for r in node.validations if isinstance(r, dict)])
        _COMPILED[id(node)] = hit
    return hit[1]


def _children(node: Node) -> Iterator[Node]:
    yield from node.fields.values()
    if node.values is not None:
        yield node.values
    if node.items is not None:
        yield node.items
    yield from node.all_of


#: per schema node: whether it or a node below it may hold a transition rule (``oldSelf`` in
#: its text: a string literal naming it only makes the answer conservative)
_OLD: dict[int, tuple[Node, bool]] = {}


def _has_transition(node: Node) -> bool:
    hit = _OLD.get(id(node))
    if hit is not None:
        return hit[1]
    _OLD[id(node)] = (node, False)
    found = any("oldSelf" in str(r.get("rule") or "") for r in node.validations if isinstance(r, dict))
    found = found or any(_has_transition(c) for c in _children(node))
    _OLD[id(node)] = (node, found)
    return found


def has_rules(node: Node) -> bool:
    """Whether ``node`` or a node below it holds an ``x-kubernetes-validations`` rule."""
    hit = _HAS.get(id(node))
    if hit is not None:
        return hit[1]
    _HAS[id(node)] = (node, False)  # a recursive schema: no rule through the cycle
    found = bool(node.crd and node.validations) or any(has_rules(c) for c in _children(node))
    _HAS[id(node)] = (node, found)
    return found


# --- evaluation ----------------------------------------------------------------------------

_TYPE_NAMES = {
    "struct": "object",
    "map": "object",
    "list": "array",
    "string": "string",
    "integer": "integer",
    "number": "number",
    "boolean": "boolean",
}

#: skip a subtree an update left unchanged and without transition rules (False: walk it, for
#: the test that compares both)
SKIP_UNCHANGED = True

#: no old value at this place (a create, or a value the old object lacks)
_NONE: Any = object()


def _root_view(obj: Obj) -> Obj:
    """``model.WithTypeAndObjectMeta``: at a resource root ``metadata`` has name and generateName."""
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        return obj
    view = dict(obj)
    view["metadata"] = {k: meta[k] for k in ("name", "generateName") if k in meta}
    return view


def validate(root: Node, obj: Obj, old: Obj | None = None) -> list[FieldError]:
    """The CEL rule errors of a custom resource (``old``: the stored object of an update)."""
    errs: list[FieldError] = []
    if has_rules(root):
        _walk(root, obj, _NONE if old is None else old, "", errs, True, False)
    return errs


def _child(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _walk(
    node: Node,
    value: Any,
    old: Any,
    path: str,
    errs: list[FieldError],
    root: bool,
    ratchet: bool,
) -> None:
    if value is None or not has_rules(node):
        return
    if old is not _NONE:
        ratchet = same(value, old)
    if ratchet and SKIP_UNCHANGED and not _has_transition(node):
        return  # unchanged, no transition rule below: every error would be a ratcheting warning
    if node.crd and node.validations:
        _expressions(node, value, old, path, errs, root, ratchet)
    for sub in node.all_of:
        _walk(sub, value, old, path, errs, root, ratchet)
    if isinstance(value, dict):
        correlate = isinstance(old, dict) and node.map_type != "atomic"
        if node.values is not None:
            for k, v in value.items():
                o = old.get(k, _NONE) if correlate else _NONE
                _walk(node.values, v, o, f"{path}[{k}]", errs, False, ratchet)
        for k, v in value.items():
            if root and k in ("apiVersion", "kind", "metadata"):
                continue
            f = node.fields.get(k)
            if f is not None:
                o = old.get(k, _NONE) if correlate else _NONE
                _walk(f, v, o, _child(path, k), errs, False, ratchet)
    elif isinstance(value, list) and node.items is not None:
        olds: dict[str, Any] = {}
        if node.list_type == "map" and isinstance(old, list):
            for o in old:
                if isinstance(o, dict):
                    olds[json.dumps([o.get(k) for k in node.map_keys])] = o
        for i, v in enumerate(value):
            o = _NONE
            if olds and isinstance(v, dict):
                o = olds.get(json.dumps([v.get(k) for k in node.map_keys]), _NONE)
            _walk(node.items, v, o, f"{path}[{i}]", errs, False, ratchet)


def _error_text(e: Any) -> str:
    if isinstance(e, CELEvalError) and e.args:
        return str(e.args[0])
    return str(e)


#: a rule's outcome per value it saw: a rule is a pure function of ``self`` (and ``oldSelf``),
#: so the same JSON (same key order) gives the same outcome; emptied past _MEMO_MAX entries or
#: _MEMO_MAX_BYTES of keys (a rule at a resource root is keyed by the whole object's JSON)
MEMO = True
_MEMO: dict[tuple[int, str, str | None], tuple[str, str] | None] = {}
_MEMO_MAX = 20_000
_MEMO_MAX_BYTES = 16 * 2**20
_memo_bytes = 0


def _remember(key: tuple[int, str, str | None], outcome: tuple[str, str] | None) -> None:
    """Keeps a rule's outcome in :data:`_MEMO` within its bounds (a key over the byte bound is
    not kept; a full memo starts again)."""
    global _memo_bytes
    size = len(key[1]) + len(key[2] or "")
    if size > _MEMO_MAX_BYTES:
        return
    if len(_MEMO) >= _MEMO_MAX or _memo_bytes + size > _MEMO_MAX_BYTES:
        _MEMO.clear()
        _memo_bytes = 0
    _MEMO[key] = outcome
    _memo_bytes += size


def _key(value: Any) -> str | None:
    try:
        return json.dumps(value, separators=(",", ":"))
    except (TypeError, ValueError):
        return None


def _outcome(rule: Rule, act: dict[str, Any]) -> tuple[str, str] | None:
    """None when the rule holds; ``("error", text)`` when it cannot be evaluated;
    ``("false", detail)`` when it is false."""
    try:
        result = rule.program.evaluate(act)
    except (CELEvalError, TypeError, ValueError, KeyError, IndexError) as e:
        result = e
    if isinstance(result, Exception):
        return "error", f"{_error_text(result)} evaluating rule: {rule.rule_error}"
    if isinstance(result, ct.BoolType) and bool(result):
        return None
    return "false", _message(rule, act) or rule.default_message


def _expressions(node: Node, value: Any, old: Any, path: str, errs: list[FieldError], root: bool, ratchet: bool) -> None:
    """``validateExpressions`` at one node."""
    rules = _rules(node)
    type_name = _TYPE_NAMES.get(node.type, "")
    field = path or "<nil>"
    view = _root_view(value) if root or node.embedded else value
    old_view = old if old is _NONE or not (root or node.embedded) else _root_view(old)
    activation: dict[str, Any] | None = None
    vkey: str | None = None
    okey: str | None = None
    for rule in rules:
        if isinstance(rule, str):
            errs.append(fe.invalid(field, type_name, rule))
            continue
        if rule.uses_old_self and old is _NONE:
            continue  # a transition rule: only with a comparable old value
        if ratchet and not rule.uses_old_self:
            continue  # its error would be a ratcheting warning only
        memo_key = None
        if MEMO:
            if vkey is None:
                vkey = _key(view)
            if rule.uses_old_self and okey is None:
                okey = _key(old_view)
            if vkey is not None and (okey is not None or not rule.uses_old_self):
                memo_key = (id(rule), vkey, okey if rule.uses_old_self else None)
        if memo_key is not None and memo_key in _MEMO:
            outcome = _MEMO[memo_key]
        else:
            if activation is None:
                activation = {"self": json_to_cel(view), "format": _FORMAT}
            act = activation
            if rule.uses_old_self:
                act = dict(activation)
                act["oldSelf"] = json_to_cel(old_view)
            outcome = _outcome(rule, act)
            if memo_key is not None:
                _remember(memo_key, outcome)
        if outcome is None:
            continue
        kind, detail = outcome
        if kind == "error":
            errs.append(fe.invalid(field, type_name, detail))
            continue
        where = _child(path, rule.field_path) if rule.field_path else field
        reason = rule.source.get("reason")
        if reason == "FieldValueForbidden":
            errs.append(fe.forbidden(where, detail))
        elif reason == "FieldValueRequired":
            errs.append(fe.required(where, detail))
        elif reason == "FieldValueDuplicate":
            errs.append(fe.duplicate(where, type_name))
        else:
            errs.append(fe.invalid(where, type_name, detail))


def _message(rule: Rule, activation: dict[str, Any]) -> str | None:
    """``evalMessageExpression``: a usable string, or None (the rule's message is used)."""
    if rule.message_program is None:
        return None
    try:
        text = rule.message_program.evaluate(activation)
    except Exception:  # noqa: BLE001 - klog'd and ignored by the apiserver
        return None
    if not isinstance(text, str):
        return None
    trimmed = str(text).strip()
    if not trimmed or "\n" in trimmed or len(trimmed) > 5 * 1024:
        return None
    return trimmed
