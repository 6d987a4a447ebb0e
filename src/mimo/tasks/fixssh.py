"""Fix SSH (``FIX_SSH_ID``)."""

from __future__ import annotations

from mimo.api import MaintenanceManifest, OpenShiftClusterDocument
from mimo.context import TaskContext
from mimo.runner import action, run_steps
from mimo.steps.azure.fixssh import fix_ssh

__all__ = ["fix_ssh_task"]


def fix_ssh_task(
    tc: TaskContext, manifest: MaintenanceManifest, cluster_doc: OpenShiftClusterDocument
) -> None:
    """Put the control-plane NICs back into their load balancer pools."""
    run_steps(tc, [action(fix_ssh)])
