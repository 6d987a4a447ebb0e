"""Lists as the API server pages them: ``limit``, ``continue``, ``remainingItemCount``, and
what ``resourceVersion`` / ``resourceVersionMatch`` ask of a list or a get.

Rules (kube-apiserver 1.32/1.33 sources):

* ``storage/etcd3/store.go`` ``GetList``: items in etcd key order (``<namespace>/<name>``
  under the resource's prefix); a page holds at most ``limit`` matching items, and has a
  ``continue`` token when keys remain after its last item; ``remainingItemCount`` only
  when neither a label nor a field selector filters (``Predicate.Empty()``), as the keys
  left after the page.
* ``storage/continue.go``: the token is ``base64.RawURLEncoding`` of
  ``{"v":"meta.k8s.io/v1","rv":<list rv>,"start":"<last key>\\x00"}``; a token that does
  not decode is a 400 ``invalid continue token: continue key is not valid…``.
* ``storage/util.go`` / cacher ``waitUntilFreshAndList``: with ``continue``, a
  ``resourceVersion`` other than ``""``/``"0"`` is a 400 (``specifying resource version
  is not allowed when using continue``); the token's rv pins the next pages to the first
  page's state (an rv of -1: the current state).
* ``storage/etcd3/errors.go``: a token whose rv was compacted away is a 410 ``Expired``
  with ``inconsistentContinue`` and a fresh token (rv -1) in the Status's
  ``metadata.continue``; an ``Exact`` list from before compaction is a 410
  ``The resourceVersion for the provided list is too old.``.
* ``cacher/delegator.go`` ``shouldDelegateList``: ``resourceVersionMatch=Exact``, or
  (the legacy case) ``limit`` with a resourceVersion other than ``"0"``, lists the state
  at exactly that resourceVersion; otherwise the current state, which must not be older
  than the asked resourceVersion: ``storage.NewTooLargeResourceVersionError`` (504
  ``Timeout``, cause ``ResourceVersionTooLarge``, retry after 1 s as the cacher says it).
* ``etcd3/api_object_versioner.go`` ``ParseResourceVersion``: a resourceVersion that is
  not an unsigned integer is a ``storage.InvalidError``, which the storage error mapping
  passes through as a non-Status error: a 500 with no reason.

Where the apiserver's behaviour moved between versions the fake takes the newer one:
``resourceVersion=0`` with a ``limit`` is paged too (the 1.33+ cacher pages from its
snapshots; the older one ignored ``limit``), so a task must cope with pages either way.
"""

from __future__ import annotations

import base64
import binascii
import json
import posixpath
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from .fieldselectors import field_matcher
from .history import TooOld
from .labels import SelectorError, parse_selector
from .models import ApiError, KindInfo, KubeModel
from .options import EXACT, ListOptions

__all__ = [
    "Page",
    "list_page",
    "check_get_resource_version",
    "encode_continue",
    "decode_continue",
    "EXPIRED_LIST",
    "INCONSISTENT_CONTINUE",
]

Obj = dict[str, Any]
Key = tuple[str, str]

#: storage/etcd3/errors.go ``expiredList``
EXPIRED_LIST = "The resourceVersion for the provided list is too old."
#: storage/etcd3/errors.go ``inconsistentContinue``
INCONSISTENT_CONTINUE = (
    "The provided continue parameter is too old to display a consistent list result. You can "
    "start a new list without the continue parameter, or use the continue token in this response "
    "to retrieve the remainder of the results. Continuing with the provided token results in an "
    "inconsistent list - objects that were created, modified, or deleted between the time the "
    "first chunk was returned and now may show up in the list."
)
_TOKEN_VERSION = "meta.k8s.io/v1"
_INVALID = "continue key is not valid"
#: cacher.go ``resourceVersionTooHighRetrySeconds``
_TOO_HIGH_RETRY_SECONDS = 1


