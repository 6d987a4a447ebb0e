"""ACR token checker (``ACR_TOKEN_CHECKER_ID``)."""

from __future__ import annotations

from mimo.api import MaintenanceManifest, OpenShiftClusterDocument
from mimo.context import TaskContext
from mimo.runner import action, run_steps
from mimo.steps.cluster.acrtoken import ensure_acr_token_is_valid

__all__ = ["acr_token_checker"]


def acr_token_checker(
    tc: TaskContext, manifest: MaintenanceManifest, cluster_doc: OpenShiftClusterDocument
) -> None:
    """Fail when the cluster's registry token has no issue date, is expired or is due for rotation."""
    run_steps(tc, [action(ensure_acr_token_is_valid)])
