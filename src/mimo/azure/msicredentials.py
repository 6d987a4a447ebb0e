"""Managed identity credentials as Key Vault stores them (Go ``msi-dataplane`` ``pkg/dataplane/keyvault.go``).

The MSI data plane's answer (``ManagedIdentityCredentials``: snake_case JSON,
``explicit_identities`` holding one ``UserAssignedIdentityCredentials`` per
identity asked for) is kept whole as the secret's value, under
``msi-<identifier>``; the secret is enabled, ``nbf``/``exp`` are the credential's
``not_before``/``not_after``, and the tags ``renew_after`` and
``cannot_renew_after`` carry its renewal window (RFC 3339, as the service wrote them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

__all__ = [
    "CANNOT_RENEW_AFTER_TAG",
    "MANAGED_IDENTITY_CREDENTIALS_STORAGE_PREFIX",
    "RENEW_AFTER_TAG",
    "StoredCredentials",
    "format_managed_identity_credentials_for_storage",
    "identifier_for_managed_identity_credentials",
    "parse_rfc3339",
]

MANAGED_IDENTITY_CREDENTIALS_STORAGE_PREFIX = "msi-"
RENEW_AFTER_TAG = "renew_after"
CANNOT_RENEW_AFTER_TAG = "cannot_renew_after"

_RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$"
)


def parse_rfc3339(value: str) -> datetime:
    """Go ``time.Parse(time.RFC3339, value)``: an aware datetime, or ``ValueError``
    ``parsing time "<value>": …``."""
    m = _RFC3339.match(value) if isinstance(value, str) else None
    if m is None:
        raise ValueError(f'parsing time "{value}" as "2006-01-02T15:04:05Z07:00": not an RFC 3339 time')
    year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
    frac, zone = m.group(7), m.group(8)
    micro = int((frac[1:] + "000000")[:6]) if frac else 0
    if zone in ("Z", "z"):
        tz = timezone.utc
    else:
        sign = 1 if zone[0] == "+" else -1
        tz = timezone(sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6])))
    try:
        return datetime(year, month, day, hour, minute, second, micro, tzinfo=tz)
    except ValueError as e:
        raise ValueError(f'parsing time "{value}": {e}') from None


def identifier_for_managed_identity_credentials(identifier: str) -> str:
    """Go ``IdentifierForManagedIdentityCredentials``: the Key Vault secret name."""
    return MANAGED_IDENTITY_CREDENTIALS_STORAGE_PREFIX + identifier


@dataclass(frozen=True)
class StoredCredentials:
    """What ``SetSecret`` gets (Go ``azsecrets.SetSecretParameters``); the value is never shown."""

    name: str
    value: str = field(repr=False)
    not_before: datetime
    expires_on: datetime
    tags: dict[str, str]
    enabled: bool = True


def format_managed_identity_credentials_for_storage(identifier: str, credentials: dict[str, Any]) -> StoredCredentials:
    """Go ``FormatManagedIdentityCredentialsForStorage``: the times of the one explicit
    identity (or of the credentials themselves when there is none)."""
    import json

    explicit = credentials.get("explicit_identities") or []
    if not isinstance(explicit, list):
        raise ValueError("explicit_identities is not a list")
    if len(explicit) == 0:
        source = credentials
    elif len(explicit) == 1 and isinstance(explicit[0], dict):
        source = explicit[0]
    else:
        raise ValueError(f"assumption violated, found {len(explicit)} explicit identities, expected none, or one")
    raw: dict[str, str] = {}
    for go_name, key in (("NotAfter", "not_after"), ("NotBefore", "not_before"),
                         ("RenewAfter", "renew_after"), ("CannotRenewAfter", "cannot_renew_after")):
        value = source.get(key)
        if not isinstance(value, str):
            raise ValueError(f'assumption violated, "{go_name}" was nil')
        raw[key] = value
    return StoredCredentials(
        name=identifier_for_managed_identity_credentials(identifier),
        value=json.dumps(credentials, separators=(",", ":")),
        not_before=parse_rfc3339(raw["not_before"]),
        expires_on=parse_rfc3339(raw["not_after"]),
        tags={RENEW_AFTER_TAG: raw["renew_after"], CANNOT_RENEW_AFTER_TAG: raw["cannot_renew_after"]},
    )
