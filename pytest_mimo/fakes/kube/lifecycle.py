"""Object life cycles the API server and its controllers run: namespaces, finalizers,
deletion and the garbage collector.

Nothing here knows about HTTP; functions take the :class:`~.models.KubeModel` and
run under its lock.
"""

from __future__ import annotations

from typing import Any

__all__ = ["NAMESPACE_FINALIZER", "namespace_defaults"]

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