@dataclass(frozen=True)
class Page:
    """One list response's items (as stored) and its ``ListMeta``."""

    items: list[Obj]
    resource_version: str
    continue_: str = ""
    remaining_item_count: int | None = None

    def list_meta(self) -> Obj:
        meta: Obj = {"resourceVersion": self.resource_version}
        if self.continue_:
            meta["continue"] = self.continue_
        if self.remaining_item_count is not None:
            meta["remainingItemCount"] = self.remaining_item_count
        return meta


# -- the continue token (storage/continue.go) ---------------------------------


def encode_continue(start: str, rv: int) -> str:
    """The token for a list that goes on at key ``start`` (relative to the list's prefix)."""
    raw = json.dumps({"v": _TOKEN_VERSION, "rv": rv, "start": start}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_continue(token: str) -> tuple[str, int]:
    """``(start key, rv)`` of a token; ``ValueError`` in ``DecodeContinue``'s words."""
    text = token.replace("\r", "").replace("\n", "")  # Go's base64 decoder skips newlines
    bad = next((i for i, c in enumerate(text) if not (c.isascii() and (c.isalnum() or c in "-_"))), None)
    if bad is None and len(text) % 4 == 1:
        bad = len(text) - 1
    if bad is not None:
        raise ValueError(f"{_INVALID}: illegal base64 data at input byte {bad}")
    try:
        decoded = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode("utf-8"))
    except (binascii.Error, UnicodeDecodeError, ValueError) as e:
        raise ValueError(f"{_INVALID}: {e}") from None
    if not isinstance(decoded, dict):
        raise ValueError(f"{_INVALID}: json: cannot unmarshal {type(decoded).__name__} into Go value of type storage.continueToken")
    version = decoded.get("v")
    if version != _TOKEN_VERSION:
        raise ValueError(f"{_INVALID}: server does not recognize this encoded version {version or ''}")
    rv, start = decoded.get("rv", 0), decoded.get("start", "")
    if not isinstance(rv, int) or isinstance(rv, bool):
        raise ValueError(f"{_INVALID}: json: cannot unmarshal into Go struct field continueToken.rv of type int64")
    if not isinstance(start, str):
        raise ValueError(f"{_INVALID}: json: cannot unmarshal into Go struct field continueToken.start of type string")
    if rv == 0:
        raise ValueError(f"{_INVALID}: incorrect encoded start resourceVersion (version {_TOKEN_VERSION})")
    if not start:
        raise ValueError(f"{_INVALID}: encoded start key empty (version {_TOKEN_VERSION})")
    key = start if start.startswith("/") else "/" + start
    if key.startswith("//") or posixpath.normpath(key) != key:  # Go's path.Clean
        raise ValueError(f"{_INVALID}: {start}")
    return key[1:], rv


# -- resourceVersion ------------------------------------------------------------


def _parse_rv(text: str) -> int:
    """``APIObjectVersioner.ParseResourceVersion``: "" and "0" are 0."""
    if text in ("", "0"):
        return 0
    if text.isascii() and text.isdigit() and int(text) < 2**64:
        return int(text)
    reason = "value out of range" if text.isascii() and text.isdigit() else "invalid syntax"
    raise ApiError(
        500,
        "",
        f'resourceVersion: Invalid value: "{text}": strconv.ParseUint: parsing "{text}": {reason}',
    )


