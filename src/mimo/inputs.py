"""Every value that enters MIMO from outside, checked in one place.

Command-line arguments, JSON and TOML documents, kubeconfigs, environment
variables and configuration files (and the admin API, which reuses these)
pass through the functions here before anything acts on them. Each function
is pure (``read_file`` aside, which only reads), returns the parsed value and
raises :class:`InputError` naming the field and what is wrong with it:

* text is decoded as UTF-8 strictly (a lone surrogate, as Python makes of
  undecodable bytes in ``sys.argv`` and ``os.environ``, is refused too) and
  carries no control characters;
* documents are bounded in size and nesting depth *before* they are parsed,
  so no parser recurses or allocates without limit;
* numbers are written in ASCII digits only (``int('١٢٣')`` is 123 in Python;
  here it is refused), range-checked against what the store holds (64-bit
  signed) and against what makes sense; NaN and the infinities are refused;
* URLs are parsed (scheme, host, port in 1-65535, no spaces, no credentials,
  bounded length); kubeconfigs are parsed as YAML and checked against the
  kubeconfig schema (client-go ``clientcmd/api/v1``); durations and times are
  bounded.

The limits are module constants, listed in the README ("Input limits").
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import math
import os
import re
import stat
import sys
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

import yaml

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

__all__ = [
    "InputError",
    "shorten",
    "INT64_MIN",
    "INT64_MAX",
    "MAX_ARG_CHARS",
    "MAX_DOCUMENT_BYTES",
    "MAX_CONFIG_BYTES",
    "MAX_SECRET_BYTES",
    "MAX_DEPTH",
    "MAX_URL_CHARS",
    "MAX_UNIX_TIME",
    "MAX_DURATION",
    "MAX_LOOK_FORWARD_COUNT",
    "MAX_SCHEDULE_ACROSS",
    "text",
    "decode_utf8",
    "read_file",
    "read_text_file",
    "parse_json",
    "parse_toml",
    "parse_yaml",
    "check_depth",
    "parse_int",
    "check_int",
    "parse_float",
    "check_float",
    "parse_duration",
    "parse_time",
    "check_unix_time",
    "parse_url",
    "check_kubeconfig",
    "parse_kubeconfig",
]

# -- limits --------------------------------------------------------------------------------------

#: what the store's integer columns hold (SQLite INTEGER, Go ``int`` on 64-bit)
INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
#: one command-line argument or environment value (a path is at most PATH_MAX = 4096 bytes on Linux)
MAX_ARG_CHARS = 4096
#: a JSON document: the Azure Cosmos DB item limit (2 MB), where the Go MIMO keeps its documents
MAX_DOCUMENT_BYTES = 2 * 1024 * 1024
#: a configuration file (environment TOML, kubeconfig, CA bundle)
MAX_CONFIG_BYTES = 1024 * 1024
#: a file holding one secret (bearer token, client secret)
MAX_SECRET_BYTES = 64 * 1024
#: nesting of arrays/objects (JSON), arrays/tables (TOML), sequences/mappings (YAML)
MAX_DEPTH = 64
#: a URL (browsers and proxies commonly stop near 2,000-8,000 characters; an API server URL is short)
MAX_URL_CHARS = 2048
#: the last second of year 9999 (what RFC 3339 can write)
MAX_UNIX_TIME = 253_402_300_799
#: any duration given as input (``+90m``, ``scheduleAcross``): one leap year
MAX_DURATION = timedelta(days=366)
#: manifests a schedule creates ahead per cluster (``lookForwardCount``)
MAX_LOOK_FORWARD_COUNT = 100
#: the window a schedule spreads its clusters over (``scheduleAcross``): a month
MAX_SCHEDULE_ACROSS = timedelta(days=31)


class InputError(ValueError):
    """A value from outside that is refused; ``str()`` is ``"<what>: <why>"`` on one line."""

    def __init__(self, what: str, why: str = "") -> None:
        self.what = what
        self.why = why
        super().__init__(f"{what}: {why}" if why else what)


# -- text ----------------------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_CONTROL_LINE = re.compile(r"[\x00-\x1f\x7f]")


def shorten(value: str, limit: int = 60) -> str:
    """``repr`` of a value, cut so that one refusal stays one readable line."""
    r = repr(value)
    return r if len(r) <= limit else r[: limit - 5] + "…" + r[-4:]


def text(value: object, what: str, *, max_chars: int = MAX_ARG_CHARS, empty: bool = True,
         multiline: bool = False) -> str:
    """A string that is valid Unicode (no lone surrogates), without control characters, bounded."""
    if not isinstance(value, str):
        raise InputError(what, f"must be a string, got {type(value).__name__}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as e:
        raise InputError(what, f"is not valid UTF-8 (undecodable byte at character {e.start})") from None
    if len(value) > max_chars:
        raise InputError(what, f"is {len(value):,} characters long (at most {max_chars:,})")
    m = (_CONTROL if multiline else _CONTROL_LINE).search(value)
    if m:
        raise InputError(what, f"contains the control character {m.group()!r} at {m.start()}")
    if not empty and not value.strip():
        raise InputError(what, "must not be empty")
    return value


def decode_utf8(data: bytes, what: str) -> str:
    """``data`` decoded as UTF-8, strictly."""
    try:
        return data.decode("utf-8", errors="strict")
    except UnicodeDecodeError as e:
        raise InputError(what, f"is not valid UTF-8 (byte 0x{data[e.start]:02x} at offset {e.start})") from None


def read_file(path: str | os.PathLike[str], what: str, *, max_bytes: int) -> bytes:
    """The bytes of a regular file of at most ``max_bytes`` (a FIFO or device is refused, never read)."""
    p = os.fspath(path)
    if isinstance(p, str):
        text(p, what)
    try:
        fd = os.open(p, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise InputError(what, f"{p}: no such file") from None
    except IsADirectoryError:
        raise InputError(what, f"{p}: is a directory") from None
    except PermissionError:
        raise InputError(what, f"{p}: permission denied") from None
    except OSError as e:
        raise InputError(what, f"{p}: cannot open: {e.strerror}") from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise InputError(what, f"{p}: is a directory")
        if not stat.S_ISREG(st.st_mode):
            raise InputError(what, f"{p}: is not a regular file")
        if st.st_size > max_bytes:
            raise InputError(what, f"{p}: is {st.st_size:,} bytes (at most {max_bytes:,})")
        chunks: list[bytes] = []
        size = 0
        while size <= max_bytes:
            chunk = os.read(fd, min(1 << 20, max_bytes + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > max_bytes:
            raise InputError(what, f"{p}: is more than {max_bytes:,} bytes")
        return b"".join(chunks)
    except OSError as e:
        raise InputError(what, f"{p}: cannot read: {e.strerror}") from None
    finally:
        os.close(fd)


def read_text_file(path: str | os.PathLike[str], what: str, *, max_bytes: int) -> str:
    """A regular file's text, UTF-8 strictly, bounded."""
    return decode_utf8(read_file(path, what, max_bytes=max_bytes), f"{what}: {os.fspath(path)}")


