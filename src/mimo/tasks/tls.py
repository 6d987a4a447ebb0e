"""TLS certificate rotation (``TLS_CERT_ROTATION_ID``)."""

from __future__ import annotations

from mimo.api import MaintenanceManifest, OpenShiftClusterDocument
from mimo.context import TaskContext
from mimo.runner import action, run_steps
from mimo.steps.cluster.apiserver import ensure_api_server_is_up
from mimo.steps.cluster.certificates import (
    ensure_api_server_serving_certificate,
    ensure_ingress_default_certificate,
    rotate_managed_certificates,
)

__all__ = ["tls_cert_rotation"]


def tls_cert_rotation(
    tc: TaskContext, manifest: MaintenanceManifest, cluster_doc: OpenShiftClusterDocument
) -> None:
    """Copy the signed certificates from Key Vault into the cluster and serve them."""
    run_steps(
        tc,
        [
            action(ensure_api_server_is_up),
            action(rotate_managed_certificates),
            action(ensure_api_server_serving_certificate),
            action(ensure_ingress_default_certificate),
        ],
    )
