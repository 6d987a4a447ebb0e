"""The ``scale`` subresource: an ``autoscaling/v1`` ``Scale`` view of a kind's replicas.

Every kind whose :attr:`~.kinds.KindInfo.subresources` holds ``scale`` has one:

- built-in kinds (Deployment, ReplicaSet, StatefulSet, ReplicationController) as
  ``pkg/registry/apps/deployment/storage/storage.go`` (``ScaleREST``) serves them: GET answers
  ``scaleFromDeployment``: the object's name, namespace, uid, resourceVersion and
  creationTimestamp, ``spec.replicas``, ``status.replicas`` and ``status.selector`` (the
  label selector printed as ``labels.Selector.String()``: requirements sorted by key,
  ``key=value``, ``key in (a,b)``, ``!key``);
- custom kinds as apiextensions-apiserver ``pkg/registry/customresource/etcd.go``
  (``ScaleREST``, ``scaleFromCustomResource``) serves them, through the CRD's
  ``subresources.scale``: ``specReplicasPath`` and ``statusReplicasPath`` (an absent value
  is 0), ``labelSelectorPath`` (a string, the selector as is);
- PUT takes a ``Scale``: a resourceVersion that is not the object's → 409 Conflict on the
  object's resource; ``ValidateScale``: ``spec.replicas`` ≥ 0 (422 ``Scale.autoscaling "x"
  is invalid``); then only the replicas of the object change (at ``specReplicasPath`` for a
  custom kind), written as an update of the object (validated as one);
- PATCH (merge, JSON or strategic merge patch) is applied to the Scale GET returns, then
  written as a PUT of the result (the generic ``patchResource`` over ``ScaleREST``).

``kubectl scale deployment x --replicas=3`` sends a merge patch ``{"spec":{"replicas":3}}``.
"""

from __future__ import annotations

import copy
import json
from typing import TYPE_CHECKING, Any

from .apierrors import ApiError
from .kinds import KindInfo, scale_paths
from .patching import PatchError, json_patch, merge_patch
from .schemas import crd

if TYPE_CHECKING:
    from .models import KubeModel

__all__ = ["SCALE_INFO", "paths_of", "scale_of", "selector_string", "get", "put", "patch"]

#: the Scale kind, for its errors (``autoscaling.Kind("Scale")``)
SCALE_INFO = KindInfo("autoscaling/v1", "Scale", "scale", True, has_status=False, builtin=True)

Obj = dict[str, Any]


def _values(vs: Any) -> list[str]:
    return sorted(str(v) for v in vs or [])


def selector_string(selector: Any) -> str:
    """``metav1.LabelSelectorAsSelector(s).String()``: requirements sorted by key."""
    if not isinstance(selector, dict):
        return ""
    reqs: list[tuple[str, str]] = []
    for key, value in (selector.get("matchLabels") or {}).items():
        reqs.append((key, f"{key}={value}"))
    for expr in selector.get("matchExpressions") or []:
        key, op = expr.get("key", ""), expr.get("operator", "")
        if op == "In":
            reqs.append((key, f"{key} in ({','.join(_values(expr.get('values')))})"))
        elif op == "NotIn":
            reqs.append((key, f"{key} notin ({','.join(_values(expr.get('values')))})"))
        elif op == "Exists":
            reqs.append((key, key))
        elif op == "DoesNotExist":
            reqs.append((key, f"!{key}"))
    return ",".join(text for _, text in sorted(reqs, key=lambda r: r[0]))


#: a built-in kind's paths: the Go types' ``spec.replicas`` / ``status.replicas``; its
#: selector is ``spec.selector`` printed (no labelSelectorPath)
_BUILTIN_PATHS = (".spec.replicas", ".status.replicas", "")


def paths_of(info: KindInfo) -> tuple[str, str, str] | None:
    """Where ``info``'s Scale reads and writes, or None when the kind has no scale."""
    if "scale" not in info.subresources:
        return None
    if info.builtin:
        return _BUILTIN_PATHS
    if info.scale_paths:
        return info.scale_paths
    doc = crd(info.api_version, info.kind)  # a shipped CRD file (parsed once per process)
    for v in (doc or {}).get("spec", {}).get("versions") or ():
        scale = (v.get("subresources") or {}).get("scale")
        if v.get("name") == info.version and isinstance(scale, dict):
            return scale_paths(scale)
    return None


def _steps(path: str) -> list[str]:
    """``splitReplicasPath``: the path split on dots, the leading one dropped."""
    return path.removeprefix(".").split(".")


def _nested(obj: Any, path: str) -> Any:
    for step in _steps(path):
        if not isinstance(obj, dict):
            return None
        obj = obj.get(step)
    return obj


