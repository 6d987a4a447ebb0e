"""Defaulting and static validation of ``CustomResourceDefinition`` objects (apiextensions.k8s.io/v1).

What the API server does to a CRD body before storing it, from apiextensions-apiserver:

* defaults (``pkg/apis/apiextensions/v1/defaults.go``, ``SetDefaults_CustomResourceDefinition``
  and ``…Spec``): ``spec.names.singular`` = lower-case kind, ``spec.names.listKind`` = kind +
  ``List``, ``spec.conversion`` = ``{strategy: None}``, ``status.storedVersions`` = the storage
  version;
* validation (``pkg/apis/apiextensions/validation/validation.go``,
  ``ValidateCustomResourceDefinition`` / ``validateCustomResourceDefinitionSpec``): the name is
  ``<plural>.<group>``; the group a DNS subdomain with a dot; the scope ``Cluster`` or
  ``Namespaced``; version names DNS-1035 labels, unique, exactly one of them the storage version;
  every version has an ``openAPIV3Schema`` (``requireOpenAPISchema`` is set for v1); the plural,
  singular, kind and list kind are given and DNS labels (``ValidateCustomResourceDefinitionNames``).

Not checked: the structural-schema rules on the schema itself (``validateCustomResourceDefinition
Validation``), CEL rule compilation and cost, conversion webhooks. The Go error values of the
whole ``spec.versions`` list print Go structs with pointer addresses; they are shown abbreviated.
"""

from __future__ import annotations

from typing import Any

from . import fielderrors as fe
from .fielderrors import FieldError
from .validation import dns1035_label, dns1123_subdomain

__all__ = ["default_crd", "validate_crd"]

Obj = dict[str, Any]

_VERSIONS_VALUE = fe.GoValue("[]apiextensions.CustomResourceDefinitionVersion{...}")


def default_crd(obj: Obj) -> None:
    """``SetDefaults_CustomResourceDefinition`` (v1), in place."""
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return
    names = spec.get("names")
    if isinstance(names, dict):
        kind = names.get("kind") or ""
        if not names.get("singular"):
            names["singular"] = kind.lower()
        if not names.get("listKind") and kind:
            names["listKind"] = kind + "List"
    if spec.get("conversion") is None:
        spec["conversion"] = {"strategy": "None"}
    status = obj.setdefault("status", {})
    if isinstance(status, dict) and not status.get("storedVersions"):
        for v in spec.get("versions") or ():
            if isinstance(v, dict) and v.get("storage"):
                status["storedVersions"] = [v.get("name")]
                break


def _names(names: Obj, path: str) -> list[FieldError]:
    """``ValidateCustomResourceDefinitionNames`` and the spec's required names."""
    errs: list[FieldError] = []
    for key in ("plural", "singular"):
        value = names.get(key) or ""
        if not value:
            errs.append(fe.required(f"{path}.{key}"))
        else:
            errs.extend(fe.invalid(f"{path}.{key}", value, m) for m in dns1035_label(value))
    for key in ("kind", "listKind"):
        value = names.get(key) or ""
        if not value:
            errs.append(fe.required(f"{path}.{key}"))
        else:
            errs.extend(fe.invalid(f"{path}.{key}", value, m) for m in dns1035_label(value.lower()))
    for i, short in enumerate(names.get("shortNames") or ()):
        errs.extend(fe.invalid(f"{path}.shortNames[{i}]", short, m) for m in dns1035_label(str(short)))
    return errs


def validate_crd(obj: Obj) -> list[FieldError]:
    """The spec rules above, and the name rule (``must be spec.names.plural+"."+spec.group``)."""
    errs: list[FieldError] = []
    spec = obj.get("spec") or {}
    names = spec.get("names") or {}
    name = (obj.get("metadata") or {}).get("name") or ""
    group = spec.get("group") or ""
    if name and name != f"{names.get('plural') or ''}.{group}":
        errs.append(fe.invalid("metadata.name", name, 'must be spec.names.plural+"."+spec.group'))
    if not group:
        errs.append(fe.required("spec.group"))
    elif dns1123_subdomain(group):
        errs.append(fe.invalid("spec.group", group, ",".join(dns1123_subdomain(group))))
    elif len(group.split(".")) < 2:
        errs.append(fe.invalid("spec.group", group, "should be a domain with at least one dot"))
    scope = spec.get("scope") or ""
    if scope not in ("Cluster", "Namespaced"):
        errs.append(
            fe.required("spec.scope") if not scope else fe.not_supported("spec.scope", scope, ["Cluster", "Namespaced"])
        )
    versions = [v for v in spec.get("versions") or () if isinstance(v, dict)]
    seen: set[str] = set()
    unique = True
    storage = 0
    for i, v in enumerate(versions):
        vname = v.get("name") or ""
        storage += bool(v.get("storage"))
        if vname in seen:
            unique = False
        seen.add(vname)
        errs.extend(fe.invalid(f"spec.versions[{i}].name", vname, m) for m in dns1035_label(vname))
        if not ((v.get("schema") or {}).get("openAPIV3Schema")):
            errs.append(fe.required(f"spec.versions[{i}].schema.openAPIV3Schema", "schemas are required"))
    if not unique:
        errs.append(fe.invalid("spec.versions", _VERSIONS_VALUE, "must contain unique version names"))
    if storage != 1:
        errs.append(fe.invalid("spec.versions", _VERSIONS_VALUE, "must have exactly one version marked as storage version"))
    errs.extend(_names(names, "spec.names"))
    return errs
