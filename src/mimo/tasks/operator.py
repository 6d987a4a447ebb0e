"""The ARO operator's tasks: flags update, version reset, update, and cluster object sync."""

from __future__ import annotations

from mimo.api import MaintenanceManifest, OpenShiftClusterDocument
from mimo.context import TaskContext
from mimo.runner import action, condition, run_steps
from mimo.steps.cluster.apiserver import ensure_api_server_is_up
from mimo.steps.cluster.operator import (
    aro_operator_ready,
    aro_operator_running_desired_version,
    reset_operator_version,
    roll_operator_deployments,
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


def operator_version_reset(
    tc: TaskContext, manifest: MaintenanceManifest, cluster_doc: OpenShiftClusterDocument
) -> None:
    """Clear the document's pinned operator version (the runtime default applies again)."""
    run_steps(tc, [action(reset_operator_version)])


def operator_update(
    tc: TaskContext, manifest: MaintenanceManifest, cluster_doc: OpenShiftClusterDocument
) -> None:
    """Roll the operator to the desired version, wait until it runs, then sync the ``Cluster`` object."""
    run_steps(
        tc,
        [
            action(ensure_api_server_is_up),
            action(roll_operator_deployments),
            condition(aro_operator_ready, OPERATOR_READY_TIMEOUT),
            condition(aro_operator_running_desired_version, OPERATOR_VERSION_TIMEOUT),
            action(sync_cluster_object),
        ],
    )


def sync_cluster_object_task(
    tc: TaskContext, manifest: MaintenanceManifest, cluster_doc: OpenShiftClusterDocument
) -> None:
    """Write the document's operator flags and version into the ARO ``Cluster`` object."""
    run_steps(tc, [action(ensure_api_server_is_up), action(sync_cluster_object)])
