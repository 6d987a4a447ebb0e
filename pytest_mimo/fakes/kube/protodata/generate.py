"""Regenerate ``fields.json`` from the Kubernetes ``generated.proto`` files (not imported at run time).

    python pytest_mimo/fakes/kube/protodata/generate.py <kubernetes/api checkout> <kubernetes/apimachinery checkout>

The sources are the ``generated.proto`` files of ``k8s.io/api`` and ``k8s.io/apimachinery``
(go-to-protobuf output; field names are the JSON names). The output maps each message's full
name to its fields by number: ``[json name, kind, type(s), repeated]`` where kind is
``scalar``, ``message`` or ``map``. Only what the fake decodes or encodes is kept (the groups below).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

API_FILES = ["core/v1", "apps/v1", "rbac/v1", "autoscaling/v1", "authorization/v1", "apidiscovery/v2", "apidiscovery/v2beta1"]
MACHINERY_FILES = ["pkg/apis/meta/v1", "pkg/runtime", "pkg/util/intstr", "pkg/api/resource"]

_SCALARS = {"string", "bytes", "bool", "int32", "int64", "uint32", "uint64", "double", "float", "sint32", "sint64"}
_FIELD = re.compile(r"^\s*(optional|repeated)?\s*([\w.]+)\s+(\w+)\s*=\s*(\d+)\s*;")
_MAP = re.compile(r"^\s*map<\s*([\w.]+)\s*,\s*([\w.]+)\s*>\s+(\w+)\s*=\s*(\d+)\s*;")


def _qualify(name: str, package: str) -> str:
    if name in _SCALARS:
        return name
    return name[1:] if name.startswith(".") else f"{package}.{name}"


def parse(text: str) -> dict[str, dict[str, list[object]]]:
    package, message = "", ""
    out: dict[str, dict[str, list[object]]] = {}
    for line in text.splitlines():
        line = line.split("//", 1)[0]
        if m := re.match(r"^\s*package\s+([\w.]+)\s*;", line):
            package = m.group(1)
        elif m := re.match(r"^\s*message\s+(\w+)\s*\{", line):
            message = f"{package}.{m.group(1)}"
            out[message] = {}
        elif line.strip() == "}":
            message = ""
        elif message and (m := _MAP.match(line)):
            out[message][m.group(4)] = [m.group(3), "map", [_qualify(m.group(1), package), _qualify(m.group(2), package)], False]
        elif message and (m := _FIELD.match(line)):
            type_ = _qualify(m.group(2), package)
            kind = "scalar" if type_ in _SCALARS else "message"
            out[message][m.group(4)] = [m.group(3), kind, type_, m.group(1) == "repeated"]
    return out


def main() -> None:
    api, machinery = Path(sys.argv[1]), Path(sys.argv[2])
    fields: dict[str, dict[str, list[object]]] = {}
    for base, dirs in ((api, API_FILES), (machinery, MACHINERY_FILES)):
        for d in dirs:
            fields.update(parse((base / d / "generated.proto").read_text()))
    out = Path(__file__).with_name("fields.json")
    out.write_text(json.dumps(fields, sort_keys=True, separators=(",", ":")) + "\n")
    print(f"{len(fields)} messages -> {out}")


if __name__ == "__main__":
    main()
