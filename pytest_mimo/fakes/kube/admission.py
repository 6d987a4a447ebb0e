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
   ratcheting on update: a value the update did not change is not validated, as
   ``CRDValidationRatcheting``, on by default since 1.30, does) → 422 ``Invalid``.

A patch (``decode_patched``) is decoded after it is applied, and its errors are the
patch handler's: a patched object that does not decode, or has unknown fields under
``Strict``, is a 422 ``Invalid`` on the field ``patch`` with no kind and no name
(``handlers/patch.go``, ``jsonPatcher.applyPatchToCurrentObject``).

The HTTP layer passes :class:`WriteOptions` from the query; the Python side
(``FakeKube.add``) uses ``Strict`` so a scenario's typo fails loudly, and
``validate=False`` skips both steps for deliberately broken worlds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import defaulting, structural, validation
from .apierrors import ApiError
from .decoding import DecodeError, decode_object
from .deletion import dry_run_errors, options_invalid
from .fielderrors import invalid, invalid_error, not_supported
from .kinds import KindInfo
from .schemas import schema_for

__all__ = [
    "WriteOptions",
    "decode",
    "decode_patched",
    "validate",
    "check_options",
    "warning_headers",
]

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


def check_options(options_kind: str, field_validation: str | None, dry_run: list[str] | None = None) -> str:
    """``ValidateCreateOptions`` / ``…UpdateOptions`` / ``…PatchOptions`` on ``dryRun`` (only
    ``All``) and ``fieldValidation``: 422 on ``<Kind>Options.meta.k8s.io ""``; returns the
    field validation directive (empty means ``Warn``)."""
    value = field_validation or ""
    errs = dry_run_errors(list(dry_run or []))
    if value not in FIELD_VALIDATIONS:
        errs.append(not_supported("fieldValidation", value, list(FIELD_VALIDATIONS)))
    if errs:
        raise options_invalid(options_kind, errs)
    return value or "Warn"


def _cannot_handle(info: KindInfo, detail: str) -> ApiError:
    """``transformDecodeError``: 400 BadRequest naming the kind and version."""

    return ApiError.bad_request(
        f'{info.kind} in version "{info.version}" cannot be handled as a {info.kind}: {detail}'
    )


def _decode(info: KindInfo, obj: Obj, stored: Obj | None) -> list[str]:
    """Decode, prune and default ``obj`` in place; the strict errors (unknown fields).

    Raises :class:`DecodeError` for a body that does not decode into the kind. ``stored``
    (an update's current object, or None) only spares walking parts that are the same JSON."""
    node = schema_for(info.api_version, info.kind, info.schema_id)
    if node is None:
        return []
    unknown, kept = decode_object(node, obj, stored)
    if not node.crd:
        defaulting.default(info.api_version, info.kind, obj, kept.get("spec"))
    return [f'unknown field "{p}"' for p in unknown]


def _strict(messages: list[str]) -> str:
    """``runtime.NewStrictDecodingError(errs).Error()``."""
    return "strict decoding error: " + ", ".join(messages)


def _decode_or(
    info: KindInfo,
    obj: Obj,
    options: WriteOptions,
    stored: Obj | None,
    refuse: Callable[[str], ApiError],
) -> None:
    """Decode ``obj``; a decode error, or unknown fields under ``Strict``, raise ``refuse(text)``;
    under ``Warn`` the unknown fields become the request's warnings."""
    if not options.validate:
        return
    try:
        unknown = _decode(info, obj, stored)
    except DecodeError as e:
        raise refuse(str(e)) from None
    if unknown:
        if options.field_validation == "Strict":
            raise refuse(_strict(unknown))
        if options.field_validation == "Warn":
            options.warnings.extend(unknown)


def decode(info: KindInfo, obj: Obj, options: WriteOptions, stored: Obj | None = None) -> None:
    """A create or update body: decode, prune and default ``obj`` in place (see the module
    docstring); 400 ``… cannot be handled as a <Kind>: …`` as ``transformDecodeError``."""
    _decode_or(info, obj, options, stored, lambda detail: _cannot_handle(info, detail))


def decode_patched(
    info: KindInfo, obj: Obj, options: WriteOptions, patched: Obj, stored: Obj | None = None
) -> None:
    """A patched object (JSON or merge patch applied) decoded in place as ``patch.go`` does:
    ``errors.NewInvalid(schema.GroupKind{}, "", {field.Invalid("patch", <patched JSON>, …)})``,
    ``patched`` being the object as the patch left it, before decoding."""

    def refuse(detail: str) -> ApiError:
        import json

        text = json.dumps(patched, separators=(",", ":"))
        return invalid_error(None, "", [invalid("patch", text, detail)])

    _decode_or(info, obj, options, stored, refuse)


def validate(info: KindInfo, obj: Obj, old: Obj | None, options: WriteOptions) -> None:
    """422 ``Invalid`` with every field error, or nothing."""
    if not options.validate:
        return
    if old is None:
        errors = validation.validate_object(info, obj)
    else:
        errors = validation.validate_update(info, obj, old)
    node = schema_for(info.api_version, info.kind, info.schema_id)
    if node is not None and node.crd:
        errors.extend(structural.validate(node, obj) if old is None else structural.validate(node, obj, old=old))
    if errors:
        name = (obj.get("metadata") or {}).get("name") or ""
        raise invalid_error(info, name, errors)


def warning_headers(warnings: list[str]) -> list[tuple[str, str]]:
    """One ``Warning: 299 - "<text>"`` header per distinct warning, as the apiserver's warning
    recorder adds them (``net.NewWarningHeader``: code, agent ``-``, ``strconv.Quote`` text)."""
    import json

    seen: dict[str, None] = dict.fromkeys(warnings)
    return [("Warning", f"299 - {json.dumps(w)}") for w in seen]
