"""``limit`` and ``$skipToken`` paging, as the Go admin list endpoints page.

Go (``admin_mimo_manifest_list.go`` and friends): ``limit`` that is not an
integer means 100; pages are read until at least ``limit`` documents were
gathered; the continuation is sealed with an AEAD and base64-encoded into
``$skipToken`` (``parseSkipToken`` / ``buildNextLink`` in
``openshiftcluster_list.go``); ``nextLink`` is the request's ``Referer`` with
``$skipToken`` set, and is left out on the last page. A token that does not
open is an error the Go handler answers with 500 ``InternalServerError``.

Ours: the continuation is the sort key of the last item returned (so a page
is never repeated or skipped when manifests are added meanwhile), sealed with
AES-GCM under a key the server is given (or makes at start: then tokens do
not survive a restart, and several API hosts behind one address need the
same key); a page holds at most ``limit`` items (Go can return up to the
next multiple of 10); a ``limit`` below 1 means one page of 10, as Go's loop
stops after its first read.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from urllib.parse import parse_qsl, quote_plus, urlencode, urlsplit, urlunsplit

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from mimo.adminapi.errors import CloudError

__all__ = ["SkipTokens", "parse_limit", "page", "next_link", "DEFAULT_LIMIT"]

DEFAULT_LIMIT = 100
_PAGE = 10
_ATOI = re.compile(r"^[+-]?[0-9]+$")
T = TypeVar("T")


def parse_limit(raw: str | None) -> int:
    """Go: ``strconv.Atoi(limit)``, 100 on error; below 1 reads one page of 10."""
    if raw is None or not _ATOI.match(raw):
        return DEFAULT_LIMIT
    n = int(raw, 10)
    if n > 2**63 - 1:
        return DEFAULT_LIMIT  # Atoi: value out of range
    return n if n >= 1 else _PAGE


class SkipTokens:
    """Seals a continuation (any JSON value) into an opaque ``$skipToken`` and opens it again."""

    def __init__(self, key: bytes | None = None) -> None:
        if key is None:
            key = AESGCM.generate_key(bit_length=256)
        if len(key) not in (16, 24, 32):
            raise ValueError("skip token key: must be 16, 24 or 32 bytes")
        self._aead = AESGCM(key)

    def __repr__(self) -> str:
        return "SkipTokens(key=***)"

    def seal(self, continuation: Any) -> str:
        nonce = os.urandom(12)
        ct = self._aead.encrypt(nonce, json.dumps(continuation, separators=(",", ":")).encode(), b"mimo-skiptoken")
        return base64.b64encode(nonce + ct).decode("ascii")

    def open(self, token: str) -> Any:
        try:
            raw = base64.b64decode(token.encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError, ValueError):
            raise CloudError.internal("$skipToken: illegal base64 data") from None
        if len(raw) < 12 + 16:
            raise CloudError.internal("$skipToken: encryption: message too short")
        try:
            plain = self._aead.decrypt(raw[:12], raw[12:], b"mimo-skiptoken")
        except InvalidTag:
            raise CloudError.internal("$skipToken: cipher: message authentication failed") from None
        return json.loads(plain)


def page(
    items: Sequence[T], key: Callable[[T], Any], limit: int, after: Any | None
) -> tuple[list[T], Any | None]:
    """The items (sorted by ``key``) after the key ``after``, at most ``limit`` of them,
    and the continuation (the last key) when more follow."""
    start = 0
    if after is not None:
        after_t = _tupled(after)
        while start < len(items) and _tupled(key(items[start])) <= after_t:
            start += 1
    chunk = list(items[start : start + limit])
    more = start + limit < len(items)
    return chunk, (key(chunk[-1]) if more and chunk else None)


def _tupled(k: Any) -> Any:
    return tuple(k) if isinstance(k, list) else k


def next_link(base_url: str, token: str | None) -> str:
    """Go's ``buildNextLink``: ``base_url`` with ``$skipToken`` set (query re-encoded, keys sorted)."""
    if not token:
        return ""
    parts = urlsplit(base_url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "$skipToken"]
    query.append(("$skipToken", token))
    query.sort(key=lambda kv: kv[0])
    encoded = urlencode(query, quote_via=quote_plus, safe="")
    return urlunsplit((parts.scheme, parts.netloc, parts.path, encoded, ""))