def _nested_int(obj: Obj, path: str) -> int:
    """``unstructured.NestedInt64`` (apimachinery ``unstructured/helpers.go``); absent is 0,
    a value of another type a 400 in its accessor error's words."""
    value = _nested(obj, path)
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int):
        raise ApiError.bad_request(
            f".{'.'.join(_steps(path))} accessor error: {value} is of the type {_go_type(value)}, expected int64"
        )
    return value


def _go_type(value: Any) -> str:
    return {str: "string", float: "float64", list: "[]interface {}", dict: "map[string]interface {}"}.get(
        type(value), type(value).__name__
    )


def scale_of(info: KindInfo, obj: Obj) -> Obj:
    """``scaleFromDeployment`` / ``scaleFromCustomResource``: the Scale view of ``obj``."""
    spec_path, status_path, selector_path = paths_of(info) or _BUILTIN_PATHS
    meta = obj.get("metadata", {})
    scale_meta = {
        k: meta[k]
        for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
        if k in meta
    }
    out_status: Obj = {"replicas": _nested_int(obj, status_path)}
    if info.builtin:
        selector = (obj.get("spec") or {}).get("selector")
        if (info.api_version, info.kind) == ("v1", "ReplicationController"):
            # scaleFromRC: labels.SelectorFromSet(spec.selector).String() (a plain map)
            selector = {"matchLabels": selector}
        selector = selector_string(selector)
    else:
        found = _nested(obj, selector_path) if selector_path else None
        selector = found if isinstance(found, str) else ""
    if selector:
        out_status["selector"] = selector
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": scale_meta,
        "spec": {"replicas": _nested_int(obj, spec_path)},
        "status": out_status,
    }


def get(model: KubeModel, info: KindInfo, namespace: str | None, name: str) -> Obj:
    with model.lock:
        return scale_of(info, copy.deepcopy(model.get(info, namespace, name)))


def _check_scale(body: Any, name: str) -> int:
    if not isinstance(body, dict) or body.get("kind", "Scale") != "Scale":
        got = body.get("kind") if isinstance(body, dict) else type(body).__name__
        raise ApiError.bad_request(f"expected Scale, got {got}")
    if body.get("apiVersion", "autoscaling/v1") != "autoscaling/v1":
        raise ApiError.bad_request(
            f'Scale in version "{body.get("apiVersion")}" cannot be handled as a Scale: no kind "Scale" is '
            f'registered for version "{body.get("apiVersion")}"'
        )
    replicas = (body.get("spec") or {}).get("replicas", 0)
    if isinstance(replicas, bool) or not isinstance(replicas, int):
        raise ApiError.bad_request(
            'Scale in version "v1" cannot be handled as a Scale: json: cannot unmarshal '
            f"{type(replicas).__name__} into Go struct field ScaleSpec.spec.replicas of type int32"
        )
    if replicas < 0:
        # apis/autoscaling/validation ValidateScale
        raise ApiError.invalid(
            SCALE_INFO, name, "spec.replicas", f"Invalid value: {replicas}: must be greater than or equal to 0"
        )
    return replicas


def put(model: KubeModel, info: KindInfo, namespace: str | None, name: str, body: Any) -> Obj:
    replicas = _check_scale(body, name)
    with model.lock:
        current = copy.deepcopy(model.get(info, namespace, name))
        rv = (body.get("metadata") or {}).get("resourceVersion")
        if rv and rv != current["metadata"].get("resourceVersion"):
            raise ApiError.conflict(info, name)
        spec_path = (paths_of(info) or _BUILTIN_PATHS)[0]
        *parents, leaf = _steps(spec_path)
        at = current
        for step in parents:  # unstructured.SetNestedField: missing levels are made
            nxt = at.get(step)
            if not isinstance(nxt, dict):
                nxt = at[step] = {}
            at = nxt
        at[leaf] = replicas
        updated = model.update(info, namespace, name, current)
        return scale_of(info, copy.deepcopy(updated))


def patch(
    model: KubeModel, info: KindInfo, namespace: str | None, name: str, content_type: str, raw: bytes
) -> Obj:
    try:
        doc = json.loads(raw.decode("utf-8") or "null")
    except (UnicodeDecodeError, ValueError):
        raise ApiError.bad_request("invalid JSON patch") from None
    ctype = content_type.split(";")[0].strip()
    with model.lock:
        scale = scale_of(info, copy.deepcopy(model.get(info, namespace, name)))
        try:
            if ctype == "application/json-patch+json":
                patched = json_patch(scale, doc)
            elif ctype in ("application/merge-patch+json", "application/strategic-merge-patch+json"):
                # a Scale has no lists: a strategic merge patch of it is a merge patch
                if not isinstance(doc, dict):
                    raise ApiError.bad_request("invalid JSON patch")
                patched = merge_patch(scale, doc)
            else:
                raise ApiError.unsupported_media_type(content_type)
        except PatchError as err:
            raise ApiError(422, "Invalid", str(err)) from None
        return put(model, info, namespace, name, patched)
