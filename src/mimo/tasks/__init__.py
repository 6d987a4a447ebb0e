"""Maintenance tasks: the built-in ones and the registry.

``DEFAULT_MAINTENANCE_TASKS`` maps the ID of every built-in task (see
:mod:`mimo.const`) to its function. Only tasks that really exist are in it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from mimo import const
from mimo.hookspecs import MaintenanceTask
from mimo.tasks import registry
from mimo.tasks.acr import acr_token_checker
from mimo.tasks.fixssh import fix_ssh_task
from mimo.tasks.geneva import (
    set_geneva_otel,
    set_geneva_otel_max_logs,
    set_geneva_otel_minimal_logs,
    set_geneva_otel_reduced_logs,
)
from mimo.tasks.lbzones import migrate_lb_zones_task
from mimo.tasks.msi import msi_certificate_renewal
from mimo.tasks.operator import (
    operator_update,
    operator_version_reset,
    sync_cluster_object_task,
    update_operator_flags,
)
from mimo.tasks.registry import RegistryError
from mimo.tasks.tls import tls_cert_rotation

__all__ = ["DEFAULT_MAINTENANCE_TASKS", "MaintenanceTask", "RegistryError", "load_tasks"]

DEFAULT_MAINTENANCE_TASKS: dict[str, MaintenanceTask] = {
    const.TLS_CERT_ROTATION_ID: tls_cert_rotation,
    const.ACR_TOKEN_CHECKER_ID: acr_token_checker,
    const.OPERATOR_FLAGS_UPDATE_ID: update_operator_flags,
    const.OPERATOR_FLAG_SET_GENEVA_OTEL: set_geneva_otel,
    const.OPERATOR_FLAG_SET_GENEVA_OTEL_PROFILE_MAX_LOGS: set_geneva_otel_max_logs,
    const.OPERATOR_FLAG_SET_GENEVA_OTEL_PROFILE_REDUCED_LOGS: set_geneva_otel_reduced_logs,
    const.OPERATOR_FLAG_SET_GENEVA_OTEL_PROFILE_MINIMAL_LOGS: set_geneva_otel_minimal_logs,
    const.FIX_SSH_ID: fix_ssh_task,
    const.MIGRATE_LB_ZONES_ID: migrate_lb_zones_task,
    const.MSI_CERT_RENEWAL_ID: msi_certificate_renewal,
    const.OPERATOR_VERSION_RESET_ID: operator_version_reset,
    const.OPERATOR_UPDATE_ID: operator_update,
    const.OPERATOR_SYNC_CLUSTER_OBJECT_ID: sync_cluster_object_task,
}


def load_tasks(
    builtin: Mapping[str, MaintenanceTask] | None = None,
    *,
    plugins: Iterable[object] = (),
    entry_points: bool = True,
) -> dict[str, MaintenanceTask]:
    """The built-in tasks (or ``builtin``) plus every plugin's (:func:`mimo.tasks.registry.load_tasks`)."""
    return registry.load_tasks(
        DEFAULT_MAINTENANCE_TASKS if builtin is None else builtin, plugins=plugins, entry_points=entry_points
    )