# -- documents -----------------------------------------------------------------------------------

_JSON_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)
_TOML_TOKENS = re.compile(
    r'"""(?:[^\\]|\\.)*?"""|\'\'\'.*?\'\'\'|"(?:[^"\\\n]|\\.)*"|\'[^\'\n]*\'|#[^\n]*|[\[\]{}]', re.DOTALL
)
_OPEN = frozenset("[{")


def _bracket_depth(tokens: Iterable[re.Match[str]], what: str, max_depth: int) -> None:
    depth = 0
    for m in tokens:
        t = m.group()
        if t in _OPEN:
            depth += 1
            if depth > max_depth:
                raise InputError(what, f"nests deeper than {max_depth} levels")
        elif t in ("]", "}"):
            depth = max(0, depth - 1)


def check_depth(value: Any, what: str, *, max_depth: int = MAX_DEPTH) -> Any:
    """``value`` (parsed data) nests lists and mappings at most ``max_depth`` deep (checked without recursion)."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        v, d = stack.pop()
        if isinstance(v, Mapping):
            children: Iterable[Any] = v.values()
        elif isinstance(v, (list, tuple)):
            children = v
        else:
            continue
        if d + 1 > max_depth:
            raise InputError(what, f"nests deeper than {max_depth} levels")
        stack.extend((c, d + 1) for c in children)
    return value


def _json_int(s: str, what: str) -> int:
    digits = s.lstrip("-")
    if len(digits) > 19:
        raise InputError(what, f"the number {shorten(s)} does not fit in 64 bits")
    n = int(s)
    if not INT64_MIN <= n <= INT64_MAX:
        raise InputError(what, f"the number {s} does not fit in 64 bits")
    return n


def _json_float(s: str, what: str) -> float:
    if len(s) > 64:
        raise InputError(what, f"the number {shorten(s)} has too many digits")
    f = float(s)
    if not math.isfinite(f):
        raise InputError(what, f"the number {shorten(s)} is out of range")
    return f


def _json_constant(s: str, what: str) -> Any:
    raise InputError(what, f"{s} is not a JSON value (JSON has no NaN or infinities)")


def _json_object(pairs: list[tuple[str, Any]], what: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise InputError(what, f"the key {shorten(k)} is given twice")
        out[k] = v
    return out


def parse_json(data: str | bytes, what: str, *, max_bytes: int = MAX_DOCUMENT_BYTES,
               max_depth: int = MAX_DEPTH) -> Any:
    """A JSON document: strict UTF-8, at most ``max_bytes`` and ``max_depth``, numbers that fit 64 bits
    (integers) or a double (others), no NaN/Infinity, no key given twice."""
    import json

    if isinstance(data, bytes):
        if len(data) > max_bytes:
            raise InputError(what, f"is {len(data):,} bytes (at most {max_bytes:,})")
        data = decode_utf8(data, what)
    elif len(data) > max_bytes:  # characters >= bytes / 4; a cheap bound first
        raise InputError(what, f"is {len(data):,} characters (at most {max_bytes:,} bytes)")
    text(data, what, max_chars=max_bytes, multiline=True)
    _bracket_depth(_JSON_TOKENS.finditer(data), what, max_depth)
    try:
        return json.loads(
            data,
            parse_int=lambda s: _json_int(s, what),
            parse_float=lambda s: _json_float(s, what),
            parse_constant=lambda s: _json_constant(s, what),
            object_pairs_hook=lambda pairs: _json_object(pairs, what),
        )
    except json.JSONDecodeError as e:
        raise InputError(what, f"not valid JSON: {e.msg} at line {e.lineno} column {e.colno}") from None
    except RecursionError:  # pragma: no cover - the depth scan above refuses first
        raise InputError(what, f"nests deeper than {max_depth} levels") from None


def _toml_float(s: str, what: str) -> float:
    f = float(s)
    if not math.isfinite(f):
        raise InputError(what, f"the number {shorten(s)} is not finite (nan and inf are refused)")
    return f


def _check_toml_ints(value: Any, what: str) -> None:
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, dict):
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
        elif isinstance(v, int) and not isinstance(v, bool) and not INT64_MIN <= v <= INT64_MAX:
            raise InputError(what, f"the number {v} does not fit in 64 bits")


def parse_toml(data: str | bytes, what: str, *, max_bytes: int = MAX_CONFIG_BYTES,
               max_depth: int = MAX_DEPTH) -> dict[str, Any]:
    """A TOML document: strict UTF-8, bounded size and depth, 64-bit integers, no nan/inf."""
    if isinstance(data, bytes):
        if len(data) > max_bytes:
            raise InputError(what, f"is {len(data):,} bytes (at most {max_bytes:,})")
        data = decode_utf8(data, what)
    text(data, what, max_chars=max_bytes, multiline=True)
    _bracket_depth(_TOML_TOKENS.finditer(data), what, max_depth)
    try:
        parsed = tomllib.loads(data, parse_float=lambda s: _toml_float(s, what))
    except InputError:
        raise
    except RecursionError:  # pragma: no cover - the depth scan above refuses first
        raise InputError(what, f"nests deeper than {max_depth} levels") from None
    except ValueError as e:  # TOMLDecodeError, and int() of more than 4,300 digits
        if "integer string conversion" in str(e):
            raise InputError(what, "a number has thousands of digits (it does not fit in 64 bits)") from None
        raise InputError(what, f"not valid TOML: {' '.join(str(e).split())}") from None
    check_depth(parsed, what, max_depth=max_depth)  # dotted keys nest without brackets
    _check_toml_ints(parsed, what)
    return parsed


class _UniqueKeyLoader(yaml.SafeLoader):
    """The safe loader, refusing a mapping key given twice (YAML says keys are unique)."""

    def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
        seen: list[Any] = []
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"the key {shorten(str(key))} is given twice", key_node.start_mark)
            seen.append(key)
        return super().construct_mapping(node, deep=deep)


def parse_yaml(data: str | bytes, what: str, *, max_bytes: int = MAX_CONFIG_BYTES,
               max_depth: int = MAX_DEPTH) -> Any:
    """One YAML document (safe types only): strict UTF-8, bounded size and depth, no aliases
    (a few aliases expand to billions of nodes)."""
    if isinstance(data, bytes):
        if len(data) > max_bytes:
            raise InputError(what, f"is {len(data):,} bytes (at most {max_bytes:,})")
        data = decode_utf8(data, what)
    text(data, what, max_chars=max_bytes, multiline=True)
    try:
        depth = 0
        for event in yaml.parse(data, Loader=yaml.SafeLoader):
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > max_depth:
                    raise InputError(what, f"nests deeper than {max_depth} levels")
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
            elif isinstance(event, yaml.AliasEvent):
                raise InputError(what, f"uses the YAML alias *{event.anchor} (aliases are refused)")
        return yaml.load(data, Loader=_UniqueKeyLoader)  # a SafeLoader: plain data only
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark is not None else ""
        problem = getattr(e, "problem", None) or type(e).__name__
        raise InputError(what, f"not valid YAML: {' '.join(str(problem).split())}{where}") from None
    except (ValueError, OverflowError) as e:  # e.g. a timestamp YAML resolves but datetime refuses
        raise InputError(what, f"not valid YAML: {' '.join(str(e).split())}") from None


# -- numbers -------------------------------------------------------------------------------------

_ASCII_INT = re.compile(r"[+-]?[0-9]+")
_ASCII_FLOAT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def _range(n: float, what: str, minimum: float | None, maximum: float | None, *,
           min_open: bool = False) -> None:
    if minimum is not None and (n <= minimum if min_open else n < minimum):
        raise InputError(what, f"{n:g} is {'not above' if min_open else 'below'} the minimum {minimum:g}"
                         if isinstance(n, float) else
                         f"{n} is {'not above' if min_open else 'below'} the minimum {minimum}")
    if maximum is not None and n > maximum:
        raise InputError(what, f"{n:g} is above the maximum {maximum:g}" if isinstance(n, float)
                         else f"{n} is above the maximum {maximum}")


def parse_int(value: str, what: str, *, minimum: int = INT64_MIN, maximum: int = INT64_MAX) -> int:
    """An integer written in ASCII digits (an optional sign), within ``[minimum, maximum]``."""
    v = text(value, what).strip()
    if not _ASCII_INT.fullmatch(v):
        raise InputError(what, f"{shorten(value)} is not an integer (ASCII digits 0-9)")
    if len(v.lstrip("+-").lstrip("0")) > 19:
        raise InputError(what, f"{shorten(v)} does not fit in 64 bits")
    n = int(v)
    if not INT64_MIN <= n <= INT64_MAX:
        raise InputError(what, f"{v} does not fit in 64 bits")
    _range(n, what, minimum, maximum)
    return n


def check_int(value: object, what: str, *, minimum: int = INT64_MIN, maximum: int = INT64_MAX) -> int:
    """An integer from a parsed document (``True`` is not one), within ``[minimum, maximum]``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(what, f"must be an integer, got {shorten(repr(value))}")
    if not INT64_MIN <= value <= INT64_MAX:
        raise InputError(what, f"{shorten(str(value))} does not fit in 64 bits")
    _range(value, what, minimum, maximum)
    return value


