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
from typing import Any

import yaml

from . import protobuf

__all__ = ["JSON", "PROTOBUF", "YAML", "encode"]

JSON = "application/json"
YAML = "application/yaml"
PROTOBUF = protobuf.MEDIA_TYPE

_ENCODER = json.JSONEncoder(separators=(",", ":"))


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