def _too_large(asked: int, current: int, retry: int = _TOO_HIGH_RETRY_SECONDS) -> ApiError:
    """``storage.NewTooLargeResourceVersionError``: the cacher says retry after 1 s, etcd
    (an Exact list, delegated to it) 0 (omitted); a retry is a ``Retry-After`` header too
    (responsewriters.ErrorNegotiated)."""
    details: Obj = {"causes": [{"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}]}
    if retry:
        details["retryAfterSeconds"] = retry
    return ApiError(
        504,
        "Timeout",
        f"Timeout: Too large resource version: {asked}, current: {current}",
        details,
        headers={"Retry-After": str(retry)} if retry else None,
    )


class _ExpiredContinue(ApiError):
    """The 410 for a compacted continue token: its Status carries a new token."""

    def __init__(self, token: str) -> None:
        super().__init__(410, "Expired", INCONSISTENT_CONTINUE)
        self.token = token

    def status(self) -> Obj:
        body = super().status()
        body["metadata"] = {"continue": self.token}
        return body


def check_get_resource_version(model: KubeModel, resource_version: str) -> None:
    """A get's ``resourceVersion`` (served from the watch cache when set): the object must be
    at least that fresh, and the fake is always current, so only a future rv fails."""
    asked = _parse_rv(resource_version)
    current = int(model.resource_version)
    if asked > current:
        raise _too_large(asked, current)


# -- the list -------------------------------------------------------------------


def _selector(info: KindInfo, opts: ListOptions) -> Callable[[Obj], bool]:
    try:
        labels = parse_selector(opts.label_selector)
    except SelectorError as e:
        raise ApiError.bad_request(str(e)) from None
    fields = field_matcher(info, opts.field_selector)
    return lambda obj: labels((obj.get("metadata") or {}).get("labels") or {}) and fields(obj)


def _etcd_key(info: KindInfo, key: Key, namespace: str | None) -> str:
    """The object's etcd key relative to the list's prefix (``/registry/<resource>/[<ns>/]``)."""
    ns, name = key
    if not info.namespaced or namespace:
        return name
    return f"{ns}/{name}"


def _state(model: KubeModel, info: KindInfo, rv: int | None) -> Iterable[tuple[Key, Obj]]:
    """The stored objects now (``rv`` None) or at resourceVersion ``rv``; TooOld if compacted."""
    current = model._bucket(info).items()
    if rv is None:
        return current
    return model.history.rewind(current, (info.api_version, info.kind), rv)


def list_page(
    model: KubeModel,
    info: KindInfo,
    namespace: str | None,
    opts: ListOptions,
) -> Page:
    """The page a list request gets; call under the model lock."""
    selected = _selector(info, opts)
    # with a selector the server cannot count the matches it did not look at: no count
    filtered = bool(opts.label_selector or opts.field_selector)
    current = int(model.resource_version)
    namespace = namespace if info.namespaced else None
    start = ""
    at: int | None = None  # None: the current state
    if opts.continue_:
        if opts.resource_version not in ("", "0"):
            raise ApiError.bad_request("specifying resource version is not allowed when using continue")
        try:
            start, token_rv = decode_continue(opts.continue_)
        except ValueError as e:
            raise ApiError.bad_request(f"invalid continue token: {e}") from None
        if token_rv > 0:
            at = token_rv
    else:
        asked = _parse_rv(opts.resource_version)
        exact = opts.resource_version_match == EXACT or (
            not opts.resource_version_match and opts.limit > 0 and asked > 0
        )
        if asked > current:
            raise _too_large(asked, current, 0 if exact else _TOO_HIGH_RETRY_SECONDS)
        if exact:
            at = asked
    try:
        state = _state(model, info, at)
    except TooOld:
        if opts.continue_:
            raise _ExpiredContinue(encode_continue(start, -1)) from None
        raise ApiError(410, "Expired", EXPIRED_LIST) from None
    keyed = sorted(
        (_etcd_key(info, key, namespace), obj)
        for key, obj in state
        if namespace is None or key[0] == namespace
    )
    if start:
        keyed = [(k, o) for k, o in keyed if k >= start]
    rv = at if at is not None else current
    limit = opts.limit
    items: list[Obj] = []
    for i, (k, obj) in enumerate(keyed):
        if not selected(obj):
            continue
        items.append(obj)
        if limit and len(items) == limit:
            left = len(keyed) - i - 1
            if left == 0:
                break
            return Page(
                items,
                str(rv),
                encode_continue(k + "\x00", rv),
                None if filtered else left,
            )
    return Page(items, str(rv))
