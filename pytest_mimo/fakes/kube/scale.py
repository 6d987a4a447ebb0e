"""The ``scale`` subresource: an ``autoscaling/v1`` ``Scale`` view of a Deployment's replicas.

As ``pkg/registry/apps/deployment/storage/storage.go`` (``ScaleREST``) serves it:

- GET answers ``scaleFromDeployment``: the Deployment's name, namespace, uid,
  resourceVersion and creationTimestamp, ``spec.replicas``, ``status.replicas`` and
  ``status.selector`` (the label selector printed as ``labels.Selector.String()``:
  requirements sorted by key, ``key=value``, ``key in (a,b)``, ``!key``);
- PUT takes a ``Scale`` (``scaleUpdatedObjectInfo``): a resourceVersion that is not the
  Deployment's → 409 Conflict on ``deployments.apps``; ``ValidateScale``: ``spec.replicas``
  ≥ 0 (422 ``Scale.autoscaling "x" is invalid``); then only ``spec.replicas`` of the
  Deployment changes (its generation moves, status is the controller's);
- PATCH (merge, JSON or strategic merge patch) is applied to the Scale GET returns, then
  written as a PUT of the result (the generic ``patchResource`` over ``ScaleREST``).

``kubectl scale deployment x --replicas=3`` sends a merge patch ``{"spec":{"replicas":3}}``.
"""

from __future__ import annotations

import copy
import json
from typing import TYPE_CHECKING, Any

from .apierrors import ApiError
from .kinds import KindInfo
from .patching import PatchError, json_patch, merge_patch

if TYPE_CHECKING:
    from .models import KubeModel

__all__ = ["SCALABLE", "SCALE_INFO", "scale_of", "selector_string", "get", "put", "patch"]

#: the kinds with a ``scale`` subresource that the fake serves (apps/v1 also gives
#: ReplicaSets and StatefulSets one; they are listed so that serving them adds it)
SCALABLE = frozenset({("apps/v1", "Deployment"), ("apps/v1", "ReplicaSet"), ("apps/v1", "StatefulSet")})

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


def scale_of(obj: Obj) -> Obj:
    """``scaleFromDeployment``: the Scale view of ``obj``."""
    meta = obj.get("metadata", {})
    scale_meta = {
        k: meta[k]
        for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
        if k in meta
    }
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    out_status: Obj = {"replicas": status.get("replicas", 0)}
    selector = selector_string(spec.get("selector"))
    if selector:
        out_status["selector"] = selector
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": scale_meta,
        "spec": {"replicas": spec.get("replicas", 0)},
        "status": out_status,
    }


def get(model: KubeModel, info: KindInfo, namespace: str | None, name: str) -> Obj:
    with model.lock:
        return scale_of(copy.deepcopy(model.get(info, namespace, name)))


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
        current.setdefault("spec", {})["replicas"] = replicas
        updated = model.update(info, namespace, name, current)
        return scale_of(copy.deepcopy(updated))


def patch(
    model: KubeModel, info: KindInfo, namespace: str | None, name: str, content_type: str, raw: bytes
) -> Obj:
    try:
        doc = json.loads(raw.decode("utf-8") or "null")
    except (UnicodeDecodeError, ValueError):
        raise ApiError.bad_request("invalid JSON patch") from None
    ctype = content_type.split(";")[0].strip()
    with model.lock:
        scale = scale_of(copy.deepcopy(model.get(info, namespace, name)))
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
