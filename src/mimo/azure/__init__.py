"""The runtime's Azure clients: credentials from configuration, SDK clients per subscription.

``AzureCredentialSettings`` says how MIMO authenticates (client secret, workload
identity or managed identity); :func:`make_credential` turns it into an
``azure-identity`` credential for one Azure cloud; :class:`AzureClients` builds
the official SDK clients a TaskContext hands to steps, lazily and once each.
"""

from __future__ import annotations

from mimo.azure.clients import AzureClients
from mimo.azure.credentials import (
    CREDENTIAL_KINDS,
    AzureCredentialError,
    AzureCredentialSettings,
    make_credential,
    shared_credential,
)

__all__ = [
    "AzureClients",
    "AzureCredentialError",
    "AzureCredentialSettings",
    "CREDENTIAL_KINDS",
    "make_credential",
    "shared_credential",
]
