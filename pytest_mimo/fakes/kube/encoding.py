"""A response document in the media type negotiated for it: JSON (``encoding/json``, compact),
YAML (sigs.k8s.io/yaml: the JSON re-emitted by go-yaml v2, keys sorted) or protobuf
(:func:`.protobuf.encode_object`).

go-yaml v2 double-quotes a string that would read back as another type (``""``, ``"true"``,
a number, a timestamp) and leaves the rest to the emitter's plain/single-quoted analysis, which
PyYAML's emitter shares (both are libyaml's); the output matches k8s.io/api's round-trip
fixtures (``testdata/HEAD/*.yaml``) byte for byte. PyYAML resolves YAML 1.1 a little more
narrowly than go-yaml (``y``/``n`` are strings to it), so such a string may come out plain.
"""

from __future__ import annotations

import json
import json.encoder
from typing import Any

import yaml

from . import protobuf

__all__ = ["JSON", "PROTOBUF", "YAML", "compact", "encode", "stored_json"]

JSON = "application/json"
YAML = "application/yaml"
PROTOBUF = protobuf.MEDIA_TYPE

_ENCODER = json.JSONEncoder(separators=(",", ":"))
_C_ENCODER: Any = getattr(json.encoder, "c_make_encoder", None)  # None: no _json accelerator
_ENCODE_KEY = json.encoder.encode_basestring_ascii


def _c_encoder() -> Any:
    """The C encoder ``JSONEncoder.iterencode`` makes for a one-shot encoding, with the same
    arguments (a fresh dict of markers: a circular object is the same ValueError)."""
    e = _ENCODER
    return _C_ENCODER(
        {}, e.default, _ENCODE_KEY, None, e.key_separator, e.item_separator, e.sort_keys, e.skipkeys, e.allow_nan,
    )


def compact(obj: Any) -> bytes:
    """``json.dumps(obj, separators=(",", ":"))`` as bytes. A dict goes straight to the C encoder
    (:func:`_c_encoder`), without the Python layers in between (~1 us of a Deployment's ~5)."""
    if _C_ENCODER is None or type(obj) is not dict:
        return _ENCODER.encode(obj).encode()
    return "".join(_c_encoder()(obj, 0)).encode()


class _ByIdentity:
    """Encodings of values by identity: ``id`` -> (the value, its bytes). A stored object is never
    changed in place (a write stores a new one, which may share the old one's parts: ``KubeModel``),
    so an encoding holds while the value lives, and the entry keeps the value alive (its ``id`` is
    not reused meanwhile). Bounded in entries and bytes: full, it starts again; an encoding over
    the byte bound is not kept."""

    __slots__ = ("table", "max_items", "max_bytes", "_bytes")

    def __init__(self, max_items: int, max_bytes: int) -> None:
        self.table: dict[int, tuple[Any, bytes]] = {}
        self.max_items, self.max_bytes, self._bytes = max_items, max_bytes, 0

    def get(self, value: Any) -> bytes | None:
        hit = self.table.get(id(value))
        return hit[1] if hit is not None and hit[0] is value else None

    def put(self, value: Any, data: bytes) -> None:
        size = len(data)
        if size > self.max_bytes:
            return
        if len(self.table) >= self.max_items or self._bytes + size > self.max_bytes:
            self.table.clear()
            self._bytes = 0
        self.table[id(value)] = (value, data)
        self._bytes += size

    def clear(self) -> None:
        self.table.clear()
        self._bytes = 0


#: the JSON of stored objects served lately (a GET of an unchanged object sends the bytes it was
#: answered with), and of their top-level parts but the metadata (a write that leaves the spec
#: and status as they were shares them with the object it replaces: only the rest is encoded)
_OBJECTS = _ByIdentity(1024, 64 * 2**20)
_PARTS = _ByIdentity(2048, 64 * 2**20)


#: ``"key":`` as the encoder writes it, by key (the few top-level keys objects have)
_KEYS: dict[str, bytes] = {}


def _composed(obj: dict[str, Any]) -> bytes:
    """:func:`compact` of a stored object, its top-level parts (but ``metadata``) encoded once
    each: the encoder writes a dict as ``{`` key ``:`` value, ``,``-separated, ``}``, each value's
    encoding independent of where it is, so the pieces joined are the same bytes. A key that is
    not a string (the encoder would convert it, or refuse it) leaves it all to :func:`compact`."""
    pieces = []
    encoder = None
    for k, v in obj.items():
        key = _KEYS.get(k)  # type: ignore[arg-type]
        if key is None:
            if type(k) is not str:
                return compact(obj)
            key = (_ENCODE_KEY(k) + ":").encode()
            if len(_KEYS) < 256:
                _KEYS[k] = key
        t = type(v)
        if t is str:
            pieces.append(key + _ENCODE_KEY(v).encode())
            continue
        enc = _PARTS.get(v) if (t is dict or t is list) and k != "metadata" else None
        if enc is None:
            if encoder is None:
                encoder = _c_encoder()
            enc = "".join(encoder(v, 0)).encode()
            if (t is dict or t is list) and k != "metadata":
                _PARTS.put(v, enc)
        pieces.append(key + enc)
    return b"{" + b",".join(pieces) + b"}"


def stored_json(obj: dict[str, Any]) -> bytes:
    """:func:`compact` of a stored object (never changed in place), remembered by identity: the
    object a write just stored and answered with is sent as is by the GETs that follow."""
    data = _OBJECTS.get(obj)
    if data is None:
        data = _composed(obj) if _C_ENCODER is not None and type(obj) is dict else compact(obj)
        _OBJECTS.put(obj, data)
    return data


class _GoYAMLDumper(yaml.SafeDumper):
    """sigs.k8s.io/yaml's style: block style, strings quoted as go-yaml v2 quotes them."""


def _represent_str(dumper: yaml.SafeDumper, s: str) -> yaml.ScalarNode:
    style = None
    if "\n" in s:
        style = "|"
    elif dumper.resolve(yaml.ScalarNode, s, (True, False)) != "tag:yaml.org,2002:str":
        style = '"'
    return dumper.represent_scalar("tag:yaml.org,2002:str", s, style=style)


_GoYAMLDumper.add_representer(str, _represent_str)


def encode(doc: dict[str, Any], media_type: str) -> bytes:
    """``doc`` in ``media_type`` (one of :data:`JSON`, :data:`YAML`, :data:`PROTOBUF`)."""
    if media_type == PROTOBUF:
        return protobuf.encode_object(doc)
    if media_type == YAML:
        text: str = yaml.dump(doc, Dumper=_GoYAMLDumper, sort_keys=True, default_flow_style=False, allow_unicode=True)
        return text.encode()
    return _ENCODER.encode(doc).encode()
