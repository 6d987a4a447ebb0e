"""``/openapi/v3``: the index and one OpenAPI 3.0 document per served group-version.

As kube-openapi's ``pkg/handler3/handler.go`` serves them:

- the index maps ``api/v1``, ``apis/<group>/<version>`` to ``serverRelativeURL``
  ``/openapi/v3/<path>?hash=<H>``, ``H`` the upper-case hex SHA-512 of the document's bytes
  (``computeETag``); the index carries its own ETag;
- a document answers ``application/json`` with that ETag quoted and ``Vary: Accept``; asked
  with the current ``hash`` it is ``Cache-Control: public, immutable``, with a stale one a
  301 to the current URL; an Accept that names neither JSON nor ``*/*`` is a bare 406.

The documents' schemas are the real ones: a built-in kind's definitions from the
``kubernetes-validate`` data the fake validates with (its JSON-schema spelling turned back
into OpenAPI: ``#/components/schemas/`` references, ``allOf`` around a reference with
siblings as kube-openapi's v3 builder writes them, no ``null`` types, no strict-variant
``additionalProperties: false`` or kind enums), every definition they reach included; a
custom kind's ``openAPIV3Schema`` from its CRD, under apiextensions' name for it (the
group reversed, ``io.openshift.config.v1.ClusterVersion``), ``metadata`` an ObjectMeta
reference (``controller/openapi/builder``). Paths list each kind's operations with their
``x-kubernetes-action`` and the ``fieldValidation`` parameter (what kubectl looks for before
it asks for server-side field validation). Documents are built once per set of kinds.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from . import negotiation
from .kinds import KindInfo
from .schemas import (
    KUBERNETES_VERSION,
    builtin_definitions,
    builtin_kinds,
    crd,
    registered_crd_schema,
)

__all__ = ["ACCEPTED", "gv_path", "index", "document", "etag", "schema_name", "negotiate"]

Doc = dict[str, Any]

_REF = "#/components/schemas/"
_OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
_LIST_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta"

#: kube-openapi's spelling of the two definitions kubernetes-validate writes as ``oneOf``
_SPECIAL: dict[str, Doc] = {
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString": {"type": "string", "format": "int-or-string"},
    "io.k8s.apimachinery.pkg.api.resource.Quantity": {"type": "string"},
}


def gv_path(api_version: str) -> str:
    return "api/v1" if api_version == "v1" else f"apis/{api_version}"


def schema_name(k: KindInfo) -> str:
    """The components/schemas key of ``k``: the Go definition's name for a built-in kind;
    apiextensions' (group reversed, version, kind) for a custom one."""
    if k.builtin:
        name = builtin_kinds().get((k.api_version, k.kind))
        if name:
            return name
    return ".".join(reversed(k.group.split("."))) + f".{k.version}.{k.kind}"


def _convert(s: Any) -> Any:
    """One kubernetes-validate (JSON schema) node as OpenAPI 3.0."""
    if isinstance(s, list):
        return [_convert(x) for x in s]
    if not isinstance(s, dict):
        return s
    out: Doc = {}
    for key, value in s.items():
        if key == "$ref":
            out[key] = _REF + value.rsplit("/", 1)[-1]
        elif key == "type":
            types = [t for t in (value if isinstance(value, list) else [value]) if t != "null"]
            if types:
                out[key] = types[0]
        elif key == "additionalProperties":
            if value is not False:
                out[key] = _convert(value)
        elif key == "properties":
            out[key] = {name: _convert(p) for name, p in value.items()}
        else:
            out[key] = _convert(value) if key in ("items", "oneOf", "anyOf", "allOf", "not") else value
    if "$ref" in out and len(out) > 1:
        # OpenAPI 3.0 ignores a reference's siblings: the v3 builder wraps it
        out = {"allOf": [{"$ref": out.pop("$ref")}], **out}
    return out


def _builtin_schema(name: str) -> Doc:
    d = builtin_definitions()[name]
    if name in _SPECIAL:
        return dict(_SPECIAL[name])
    out: Doc = _convert(d)
    props = out.get("properties") or {}
    for field in ("apiVersion", "kind"):
        if "x-kubernetes-group-version-kind" in d and isinstance(props.get(field), dict):
            props[field].pop("enum", None)  # the strict variant's, not the API's
    return out


