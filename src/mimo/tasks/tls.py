"""TLS certificate rotation (``TLS_CERT_ROTATION_ID``)."""

from __future__ import annotations

from mimo.api import MaintenanceManifest, OpenShiftClusterDocument
from mimo.context import TaskContext
from mimo.runner import action, run_steps
from mimo.steps.cluster.certificates import (
    ensure_api_server_serving_certificate,
    ensure_ingress_default_certificate,
    rotate_managed_certificates,
)

__all__ = ["tls_cert_rotation"]


def tls_cert_rotation(
    tc: TaskContext, manifest: MaintenanceManifest, cluster_doc: OpenShiftClusterDocument
) -> None:
    """Go's ``TLSCertRotation`` (``pkg/mimo/tasks/tls_cert_rotate.go``): copy the signed certificates
    from Key Vault into the cluster and serve them; three steps, no API server check first (as Go)."""
    run_steps(
        tc,
        [
            action(rotate_managed_certificates),
            action(ensure_api_server_serving_certificate),
            action(ensure_ingress_default_certificate),
        ],
    )
