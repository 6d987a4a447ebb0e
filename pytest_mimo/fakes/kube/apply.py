"""The wire side of writes that managedFields see: the write options and the apply body.

* :func:`write_options` reads ``fieldManager``, ``force`` and the User-Agent into the
  :class:`~.managedfields.WriteContext` of the request, refusing what
  ``ValidatePatchOptions`` / ``ValidateFieldManager`` refuse (apimachinery
  ``pkg/apis/meta/v1/validation``): an apply without ``fieldManager``, ``force`` on
  another patch, a manager over 128 bytes or with an unprintable character — 422 Invalid
  on the ``PatchOptions.meta.k8s.io`` (or Create/UpdateOptions) kind, as
  ``errors.NewInvalid`` renders it.
* :func:`decode_apply` reads an ``application/apply-patch+yaml`` body (YAML, so JSON too)
  as the apiserver's patch handler does, with its error wording (``validateAndTranscodePatch``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from .managedfields import WriteContext
from .models import APPLY_PATCH, JSON_PATCH, MERGE_PATCH, STRATEGIC_PATCH, ApiError, KindInfo
from .urls import Resource

__all__ = ["write_options", "decode_apply", "is_apply", "check_patch_type"]


class Headers(Protocol):
    def get(self, name: str, /) -> str | None: ...


_PATCH_TYPES = frozenset({JSON_PATCH, MERGE_PATCH, STRATEGIC_PATCH, APPLY_PATCH})
_OPTIONS_KIND = {"POST": "CreateOptions", "PUT": "UpdateOptions", "PATCH": "PatchOptions"}


def is_apply(content_type: str) -> bool:
    return content_type.split(";")[0].strip().lower() == APPLY_PATCH


def check_patch_type(content_type: str, info: KindInfo) -> None:
    """PatchResource's first check, before the options and the body: a patch type the kind
    takes (strategic merge patch on built-in kinds only), else 415."""
    ctype = content_type.split(";")[0].strip().lower()
    if ctype not in _PATCH_TYPES or (ctype == STRATEGIC_PATCH and not info.builtin):
        raise ApiError.unsupported_media_type(ctype)


def _go_quote(s: str) -> str:
    out = []
    for c in s:
        if c in '"\\':
            out.append("\\" + c)
        elif c.isprintable():
            out.append(c)
        elif ord(c) < 0x10000:
            out.append(f"\\u{ord(c):04x}" if ord(c) > 0x7F else f"\\x{ord(c):02x}")
        else:
            out.append(f"\\U{ord(c):08x}")
    return '"' + "".join(out) + '"'


def write_options(
    method: str, query: Mapping[str, list[str]], headers: Headers, target: Resource
) -> WriteContext | None:
    """The request's write context (None for a request that writes nothing)."""
    if method not in _OPTIONS_KIND:
        return None
    manager = (query.get("fieldManager") or [""])[0]
    force_values = query.get("force")
    if not manager and method != "PATCH":  # a create or an update without a manager: nothing to refuse
        return WriteContext(
            manager="",
            user_agent=headers.get("User-Agent") or "",
            force=(force_values or ["false"])[0].lower() in ("true", "1"),
            subresource=target.subresource or "",
        )
    ctype = (headers.get("Content-Type") or "").split(";")[0].strip().lower()
    apply = method == "PATCH" and ctype == APPLY_PATCH
    if method == "PATCH" and ctype not in _PATCH_TYPES:
        return None  # PatchResource refuses the media type (415) before reading any option
    errors: list[tuple[str, str, str]] = []
    if method == "PATCH":
        if apply and not manager:
            errors.append(
                (
                    "fieldManager",
                    "Required value: is required for apply patch",
                    "FieldValueRequired",
                )
            )
        if not apply and force_values is not None:
            errors.append(
                (
                    "force",
                    "Forbidden: may not be specified for non-apply patch",
                    "FieldValueForbidden",
                )
            )
    if len(manager.encode()) > 128:
        errors.append(
            ("fieldManager", "Too long: may not be more than 128 bytes", "FieldValueTooLong")
        )
    for i, c in enumerate(manager):
        if not c.isprintable() and c != " ":
            errors.append(
                (
                    "fieldManager",
                    f"Invalid value: {_go_quote(manager)}: invalid character "
                    f"U+{ord(c):04X} (at position {len(manager[:i].encode())})",
                    "FieldValueInvalid",
                )
            )
    if errors:
        kind = _OPTIONS_KIND[method]
        if len(errors) == 1:
            message = f'{kind}.meta.k8s.io "" is invalid: {errors[0][0]}: {errors[0][1]}'
        else:
            joined = ", ".join(f"{f}: {d}" for f, d, _ in errors)
            message = f'{kind}.meta.k8s.io "" is invalid: [{joined}]'
        raise ApiError(
            422,
            "Invalid",
            message,
            {
                "group": "meta.k8s.io",
                "kind": kind,
                "causes": [{"reason": c, "message": d, "field": f} for f, d, c in errors],
            },
        )
    force = (force_values or ["false"])[0].lower() in ("true", "1")
    return WriteContext(
        manager=manager,
        user_agent=headers.get("User-Agent") or "",
        force=force,
        subresource=target.subresource or "",
    )


def _loader() -> Any:
    """A safe YAML loader that keeps dates as strings, as sigs.k8s.io/yaml's JSON does."""
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    Loader.yaml_implicit_resolvers = {
        k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
        for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    return Loader


def decode_apply(raw: bytes) -> Any:
    """An apply body (YAML or JSON) as a value; undecodable text is a 400 BadRequest."""
    import yaml

    try:
        text = raw.decode("utf-8")
        value = yaml.load(text, Loader=_loader()) if text.strip() else None  # noqa: S506 - safe
    except (UnicodeDecodeError, yaml.YAMLError) as e:
        raise ApiError.bad_request(f"error encoding patch: {e}") from None
    if value is None:
        return {}
    return value
