"""MSI certificate renewal step, on the fake Azure (MSI data plane and MSI Key Vault).

Go cases: ``pkg/mimo/steps/cluster/msi_test.go`` ``TestEnsureClusterMsiCertificate`` (the step's
own branches) and ``pkg/cluster/clustermsi_test.go`` ``TestEnsureClusterMsiCertificate`` (its
success paths and errors) and ``TestNeedsRefresh``. Go's time there: 2025-09-29 16:00 UTC; here
the simulated clock's now, with the same offsets.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any

import pytest

from mimo import TerminalError, TransientError
from mimo.steps.azure.msi import (
    cluster_msi_resource_id,
    ensure_cluster_msi_certificate,
    needs_refresh,
)
from pytest_mimo import defaults

from .builders import cluster_msi_id, workload_identity_cluster

MSI_VAULT = "eastus-msi"
MSI = cluster_msi_id(defaults.SUBSCRIPTION_ID)
ALT = cluster_msi_id(defaults.SUBSCRIPTION_ID, name="aro-cluster-msi2")
SECRET = f"msi-{defaults.CLUSTER_ID}"  # Go: dataplane.ManagedIdentityCredentialsStoragePrefix + doc.ID


def _rfc3339(t: Any) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def tc(fake_task_context: Any, fake_azure: Any) -> Any:
    doc = workload_identity_cluster(fake_task_context.get_openshift_cluster_document(), fake_azure, MSI)
    return fake_task_context.with_cluster_document(doc).with_azure(fake_azure)


def _store(fake_azure: Any, tc: Any, resource_id: str, renew: timedelta, cannot: timedelta) -> None:
    """A stored credential for ``resource_id`` whose renewal window is ``now+renew .. now+cannot``."""
    now = tc.now()
    creds = {"explicit_identities": [{
        "resource_id": resource_id, "client_id": "placeholder", "client_secret": "placeholder",
        "tenant_id": "placeholder", "not_before": _rfc3339(now), "not_after": _rfc3339(now),
        "renew_after": _rfc3339(now), "cannot_renew_after": _rfc3339(now)}]}
    fake_azure.keyvault(MSI_VAULT).set_secret(SECRET, json.dumps(creds), tags={
        "renew_after": _rfc3339(now + renew), "cannot_renew_after": _rfc3339(now + cannot)})


def _stored(fake_azure: Any) -> Any:
    return fake_azure.keyvault(MSI_VAULT).find(SECRET)


def _issued(fake_azure: Any) -> dict[str, Any]:
    cred = fake_azure.msi.credentials[MSI.lower()]
    return {"client_id": cred.client_id, "client_secret": cred.client_secret}


# -- pkg/mimo/steps/cluster/msi_test.go ----------------------------------------------------------


def test_go_skip_when_cluster_does_not_use_workload_identity(fake_task_context: Any, fake_azure: Any) -> None:
    tc = fake_task_context.with_azure(fake_azure)
    ensure_cluster_msi_certificate(tc)
    assert tc.result_message == "cluster does not use workload identity"
    assert not fake_azure.requests


def test_go_fail_when_the_msi_key_vault_client_cannot_be_made(fake_task_context: Any, fake_azure: Any) -> None:
    # Go: "fail when MSI credential creation fails" -> TerminalError: failed to create MSI credential; here the
    # credential comes with the client, so a context that cannot make the client says so
    doc = workload_identity_cluster(fake_task_context.get_openshift_cluster_document(), fake_azure, MSI)
    tc = fake_task_context.with_cluster_document(doc)
    with pytest.raises(TerminalError) as e:
        ensure_cluster_msi_certificate(tc)
    assert str(e.value).startswith("TerminalError: failed to create MSI KeyVault client: cluster_msi_keyvault: ")


def test_go_fail_when_the_msi_data_plane_credential_cannot_be_made(tc: Any) -> None:
    # Go: "fail when FP credential creation fails"; here: no MSI RP endpoint (audience) configured
    from dataclasses import replace

    tc.with_environment(replace(tc.environment(), msi_rp_endpoint=""))
    with pytest.raises(TerminalError) as e:
        ensure_cluster_msi_certificate(tc)
    assert str(e.value) == ("TerminalError: failed to create FP credential for MSI dataplane: msi_dataplane: "
                            "the environment has no msi_rp_endpoint (MIMO_MSI_RP_ENDPOINT)")


# -- pkg/cluster/clustermsi_test.go --------------------------------------------------------------


def test_go_successfully_create_and_persist_certificate(tc: Any, fake_azure: Any) -> None:
    ensure_cluster_msi_certificate(tc)
    assert tc.result_message == "cluster MSI certificate created successfully"
    stored = _stored(fake_azure)
    value = json.loads(stored.value)
    [identity] = value["explicit_identities"]
    assert identity["resource_id"] == MSI
    assert {k: identity[k] for k in ("client_id", "client_secret")} == _issued(fake_azure)
    # Go keyVaultParameters: enabled, exp = not_after, nbf = not_before, the renewal window in tags
    assert stored.enabled
    assert stored.tags == {"renew_after": identity["renew_after"], "cannot_renew_after": identity["cannot_renew_after"]}
    assert _rfc3339_ts(stored.expires) == identity["not_after"]
    assert _rfc3339_ts(stored.not_before) == identity["not_before"]


def _rfc3339_ts(ts: int | None) -> str:
    from datetime import datetime, timezone

    assert ts is not None
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_go_refresh_msi_certificate_in_keyvault(tc: Any, fake_azure: Any) -> None:
    _store(fake_azure, tc, MSI, -timedelta(hours=1), timedelta(hours=1))
    ensure_cluster_msi_certificate(tc)
    assert tc.result_message == "cluster MSI certificate renewed successfully"
    assert len(fake_azure.keyvault(MSI_VAULT).versions(SECRET)) == 2
    assert json.loads(_stored(fake_azure).value)["explicit_identities"][0]["client_id"] == _issued(fake_azure)["client_id"]


def test_go_dont_refresh_msi_certificate_in_keyvault(tc: Any, fake_azure: Any) -> None:
    _store(fake_azure, tc, MSI, timedelta(hours=1), timedelta(hours=2))
    fake_azure.requests.clear()
    ensure_cluster_msi_certificate(tc)
    assert tc.result_message == "cluster MSI certificate verified (no renewal needed)"
    assert len(fake_azure.keyvault(MSI_VAULT).versions(SECRET)) == 1
    assert not any(r.extra.get("service") == "msi" for r in fake_azure.requests)


def test_go_successfully_update_cluster_identity(tc: Any, fake_azure: Any) -> None:
    # the stored credential is for another identity (e.g. after a cluster update): replaced, window or not
    _store(fake_azure, tc, ALT, timedelta(hours=1), timedelta(hours=2))
    ensure_cluster_msi_certificate(tc)
    assert tc.result_message == "cluster MSI certificate renewed successfully"
    assert json.loads(_stored(fake_azure).value)["explicit_identities"][0]["resource_id"] == MSI


def test_too_late_to_renew_is_left_alone(tc: Any, fake_azure: Any) -> None:
    # Go TestNeedsRefresh "too late to refresh": past cannot_renew_after -> not in the window -> unchanged
    _store(fake_azure, tc, MSI, -timedelta(hours=2), -timedelta(hours=1))
    ensure_cluster_msi_certificate(tc)
    assert tc.result_message == "cluster MSI certificate verified (no renewal needed)"


def test_go_error_checking_for_an_existing_certificate(tc: Any, fake_azure: Any, mimo_faults: Any) -> None:
    mimo_faults.inject("azure", "server_error", match=f"GET .*{MSI_VAULT}.*/secrets/{SECRET}")
    with pytest.raises(TransientError, match=r"^TransientError: failed to ensure cluster MSI certificate: "):
        ensure_cluster_msi_certificate(tc)
    assert not any(r.extra.get("service") == "msi" for r in fake_azure.requests)


def test_go_error_in_msi_dataplane(tc: Any, fake_azure: Any, mimo_faults: Any) -> None:
    mimo_faults.inject("azure", "server_error", match=lambda req: "identity.azure.net" in req.path)
    with pytest.raises(TransientError, match=r"^TransientError: failed to ensure cluster MSI certificate: "):
        ensure_cluster_msi_certificate(tc)
    assert _stored(fake_azure) is None


def test_a_secret_that_is_not_credentials_is_transient(tc: Any, fake_azure: Any) -> None:
    fake_azure.keyvault(MSI_VAULT).set_secret(SECRET, "not json", tags={})
    with pytest.raises(TransientError, match=r"failed to ensure cluster MSI certificate: secret .* does not hold"):
        ensure_cluster_msi_certificate(tc)


def test_no_cluster_msi_in_the_document_is_transient(tc: Any) -> None:
    doc = tc.get_openshift_cluster_document().copy()
    doc.identity.user_assigned_identities = {}
    tc.with_cluster_document(doc)
    with pytest.raises(TransientError) as e:
        ensure_cluster_msi_certificate(tc)
    assert str(e.value) == ("TransientError: failed to ensure cluster MSI certificate: "
                            "could not find cluster MSI in cluster doc")


def test_second_run_changes_nothing(tc: Any, fake_azure: Any) -> None:
    ensure_cluster_msi_certificate(tc)
    ensure_cluster_msi_certificate(tc)
    assert tc.result_message == "cluster MSI certificate verified (no renewal needed)"
    assert len(fake_azure.keyvault(MSI_VAULT).versions(SECRET)) == 1


def test_the_credentials_never_reach_the_log(tc: Any, fake_azure: Any, caplog: Any) -> None:
    caplog.set_level(logging.DEBUG)
    ensure_cluster_msi_certificate(tc)
    secret = _issued(fake_azure)["client_secret"]
    assert secret not in caplog.text
    assert fake_azure.msi.proxies[next(iter(fake_azure.msi.proxies))].query["sig"] not in caplog.text


# -- Go TestNeedsRefresh and ClusterMsiResourceId ----------------------------------------------------


@pytest.mark.parametrize(("tags", "want"), [
    ({"renew_after": "2025-09-16T15:00:00Z", "cannot_renew_after": "2025-09-16T17:00:00Z"}, True),  # needs refresh
    ({"renew_after": "2025-09-16T17:00:00Z", "cannot_renew_after": "2025-09-16T18:00:00Z"}, False),  # not yet
    ({"renew_after": "2025-09-16T14:00:00Z", "cannot_renew_after": "2025-09-16T15:00:00Z"}, False),  # too late
])
def test_go_needs_refresh(tags: dict[str, str], want: bool) -> None:
    from mimo.azure.msicredentials import parse_rfc3339

    assert needs_refresh(tags, parse_rfc3339("2025-09-16T16:00:00Z")) is want


@pytest.mark.parametrize(("tags", "error"), [
    (None, "secret tags are nil"),
    ({"cannot_renew_after": "2025-09-16T17:00:00Z"}, "missing or invalid tag: renew_after"),
    ({"renew_after": "2025-09-16T15:00:00Z"}, "missing or invalid tag: cannot_renew_after"),
    ({"renew_after": "not-a-valid-time", "cannot_renew_after": "2025-09-16T17:00:00Z"},
     'invalid time format for tag renew_after: parsing time "not-a-valid-time"'),
])
def test_go_needs_refresh_errors(tags: dict[str, str] | None, error: str) -> None:
    from mimo.azure.msicredentials import parse_rfc3339

    with pytest.raises(ValueError) as e:
        needs_refresh(tags, parse_rfc3339("2025-09-16T16:00:00Z"))
    assert str(e.value).startswith(error)


def test_cluster_msi_resource_id(tc: Any) -> None:
    # Go (*OpenShiftCluster).ClusterMsiResourceId and azcore arm.ParseResourceID
    doc = tc.get_openshift_cluster_document().copy()
    assert cluster_msi_resource_id(doc) == MSI
    for identities, error in (
        ({}, "could not find cluster MSI in cluster doc"),
        ({MSI: {}, ALT: {}}, "unexpectedly found more than one cluster MSI in cluster doc"),
        ({"invalid": {}}, "invalid resource ID: resource id 'invalid' must start with '/'"),
        ({"/invalid": {}}, "invalid resource ID: /invalid"),
    ):
        doc.identity.user_assigned_identities = identities
        with pytest.raises(ValueError) as e:
            cluster_msi_resource_id(doc)
        assert str(e.value) == error
