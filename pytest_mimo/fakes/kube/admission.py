"""What a write goes through before it is stored, in the API server's order.

1. **decode** (:func:`decode`): the body against the kind's schema — a built-in body
   that does not decode → 400 ``<Kind> in version "<v>" cannot be handled as a <Kind>:
   <decoder error>``; unknown fields per ``fieldValidation`` (``Ignore`` drops them,
   ``Warn`` — the default — drops them and answers a ``Warning: 299 - "unknown field
   \\"spec.replica\\""`` header, ``Strict`` → 400 ``… strict decoding error: unknown field
   "spec.replica"``); custom resources are pruned and get their schema defaults;
   built-in kinds get their defaulters (:mod:`.defaulting`).
2. **validate** (:func:`validate`): object metadata and the kind's rules
   (:mod:`.validation`), the CRD schema for custom resources (:mod:`.structural`, with
   ratcheting on update: an error on a value the update did not change is not reported,
   as ``CRDValidationRatcheting``, on by default since 1.30, does) → 422 ``Invalid``.

The HTTP layer passes :class:`WriteOptions` from the query; the Python side
(``FakeKube.add``) uses ``Strict`` so a scenario's typo fails loudly, and
``validate=False`` skips both steps for deliberately broken worlds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from . import defaulting, structural, validation
from .decoding import DecodeError, decode_value
from .fielderrors import FieldError, invalid_error, not_supported
from .models import ApiError, KindInfo
from .schemas import schema_for

__all__ = ["WriteOptions", "decode", "validate", "check_options", "warning_header"]

Obj = dict[str, Any]

FIELD_VALIDATIONS = ("", "Ignore", "Strict", "Warn")


@dataclass
class WriteOptions:
    """The options of one write (``fieldValidation``, ``fieldManager``, ``force``) and its warnings."""

    field_validation: str = "Warn"
    warnings: list[str] = field(default_factory=list)
    validate: bool = True
    field_manager: str | None = None
    force: bool = False


def check_options(options_kind: str, field_validation: str | None) -> str:
    """``ValidateCreateOptions`` / ``…UpdateOptions`` / ``…PatchOptions`` on ``fieldValidation``:
    422 on ``<Kind>Options.meta.k8s.io ""``; returns the directive (empty means ``Warn``)."""
    value = field_validation or ""
    if value not in FIELD_VALIDATIONS:
        err = not_supported("fieldValidation", value, list(FIELD_VALIDATIONS))
        raise ApiError(
            422,
            "Invalid",
            f'{options_kind}.meta.k8s.io "" is invalid: {err}',
            {
                "group": "meta.k8s.io",
                "kind": options_kind,
                "causes": [{"reason": err.type, "message": err.body(), "field": err.field}],
            },
        )
    return value or "Warn"


def _cannot_handle(info: KindInfo, detail: str) -> ApiError:
    """``transformDecodeError``: 400 BadRequest naming the kind and version."""
    return ApiError.bad_request(
        f'{info.kind} in version "{info.version}" cannot be handled as a {info.kind}: {detail}'
    )


def decode(info: KindInfo, obj: Obj, options: WriteOptions) -> None:
    """Decode, prune and default ``obj`` in place (see the module docstring)."""
    if not options.validate:
        return
    node = schema_for(info.api_version, info.kind)
    if node is None:
        return
    try:
        _, unknown = decode_value(node, obj)
    except DecodeError as e:
        raise _cannot_handle(info, str(e)) from None
    if unknown:
        messages = [f'unknown field "{p}"' for p in unknown]
        if options.field_validation == "Strict":
            raise _cannot_handle(info, "strict decoding error: " + ", ".join(messages))
        if options.field_validation == "Warn":
            options.warnings.extend(messages)
    if not node.crd:
        defaulting.default(info.api_version, info.kind, obj)


_PATH_TOKEN = re.compile(r"([^.\[\]]+)|\[([^\]]*)\]")


def _at(obj: Any, path: str) -> tuple[bool, Any]:
    """The value at a ``field.Path`` string (``spec.items[0].name``, ``data[key]``)."""
    cur = obj
    for name, index in _PATH_TOKEN.findall(path):
        key = name or index
        if isinstance(cur, dict) and key in cur:
            cur = cur[key]
        elif isinstance(cur, list) and key.isdigit() and int(key) < len(cur):
            cur = cur[int(key)]
        else:
            return False, None
    return True, cur


def _ratchet(errors: list[FieldError], obj: Obj, old: Obj) -> list[FieldError]:
    kept = []
    for e in errors:
        found, new_value = _at(obj, e.field)
        old_found, old_value = _at(old, e.field)
        if found == old_found and new_value == old_value:
            continue  # unchanged by this update
        kept.append(e)
    return kept


def validate(info: KindInfo, obj: Obj, old: Obj | None, options: WriteOptions) -> None:
    """422 ``Invalid`` with every field error, or nothing."""
    if not options.validate:
        return
    if old is None:
        errors = validation.validate_object(info, obj)
    else:
        errors = validation.validate_update(info, obj, old)
    node = schema_for(info.api_version, info.kind)
    if node is not None and node.crd:
        schema_errors = structural.validate(node, obj)
        if old is not None and schema_errors:
            schema_errors = _ratchet(schema_errors, obj, old)
        errors.extend(schema_errors)
    if errors:
        name = (obj.get("metadata") or {}).get("name") or ""
        raise invalid_error(info, name, errors)


def warning_header(warnings: list[str]) -> str:
    """The ``Warning`` header value: ``299 - "<text>"`` per warning (``strconv.Quote``), comma-joined."""
    import json

    return ", ".join(f"299 - {json.dumps(w)}" for w in warnings)
