"""Internal load balancer zones migration (``MIGRATE_LB_ZONES_ID``)."""

from __future__ import annotations

from mimo.api import MaintenanceManifest, OpenShiftClusterDocument
from mimo.context import TaskContext
from mimo.runner import action, run_steps
from mimo.steps.azure.fixssh import fix_ssh
from mimo.steps.azure.lbzones import migrate_internal_load_balancer_zones

__all__ = ["migrate_lb_zones_task"]


def migrate_lb_zones_task(
    tc: TaskContext, manifest: MaintenanceManifest, cluster_doc: OpenShiftClusterDocument
) -> None:
    """Make the internal load balancer's frontend zonal, then put SSH back (Go
    ``tasks.MigrateInternalLoadBalancerZones``: the migration drops the SSH rules)."""
    run_steps(tc, [action(migrate_internal_load_balancer_zones), action(fix_ssh)])
