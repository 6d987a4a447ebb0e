"""Shared check: is the cluster's API server healthy enough to work on?"""

from __future__ import annotations

from typing import Any

from mimo.context import TaskContext, get_task_context
from mimo.errors import TransientError
from mimo.steps.errors import kube_error

__all__ = ["ensure_api_server_is_up", "operator_conditions"]


def operator_conditions(obj: dict[str, Any]) -> dict[str, str]:
    """A ClusterOperator's (or Deployment's) conditions as ``type -> status``."""
    conditions = (obj.get("status") or {}).get("conditions") or []
    return {str(c.get("type")): str(c.get("status", "")) for c in conditions if isinstance(c, dict)}


def ensure_api_server_is_up(tc: TaskContext) -> None:
    """Fail unless ClusterOperator ``kube-apiserver`` is available and settled.

    Missing ClusterOperator: terminal (the cluster is not an OpenShift we can
    service). Any other read error, or an operator that is unavailable,
    progressing or degraded: transient.
    """
    tc = get_task_context(tc)
    try:
        co = tc.client_helper().get_one(
            "config.openshift.io/v1", "ClusterOperator", "kube-apiserver"
        )
    except Exception as e:
        raise kube_error(e) from e

    cond = operator_conditions(co)
    available = cond.get("Available") == "True"
    settled = cond.get("Progressing") == "False"
    healthy = cond.get("Degraded", "False") == "False"
    if not (available and settled and healthy):
        raise TransientError(
            f"kube-apiserver Available={cond.get('Available', '')}, "
            f"Progressing={cond.get('Progressing', '')}, Degraded={cond.get('Degraded', '')}"
        )
