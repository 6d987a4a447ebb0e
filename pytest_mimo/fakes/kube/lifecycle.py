"""The API server's namespace life cycle: defaults on create, ``Terminating`` on delete,
the NamespaceLifecycle admission plugin (no delete of ``default``/``kube-system``/
``kube-public``, no create in a terminating namespace), and when an update deletes.

Nothing here knows about HTTP or the store; :mod:`.models` calls these under its lock.
The controllers that finish deletions (namespace controller, garbage collector) are in
:mod:`.controllermanager`.
"""

from __future__ import annotations

import copy
from typing import Any

from .apierrors import ApiError
from .deletion import DeleteOptions, namespace_gc_finalizers
from .kinds import KindInfo

__all__ = [
    "NAMESPACE_FINALIZER",
    "IMMORTAL_NAMESPACES",
    "namespace_defaults",
    "check_namespace_delete",
    "check_create_in",
    "terminating",
    "deletes_during_update",
]

Obj = dict[str, Any]

#: the finalizer the namespace controller removes once a namespace is empty
#: (``v1.FinalizerKubernetes``)
NAMESPACE_FINALIZER = "kubernetes"


def namespace_defaults(obj: Obj) -> None:
    """What a new Namespace gets on create: ``spec.finalizers: [kubernetes]``
    (namespace strategy ``PrepareForCreate``) and the immutable
    ``kubernetes.io/metadata.name`` label (defaults.go ``SetDefaults_Namespace``)."""
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        spec = obj["spec"] = {}
    finalizers = [f for f in spec.get("finalizers") or [] if f != NAMESPACE_FINALIZER]
    spec["finalizers"] = [*finalizers, NAMESPACE_FINALIZER]
    meta = obj.setdefault("metadata", {})
    labels = dict(meta.get("labels") or {})
    labels["kubernetes.io/metadata.name"] = meta.get("name", "")
    meta["labels"] = labels


#: namespaces the NamespaceLifecycle admission plugin refuses to delete
#: (``NewLifecycle(sets.NewString(metav1.NamespaceDefault, metav1.NamespaceSystem,
#: metav1.NamespacePublic))``, plugin/namespace/lifecycle/admission.go)
IMMORTAL_NAMESPACES = frozenset({"default", "kube-system", "kube-public"})


def _forbidden(info: KindInfo, name: str, why: str) -> ApiError:
    """``apierrors.NewForbidden(GroupResource, name, err)``: 403 naming the resource."""
    details: Obj = {"name": name} if name else {}
    if info.group:
        details["group"] = info.group
    details["kind"] = info.plural
    target = f'{info.group_resource} "{name}"' if name else info.group_resource
    return ApiError(403, "Forbidden", f"{target} is forbidden: {why}", details)


def check_namespace_delete(info: KindInfo, name: str) -> None:
    """NamespaceLifecycle ``Admit`` on a namespace delete: the immortal ones are refused
    (before the store looks the namespace up)."""
    if name in IMMORTAL_NAMESPACES:
        raise _forbidden(info, name, "this namespace may not be deleted")


def check_create_in(namespace: Obj, info: KindInfo, name: str) -> None:
    """NamespaceLifecycle ``Admit`` on a create: nothing new in a ``Terminating`` namespace.
    ``name`` is the object's name, or its generateName (``extractResourceName``: names are
    generated after admission)."""
    if (namespace.get("status") or {}).get("phase") != "Terminating":
        return
    ns = namespace["metadata"]["name"]
    err = _forbidden(
        info, name, f"unable to create new content in namespace {ns} because it is being terminated"
    )
    assert err.details is not None
    err.details["causes"] = [
        {
            "reason": "NamespaceTerminating",  # v1.NamespaceTerminatingCause
            "message": f"namespace {ns} is being terminated",
            "field": "metadata.namespace",
        }
    ]
    raise err


def terminating(namespace: Obj, now: str, options: DeleteOptions) -> Obj:
    """The first ``DELETE`` of a namespace (registry/core/namespace/storage ``REST.Delete``):
    ``deletionTimestamp`` and phase ``Terminating`` (no deletionGracePeriodSeconds: the
    namespace store does not go through ``markAsDeleting``), the orphan / foreground
    finalizers as explicit options ask. A new object; ``namespace`` is left as it was."""
    obj = copy.deepcopy(namespace)
    meta = obj["metadata"]
    meta["deletionTimestamp"] = now
    status = obj.get("status")
    obj["status"] = {**(status if isinstance(status, dict) else {}), "phase": "Terminating"}
    finalizers = namespace_gc_finalizers(list(meta.get("finalizers") or []), options)
    if finalizers:
        meta["finalizers"] = finalizers
    else:
        meta.pop("finalizers", None)
    return obj


def deletes_during_update(info: KindInfo, obj: Obj) -> bool:
    """Whether an update that leaves a deleted object without metadata finalizers deletes it:
    always (``ShouldDeleteDuringUpdate``), but a namespace only once ``spec.finalizers`` is
    empty too (``ShouldDeleteNamespaceDuringUpdate``)."""
    if (info.api_version, info.kind) == ("v1", "Namespace"):
        return not (obj.get("spec") or {}).get("finalizers")
    return True
