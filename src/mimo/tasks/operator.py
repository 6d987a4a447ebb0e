"""The ARO operator's tasks: flags update, version reset, update, and cluster object sync.

``operator_version_reset``, ``operator_update`` and ``sync_cluster_object_task`` are Go's
``ResetOperatorVersion``, ``UpdateOperator`` and ``SyncClusterObject`` (``pkg/mimo/tasks/operator.go``),
``update_operator_flags`` Go's ``UpdateOperatorFlags`` (``pkg/mimo/tasks/operatorflags.go``), step for step.
"""

from __future__ import annotations

from typing import Any

from mimo.api import MaintenanceManifest, OpenShiftClusterDocument
from mimo.context import TaskContext
from mimo.runner import action, condition, run_steps
from mimo.steps.cluster.apiserver import ensure_api_server_is_up
from mimo.steps.cluster.operator import (
    aro_operator_ready,
    aro_operator_running_desired_version,
    deploy_operator_into_cluster,
    reset_operator_version,
    sync_cluster_object,
    update_cluster_operator_flags,
)

__all__ = [
    "OPERATOR_READY_TIMEOUT",
    "OPERATOR_VERSION_TIMEOUT",
    "update_operator_flags",
    "operator_version_reset",
    "operator_update",
    "sync_cluster_object_task",
]

OPERATOR_READY_TIMEOUT = 20 * 60.0
OPERATOR_VERSION_TIMEOUT = 5 * 60.0


def update_operator_flags(
    tc: TaskContext, manifest: MaintenanceManifest, cluster_doc: OpenShiftClusterDocument
) -> None:
    """Write the document's operator flags into the ARO ``Cluster`` object."""
    run_steps(tc, [action(ensure_api_server_is_up), action(update_cluster_operator_flags)])


def _deploy_and_wait() -> list[Any]:
    """Go's DeployOperatorIntoCluster, the two waits (20 and 5 minutes, on the task's clock), SyncClusterObject.

    The Cluster object is synchronised after the operator is updated, so that flag changes in
    the same request apply only on the new operator (Go's comment in ``UpdateOperator``).
    """
    return [
        action(deploy_operator_into_cluster),
        condition(aro_operator_ready, OPERATOR_READY_TIMEOUT),
        condition(aro_operator_running_desired_version, OPERATOR_VERSION_TIMEOUT),
        action(sync_cluster_object),
    ]


def operator_version_reset(
    tc: TaskContext, manifest: MaintenanceManifest, cluster_doc: OpenShiftClusterDocument
) -> None:
    """Go's ``ResetOperatorVersion`` task: clear the pinned version, redeploy the operator, wait, sync."""
    run_steps(tc, [action(reset_operator_version), *_deploy_and_wait()])


def operator_update(
    tc: TaskContext, manifest: MaintenanceManifest, cluster_doc: OpenShiftClusterDocument
) -> None:
    """Go's ``UpdateOperator`` task: the operator deployer's update, the waits, then sync the ``Cluster`` object."""
    run_steps(tc, _deploy_and_wait())


def sync_cluster_object_task(
    tc: TaskContext, manifest: MaintenanceManifest, cluster_doc: OpenShiftClusterDocument
) -> None:
    """Go's ``SyncClusterObject`` task (``pkg/mimo/tasks/operator.go``): the one step that ensures
    the ARO ``Cluster`` object Go's operator deployer builds (no API server check first, as Go)."""
    run_steps(tc, [action(sync_cluster_object)])
