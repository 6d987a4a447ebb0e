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

from . import celrules, defaulting, structural, validation
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
    "spec_code",
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
    #: ``(spec, its marshal encoding)`` of the object as decoding and defaulting left it (when
    #: known): :func:`validate` takes the encoding for the spec rules' memory while the
    #: object's spec is still that very value (see :func:`spec_code`)
    spec_code: tuple[Any, bytes] | None = None


def spec_code(options: WriteOptions, obj: Obj) -> bytes | None:
    """The ``marshal`` encoding of ``obj["spec"]`` that decoding computed, if ``obj``'s spec is
    still the value it was computed for, else None. The write changes no decoded spec in place
    before it is validated (the spec rules' memory: Deployment, Pod) and stored (an update's or
    a patch's parts shared with the stored object, ``models._share_unchanged``): only a create
    of a Namespace sets its spec's finalizers, and nothing asks for the encoding there."""
    known = options.spec_code
    if known is not None and known[0] is obj.get("spec"):
        return known[1]
    return None


def check_options(options_kind: str, field_validation: str | None, dry_run: list[str] | None = None) -> str:
    """``ValidateCreateOptions`` / ``…UpdateOptions`` / ``…PatchOptions`` on ``dryRun`` (only
    ``All``) and ``fieldValidation``: 422 on ``<Kind>Options.meta.k8s.io ""``; returns the
    field validation directive (empty means ``Warn``)."""
    if not field_validation and not dry_run:
        return "Warn"  # nothing given: nothing to refuse
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


def _decode(info: KindInfo, obj: Obj, stored: Obj | None) -> tuple[list[str], bytes | None]:
    """Decode, prune and default ``obj`` in place; the strict errors (unknown fields) and the
    ``marshal`` encoding of the spec as it is now, when known.

    Raises :class:`DecodeError` for a body that does not decode into the kind. ``stored``
    (an update's current object, or None) only spares walking parts that are the same JSON."""
    node = schema_for(info.api_version, info.kind, info.schema_id)
    if node is None:
        return [], None
    unknown, kept = decode_object(node, obj, stored)
    code = kept.get("spec")
    if not node.crd:
        code = defaulting.default(info.api_version, info.kind, obj, code)
    if unknown:
        return [f'unknown field "{p}"' for p in unknown], code
    return unknown, code


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
    options.spec_code = None
    if not options.validate:
        return
    try:
        unknown, code = _decode(info, obj, stored)
    except DecodeError as e:
        raise refuse(str(e)) from None
    if code is not None:
        options.spec_code = (obj.get("spec"), code)
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
    code = spec_code(options, obj)
    if old is None:
        errors = validation.validate_object(info, obj, code)
    else:
        errors = validation.validate_update(info, obj, old, code)
    node = schema_for(info.api_version, info.kind, info.schema_id)
    if node is not None and node.crd:
        errors.extend(structural.validate(node, obj) if old is None else structural.validate(node, obj, old=old))
        if celrules.has_rules(node):  # x-kubernetes-validations, after the OpenAPI schema
            errors.extend([celrules.BLOCKED] if celrules.blocking(errors) else celrules.validate(node, obj, old))
    if errors:
        name = (obj.get("metadata") or {}).get("name") or ""
        raise invalid_error(info, name, errors)


def warning_headers(warnings: list[str]) -> list[tuple[str, str]]:
    """One ``Warning: 299 - "<text>"`` header per distinct warning, as the apiserver's warning
    recorder adds them (``net.NewWarningHeader``: code, agent ``-``, ``strconv.Quote`` text)."""
    import json

    seen: dict[str, None] = dict.fromkeys(warnings)
    return [("Warning", f"299 - {json.dumps(w)}") for w in seen]
