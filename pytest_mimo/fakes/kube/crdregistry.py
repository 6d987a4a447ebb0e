"""The fake's apiextensions controllers: a ``CustomResourceDefinition`` makes its kind served.

As apiextensions-apiserver does it, in one step under the store's lock (the fake runs its
controllers synchronously after the write that wakes them):

* ``pkg/controller/status/naming_controller.go``: ``status.acceptedNames`` = the spec's names,
  condition ``NamesAccepted`` True, reason ``NoConflicts``, message ``no conflicts found``;
* ``pkg/controller/establish/establishing_controller.go``: condition ``Established`` True,
  reason ``InitialNamesAccepted``, message ``the initial names have been accepted``;
* ``pkg/registry/customresourcedefinition/strategy.go`` (``PrepareForCreate``):
  ``status.storedVersions`` holds the storage version;
* ``pkg/apiserver/customresource_handler.go``: each served version is a kind of the API
  (discovery, REST, watch), its bodies pruned, defaulted and validated by the version's
  ``openAPIV3Schema`` (:mod:`.schemas` / :mod:`.structural`), ``status`` a subresource when
  ``subresources.status`` is set; ``scope`` decides namespaced or cluster-wide;
* ``pkg/controller/finalizer/crd_finalizer.go``: deleting the CRD deletes every object of its
  kind, then the CRD (the fake does not show the ``customresourcecleanup`` finalizer step).

The kinds the fake serves from its shipped CRD files (ClusterVersion, …) are "installed"
without a CRD object; a CRD created for one of them takes it over (objects kept).

The response to the create itself carries no status yet (the controllers write it after), as on
a real server: a client waits for ``Established`` as Go's ``isCRDEstablished`` does.
"""

from __future__ import annotations

import copy
import hashlib
import json
from typing import Any

from . import defaulting, validation
from .crdvalidation import default_crd, validate_crd
from .kinds import CRD_VERBS, KindInfo, scale_paths
from .schemas import register_crd_schema

#: the store (:class:`~.models.KubeModel`), not imported: models imports this module
KubeModel = Any

__all__ = ["CRD_KEY", "CrdController", "kinds_of"]

Obj = dict[str, Any]

CRD_KEY = ("apiextensions.k8s.io/v1", "CustomResourceDefinition")

# the CRD kind's own defaulting and validation (crdvalidation builds on validation's name rules)
defaulting._DEFAULTERS[CRD_KEY] = default_crd
validation._KIND_RULES[CRD_KEY] = validate_crd


def kinds_of(crd: Obj) -> list[KindInfo]:
    """One :class:`KindInfo` per served version of ``crd`` (its schemas registered)."""
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    out: list[KindInfo] = []
    for v in spec.get("versions") or ():
        if not v.get("served"):
            continue
        schema = (v.get("schema") or {}).get("openAPIV3Schema") or {}
        schema_id = hashlib.sha256(json.dumps(schema, sort_keys=True).encode()).hexdigest()[:24]
        register_crd_schema(schema_id, schema)
        subresources = v.get("subresources") or {}
        scale = subresources.get("scale")
        out.append(
            KindInfo(
                f"{spec['group']}/{v['name']}",
                names["kind"],
                names["plural"],
                spec.get("scope") == "Namespaced",
                has_status="status" in subresources,
                generation=True,
                builtin=False,
                short_names=tuple(names.get("shortNames") or ()),
                verbs=CRD_VERBS,
                categories=tuple(names.get("categories") or ()),
                subresources=tuple(sorted(k for k in ("scale", "status") if k in subresources)),
                schema_id=schema_id,
                scale_paths=scale_paths(scale) if isinstance(scale, dict) else (),
                printer_columns=json.dumps(v.get("additionalPrinterColumns") or []),
            )
        )
    return out


def _condition(type_: str, reason: str, message: str, now: str) -> Obj:
    return {"type": type_, "status": "True", "lastTransitionTime": now, "reason": reason, "message": message}


class CrdController:
    """Keeps a :class:`~.models.KubeModel`'s served kinds equal to its CRD objects."""

    def __init__(self, model: KubeModel) -> None:
        #: the kinds served without a CRD object (compiled in, or shipped CRD files)
        self.static: dict[tuple[str, str], KindInfo] = dict(model.kinds)
        #: CRD name → the kinds it serves
        self.served: dict[str, list[KindInfo]] = {}
        self._busy = False

    # -- hooks the model calls ------------------------------------------------------------

    def stored(self, model: KubeModel, key: tuple[str, str], obj: Obj) -> None:
        if self._busy:
            return
        self._busy = True
        try:
            name = key[1]
            if obj["metadata"].get("deletionTimestamp"):
                return
            self._serve(model, name, kinds_of(obj))
            status = copy.deepcopy(obj.get("status") or {})
            names = (obj.get("spec") or {}).get("names") or {}
            want = dict(status)
            want["acceptedNames"] = copy.deepcopy(names)
            now = obj["metadata"].get("creationTimestamp") or ""
            old = {c.get("type"): c for c in status.get("conditions") or ()}
            conditions = [
                old.get("NamesAccepted") or _condition("NamesAccepted", "NoConflicts", "no conflicts found", now),
                old.get("Established")
                or _condition("Established", "InitialNamesAccepted", "the initial names have been accepted", now),
            ]
            want["conditions"] = conditions + [c for t, c in old.items() if t not in ("NamesAccepted", "Established")]
            storage = [v["name"] for v in (obj.get("spec") or {}).get("versions") or () if v.get("storage")]
            stored_versions = list(status.get("storedVersions") or ())
            for v in storage:
                if v not in stored_versions:
                    stored_versions.append(v)
            want["storedVersions"] = stored_versions
            if want != status:
                new = dict(obj)
                new["status"] = want
                new["metadata"] = {**obj["metadata"], "resourceVersion": model._next_rv()}
                model._stored(model.kinds[CRD_KEY], key, new)
        finally:
            self._busy = False

    def dropped(self, model: KubeModel, key: tuple[str, str]) -> None:
        self._serve(model, key[1], [])

    def resync(self, model: KubeModel) -> None:
        """After a restore: serve exactly the static kinds and those of the CRDs in the store."""
        crds = {k[1]: o for k, o in model._store.get(CRD_KEY, {}).items()}
        self.static.update({k: v for k, v in model.kinds.items() if not v.schema_id})
        for name in list(self.served):
            for info in self.served.pop(name):
                model.unregister(info, drop_objects=False)
        for info in self.static.values():
            model.register(info)
        for name, obj in crds.items():
            for info in kinds_of(obj):
                model.register(info)
                self.served.setdefault(name, []).append(info)
        for key in [k for k in model._store if k not in model.kinds]:
            del model._store[key]

    # -- serving ----------------------------------------------------------------------------

    def _serve(self, model: KubeModel, name: str, kinds: list[KindInfo]) -> None:
        before = self.served.pop(name, [])
        keep = {(k.api_version, k.kind) for k in kinds}
        for info in before:
            if (info.api_version, info.kind) not in keep:
                for obj_key in list(model._store.get((info.api_version, info.kind), {})):
                    model._dropped(info, obj_key)
                model.unregister(info)
        for info in kinds:
            model.register(info)
        if kinds:
            self.served[name] = kinds
