"""The fake's request parsing gives what ``http.server``'s does (issue #12, speed).

``KubeHandler.parse_request`` takes a plain request apart itself
(:func:`~pytest_mimo.fakes.kube.framing.read_simple_request`) and leaves anything else to
``BaseHTTPRequestHandler.parse_request`` (``http.client.parse_headers``, the ``email``
parser). Whatever the bytes, the outcome must be the standard one: the verdict, method, path,
version, whether the connection stays open, the headers (names, values, order, types) and
what is left unread for the body.
"""

from __future__ import annotations

import io
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_mimo.fakes.kube.framing import RequestHeaders, read_simple_request
from pytest_mimo.fakes.kube.responses import KubeHandler


class _Standard(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    MessageClass = RequestHeaders

    def __init__(self) -> None:  # no socket: the test sets the reader
        self.errors: list[int] = []

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        self.errors.append(code)

    def handle_expect_100(self) -> bool:
        self.errors.append(100)
        return True


class _Fake(KubeHandler):
    __init__ = _Standard.__init__
    send_error = _Standard.send_error  # type: ignore[assignment]
    handle_expect_100 = _Standard.handle_expect_100


#: how the request reaches the parser: unbuffered (read line by line), or through a buffer that
#: holds the whole header block (taken in one pass) or only part of it
READERS = {
    "plain": io.BytesIO,
    "buffered": lambda data: io.BufferedReader(io.BytesIO(data)),
    "small buffer": lambda data: io.BufferedReader(io.BytesIO(data), 64),
}


def _outcome(cls: type[Any], data: bytes, reader: Any = io.BytesIO) -> tuple[Any, ...]:
    h = cls()
    h.rfile = reader(data)
    h.raw_requestline = h.rfile.readline(65537)
    ok = h.parse_request()
    headers = getattr(h, "headers", None)
    items = [(k, v, type(v)) for k, v in headers.raw_items()] if ok and headers is not None else None
    got = ("Connection", "Expect", "Content-Length", "Host", "Accept")
    return (ok, h.errors, h.command, getattr(h, "path", None), h.request_version, h.close_connection,
            items, [headers.get(k) for k in got] if items is not None else None,
            [headers.get_all(k) for k in got] if items is not None else None, h.rfile.read())


PLAIN = (
    b"PUT /apis/apps/v1/namespaces/n/deployments/d?fieldValidation=Strict HTTP/1.1\r\n"
    b"Host: 127.0.0.1:1\r\nAccept-Encoding: identity\r\nContent-Length: 2\r\nAccept: application/json\r\n"
    b"Content-Type: application/json\r\nUser-Agent: OpenAPI-Generator/37.0.2/python\r\n"
    b"Authorization: Bearer t\r\n\r\n{}"
)


@pytest.mark.parametrize(
    "data",
    [
        PLAIN,
        PLAIN.replace(b"\r\n", b"\n"),
        PLAIN.replace(b"Host: ", b"Host:\t  ").replace(b"identity", b"identity  \t"),
        PLAIN.replace(b"Accept: application/json", b"Accept: application/json,\r\n  text/plain"),  # folded
        PLAIN.replace(b"User-Agent: ", b"User-Agent: caf\xc3\xa9 \x85 "),  # not ASCII, a latin-1 line break
        PLAIN.replace(b"Accept:", b"Accept :"),
        PLAIN.replace(b"Accept:", b": Accept"),
        PLAIN.replace(b"Accept: application/json\r\n", b"Connection: close\r\n"),
        PLAIN.replace(b"Accept: application/json\r\n", b"connection: keep-alive\r\n"),
        PLAIN.replace(b"Accept: application/json\r\n", b"Expect: 100-continue\r\n"),
        PLAIN.replace(b"Accept: application/json\r\n", b"X: a\rb\r\n"),
        PLAIN.replace(b"HTTP/1.1", b"HTTP/1.0"),
        PLAIN.replace(b"HTTP/1.1", b"HTTP/2.0"),
        PLAIN.replace(b" /apis", b" //apis"),
        PLAIN.replace(b"PUT ", b"PUT  "),
        PLAIN.split(b"\r\n\r\n")[0],  # the stream ends inside the headers
        PLAIN.replace(b"Host: 127.0.0.1:1\r\n", b"Host: 127.0.0.1:1\r\n" + b"X-A: b\r\n" * 92),  # 99 lines
        PLAIN.replace(b"Host: 127.0.0.1:1\r\n", b"Host: 127.0.0.1:1\r\n" + b"X-A: b\r\n" * 93),  # 100: too many
        PLAIN.replace(b"Host: 127.0.0.1:1", b"Host: " + b"h" * 65528),  # a line of 65536 bytes
        PLAIN.replace(b"Host: 127.0.0.1:1", b"Host: " + b"h" * 65529),  # one too long
        b"GET /a HTTP/1.1\r\n\r\n",  # no headers
        PLAIN.replace(b"Accept: application/json\r\n", b"Accept: application/json\n"),  # one bare LF
        PLAIN.replace(b"Accept: application/json\r\n", b"Accept: a\n\r\n"),  # ends early, CRLF CRLF later
        PLAIN.replace(b"\r\n\r\n", b"\r\n\n"),  # the blank line a bare LF
        PLAIN.replace(b"Accept: application/json", b"Accept: application/json \t "),
    ],
)
@pytest.mark.parametrize("reader", READERS)
def test_parsing_is_the_standard_one(data: bytes, reader: str) -> None:
    assert _outcome(_Fake, data, READERS[reader]) == _outcome(_Standard, data)
    assert _outcome(_Fake, data, READERS[reader]) == _outcome(_Standard, data)  # remembered


def test_a_buffered_plain_block_is_taken_in_one_pass() -> None:
    """The client's usual request, buffered whole: the header fields come from one pass over
    the buffer (no line read back), the same as the line-by-line parse, and the body is next."""
    line, rest = PLAIN.split(b"\r\n", 1)
    reader = io.BufferedReader(io.BytesIO(rest))
    got = read_simple_request(line + b"\r\n", reader.readline, reader)
    assert got is not None and got.headers is not None and got.read == []
    lines = io.BytesIO(rest)
    want = read_simple_request(line + b"\r\n", lines.readline)
    assert want is not None and want.headers is not None and want.read != []
    assert got.headers.items() == want.headers.items() and reader.read() == lines.read() == b"{}"


_LINE = st.lists(
    st.sampled_from([b"Host", b"X-A", b"accept", b"Connection", b"Expect", b":", b" ", b"\t", b"a", b"\xe9",
                     b"\x85", b"\r", b"\n", b"\r\n", b"close", b"100-continue", b"From "]),
    max_size=8,
).map(b"".join)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from([b"GET /a HTTP/1.1\r\n", b"PUT /a?b=c HTTP/1.1\n", b"GET //a HTTP/1.1\r\n"]),
       st.lists(_LINE, max_size=6), st.sampled_from([b"\r\n", b"\n", b""]), st.binary(max_size=4))
def test_any_header_block_parses_the_standard_way(line: bytes, headers: list[bytes], end: bytes, body: bytes) -> None:
    data = line + b"".join(h + b"\r\n" for h in headers) + end + body
    want = _outcome(_Standard, data)
    for reader in READERS.values():
        assert _outcome(_Fake, data, reader) == want
        assert _outcome(_Fake, data, reader) == want  # a plain block again: from memory
