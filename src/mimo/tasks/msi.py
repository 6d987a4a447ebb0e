"""MSI certificate renewal (``MSI_CERT_RENEWAL_ID``)."""

from __future__ import annotations

from mimo.api import MaintenanceManifest, OpenShiftClusterDocument
from mimo.context import TaskContext
from mimo.runner import action, run_steps
from mimo.steps.azure.msi import ensure_cluster_msi_certificate

__all__ = ["msi_certificate_renewal"]


def msi_certificate_renewal(
    tc: TaskContext, manifest: MaintenanceManifest, cluster_doc: OpenShiftClusterDocument
) -> None:
    """Renew the cluster MSI's certificate when it is due (Go ``tasks.MSICertificateRenewal``:
    the 46-90 day renewal window)."""
    run_steps(tc, [action(ensure_cluster_msi_certificate)])
