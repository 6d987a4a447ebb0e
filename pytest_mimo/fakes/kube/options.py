"""``ListOptions`` from a query string, decoded and validated as the apiserver does it.

Decoding errors (a non-integer ``limit``, a non-boolean ``watch``) are 400s in
``strconv``'s words (``metainternalversionscheme.ParameterCodec.DecodeParameters``
→ ``errors.NewBadRequest``); the combination rules are
``apimachinery/pkg/apis/meta/internalversion/validation.ValidateListOptions``
(with ``validateWatchOptions`` of the WatchList era), a 422 ``Invalid`` on
``ListOptions.meta.k8s.io``.
"""

from __future__ import annotations

from dataclasses import dataclass

from .models import ApiError, KindInfo

__all__ = ["ListOptions", "list_options", "NOT_OLDER_THAN", "EXACT"]

NOT_OLDER_THAN = "NotOlderThan"
EXACT = "Exact"

_LIST_OPTIONS = KindInfo("meta.k8s.io/v1", "ListOptions", "listoptions", False)


@dataclass(frozen=True)
class ListOptions:
    label_selector: str | None = None
    field_selector: str | None = None
    watch: bool = False
    allow_watch_bookmarks: bool = False
    resource_version: str = ""
    resource_version_match: str = ""
    timeout_seconds: int | None = None
    limit: int = 0
    continue_: str = ""
    send_initial_events: bool | None = None


def _one(query: dict[str, list[str]], key: str) -> str | None:
    values = query.get(key)
    return values[0] if values else None


def _bool(query: dict[str, list[str]], key: str) -> bool | None:
    text = _one(query, key)
    if text is None:
        return None
    # strconv.ParseBool
    if text in ("1", "t", "T", "TRUE", "true", "True"):
        return True
    if text in ("0", "f", "F", "FALSE", "false", "False"):
        return False
    raise ApiError.bad_request(f'strconv.ParseBool: parsing "{text}": invalid syntax')


def _int(query: dict[str, list[str]], key: str) -> int | None:
    text = _one(query, key)
    if text is None or text == "":
        return None
    body = text[1:] if text[:1] in "+-" else text
    if not body or not body.isascii() or not body.isdigit():
        raise ApiError.bad_request(f'strconv.ParseInt: parsing "{text}": invalid syntax')
    value = int(text)
    if not -(2**63) <= value < 2**63:
        raise ApiError.bad_request(f'strconv.ParseInt: parsing "{text}": value out of range')
    return value


def list_options(query: dict[str, list[str]], *, watch_path: bool = False) -> ListOptions:
    """The request's options; ``watch_path``: the legacy ``/watch/`` prefix was used."""
    watch = bool(_bool(query, "watch")) or watch_path
    opts = ListOptions(
        label_selector=_one(query, "labelSelector"),
        field_selector=_one(query, "fieldSelector"),
        watch=watch,
        allow_watch_bookmarks=bool(_bool(query, "allowWatchBookmarks")),
        resource_version=_one(query, "resourceVersion") or "",
        resource_version_match=_one(query, "resourceVersionMatch") or "",
        timeout_seconds=_int(query, "timeoutSeconds"),
        limit=max(_int(query, "limit") or 0, 0),  # a negative limit is no limit
        continue_=_one(query, "continue") or "",
        send_initial_events=_bool(query, "sendInitialEvents"),
    )
    errors = _watch_errors(opts) if opts.watch else _list_errors(opts)
    if errors:
        raise ApiError.invalid_fields(_LIST_OPTIONS, "", errors)
    return opts


def _forbidden(field: str, detail: str) -> tuple[str, str, str]:
    return field, f"Forbidden: {detail}", "FieldValueForbidden"


def _not_supported(field: str, value: str, supported: list[str]) -> tuple[str, str, str]:
    values = ", ".join(f'"{v}"' for v in supported)
    return field, f'Unsupported value: "{value}": supported values: {values}', "FieldValueNotSupported"


def _list_errors(o: ListOptions) -> list[tuple[str, str, str]]:
    errs = []
    match = o.resource_version_match
    if match:
        if not o.resource_version:
            errs.append(_forbidden("resourceVersionMatch", "resourceVersionMatch is forbidden unless resourceVersion is provided"))
        if o.continue_:
            errs.append(_forbidden("resourceVersionMatch", "resourceVersionMatch is forbidden when continue is provided"))
        if match not in (EXACT, NOT_OLDER_THAN):
            errs.append(_not_supported("resourceVersionMatch", match, [EXACT, NOT_OLDER_THAN, ""]))
        if match == EXACT and o.resource_version == "0":
            errs.append(_forbidden("resourceVersionMatch", 'resourceVersionMatch "exact" is forbidden for resourceVersion "0"'))
    if o.send_initial_events is not None:
        errs.append(_forbidden("sendInitialEvents", "sendInitialEvents is forbidden for list"))
    return errs


def _watch_errors(o: ListOptions) -> list[tuple[str, str, str]]:
    errs = []
    match = o.resource_version_match
    if o.send_initial_events is not None and match != NOT_OLDER_THAN:
        errs.append(_forbidden("resourceVersionMatch", f"sendInitialEvents requires setting resourceVersionMatch to {NOT_OLDER_THAN}"))
    if match:
        if o.send_initial_events is None:
            errs.append(_forbidden("resourceVersionMatch", "resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided"))
        if match != NOT_OLDER_THAN:
            errs.append(_not_supported("resourceVersionMatch", match, [NOT_OLDER_THAN]))
        if o.continue_:
            errs.append(_forbidden("resourceVersionMatch", "resourceVersionMatch is forbidden when continue is provided"))
    return errs