def parse_float(value: str, what: str, *, minimum: float | None = None, maximum: float | None = None,
                min_open: bool = False) -> float:
    """A finite decimal number in ASCII (``nan``, ``inf``, ``1e999``, ``١.٥`` are refused)."""
    v = text(value, what).strip()
    if len(v) > 64 or not _ASCII_FLOAT.fullmatch(v):
        raise InputError(what, f"{shorten(value)} is not a number (ASCII digits, e.g. 1.5)")
    return check_float(float(v), what, minimum=minimum, maximum=maximum, min_open=min_open)


def check_float(value: object, what: str, *, minimum: float | None = None, maximum: float | None = None,
                min_open: bool = False) -> float:
    """A finite number from a parsed document, within bounds."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(what, f"must be a number, got {shorten(repr(value))}")
    f = float(value) if not isinstance(value, int) or abs(value) < 2**53 else math.inf
    if not math.isfinite(f):
        raise InputError(what, f"{shorten(str(value))} is not a finite number")
    _range(f, what, minimum, maximum, min_open=min_open)
    return f


# -- durations and times -------------------------------------------------------------------------


def parse_duration(value: str, what: str, *, maximum: timedelta = MAX_DURATION,
                   minimum: timedelta = timedelta(0)) -> timedelta:
    """A Go-style duration (``90m``, ``1h30m``, ``0s``) within ``[minimum, maximum]``."""
    from mimo.durations import parse_duration as _parse

    v = text(value, what, max_chars=64)
    try:
        d = _parse(v)
    except ValueError as e:
        raise InputError(what, str(e)) from None
    if d > maximum:
        from mimo.durations import format_duration

        raise InputError(what, f"{v.strip()} is longer than the maximum {format_duration(maximum)}")
    if d < minimum:
        raise InputError(what, f"{v.strip()} is shorter than the minimum")
    return d


_RFC3339 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,9})?(?:[Zz]|[+-][0-9]{2}:[0-9]{2})?"
)


def check_unix_time(value: int, what: str) -> int:
    """Unix seconds between 1970 and the end of year 9999."""
    return check_int(value, what, minimum=0, maximum=MAX_UNIX_TIME)


def parse_time(value: str, what: str, *, now: int) -> int:
    """``now``, ``+<duration>`` (``+90m``), Unix seconds, or RFC 3339 with a zone -> Unix seconds."""
    v = text(value, what, max_chars=64).strip()
    if v == "now":
        return check_unix_time(now, what)
    if v.startswith("+"):
        d = parse_duration(v[1:], what)
        return check_unix_time(now + int(d.total_seconds()), what)
    if _ASCII_INT.fullmatch(v):
        return parse_int(v, what, minimum=0, maximum=MAX_UNIX_TIME)
    if not _RFC3339.fullmatch(v):
        raise InputError(what, f"{shorten(value)} is not a time (now, +90m, Unix seconds, or RFC 3339 like "
                               "2026-01-05T00:00:00Z)")
    if v[-1] not in "Zz" and not re.search(r"[+-][0-9]{2}:[0-9]{2}$", v):
        raise InputError(what, f"{shorten(value)} has no time zone (add Z for UTC)")
    iso = v[:-1] + "+00:00" if v[-1] in "Zz" else v
    frac = re.search(r"\.([0-9]+)", iso)
    if frac and len(frac.group(1)) > 6:  # datetime keeps microseconds; nanoseconds are dropped
        iso = iso.replace(frac.group(0), "." + frac.group(1)[:6])
    try:
        t = datetime.fromisoformat(iso.replace("t", "T").replace(" ", "T", 1))
    except ValueError as e:
        raise InputError(what, f"{shorten(value)} is not a valid time: {e}") from None
    try:
        seconds = int(t.astimezone(timezone.utc).timestamp())
    except (OverflowError, ValueError):
        raise InputError(what, f"{shorten(value)} is out of range") from None
    return check_unix_time(seconds, what)


# -- URLs ----------------------------------------------------------------------------------------

_HOST_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")


def _check_host(host: str, what: str, url: str) -> None:
    if host.startswith("["):
        try:
            ipaddress.IPv6Address(host[1:-1].split("%", 1)[0])
        except ValueError:
            raise InputError(what, f"{shorten(url)}: {host} is not an IPv6 address") from None
        return
    if len(host) > 253:
        raise InputError(what, f"{shorten(url)}: the host name is longer than 253 characters")
    labels = host.rstrip(".").split(".")
    if not all(_HOST_LABEL.fullmatch(label) for label in labels):
        raise InputError(what, f"{shorten(url)}: {shorten(host, 40)} is not a host name or IP address")


def parse_url(value: str, what: str, *, schemes: tuple[str, ...] = ("https", "http"),
              max_chars: int = MAX_URL_CHARS) -> str:
    """An absolute URL: a scheme from ``schemes``, a host (DNS name, IPv4, ``[IPv6]``), a port in
    1-65535 when given, no spaces or control characters, no ``user:password@``, no fragment."""
    v = text(value, what, max_chars=max_chars)
    if not v:
        raise InputError(what, "must not be empty")
    if any(c.isspace() for c in v):
        raise InputError(what, f"{shorten(v)} contains a space")
    if not v.isascii():
        raise InputError(what, f"{shorten(v)} has non-ASCII characters (write the host in punycode)")
    try:
        parts = urlsplit(v)
        port = parts.port
    except ValueError as e:
        raise InputError(what, f"{shorten(v)} is not a URL: {e}") from None
    if parts.scheme.lower() not in schemes:
        raise InputError(what, f"{shorten(v)} is not an {'/'.join(schemes)} URL")
    netloc = parts.netloc
    if "@" in netloc:
        raise InputError(what, f"{shorten(v)} carries credentials (user@); give them another way")
    host = netloc
    if host.startswith("["):
        end = host.find("]")
        host = host[: end + 1]
    elif ":" in host:
        host = host.rsplit(":", 1)[0]
    if not host:
        raise InputError(what, f"{shorten(v)} has no host")
    _check_host(host, what, v)
    if port is None and netloc.endswith(":"):
        raise InputError(what, f"{shorten(v)} has an empty port")
    if port is not None and not 1 <= port <= 65535:
        raise InputError(what, f"{shorten(v)}: port {port} is not in 1-65535")
    if parts.fragment or v.endswith("#"):
        raise InputError(what, f"{shorten(v)} has a fragment (#…)")
    return v


# -- kubeconfig ----------------------------------------------------------------------------------

#: client-go ``tools/clientcmd/api/v1`` types: the fields each entry may carry, and their types.
#: Unknown fields are accepted (client-go decodes kubeconfigs leniently); known ones must have their type.
_KUBE_CLUSTER = {
    "server": str, "tls-server-name": str, "insecure-skip-tls-verify": bool, "certificate-authority": str,
    "certificate-authority-data": str, "proxy-url": str, "disable-compression": bool, "extensions": list,
}
_KUBE_USER = {
    "client-certificate": str, "client-certificate-data": str, "client-key": str, "client-key-data": str,
    "token": str, "tokenFile": str, "as": str, "as-uid": str, "as-groups": list, "as-user-extra": dict,
    "username": str, "password": str, "auth-provider": dict, "exec": dict, "extensions": list,
}
_KUBE_CONTEXT = {"cluster": str, "user": str, "namespace": str, "extensions": list}
_KUBE_TOP = {
    "apiVersion": str, "kind": str, "preferences": dict, "clusters": list, "users": list, "contexts": list,
    "current-context": str, "extensions": list,
}
_TYPE_NAMES = {str: "a string", bool: "true or false", list: "a list", dict: "a mapping"}


def _typed(d: Mapping[str, Any], schema: Mapping[str, type], where: str) -> None:
    for key, typ in schema.items():
        v = d.get(key)
        if v is None:
            continue
        if not isinstance(v, typ) or (typ is not bool and isinstance(v, bool)):
            raise InputError(f"{where}.{key}", f"must be {_TYPE_NAMES[typ]}, got {type(v).__name__}")
        if typ is str:
            text(v, f"{where}.{key}", max_chars=MAX_CONFIG_BYTES)


def _b64(value: str, where: str) -> None:
    try:
        base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise InputError(where, "is not valid base64") from None


def check_kubeconfig(data: Any, what: str = "kubeconfig") -> dict[str, Any]:
    """A parsed kubeconfig that can reach a cluster: the v1 ``Config`` schema (named lists of clusters,
    users and contexts, names unique), and a ``current-context`` naming a context whose cluster (with an
    http(s) ``server``) and user are defined — as client-go's ``clientcmd.Validate`` requires."""
    if not isinstance(data, dict):
        raise InputError(what, "is not a kubeconfig (a YAML mapping with clusters, users and contexts)")
    _typed(data, _KUBE_TOP, what)
    if data.get("kind") not in (None, "Config"):
        raise InputError(f"{what}.kind", f"{shorten(str(data['kind']))} is not Config")
    if data.get("apiVersion") not in (None, "v1"):
        raise InputError(f"{what}.apiVersion", f"{shorten(str(data['apiVersion']))} is not v1")
    named: dict[str, dict[str, dict[str, Any]]] = {}
    for section, inner, schema in (("clusters", "cluster", _KUBE_CLUSTER), ("users", "user", _KUBE_USER),
                                   ("contexts", "context", _KUBE_CONTEXT)):
        entries: dict[str, dict[str, Any]] = {}
        for i, item in enumerate(data.get(section) or []):
            where = f"{what}.{section}[{i}]"
            if not isinstance(item, dict):
                raise InputError(where, "must be a mapping with name and " + inner)
            name = item.get("name")
            if not isinstance(name, str) or not name:
                raise InputError(f"{where}.name", "must be a non-empty string")
            text(name, f"{where}.name")
            if name in entries:
                raise InputError(f"{where}.name", f"{shorten(name)} is given twice")
            body = item.get(inner)
            if body is None:
                body = {}
            if not isinstance(body, dict):
                raise InputError(f"{where}.{inner}", "must be a mapping")
            _typed(body, schema, f"{where}.{inner}")
            entries[name] = body
            if inner == "cluster":
                if body.get("certificate-authority-data"):
                    _b64(body["certificate-authority-data"], f"{where}.cluster.certificate-authority-data")
                if body.get("proxy-url"):
                    parse_url(body["proxy-url"], f"{where}.cluster.proxy-url", schemes=("http", "https", "socks5"))
            if inner == "user":
                for key in ("client-certificate-data", "client-key-data"):
                    if body.get(key):
                        _b64(body[key], f"{where}.user.{key}")
        named[section] = entries
    current = data.get("current-context")
    if not current:
        raise InputError(f"{what}.current-context", "is not set (MIMO reaches the cluster of the current context)")
    ctx = named["contexts"].get(current)
    if ctx is None:
        raise InputError(f"{what}.current-context", f"{shorten(current)} is not one of the contexts")
    cluster_name = ctx.get("cluster")
    if not cluster_name:
        raise InputError(f"{what}: context {shorten(current)}", "names no cluster")
    cluster = named["clusters"].get(cluster_name)
    if cluster is None:
        raise InputError(f"{what}: context {shorten(current)}", f"cluster {shorten(cluster_name)} is not defined")
    user_name = ctx.get("user")
    if not user_name:  # client-go clientcmd validateContext: "user was not specified for context"
        raise InputError(f"{what}: context {shorten(current)}", "names no user")
    if user_name not in named["users"]:
        raise InputError(f"{what}: context {shorten(current)}", f"user {shorten(user_name)} is not defined")
    if not cluster.get("server"):
        raise InputError(f"{what}: cluster {shorten(cluster_name)}", "has no server")
    parse_url(cluster["server"], f"{what}: cluster {shorten(cluster_name)} server")
    return data


def parse_kubeconfig(data: str | bytes, what: str = "kubeconfig") -> dict[str, Any]:
    """A kubeconfig file's content: YAML (bounded, no aliases), then :func:`check_kubeconfig`."""
    return check_kubeconfig(parse_yaml(data, what), what)
