"""MSI certificate renewal: keep the cluster MSI's credentials in the MSI Key Vault current.

Go ``pkg/mimo/steps/cluster/msi.go`` ``EnsureClusterMsiCertificate`` over
``pkg/cluster/clustermsi.go`` ``EnsureClusterMsiCertificateWithParams``. For a
workload-identity cluster, the secret ``msi-<cluster document ID>`` of the MSI Key
Vault holds the credentials the MSI data plane issued for the cluster's one
user-assigned identity. It is (re)written from the data plane when it is missing,
holds no identity or another identity than the cluster's, or is inside its renewal
window (``renew_after`` < now < ``cannot_renew_after``, from the secret's tags);
otherwise it is left alone. Result messages are Go's.

Go's ``FeatureUseMockMsiRp`` (credentials made up locally for development) is not
ported: the data plane is always asked.
"""

from __future__ import annotations

import json
from datetime import datetime
from enum import Enum
from typing import Any

from mimo.api import OpenShiftClusterDocument
from mimo.azure.msicredentials import (
    CANNOT_RENEW_AFTER_TAG,
    RENEW_AFTER_TAG,
    format_managed_identity_credentials_for_storage,
    identifier_for_managed_identity_credentials,
    parse_rfc3339,
)
from mimo.context import TaskContext, get_task_context
from mimo.errors import MIMOError, TerminalError, TransientError
from mimo.steps.errors import describe

__all__ = [
    "RefreshResult",
    "cluster_msi_resource_id",
    "ensure_cluster_msi_certificate",
    "ensure_cluster_msi_certificate_with_params",
    "needs_refresh",
]


class RefreshResult(Enum):
    """Go ``MsiCertificateRefreshResult``."""

    UNCHANGED = "unchanged"
    CREATED = "created"
    RENEWED = "renewed"


RESULT_MESSAGES = {
    RefreshResult.CREATED: "cluster MSI certificate created successfully",
    RefreshResult.RENEWED: "cluster MSI certificate renewed successfully",
    RefreshResult.UNCHANGED: "cluster MSI certificate verified (no renewal needed)",
}


def cluster_msi_resource_id(doc: OpenShiftClusterDocument) -> str:
    """Go ``(*OpenShiftCluster).ClusterMsiResourceId``: the one user-assigned identity's resource ID,
    checked as ``arm.ParseResourceID`` checks it."""
    identities = doc.identity.user_assigned_identities if doc.identity is not None else {}
    if not identities:
        raise ValueError("could not find cluster MSI in cluster doc")
    if len(identities) > 1:
        raise ValueError("unexpectedly found more than one cluster MSI in cluster doc")
    [rid] = identities
    if not rid:
        raise ValueError("invalid resource ID: id cannot be empty")
    if not rid.startswith("/"):
        raise ValueError(f"invalid resource ID: resource id '{rid}' must start with '/'")
    parts = [p for p in rid.split("/") if p]
    if len(parts) < 2 or parts[0].lower() not in ("subscriptions", "providers") or len(parts) % 2:
        raise ValueError(f"invalid resource ID: {rid}")
    return rid


def needs_refresh(tags: dict[str, str] | None, now: datetime) -> bool:
    """Go ``needsRefresh``: inside the renewal window the secret's tags record."""
    if tags is None:
        raise ValueError("secret tags are nil")
    times = {}
    for tag in (RENEW_AFTER_TAG, CANNOT_RENEW_AFTER_TAG):
        value = tags.get(tag)
        if value is None:
            raise ValueError(f"missing or invalid tag: {tag}")
        try:
            times[tag] = parse_rfc3339(value)
        except ValueError as e:
            raise ValueError(f"invalid time format for tag {tag}: {e}") from None
    return times[RENEW_AFTER_TAG] < now < times[CANNOT_RENEW_AFTER_TAG]


def _should_replace(secret: Any, doc: OpenShiftClusterDocument, now: datetime) -> bool:
    """Go ``shouldReplaceMSICertificate``."""
    if getattr(secret, "value", None) is None or getattr(secret, "properties", None) is None:
        return True
    try:
        stored = json.loads(secret.value)
    except ValueError as e:
        raise ValueError(f"secret {secret.name} does not hold managed identity credentials: {e}") from None
    explicit = stored.get("explicit_identities") if isinstance(stored, dict) else None
    if not explicit:
        return True
    msi = cluster_msi_resource_id(doc)
    first = explicit[0] if isinstance(explicit[0], dict) else {}
    rid = first.get("resource_id")
    if not isinstance(rid, str) or rid.lower() != msi.lower():  # ARM IDs compare case-insensitively
        return True
    return needs_refresh(secret.properties.tags, now)


def _is_not_found(err: BaseException) -> bool:
    return getattr(err, "status_code", None) == 404


def ensure_cluster_msi_certificate_with_params(
    doc: OpenShiftClusterDocument, now: datetime, kv_store: Any, msi_dataplane: Any
) -> RefreshResult:
    """Go ``EnsureClusterMsiCertificateWithParams``: ``kv_store`` is a ``SecretClient`` on the MSI
    Key Vault, ``msi_dataplane`` a :class:`~mimo.azure.msidataplane.MsiDataplaneClientFactory`."""
    secret_name = identifier_for_managed_identity_credentials(doc.id)
    try:
        existing = kv_store.get_secret(secret_name)
    except Exception as e:
        if not _is_not_found(e):
            raise
        existing = None
    if existing is not None and not _should_replace(existing, doc, now):
        return RefreshResult.UNCHANGED
    msi = cluster_msi_resource_id(doc)
    identity_url = doc.identity.identity_url if doc.identity is not None else ""
    client = msi_dataplane.new_client(identity_url)
    credentials = client.get_user_assigned_identities_credentials([msi])
    try:
        stored = format_managed_identity_credentials_for_storage(doc.id, credentials)
    except ValueError as e:
        raise ValueError(f"failed to format managed identity credentials for storage: {e}") from None
    kv_store.set_secret(stored.name, stored.value, enabled=stored.enabled, not_before=stored.not_before,
                        expires_on=stored.expires_on, tags=stored.tags)
    return RefreshResult.RENEWED if existing is not None else RefreshResult.CREATED


def ensure_cluster_msi_certificate(tc: TaskContext) -> None:
    """Renew the cluster MSI's credentials when due (see the module docstring)."""
    tc = get_task_context(tc)
    doc = tc.get_openshift_cluster_document()
    if not doc.properties.uses_workload_identity:
        tc.set_result_message("cluster does not use workload identity")
        return
    try:
        kv_store = tc.cluster_msi_keyvault()
    except MIMOError as e:
        raise TerminalError(f"failed to create MSI KeyVault client: {e.cause_text}") from e
    try:
        msi_dataplane = tc.msi_dataplane()
    except MIMOError as e:
        raise TerminalError(f"failed to create FP credential for MSI dataplane: {e.cause_text}") from e
    try:
        result = ensure_cluster_msi_certificate_with_params(doc, tc.now(), kv_store, msi_dataplane)
    except Exception as e:
        raise TransientError(f"failed to ensure cluster MSI certificate: {describe(e)}") from e
    tc.set_result_message(RESULT_MESSAGES[result])
