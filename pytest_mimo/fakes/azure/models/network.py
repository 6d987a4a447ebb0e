"""Microsoft.Network state: load balancers, network interfaces, private link services.

The network resource provider stores what the client PUTs, minus read-only
fields, and fills in what it owns: ``id``/``name``/``type``, a weak ``etag``
renewed on every write, ``resourceGuid``, ``provisioningState`` on the
resource and its sub-resources, and the IDs of sub-resources.
"""

from __future__ import annotations

import copy
from typing import Any

__all__ = ["NETWORK_TYPES", "build_network_resource"]

#: lower-cased type -> (canonical type, sub-resource collections in ``properties``)
NETWORK_TYPES: dict[str, tuple[str, tuple[str, ...]]] = {
    "microsoft.network/loadbalancers": (
        "Microsoft.Network/loadBalancers",
        (
            "frontendIPConfigurations",
            "backendAddressPools",
            "loadBalancingRules",
            "probes",
            "inboundNatRules",
            "inboundNatPools",
            "outboundRules",
        ),
    ),
    "microsoft.network/networkinterfaces": ("Microsoft.Network/networkInterfaces", ("ipConfigurations",)),
    "microsoft.network/privatelinkservices": ("Microsoft.Network/privateLinkServices", ("ipConfigurations",)),
}

_READ_ONLY = ("id", "name", "type", "etag")
_HAS_GUID = ("microsoft.network/loadbalancers", "microsoft.network/networkinterfaces")


def build_network_resource(
    resource_id: str,
    type_key: str,
    body: dict[str, Any],
    old: dict[str, Any] | None,
    *,
    etag: str,
    new_guid: str,
    provisioning_state: str,
) -> dict[str, Any]:
    """The stored form of ``body`` PUT at ``resource_id`` (``old`` is what was there)."""
    full_type, collections = NETWORK_TYPES[type_key]
    rid = old["id"] if old is not None else resource_id
    out: dict[str, Any] = {"name": rid.rsplit("/", 1)[1], "id": rid, "etag": etag, "type": full_type}
    for k, v in body.items():
        if k not in _READ_ONLY and k != "properties":
            out[k] = copy.deepcopy(v)
    props = copy.deepcopy(body.get("properties") or {})
    props["provisioningState"] = provisioning_state
    if type_key in _HAS_GUID:
        old_guid = (old or {}).get("properties", {}).get("resourceGuid")
        props["resourceGuid"] = old_guid or new_guid
    for coll in collections:
        items = props.get(coll)
        if not isinstance(items, list):
            continue
        for item in items:
            if not isinstance(item, dict) or not item.get("name"):
                continue
            item["id"] = f"{rid}/{coll}/{item['name']}"
            item["etag"] = etag
            item["type"] = f"{full_type}/{coll}"
            sub = item.setdefault("properties", {})
            if isinstance(sub, dict):
                sub["provisioningState"] = provisioning_state
    out["properties"] = props
    return out
