"""Managed identity credentials in Key Vault: Go ``msi-dataplane`` ``pkg/dataplane/keyvault.go``
(``FormatManagedIdentityCredentialsForStorage``, ``IdentifierForManagedIdentityCredentials``)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from mimo.azure.msicredentials import (
    format_managed_identity_credentials_for_storage,
    identifier_for_managed_identity_credentials,
    parse_rfc3339,
)

TIMES = {
    "not_before": "2025-09-29T16:00:00Z",
    "not_after": "2025-12-28T16:00:00Z",
    "renew_after": "2025-11-14T16:00:00Z",
    "cannot_renew_after": "2025-12-28T16:00:00Z",
}


def test_secret_name() -> None:
    assert identifier_for_managed_identity_credentials("00000000-0000-0000-0000-000000000000") == (
        "msi-00000000-0000-0000-0000-000000000000")


def test_one_explicit_identity_gives_the_times() -> None:
    creds = {"explicit_identities": [{"resource_id": "/subscriptions/x", "client_secret": "s3cret", **TIMES}]}
    stored = format_managed_identity_credentials_for_storage("id", creds)
    assert stored.name == "msi-id"
    assert json.loads(stored.value) == creds
    assert stored.enabled is True
    assert stored.not_before == datetime(2025, 9, 29, 16, tzinfo=timezone.utc)
    assert stored.expires_on == datetime(2025, 12, 28, 16, tzinfo=timezone.utc)
    assert stored.tags == {"renew_after": TIMES["renew_after"], "cannot_renew_after": TIMES["cannot_renew_after"]}
    assert "s3cret" not in repr(stored)


def test_no_explicit_identity_uses_the_top_level_times() -> None:
    stored = format_managed_identity_credentials_for_storage("id", dict(TIMES))
    assert stored.tags["renew_after"] == TIMES["renew_after"]


def test_two_explicit_identities_violate_the_assumption() -> None:
    creds = {"explicit_identities": [dict(TIMES), dict(TIMES)]}
    with pytest.raises(ValueError, match=r"^assumption violated, found 2 explicit identities, expected none, or one$"):
        format_managed_identity_credentials_for_storage("id", creds)


def test_a_missing_time_violates_the_assumption() -> None:
    creds = {"explicit_identities": [{k: v for k, v in TIMES.items() if k != "renew_after"}]}
    with pytest.raises(ValueError, match=r'^assumption violated, "RenewAfter" was nil$'):
        format_managed_identity_credentials_for_storage("id", creds)


@pytest.mark.parametrize(("text", "want"), [
    ("2025-09-29T16:00:00Z", datetime(2025, 9, 29, 16, tzinfo=timezone.utc)),
    ("2025-09-29T18:00:00+02:00", datetime(2025, 9, 29, 16, tzinfo=timezone.utc)),
    ("2025-09-29T16:00:00.5Z", datetime(2025, 9, 29, 16, 0, 0, 500000, tzinfo=timezone.utc)),
])
def test_rfc3339(text: str, want: datetime) -> None:
    assert parse_rfc3339(text) == want
    assert parse_rfc3339(text).utcoffset() is not None


@pytest.mark.parametrize("text", ["not-a-valid-time", "2025-09-29 16:00:00Z", "2025-13-01T00:00:00Z", "2025-09-29T16:00:00"])
def test_rfc3339_refuses(text: str) -> None:
    # Go time.Parse(time.RFC3339, …): `parsing time "<text>" …`
    with pytest.raises(ValueError, match=f'^parsing time "{text}"'):
        parse_rfc3339(text)


def test_offsets_compare_as_instants() -> None:
    assert parse_rfc3339("2025-09-29T16:00:00-01:00") - parse_rfc3339("2025-09-29T16:00:00Z") == timedelta(hours=1)