def _refs(node: Any, into: set[str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(_REF):
            into.add(ref[len(_REF):])
        for v in node.values():
            _refs(v, into)
    elif isinstance(node, list):
        for v in node:
            _refs(v, into)


def _close(schemas: Doc) -> None:
    """Add every built-in definition the schemas reach."""
    todo: set[str] = set()
    _refs(schemas, todo)
    while todo:
        name = todo.pop()
        if name in schemas or name not in builtin_definitions():
            continue
        schemas[name] = _builtin_schema(name)
        _refs(schemas[name], todo)


def _crd_schema(k: KindInfo) -> Doc | None:
    if k.schema_id:
        root = registered_crd_schema(k.schema_id)
    else:
        doc = crd(k.api_version, k.kind) or {}
        version: Doc = next((v for v in doc.get("spec", {}).get("versions") or () if v.get("name") == k.version), {})
        root = (version.get("schema") or {}).get("openAPIV3Schema")
    if not isinstance(root, dict):
        return None
    out = json.loads(json.dumps(root))  # a copy: the CRD's document is shared
    props = out.setdefault("properties", {})
    meta_doc = builtin_definitions()["io.k8s.api.apps.v1.Deployment"]["properties"]
    for field in ("apiVersion", "kind"):
        props[field] = {"description": meta_doc[field]["description"], "type": "string"}
    props["metadata"] = {"allOf": [{"$ref": _REF + _OBJECT_META}], "description": meta_doc["metadata"]["description"]}
    out["x-kubernetes-group-version-kind"] = [{"group": k.group, "kind": k.kind, "version": k.version}]
    return out


def _list_schema(k: KindInfo, item: str) -> Doc:
    return {
        "description": f"{k.kind}List is a list of {k.kind}",
        "type": "object",
        "required": ["items"],
        "properties": {
            "apiVersion": {"type": "string"},
            "items": {"type": "array", "items": {"$ref": _REF + item}},
            "kind": {"type": "string"},
            "metadata": {"allOf": [{"$ref": _REF + _LIST_META}], "default": {}},
        },
        "x-kubernetes-group-version-kind": [{"group": k.group, "kind": f"{k.kind}List", "version": k.version}],
    }


_FIELD_VALIDATION = {
    "name": "fieldValidation",
    "in": "query",
    "description": "fieldValidation instructs the server on how to handle objects in the request containing unknown or duplicate fields.",
    "schema": {"type": "string", "uniqueItems": True},
}


def _paths(k: KindInfo, name: str) -> Doc:
    gvk = {"group": k.group, "version": k.version, "kind": k.kind}
    ref = {"$ref": _REF + name}
    ok = {"200": {"description": "OK", "content": {"application/json": {"schema": ref}}}}
    prefix = f"/{gv_path(k.api_version)}/" + ("namespaces/{namespace}/" if k.namespaced else "")
    paths: Doc = {}
    for path in (f"{prefix}{k.plural}/{{name}}", f"{prefix}{k.plural}/{{name}}/status" if k.has_status else None):
        if path is None:
            continue
        item: Doc = {}
        for method in ("get", "put", "patch", "delete"):
            op: Doc = {
                "operationId": f"{method}{k.kind}",
                "responses": ok,
                "x-kubernetes-action": method,
                "x-kubernetes-group-version-kind": gvk,
            }
            if method in ("put", "patch"):
                op["parameters"] = [_FIELD_VALIDATION]
            item[method] = op
        paths[path] = item
    paths[f"{prefix}{k.plural}"] = {
        "get": {
            "operationId": f"list{k.kind}",
            "responses": {"200": {"description": "OK"}},
            "x-kubernetes-action": "list",
            "x-kubernetes-group-version-kind": gvk,
        },
        "post": {
            "operationId": f"create{k.kind}",
            "parameters": [_FIELD_VALIDATION],
            "responses": ok,
            "x-kubernetes-action": "post",
            "x-kubernetes-group-version-kind": gvk,
        },
    }
    return paths


@lru_cache(maxsize=256)
def _document(served: tuple[KindInfo, ...]) -> bytes:
    paths: Doc = {}
    schemas: Doc = {}
    for k in served:
        name = schema_name(k)
        if k.builtin and name in builtin_definitions():
            schemas[name] = _builtin_schema(name)
            list_name = f"{name}List"
            schemas[list_name] = _builtin_schema(list_name) if list_name in builtin_definitions() else _list_schema(k, name)
        else:
            schema = _crd_schema(k)
            schemas[name] = schema if schema is not None else {
                "type": "object", "x-kubernetes-preserve-unknown-fields": True,
                "x-kubernetes-group-version-kind": [{"group": k.group, "kind": k.kind, "version": k.version}],
            }
            schemas[f"{name}List"] = _list_schema(k, name)
        paths.update(_paths(k, name))
    _close(schemas)
    doc = {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": f"v{KUBERNETES_VERSION}"},
        "paths": paths,
        "components": {"schemas": dict(sorted(schemas.items()))},
    }
    return json.dumps(doc, separators=(",", ":")).encode()


def _by_gv(kinds: Iterable[KindInfo]) -> dict[str, tuple[KindInfo, ...]]:
    groups: dict[str, list[KindInfo]] = {}
    for k in kinds:
        groups.setdefault(k.api_version, []).append(k)
    return {gv: tuple(sorted(ks, key=lambda k: k.plural)) for gv, ks in sorted(groups.items())}


def document(kinds: Iterable[KindInfo], api_version: str) -> bytes | None:
    """The OpenAPI document of one group-version (its bytes: the hash names them), or None."""
    served = _by_gv(kinds).get(api_version)
    return _document(served) if served else None


def etag(body: bytes) -> str:
    """``computeETag``: upper-case hex SHA-512."""
    return hashlib.sha512(body).hexdigest().upper()


def index(kinds: Iterable[KindInfo]) -> bytes:
    paths = {
        gv_path(gv): {"serverRelativeURL": f"/openapi/v3/{gv_path(gv)}?hash={etag(_document(served))}"}
        for gv, served in _by_gv(kinds).items()
    }
    return json.dumps({"paths": paths}, separators=(",", ":")).encode()


#: handler3's ``accepted`` subtypes of ``application/``, in its order (the protobuf ones are
#: gnostic's ``openapi_v3.Document``)
ACCEPTED = (
    "json",
    "com.github.proto-openapi.spec.v3.v1.0+protobuf",
    "com.github.proto-openapi.spec.v3@v1.0+protobuf",
)


def negotiate(accept: str) -> str | None:
    """``HandleGroupVersion``: the subtype the first clause (goautoneg's order, no ``Accept``
    being ``*/*``) takes, trying :data:`ACCEPTED` in order (``*`` matches any type or subtype;
    parameters are not looked at); "" when the header parses to no clause at all (handler3
    returns without writing: a 200 with nothing); None: 406."""
    clauses = negotiation.parse_accept(accept or "*/*")
    if not clauses:
        return ""
    for clause in clauses:
        for subtype in ACCEPTED:
            if clause.type not in ("application", "*") or clause.subtype not in (subtype, "*"):
                continue
            return subtype
    return None
