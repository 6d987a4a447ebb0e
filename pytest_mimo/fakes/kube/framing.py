"""HTTP/1.1 framing as kube-apiserver's Go ``net/http`` server and its handlers enforce it.

Two layers answer a badly framed request, and they answer differently:

* Go's ``net/http`` server refuses what it cannot frame before any Kubernetes
  code runs: a bad, negative or doubled ``Content-Length``, an unknown
  ``Transfer-Encoding``, malformed chunks, a request line or headers it cannot
  parse. Its answer is plain text with ``Connection: close``
  (``HTTP/1.1 400 Bad Request`` + ``Content-Type: text/plain; charset=utf-8`` and
  the body ``400 Bad Request``; ``501 Unsupported transfer encoding``; ``431``
  for headers over ``MaxHeaderBytes``): :class:`FramingError`.
* The apiserver's handlers read the body through ``limitedReadBody`` with
  ``MaxRequestBodyBytes`` = 3 MiB (``options.NewServerRunOptions``:
  ``MaxRequestBodyBytes: int64(3 * 1024 * 1024)``) and answer a ``Status``:
  ``413 RequestEntityTooLarge`` "Request entity too large: limit is 3145728"
  (``apierrors.NewRequestEntityTooLargeError``).

Nothing here knows about routes or objects.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from email.message import Message
from email.policy import compat32
from http.client import HTTPMessage
from typing import Any

__all__ = [
    "FramingError",
    "RequestHeaders",
    "SimpleRequest",
    "read_simple_request",
    "content_length",
    "MAX_REQUEST_BODY_BYTES",
    "MAX_HEADER_BYTES",
    "BodyTooLarge",
    "read_body",
]

#: kube-apiserver's default ``--max-request-body-bytes``: the handlers' limit (3 MiB)
MAX_REQUEST_BODY_BYTES = 3 * 1024 * 1024
#: Go's ``http.DefaultMaxHeaderBytes`` (1 MiB), the apiserver keeps the default
MAX_HEADER_BYTES = 1 << 20


class FramingError(Exception):
    """A request Go's ``net/http`` would refuse before the apiserver sees it."""

    def __init__(self, code: int, text: str) -> None:
        super().__init__(text)
        self.code = code
        self.text = text  # the status line's text, also the body

    def response(self) -> bytes:
        body = self.text.encode()
        return (
            f"HTTP/1.1 {self.text}\r\nContent-Type: text/plain; charset=utf-8\r\n"
            f"Connection: close\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode() + body


class RequestHeaders(HTTPMessage):
    """A request's headers (``http.client.HTTPMessage``) whose ``get`` and ``get_all`` look the
    name up in an index built once, not by lower-casing every header on every look-up (a request
    asks for its headers about ten times: the framing, the token, the media types, the user agent).
    Same answers: the first value (``get``) or all in order (``get_all``), each through the
    policy's ``header_fetch_parse``. A change to the headers (or a new header list) rebuilds it."""

    _index: tuple[list[tuple[str, Any]], int, dict[str, list[tuple[str, Any]]]] | None = None

    def _lookup(self, name: str) -> list[tuple[str, Any]] | None:
        index = self._index
        headers = self._headers  # type: ignore[attr-defined]
        if index is None or index[0] is not headers or index[1] != len(headers):
            table: dict[str, list[tuple[str, Any]]] = {}
            for k, v in headers:
                table.setdefault(k.lower(), []).append((k, v))
            index = self._index = (headers, len(headers), table)
        return index[2].get(name.lower())

    def get(self, name: str, failobj: Any = None) -> Any:
        found = self._lookup(name)
        if not found:
            return failobj
        k, v = found[0]
        policy = self.policy
        # compat32 (http.client's policy) gives an ASCII string back as it is: _sanitize_header
        # wraps only a value with surrogates
        if policy is compat32 and type(v) is str and v.isascii():
            return v
        return policy.header_fetch_parse(k, v)

    def get_all(self, name: str, failobj: Any = None) -> Any:
        found = self._lookup(name)
        if not found:
            return failobj
        policy = self.policy
        return [
            v if policy is compat32 and type(v) is str and v.isascii() else policy.header_fetch_parse(k, v)
            for k, v in found
        ]

    def replace_header(self, _name: str, _value: Any) -> None:  # changes a header in place
        self._index = None
        super().replace_header(_name, _value)


#: ``http.client``'s limits on a header block (``_MAXLINE``, ``_MAXHEADERS``)
_MAX_HEADER_LINE = 65536
_MAX_HEADERS = 100
#: a request line ``http.server`` takes apart plainly: a method, a path (not ``//``, which it
#: rewrites), ``HTTP/1.1``
_SIMPLE_REQUEST_LINE = re.compile(rb"([A-Z]+) (/(?!/)[!-~]*) HTTP/1\.1\r?\n")
#: a header line the ``email`` parser takes apart plainly: a token, a colon, printable ASCII
#: (``compat32``'s ``header_source_parse``: the value without its leading blanks and line end)
_SIMPLE_HEADER = re.compile(rb"([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*([\t -~]*?)\r?\n")
#: headers ``BaseHTTPRequestHandler.parse_request`` acts on itself
_ACTED_ON = frozenset({"connection", "expect"})
#: a :data:`_SIMPLE_HEADER` line ending in CRLF, decoded: the name, the blanks, the value
_PLAIN_FIELD = re.compile(r"([!#$%&'*+.^_`|~0-9A-Za-z-]+):([ \t]*)([\t -~]*)\r\n")


class SimpleRequest:
    """What :func:`read_simple_request` found: the parts of a plain request, or (``headers``
    None) the header lines it read, to be parsed again the standard way."""

    __slots__ = ("command", "path", "headers", "read")

    def __init__(self, command: str, path: str, headers: RequestHeaders | None, read: list[bytes]) -> None:
        self.command, self.path, self.headers, self.read = command, path, headers, read


#: what :func:`_buffered_block` found in a block (its fields, and the look-up table
#: :class:`RequestHeaders` builds from them), by the block's bytes: a client sends the same
#: header block again and again (a GET's every time, an update's while its body keeps its length)
_BLOCKS: dict[bytes, tuple[tuple[tuple[str, str], ...], dict[str, list[tuple[str, Any]]]]] = {}
_BLOCKS_MAX = 256
_BLOCK_MAX_BYTES = 8192  # larger blocks are parsed every time
#: a plain request line's (method, path), by its bytes
_LINES: dict[bytes, tuple[str, str]] = {}
_LINES_MAX = 1024


def _plain_block(block: bytes) -> tuple[tuple[tuple[str, str], ...], dict[str, list[tuple[str, Any]]]] | None:
    """The header fields of a plain block (see :func:`_buffered_block`) and their look-up table,
    or None; remembered by the block's bytes (a pure function of them)."""
    hit = _BLOCKS.get(block)
    if hit is not None:
        return hit
    if len(block) > _MAX_HEADER_LINE or block.count(b"\n") >= _MAX_HEADERS or not block.isascii():
        return None
    found = _PLAIN_FIELD.findall(block.decode("ascii"))
    # the lines found cover the block (none skipped over: each is a whole plain line)
    if sum(len(name) + len(blanks) + len(value) + 3 for name, blanks, value in found) != len(block):
        return None
    fields = []
    table: dict[str, list[tuple[str, Any]]] = {}
    for name, _, value in found:
        lower = name.lower()
        if lower in _ACTED_ON:
            return None
        fields.append((name, value))
        table.setdefault(lower, []).append((name, value))
    parsed = (tuple(fields), table)
    if len(block) <= _BLOCK_MAX_BYTES:
        if len(_BLOCKS) >= _BLOCKS_MAX:
            _BLOCKS.clear()
        _BLOCKS[block] = parsed
    return parsed


def _buffered_block(reader: Any) -> RequestHeaders | None:
    """The headers of a plain block already in ``reader``'s buffer (``peek``), which is then
    read past it: what the line-by-line loop of :func:`read_simple_request` finds for it, in one
    pass, with the look-up index built. None (nothing read) when the block is not wholly buffered
    or not plain in the strictest sense (every line a CRLF-ended :data:`_SIMPLE_HEADER`, at most
    99 of them, 64 KiB in all, no ``Connection`` or ``Expect``): the loop then reads it line by line."""
    peek = getattr(reader, "peek", None)
    if peek is None:
        return None
    buf = peek(1)
    if buf[:2] == b"\r\n":
        block, size = b"", 2
    else:
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            return None
        block, size = buf[: end + 2], end + 4
    parsed = _plain_block(block)
    if parsed is None:
        return None
    reader.read(size)
    headers = RequestHeaders()
    fields = headers._headers = list(parsed[0])  # type: ignore[attr-defined]  # what set_raw appends to, in order
    # the index _lookup would build from these fields (a change to them rebuilds it)
    headers._index = (fields, len(fields), parsed[1])
    return headers


def read_simple_request(
    request_line: bytes, readline: Callable[[int], bytes], reader: Any = None
) -> SimpleRequest | None:
    """A plain ``HTTP/1.1`` request's method, path and headers, as ``parse_request`` and
    ``http.client.parse_headers`` (the ``email`` parser) would make them, without the parser:
    ~3 us instead of ~23 for a client's seven headers. None (nothing read) when the request
    line is not plain; ``headers`` None when a header line is not (a folded, non-ASCII or
    malformed line, an early end, too many or too long lines, ``Connection`` or ``Expect``):
    then ``read`` holds the lines read, for the standard parse to read again. ``reader`` (the
    buffered stream ``readline`` reads): a plain block it holds whole is taken in one pass
    (:func:`_buffered_block`)."""
    known = _LINES.get(request_line)
    if known is None:
        m = _SIMPLE_REQUEST_LINE.fullmatch(request_line)
        if m is None:
            return None
        known = m.group(1).decode("ascii"), m.group(2).decode("ascii")
        if len(_LINES) >= _LINES_MAX:
            _LINES.clear()
        _LINES[request_line] = known
    command, path = known
    if reader is not None:
        headers = _buffered_block(reader)
        if headers is not None:
            return SimpleRequest(command, path, headers, [])
    read: list[bytes] = []
    fields: list[tuple[str, str]] = []
    while True:
        line = readline(_MAX_HEADER_LINE + 1)
        read.append(line)
        if len(line) > _MAX_HEADER_LINE or len(read) > _MAX_HEADERS:  # the blank line counts too
            return SimpleRequest(command, path, None, read)
        if line in (b"\r\n", b"\n"):
            break
        h = _SIMPLE_HEADER.fullmatch(line)
        if h is None:  # also b"" (the end of the stream)
            return SimpleRequest(command, path, None, read)
        name = h.group(1).decode("ascii")
        if name.lower() in _ACTED_ON:
            return SimpleRequest(command, path, None, read)
        fields.append((name, h.group(2).decode("ascii")))
    headers = RequestHeaders()
    for name, value in fields:
        headers.set_raw(name, value)
    return SimpleRequest(command, path, headers, read)


class Replay:
    """A reader that gives back ``lines`` first (each as one ``readline``), then reads on from
    ``readline``/``read``: the header lines :func:`read_simple_request` read, for the standard
    parse."""

    def __init__(self, lines: list[bytes], real: Any) -> None:
        self._lines = list(reversed(lines))
        self._real = real

    def readline(self, limit: int = -1) -> bytes:
        if self._lines:
            return self._lines.pop()
        return self._real.readline(limit)  # type: ignore[no-any-return]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


#: Go's ``maxPostHandlerReadBytes``: an unread rest of a body up to this is drained
MAX_DRAIN_BYTES = 256 << 10


class BodyTooLarge(Exception):
    """The body is over :data:`MAX_REQUEST_BODY_BYTES` (the handler answers 413).
    ``drained``: the rest was read away, the connection can serve the next request."""

    def __init__(self, drained: bool) -> None:
        super().__init__("request body too large")
        self.drained = drained


def _bad_request() -> FramingError:
    return FramingError(400, "400 Bad Request")


def content_length(headers: Message) -> int | None:
    """The one ``Content-Length`` (None when absent); Go's ``fixLength`` rules: every value the
    same, each all digits (no sign, no spaces inside)."""
    values = headers.get_all("Content-Length") or []
    if not values:
        return None
    if len(values) == 1 and type(values[0]) is str and values[0].isdigit() and values[0].isascii():
        return int(values[0])  # one value, all ASCII digits: the one part it splits into
    parts = {v.strip() for value in values for v in value.split(",")}
    if len(parts) != 1:
        raise _bad_request()  # "http: message cannot contain multiple Content-Length headers"
    text = parts.pop()
    if not text or not text.isascii() or not text.isdigit():
        raise _bad_request()  # badStringError("bad Content-Length", cl)
    return int(text)


def read_body(
    headers: Message,
    readline: Callable[[int], bytes],
    read: Callable[[int], bytes],
    limit: int = MAX_REQUEST_BODY_BYTES,
) -> bytes:
    """The request body, framed by ``Transfer-Encoding: chunked`` or ``Content-Length``.

    Raises :class:`FramingError` for what Go's server refuses and :class:`BodyTooLarge`
    over ``limit`` (the caller must then close the connection: the rest is unread).
    A short read (the client stopped sending) ends in the socket's timeout.
    """
    encodings = [e.strip().lower() for v in headers.get_all("Transfer-Encoding") or [] for e in v.split(",")]
    encodings = [e for e in encodings if e]
    if encodings:
        if encodings != ["chunked"]:
            # Go: &unsupportedTEError{...} -> "501 Unsupported transfer encoding"
            raise FramingError(501, "501 Unsupported transfer encoding")
        return _read_chunked(readline, read, limit)
    length = content_length(headers)
    if not length:
        return b""
    if length > limit:
        # limitedReadBody reads limit+1 bytes; then the server drains a small rest
        rest = length - (limit + 1)
        drain = rest <= MAX_DRAIN_BYTES
        got = read(limit + 1 + (rest if drain else 0))
        raise BodyTooLarge(drained=drain and len(got) == length)
    data = read(length)
    if len(data) < length:
        raise _bad_request()  # unexpected EOF: the client closed half way
    return data


def _read_chunked(readline: Callable[[int], bytes], read: Callable[[int], bytes], limit: int) -> bytes:
    chunks: list[bytes] = []
    total = 0
    while True:
        line = readline(4097)
        if not line.endswith(b"\n") or len(line) > 4096:
            raise _bad_request()  # "invalid byte in chunk length" / line too long / EOF
        size_text = line.split(b";", 1)[0].strip()
        try:
            if not size_text or not all(c in b"0123456789abcdefABCDEF" for c in size_text):
                raise ValueError(size_text)
            size = int(size_text, 16)
        except ValueError:
            raise _bad_request() from None
        if size == 0:
            # trailers, up to the blank line
            while True:
                trailer = readline(4097)
                if not trailer.endswith(b"\n"):
                    raise _bad_request()
                if trailer in (b"\r\n", b"\n"):
                    if total > limit:
                        raise BodyTooLarge(drained=True)
                    return b"".join(chunks)
        total += size
        if total > limit + MAX_DRAIN_BYTES:
            raise BodyTooLarge(drained=False)
        data = read(size)
        if len(data) < size:
            raise _bad_request()
        chunks.append(data)
        if read(2) != b"\r\n":
            raise _bad_request()  # "malformed chunked encoding"
