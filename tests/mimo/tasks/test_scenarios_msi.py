"""Replay scenarios of MSI certificate renewal (``MSI_CERT_RENEWAL_ID``).

The world: a workload-identity cluster whose one user-assigned identity the fake MSI data plane
serves, and the MSI Key Vault. Go's task is the one step (``pkg/mimo/tasks/msi_cert_renewal.go``).
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from mimo import const
from mimo.api import ManifestState
from mimo.azure.msicredentials import format_managed_identity_credentials_for_storage
from pytest_mimo import defaults

from ..steps.builders import cluster_msi_id, workload_identity_cluster

MSI = cluster_msi_id(defaults.SUBSCRIPTION_ID)
MSI_VAULT = "eastus-msi"
SECRET = f"msi-{defaults.CLUSTER_ID}"
#: a renewal stores credentials issued when the task asks, which a faulted run does later than the clean one
RENEWED_SECRET = (f"azure.keyvault:{MSI_VAULT}/{SECRET}",)


@pytest.fixture
def wi(mimo_world: Any) -> Any:
    mimo_world.cluster = workload_identity_cluster(mimo_world.cluster, mimo_world.azure, MSI)
    mimo_world.azure.keyvault(MSI_VAULT)
    return mimo_world


def _stored_identity(world: Any) -> dict[str, Any]:
    value = world.azure.keyvault(MSI_VAULT).get_secret(SECRET)
    assert value is not None, "no MSI credentials in the MSI Key Vault"
    [identity] = json.loads(value)["explicit_identities"]
    return identity  # type: ignore[no-any-return]


def _store_current(world: Any) -> Any:
    """The identity's current credential in the MSI Key Vault, as the last run of the task stored it."""
    cred = world.azure.msi.credentials[MSI.lower()]
    creds = {"explicit_identities": [cred.wire("https://login.microsoftonline.com/", "https://x")]}
    stored = format_managed_identity_credentials_for_storage(defaults.CLUSTER_ID, creds)
    world.azure.keyvault(MSI_VAULT).set_secret(SECRET, stored.value, tags=stored.tags)
    return cred


@pytest.mark.mimo_scenario(const.MSI_CERT_RENEWAL_ID)
def test_msi_cert_renewal_stores_the_first_certificate(wi: Any, mimo_replay: Any) -> None:
    outcome = mimo_replay(const.MSI_CERT_RENEWAL_ID)
    assert outcome.state == ManifestState.COMPLETED
    assert outcome.baseline.status_text == "cluster MSI certificate created successfully"
    issued = wi.azure.msi.credentials[MSI.lower()]
    identity = _stored_identity(wi)
    assert (identity["resource_id"], identity["client_secret"]) == (MSI, issued.client_secret)


@pytest.mark.mimo_scenario(const.MSI_CERT_RENEWAL_ID)
def test_msi_cert_renewal_renews_inside_the_window(wi: Any, mimo_replay: Any) -> None:
    # last renewal's credentials, stored then; 50 days on, inside the 46-90 day window
    old = _store_current(wi)
    wi.clock.advance(timedelta(days=50))
    outcome = mimo_replay(const.MSI_CERT_RENEWAL_ID, ignore=RENEWED_SECRET)
    assert outcome.state == ManifestState.COMPLETED
    assert outcome.baseline.status_text == "cluster MSI certificate renewed successfully"
    # a faulted run whose renewal was stored before the fault (a lost answer, a crash) finds it done on retry
    assert outcome.run.status_text in ("cluster MSI certificate renewed successfully",
                                       "cluster MSI certificate verified (no renewal needed)")
    identity = _stored_identity(wi)
    assert identity["client_secret"] != old.client_secret
    assert identity["client_secret"] == wi.azure.msi.credentials[MSI.lower()].client_secret


@pytest.mark.mimo_scenario(const.MSI_CERT_RENEWAL_ID)
def test_msi_cert_renewal_leaves_a_current_certificate(wi: Any, mimo_replay: Any) -> None:
    _store_current(wi)
    wi.clock.advance(timedelta(days=10))
    outcome = mimo_replay(const.MSI_CERT_RENEWAL_ID)
    assert outcome.state == ManifestState.COMPLETED
    assert outcome.run.status_text == "cluster MSI certificate verified (no renewal needed)"
    assert len(wi.azure.keyvault(MSI_VAULT).versions(SECRET)) == 1


@pytest.mark.mimo_scenario(const.MSI_CERT_RENEWAL_ID)
def test_msi_cert_renewal_skips_a_service_principal_cluster(mimo_world: Any, mimo_replay: Any) -> None:
    outcome = mimo_replay(const.MSI_CERT_RENEWAL_ID)
    assert outcome.state == ManifestState.COMPLETED
    assert outcome.run.status_text == "cluster does not use workload identity"
