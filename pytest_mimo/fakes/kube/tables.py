"""Server-side printing: ``Table`` and ``PartialObjectMetadata`` answers to GET and list.

A client asks with ``Accept: application/json;as=Table;g=meta.k8s.io;v=v1`` (kubectl get
sends it, then ``v1beta1``, then plain JSON). As the apiserver answers
(``k8s.io/apiserver/pkg/endpoints/handlers/response.go`` ``transformObject``,
``rest/table.go``, ``metatable.MetaToTableRow``):

- built-in kinds print the columns of ``pkg/printers/internalversion/printers.go``
  (``AddHandlers``: Namespace, ConfigMap, Secret, ServiceAccount, Service, Deployment,
  Role/ClusterRole, RoleBinding/ClusterRoleBinding); a kind without a printer gets the
  default table convertor (``rest.defaultTableConvertor``: ``Name``, ``Created At``);
- custom resources print their CRD's ``additionalPrinterColumns`` after ``Name``
  (``apiextensions-apiserver/pkg/registry/customresource/tableconvertor``), a CRD with
  none an ``Age`` column (the v1 CRD default); JSONPath cells take the first result,
  ``date`` cells print as an age (``ConvertToHumanReadableDateType``);
- every row carries the object as ``includeObject`` asks (``Metadata``, the default: a
  ``PartialObjectMetadata``; ``Object``; ``None``), ``Age`` as Go's
  ``duration.HumanDuration``;
- ``as=PartialObjectMetadata`` / ``PartialObjectMetadataList`` answer the metadata only;
- an Accept whose every entry asks a conversion the server does not have → 406.

Descriptions of ``Name`` and ``Age`` are ``ObjectMeta``'s own (from the release's schemas).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timezone
from functools import cache, lru_cache
from typing import Any

from .apierrors import ApiError
from .kinds import KindInfo

__all__ = ["Wanted", "negotiate", "human_duration", "table", "partial", "partial_list"]

Obj = dict[str, Any]

#: what the client asked for: "" (the object as JSON), "Table", "PartialObjectMetadata",
#: "PartialObjectMetadataList", with the meta.k8s.io version
Wanted = tuple[str, str]

_AS = {"Table", "PartialObjectMetadata", "PartialObjectMetadataList"}


def negotiate(accept: str, *, is_list: bool) -> Wanted:
    """The first Accept entry the server can answer (``negotiation.NegotiateOutputMediaType``
    with the endpoint's ``as=`` conversions); 406 when there is none."""
    return _negotiate(accept, is_list)


@lru_cache(maxsize=256)
def _negotiate(accept: str, is_list: bool) -> Wanted:
    """:func:`negotiate`, remembered per Accept header (a client sends the same one each time;
    a 406 is raised anew each time, never remembered)."""
    if not accept.strip():
        return "", ""
    entries = [e.strip() for e in accept.split(",") if e.strip()]
    for entry in entries:
        media, *params = [p.strip() for p in entry.split(";")]
        opts = dict(p.split("=", 1) for p in params if "=" in p)
        as_ = opts.get("as")
        if as_ is None:
            if media in ("application/json", "*/*", "application/*") or not media.startswith("application/"):
                return "", ""
            if media in ("application/yaml", "application/vnd.kubernetes.protobuf"):
                return "", ""  # answered as JSON here (the fake speaks JSON only)
            continue
        if opts.get("g") != "meta.k8s.io" or opts.get("v") not in ("v1", "v1beta1"):
            continue
        if as_ == "Table" or (as_ == "PartialObjectMetadata" and not is_list) or (
            as_ == "PartialObjectMetadataList" and is_list
        ):
            return as_, opts["v"]
    raise ApiError.not_acceptable()


def human_duration(seconds: float) -> str:
    """``k8s.io/apimachinery/pkg/util/duration.HumanDuration``."""
    s = int(seconds)
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 120:
        return f"{s}s"
    minutes = s // 60
    if minutes < 10:
        return f"{minutes}m" if s % 60 == 0 else f"{minutes}m{s % 60}s"
    if minutes < 180:
        return f"{minutes}m"
    hours = s // 3600
    if hours < 8:
        return f"{hours}h" if minutes % 60 == 0 else f"{hours}h{minutes % 60}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        return f"{hours // 24}d" if hours % 24 == 0 else f"{hours // 24}d{hours % 24}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        dy = (hours // 24) % 365
        return f"{hours // 24 // 365}y" if dy == 0 else f"{hours // 24 // 365}y{dy}d"
    return f"{hours // 24 // 365}y"


def _age(ts: Any) -> str:
    if not isinstance(ts, str) or not ts:
        return "<unknown>"
    try:
        t = datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    except ValueError:
        return "<invalid>"
    return human_duration((datetime.now(timezone.utc) - t).total_seconds())


def _meta_docs() -> tuple[str, str]:
    from .schemas import builtin_definitions

    props = builtin_definitions()["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"]["properties"]
    return props["name"]["description"], props["creationTimestamp"]["description"]


def _col(name: str, type_: str = "string", description: str = "", priority: int = 0, fmt: str = "") -> Obj:
    return {"name": name, "type": type_, "format": fmt, "description": description, "priority": priority}


# -- built-in printers (printers.go) ---------------------------------------------------------------


def _containers(spec: Obj) -> tuple[str, str]:
    cs = ((spec.get("template") or {}).get("spec") or {}).get("containers") or []
    return ",".join(c.get("name", "") for c in cs), ",".join(c.get("image", "") for c in cs)


def _selector(spec: Obj) -> str:
    from .scale import selector_string

    return selector_string(spec.get("selector")) or "<none>"


def _ports(spec: Obj) -> str:
    out = []
    for p in spec.get("ports") or []:
        proto = p.get("protocol", "TCP")
        if p.get("nodePort"):
            out.append(f"{p.get('port')}:{p['nodePort']}/{proto}")
        else:
            out.append(f"{p.get('port')}/{proto}")
    return ",".join(out) or "<none>"


def _external_ip(spec: Obj, status: Obj) -> str:
    kind = spec.get("type", "ClusterIP")
    ips = list(spec.get("externalIPs") or [])
    if kind == "LoadBalancer":
        ingress = [i.get("ip") or i.get("hostname") for i in (status.get("loadBalancer") or {}).get("ingress") or []]
        ips = [*ingress, *ips]
        return ",".join(i for i in ips if i) or "<pending>"
    if kind == "ExternalName":
        return spec.get("externalName", "")
    return ",".join(ips) or "<none>"


def _selector_map(sel: Any) -> str:
    if not isinstance(sel, dict) or not sel:
        return "<none>"
    return ",".join(f"{k}={v}" for k, v in sorted(sel.items()))


def _subjects(obj: Obj, kind: str) -> str:
    subs = obj.get("subjects") or []
    if kind == "ServiceAccount":
        return ",".join(f"{s.get('namespace', '')}/{s.get('name', '')}" for s in subs if s.get("kind") == kind)
    return ",".join(s.get("name", "") for s in subs if s.get("kind") == kind)


Printer = tuple[list[Obj], Callable[[Obj, str], list[Any]]]


@cache
def _printers(name_doc: str, age_doc: str) -> dict[tuple[str, str], Printer]:
    name = _col("Name", "string", name_doc, fmt="name")
    age = _col("Age", "string", age_doc)

    def deploy(o: Obj, a: str) -> list[Any]:
        spec, st = o.get("spec") or {}, o.get("status") or {}
        c, i = _containers(spec)
        return [f"{st.get('readyReplicas', 0)}/{spec.get('replicas', 0)}", st.get("updatedReplicas", 0),
                st.get("availableReplicas", 0), a, c, i, _selector(spec)]

    def service(o: Obj, a: str) -> list[Any]:
        spec, st = o.get("spec") or {}, o.get("status") or {}
        return [spec.get("type", "ClusterIP"), spec.get("clusterIP") or "<none>", _external_ip(spec, st),
                _ports(spec), a, _selector_map(spec.get("selector"))]

    def binding(role_kind: str) -> Callable[[Obj, str], list[Any]]:
        def row(o: Obj, a: str) -> list[Any]:
            ref = o.get("roleRef") or {}
            return [f"{ref.get('kind', role_kind)}/{ref.get('name', '')}", a, _subjects(o, "User"),
                    _subjects(o, "Group"), _subjects(o, "ServiceAccount")]
        return row

    binding_cols = [name, _col("Role", "string", "Role reference"), age,
                    _col("Users", "string", "Users in the roleBinding", 1),
                    _col("Groups", "string", "Groups in the roleBinding", 1),
                    _col("ServiceAccounts", "string", "ServiceAccounts in the roleBinding", 1)]
    role_cols = [name, _col("Created At", "date", age_doc)]

    def role(o: Obj, a: str) -> list[Any]:
        return [o.get("metadata", {}).get("creationTimestamp", "")]

    return {
        ("v1", "Namespace"): (
            [name, _col("Status", "string", "The status of the namespace"), age],
            lambda o, a: [(o.get("status") or {}).get("phase", ""), a],
        ),
        ("v1", "ConfigMap"): (
            [name, _col("Data", "string", "Data contains the configuration data."), age],
            lambda o, a: [len(o.get("data") or {}) + len(o.get("binaryData") or {}), a],
        ),
        ("v1", "Secret"): (
            [name, _col("Type", "string", "Used to facilitate programmatic handling of secret data."),
             _col("Data", "string", "Data contains the secret data."), age],
            lambda o, a: [o.get("type", "Opaque"), len(o.get("data") or {}), a],
        ),
        ("v1", "ServiceAccount"): (
            [name, _col("Secrets", "string", "Secrets is a list of the secrets in the same namespace that "
                        "pods running using this ServiceAccount are allowed to use."), age],
            lambda o, a: [len(o.get("secrets") or []), a],
        ),
        ("v1", "Service"): (
            [name, _col("Type", "string", "type determines how the Service is exposed."),
             _col("Cluster-IP", "string", "clusterIP is the IP address of the service."),
             _col("External-IP", "string", "externalIPs is a list of IP addresses."),
             _col("Port(s)", "string", "The list of ports that are exposed by this service."), age,
             _col("Selector", "string", "Route service traffic to pods with label keys and values "
                  "matching this selector.", 1)],
            service,
        ),
        ("apps/v1", "Deployment"): (
            [name, _col("Ready", "string", "Number of the pod with ready state"),
             _col("Up-to-date", "string", "Total number of non-terminated pods targeted by this deployment "
                  "that have the desired template spec."),
             _col("Available", "string", "Total number of available pods (ready for at least "
                  "minReadySeconds) targeted by this deployment."), age,
             _col("Containers", "string", "Names of each container in the template.", 1),
             _col("Images", "string", "Images referenced by each container in the template.", 1),
             _col("Selector", "string", "Label selector for pods. Existing ReplicaSets whose pods are "
                  "selected by this will be the ones affected by this deployment.", 1)],
            deploy,
        ),
        ("rbac.authorization.k8s.io/v1", "Role"): (role_cols, role),
        ("rbac.authorization.k8s.io/v1", "ClusterRole"): (role_cols, role),
        ("rbac.authorization.k8s.io/v1", "RoleBinding"): (binding_cols, binding("Role")),
        ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"): (binding_cols, binding("ClusterRole")),
    }


# -- custom resources (tableconvertor) -------------------------------------------------------------

_FILTER = re.compile(r'^\[\?\(@\.([\w.-]+)\s*==\s*"([^"]*)"\)\]')
_INDEX = re.compile(r"^\[(\d+)\]")
_FIELD = re.compile(r"^\.([\w-]+)")


def _jsonpath_first(doc: Any, path: str) -> Any:
    """The first result of a simple JSONPath (``.a.b``, ``[n]``, ``[?(@.k=="v")]``), or None."""
    values = [doc]
    rest = path.strip()
    while rest and values:
        if m := _FIELD.match(rest):
            values = [v[m.group(1)] for v in values if isinstance(v, dict) and m.group(1) in v]
        elif m := _INDEX.match(rest):
            i = int(m.group(1))
            values = [v[i] for v in values if isinstance(v, list) and i < len(v)]
        elif m := _FILTER.match(rest):
            keys, want = m.group(1).split("."), m.group(2)
            out = []
            for v in values:
                for item in v if isinstance(v, list) else []:
                    cur: Any = item
                    for k in keys:
                        cur = cur.get(k) if isinstance(cur, dict) else None
                    if cur == want:
                        out.append(item)
            values = out
        else:
            return None
        rest = rest[m.end():]
    return values[0] if values else None


def _cell(type_: str, value: Any) -> Any:
    """``cellForJSONValue`` (and ``PrintResults`` for strings)."""
    if value is None:
        return None
    if type_ == "string":
        return value if isinstance(value, str) else _go_print(value)
    if type_ == "integer":
        return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
    if type_ == "number":
        return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
    if type_ == "boolean":
        return value if isinstance(value, bool) else None
    if type_ == "date":
        return _age(value) if isinstance(value, str) else None
    return None


def _go_print(value: Any) -> str:
    import json

    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value, separators=(",", ":")) if isinstance(value, (dict, list)) else str(value)


def _crd_printer(info: KindInfo, name_doc: str, age_doc: str) -> Printer | None:
    """apiextensions-apiserver ``tableconvertor.New`` over the version's columns, defaulted by
    ``serveDefaultColumnsIfEmpty`` (Age, described as ObjectMeta's creationTimestamp): a kind a
    CRD created through the API serves has them in its :class:`KindInfo`, a shipped one in its file."""
    import json

    from .schemas import crd

    if info.schema_id:
        columns: list[dict[str, Any]] = json.loads(info.printer_columns or "[]")
    else:
        doc = crd(info.api_version, info.kind)
        if doc is None:
            return None
        version: dict[str, Any] = next((v for v in doc["spec"]["versions"] if v["name"] == info.version), {})
        columns = version.get("additionalPrinterColumns") or []
    columns = columns or [
        {"name": "Age", "type": "date", "description": age_doc, "jsonPath": ".metadata.creationTimestamp"}
    ]
    defs = [_col("Name", "string", name_doc, fmt="name")]
    for c in columns:
        desc = c.get("description") or f"Custom resource definition column (in JSONPath format): {c['jsonPath']}"
        defs.append(_col(c["name"], c["type"], desc, c.get("priority", 0), c.get("format", "")))

    def row(o: Obj, _age_text: str) -> list[Any]:
        return [_cell(c["type"], _jsonpath_first(o, c["jsonPath"])) for c in columns]

    return defs, row


@lru_cache(maxsize=1024)
def _printer(info: KindInfo) -> Printer:
    """The columns and row function of ``info``'s printer, built once per kind (a custom kind's
    from its CRD, so a kind a new CRD serves is a new :class:`KindInfo` and a new entry)."""
    name_doc, age_doc = _meta_docs()
    if not info.builtin:
        found = _crd_printer(info, name_doc, age_doc)
        if found is not None:
            return found
    builtin = _printers(name_doc, age_doc).get((info.api_version, info.kind))
    if builtin is not None:
        return builtin
    # rest.defaultTableConvertor
    return (
        [_col("Name", "string", name_doc, fmt="name"), _col("Created At", "date", age_doc)],
        lambda o, a: [o.get("metadata", {}).get("creationTimestamp", "")],
    )


def _partial(obj: Obj, version: str) -> Obj:
    return {"kind": "PartialObjectMetadata", "apiVersion": f"meta.k8s.io/{version}", "metadata": obj.get("metadata", {})}


def table(info: KindInfo, objs: list[Obj], list_meta: Obj | None, version: str, include: str) -> Obj:
    """The ``Table`` of ``objs`` (one object for a GET: ``list_meta`` None)."""
    if include not in ("", "None", "Object", "Metadata"):
        raise ApiError.bad_request(
            f'unable to parse "{include}": includeObject: Unsupported value: "{include}": supported values: '
            '"Metadata", "None", "Object"'
        )
    defs, cells = _printer(info)
    rows = []
    for o in objs:
        meta = o.get("metadata", {})
        row: Obj = {"cells": [meta.get("name", ""), *cells(o, _age(meta.get("creationTimestamp")))]}
        if include in ("", "Metadata"):
            row["object"] = _partial(o, version)
        elif include == "Object":
            row["object"] = o
        rows.append(row)
    if list_meta is not None:
        metadata = dict(list_meta)
    else:
        rv = (objs[0].get("metadata") or {}).get("resourceVersion") if objs else None
        metadata = {"resourceVersion": rv} if rv else {}
    return {"kind": "Table", "apiVersion": f"meta.k8s.io/{version}", "metadata": metadata,
            "columnDefinitions": [dict(d) for d in defs], "rows": rows}  # the cached defs stay unshared


def partial(obj: Obj, version: str) -> Obj:
    return _partial(obj, version)


def partial_list(objs: list[Obj], list_meta: Obj, version: str) -> Obj:
    return {"kind": "PartialObjectMetadataList", "apiVersion": f"meta.k8s.io/{version}", "metadata": list_meta,
            "items": [_partial(o, version) for o in objs]}
