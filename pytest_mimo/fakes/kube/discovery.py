"""Discovery documents for the registered kinds, all built from their :class:`~.kinds.KindInfo`.

``/version``, ``/api``, ``/apis``, ``/api/v1``, ``/apis/<group>[/<version>]`` as the legacy
documents (``APIVersions``, ``APIGroupList``, ``APIGroup``, ``APIResourceList``), and ``/api``
and ``/apis`` as the aggregated ``APIGroupDiscoveryList`` (``apidiscovery.k8s.io`` v2 and
v2beta1) when the Accept header asks for it, as kubectl and client-go do first. Documents are
plain dicts; the OpenAPI documents are :mod:`.openapi`'s.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Iterable
from typing import Any

from . import negotiation
from .apierrors import ApiError
from .authorization import RESOURCE as _SSAR
from .kinds import KindInfo
from .negotiation import GVK
from .schemas import KUBERNETES_VERSION

__all__ = [
    "SERVER_VERSION",
    "version",
    "core_versions",
    "group_list",
    "group",
    "resource_list",
    "served_subresources",
    "storage_version_hash",
    "AGGREGATED_VERSIONS",
    "aggregated",
    "aggregated_content_type",
    "negotiate",
    "etag",
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

Doc = dict[str, Any]


def version() -> Doc:
    return dict(SERVER_VERSION)


#: group versions served without a stored kind (``SelfSubjectAccessReview`` is create-only)
_VIRTUAL: dict[str, list[Doc]] = {"authorization.k8s.io/v1": [_SSAR]}

#: where a built-in group sorts in ``/apis`` (``GroupPriorityMinimum``, higher first, ties by
#: name): kube-apiserver's ``apiVersionPriorities`` (cmd/kube-apiserver/app/aggregator.go) over
#: ``DefaultGenericAPIServicePriorities`` (pkg/controlplane/apiserver/aggregator.go); the
#: aggregator's own group comes first, as in the real ``api/discovery/aggregated_v2.json``. A
#: CRD's group has 1000 (customresource_discovery_controller.go ``SetGroupVersionPriority``).
_GROUP_PRIORITY = {
    "apiregistration.k8s.io": 18100,
    "apps": 17800,
    "events.k8s.io": 17750,
    "authentication.k8s.io": 17700,
    "authorization.k8s.io": 17600,
    "autoscaling": 17500,
    "batch": 17400,
    "certificates.k8s.io": 17300,
    "networking.k8s.io": 17200,
    "policy": 17100,
    "rbac.authorization.k8s.io": 17000,
    "storage.k8s.io": 16800,
    "admissionregistration.k8s.io": 16700,
    "apiextensions.k8s.io": 16700,
    "scheduling.k8s.io": 16600,
    "coordination.k8s.io": 16500,
    "node.k8s.io": 16300,
    "discovery.k8s.io": 16200,
    "resource.k8s.io": 16200,
    "flowcontrol.apiserver.k8s.io": 16100,
    "internal.apiserver.k8s.io": 16000,
    "storagemigration.k8s.io": 15800,
}

_VERSION = re.compile(r"^v(\d+)(?:(alpha|beta)(\d+))?$")


def _version_order(v: str) -> tuple[int, int, int, str]:
    """``version.CompareKubeAwareVersionStrings``, as a sort key: GA before beta before
    alpha, higher numbers first, then anything else by name."""
    m = _VERSION.match(v)
    if m is None:
        return (3, 0, 0, v)
    stage = {None: 0, "beta": 1, "alpha": 2}[m.group(2)]
    return (stage, -int(m.group(1)), -int(m.group(3) or 0), "")


def _groups(kinds: Iterable[KindInfo]) -> list[tuple[str, list[str]]]:
    """The served groups (core excluded) with their versions, in the apiserver's order."""
    groups: dict[str, set[str]] = {"authorization.k8s.io": {"v1"}}
    for k in kinds:
        if k.group:
            groups.setdefault(k.group, set()).add(k.version)
    order = sorted(groups, key=lambda g: (-_GROUP_PRIORITY.get(g, 1000), g))
    return [(g, sorted(groups[g], key=_version_order)) for g in order]


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
        "groups": [_group_doc(n, vs) for n, vs in _groups(kinds)],
    }


