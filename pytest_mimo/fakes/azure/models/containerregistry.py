"""Microsoft.ContainerRegistry state: registries, their tokens, and token passwords.

Password values are kept apart from the token resource (ARM never returns them
on GET); ``generateCredentials`` makes new ones and stamps their creation time.
"""

from __future__ import annotations

import copy
from datetime import datetime, timezone
from typing import Any

__all__ = ["build_registry", "build_token", "apply_credentials", "iso_now", "scope_map_exists", "SYSTEM_SCOPE_MAPS"]

REGISTRY_TYPE = "Microsoft.ContainerRegistry/registries"
TOKEN_TYPE = "Microsoft.ContainerRegistry/registries/tokens"


def iso_now(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f") + "+00:00"


def _system_data(old: dict[str, Any] | None, now: str) -> dict[str, Any]:
    created = (old or {}).get("systemData", {}).get("createdAt", now)
    return {
        "createdBy": "fake@pytest-mimo",
        "createdByType": "Application",
        "createdAt": created,
        "lastModifiedBy": "fake@pytest-mimo",
        "lastModifiedByType": "Application",
        "lastModifiedAt": now,
    }


def build_registry(resource_id: str, body: dict[str, Any], old: dict[str, Any] | None, now: str) -> dict[str, Any]:
    rid = old["id"] if old is not None else resource_id
    name = rid.rsplit("/", 1)[1]
    out: dict[str, Any] = {"id": rid, "name": name, "type": REGISTRY_TYPE}
    out.update({k: copy.deepcopy(v) for k, v in body.items() if k not in ("id", "name", "type", "properties")})
    out.setdefault("sku", {"name": "Premium", "tier": "Premium"})
    props = copy.deepcopy(body.get("properties") or {})
    props.setdefault("loginServer", f"{name.lower()}.azurecr.io")
    props.setdefault("creationDate", (old or {}).get("properties", {}).get("creationDate", now))
    props.setdefault("adminUserEnabled", False)
    _fill_registry_defaults(props, (old or {}).get("properties", {}).get("creationDate", now))
    props["provisioningState"] = "Succeeded"
    out["properties"] = props
    out["systemData"] = _system_data(old, now)
    return out


def _fill_registry_defaults(props: dict[str, Any], created: str) -> None:
    """What the registry RP fills in when the request leaves it out, as ``RegistryCreate.json``
    (stable/2025-11-01) shows it: network rules open, policies at their defaults, no encryption,
    public access, no zone redundancy, data endpoints off."""
    props.setdefault("networkRuleSet", {"defaultAction": "Allow", "ipRules": []})
    policies = props.setdefault("policies", {})
    if isinstance(policies, dict):
        for name, default in (
            ("quarantinePolicy", {"status": "disabled"}),
            ("trustPolicy", {"type": "Notary", "status": "disabled"}),
            ("retentionPolicy", {"days": 7, "lastUpdatedTime": created, "status": "disabled"}),
            ("exportPolicy", {"status": "enabled"}),
            ("azureADAuthenticationAsArmPolicy", {"status": "enabled"}),
        ):
            policy = policies.setdefault(name, {})
            if isinstance(policy, dict):
                for key, value in default.items():
                    policy.setdefault(key, value)
    props.setdefault("encryption", {"status": "disabled"})
    props.setdefault("dataEndpointEnabled", False)
    props.setdefault("dataEndpointHostNames", [])
    props.setdefault("privateEndpointConnections", [])
    props.setdefault("publicNetworkAccess", "Enabled")
    props.setdefault("networkRuleBypassOptions", "AzureServices")
    props.setdefault("zoneRedundancy", "Disabled")
    props.setdefault("anonymousPullEnabled", False)


#: the scope maps every registry has (the registry RP's system scope maps)
SYSTEM_SCOPE_MAPS = ("_repositories_admin", "_repositories_pull", "_repositories_pull_metadata_read",
                     "_repositories_push", "_repositories_push_metadata_write")


def scope_map_exists(resources: dict[str, dict[str, Any]], registry_id: str, scope_map_id: str) -> bool:
    """Whether ``scope_map_id`` names a scope map of the registry: a system one, or one stored."""
    prefix = f"{registry_id}/scopeMaps/".lower()
    sid = scope_map_id.lower()
    if not sid.startswith(prefix) or "/" in sid[len(prefix):]:
        return False
    return sid[len(prefix):] in SYSTEM_SCOPE_MAPS or sid in resources


def build_token(
    resource_id: str, body: dict[str, Any], old: dict[str, Any] | None, now: str, provisioning_state: str
) -> dict[str, Any]:
    rid = old["id"] if old is not None else resource_id
    out: dict[str, Any] = {"id": rid, "name": rid.rsplit("/", 1)[1], "type": TOKEN_TYPE}
    props = copy.deepcopy(body.get("properties") or {})
    old_props = (old or {}).get("properties", {})
    props["creationDate"] = old_props.get("creationDate", now)
    props["provisioningState"] = provisioning_state
    props.setdefault("status", "enabled")
    creds = props.setdefault("credentials", {})
    if not isinstance(creds, dict):
        creds = props["credentials"] = {}
    creds.setdefault("certificates", old_props.get("credentials", {}).get("certificates", []))
    # passwords are never stored with their values
    passwords = creds.get("passwords") or old_props.get("credentials", {}).get("passwords", [])
    creds["passwords"] = [{k: v for k, v in p.items() if k != "value"} for p in passwords if isinstance(p, dict)]
    out["properties"] = props
    out["systemData"] = _system_data(old, now)
    return out


def apply_credentials(token: dict[str, Any], generated: list[dict[str, Any]]) -> None:
    """Puts the new passwords (without values) on the token resource."""
    creds = token.setdefault("properties", {}).setdefault("credentials", {})
    current = {p.get("name"): p for p in creds.get("passwords", []) if isinstance(p, dict)}
    for p in generated:
        current[p["name"]] = {k: v for k, v in p.items() if k != "value"}
    creds["passwords"] = [current[k] for k in sorted(current, key=str)]
