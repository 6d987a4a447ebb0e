"""Discovery and OpenAPI documents for the registered kinds.

Enough for the official Python client's dynamic discovery and for kubectl
(``get``, ``apply -f`` with server-side field validation, ``patch``,
``delete``): ``/version``, ``/api``, ``/apis``, ``/api/v1``,
``/apis/<group>[/<version>]``, ``/openapi/v3`` and the per-group-version
OpenAPI v3 documents it lists. Documents are plain dicts.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

from .authorization import RESOURCE as _SSAR
from .models import KindInfo
from .scale import SCALABLE
from .schemas import KUBERNETES_VERSION

__all__ = [
    "SERVER_VERSION",
    "version",
    "core_versions",
    "group_list",
    "group",
    "resource_list",
    "openapi_index",
    "openapi_doc",
]

_MAJOR, _MINOR, _ = KUBERNETES_VERSION.split(".")

#: ``/version``: the release whose schemas the fake enforces (``version.Info``; a real
#: server reports its emulation and minimum compatibility versions too, one minor apart)
SERVER_VERSION = {
    "major": _MAJOR,
    "minor": _MINOR,
    "emulationMajor": _MAJOR,
    "emulationMinor": _MINOR,
    "minCompatibilityMajor": _MAJOR,
    "minCompatibilityMinor": str(int(_MINOR) - 1),
    "gitVersion": f"v{KUBERNETES_VERSION}",
    "gitCommit": "0000000000000000000000000000000000000000",
    "gitTreeState": "clean",
    "buildDate": "2026-01-01T00:00:00Z",
    "goVersion": "go1.23.4",
    "compiler": "gc",
    "platform": "linux/amd64",
}

_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
#: a namespace's REST storage offers no DeleteCollection (registry/core/namespace/storage)
_NAMESPACE_VERBS = ["create", "delete", "get", "list", "patch", "update", "watch"]

Doc = dict[str, Any]


def version() -> Doc:
    return dict(SERVER_VERSION)


#: group versions served without a stored kind (``SelfSubjectAccessReview`` is create-only)
_VIRTUAL: dict[str, list[Doc]] = {"authorization.k8s.io/v1": [_SSAR]}


def _groups(kinds: Iterable[KindInfo]) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {"authorization.k8s.io": ["v1"]}
    for k in kinds:
        if k.group:
            versions = groups.setdefault(k.group, [])
            if k.version not in versions:
                versions.append(k.version)
    return groups


def core_versions(server_address: str) -> Doc:
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [
            {"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}
        ],
    }


def _group_doc(name: str, versions: list[str]) -> Doc:
    entries = [{"groupVersion": f"{name}/{v}", "version": v} for v in versions]
    return {"name": name, "versions": entries, "preferredVersion": entries[0]}


def group_list(kinds: Iterable[KindInfo]) -> Doc:
    return {
        "kind": "APIGroupList",
        "apiVersion": "v1",
        "groups": [_group_doc(n, vs) for n, vs in sorted(_groups(kinds).items())],
    }


def group(kinds: Iterable[KindInfo], name: str) -> Doc | None:
    versions = _groups(kinds).get(name)
    if not versions:
        return None
    return {"kind": "APIGroup", "apiVersion": "v1", **_group_doc(name, versions)}


def resource_list(kinds: Iterable[KindInfo], api_version: str) -> Doc | None:
    served = sorted((k for k in kinds if k.api_version == api_version), key=lambda k: k.plural)
    if not served and api_version not in _VIRTUAL:
        return None
    resources: list[Doc] = [dict(r) for r in _VIRTUAL.get(api_version, [])]
    for k in served:
        res: Doc = {
            "name": k.plural,
            "singularName": k.singular,
            "namespaced": k.namespaced,
            "kind": k.kind,
            "verbs": list(
                _NAMESPACE_VERBS if (k.api_version, k.kind) == ("v1", "Namespace") else _VERBS
            ),
        }
        if k.short_names:
            res["shortNames"] = list(k.short_names)
        res["storageVersionHash"] = hashlib.sha256(f"{api_version}/{k.kind}".encode()).hexdigest()[
            :11
        ]
        resources.append(res)
        if (k.api_version, k.kind) in SCALABLE:
            # the scale subresource names its own group/version/kind (autoscaling/v1 Scale)
            resources.append(
                {
                    "name": f"{k.plural}/scale",
                    "singularName": "",
                    "namespaced": k.namespaced,
                    "group": "autoscaling",
                    "version": "v1",
                    "kind": "Scale",
                    "verbs": ["get", "patch", "update"],
                }
            )
        if k.has_status:
            resources.append(
                {
                    "name": f"{k.plural}/status",
                    "singularName": "",
                    "namespaced": k.namespaced,
                    "kind": k.kind,
                    "verbs": ["get", "patch", "update"],
                }
            )
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": api_version,
        "resources": resources,
    }


def _gv_path(api_version: str) -> str:
    return "api/v1" if api_version == "v1" else f"apis/{api_version}"


def openapi_index(kinds: Iterable[KindInfo]) -> Doc:
    kinds = list(kinds)
    paths = {}
    for api_version in sorted({k.api_version for k in kinds}):
        body = json.dumps(openapi_doc(kinds, api_version), sort_keys=True).encode()
        digest = hashlib.sha512(body).hexdigest()[:64].upper()
        paths[_gv_path(api_version)] = {
            "serverRelativeURL": f"/openapi/v3/{_gv_path(api_version)}?hash={digest}"
        }
    return {"paths": paths}


def _schema_name(k: KindInfo) -> str:
    if k.group == "":
        return f"io.k8s.api.core.{k.version}.{k.kind}"
    if k.group == "apps":
        return f"io.k8s.api.apps.{k.version}.{k.kind}"
    return ".".join(reversed(k.group.split("."))) + f".{k.version}.{k.kind}"


_FIELD_VALIDATION = {
    "name": "fieldValidation",
    "in": "query",
    "description": "fieldValidation instructs the server on how to handle objects in the request containing unknown or duplicate fields.",
    "schema": {"type": "string", "uniqueItems": True},
}


def openapi_doc(kinds: Iterable[KindInfo], api_version: str) -> Doc | None:
    """A minimal but valid OpenAPI 3.0 document for one group-version."""
    served = [k for k in kinds if k.api_version == api_version]
    if not served:
        return None
    paths: Doc = {}
    schemas: Doc = {}
    for k in served:
        gvk = {"group": k.group, "version": k.version, "kind": k.kind}
        ref = {"$ref": f"#/components/schemas/{_schema_name(k)}"}
        ok = {"200": {"description": "OK", "content": {"application/json": {"schema": ref}}}}
        prefix = f"/{_gv_path(api_version)}/" + ("namespaces/{namespace}/" if k.namespaced else "")
        for path in (
            f"{prefix}{k.plural}/{{name}}",
            f"{prefix}{k.plural}/{{name}}/status" if k.has_status else None,
        ):
            if path is None:
                continue
            item: Doc = {}
            for method, action in (
                ("get", "get"),
                ("put", "put"),
                ("patch", "patch"),
                ("delete", "delete"),
            ):
                op: Doc = {
                    "operationId": f"{method}{k.kind}",
                    "responses": ok,
                    "x-kubernetes-action": action,
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
        schemas[_schema_name(k)] = {
            "type": "object",
            "properties": {
                "apiVersion": {"type": "string"},
                "kind": {"type": "string"},
                "metadata": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
            },
            "x-kubernetes-preserve-unknown-fields": True,
            "x-kubernetes-group-version-kind": [gvk],
        }
    return {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": SERVER_VERSION["gitVersion"]},
        "paths": paths,
        "components": {"schemas": schemas},
    }