def group(kinds: Iterable[KindInfo], name: str) -> Doc | None:
    versions = dict(_groups(kinds)).get(name)
    if not versions:
        return None
    return {"kind": "APIGroup", "apiVersion": "v1", **_group_doc(name, versions)}


def served_subresources(k: KindInfo) -> list[str]:
    """The subresources of ``k`` the fake serves (:mod:`.urls`), in the installer's order
    (sorted paths); the others the real server has (``pods/exec``, …) are listed nowhere."""
    return [s for s in ("scale", "status") if s in k.subresources or (s == "status" and k.has_status)]


#: a subresource's verbs (``status`` and ``scale`` storages: get, update, patch)
_SUB_VERBS = ["get", "patch", "update"]
#: the ``scale`` subresource answers its own kind (``autoscaling/v1`` ``Scale``)
_SCALE_GVK = {"group": "autoscaling", "version": "v1", "kind": "Scale"}


def storage_version_hash(group: str, version: str, kind: str) -> str:
    """``discovery.StorageVersionHash``: base64 of the first 8 bytes of sha256("group/version/kind")."""
    digest = hashlib.sha256(f"{group}/{version}/{kind}".encode()).digest()
    return base64.b64encode(digest[:8]).decode()


def _names(k: KindInfo) -> Doc:
    """A resource's short names and categories, each only when it has some (omitempty)."""
    names: Doc = {}
    if k.short_names:
        names["shortNames"] = list(k.short_names)
    if k.categories:
        names["categories"] = list(k.categories)
    return names


def _served(kinds: Iterable[KindInfo], api_version: str) -> list[KindInfo]:
    return sorted((k for k in kinds if k.api_version == api_version), key=lambda k: k.plural)


def resource_list(kinds: Iterable[KindInfo], api_version: str) -> Doc | None:
    """``/api/v1``, ``/apis/<group>/<version>``: the ``APIResourceList`` (installer.go
    ``registerResourceHandlers``; a CRD's from customresource_discovery_controller.go)."""
    served = _served(kinds, api_version)
    if not served and api_version not in _VIRTUAL:
        return None
    resources: list[Doc] = [dict(r) for r in _VIRTUAL.get(api_version, [])]
    for k in served:
        res: Doc = {
            "name": k.plural,
            "singularName": k.singular,
            "namespaced": k.namespaced,
            "kind": k.kind,
            "verbs": list(k.verbs),
            **_names(k),
        }
        res["storageVersionHash"] = storage_version_hash(k.group, k.version, k.kind)
        resources.append(res)
        for sub in served_subresources(k):
            entry: Doc = {"name": f"{k.plural}/{sub}", "singularName": "", "namespaced": k.namespaced}
            if sub == "scale":
                entry.update(_SCALE_GVK)
            else:
                entry["kind"] = k.kind
            entry["verbs"] = list(_SUB_VERBS)
            resources.append(entry)
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": api_version,
        "resources": resources,
    }


# -- aggregated discovery (apidiscovery.k8s.io) ---------------------------------------------

#: the versions of ``APIGroupDiscoveryList`` served (k8s.io/api apidiscovery/v2 and v2beta1:
#: the same fields; the handler converts the one document to what the client asked)
AGGREGATED_VERSIONS = ("v2", "v2beta1")


def aggregated_content_type(version: str, media_type: str = "application/json") -> str:
    """``responsewriters.WriteObjectNegotiated`` with the GVK in the Content-Type
    (``generateMediaTypeWithGVK``)."""
    return f"{media_type};g=apidiscovery.k8s.io;v={version};as=APIGroupDiscoveryList"


def _aggregated_gvk(gvk: GVK | None) -> bool:
    """aggregated/negotiation.go ``IsAggregatedDiscoveryGVK`` (``DiscoveryEndpointRestrictions``)."""
    return gvk is not None and gvk[0] == "apidiscovery.k8s.io" and gvk[1] in AGGREGATED_VERSIONS and (
        gvk[2] == "APIGroupDiscoveryList")


def negotiate(accept: str, *, aggregated: bool) -> tuple[str, str]:
    """What a discovery endpoint answers an ``Accept``: (media type, aggregated version), the
    version "" for the legacy document. ``/api`` and ``/apis`` first ask
    ``NegotiateMediaTypeOptions`` with ``DiscoveryEndpointRestrictions`` (aggregated/wrapper.go
    ``WrapAggregatedDiscoveryToHandler``): a clause converting to an ``APIGroupDiscoveryList``
    (v2, v2beta1) picks the aggregated document in that clause's media type (JSON, YAML or
    protobuf). Otherwise, and on every other discovery path, the legacy handler negotiates with
    ``DefaultEndpointRestrictions`` (a clause asking any conversion is skipped); nothing
    acceptable is a 406 (:mod:`.negotiation` for the order and matching)."""
    if aggregated:
        picked = negotiation.negotiate(accept, _aggregated_gvk)
        if picked is not None and picked.convert is not None:
            return picked.media_type, picked.convert[1]
    picked = negotiation.negotiate(accept)
    if picked is None:
        raise ApiError.not_acceptable()
    return picked.media_type, ""


def _gvk(group: str, version: str, kind: str) -> Doc:
    return {"group": group, "version": version, "kind": kind}


def _aggregated_resource(k: KindInfo) -> Doc:
    """``ConvertGroupVersionIntoToDiscovery`` (endpoints/installer.go) for a built-in kind:
    its response kind has no group or version; a CRD's has both (its discovery controller)."""
    group, version = ("", "") if k.builtin else (k.group, k.version)
    res: Doc = {
        "resource": k.plural,
        "responseKind": _gvk(group, version, k.kind),
        "scope": "Namespaced" if k.namespaced else "Cluster",
        "singularResource": k.singular,
        "verbs": list(k.verbs),
        **_names(k),
    }
    subs = [
        {
            "subresource": sub,
            "responseKind": dict(_SCALE_GVK) if sub == "scale" else _gvk(group, version, k.kind),
            "verbs": list(_SUB_VERBS),
        }
        for sub in served_subresources(k)
    ]
    if subs:
        res["subresources"] = subs
    return res


def _virtual_resource(r: Doc) -> Doc:
    return {
        "resource": r["name"],
        "responseKind": _gvk("", "", r["kind"]),
        "scope": "Namespaced" if r["namespaced"] else "Cluster",
        "singularResource": r["singularName"],
        "verbs": list(r["verbs"]),
    }


def aggregated(kinds: Iterable[KindInfo], *, core: bool, version: str = "v2") -> Doc:
    """``/api`` (the core group) or ``/apis`` (every other) as an ``APIGroupDiscoveryList``
    (aggregated/handler.go; field order and values as in the real
    ``api/discovery/aggregated_v2.json``): groups in priority order, each version ``Current``."""
    kinds = list(kinds)
    groups = [("", ["v1"])] if core else _groups(kinds)
    items: list[Doc] = []
    for name, versions in groups:
        entries: list[Doc] = []
        for v in versions:
            api_version = f"{name}/{v}" if name else v
            resources = [_virtual_resource(r) for r in _VIRTUAL.get(api_version, [])]
            resources += [_aggregated_resource(k) for k in _served(kinds, api_version)]
            resources.sort(key=lambda r: r["resource"])
            entries.append({"version": v, "resources": resources, "freshness": "Current"})
        items.append({"metadata": {"name": name} if name else {}, "versions": entries})
    return {
        "kind": "APIGroupDiscoveryList",
        "apiVersion": f"apidiscovery.k8s.io/{version}",
        "metadata": {},
        "items": items,
    }


def etag(doc: Doc) -> str:
    """aggregated/etag.go ``calculateETag``: the SHA-512 of the document's JSON, upper-case hex
    (the same for v2 and v2beta1: computed on the stored v2 list)."""
    body = json.dumps({**doc, "apiVersion": "apidiscovery.k8s.io/v2"}, separators=(",", ":")).encode()
    return hashlib.sha512(body).hexdigest().upper()
